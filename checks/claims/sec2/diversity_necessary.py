"""Theorem 2.2 needs Definition 2.1 (claim ``sec2-diversity-necessary``): certified witnesses
with equal distributions that are not ``~_L`` related.
"""

from __future__ import annotations

from dataclasses import dataclass


from checks.registry import Context, Outcome, claim, instances
from theory.identifiability import (
    exact_affine_rank,
    exact_equal_distributions,
    exact_linear_relation,
)


# ---------------------------------------------------------------------------------------------
# [new] diversity is necessary
# ---------------------------------------------------------------------------------------------

NECESSITY = claim(
    "sec2-diversity-necessary",
    "Without diversity the 'only if' of Theorem 2.2 fails: there are models with equal distributions "
    "that are not ~_L related (unembeddings on a line; embeddings on a line).",
    r"\exists (f,g),(f',g'):\ p_{f,g}=p_{f',g'},\ (f,g)\not\sim_L(f',g')",
    "Theorem 2.2 (necessity of Def 2.1)",
    "new",
    depends_on=("def2.1-diversity",),
)


@dataclass(frozen=True)
class Witness:
    """Two models (integer entries), meant to have equal distributions and not be ``~_L``."""

    name: str
    f: list[list[int]]
    g: list[list[int]]
    f2: list[list[int]]
    g2: list[list[int]]


WITNESSES = (
    # labels on a line (L singular for every choice); the embeddings are diverse
    Witness("unembeddings on a line", f=[[1, 0], [0, 1], [1, 1]], g=[[0, 0], [1, 0], [2, 0]],
            f2=[[1, 0], [0, 1], [1, 2]], g2=[[0, 0], [1, 0], [2, 0]]),
    # inputs on a line through 0 (N singular); the unembeddings are diverse
    Witness("embeddings on a line", f=[[0, 0], [1, 0], [2, 0]], g=[[0, 0], [1, 0], [0, 1], [1, 1]],
            f2=[[0, 0], [1, 0], [2, 0]], g2=[[0, 0], [1, 0], [0, 1], [1, 3]]),
)


def check_necessity_witness(w: Witness) -> Outcome:
    """Exactly over ``Q``: (i) ``(f,g)`` is not diverse (affine rank of the rows of ``F`` or ``G``
    below M); (ii) ``p_{f,g} = p_{f',g'}`` (logit difference constant in y); (iii) no matrix ``A``
    at all satisfies ``F = F'Aᵀ`` and ``G_0 A = G'_0`` (rank of the linear system below the rank of
    its augmented matrix), so a fortiori no invertible one: not ``~_L``."""
    m = len(w.f[0])
    ranks = {"affine_rank_f": exact_affine_rank(w.f), "affine_rank_g": exact_affine_rank(w.g), "M": m}
    equal, where = exact_equal_distributions(w.f, w.g, w.f2, w.g2)
    rel = exact_linear_relation(w.f, w.g, w.f2, w.g2)
    evidence = {"name": w.name, "exact": True, **ranks, "equal_distributions": equal,
                "system_rank": rel.rank, "augmented_rank": rel.augmented_rank, "unknowns": rel.unknowns}
    if min(ranks["affine_rank_f"], ranks["affine_rank_g"]) == m:
        return Outcome.refuted(witness={"name": w.name, "why": "model (f,g) is diverse"}, **evidence)
    if not equal:
        return Outcome.refuted(witness={"name": w.name, "why": "distributions differ", "input_label": where},
                               **evidence)
    if rel.related is not False:
        why = "an invertible A relates them" if rel.related else "the linear system for A is consistent"
        return Outcome.refuted(witness={"name": w.name, "why": why, "A": str(rel.a)}, **evidence)
    return Outcome.verified(**evidence)


@NECESSITY.method("certified")
def _(ctx: Context) -> Outcome:
    out = Outcome.combine({w.name: check_necessity_witness(w) for w in WITNESSES})
    return out.with_scope(instances("two exact witnesses, M = 2"))
