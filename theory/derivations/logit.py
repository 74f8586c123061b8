"""The follow-up paper's results derived with sympy: every function returns residuals that must
vanish, certificates that must be manifestly non-negative, or exact values a check inspects;
nothing here decides a verdict.

1. Centred logits are the clr transform of ``p``: ``log softmax(z) − mean = z − mean z``, and
   ``softmax(clr p) = p`` (:func:`clr_identities`).
2. The moment form: for one input, ``Σ_y (f₁ᵀĝ₁(y) − f₂ᵀĝ₂(y))² = f₁ᵀĜ₁ᵀĜ₁f₁ + f₂ᵀĜ₂ᵀĜ₂f₂ −
   2 f₁ᵀĜ₁ᵀĜ₂f₂``; the mean over x turns each term into a trace against a second moment
   (:func:`moment_identity`).
3. The bound's middle step in whitened coordinates: with ``Σ_tt = RRᵀ``, ``Σ_ss = SSᵀ``,
   ``C = R⁻¹Σ_tsS⁻ᵀ``, ``W = ĜR``: ``Ĝ Σ_ts Σ_ss⁻¹ Σ_st Ĝᵀ = W C Cᵀ Wᵀ``, so the residual of the best
   linear prediction of ``l_t`` from ``f_s`` is ``tr(WᵀW (I − CCᵀ))`` (:func:`whitening_identity`);
   its eigenvalues are ``λ`` and ``1 − ρ²``, and ``tr(PQ) ≥ Σ λ↓(P) λ↑(Q)`` for positive
   semi-definite P, Q (a rearrangement inequality; Ruhe 1970) gives ``Σ λ↓(1 − ρ↓²)``.  For 2×2 the
   rearrangement has the certificate ``(p₁ − p₂)(q₁ − q₂)cos²θ`` (:func:`rearrangement_2x2`).
4. ``d_rep`` from ``d_logit``: ``L₁(f₁ − Af₂) = L₁f₁ − L₂f₂ = J·(l₁ − l₂)`` with ``J = [I, −1]``
   (rows y ∈ S minus the pivot row) acting on the centred logits, and ``‖J‖₂² = M + 1``
   (:func:`rep_identity`, :func:`difference_norm`), so each term is at most
   ``(M+1)‖L₁⁻¹‖₂² Σ_y (l₁ − l₂)²``.
5. KL and the logit distance with every probability at least τ: ``KL(p‖p') = Σ_y p'_y φ(δ_y)`` with
   ``δ = log p − log p'`` and ``φ(δ) = 1 + e^δ(δ − 1)``; ``φ(δ)/δ² = ∫₀¹ s e^{sδ} ds`` increases
   with δ (:func:`kl_tau_identities`), and ``δ ≥ log τ``, so ``KL ≥ τ ψ(log τ) Σ δ²``.
6. Scale: ``(δf₁, g₁), (δf₂, g₂)`` have ``d_logit`` scaled by δ while every standardised quantity
   (so ``d_{f,g}``) is unchanged (:func:`scale_identities`).
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "clr_identities",
    "moment_identity",
    "whitening_identity",
    "rearrangement_2x2",
    "rep_identity",
    "difference_norm",
    "kl_tau_identities",
    "kl_tau_constant",
    "scale_identities",
]


def clr_identities(k: int = 4) -> dict[str, sp.Expr]:
    """Residuals (must be 0) for K = ``k`` symbolic logits: centred log-softmax minus centred logits,
    and ``softmax(clr) − softmax(z)`` (clr is injective on conditionals)."""
    z = sp.symbols(f"z0:{k}", real=True)
    lse = sp.log(sum(sp.exp(v) for v in z))
    ell = [v - lse for v in z]
    clr = [e - sum(ell) / k for e in ell]
    centred = [v - sum(z) / k for v in z]
    p = [sp.exp(v) / sum(sp.exp(u) for u in z) for v in z]
    back = [sp.exp(c) / sum(sp.exp(u) for u in centred) for c in centred]  # softmax of the clr, by the first
    return {
        "clr(log p) = centred logits": sp.expand(sum((a - b) ** 2 for a, b in zip(clr, centred, strict=True))),
        "softmax(clr p) = p": sum(abs(sp.cancel(sp.powsimp(sp.expand(a - b)))) for a, b in zip(back, p, strict=True)),
    }


def moment_identity(m: int = 2, k: int = 3) -> sp.Expr:
    """For one input, the direct form minus the trace form (must expand to 0), with symbolic f₁, f₂
    (M = ``m``) and unembeddings ``G₁, G₂`` (K = ``k``), centred symbolically."""
    f1, f2 = sp.Matrix(sp.symbols(f"a0:{m}", real=True)), sp.Matrix(sp.symbols(f"b0:{m}", real=True))
    g1 = sp.Matrix(k, m, sp.symbols(f"g0:{k * m}", real=True))
    g2 = sp.Matrix(k, m, sp.symbols(f"h0:{k * m}", real=True))
    ones = sp.ones(k, 1)
    h1, h2 = g1 - ones * (ones.T * g1) / k, g2 - ones * (ones.T * g2) / k
    direct = sum((((h1 * f1) - (h2 * f2))[y]) ** 2 for y in range(k))
    s11, s22, s21 = f1 * f1.T, f2 * f2.T, f2 * f1.T
    trace = (h1.T * h1 * s11).trace() + (h2.T * h2 * s22).trace() - 2 * (h1.T * h2 * s21).trace()
    return sp.expand(direct - trace)


def whitening_identity(seed: int = 0, m: int = 2, k: int = 4) -> sp.Matrix:
    """``Ĝ Σ_ts Σ_ss⁻¹ Σ_st Ĝᵀ − W C Cᵀ Wᵀ`` on exact rational random matrices (must be the zero
    matrix), with ``R``, ``S`` lower-triangular Cholesky-like factors."""
    import random

    rnd = random.Random(seed)

    def rational(rows: int, cols: int, lower: bool = False) -> sp.Matrix:
        out = sp.Matrix(rows, cols, lambda i, j: sp.Rational(rnd.randint(-9, 9), rnd.randint(1, 5)))
        if lower:
            out = sp.Matrix(rows, cols, lambda i, j: (abs(out[i, j]) + 1 if i == j else out[i, j]) if i >= j else 0)
        return out

    g, r, s, sts = rational(k, m), rational(m, m, True), rational(m, m, True), rational(m, m)
    c = r.inv() * sts * s.T.inv()
    w = g * r
    return sp.simplify(g * sts * (s * s.T).inv() * sts.T * g.T - w * c * c.T * w.T)


def rearrangement_2x2() -> tuple[sp.Expr, sp.Expr]:
    """``tr(PQ) − (p₁q₂ + p₂q₁)`` for ``P = diag(p₁, p₂)``, ``Q = U diag(q₁, q₂) Uᵀ`` (U a rotation by θ):
    returns (the residual minus the certificate, which must simplify to 0; the certificate
    ``(p₁ − p₂)(q₁ − q₂)cos²θ``, non-negative for ``p₁ ≥ p₂``, ``q₁ ≥ q₂``)."""
    p1, p2, q1, q2, t = sp.symbols("p1 p2 q1 q2 theta", real=True)
    u = sp.Matrix([[sp.cos(t), -sp.sin(t)], [sp.sin(t), sp.cos(t)]])
    q = u * sp.diag(q1, q2) * u.T
    residual = (sp.diag(p1, p2) * q).trace() - (p1 * q2 + p2 * q1)
    certificate = (p1 - p2) * (q1 - q2) * sp.cos(t) ** 2
    return sp.simplify(sp.expand_trig(residual - certificate)), certificate


def rep_identity(m: int = 2, k: int = 3) -> sp.Matrix:
    """``L₁(f₁ − A f₂) − J(l₁ − l₂)`` with ``A = L₁⁻¹L₂``, pivot label 0, S = labels 1..M, symbolic
    entries (must simplify to the zero vector): the centring cancels in L and in J's differences."""
    f1, f2 = sp.Matrix(sp.symbols(f"a0:{m}", real=True)), sp.Matrix(sp.symbols(f"b0:{m}", real=True))
    g1 = sp.Matrix(k, m, sp.symbols(f"g0:{k * m}", real=True))
    g2 = sp.Matrix(k, m, sp.symbols(f"h0:{k * m}", real=True))
    ones = sp.ones(k, 1)
    h1, h2 = g1 - ones * (ones.T * g1) / k, g2 - ones * (ones.T * g2) / k
    l1 = sp.Matrix([h1[y, :] - h1[0, :] for y in range(1, m + 1)])
    l2 = sp.Matrix([h2[y, :] - h2[0, :] for y in range(1, m + 1)])
    a = l1.inv() * l2
    diff = h1 * f1 - h2 * f2
    jd = sp.Matrix([diff[y] - diff[0] for y in range(1, m + 1)])
    return (l1 * (f1 - a * f2) - jd).applyfunc(sp.cancel)


def difference_norm(m: int, constant: sp.Expr | None = None) -> tuple[sp.Expr, sp.Expr]:
    """``‖J‖₂²`` for ``J = [I_M, −1]`` (the largest eigenvalue of ``JᵀJ``) and its difference from
    ``constant`` (default ``M + 1``; must be 0)."""
    j = sp.Matrix.hstack(sp.eye(m), -sp.ones(m, 1))
    top = max((j.T * j).eigenvals())
    return top, sp.simplify(top - (m + 1 if constant is None else constant))


def kl_tau_identities() -> dict[str, sp.Expr]:
    """Residuals (must be 0): ``KL(p‖p') = Σ p' φ(δ)`` per label with ``p = p'e^δ`` (up to the term
    ``p' − p`` that sums to 0 over labels), ``φ(δ)/δ² = ∫₀¹ s e^{sδ} ds``, and ``d/dδ`` of that
    integral ``= ∫₀¹ s² e^{sδ} ds`` (positive, so ψ increases)."""
    d = sp.Symbol("delta", real=True, nonzero=True)
    s, q = sp.symbols("s q", positive=True)
    phi = 1 + sp.exp(d) * (d - 1)
    # antiderivatives in s, checked by differentiation, then evaluated between 0 and 1
    big_f = sp.exp(s * d) * (s * d - 1) / d**2
    big_g = sp.exp(s * d) * (s**2 * d**2 - 2 * s * d + 2) / d**3
    p = q * sp.exp(d)
    return {
        "p log(p/p') + p' − p = p' φ(δ)": sp.expand(sp.expand_log(p * sp.log(p / q)) + q - p - q * phi),
        "d/ds F = s e^{sδ}": sp.cancel(sp.expand(sp.diff(big_f, s) - s * sp.exp(s * d))),
        "φ(δ)/δ² = F(1) − F(0)": sp.cancel(sp.expand(big_f.subs(s, 1) - big_f.subs(s, 0) - phi / d**2)),
        "d/ds G = s² e^{sδ}": sp.cancel(sp.expand(sp.diff(big_g, s) - s**2 * sp.exp(s * d))),
        "ψ' = G(1) − G(0)": sp.cancel(sp.expand(sp.diff(phi / d**2, d) - (big_g.subs(s, 1) - big_g.subs(s, 0)))),
    }


def kl_tau_constant(tau: sp.Expr) -> dict[str, sp.Expr]:
    """The constants C with ``d²_logit ≤ C·d_KL`` when every probability is ≥ τ: ``1/τ²`` (log is
    1/τ-Lipschitz on [τ, 1], ``‖v‖₂² ≤ ‖v‖₁²/2`` for ``Σv = 0``, Pinsker ``‖v‖₁² ≤ 2KL``) and the sharper
    ``log²τ / (τ(1 − τ + τ log τ))`` (``KL ≥ τ ψ(log τ) Σδ²``)."""
    return {"lipschitz": 1 / tau**2, "sharp": sp.log(tau) ** 2 / (tau * (1 - tau + tau * sp.log(tau)))}


def scale_identities() -> dict[str, sp.Expr]:
    """Residuals (must be 0): the centred logit difference of the scaled pair is δ times the
    original; a standardised coordinate ``(δu − E δu)/SD(δu)`` equals ``(u − Eu)/SD(u)`` for δ > 0
    (on three symbolic points)."""
    dl, a, b = sp.symbols("delta a b", positive=True)
    u = sp.symbols("u0:3", real=True)
    mean = sum(u) / 3
    var = sum((v - mean) ** 2 for v in u) / 3
    su = [(dl * v - dl * mean) / sp.sqrt(dl**2 * var) for v in u]
    s1 = [(v - mean) / sp.sqrt(var) for v in u]
    return {
        "logit difference scales by δ": sp.expand(dl * a - dl * b - dl * (a - b)),
        "standardisation is scale invariant": sp.simplify(sum(x - y for x, y in zip(su, s1, strict=True))),
    }
