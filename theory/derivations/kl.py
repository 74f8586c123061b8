"""Section 3 derived with sympy: the KL bound, ``ρ(ε)``, scale invariance, the root-of-unity sums,
and Corollary 3.2.  Every function returns sympy expressions that must vanish (residuals) or the
exact objects a check inspects; nothing here decides a verdict.

Derivation of the KL bound (one input x of true class k; ``d_l = z_l − z_k ≤ 0`` and ``d'_l``
the logit gaps of the two models, ``S = Σ_{l≠k} e^{d_l}``, ``S'`` likewise):

1. ``KL(p‖p')(x) = Σ_{l≠k} p_l (d_l − d'_l) + log(1 + S') − log(1 + S)``          (:func:`kl_identity`)
2. ``log(1+S') ≤ S'``, ``−log(1+S) ≤ 0``, ``p_l = e^{d_l}/(1+S) ≤ e^{d_l}``;
3. ``d_l − d'_l ≤ −d'_l = ρ r (cos φ' − cos ψ') ≤ 2ρ r_max``;
4. ``−d_l = ρ r (cos φ − cos ψ_l) ≥ ρ r_min (cos φ_max − cos(α_{kl} − φ_max)) = ρ δ_{kl}`` because
   ``h(φ) = cos φ − cos(α − φ)`` decreases on ``[0, α/2]``                         (:func:`margin_monotone`)
so ``KL(x) ≤ S' + 2ρ r_max S ≤ (K−1)e^{−ρΔ}(1 + 2ρ r_max)`` with ``Δ = min δ_{kl}``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = [
    "kl_identity",
    "margin_monotone",
    "kl_bound_expr",
    "rho_eps_log",
    "rho_eps_lambert",
    "tangent_inequality",
    "standardise_scale",
    "root_sums",
    "cross_moment",
    "vanishing_affine_maps",
    "limits_to_zero",
]

rho, delta, r_max, eps, u, c = sp.symbols("rho Delta r_max epsilon u c", positive=True)
K = sp.Symbol("K", integer=True, positive=True)


def kl_identity(k_labels: int = 4) -> tuple[sp.Expr, dict[str, Any]]:
    """Step 1 for ``k_labels`` labels (true class 0), as a residual that must be identically 0.

    Logits are free real symbols; the residual is ``KL − (Σ p_l(d_l − d'_l) + log(1+S') − log(1+S))``
    after ``log(e^a/Σ) = a − log Σ``; returned with the symbols for a numeric cross-check.
    """
    z = sp.symbols(f"z0:{k_labels}", real=True)
    w = sp.symbols(f"w0:{k_labels}", real=True)
    lse = sp.log(sum(sp.exp(t) for t in z))
    lse2 = sp.log(sum(sp.exp(t) for t in w))
    p = [sp.exp(t - lse) for t in z]
    kl = sum(p[l] * ((z[l] - lse) - (w[l] - lse2)) for l in range(k_labels))
    d = [z[l] - z[0] for l in range(k_labels)]
    d2 = [w[l] - w[0] for l in range(k_labels)]
    s = sum(sp.exp(d[l]) for l in range(1, k_labels))
    s2 = sum(sp.exp(d2[l]) for l in range(1, k_labels))
    rhs = sum(p[l] * (d[l] - d2[l]) for l in range(1, k_labels)) + sp.log(1 + s2) - sp.log(1 + s)
    # log(1+S) = LSE(z) − z_0 exactly; substitute it, then the residual is a rational identity in p
    rhs = rhs.subs({sp.log(1 + s2): lse2 - w[0], sp.log(1 + s): lse - z[0]})
    residual = sp.expand(kl - rhs)
    residual = sp.simplify(residual.subs(sum(p[1:]), 1 - p[0]))
    return residual, {"z": z, "w": w, "kl": kl, "rhs_unsubstituted": rhs}


def margin_monotone() -> dict[str, sp.Expr]:
    """Step 4: ``h(φ) = cos φ − cos(α − φ)`` has ``h' = −sin φ − sin(α − φ)`` (≤ 0 on ``[0, α]`` for
    ``α ≤ π``) and ``h(α/2) = 0``; so on ``0 ≤ φ ≤ φ_max < α/2``, ``h(φ) ≥ h(φ_max) > 0``."""
    phi, alpha = sp.symbols("phi alpha", real=True)
    h = sp.cos(phi) - sp.cos(alpha - phi)
    hp = sp.diff(h, phi)
    return {
        "h": h,
        "derivative_residual": sp.simplify(hp - (-sp.sin(phi) - sp.sin(alpha - phi))),
        "midpoint_value": sp.simplify(h.subs(phi, alpha / 2)),
        # −sin φ − sin(α−φ) = −2 sin(α/2) cos(φ − α/2): ≤ 0 when |φ − α/2| ≤ π/2
        "product_form_residual": sp.simplify(sp.expand_trig(hp + 2 * sp.sin(alpha / 2) * sp.cos(phi - alpha / 2))),
    }


def kl_bound_expr(exponent_factor: int | sp.Expr = 1) -> sp.Expr:
    """``B(ρ) = (K−1) e^{−c ρΔ}(1 + 2ρ r_max)`` (``c = 1`` is the derived bound)."""
    return (K - 1) * sp.exp(-sp.sympify(exponent_factor) * rho * delta) * (1 + 2 * rho * r_max)


def tangent_inequality() -> dict[str, sp.Expr]:
    """``u ≤ e^{u−1}`` (tangent of the convex ``e^{u−1}`` at ``u = 1``), hence
    ``1 + cu ≤ (1 + c/e) e^u`` for ``u ≥ 0``: the gap ``q(u) = e^{u−1} − u`` has ``q(1) = 0``,
    ``q'(1) = 0``, ``q'' = e^{u−1} > 0``."""
    q = sp.exp(u - 1) - u
    gap = (1 + c / sp.E) * sp.exp(u) - (1 + c * u)
    return {
        "q_at_1": q.subs(u, 1),
        "dq_at_1": sp.diff(q, u).subs(u, 1),
        "d2q": sp.diff(q, u, 2),
        # gap = 1·(e^u − 1) + c·q(u)·e^{…}: expressed through q to show it is ≥ 0
        "gap_decomposition_residual": sp.simplify(gap - ((sp.exp(u) - 1) + c * q)),
    }


def rho_eps_log() -> tuple[sp.Expr, sp.Expr]:
    """``ρ(ε) = (2/Δ) log((K−1)(1 + 4r_max/(eΔ))/ε)`` and the residual ``A(ρ(ε)) − ε``, where
    ``A(ρ) = (K−1)(1 + 4 r_max/(eΔ)) e^{−ρΔ/2} ≥ B(ρ)`` (tangent inequality with ``u = ρΔ/2``,
    ``c = 4 r_max/Δ``)."""
    r_eps = 2 / delta * sp.log((K - 1) * (1 + 4 * r_max / (sp.E * delta)) / eps)
    majorant = (K - 1) * (1 + 4 * r_max / (sp.E * delta)) * sp.exp(-rho * delta / 2)
    return r_eps, sp.simplify(sp.expand_log(majorant.subs(rho, r_eps), force=True) - eps)


def rho_eps_lambert() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """``ρ*(ε)``: the largest root of ``B(ρ) = ε``, ``b = Δ/(2r_max)``,
    ``t = −W_{−1}(−b ε e^{−b}/(K−1))/b``, ``ρ* = (t − 1)/(2 r_max)``.

    Returns ``(ρ*, B(ρ*) − ε`` after ``e^{−W(z)} = W(z)/z``, the branch argument ``z``)."""
    b = delta / (2 * r_max)
    z = -b * eps * sp.exp(-b) / (K - 1)
    w = sp.LambertW(z, -1)
    t = -w / b
    r_star = (t - 1) / (2 * r_max)
    value = kl_bound_expr().subs(rho, r_star)
    wsym = sp.Symbol("W", negative=True)
    value = sp.powsimp(sp.expand(value.subs(w, wsym)), combine="exp").subs(sp.exp(wsym), z / wsym)
    return r_star, sp.simplify(value - eps), z


def standardise_scale(n: int = 3) -> sp.Expr:
    """``standardise(s·v) − standardise(v)`` for a symbolic sample ``v`` of size n and ``s > 0``
    (must be the zero vector): the standardisation cancels ``ρ``, so ``d_SVD(ρLᵀf, ρL'ᵀf')``
    and ``d_SVD(ρNᵀg, ρN'ᵀg')`` do not depend on ρ."""
    s = sp.Symbol("s", positive=True)
    v = sp.Matrix(sp.symbols(f"v0:{n}", real=True))

    def std(x: sp.Matrix) -> sp.Matrix:
        m = sum(x) / n
        var = sum((xi - m) ** 2 for xi in x) / n
        return (x - sp.ones(n, 1) * m) / sp.sqrt(var)

    return sp.simplify(std(s * v) - std(v))


def _omega_poly(exponents: list[int], K: int) -> sp.Poly:
    """``Σ ω^{e}`` as a polynomial in ``x = ω`` reduced modulo the cyclotomic polynomial ``Φ_K``."""
    x = sp.Symbol("x")
    poly = sp.Poly(sum(x ** (e % K) for e in exponents), x)
    return poly.rem(sp.Poly(sp.cyclotomic_poly(K, x), x))


def root_sums(perm: tuple[int, ...]) -> dict[str, Any]:
    """``Σ_k e^{i(θ_k ∓ θ_{σ(k)})}``, ``θ_k = 2πk/K``, exactly in ``Q(ω)``: reduced polynomials
    (zero iff the sum vanishes) and the closed sympy sums for a numeric cross-check."""
    k_labels = len(perm)
    minus = _omega_poly([k - perm[k] for k in range(k_labels)], k_labels)
    plus = _omega_poly([k + perm[k] for k in range(k_labels)], k_labels)
    th = [2 * sp.pi * sp.Rational(k, k_labels) for k in range(k_labels)]
    return {
        "minus": minus,
        "plus": plus,
        "minus_expr": sum(sp.exp(sp.I * (th[k] - th[perm[k]])) for k in range(k_labels)),
        "plus_expr": sum(sp.exp(sp.I * (th[k] + th[perm[k]])) for k in range(k_labels)),
    }


def cross_moment(perm: tuple[int, ...]) -> tuple[sp.Matrix, sp.Matrix]:
    """``E_k[u(θ_k) u(θ_{σ(k)})ᵀ]`` and ``E_k[u(θ_k)]`` with entries reduced exactly in ``Q(ω)``
    (cos and sin as ``(ω^a ± ω^{−a})/2``, ``/2i``); zero matrices mean the jitter-free
    embeddings are exactly uncorrelated, hence ``Cov(f, f') = 0`` for the grid construction."""
    k_labels = len(perm)
    x = sp.Symbol("x")
    phi = sp.cyclotomic_poly(k_labels, x)

    def cs(a: int) -> tuple[sp.Expr, sp.Expr]:
        e1, e2 = x ** (a % k_labels), x ** ((-a) % k_labels)
        return (e1 + e2) / 2, (e1 - e2) / (2 * sp.I)

    def reduce(expr: sp.Expr) -> sp.Expr:
        num = sp.expand(expr * 4 * k_labels)
        return sp.expand(sp.rem(num, phi, x)) / (4 * k_labels)

    cross = sp.zeros(2, 2)
    mean = sp.zeros(2, 1)
    for k in range(k_labels):
        a, b = cs(k), cs(perm[k])
        for i in range(2):
            mean[i] += a[i]
            for j in range(2):
                cross[i, j] += a[i] * b[j]
    return cross.applyfunc(lambda e: reduce(e / k_labels)), mean.applyfunc(lambda e: reduce(e / k_labels))


def vanishing_affine_maps(k_labels: int) -> list[tuple[int, int]]:
    """All ``(a, b)`` with ``σ(k) = ak + b mod K`` a permutation for which both sums vanish."""
    from math import gcd

    out = []
    for a in range(k_labels):
        if gcd(a, k_labels) != 1:
            continue
        for b in range(k_labels):
            perm = tuple((a * k + b) % k_labels for k in range(k_labels))
            r = root_sums(perm)
            if r["minus"].is_zero and r["plus"].is_zero:
                out.append((a, b))
    return out


def limits_to_zero() -> dict[str, sp.Expr]:
    """Corollary 3.2 and Theorem 3.1 as ``ρ → ∞`` (for fixed ``Δ > 0``): the NLL bound
    ``(K−1)e^{−ρΔ}`` and the KL bound both tend to 0."""
    kk = sp.Integer(7)
    return {
        "nll_bound": sp.limit((kk - 1) * sp.exp(-rho * delta), rho, sp.oo),
        "kl_bound": sp.limit(kl_bound_expr().subs(K, kk), rho, sp.oo),
        "nll_le_tail_gap": sp.simplify(sp.diff(u - sp.log(1 + u), u) - u / (1 + u)),
    }
