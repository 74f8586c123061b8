"""Theorem 3.1 (claim ``thm3.1-small-kl-dissimilar``): for every ``ε`` two diverse models with
``d_KL ≤ ε`` whose representations are far from linearly related.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy as sp

from checks.claims.sec3.common import (
    EPSILONS,
    cca_upper,
    check_uncorrelated_numeric,
    default_grid,
    default_random,
    kl_pair,
    leq_via_upper,
    rho_at,
    svd_upper,
)
from checks.evidence import ball_str, certified_leq, numeric_leq
from checks.registry import GENERAL, Context, Outcome, claim, instances
from theory.counterexample import (
    KLConstruction,
    margin,
    paper_random,
)
from theory.distances import (
    Sets,
    d_fg,
    m_cca,
)
from theory.identifiability import input_matrix, label_matrix
from theory.model import Model
from theory.precision import Arithmetic, Ball

__all__ = [
    "check_theorem31",
    "check_theorem31_numeric",
]


def _diversity_certified(m: Model, per_class: int, P: Ball) -> tuple[bool, dict[str, str]]:
    """Def 2.1 certified: labels ``(0; 1, 2)`` and inputs ``(0; 1, x_2)`` (``x_2`` the first input of
    class 1, or of class 2 when classes have one input) give balls ``det L``, ``det N`` excluding 0."""
    x2 = per_class if per_class > 1 else 2
    with P.active():
        dl = P.det(label_matrix(m.g, 0, (1, 2), P))
        dn = P.det(input_matrix(m.f, 0, (1, x2), P))
        return (not dl.contains(0)) and (not dn.contains(0)), {"det_L": ball_str(dl, 8), "det_N": ball_str(dn, 8)}


def _both_diverse(c: KLConstruction, rho: Any, P: Ball) -> Outcome:
    """Both models of ``c`` at ``ρ`` diverse (:func:`_diversity_certified`), or undecided."""
    a, b = c.models(rho, P)
    ok1, ev1 = _diversity_certified(a, c.per_class, P)
    ok2, ev2 = _diversity_certified(b, c.per_class, P)
    if ok1 and ok2:
        return Outcome.verified(model1=ev1, model2=ev2)
    return Outcome.undecided("diversity witnesses not certified", model1=ev1, model2=ev2)


def _dissimilarity(c: KLConstruction, rho: Any, P: Ball, fg_min: float, cca_max: float) -> dict[str, Outcome]:
    """``d_{f,g} ≥ fg_min`` and ``m_CCA ≤ cca_max``, certified.

    ``d_{f,g}`` is a max, so one f-side term ``1 − m_SVD`` (pivot 0, labels 1, 2) bounds it from
    below; the Cauchy–Schwarz bounds :func:`svd_upper`, :func:`cca_upper` prove the inequalities,
    and when they do not, the exact enclosures (fixed sets ``y_0 = 0``, ``S_Y = {1, 2}``) decide."""
    f, g, f2, g2 = c.arrays(rho, P)
    sets = Sets(0, (1, 2), 0, (1, c.per_class if c.per_class > 1 else 2))
    with P.active():
        lab, lab2 = label_matrix(g, 0, (1, 2), P), label_matrix(g2, 0, (1, 2), P)
        one = P.scalar(1)
        return {
            f"d_fg >= {fg_min:g}": leq_via_upper(
                svd_upper(f @ lab, f2 @ lab2, P), lambda: one - d_fg(f, g, f2, g2, sets, P).value,
                one - P.scalar(fg_min)),
            f"m_cca <= {cca_max:g}": leq_via_upper(cca_upper(f, f2, P), lambda: m_cca(f, f2, P), P.scalar(cca_max)),
        }


def check_theorem31(c: KLConstruction, epsilons: tuple[str, ...], P: Ball, fg_min: float = 0.5,
                    cca_max: float = 0.5, rho_of: Callable[[KLConstruction, str, Ball], Any] = rho_at) -> Outcome:
    """Theorem 3.1 certified: for each ε a ``ρ`` with both models diverse, both ``0 ≤ d_KL ≤ ε``
    (the lower end catches a wrongly computed, negative ``d_KL``), and the representations far
    from linearly related (``d_{f,g} ≥ fg_min``, ``m_CCA ≤ cca_max``)."""
    parts: dict[str, Outcome] = {}
    for eps in epsilons:
        rho = rho_of(c, eps, P)
        with P.active():
            ab, ba, _, _ = kl_pair(c, rho, P)
            e, zero = P.scalar(eps), P.scalar(0)
            sub = {"0 <= kl_ab": certified_leq(zero, ab, witness={"rho": rho, "d_kl": ball_str(ab)}),
                   "kl_ab <= eps": certified_leq(ab, e, witness={"rho": rho, "d_kl": ball_str(ab)}),
                   "0 <= kl_ba": certified_leq(zero, ba, witness={"rho": rho, "d_kl": ball_str(ba)}),
                   "kl_ba <= eps": certified_leq(ba, e, witness={"rho": rho, "d_kl": ball_str(ba)})}
            sub["diverse"] = _both_diverse(c, rho, P)
            sub.update(_dissimilarity(c, rho, P, fg_min, cca_max))
        out = Outcome.combine(sub)
        out.evidence["rho"] = rho
        parts[f"eps={eps}"] = out
    res = Outcome.combine(parts)
    res.evidence["construction"] = c.name
    res.evidence["dps"] = P.dps
    return res


THM31 = claim(
    "thm3.1-small-kl-dissimilar",
    "For every ε > 0 there are two diverse models with d_KL ≤ ε (both directions) whose representations are "
    "far from linearly related; exhibited for ε = 1e-3, 1e-10, 1e-100 with d_{f,g} ≥ 1/2 and m_CCA ≤ 1/2.",
    r"\forall\varepsilon>0\ \exists (f,g),(f',g')\ \text{diverse}: d_{KL}\le\varepsilon,\ d_{f,g}\ge\tfrac12",
    "Theorem 3.1", "paper",
    depends_on=("thm3.1-kl-bound", "thm3.1-rho-eps", "sec3-scale-invariance"),
)


def check_theorem31_every_eps(c: KLConstruction, P: Ball, fg_min: float = 0.5, cca_max: float = 0.5) -> Outcome:
    """Theorem 3.1 for every ``ε > 0`` at once, on one construction ``c`` of the Section 3 family.

    The argument: ``ρ(ε)`` makes the bound ``(K−1)e^{−ρΔ}(1+2ρr_max)`` at most ``ε``
    (``thm3.1-rho-eps``); at every ``ρ`` both directions of ``d_KL`` are at most that bound for a
    construction of the family (``thm3.1-kl-bound``); ``d_{f,g}`` and ``m_CCA`` do not depend on ``ρ``
    (``sec3-scale-invariance``), nor does diversity: ``L(ρ) = ρL(1)``, ``det L(ρ) = ρ^M det L(1)``, ``N``
    is unchanged.  What is left, certified here: ``c`` is in the family (labels ``2πk/K``,
    ``φ_max < π/K``, so ``Δ > 0``), and at ``ρ = 1`` both models are diverse, ``d_{f,g} ≥ fg_min`` and
    ``m_CCA ≤ cca_max``.  The premises' verdicts and scopes are composed by the runner."""
    K = c.K
    parts: dict[str, Outcome] = {}
    with P.active():
        uniform = all(t == Fraction(k, K) for k, t in enumerate(c.turns))
        d = margin(c, P)
        family = {"labels at 2πk/K": uniform, "phi_max < pi/K": c.phi_max * K < math.pi}  # radii > 0: KLConstruction
        parts["in the family of thm3.1-kl-bound"] = Outcome.combine({
            "shape": Outcome.verified(**family) if all(family.values())
            else Outcome.refuted(witness={k: v for k, v in family.items() if not v}),
            "Delta > 0": certified_leq(P.scalar(0), d, strict=True, witness={"Delta": ball_str(d)}),
        })
        parts["diverse at rho = 1"] = _both_diverse(c, 1, P)
        parts.update({f"{k} at rho = 1": v for k, v in _dissimilarity(c, 1, P, fg_min, cca_max).items()})
    rho, lab = sp.symbols("rho", positive=True), sp.Matrix(2, 2, sp.symbols("l0:4", real=True))
    residual = sp.expand((rho * lab).det() - rho**2 * lab.det())
    parts["det L(rho) = rho^M det L(1), M = 2"] = (Outcome.verified(residual="0") if residual == 0
                                                    else Outcome.refuted(witness=str(residual)))
    out = Outcome.combine(parts)
    out.evidence.update({"construction": c.name, "dps": P.dps, "for every eps > 0": (
        "rho >= rho(eps) (premise thm3.1-rho-eps) gives d_KL <= eps in both directions (premise thm3.1-kl-bound); "
        "d_fg, m_CCA and diversity are those at rho = 1 (premise sec3-scale-invariance; det L scales by rho^M)")})
    return out.with_scope(GENERAL)


@THM31.method("symbolic")
def _(ctx: Context) -> Outcome:
    return check_theorem31_every_eps(default_grid(), Ball(ctx.dps))


@THM31.method("certified")
def _(ctx: Context) -> Outcome:
    paper = paper_random(ctx.seed)  # the paper's 3500 inputs: ball arithmetic takes ~0.4 s per ε
    return Outcome.combine({
        "grid": check_theorem31(default_grid(), EPSILONS, Ball(ctx.dps)),
        "paper random": check_theorem31(paper, EPSILONS if ctx.deep else ("1e-100",), Ball(ctx.dps)),
    }).with_scope(instances("grid (eps = 1e-3, 1e-10, 1e-100) and the paper's 3500-input draw (eps = 1e-100)"))


def check_theorem31_numeric(c: KLConstruction, ctx: Context, eps: str = "1e-10", rho: Any = None) -> Outcome:
    """Theorem 3.1 with mpmath: at ``ρ`` (default ``ρ*(ε)`` rounded up) both ``0 ≤ d_KL ≤ ε``
    (as ratios to ε, at ``ctx.dps`` re-checked at ``ctx.check_dps``) and the representations
    dissimilar (``m_CCA ≤ 1/2``, ``d_{f,g} ≥ 1/2``)."""
    rho = rho_at(c, eps, Ball(30)) if rho is None else rho

    found: dict[int, tuple[Any, Any]] = {}  # both checks below use the same two evaluations

    def ratios(Q: Arithmetic) -> tuple[Any, Any]:
        if Q.dps not in found:
            ab, ba, _, _ = kl_pair(c, rho, Q)
            found[Q.dps] = (ab / Q.scalar(eps), ba / Q.scalar(eps))
        return found[Q.dps]

    kl = numeric_leq(lambda Q: (max(ratios(Q)), 1), ctx, witness={"rho": rho})
    nonneg = numeric_leq(lambda Q: (0, min(ratios(Q))), ctx, witness={"rho": rho})
    dis = check_uncorrelated_numeric(c, ctx, cca_max=0.5, fg_min=0.5, rho=rho)
    out = Outcome.combine({f"d_kl <= {eps}": kl, "0 <= d_kl": nonneg, "dissimilar": dis})
    out.evidence["rho"] = rho
    return out


@THM31.method("numeric")
def _(ctx: Context) -> Outcome:
    out = check_theorem31_numeric(default_random(ctx, m=500, deep_m=500), ctx)  # the paper's 3500 inputs
    return out.with_scope(instances("the paper's random draw, 500 inputs per class (3500), eps = 1e-10"))
