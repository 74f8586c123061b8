"""``d²_rep ≤ (M+1)·mean‖L₁⁻¹‖₂²·d²_logit`` (claim ``followup-rep-bound``): the constant derived here,
and why the conditioning of ``L₁`` cannot be dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checks.claims.followup.common import (
    FU,
    exceeds,
    leq_or_equal,
    models_of,
    random_pairs,
    scoped_method,
    search_outcome,
    small_models,
    symbolic_zeros,
)
from checks.registry import Context, Outcome, claim, instances
from theory.derivations import logit as dlogit
from theory.errors import ClosenessError
from theory.logit import d_logit_sq, d_rep_sq
from theory.model import Model
from theory.precision import FLOAT64, MP, Arithmetic

__all__ = ["REP", "rep_sides", "rep_material", "check_rep_bound", "search_rep"]


REP = claim(
    "followup-rep-bound",
    "Each (pivot y₀, M-set S) term of d²_rep is at most (M+1)‖L₁⁻¹‖₂² d²_logit, so "
    "d²_rep ≤ (M+1)·mean_{y₀,S} ‖L₁(y₀,S)⁻¹‖₂² · d²_logit; in particular d_logit = 0 ⇒ d_rep = 0. "
    "The conditioning of L₁ cannot be dropped: rescaling (f, g) → (f/c, c g) keeps d_logit and multiplies "
    "d²_rep by c⁻².",
    r"d^2_{rep} \le (M+1)\,\overline{\|L_1^{-1}\|_2^2}\; d^2_{logit}",
    f"{FU}: d_rep bounded by d_logit (constant derived here)", "new", depends_on=("followup-logit-metric",),
)


# --------------------------------------------------------------------------------------------
# followup-rep-bound
# --------------------------------------------------------------------------------------------
def rep_sides(a: Model, b: Model, P: Arithmetic, conditioning: bool = True) -> tuple[Any, Any]:
    """``(d²_rep, (M+1)·mean ‖L₁⁻¹‖₂²·d²_logit)`` (every pivot and set); ``conditioning=False`` is the
    false variant without the factor ``‖L₁⁻¹‖₂²``."""
    rep = d_rep_sq(a, b, P)
    g1 = P.array(a.g)
    inv_norms = []
    for y0, s, _ in rep.terms:
        sv = P.svdvals(g1[list(s)] - g1[[y0]])
        smallest = sv[int(np.argmin(P.midpoint(sv)))]
        inv_norms.append(P.scalar(1) / (smallest * smallest))
    factor = sum(inv_norms, P.scalar(0)) / P.scalar(len(inv_norms)) if conditioning else P.scalar(1)
    return rep.value, P.scalar(a.M + 1) * factor * d_logit_sq(a, b, P)


def rep_material(seed: int) -> list[tuple[Model, Model]]:
    """Random pairs and the same pairs rescaled ``(f, g) → (10f, g/10)`` (ill-conditioned L)."""
    pairs = random_pairs(seed, 3)
    return pairs + [(Model(10 * a.f, a.g / 10, a.weights), Model(10 * b.f, b.g / 10, b.weights)) for a, b in pairs]


def check_rep_bound(ctx: Context, conditioning: bool = True) -> Outcome:
    """``d²_rep ≤ (M+1)·mean‖L₁⁻¹‖²·d²_logit`` on :func:`rep_material` at two precisions."""
    parts = {}
    for i, (a, b) in enumerate(rep_material(ctx.seed)):
        parts[f"pair {i}"] = leq_or_equal(lambda P, a=a, b=b: rep_sides(a, b, P, conditioning), ctx,
                                          {"pair": i, "n": a.n, "K": a.K, "M": a.M})
    return Outcome.combine(parts)


def search_rep(ctx: Context, examples: int) -> Outcome:
    """Maximise ``d²_rep / ((M+1)·mean‖L₁⁻¹‖²·d²_logit)`` over small weighted pairs."""
    from checks.search import run_search

    def score(x: Any) -> float | None:
        a, b = models_of(x, 2)
        try:
            lhs, rhs = rep_sides(a, b, FLOAT64)
        except ClosenessError:
            return None
        # the bound is attained (M = 1, K = 2): equality at float64 rounding is not a violation
        return None if float(rhs) <= 1e-9 else float(lhs) / (float(rhs) * (1 + 1e-9))

    def reverify(x: Any) -> dict[str, Any] | None:
        lhs, rhs = rep_sides(*models_of(x, 2), MP(ctx.dps))
        return {"d2_rep": str(lhs), "bound": str(rhs)} if exceeds(lhs, rhs, ctx.dps) else None

    return search_outcome(run_search("followup-rep", small_models(2), score, lambda x: {}, reverify,
                                     examples=examples, seed_value=ctx.seed))


REP.method("symbolic")(lambda ctx: symbolic_zeros(
    {"L₁(f₁ − Af₂) − J(l₁ − l₂), M=2, K=3": dlogit.rep_identity(2, 3),
     **{f"‖J‖² − (M+1), M={m}": dlogit.difference_norm(m)[1] for m in range(1, 7)}},
    instances("symbolic entries, M = 2, K = 3; ‖J‖² for M = 1..6"),
    not_encoded="‖L₁⁻¹ v‖ ≤ ‖L₁⁻¹‖₂‖v‖ and Σ_{y∈S∪{y₀}} ≤ Σ_y (definitions)"))
scoped_method(REP, "numeric", instances("3 random pairs M ≤ 3 and their (10f, g/10) rescalings"))(check_rep_bound)
scoped_method(REP, "search", instances("hypothesis search, M ≤ 2, weighted inputs"))(
    lambda ctx: search_rep(ctx, ctx.examples(15, 300)))
