"""Claims about the implementation itself: the paths a user's numbers come from agree with exact
values, so that a bug there cannot reach users unnoticed by ``closeness verify``.

* ``impl-streamed-path``: the streamed path (blocks of inputs, for large heads) gives the
  in-memory values of every distance, the in-memory values themselves re-computed at 30 digits;
* ``impl-similarity-exact``: ``m_CCA`` and ``m_SVD`` equal their exact values on a pair built so
  that its canonical correlations are known in closed form.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from checks.evidence import numeric_zero, precision_agreement
from checks.registry import Context, Outcome, claim, instances
from theory.compare import compare
from theory.distances import Sets, d_fg, m_cca, m_svd
from theory.errors import ClosenessError
from theory.model import Model, input_weights
from theory.precision import FLOAT64, MP, Arithmetic

__all__ = ["STREAMED", "EXACT", "check_streamed", "similarity_pair", "check_similarity"]

STREAMED = claim(
    "impl-streamed-path",
    "The streamed path (inputs in blocks, for heads too large to hold the n×K log-probabilities) gives "
    "the same d_KL (both directions), d_LLV terms, d_{f,g}, m_CCA and the follow-up's d_logit as the in-memory "
    "path, to 1e-10 relative, and the in-memory float64 values agree to 1e-8 with an mpmath re-computation (itself "
    "re-checked at twice its precision).",
    r"\mathrm{stream}(d) = \mathrm{memory}(d) \text{ for } d \in \{d_{KL}, T_1..T_4, d_{f,g}, m_{CCA}, d_{logit}\}",
    "Implementation (Section 4 distances)",
    "new",
)

EXACT = claim(
    "impl-similarity-exact",
    "m_CCA and m_SVD equal their exact values on pairs whose canonical correlations are known in "
    "closed form: x and e with exactly orthogonal centred columns, y_i = a_i x_i + b_i e_i, so that the "
    "canonical correlations are ρ_i = a_i|x_i| / √(a_i²|x_i|² + b_i²|e_i|²) and m_CCA = m_SVD = mean ρ_i.",
    r"m_{CCA}(x, y) = m_{SVD}(x, y) = \tfrac1M \sum_i \rho_i",
    "Implementation (Sections 3-4 similarity measures)",
    "new",
)

#: Relative agreement required between the streamed and the in-memory path.
STREAM_TOLERANCE = 1e-10


def _quantities(j: dict[str, Any]) -> dict[str, float]:
    """The numbers of a ``closeness-compare/1`` object that both paths must agree on."""
    t = j["terms"]
    return {"d_kl_ab": j["d_kl"]["ab"], "d_kl_ba": j["d_kl"]["ba"], "T1": t["T1"], "T2": t["T2"], "T3": t["T3"],
            "T4": t["T4"], "d_llv": j["d_llv"], "d_fg": j["d_fg"], "d_svd_g": j["d_svd_g"], "m_cca": j["m_cca"],
            "d_logit": j["d_logit"]}


def streamed_pair(seed: int) -> tuple[Model, Model, Sets]:
    """A weighted pair whose size is not a multiple of the block size, with |S_Y| > M and more
    labels than one block, on which the maximum over the label subsets decides ``d_{f,g}`` (the
    largest f-side ``d_SVD`` exceeds both the smallest one and the g side by 0.05): the first such
    pair drawn from ``seed`` on.  The pair is chosen by :func:`theory.distances.d_fg` on its own
    route, not by either path under test, so a bug in one of them is refuted, not an error here."""
    sets = Sets(0, (1, 2, 3, 4, 5), 0, (1, 2))
    for attempt in range(seed, seed + 100):
        rng = np.random.default_rng(attempt)
        n, K, M = 103, 11, 2
        f, g = rng.normal(size=(n, M)), rng.normal(size=(K, M))
        weights = rng.uniform(0.5, 1.5, size=n)
        a = Model(f, g, weights / weights.sum())
        b = Model(f + 0.3 * rng.normal(size=f.shape), g + 0.6 * rng.normal(size=g.shape), a.weights)
        fg = d_fg(a.f, a.g, b.f, b.g, sets, FLOAT64, input_weights(a))
        sides = [float(d) for _, d in fg.f_side]
        if max(sides) > max(min(sides), float(fg.g_side)) + 0.05:
            return a, b, sets
    raise ClosenessError(f"no pair from seed {seed} on has its d_fg decided by the label subsets")


def check_streamed(a: Model, b: Model, sets: Sets, chunk: int = 16, dps: int = 30) -> Outcome:
    """Streamed (blocks of ``chunk`` inputs) against in-memory, and in-memory against mpmath at
    ``dps`` digits, which must agree with ``2·dps`` digits (:func:`precision_agreement`)."""
    memory = _quantities(compare(a, b, sets).as_json())
    streamed = _quantities(compare(a, b, sets, chunk=chunk).as_json())
    high = _quantities(compare(a, b, sets, dps=dps).as_json())
    check = _quantities(compare(a, b, sets, dps=2 * dps).as_json())
    P = MP(2 * dps)
    for k in high:
        _, problem = precision_agreement(P.scalar(high[k]), P.scalar(check[k]), dps, 10)
        if problem is not None:
            return Outcome.undecided(f"{k}: {problem}", dps=dps, check_dps=2 * dps)
    exact = {k: float(v) for k, v in high.items()}

    def rel(x: float, y: float) -> float:
        return abs(x - y) / max(abs(y), 1e-300)

    stream_err = {k: rel(streamed[k], memory[k]) for k in memory}
    float_err = {k: rel(memory[k], exact[k]) for k in memory}
    evidence = {"n": a.n, "K": a.K, "M": a.M, "chunk": chunk, "labels": list(sets.labels),
                "max_rel_err_streamed": max(stream_err.values()), "max_rel_err_float64": max(float_err.values()),
                "values": {k: f"{v:.12g}" for k, v in exact.items()}}
    bad = {k: {"streamed": streamed[k], "in_memory": memory[k]} for k, e in stream_err.items() if e > STREAM_TOLERANCE}
    bad.update({k: {"in_memory": memory[k], "30 digits": exact[k]} for k, e in float_err.items() if e > 1e-8})
    if bad:
        return Outcome.refuted(witness=bad, **evidence)
    return Outcome.verified(**evidence)


@STREAMED.method("numeric")
def _(ctx: Context) -> Outcome:
    out = Outcome.combine({f"seed {s}": check_streamed(*streamed_pair(s)) for s in (ctx.seed, ctx.seed + 100)})
    return out.with_scope(instances("n = 103 in blocks of 16, K = 11, M = 2, |S_Y| = 5, weighted inputs; 2 pairs"))


def similarity_pair(seed: int, n: int = 9, coefficients: tuple[tuple[int, int], ...] = ((3, 1), (1, 2))
                    ) -> tuple[np.ndarray, np.ndarray, list[tuple[Fraction, Fraction, Fraction]]]:
    """Exact rational ``x`` (n×M) and ``y`` with ``y_i = a_i x_i + b_i e_i``, where ``x_1..x_M``,
    ``e_1..e_M`` and the constant vector are pairwise orthogonal (Gram–Schmidt over ℚ); returns
    ``x``, ``y`` and, per coordinate, ``(a_i, b_i, |x_i|²/|e_i|²)``: the canonical correlations are
    ``ρ_i = a_i|x_i| / √(a_i²|x_i|² + b_i²|e_i|²)``."""
    rng = np.random.default_rng(seed)
    m = len(coefficients)
    basis: list[list[Fraction]] = [[Fraction(1)] * n]
    while len(basis) < 2 * m + 1:
        v = [Fraction(int(t)) for t in rng.integers(-4, 5, size=n)]
        for b in basis:
            coef = sum((vi * bi for vi, bi in zip(v, b, strict=True)), Fraction(0)) / sum(bi * bi for bi in b)
            v = [vi - coef * bi for vi, bi in zip(v, b, strict=True)]
        if any(v):
            basis.append(v)
    xs, es = basis[1 : m + 1], basis[m + 1 :]
    x = np.array(xs, dtype=object).T
    y = np.array([[a * xv + b * ev for xv, ev in zip(xi, ei, strict=True)]
                  for (a, b), xi, ei in zip(coefficients, xs, es, strict=True)], dtype=object).T
    norms = [(Fraction(a), Fraction(b), sum(v * v for v in xi) / sum(v * v for v in ei))
             for (a, b), xi, ei in zip(coefficients, xs, es, strict=True)]
    return x, y, norms


def _exact(P: Arithmetic, q: Fraction) -> Any:
    return P.scalar(q.numerator) / P.scalar(q.denominator)


def check_similarity(x: np.ndarray, y: np.ndarray, norms: list[tuple[Fraction, Fraction, Fraction]],
                     ctx: Context) -> Outcome:
    """``m_CCA(x, y)`` and ``m_SVD(x, y)`` minus ``mean ρ_i``, at ``ctx.dps`` and re-checked."""

    def residuals(P: Arithmetic) -> list[Any]:
        xx = np.array([[_exact(P, v) for v in row] for row in x], dtype=object)
        yy = np.array([[_exact(P, v) for v in row] for row in y], dtype=object)
        rhos = [_exact(P, a) / P.sqrt(np.array([_exact(P, a * a) + _exact(P, b * b) / _exact(P, r)]))[0]
                for a, b, r in norms]  # ρ = a / √(a² + b²|e|²/|x|²)
        target = sum(rhos, P.scalar(0)) / P.scalar(len(rhos))
        return [m_cca(xx, yy, P) - target, m_svd(xx, yy, P) - target]

    out = numeric_zero(residuals, ctx)
    out.evidence["canonical_correlations"] = [
        f"{float(a) / (float(a * a) + float(b * b) / float(r)) ** 0.5:.6f}" for a, b, r in norms]
    return out


@EXACT.method("numeric")
def _(ctx: Context) -> Outcome:
    parts = {}
    for seed, coefficients in ((0, ((3, 1), (1, 2))), (1, ((1, 1), (5, 1), (1, 4)))):
        x, y, norms = similarity_pair(ctx.seed + seed, coefficients=coefficients)
        parts[f"M = {len(coefficients)}"] = check_similarity(x, y, norms, ctx)
    return Outcome.combine(parts).with_scope(instances("n = 9, M = 2, 3, exact rational constructions"))
