"""The Section 4 bound (claims ``sec4-bound-sharp``, ``sec4-bound-implies-paper``, ``sec4-bound``,
``sec4-bound-no-invertibility``): ``d_{f,g} ≤ min(1, 2ε²) ≤ 2Mε`` with ``ε = d^λ_LLV``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from checks.claims.sec4.common import (
    bound_rhs,
    certificates,
    check_bound,
    check_bound_certified,
    check_sides_sharp,
    check_zero_sides,
    dims_text,
    figure_pairs,
    near_tight_pairs,
    random_pairs,
    scoped_method,
    search_verdict,
    weighted_pairs,
)
from checks.evidence import ball_str, certified_leq
from checks.registry import GENERAL, Context, Outcome, claim, instances
from theory.derivations import bound as dbound
from theory.distances import Sets
from theory.errors import ClosenessError
from theory.families import (
    TIGHT_LINEAR,
    Pair,
    bound_figure_family,
    evaluate_bound,
    sign_flip_pair,
    singular_label_pair,
)
from theory.identifiability import label_matrix
from theory.model import Model
from theory.precision import Ball

__all__ = [
    "exact_fg_pair",
    "exact_d_svd_sides",
    "check_dfg_exact",
    "check_sharp_symbolic",
    "check_implies_symbolic",
    "check_no_invertibility",
]


# --------------------------------------------------------------------------------------------
# step 5: the sharper bound, each side
# --------------------------------------------------------------------------------------------
SHARP = claim(
    "sec4-bound-sharp",
    "Sharper bound: each side of d_{f,g} is at most 2ε² (every f-side d_SVD ≤ 2·max_i max(a_{y_i}, b_{y_i})², "
    "the g side ≤ 2·T2²), hence d_{f,g} ≤ min(1, 2ε²) with ε = d^λ_LLV.",
    r"d_{SVD}\le 2\varepsilon^2\ \text{per side},\quad d_{f,g}\le\min(1,2\varepsilon^2)",
    "Section 4 (main bound, sharpened)", "new",
    depends_on=("sec4-bound-sd-difference", "sec4-bound-cov-identity", "sec4-bound-nuclear-trace",
                "sec4-bound-logratio"),
)


def check_sharp_symbolic(constant: Any = 2) -> Outcome:
    """Step 5 for a symbolic ``M`` (:func:`theory.derivations.bound.sharp_side_bound_general`),
    cross-checked on explicit ``M = 1, 2, 3, 5``; steps 1–4 are the premises of the claim."""
    parts = {"symbolic M": dbound.sharp_side_bound_general(constant),
             "every summand >= 0": dbound.summand_nonnegative()}
    parts.update({f"M={m}": dbound.sharp_side_bound(m, constant) for m in (1, 2, 3, 5)})
    return certificates(parts).with_scope(GENERAL)


def _sharp_material(ctx: Context) -> list[Pair]:
    return (random_pairs(ctx.seed) + near_tight_pairs() + weighted_pairs(ctx.seed)
            + [singular_label_pair(np.random.default_rng(ctx.seed))]
            + [p for k in (4, 10) for t, p in bound_figure_family(k, 4, 60, ctx.seed) if t > 0])


def _search_bound(ctx: Context, form: str) -> Outcome:
    from checks.search.sec4 import search_bound

    return search_verdict(search_bound(ctx.examples(60, 600), ctx.seed, 1.0, form, ctx.dps), False)


SHARP.method("symbolic")(lambda ctx: check_sharp_symbolic())
scoped_method(SHARP, "numeric", instances("random, near-tight, weighted, singular-L and figure pairs, M ≤ 3"))(
    lambda ctx: Outcome.combine({
    "d_fg <= 2 eps^2": check_bound(_sharp_material(ctx), ctx, "2eps2", 2),
    "each side": check_sides_sharp(_sharp_material(ctx), ctx, 2),
    "sum mode": check_bound(_sharp_material(ctx)[:6], ctx, "2eps2", 2, "sum"),
}))
scoped_method(SHARP, "certified", instances("the 3 pairs nearest 2ε² and 2 weighted pairs"))(
    lambda ctx: check_bound_certified(_sharp_material(ctx), ctx.dps, "2eps2", 2,
                                                            always=weighted_pairs(ctx.seed)[:2]))
scoped_method(SHARP, "search", instances("hypothesis search, M ≤ 3, weighted inputs"))(
    lambda ctx: _search_bound(ctx, "2eps2"))


# --------------------------------------------------------------------------------------------
# step 6: the sharper bound implies the paper's
# --------------------------------------------------------------------------------------------
IMPLIES = claim(
    "sec4-bound-implies-paper",
    "min(1, 2ε²) ≤ √2·ε ≤ 2Mε for every ε ≥ 0 and M ≥ 1, so the sharper bound implies the paper's; "
    "√2 is the best constant c with min(1, 2ε²) ≤ c·ε.",
    r"\min(1,2\varepsilon^2)\le\sqrt2\,\varepsilon\le 2M\varepsilon\quad(\varepsilon\ge0)",
    "Section 4 (main bound)", "new",
)


def check_implies_symbolic(dims: Sequence[int] = (1, 2, 3, 4), constant: Any = None) -> Outcome:
    """``min(1, 2ε²) ≤ √2·ε`` for every ``ε ≥ 0`` (dimension-free) and ``√2 ≤ 2M`` for a symbolic
    integer ``M ≥ 1`` (``2M − √2 = (2M − 2) + (2 − √2)``), cross-checked at each M of ``dims``
    (``constant`` replaces ``2M`` there: a false variant)."""
    parts = {f"M={m}": dbound.linear_from_quadratic(m, constant) for m in dims}
    parts["sqrt(2) works"] = dbound.linear_from_quadratic(1, "sqrt(2)")
    parts["no c < sqrt(2) works (eps = 1/sqrt(2))"] = dbound.best_linear_constant()
    m = sp.Symbol("M", integer=True, positive=True)
    general = bool((2 * m - 2).is_nonnegative and (2 - sp.sqrt(2)).is_positive)
    parts["sqrt(2) <= 2M for every M >= 1"] = dbound.Certificate("√2 ≤ 2M (symbolic M)", general,
                                                               {"2M - 2 >= 0": general})
    return certificates(parts).with_scope(GENERAL if constant is None else instances(f"M = {dims_text(dims)}"))


IMPLIES.method("symbolic")(lambda ctx: check_implies_symbolic())


# --------------------------------------------------------------------------------------------
# the paper's bound
# --------------------------------------------------------------------------------------------
BOUND = claim(
    "sec4-bound",
    "If d^λ_LLV ≤ ε (fixed sets with L, L', N, N' invertible, any λ > 0) then d_{f,g} ≤ 2Mε.",
    r"d^\lambda_{LLV}(p_{f,g},p_{f',g'})\le\varepsilon\ \Rightarrow\ d_{f,g}\le 2M\varepsilon",
    "Section 4 (main bound)", "paper",
    depends_on=("sec4-bound-sharp", "sec4-bound-implies-paper"),
)


def exact_fg_pair() -> Pair:
    """Integer models (``M = 2``, ``K = 4``, ``n = 5``) whose three f-side label subsets of ``S_Y = {1,2,3}``
    have clearly different ``d_SVD`` (about 0.23, 0.09, 0.42) and whose g side (about 0.11) is below
    the largest: the value of ``d_{f,g}`` tells the maximum over subsets from the minimum."""
    f = np.array([[2, 0], [0, 1], [-1, 2], [1, -2], [3, 1]], dtype=float)
    g = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    f2 = np.array([[2, 0], [0, 1], [-1, 2], [0, 0], [3, -1]], dtype=float)
    g2 = np.array([[1, 1], [2, -1], [-1, 2], [0, 1]], dtype=float)
    return Pair(Model(f, g), Model(f2, g2), Sets(0, (1, 2, 3), 0, (1, 2)), "exact d_fg pair (integer, M = 2)")


def exact_d_svd_sides(pair: Pair) -> list[sp.Expr]:
    """An independent exact evaluation (sympy, ``M = 2``, uniform weights) of every side of
    ``d_{f,g}``: for each M-subset of ``S_Y`` and for the g side, ``C = Cov(ũ, ũ')`` from rational
    moments and ``d_SVD = 1 − (σ_1 + σ_2)/2`` with ``(σ_1 + σ_2)² = ‖C‖_F² + 2|det C|`` (step 4, M = 2)."""
    if pair.M != 2:
        raise ClosenessError("the exact evaluation is written for M = 2")

    def mat(x: Any) -> sp.Matrix:
        return sp.Matrix(np.asarray(x, dtype=float).tolist()).applyfunc(sp.nsimplify)

    def d_svd(u: sp.Matrix, v: sp.Matrix) -> sp.Expr:
        n = u.rows

        def centred(m: sp.Matrix, j: int) -> list[sp.Expr]:
            col = list(m[:, j])
            mu = sum(col) / n
            return [x - mu for x in col]

        cu, cv = [centred(u, j) for j in range(2)], [centred(v, j) for j in range(2)]
        su = [sp.sqrt(sum(x * x for x in c) / n) for c in cu]
        sv = [sp.sqrt(sum(x * x for x in c) / n) for c in cv]
        c = sp.Matrix(2, 2, lambda i, j: sum(a * b for a, b in zip(cu[i], cv[j], strict=True)) / n / (su[i] * sv[j]))
        return 1 - sp.sqrt(sum(x**2 for x in c) + 2 * sp.Abs(c.det())) / 2

    f, g, f2, g2 = mat(pair.a.f), mat(pair.a.g), mat(pair.b.f), mat(pair.b.g)
    s = pair.sets
    sides = []
    for subset in itertools.combinations(s.labels, 2):
        lab = sp.Matrix.hstack(*[(g.row(y) - g.row(s.pivot_label)).T for y in subset])
        lab2 = sp.Matrix.hstack(*[(g2.row(y) - g2.row(s.pivot_label)).T for y in subset])
        sides.append(d_svd(f * lab, f2 * lab2))
    inp = sp.Matrix.hstack(*[(f.row(x) - f.row(s.pivot_input)).T for x in s.inputs])
    inp2 = sp.Matrix.hstack(*[(f2.row(x) - f2.row(s.pivot_input)).T for x in s.inputs])
    sides.append(d_svd(g * inp, g2 * inp2))
    return sides


def check_dfg_exact(dps: int, pair: Pair | None = None) -> Outcome:
    """The left side of the bound is the paper's ``d_{f,g}`` (the maximum over label subsets and the
    g side): its ball (:func:`theory.families.evaluate_bound`) must enclose the exact maximum of
    :func:`exact_d_svd_sides` to ``10^{-(dps-10)}``; a ball excluding it refutes (e.g. a minimum)."""
    p = pair if pair is not None else exact_fg_pair()
    sides = exact_d_svd_sides(p)
    vals = [sp.N(x, dps + 20) for x in sides]
    expected = max(vals)
    P = Ball(dps)
    with P.active():
        got = evaluate_bound(p, P).d_fg
        gap = got - P.scalar(str(expected))
    ev = {"d_fg": ball_str(got), "exact_sides": [str(sp.N(x, 20)) for x in sides],
          "exact_max": str(sp.N(expected, 20)), "spread": str(sp.N(max(vals) - min(vals), 5)), "gap": ball_str(gap)}
    tol = 10.0 ** (-(dps - 10))
    if not gap.contains(0):
        return Outcome.refuted(witness={"d_fg": ev["d_fg"], "exact_max": ev["exact_max"]}, **ev)
    if abs(gap).upper() < tol and float(max(vals) - min(vals)) > 1e-3:
        return Outcome.verified(equal_to_digits=dps - 10, **ev)
    return Outcome.undecided("the enclosure is too wide or the sides do not differ", **ev)


def _bound_material(ctx: Context) -> list[Pair]:
    return (figure_pairs(ctx) + random_pairs(ctx.seed) + near_tight_pairs() + weighted_pairs(ctx.seed)
            + [sign_flip_pair(*TIGHT_LINEAR)])


scoped_method(BOUND, "numeric", instances("bound figure family, random, tight, weighted and ~_L-equivalent pairs"))(
    lambda ctx: Outcome.combine({
    "figure family": check_bound(figure_pairs(ctx), ctx, "2Meps", 2),
    "random and tight pairs": check_bound([*random_pairs(ctx.seed), sign_flip_pair(*TIGHT_LINEAR)], ctx, "2Meps", 2),
    "weighted p_D": check_bound(weighted_pairs(ctx.seed), ctx, "2Meps", 2),
    "sum mode": check_bound(random_pairs(ctx.seed)[:6], ctx, "2Meps", 2, "sum"),
    "~_L-equivalent: both sides 0": check_zero_sides(ctx),
}))
scoped_method(BOUND, "certified", instances("the 3 pairs nearest 2Mε, 2 weighted pairs, an exact d_fg"))(
    lambda ctx: Outcome.combine({
        "bound": check_bound_certified(_bound_material(ctx), ctx.dps, "2Meps", 2, always=weighted_pairs(ctx.seed)[:2]),
        "d_fg is the maximum over subsets (exact)": check_dfg_exact(ctx.dps)}))
scoped_method(BOUND, "search", instances("hypothesis search, M ≤ 3, weighted inputs"))(
    lambda ctx: _search_bound(ctx, "2Meps"))


# --------------------------------------------------------------------------------------------
# invertibility is not needed
# --------------------------------------------------------------------------------------------
NOINV = claim(
    "sec4-bound-no-invertibility",
    "The bound needs only positive σ_y and s_x (so that d_LLV and the standardisation are defined): "
    "with L and L' singular it still holds. Invertibility of L, N only links d_{f,g} = 0 to ~_L.",
    r"\det L=\det L'=0,\ \sigma_y,s_x>0\ \Rightarrow\ d_{f,g}\le\min(1,2\varepsilon^2)\le 2M\varepsilon",
    "Section 4 (main bound, hypotheses)", "new",
    depends_on=("sec4-bound-sharp", "sec4-bound-implies-paper"),
)


def check_no_invertibility(ctx: Context, constant: Any = 2) -> Outcome:
    """Certified: ``det L = det L' = 0`` exactly, and the bound holds on pairs with singular ``L``."""
    P = Ball(ctx.dps)
    parts = {}
    for i in range(3):
        p = singular_label_pair(np.random.default_rng(ctx.seed + i), closeness=(0.1, 0.5, 1.5)[i])
        with P.active():
            dets = [P.det(label_matrix(m.g, 0, p.sets.labels, P)) for m in (p.a, p.b)]
            parts[f"{i}: det L, det L' = 0"] = (Outcome.verified(dets=[ball_str(d) for d in dets])
                                                if all(d.is_zero() for d in dets)
                                                else Outcome.refuted(witness=[ball_str(d) for d in dets]))
            s = evaluate_bound(p, P)
            parts[f"{i}: d_fg <= {constant}eps^2"] = certified_leq(s.d_fg, bound_rhs(s, "2eps2", constant, P))
            parts[f"{i}: d_fg <= {constant}Meps"] = certified_leq(s.d_fg, bound_rhs(s, "2Meps", constant, P))
    return Outcome.combine(parts)


scoped_method(NOINV, "certified", instances("3 pairs with singular L, M = 2, K = 3"))(check_no_invertibility)
scoped_method(NOINV, "symbolic", instances("index sets of size 3, M = 2"))(lambda ctx: certificates({
    # the chain never inverts L or N: steps 2–5 use only σ_y, s_x > 0
    "standardised f side (no inverse)": dbound.standardised_difference(3, True, "f"),
    "standardised g side (no inverse)": dbound.standardised_difference(3, True, "g"),
    "side bound": dbound.sharp_side_bound(2),
}))
