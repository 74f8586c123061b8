"""Definition 2.1, diversity (claim ``def2.1-diversity``): the suite's float64 decider against
exact brute-force enumeration and exact ranks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from checks.registry import Context, Outcome, claim, instances
from checks.search import run_search
from theory.identifiability import (
    diversity,
    exact_affine_rank,
    exact_matrix,
    input_matrix,
    label_matrix,
)


# ---------------------------------------------------------------------------------------------
# Def 2.1: the diversity decision
# ---------------------------------------------------------------------------------------------

DIVERSITY = claim(
    "def2.1-diversity",
    "Def 2.1 holds iff the unembeddings and the embeddings each span an M-dimensional affine space "
    "(checked by exact brute force: every pivot and M-tuple enumerated, against exact ranks, for all "
    "small integer models in a box, M = 1, 2, 3); the suite's float64 diversity test decides exactly as "
    "an exact rank computation on integer models (random and planted affine degeneracies), and its "
    "witnessing L, N are invertible.",
    r"\exists y_0..y_M: \det L\neq 0 \ \wedge\ \exists x_0..x_M: \det N \neq 0"
    r"\iff \operatorname{aff\,rank} g = \operatorname{aff\,rank} f = M",
    "Definition 2.1",
    "new",
)

Decider = Callable[[np.ndarray, np.ndarray], Any]


def degenerate_rows(rng: np.random.Generator, count: int, m: int, dim: int, through_origin: bool) -> np.ndarray:
    """``count`` integer points in an affine subspace of dimension ``dim`` (< M possibly), not
    through the origin unless asked (so that linear and affine rank differ)."""
    base = np.zeros(m, dtype=np.int64) if through_origin else rng.integers(-5, 6, size=m)
    if not through_origin and not base.any():
        base[0] = 1
    directions = rng.integers(-4, 5, size=(dim, m))
    coeffs = rng.integers(-3, 4, size=(count, dim))
    return base[None, :] + coeffs @ directions


def diversity_models(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Integer models, M = 1..4: random ones and ones with ``F`` or ``G`` in a lower-dimensional
    affine (or linear) subspace."""
    out = []
    for m in range(1, 5):
        n, k = m + 3, m + 2
        out += [(rng.integers(-6, 7, size=(n, m)), rng.integers(-6, 7, size=(k, m))) for _ in range(4)]
        for dim in range(m):
            for origin in (False, True):
                out.append((degenerate_rows(rng, n, m, dim, origin), rng.integers(-6, 7, size=(k, m))))
                out.append((rng.integers(-6, 7, size=(n, m)), degenerate_rows(rng, k, m, dim, origin)))
    return out


def _decide(decider: Decider, f: np.ndarray, g: np.ndarray) -> tuple[bool, Any]:
    d = decider(f, g)
    return (bool(d.holds), d) if hasattr(d, "holds") else (bool(d), None)


def check_diversity(models: Sequence[tuple[np.ndarray, np.ndarray]], decider: Decider = diversity) -> Outcome:
    """Compare ``decider`` with the exact rule (affine ranks of the rows of ``F`` and ``G`` equal M)
    and, when it returns witnessing indices, check ``det L ≠ 0`` and ``det N ≠ 0`` exactly."""
    holds_count = 0
    for i, (f, g) in enumerate(models):
        m = f.shape[1]
        exact = exact_affine_rank(f) == m and exact_affine_rank(g) == m
        decided, d = _decide(decider, f.astype(float), g.astype(float))
        holds_count += exact
        if decided != exact:
            return Outcome.refuted(witness={"model": i, "f": f.tolist(), "g": g.tolist(), "decided": decided,
                                            "exact": exact})
        if decided and d is not None and d.labels is not None and d.inputs is not None:
            lab = label_matrix(g.astype(float), d.labels[0], d.labels[1:])  # small integers: exact
            nin = input_matrix(f.astype(float), d.inputs[0], d.inputs[1:])
            dets = [exact_matrix(x).det() for x in (lab, nin)]
            if any(v == 0 for v in dets):
                return Outcome.refuted(witness={"model": i, "labels": d.labels, "inputs": d.inputs,
                                                "why": "witnessing L or N is singular"})
    return Outcome.verified(models=len(models), diverse=holds_count, exact=True)


def _int_det(rows: list[list[int]]) -> int:
    """Determinant of a small integer matrix, exactly (Laplace expansion along the first row)."""
    if len(rows) == 1:
        return rows[0][0]
    return sum((-1) ** j * rows[0][j] * _int_det([r[:j] + r[j + 1:] for r in rows[1:]]) for j in range(len(rows)))


SideMatrix = Callable[[np.ndarray, int, tuple[int, ...]], np.ndarray]


def definition_by_enumeration(points: np.ndarray, matrix_of: SideMatrix) -> bool:
    """One side of Def 2.1 as defined: some pivot row and M other rows give an invertible
    ``matrix_of(points, pivot, rows)`` (``label_matrix`` for L, ``input_matrix`` for N)."""
    count, m = points.shape
    for pivot in range(count):
        for rest in itertools.combinations([i for i in range(count) if i != pivot], m):
            mat = np.asarray(matrix_of(points, pivot, rest))
            if _int_det([[int(v) for v in row] for row in mat]) != 0:
                return True
    return False


#: The exhaustive boxes: (M, entries, numbers of rows); every multiset of rows is tried.
BRUTE_FORCE_BOXES = ((1, (-2, -1, 0, 1, 2), (2, 3, 4)), (2, (-1, 0, 1), (3, 4)), (3, (0, 1), (4,)))


def check_diversity_brute_force(
    boxes: Sequence[tuple[int, Sequence[int], Sequence[int]]] = BRUTE_FORCE_BOXES,
    rank_rule: Callable[[np.ndarray], int] = exact_affine_rank,
    sides: Sequence[tuple[str, SideMatrix]] = (("L (labels)", label_matrix), ("N (inputs)", input_matrix)),
) -> Outcome:
    """Def 2.1 ⇔ affine ranks, by exact brute force: for every multiset of integer rows in each box
    and each side, the definition (an invertible ``L``, resp. ``N``, found by enumerating all
    pivots and M-tuples) holds iff ``rank_rule(rows) = M`` (default: exact affine rank).  Def 2.1
    is the conjunction of the two sides and the rank rule the conjunction of the two ranks, so this
    decides the iff for every model whose ``G`` and ``F`` are rows from a box."""
    checked = 0
    for m, entries, counts in boxes:
        box = [np.array(p) for p in itertools.product(entries, repeat=m)]
        for count in counts:
            for rows in itertools.combinations_with_replacement(range(len(box)), count):
                pts = np.array([box[i] for i in rows])
                by_rank = rank_rule(pts) == m
                for name, matrix_of in sides:
                    checked += 1
                    if definition_by_enumeration(pts, matrix_of) != by_rank:
                        return Outcome.refuted(witness={"M": m, "rows": pts.tolist(), "side": name,
                                                        "rank_rule_says": by_rank})
    return Outcome.verified(point_sets=checked, exact=True,
                            boxes=[{"M": m, "entries": list(e), "rows": list(c)} for m, e, c in boxes])


#: The scope of the Def 2.1 checks.
DIVERSITY_SCOPE = ("every multiset of integer rows: M = 1 in [-2, 2] (2-4 rows), M = 2 in [-1, 1] (3-4 rows), "
                   "M = 3 in {0, 1} (4 rows); and 56 random/degenerate integer models, M = 1..4")


@DIVERSITY.method("certified")
def _(ctx: Context) -> Outcome:
    out = Outcome.combine({
        "Def 2.1 <=> affine ranks (brute force)": check_diversity_brute_force(),
        "float64 decider = exact rank rule": check_diversity(diversity_models(np.random.default_rng(ctx.seed))),
    })
    return out.with_scope(instances(DIVERSITY_SCOPE))


@DIVERSITY.method("search")
def _(ctx: Context) -> Outcome:
    return search_diversity(ctx, diversity).with_scope(instances("searched integer models, M = 1..4"))


def search_diversity(ctx: Context, decider: Decider, examples: int | None = None) -> Outcome:
    """Hypothesis search over integer models with a planted subspace dimension; a violation is a
    model on which ``decider`` and the exact rank rule disagree (score 2, else 0)."""

    @st.composite
    def model(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
        m = draw(st.integers(1, 4))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        n, k = m + 1 + draw(st.integers(0, 3)), m + 1 + draw(st.integers(0, 2))
        which = draw(st.sampled_from(["none", "f", "g"]))
        dim = draw(st.integers(0, m - 1)) if m > 1 else 0
        origin = draw(st.booleans())
        f = degenerate_rows(rng, n, m, dim, origin) if which == "f" else rng.integers(-6, 7, size=(n, m))
        g = degenerate_rows(rng, k, m, dim, origin) if which == "g" else rng.integers(-6, 7, size=(k, m))
        return f, g

    def score(x: tuple[np.ndarray, np.ndarray]) -> float:
        return 0.0 if check_diversity([x], decider).verdict == "verified" else 2.0

    def describe(x: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
        return {"f": x[0].tolist(), "g": x[1].tolist()}

    def reverify(x: tuple[np.ndarray, np.ndarray]) -> dict[str, Any] | None:
        return None if score(x) <= 1 else describe(x)

    count = examples or ctx.examples(150, 3000)
    result = run_search("def2.1-diversity", model(), score, describe, reverify, examples=count, seed_value=ctx.seed)
    evidence = {"examples": count, "seed": ctx.seed, "hypothesis": result.as_json()["hypothesis"]}
    if result.violations:
        return Outcome.refuted(witness=result.violations[0], **evidence)
    return Outcome.verified(**evidence)
