"""Theorem 3.1 beyond the construction (claim ``sec3-not-one-construction``): a seeded search
over small pairs finds small KL with dissimilar representations elsewhere too.
"""

from __future__ import annotations

from checks.registry import Context, Outcome, claim, instances


PHENOMENON = claim(
    "sec3-not-one-construction",
    "Small KL with dissimilar representations is not tied to this construction: a seeded search over small "
    "pairs (K ≤ 8, M ∈ {2, 3}, other label geometries, noise, permutations) finds pairs with d_KL ≤ 1e-3 "
    "and d_{f,g} ≥ 0.5, re-verified at high precision.",
    r"\exists\ \text{pairs}: d_{KL}\le 10^{-3},\ d_{f,g}\ge 0.5",
    "Theorem 3.1", "new",
)


@PHENOMENON.method("search")
def _(ctx: Context) -> Outcome:
    from checks.search.kl import phenomenon_outcome

    out = phenomenon_outcome(eps=1e-3, threshold=0.5, examples=ctx.examples(8, 300), seed=ctx.seed,
                             dps=ctx.dps if ctx.deep else 30)
    return out.with_scope(instances("searched pairs, K <= 8, M in {2, 3}"))
