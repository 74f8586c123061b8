"""Section 3 derived with sympy: the KL bound, ``ρ(ε)``, scale invariance, the root-of-unity sums,
the exact uncorrelatedness of the grid construction, and Corollary 3.2.  Every function returns
sympy expressions that must vanish (residuals), certificates that must be manifestly nonnegative,
or the exact objects a check inspects; nothing here decides a verdict.

Derivation of the KL bound (one input x of true class k; ``d_l = z_l − z_k`` and ``d'_l`` the
logit gaps of the two models, ``S = Σ_{l≠k} e^{d_l}``, ``S'`` likewise):

1. ``KL(p‖p')(x) = Σ_{l≠k} p_l (d_l − d'_l) + log(1 + S') − log(1 + S)``          (:func:`kl_identity`)
2. ``log(1+S') ≤ S'``, ``−log(1+S) ≤ 0``, ``p_l = e^{d_l}/(1+S) ≤ e^{d_l}``;      (:func:`kl_inequality_steps`)
3. ``d_l − d'_l ≤ −d'_l = ρ r (cos φ' − cos ψ') ≤ 2ρ r_max`` (as ``d_l ≤ 0``);    (:func:`kl_inequality_steps`)
4. ``−d_l = ρ r h(φ)``, ``h(φ) = cos φ − cos(α − φ) = 2 sin(α/2) sin(α/2 − φ)`` with ``α = α_{kl}``
   (a label at ``θ_k − α`` is the case ``φ ↦ −φ``); for ``|φ| ≤ φ_max < α/2 ≤ π/2``,
   ``h(φ) ≥ h(φ_max) > 0``, and ``h_α(φ_max)`` grows with ``α``, so
   ``−d_l ≥ ρ r_min (cos φ_max − cos(α_{kl} − φ_max)) = ρ δ_{kl} ≥ ρΔ``           (:func:`margin_monotone`)
so ``KL(x) ≤ S' + 2ρ r_max S ≤ (K−1)e^{−ρΔ}(1 + 2ρ r_max)`` with ``Δ = min δ_{kl}``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import sympy as sp
from sympy.calculus.util import function_range

from theory.errors import ClosenessError

__all__ = [
    "kl_identity",
    "kl_inequality_steps",
    "margin_monotone",
    "polytope_vertices",
    "linear_range",
    "kl_bound_expr",
    "kl_upper",
    "margin_expr",
    "rho_eps_log",
    "rho_eps_lambert",
    "tangent_inequality",
    "standardise_scale",
    "root_sums",
    "grid_moments",
    "vanishing_affine_maps",
    "limits_to_zero",
]

rho, delta, r_max, eps, u, c = sp.symbols("rho Delta r_max epsilon u c", positive=True)
K = sp.Symbol("K", integer=True, positive=True)


def _res(raw: sp.Expr, reduce: Callable[[sp.Expr], sp.Expr]) -> tuple[sp.Expr, sp.Expr]:
    """A residual as ``(raw difference, its reduced form)``: the reduced form must be exactly 0,
    the raw one is what a numeric cross-check evaluates."""
    return raw, reduce(raw)


def _trig_zero(e: sp.Expr) -> sp.Expr:
    """A trigonometric expression through ``e^{iθ}``, expanded: identically zero iff it returns 0."""
    return sp.expand(sp.powsimp(sp.expand(e.rewrite(sp.exp))))


def _exp_zero(e: sp.Expr, logits: tuple[sp.Symbol, ...]) -> sp.Expr:
    """An expression in ``e^{z_i}`` as a rational function of ``X_i = e^{z_i}``, cancelled."""
    xs = sp.symbols(f"X0:{len(logits)}", positive=True)
    e = sp.expand(e, power_exp=True).subs({sp.exp(t): x for t, x in zip(logits, xs, strict=True)})
    return sp.cancel(e.subs({sp.exp(-t): 1 / x for t, x in zip(logits, xs, strict=True)}))


def kl_identity(k_labels: int = 4) -> tuple[sp.Expr, dict[str, Any]]:
    """Step 1 for ``k_labels`` labels (true class 0), as a residual that must be identically 0.

    Logits are free real symbols; the residual is ``KL − (Σ p_l(d_l − d'_l) + log(1+S') − log(1+S))``
    after ``log(1+S) = LSE(z) − z_0``.  Also returned: the symbols, ``KL`` as defined, and the
    right-hand side *before* that substitution (``rhs``, with ``log(1+S)`` literal) for an
    independent numeric cross-check.
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
    substituted = rhs.subs({sp.log(1 + s2): lse2 - w[0], sp.log(1 + s): lse - z[0]})
    residual = sp.expand(kl - substituted)
    residual = sp.simplify(residual.subs(sum(p[1:]), 1 - p[0]))
    return residual, {"z": z, "w": w, "kl": kl, "rhs": rhs}


def kl_inequality_steps(k_labels: int = 3, tail_factor: int | sp.Expr = 2) -> dict[str, dict[str, Any]]:
    """Steps 2–3 and their assembly, each as residuals ``(raw, reduced)`` (the reduced one must be 0) and
    certificates (must be manifestly nonnegative under the symbols' assumptions).

    * ``log(1+S') ≤ S'``: ``G(s) = s − log(1+s)`` has ``G(0) = 0``, ``G'(s) = s/(1+s) ≥ 0``;
    * ``log(1+S) ≥ 0``: ``log(1+0) = 0``, ``(log(1+s))' = 1/(1+s) ≥ 0``;
    * ``p_l ≤ e^{d_l}``: ``p_l = e^{d_l}/(1+S)`` (softmax of the logits) and
      ``e^{d_l} − p_l = e^{d_l} S/(1+S)``;
    * ``d_l − d'_l ≤ 2ρ r_max``: model 2's gap from the dot products ``⟨r u(β+φ'), ρ u(γ)⟩``,
      and ``2ρ r_max − (d_l − d'_l) = μ + 2ρ(r_max − r) + 2ρr sin²(φ'/2) + 2ρr cos²(ψ/2)``
      with ``μ = −d_l ≥ 0`` (step 4), ``ψ = β + φ' − γ``;
    * assembly: ``S' + 2ρ r_max S − KL = Σ_l [p_l·C_l + 2ρ r_max e^{d_l}S/(1+S)] + G(S') + log(1+S)``
      with ``C_l`` the step-3 certificate of label l and the other brackets the certificates and
      functions of step 2, so the identity ties the constant ``2ρ r_max`` to step 3 and every
      bracket is nonnegative by the steps above; ``r_max = r + s_r``, ``d'_l`` from the dot products.

    ``tail_factor`` (2 in the derivation) is the constant ``tail_factor·ρ r_max`` of the assembly
    (step 3 always states its true form): any other value is a false variant whose assembly
    residual does not vanish.
    """
    s = sp.Symbol("s", nonnegative=True)
    steps: dict[str, dict[str, Any]] = {}
    g = s - sp.log(1 + s)
    steps["log(1+S') <= S'"] = {
        "residuals": {"G(0)": _res(g.subs(s, 0), sp.cancel),
                      "G' - s/(1+s)": _res(sp.diff(g, s) - s / (1 + s), sp.cancel)},
        "certificates": {"s/(1+s)": s / (1 + s)}}
    lg = sp.log(1 + s)
    steps["log(1+S) >= 0"] = {
        "residuals": {"log(1+0)": _res(lg.subs(s, 0), sp.cancel),
                      "log' - 1/(1+s)": _res(sp.diff(lg, s) - 1 / (1 + s), sp.cancel)},
        "certificates": {"1/(1+s)": 1 / (1 + s)}}
    z = sp.symbols(f"z0:{k_labels}", real=True)
    big_s = sum(sp.exp(z[l] - z[0]) for l in range(1, k_labels))
    p1 = sp.exp(z[1]) / sum(sp.exp(t) for t in z)
    e1 = sp.exp(z[1] - z[0])
    in_x = partial(_exp_zero, logits=z)

    def step2_certificate(e: sp.Expr, tail: sp.Expr) -> sp.Expr:
        """``e^{d_l} − p_l = e^{d_l} S/(1+S)``."""
        return e * tail / (1 + tail)

    steps["p_l <= e^{d_l}"] = {
        "residuals": {"p_l - e^{d_l}/(1+S)": _res(p1 - e1 / (1 + big_s), in_x),
                      "gap - e^{d_l} S/(1+S)": _res((e1 - e1 / (1 + big_s)) - step2_certificate(e1, big_s), in_x)},
        "certificates": {"e^{d_l} S/(1+S)": step2_certificate(e1, big_s)}}
    rr, rh, ds = sp.symbols("r rho s_r", positive=True)
    mu = sp.Symbol("mu", nonnegative=True)
    beta, gamma, ph = sp.symbols("beta gamma phi", real=True)
    rm = r_max  # r_max = r + s_r: the identities below substitute it

    def gap_of_model2(gam: sp.Expr) -> sp.Expr:
        """``d'_l = z'_l − z'_k`` from the dot products ``⟨r u(β+φ'), ρ u(γ)⟩ − ⟨r u(β+φ'), ρ u(β)⟩``."""
        f2 = sp.Matrix([rr * sp.cos(beta + ph), rr * sp.sin(beta + ph)])
        zl, zk = (f2.dot(rh * sp.Matrix([sp.cos(a), sp.sin(a)])) for a in (gam, beta))
        return zl - zk

    def step3_certificate(m: sp.Expr, gam: sp.Expr) -> sp.Expr:
        """``μ + 2ρ s_r + 2ρ r sin²(φ'/2) + 2ρ r cos²(ψ/2)``, ``ψ = β + φ' − γ``."""
        psi = beta + ph - gam
        return m + 2 * rh * ds + 2 * rh * rr * sp.sin(ph / 2) ** 2 + 2 * rh * rr * sp.cos(psi / 2) ** 2

    d2 = gap_of_model2(gamma)
    psi = beta + ph - gamma
    cert = step3_certificate(mu, gamma)
    gap = (2 * rh * rm - (-mu - d2)).subs(rm, rr + ds)  # d_l = −μ
    steps["d_l - d'_l <= 2 rho r_max"] = {
        "residuals": {"d'_l - rho r (cos psi - cos phi')": _res(d2 - rh * rr * (sp.cos(psi) - sp.cos(ph)), _trig_zero),
                      "gap - certificate": _res(gap - cert, _trig_zero)},
        "certificates": {"mu + 2rho s_r + 2rho r sin^2(phi'/2) + 2rho r cos^2(psi/2)": cert}}
    # assembly over the labels l = 1..K-1 of one input, every bracket built from a step above:
    # the exponentials e^{d_l} = X_l, e^{d'_l} = Y_l enter only through S, S' and p_l = X_l/(1+S)
    labels = range(1, k_labels)
    mus = sp.symbols(f"mu1:{k_labels}", nonnegative=True)
    gammas = sp.symbols(f"gamma1:{k_labels}", real=True)
    xs = sp.symbols(f"X1:{k_labels}", positive=True)
    ys = sp.symbols(f"Y1:{k_labels}", positive=True)
    s1, s2 = sum(xs), sum(ys)
    ps = [x / (1 + s1) for x in xs]
    dl = [-m for m in mus]
    dl2 = [gap_of_model2(gm) for gm in gammas]
    kl = sum(pl * (a - b) for pl, a, b in zip(ps, dl, dl2, strict=True)) + sp.log(1 + s2) - sp.log(1 + s1)
    bracket_step3 = [pl * step3_certificate(m, gm) for pl, m, gm in zip(ps, mus, gammas, strict=True)]
    bracket_step2 = [tail_factor * rh * rm * step2_certificate(x, s1) for x in xs]
    brackets = sum(bracket_step3) + sum(bracket_step2) + g.subs(s, s2) + lg.subs(s, s1)
    upper = kl_upper(s1, s2, tail_factor)

    def reduce_assembly(e: sp.Expr) -> sp.Expr:
        """The numerator over the common denominator ``1 + S``, through ``e^{iθ}``, expanded."""
        return _trig_zero(sp.numer(sp.together(sp.expand(e))))

    steps["KL <= S' + 2 rho r_max S"] = {
        "residuals": {"assembly": _res((upper - kl - brackets).subs(rm, rr + ds), reduce_assembly)},
        "certificates": {"p_l * step-3 certificate": bracket_step3[0],
                         "2 rho r_max * step-2 certificate": bracket_step2[0]},
        "labels": list(labels)}
    return steps


HALF = sp.Rational(1, 2)


def margin_monotone(alpha_max: sp.Expr = sp.pi, jitter_ratio: sp.Expr = HALF) -> dict[str, Any]:
    """Step 4 for jitter of either sign: with ``0 < α ≤ alpha_max``, ``0 ≤ φ_max < jitter_ratio·α``,
    ``|φ| ≤ φ_max`` (the theorem: ``alpha_max = π``, ``jitter_ratio = 1/2``):

    * the gap from the dot products: ``z_l − z_k = −ρ r h(φ)``, ``h(φ) = cos φ − cos(α − φ)``;
    * ``h(φ) = 2 sin(α/2) sin(α/2 − φ)``;
    * ``h(φ) − h(φ_max) = 4 sin(α/2) cos((α − φ − φ_max)/2) sin((φ_max − φ)/2)``;
    * ``∂_α h_α(φ_max) = sin(α − φ_max)`` (``Δ`` uses the smallest gap);
    * ``ρ r h(φ) − ρ r_min h(φ_max) = ρ(r − r_min) h(φ) + ρ r_min (h(φ) − h(φ_max))``.

    ``sign_factors`` lists each sine/cosine factor with its linear argument; on the polytope
    ``domain`` (``expr ≥ 0`` constraints in ``variables``) every sine argument must lie in
    ``[0, π]`` and every cosine argument in ``[−π/2, π/2]`` (checked at the vertices).
    """
    phi, alpha, pmax = sp.symbols("phi alpha phi_max", real=True)
    rr, rh, rmin = sp.symbols("r rho r_min", positive=True)
    theta = sp.Symbol("theta", real=True)
    h = sp.cos(phi) - sp.cos(alpha - phi)
    hmax = h.subs(phi, pmax)
    f = sp.Matrix([rr * sp.cos(theta + phi), rr * sp.sin(theta + phi)])
    zl, zk = (f.dot(rh * sp.Matrix([sp.cos(a), sp.sin(a)])) for a in (theta + alpha, theta))

    residuals = {
        "z_l - z_k + rho r h(phi)": _res(zl - zk + rh * rr * h, _trig_zero),
        "h - 2 sin(a/2) sin(a/2 - phi)": _res(h - 2 * sp.sin(alpha / 2) * sp.sin(alpha / 2 - phi), _trig_zero),
        "h(phi) - h(phi_max) - 4 sin cos sin": _res(
            h - hmax - 4 * sp.sin(alpha / 2) * sp.cos((alpha - phi - pmax) / 2) * sp.sin((pmax - phi) / 2), _trig_zero),
        "d/da h_a(phi_max) - sin(a - phi_max)": _res(sp.diff(hmax, alpha) - sp.sin(alpha - pmax), _trig_zero),
        "r step": _res(rh * rr * h - rh * rmin * hmax - (rh * (rr - rmin) * h + rh * rmin * (h - hmax)), sp.expand),
    }
    sign_factors = [
        ("sin", alpha / 2), ("sin", alpha / 2 - phi), ("sin", alpha / 2 - pmax),
        ("cos", (alpha - phi - pmax) / 2), ("sin", (pmax - phi) / 2), ("sin", alpha - pmax),
    ]
    domain = [alpha_max - alpha, pmax, jitter_ratio * alpha - pmax, pmax - phi, pmax + phi]
    return {"h": h, "residuals": residuals, "sign_factors": sign_factors, "domain": domain,
            "variables": (alpha, pmax, phi)}


def margin_in_alpha() -> dict[str, Any]:
    """The gap grows with the angle between the labels, without calculus: with
    ``h_α(φ) = cos φ − cos(α − φ)``, ``α_min ≤ α ≤ π`` and ``0 ≤ φ_max < α_min/2``,
    ``h_α(φ_max) − h_{α_min}(φ_max) = 2 sin((α + α_min)/2 − φ_max) sin((α − α_min)/2) ≥ 0``, so
    ``δ_kl ≥ Δ``; and an angle ``α > π`` is ``2π − α`` with the jitter's sign flipped,
    ``h_α(φ) = h_{2π−α}(−φ)``, inside the domain of :func:`margin_monotone` (either sign of φ).
    Same format as :func:`margin_monotone`."""
    phi, alpha, amin, pmax = sp.symbols("phi alpha alpha_min phi_max", real=True)

    def h(a: sp.Expr, f: sp.Expr) -> sp.Expr:
        return sp.cos(f) - sp.cos(a - f)

    residuals = {
        "h_a(phi_max) - h_amin(phi_max) - 2 sin sin": _res(
            h(alpha, pmax) - h(amin, pmax) - 2 * sp.sin((alpha + amin) / 2 - pmax) * sp.sin((alpha - amin) / 2),
            _trig_zero),
        "h_a(phi) - h_(2pi - a)(-phi)": _res(h(alpha, phi) - h(2 * sp.pi - alpha, -phi), _trig_zero),
    }
    sign_factors = [("sin", (alpha + amin) / 2 - pmax), ("sin", (alpha - amin) / 2)]
    domain = [sp.pi - alpha, alpha - amin, pmax, amin / 2 - pmax]
    return {"residuals": residuals, "sign_factors": sign_factors, "domain": domain, "variables": (alpha, amin, pmax)}


def margin_positive() -> dict[str, Any]:
    """``Δ > 0`` on the family, strictly (the limit of Corollary 3.2 needs it):
    ``Δ = r_min(cos φ_max − cos(α_min − φ_max)) = 2 r_min sin(α_min/2) sin(α_min/2 − φ_max)``, and with
    ``0 < α_min ≤ π``, ``0 ≤ φ_max < α_min/2`` both sine arguments lie in ``(0, π/2]``, where sympy's
    range of the sine is ``(0, 1]``."""
    amin, pmax, x = sp.symbols("alpha_min phi_max x", real=True)
    rmin = sp.Symbol("r_min", positive=True)
    delta_expr = rmin * (sp.cos(pmax) - sp.cos(amin - pmax))
    identity = _res(delta_expr - 2 * rmin * sp.sin(amin / 2) * sp.sin(amin / 2 - pmax), _trig_zero)
    half = sp.Interval.Lopen(0, sp.pi / 2)  # alpha_min/2, and alpha_min/2 - phi_max, range over it
    sine = function_range(sp.sin(x), x, half)
    return {"residuals": {"Delta - 2 r_min sin(a/2) sin(a/2 - phi_max)": identity},
            "sine on (0, pi/2]": sine, "positive": bool(sine.is_subset(sp.Interval.open(0, sp.oo)))}


def logit_as_cosine() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """The logit of the construction as a cosine: with ``f(x) = r(cos(θ+φ), sin(θ+φ))`` and the unit
    label vector ``u(a) = (cos a, sin a)`` (``g(y) = ρ u(θ_y)``), ``f(x)ᵀu(a) = r cos(θ + φ − a)``, so
    ``|f(x)ᵀg(y)| ≤ ρ r ≤ ρ r_max``: the bound on the logits the KL bound takes (``B = ρ r_max``)."""
    phi, theta, a = sp.symbols("phi theta a", real=True)
    r = sp.Symbol("r", positive=True)
    f = sp.Matrix([r * sp.cos(theta + phi), r * sp.sin(theta + phi)])
    dot = f.dot(sp.Matrix([sp.cos(a), sp.sin(a)]))
    return {"f(x)^T u(a) - r cos(theta + phi - a)": _res(dot - r * sp.cos(theta + phi - a), _trig_zero)}


def polytope_vertices(constraints: list[sp.Expr], variables: tuple[sp.Symbol, ...]) -> list[dict[sp.Symbol, sp.Expr]]:
    """Vertices of the bounded polytope ``{constraint ≥ 0 for all}`` (linear constraints), exactly:
    every choice of ``len(variables)`` active constraints with a unique feasible solution."""
    from itertools import combinations

    out: list[dict[sp.Symbol, sp.Expr]] = []
    for active in combinations(constraints, len(variables)):
        a, b = sp.linear_eq_to_matrix(list(active), list(variables))
        if a.det() == 0:
            continue
        point = dict(zip(variables, a.LUsolve(b), strict=True))
        if all(bool(sp.expand(cn.subs(point)) >= 0) for cn in constraints) and point not in out:
            out.append(point)
    return out


def linear_range(expr: sp.Expr, vertices: list[dict[sp.Symbol, sp.Expr]]) -> tuple[sp.Expr, sp.Expr]:
    """Exact ``(min, max)`` of a linear ``expr`` over the polytope with these vertices."""
    variables = list(vertices[0])
    if sp.Poly(expr, *variables).total_degree() > 1:
        raise ClosenessError(f"not linear in {variables}: {expr}")
    vals = [sp.expand(expr.subs(v)) for v in vertices]
    return min(vals, key=float), max(vals, key=float)


def kl_upper(s1: sp.Expr, s2: sp.Expr, tail_factor: int | sp.Expr = 2) -> sp.Expr:
    """The per-input upper bound ``S' + 2ρ r_max S`` of the assembly (``S``, ``S'`` the tail sums;
    ``tail_factor`` replaces the 2 in a false variant)."""
    return s2 + tail_factor * rho * r_max * s1


def margin_expr() -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """``Δ = r_min h_{2π/K}(φ_max)`` with ``h`` of :func:`margin_monotone` (step 4 at the smallest
    label gap ``α = 2π/K``), and its symbols ``K``, ``r_min``, ``phi_max``."""
    mm = margin_monotone()
    alpha, pmax, phi = mm["variables"]
    rmin = sp.Symbol("r_min", positive=True)
    return rmin * mm["h"].subs(phi, pmax).subs(alpha, 2 * sp.pi / K), {"K": K, "r_min": rmin, "phi_max": pmax}


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


def rho_eps_steps() -> dict[str, sp.Expr]:
    """The steps that make ``ρ(ε)`` and ``ρ*(ε)`` thresholds, as residuals that must vanish, with
    ``A(ρ) = (K−1)(1 + 4r_max/(eΔ)) e^{−ρΔ/2}``, ``B = kl_bound_expr()``, the peak
    ``ρ_p = 1/Δ − 1/(2r_max)`` of ``B``, ``b = Δ/(2r_max)`` and ``W = W_{−1}(…)``:

    * ``A − B = (K−1)e^{−ρΔ}·gap(u = ρΔ/2, c = 4r_max/Δ)``, and ``gap ≥ 0`` (:func:`tangent_inequality`):
      ``B ≤ A``;
    * ``A' = −(Δ/2)A``: ``A`` decreases, so ``B(ρ) ≤ A(ρ) ≤ A(ρ(ε)) = ε`` for every ``ρ ≥ ρ(ε)``;
    * ``B' = −2Δr_max(K−1)e^{−ρΔ}(ρ − ρ_p)``: ``B`` decreases beyond ``ρ_p``;
    * ``ρ* − ρ_p = −(W + 1)/(2b r_max)``, ``≥ 0`` as ``W_{−1} ≤ −1`` on its branch: with
      ``B(ρ*) = ε`` (:func:`rho_eps_lambert`), ``B < ε`` for every ``ρ > ρ*``."""
    gap = (1 + c / sp.E) * sp.exp(u) - (1 + c * u)
    majorant = (K - 1) * (1 + 4 * r_max / (sp.E * delta)) * sp.exp(-rho * delta / 2)
    bound = kl_bound_expr()
    peak = 1 / delta - 1 / (2 * r_max)
    b = delta / (2 * r_max)
    w = sp.Symbol("W", negative=True)
    r_star = (-w / b - 1) / (2 * r_max)  # rho_eps_lambert's rho* with W = W_{-1}(z)
    step = gap.subs({u: rho * delta / 2, c: 4 * r_max / delta})
    return {
        "A - B - (K-1) e^{-rho Delta} gap": sp.simplify(majorant - bound - (K - 1) * sp.exp(-rho * delta) * step),
        "A' + (Delta/2) A": sp.simplify(sp.diff(majorant, rho) + delta / 2 * majorant),
        "B' + 2 Delta r_max (K-1) e^{-rho Delta} (rho - rho_p)": sp.simplify(
            sp.diff(bound, rho) + 2 * delta * r_max * (K - 1) * sp.exp(-rho * delta) * (rho - peak)),
        "rho* - rho_p + (W + 1)/(2 b r_max)": sp.simplify(r_star - peak + (w + 1) / (2 * b * r_max)),
    }


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


def standardise_scale(n: int | sp.Symbol = 3, normalise: bool = True) -> sp.Expr:
    """``standardise(s·v) − standardise(v)`` for a symbolic sample ``v`` of size n and ``s > 0``
    (must vanish): the standardisation cancels ``ρ``, so ``d_SVD(ρLᵀf, ρL'ᵀf')`` and
    ``d_SVD(ρNᵀg, ρN'ᵀg')`` do not depend on ρ.  An integer ``n`` gives the explicit vector; a
    symbolic ``n`` (``IndexedBase``, ``Sum``) the entry ``i`` for every sample size.
    ``normalise=False`` (centring only) is a false variant."""
    s = sp.Symbol("s", positive=True)
    if isinstance(n, int):
        v = sp.Matrix(sp.symbols(f"v0:{n}", real=True))

        def std(x: sp.Matrix) -> sp.Matrix:
            m = sum(x) / n
            var = sum((xi - m) ** 2 for xi in x) / n
            return (x - sp.ones(n, 1) * m) / (sp.sqrt(var) if normalise else 1)

        return sp.simplify(std(s * v) - std(v))
    i, j = sp.symbols("i j", integer=True)
    w = sp.IndexedBase("v", real=True)

    def entry(scale: sp.Expr) -> sp.Expr:
        m = sp.Sum(scale * w[j], (j, 0, n - 1)) / n
        var = sp.Sum((scale * w[j] - m) ** 2, (j, 0, n - 1)) / n
        return (scale * w[i] - m) / (sp.sqrt(var) if normalise else 1)

    return sp.factor_terms(sp.expand(entry(s) - entry(sp.Integer(1))))


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


def grid_moments(perm: tuple[int, ...], per_class: int = 1, same_pattern: bool = True) -> dict[str, sp.Matrix]:
    """The moments behind ``Cov(f, f') = 0``, ``m_CCA = 0`` and ``d_{f,g} = 1``, exactly, for symbolic
    jitters ``φ_{k,j}`` (as ``c = cos φ``, ``s = sin φ``) and radii ``r_{k,j} > 0``, built as
    :class:`theory.counterexample.KLConstruction` does: ``f(x_{k,j}) = r_{k,j} u(θ_k + φ_{k,j})``,
    ``f'(x_{k,j}) = r_{k,j} u(θ_{σ(k)} + φ_{σ(k),j})``, ``g(y_k) = ρ u(θ_k)``, ``g'(y_k) = ρ u(θ_{σ(k)})``.

    ``same_pattern`` sets ``φ_{k,j} = φ_j``, ``r_{k,j} = r_j`` (the grid construction).  Entries are
    polynomials in ``ω = e^{2πi/K}``, ``c_j``, ``s_j``, ``r_j``, ``ρ`` reduced modulo the cyclotomic
    polynomial ``Φ_K(ω)`` (and ``s_j² = 1 − c_j²``), so a zero entry is exactly zero.  With one
    pattern, the grid's inputs split into ``m`` blocks ``{x_{k,j}: k}``, each the ``per_class = 1``
    construction with ``(φ_j, r_j)``, and every moment over all inputs is the average of the
    block moments: vanishing block moments give ``Cov(f, f') = 0`` for every ``m``.
    """
    k_labels, m = len(perm), per_class
    x, rh = sp.Symbol("x"), sp.Symbol("rho", positive=True)

    def syms(name: str, **kw: Any) -> list[list[sp.Symbol]]:
        if same_pattern:
            return [[sp.Symbol(f"{name}{j}", **kw) for j in range(m)]] * k_labels
        return [[sp.Symbol(f"{name}{k}_{j}", **kw) for j in range(m)] for k in range(k_labels)]

    cs, sn, rr = syms("c", real=True), syms("s", real=True), syms("r", positive=True)
    gens = [x, rh, *sorted({v for rows in (cs, sn, rr) for row in rows for v in row}, key=str)]
    cyclo = sp.Poly(sp.cyclotomic_poly(k_labels, x), *gens, domain="QQ_I")
    pythagoras = {sn[k][j] ** 2: 1 - cs[k][j] ** 2 for k in range(k_labels) for j in range(m)}

    def u(a: int) -> tuple[sp.Expr, sp.Expr]:
        e1, e2 = x ** (a % k_labels), x ** ((-a) % k_labels)
        return (e1 + e2) / 2, (e1 - e2) / (2 * sp.I)

    def rot(a: int, c: sp.Expr, s: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """``u(θ_a + φ)`` with ``cos φ = c``, ``sin φ = s`` (angle addition)."""
        ca, sa = u(a)
        return ca * c - sa * s, sa * c + ca * s

    def reduce(e: sp.Expr) -> sp.Expr:
        e = sp.expand(sp.expand(e).subs(pythagoras))
        return sp.Poly(e, *gens, domain="QQ_I").rem(cyclo).as_expr()

    def mean(a: list[tuple[sp.Expr, sp.Expr]]) -> sp.Matrix:
        return sp.Matrix(2, 1, lambda i, _: reduce(sum(v[i] for v in a) / len(a)))

    def second(a: list[tuple[sp.Expr, sp.Expr]], b: list[tuple[sp.Expr, sp.Expr]]) -> sp.Matrix:
        return sp.Matrix(2, 2, lambda i, j: reduce(sum(p[i] * q[j] for p, q in zip(a, b, strict=True)) / len(a)))

    f, f2 = [], []
    for k in range(k_labels):
        sk = perm[k]
        for j in range(m):
            f.append(tuple(rr[k][j] * t for t in rot(k, cs[k][j], sn[k][j])))
            f2.append(tuple(rr[k][j] * t for t in rot(sk, cs[sk][j], sn[sk][j])))
    g = [tuple(rh * t for t in u(k)) for k in range(k_labels)]
    g2 = [g[perm[k]] for k in range(k_labels)]
    half_r2 = sum(r ** 2 for row in rr for r in row) / (2 * k_labels * m)
    return {
        "E f": mean(f),
        "E f'": mean(f2),
        "E f f'^T": second(f, f2),
        "E f f^T - (E r^2/2) I": second(f, f) - reduce(half_r2) * sp.eye(2),
        "E_y g": mean(g),
        "E_y g g'^T": second(g, g2),
        "E_y g g^T - (rho^2/2) I": second(g, g) - rh ** 2 / 2 * sp.eye(2),
    }


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


def limits_to_zero(exponent_factor: int | sp.Expr = 1) -> dict[str, sp.Expr]:
    """Corollary 3.2 and Theorem 3.1 as ``ρ → ∞`` for symbolic ``K`` and fixed ``Δ > 0``: the NLL
    bound ``(K−1)e^{−cρΔ}`` and the KL bound both tend to 0 (``c = exponent_factor``, 1 in the
    derivation; a negative one is a false variant)."""
    return {
        "nll_bound": sp.limit((K - 1) * sp.exp(-exponent_factor * rho * delta), rho, sp.oo),
        "kl_bound": sp.limit(kl_bound_expr(exponent_factor), rho, sp.oo),
        "nll_le_tail_gap": sp.simplify(sp.diff(u - sp.log(1 + u), u) - u / (1 + u)),
    }
