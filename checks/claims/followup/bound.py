"""The eigenvalue–canonical-correlation bound ``Σ λ↓(1 − ρ↓²) ≤ min_B E‖l_t − B f_s‖² ≤ d²_logit``
(claims ``followup-bound``, ``followup-bound-figure-conventions``): under the consistent centring
conventions it holds; under each convention of the authors' figure code a certified witness breaks it.
"""

from __future__ import annotations

import itertools
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
from checks.evidence import ball_str, certified_leq, numeric_zero
from checks.registry import Context, Outcome, claim, instances
from theory.derivations import logit as dlogit
from theory.errors import ClosenessError
from theory.families import equivalent_pair
from theory.logit import eigen_cca_bound
from theory.model import Model
from theory.precision import FLOAT64, MP, Arithmetic, Ball

__all__ = [
    "BOUND", "CONVENTIONS", "CONSISTENT", "bound_material", "check_bound_numeric", "check_bound_certified",
    "search_bound", "convention_witnesses", "check_conventions",
]


BOUND = claim(
    "followup-bound",
    "Σ_i λ↓_i(1 − ρ↓_i²) ≤ min_B E‖l_t(x) − B f_s(x)‖² ≤ d²_logit, with λ the eigenvalues of the teacher's "
    "centred-logit second-moment matrix and ρ the canonical correlations of teacher and student embeddings, "
    "both sorted descending, when λ and ρ are both uncentred, both centred over inputs, or λ centred "
    "and ρ uncentred; the first step is an equality when M = 1 and λ, ρ are centred alike.",
    r"\textstyle\sum_i \lambda^\downarrow_i (1-\rho^{\downarrow 2}_i) \le \min_B \mathbb E\|l_t - B f_s\|^2 "
    r"\le d^2_{logit}",
    f"{FU}: Theorem F.1 (as the figure code states it)", "follow-up",
)


CONVENTIONS = claim(
    "followup-bound-figure-conventions",
    "The bound Σ λ_i(1 − ρ_i²) ≤ d²_logit also holds with the conventions of the authors' figure code: "
    "(i) λ from the raw (label-uncentred) logits, (ii) λ from the uncentred second moment beside the "
    "centred canonical correlations, (iii) eigenvalues not sorted (paired in another order).",
    r"\textstyle\sum_i \lambda_i (1-\rho_i^2) \le d^2_{logit}\ \text{(raw logits / mixed centring / unsorted)}",
    f"{FU}: the figure code", "follow-up-code", depends_on=("followup-bound",),
)


# --------------------------------------------------------------------------------------------
# followup-bound and its conventions
# --------------------------------------------------------------------------------------------
#: The conventions under which the bound is claimed (keyword arguments of ``eigen_cca_bound``).
CONSISTENT = {"uncentred": {}, "centred": {"lam_centred": True, "rho_centred": True},
              "λ centred, ρ uncentred": {"lam_centred": True}}


def bound_material(seed: int) -> list[tuple[Model, Model]]:
    """Random pairs, a near pair, an equivalent pair, a pair with a large common mean."""
    rng = np.random.default_rng(seed)
    out = random_pairs(seed, 4)
    eq = equivalent_pair(rng, n=10, K=4, M=2)
    out.append((eq.a, eq.b))
    f = 5 + rng.normal(size=(12, 2))
    out.append((Model(f, rng.normal(size=(4, 2))), Model(f + 0.2 * rng.normal(size=f.shape), rng.normal(size=(4, 2)))))
    return out


def check_bound_numeric(ctx: Context, conventions: dict[str, dict[str, Any]] = CONSISTENT,
                        material: list[tuple[Model, Model]] | None = None) -> Outcome:
    """Both steps ``lhs ≤ middle ≤ d²`` on every pair and convention, at ``ctx.dps`` re-checked at
    ``ctx.check_dps`` (:func:`numeric_leq`; a zero margin, on an equivalent pair, counts as holding), and
    ``lhs = middle`` (:func:`numeric_zero`) on the pairs with M = 1 under a convention centring λ and ρ
    alike: one eigenvalue and one canonical correlation, ``tr(WᵀW(I − CCᵀ)) = λ(1 − ρ²)``."""
    pairs = bound_material(ctx.seed) if material is None else material
    parts: dict[str, Outcome] = {}
    cache: dict[Any, Any] = {}
    for name, kw in conventions.items():
        for i, (a, b) in enumerate(pairs):
            for step in ("lhs ≤ middle", "middle ≤ d²"):
                def sides(P: Arithmetic, a: Model = a, b: Model = b, kw: dict[str, Any] = kw, step: str = step,
                          key: tuple[str, int] = (name, i)) -> Any:
                    if (key, P.dps) not in cache:
                        cache[key, P.dps] = eigen_cca_bound(a, b, P, **kw)
                    s = cache[key, P.dps]
                    return (s.lhs, s.middle) if step == "lhs ≤ middle" else (s.middle, s.d2)

                parts[f"{name}, pair {i}, {step}"] = leq_or_equal(sides, ctx, {"pair": i, "convention": name})
            if a.M == b.M == 1 and kw.get("lam_centred", False) == kw.get("rho_centred", False):
                def gap(P: Arithmetic, a: Model = a, b: Model = b, kw: dict[str, Any] = kw,
                        key: tuple[str, int] = (name, i)) -> list[Any]:
                    if (key, P.dps) not in cache:
                        cache[key, P.dps] = eigen_cca_bound(a, b, P, **kw)
                    return [cache[key, P.dps].lhs - cache[key, P.dps].middle]

                parts[f"{name}, pair {i}, lhs = middle (M = 1)"] = numeric_zero(gap, ctx, digits=10)
    combined = Outcome.combine(parts)
    if combined.verdict == "verified":
        return Outcome.verified(checks=len(parts), conventions=list(conventions), pairs=len(pairs))
    return combined


def check_bound_certified(dps: int = 30, conventions: dict[str, dict[str, Any]] = CONSISTENT,
                          material: list[tuple[Model, Model]] | None = None) -> Outcome:
    """``lhs ≤ d²_logit`` in ball arithmetic.  λ and ρ are paired in the order of their midpoints; where
    enclosures overlap that may not be the true order, but pairing both descending minimises
    ``Σ λ_i(1 − ρ_i²)`` over all pairings (rearrangement), so "holds" is certain for any order.  A
    violation refutes only when every λ and every ρ enclosure is separated from its neighbours."""
    P = Ball(dps)
    # the ~_L pair (an equality 0 = 0: overlapping balls) is left to the numeric method
    pairs = [p for i, p in enumerate(bound_material(0)) if i != 4] if material is None else material
    parts: dict[str, Outcome] = {}
    with P.active():
        for name, kw in conventions.items():
            for i, (a, b) in enumerate(pairs):
                s = eigen_cca_bound(a, b, P, **kw)
                out = certified_leq(s.lhs, s.d2, witness={"pair": i, "convention": name})
                unsure = any(x.overlaps(y) for v in (s.lam, s.rho) for x, y in itertools.pairwise(v))
                if out.verdict == "refuted" and unsure:
                    out = Outcome.undecided("a violation, but overlapping enclosures leave the sorted order uncertain",
                                            **out.evidence)
                parts[f"{name}, pair {i}"] = out
    return Outcome.combine(parts)


def search_bound(ctx: Context, examples: int, conventions: dict[str, Any] = CONSISTENT) -> Outcome:
    """Maximise ``lhs/d²_logit`` over small weighted pairs, for every convention."""
    from checks.search import run_search

    def score(x: Any) -> float | None:
        a, b = models_of(x, 2)
        best = 0.0
        for kw in conventions.values():
            try:
                s = eigen_cca_bound(a, b, FLOAT64, **kw)
            except ClosenessError:
                return None
            if float(s.d2) <= 1e-9:
                return None
            best = max(best, float(s.lhs) / float(s.d2))
        return best

    def reverify(x: Any) -> dict[str, Any] | None:
        a, b = models_of(x, 2)
        P = MP(ctx.dps)
        for name, kw in conventions.items():
            s = eigen_cca_bound(a, b, P, **kw)
            if exceeds(s.lhs, s.d2, ctx.dps):
                return {"convention": name, "lhs": str(s.lhs), "d2": str(s.d2)}
        return None

    result = run_search("followup-bound", small_models(2), score, lambda x: {}, reverify,
                        examples=examples, seed_value=ctx.seed)
    return search_outcome(result)


BOUND.method("symbolic")(lambda ctx: symbolic_zeros(
    {"whitening M=2": dlogit.whitening_identity(1, 2),
     "rearrangement 2×2 minus certificate": dlogit.rearrangement_2x2()[0]},
    instances("the whitening identity on exact M = 2 matrices; the rearrangement for 2×2"),
    certificate=str(dlogit.rearrangement_2x2()[1]),
    not_encoded="tr(PQ) ≥ Σ λ↓(P)λ↑(Q) for M > 2 (Ruhe's trace inequality); min_B ≤ d² (B = Ĝ_s); "
                "centring over x lowers E‖·‖² (E‖Z‖² = ‖EZ‖² + tr Cov Z) and Cov ⪯ second moment (λ centred ≤ λ)"))
scoped_method(BOUND, "numeric", instances("6 pairs (random M ≤ 3, weighted, ~_L, large mean) × 3 conventions"))(
    check_bound_numeric)
scoped_method(BOUND, "certified", instances("5 pairs (random M ≤ 3, weighted, large mean) × 3 conventions, 30 digits"))(
    lambda ctx: check_bound_certified())
scoped_method(BOUND, "search", instances("hypothesis search, M ≤ 2, weighted inputs, 3 conventions"))(
    lambda ctx: search_bound(ctx, ctx.examples(20, 300)))


def convention_witnesses() -> dict[str, tuple[Model, Model, dict[str, Any]]]:
    """One (teacher, student, conventions) per inconsistent convention of the figure code:
    (i) raw logits: the teacher's unembeddings shifted by a constant (the same p); (ii) λ uncentred
    with ρ centred: embeddings dominated by a common mean with independent fluctuations;
    (iii) λ↓ paired with ρ↑: one shared direction of large variance, one unrelated."""
    rng = np.random.default_rng(7)
    n = 40
    f = rng.normal(size=(n, 2))
    g = rng.normal(size=(4, 2))
    raw = (Model(f, g + np.array([6.0, 6.0])), Model(f + 0.5 * rng.normal(size=f.shape), g),
           {"raw_logits": True})
    base = np.array([8.0, 8.0])
    mixed = (Model(base + 0.1 * rng.normal(size=(n, 2)), g), Model(base + 0.1 * rng.normal(size=(n, 2)), g),
             {"rho_centred": True})
    u, v, z = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    order = (Model(np.c_[10 * u, v], g), Model(np.c_[10 * u, z], g), {"pairing": "reversed"})
    return {"(i) raw logits": raw, "(ii) λ uncentred, ρ centred": mixed, "(iii) unsorted pairing": order}


def check_conventions(dps: int = 30, witnesses: dict[str, tuple[Model, Model, dict[str, Any]]] | None = None
                      ) -> Outcome:
    """The claim (the bound under the figure code's conventions) in balls on each witness: refuted when
    some ``lhs > d²_logit`` is certain; verified when every one certainly holds."""
    P = Ball(dps)
    cases = convention_witnesses() if witnesses is None else witnesses
    parts = {}
    with P.active():
        for name, (t, s, kw) in cases.items():
            sides = eigen_cca_bound(t, s, P, **kw)
            parts[name] = certified_leq(sides.lhs, sides.d2, witness={
                "convention": name, "lhs": ball_str(sides.lhs), "d2_logit": ball_str(sides.d2),
                "lambda": [ball_str(x, 8) for x in sides.lam], "rho": [ball_str(x, 8) for x in sides.rho]})
    return Outcome.combine(parts)


def _consistent_witnesses() -> dict[str, tuple[Model, Model, dict[str, Any]]]:
    """The same pairs under the consistent conventions (what the tests feed as the true variant)."""
    return {name: (t, s, {}) for name, (t, s, _) in convention_witnesses().items()}


scoped_method(CONVENTIONS, "certified", instances("three witness pairs, one per convention, 30 digits"))(
    lambda ctx: check_conventions())
