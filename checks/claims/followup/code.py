"""The normalisation of ``d_rep`` in the authors' experiment code (claim ``followup-rep-code-scale``):
what their formula computes against the exact mean over pivots and sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from checks.claims.followup.common import FU, scoped_method
from checks.evidence import numeric_zero
from checks.registry import GENERAL, Context, Outcome, claim, instances
from theory.logit import appendix_cca_example, code_formula, d_rep_sq
from theory.model import Model
from theory.precision import Arithmetic

__all__ = ["CODE_SCALE", "check_code_scale"]


CODE_SCALE = claim(
    "followup-rep-code-scale",
    "The d_rep of the authors' experiment code (each (pivot, set) term divided by the number of pivots × "
    "sets, and the list of terms then averaged) is the average of E‖f₁ − A f₂‖² over pivots and sets.",
    r"\tfrac1N\textstyle\sum_j t_j/N = \tfrac1N\sum_j t_j",
    f"{FU}: the authors' code", "follow-up-code",
)


# --------------------------------------------------------------------------------------------
# followup-rep-code-scale
# --------------------------------------------------------------------------------------------
def check_code_scale(ctx: Context, pairs: Sequence[tuple[Model, Model]] | None = None) -> Outcome:
    """The code's formula against the exact mean over every (pivot, set), at two precisions."""
    cases = [appendix_cca_example(ctx.seed)] if pairs is None else list(pairs)
    records = []
    for a, b in cases:
        def sides(P: Arithmetic, a: Model = a, b: Model = b) -> list[Any]:
            terms = [t for *_, t in d_rep_sq(a, b, P).terms]
            exact = sum(terms, P.scalar(0)) / P.scalar(len(terms))
            return [code_formula(terms, P) - exact]

        out = numeric_zero(sides, ctx, digits=10)
        rep = d_rep_sq(a, b)
        rec = {"K": a.K, "M": a.M, "pivots x sets": rep.total, "exact d2_rep": float(rep.value),
               "code formula": float(code_formula([t for *_, t in rep.terms])), "verdict": out.verdict}
        records.append(rec)
        if out.verdict == "refuted":
            return Outcome.refuted(witness=rec, cases=records,
                                   factors={"synthetic K=7, all pivots x 15 sets": 105, "CIFAR-100 100 x 200": 20000})
        if out.verdict != "verified":
            return Outcome.undecided("the residual is not decided", cases=records)
    return Outcome.verified(cases=records)


CODE_SCALE.method("symbolic")(lambda ctx: _code_scale_symbolic())
scoped_method(CODE_SCALE, "numeric", instances("appendix example 1: K = 5, M = 2, 30 (pivot, set) terms"))(
    check_code_scale)


def _code_scale_symbolic(terms: int | None = None) -> Outcome:
    """``(1/N) Σ_j t_j/N − (1/N) Σ_j t_j = (1/N − 1)·mean`` for N terms (symbolic N and terms, or the
    given number): zero for every mean only when N = 1."""
    n = sp.Symbol("N", integer=True, positive=True) if terms is None else sp.Integer(terms)
    j = sp.Symbol("j", integer=True)
    t = sp.IndexedBase("t", positive=True)
    total = sp.Sum(t[j], (j, 1, n))
    residual = sp.simplify(sp.Sum(t[j] / n, (j, 1, n)).doit() / n - total / n)
    factor = sp.simplify(residual / (total / n))
    scope = GENERAL if terms is None else instances(f"N = {terms}")
    if factor == 0:
        return Outcome.verified(residual="0", scope=scope)
    return Outcome.refuted(witness={"residual": str(residual), "code/exact": str(sp.simplify(factor + 1))}, scope=scope)
