"""Theorem 3.1, quantitative (claims ``thm3.1-kl-bound``, ``thm3.1-kl-bound-sharp``,
``thm3.1-rho-eps``): the bound on ``d_KL`` of the Section 3 family, its sharper form, and the ``ρ(ε)``
that makes it at most ``ε``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from checks.claims.sec3.common import (
    Bound,
    EPSILONS,
    _split,
    check_certificates,
    check_residuals,
    default_grid,
    default_random,
    kl_pair,
)
from checks.evidence import ball_str, certified_leq, digits_agreed, numeric_leq
from checks.registry import GENERAL, Context, Outcome, claim, instances
from theory import counterexample as cx
from theory.counterexample import (
    KLConstruction,
    kl_bound,
    margin,
    paper_random,
    rho_for_eps,
    rho_star,
)
from theory.derivations import kl as dkl
from theory.distances import (
    d_kl,
)
from theory.errors import ClosenessError
from theory.precision import MP, Arithmetic, Ball

__all__ = [
    "check_bound_matches_construction",
    "check_kl_bound",
    "check_rho_eps",
    "check_rho_eps_symbolic",
    "check_kl_bound_sharp",
]


def check_sign_factors(cert: dict[str, Any], seed: int = 0) -> Outcome:
    """Step 4 (margin, jitter of either sign): the trigonometric identities of
    :func:`theory.derivations.kl.margin_monotone` vanish, and on the parameter polytope every sine
    factor's argument stays in ``[0, π]`` and every cosine factor's in ``[−π/2, π/2]`` (exact
    ranges at the polytope's vertices); an argument leaving its range refutes."""
    parts = {"identities": _split(cert["residuals"], seed)}
    vertices = dkl.polytope_vertices(cert["domain"], cert["variables"])
    allowed = {"sin": (sp.Integer(0), sp.pi), "cos": (-sp.pi / 2, sp.pi / 2)}
    ranges, bad = {}, {}
    for kind, arg in cert["sign_factors"]:
        lo, hi = dkl.linear_range(arg, vertices)
        a, b = allowed[kind]
        key = f"{kind}({arg})"
        ranges[key] = f"[{lo}, {hi}]"
        if not (bool(sp.expand(lo - a) >= 0) and bool(sp.expand(b - hi) >= 0)):
            bad[key] = f"argument range [{lo}, {hi}] not inside [{a}, {b}]"
    parts["sign of every factor"] = (Outcome.refuted(witness=bad, ranges=ranges) if bad
                                     else Outcome.verified(ranges=ranges, vertices=[str(v) for v in vertices]))
    return Outcome.combine(parts)


def check_kl_identity_numeric(syms: dict[str, Any], seed: int, dps: int,
                              rhs: Callable[[dict[str, Any]], sp.Expr] | None = None, tol: float = 1e-20) -> Outcome:
    """Step 1 numerically, independently of its derivation: ``d_KL`` of one input computed by
    :func:`theory.distances.d_kl` (mpmath log-softmax at ``dps`` digits) against the right-hand
    side ``Σ p_l(d_l − d'_l) + log(1+S') − log(1+S)`` as written (``log(1+S)`` not substituted),
    at seeded random logits; ``syms`` as returned by :func:`theory.derivations.kl.kl_identity`;
    ``rhs`` overrides the right-hand side (a false variant)."""
    from theory.model import log_softmax

    k_labels = len(syms["z"])
    expr = syms["rhs"] if rhs is None else rhs(syms)
    rng = np.random.default_rng(seed)
    P = MP(dps)
    worst, shown = 0.0, []
    for _ in range(3):
        zs, ws = rng.normal(size=k_labels) * 3, rng.normal(size=k_labels) * 3
        with P.active():
            ell = log_softmax(np.array([[P.scalar(float(v)) for v in zs]], dtype=object), P)
            ell2 = log_softmax(np.array([[P.scalar(float(v)) for v in ws]], dtype=object), P)
            kl = d_kl(ell, ell2, P)
        vals = {s: sp.Rational(float(v)) for s, v in zip(syms["z"] + syms["w"], [*zs, *ws], strict=True)}
        right = sp.N(expr.subs(vals), dps)
        diff = abs(float(kl - P.scalar(str(right))))
        worst = max(worst, diff)
        shown.append({"d_kl": str(kl)[:16], "rhs": str(right)[:16]})
    ev = {"K": k_labels, "dps": dps, "max_abs_difference": worst, "points": shown}
    return Outcome.verified(**ev) if worst <= tol else Outcome.refuted(witness={"difference": worst}, **ev)


def check_bound_matches_construction(c: KLConstruction, rhos: list[Any], dps: int) -> Outcome:
    """The derived ``Δ`` and ``B(ρ)`` are what the checks evaluate: ``B(ρ)`` is the assembly's
    ``S' + 2ρ r_max S`` at ``S = S' = (K−1)e^{−ρΔ}`` (exact residual), and sympy's ``Δ`` (step 4 at
    the smallest gap, :func:`theory.derivations.kl.margin_expr`) and ``B(ρ)``, lambdified with
    mpmath at the construction's ``K, r_min, r_max, φ_max``, agree to ``dps − 10`` digits with
    :func:`theory.counterexample.margin` and :func:`theory.counterexample.kl_bound` (looked up at
    call time, so a replaced function is what gets compared)."""
    tail = (dkl.K - 1) * sp.exp(-dkl.rho * dkl.delta)
    assembled = check_residuals({"B(rho) - (S' + 2 rho r_max S) at S = S' = (K-1)e^{-rho Delta}":
                                 sp.expand(dkl.kl_bound_expr() - dkl.kl_upper(tail, tail))})
    d_expr, syms = dkl.margin_expr()
    args = (syms["K"], syms["r_min"], dkl.r_max, syms["phi_max"], dkl.rho)
    b_fn = sp.lambdify(args, dkl.kl_bound_expr().subs(dkl.delta, d_expr), "mpmath")
    d_fn = sp.lambdify(args[:4], d_expr, "mpmath")
    P = MP(dps)
    with mpmath.workdps(dps), P.active():  # lambdify's "mpmath" module uses the global context
        params = (c.K, mpmath.mpf(c.r_min), mpmath.mpf(c.r_max), mpmath.mpf(c.phi_max))
        pairs = {"Delta": (d_fn(*params), cx.margin(c, P))}
        pairs.update({f"B(rho={r})": (b_fn(*params, mpmath.mpf(r)), cx.kl_bound(c, r, P)) for r in rhos})
        pairs = {k: (P.scalar(str(a)), b) for k, (a, b) in pairs.items()}
        digits = {k: digits_agreed(a / b, 1) for k, (a, b) in pairs.items()}
    need = dps - 10
    ev = {"construction": c.name, "dps": dps, "digits_agreed": digits,
          "Delta": P.ctx.nstr(pairs["Delta"][0], 20)}
    bad = {k: {"sympy": P.ctx.nstr(pairs[k][0], 20), "theory": P.ctx.nstr(pairs[k][1], 20)}
           for k, d in digits.items() if d < need}
    values = Outcome.refuted(witness=bad, **ev) if bad else Outcome.verified(**ev)
    return Outcome.combine({"B from the assembly": assembled, "sympy = theory.counterexample": values})


def check_kl_bound(
    c: KLConstruction, rhos: list[Any], P: Arithmetic, bound: Bound = kl_bound, ctx: Context | None = None
) -> Outcome:
    """``max(d_KL(p‖p'), d_KL(p'‖p)) ≤ bound(c, ρ)`` for each ρ: certified with balls (``P`` a
    :class:`Ball`), or with mpmath at ``ctx.dps`` re-checked at ``ctx.check_dps`` (as a ratio, so
    that values like 1e-100 are compared relative to their size)."""
    parts: dict[str, Outcome] = {}
    for rho in rhos:
        if isinstance(P, Ball):
            with P.active():
                ab, ba, _, _ = kl_pair(c, rho, P)
                parts[f"rho={rho}"] = certified_leq(ab.max(ba), bound(c, rho, P), witness={"rho": str(rho)})
        else:
            if ctx is None:
                raise ClosenessError("numeric checks need the context's precisions (ctx)")

            def ratio(Q: Arithmetic, rho: Any = rho) -> tuple[Any, Any]:
                ab, ba, _, _ = kl_pair(c, rho, Q)
                return max(ab, ba) / bound(c, rho, Q), 1

            parts[f"rho={rho}"] = numeric_leq(ratio, ctx, witness={"rho": str(rho)})
    out = Outcome.combine(parts)
    out.evidence["construction"] = c.name
    return out


def check_rho_eps(c: KLConstruction, epsilons: tuple[str, ...], P: Ball,
                  rho_fn: Callable[..., Any] = rho_for_eps, bound: Bound = kl_bound) -> Outcome:
    """For each ε: ``bound(ρ(ε)) ≤ ε`` (certified); and the Lambert root ``ρ*(ε)`` solves
    ``B(ρ*) = ε`` (enclosure contains ε) and lies where ``B`` decreases (``ρ* > 1/Δ − 1/(2r_max)``)."""
    parts: dict[str, Outcome] = {}
    with P.active():
        d = margin(c, P)
        for eps in epsilons:
            e = P.scalar(eps)
            r = rho_fn(e, c.K, d, c.r_max, P)
            key = f"B(rho({eps})) <= eps"
            parts[key] = certified_leq(bound(c, r, P), e, witness={"eps": eps, "rho": ball_str(r, 12)})
            parts[key].evidence["rho"] = ball_str(r, 12)
            rs = rho_star(e, c.K, d, c.r_max, P)
            dev = kl_bound(c, rs, P) - e
            peak = 1 / d - 1 / (2 * P.scalar(c.r_max))
            tol = e * P.scalar(f"1e-{P.dps - 10}")
            tight = certified_leq(abs(dev), tol, witness={"eps": eps, "B(rho*)-eps": ball_str(dev)})
            mono = certified_leq(peak, rs, witness={"eps": eps}, strict=True)
            parts[f"rho*({eps}) root, decreasing"] = Outcome.combine({"root": tight, "beyond_peak": mono})
            parts[f"rho*({eps}) root, decreasing"].evidence["rho_star"] = ball_str(rs, 20)
    return Outcome.combine(parts)


KL_BOUND = claim(
    "thm3.1-kl-bound",
    "For the Section 3 family (labels 2πk/K, jitter |φ| ≤ φ_max < π/K, radii in [r_min, r_max], any "
    "permutation) both directions of d_KL are at most (K−1)e^{−ρΔ}(1+2ρ r_max), "
    "Δ = r_min(cos φ_max − cos(2π/K − φ_max)).",
    r"d_{KL} \le (K-1)e^{-\rho\Delta}(1+2\rho r_{\max}),\ "
    r"\Delta = r_{\min}(\cos\varphi_{\max}-\cos(2\pi/K-\varphi_{\max}))",
    "Theorem 3.1 (quantitative)", "new",
)


@KL_BOUND.method("symbolic")
def _(ctx: Context) -> Outcome:
    identities = {f"K={k}": dkl.kl_identity(k) for k in ((3, 4, 5) if ctx.deep else (3,))}
    out = Outcome.combine({
        "step 1: KL identity": check_residuals({k: v[0] for k, v in identities.items()}),
        "step 1: d_kl vs unsubstituted rhs at random logits": check_kl_identity_numeric(
            identities["K=3"][1], ctx.seed, ctx.dps),
        "steps 2-3 and assembly": check_certificates(dkl.kl_inequality_steps(), ctx.seed),
        "step 4: margin, |phi| <= phi_max < alpha/2, alpha <= pi": check_sign_factors(dkl.margin_monotone(), ctx.seed),
        "step 4: delta_kl >= Delta, angles beyond pi": check_sign_factors(dkl.margin_in_alpha(), ctx.seed),
        "B and Delta as evaluated": check_bound_matches_construction(default_grid(), [1, 20, 355], ctx.dps),
    })
    out.with_scope(instances("steps 1-3 at K = 3 (K = 3, 4, 5 with --deep) with symbolic logits, angles, radii "
                              "and rho; step 4 for symbolic alpha, phi_max, phi; B and Delta at the grid"))
    out.evidence["not encoded"] = (
        "exp monotone (S <= T_k, S' <= T_sigma(k)); averaging over classes of equal size; "
        "sum_k T_sigma(k) = sum_k T_k; delta_kl >= Delta; the reverse direction by exchanging the models "
        "(the certified and search methods check the resulting bound on instances)")
    return out


def kl_bound_hypotheses(ctx: Context, margin_cert: dict[str, Any] | None = None,
                        cosine: dict[str, tuple[sp.Expr, sp.Expr]] | None = None,
                        alpha_cert: dict[str, Any] | None = None, positive: dict[str, Any] | None = None
                        ) -> Outcome:
    """What the kernel-checked KL bound (``KLBound.v``, for any K, n, weights, ρ) takes about the
    construction, for symbolic angles and radii: the gap from the true class k to a label l is at
    least ``ρδ_kl ≥ ρΔ`` (the sharp form takes the per-pair ``δ_kl``) in both models (step 4,
    :func:`theory.derivations.kl.margin_monotone`; the second model's gaps are the first's over the
    permuted angles, ``ρδ_{σ(k)σ(l)}``, and ``α_{σ(k)σ(l)} ≥ α_min``), and
    ``|f(x)ᵀg(y)| = ρr|cos(·)| ≤ ρ r_max`` (:func:`theory.derivations.kl.logit_as_cosine`); ``δ_kl ≥ Δ``
    and angles beyond π by :func:`theory.derivations.kl.margin_in_alpha`; ``margin_cert``, ``cosine``,
    ``alpha_cert`` override the derivations (false variants); ``Δ > 0`` strictly, which the limit of
    Corollary 3.2 needs, by :func:`theory.derivations.kl.margin_positive` (``positive`` overrides it)."""
    cosine = dkl.logit_as_cosine() if cosine is None else cosine
    out = Outcome.combine({
        "every gap to the true class >= rho delta_kl (step 4)": check_sign_factors(
            dkl.margin_monotone() if margin_cert is None else margin_cert, ctx.seed),
        "delta_kl >= Delta, and angles beyond pi": check_sign_factors(
            dkl.margin_in_alpha() if alpha_cert is None else alpha_cert, ctx.seed),
        "|f(x)^T g(y)| <= rho r_max": check_residuals({k: v[1] for k, v in cosine.items()}),
        "Delta > 0 (strictly)": _positive_margin(dkl.margin_positive() if positive is None else positive),
    })
    return out.with_scope(GENERAL)  # symbolic alpha, phi_max, phi, theta, r, rho


def _positive_margin(cert: dict[str, Any]) -> Outcome:
    """The identity of :func:`theory.derivations.kl.margin_positive` vanishes and the sine is positive
    on ``(0, π/2]``."""
    identity = check_residuals({k: v[1] for k, v in cert["residuals"].items()})
    sign = (Outcome.verified(sine_range=str(cert["sine on (0, pi/2]"])) if cert["positive"]
            else Outcome.refuted(witness={"sine_range": str(cert["sine on (0, pi/2]"])}))
    return Outcome.combine({"identity": identity, "sine > 0": sign})


@KL_BOUND.method("numeric")
def _(ctx: Context) -> Outcome:
    out = check_kl_bound(default_random(ctx, m=10, deep_m=100), [1, 5, 20, 60], MP(ctx.dps), ctx=ctx)
    return out.with_scope(instances("random construction, 10 inputs per class (100 with --deep), rho = 1, 5, 20, 60"))


@KL_BOUND.method("certified")
def _(ctx: Context) -> Outcome:
    parts = {"grid": check_kl_bound(default_grid(), [1, 2, 5, 10, 20, 50, 100, 355], Ball(ctx.dps))}
    if ctx.deep:
        parts["paper random"] = check_kl_bound(paper_random(ctx.seed), [1, 2, 5, 10, 20, 50, 100, 355], Ball(ctx.dps))
    return Outcome.combine(parts).with_scope(instances("grid, 4 inputs per class, rho = 1..355"))


@KL_BOUND.method("search")
def _(ctx: Context) -> Outcome:
    from checks.search.kl import search_kl_bound

    return search_kl_bound(ctx.examples(40, 400), ctx.seed, ctx.dps).with_scope(instances("searched constructions"))


KL_BOUND_SHARP = claim(
    "thm3.1-kl-bound-sharp",
    "Sharper: d_KL ≤ (1/K)Σ_k (T_σ(k) + 2ρ r_max T_k) with T_k = Σ_{l≠k} e^{−ρ δ_kl}, "
    "δ_kl = r_min(cos φ_max − cos(α_kl − φ_max)); it is never above the (K−1)e^{−ρΔ} form.",
    r"d_{KL} \le \tfrac1K\sum_k (T_{\sigma(k)} + 2\rho r_{\max} T_k) \le (K-1)e^{-\rho\Delta}(1+2\rho r_{\max})",
    "Theorem 3.1 (quantitative)", "new", depends_on=("thm3.1-kl-bound",),
)


def _sharp(c: KLConstruction, rho: Any, P: Arithmetic) -> Any:
    return kl_bound(c, rho, P, sharp=True)


def check_kl_bound_sharp(c: KLConstruction, rhos: list[Any], P: Ball, sharp: Bound = _sharp) -> Outcome:
    """``d_KL ≤ sharp(ρ) ≤ (K−1)e^{−ρΔ}(1+2ρ r_max)`` for each ρ, certified; ``sharp`` overrides the
    sharper bound (a false variant); the tightness ``sharp/d_KL`` is reported."""
    inner = check_kl_bound(c, rhos, P, bound=sharp)
    with P.active():
        below = {f"rho={r}": certified_leq(sharp(c, r, P), kl_bound(c, r, P)) for r in rhos}
        ratio = {str(r): ball_str(sharp(c, r, P) / kl_pair(c, r, P)[0], 4) for r in rhos}
    out = Outcome.combine({"d_kl <= sharp": inner, "sharp <= plain": Outcome.combine(below)})
    out.evidence["tightness sharp/d_kl"] = ratio
    return out


@KL_BOUND_SHARP.method("certified")
def _(ctx: Context) -> Outcome:
    out = check_kl_bound_sharp(default_grid(), [1, 5, 20, 100, 355], Ball(ctx.dps))
    return out.with_scope(instances("grid, 4 inputs per class, rho = 1, 5, 20, 100, 355"))


RHO_EPS = claim(
    "thm3.1-rho-eps",
    "ρ(ε) = (2/Δ) log((K−1)(1+4r_max/(eΔ))/ε) gives (K−1)e^{−ρΔ}(1+2ρ r_max) ≤ ε for every ρ ≥ ρ(ε); the "
    "exact threshold is ρ*(ε) = (t−1)/(2r_max), t = −W_{−1}(−bεe^{−b}/(K−1))/b, b = Δ/(2r_max) (for ε below "
    "the largest value of the bound, where that branch is real): the bound is ε there and below ε beyond.",
    r"\rho(\varepsilon)=\tfrac{2}{\Delta}\log\tfrac{(K-1)(1+4r_{\max}/(e\Delta))}{\varepsilon},\quad "
    r"\rho^*(\varepsilon)=\tfrac{t-1}{2r_{\max}},\ t=-W_{-1}(-b\varepsilon e^{-b}/(K-1))/b",
    "Theorem 3.1 (quantitative)", "new",
)


def check_rho_eps_symbolic(tan: dict[str, sp.Expr] | None = None, steps: dict[str, sp.Expr] | None = None) -> Outcome:
    """The derivation of ``ρ(ε)`` and ``ρ*(ε)`` for symbolic ``K, Δ, r_max, ε``: the tangent
    inequality ``u ≤ e^{u−1}`` (``q(1) = q'(1) = 0`` and ``q'' > 0``, proved from the symbols'
    assumptions: sympy refuting it refutes, sympy unable to decide leaves it undecided), the gap
    decomposition, ``A(ρ(ε)) = ε``, ``B(ρ*(ε)) = ε`` and the steps of
    :func:`theory.derivations.kl.rho_eps_steps` (``B ≤ A``, ``A`` decreasing, ``B`` decreasing beyond
    its peak, ``ρ*`` beyond the peak); ``tan``, ``steps`` override the derivations (false variants)."""
    tan = dkl.tangent_inequality() if tan is None else tan
    steps = dkl.rho_eps_steps() if steps is None else steps
    _, res_log = dkl.rho_eps_log()
    r_star, res_w, _ = dkl.rho_eps_lambert()
    vals = {dkl.K: 7, dkl.delta: sp.Rational(27, 40), dkl.r_max: sp.Rational(202, 100), dkl.eps: sp.Rational(1, 1000)}
    num = float(abs(sp.N(dkl.kl_bound_expr().subs(dkl.rho, r_star).subs(vals), 40) - sp.Rational(1, 1000)))
    residuals = check_residuals(
        {"q(1)": tan["q_at_1"], "q'(1)": tan["dq_at_1"], "gap decomposition": tan["gap_decomposition_residual"],
         "A(rho(eps)) - eps": res_log, "B(rho*(eps)) - eps": res_w, **steps},
        {"B(rho*) - eps at K=7, Delta=0.675, r_max=2.02, eps=1e-3": num}, tol=1e-30,
    )
    positive = sp.sympify(tan["d2q"]).is_positive
    ev = {"q''": str(tan["d2q"]), "is_positive": positive}
    convex = (Outcome.verified(proved_by="sympy assumptions", **ev) if positive is True
              else Outcome.refuted(witness="q'' is not positive", **ev) if positive is False
              else Outcome.undecided("sympy cannot decide the sign of q''", **ev))
    out = Outcome.combine({"identities": residuals, "q'' > 0": convex})
    out.evidence["signs"] = ("gap >= 0 (u, c > 0, q >= 0); A > 0, Delta > 0 (symbols' assumptions); "
                             "W_{-1} <= -1 (the range that defines the branch)")
    return out


@RHO_EPS.method("symbolic")
def _(ctx: Context) -> Outcome:
    return check_rho_eps_symbolic().with_scope(GENERAL)  # symbolic K, Δ, r_max, ε


@RHO_EPS.method("certified")
def _(ctx: Context) -> Outcome:
    out = check_rho_eps(default_grid(), EPSILONS, Ball(ctx.dps))
    return out.with_scope(instances("grid, eps = " + ", ".join(EPSILONS)))
