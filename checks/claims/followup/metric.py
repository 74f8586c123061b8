"""``d_logit`` and its moment form (claims ``followup-logit-metric``, ``followup-logit-moment-form``):
it depends on the models only through p (the clr of the log-probabilities) and is a metric on the
conditionals over the sample; the authors' moment form with uncentred second moments equals it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from checks.claims.followup.common import (
    FU,
    exceeds,
    models_of,
    random_pairs,
    scoped_method,
    search_outcome,
    small_models,
    symbolic_zeros,
)
from checks.evidence import numeric_zero
from checks.registry import Context, Outcome, claim, instances
from theory.derivations import logit as dlogit
from theory.families import equivalent_pair
from theory.logit import (
    centred_logits,
    d_logit_sq,
    d_logit_sq_clr,
    d_logit_sq_moments,
    moment_form,
    second_moments,
    stream_d_logit_sq,
)
from theory.model import Model, input_weights, log_probs
from theory.precision import FLOAT64, MP, Arithmetic

__all__ = [
    "METRIC", "MOMENTS", "check_metric_numeric", "search_triangle", "covariance_form", "check_moment_form",
    "STREAM_CHUNK", "STREAM_TOLERANCE",
]


METRIC = claim(
    "followup-logit-metric",
    "d_logit depends on the models only through their conditionals p(·|x) (the centred logits are the "
    "centred log-ratio of p), and it is a metric on the conditionals over the sample: symmetric, the "
    "triangle inequality, zero exactly when p = p' on every input of positive weight.",
    r"f(x)^\top\hat g(y) = \log p(y|x) - \tfrac1K\textstyle\sum_{y'}\log p(y'|x);\ "
    r"d_{logit}(p,p') = 0 \iff p = p'",
    f"{FU}: definition", "follow-up",
)


MOMENTS = claim(
    "followup-logit-moment-form",
    "The moment form tr(Ĝ₁ᵀĜ₁Σ₁₁) + tr(Ĝ₂ᵀĜ₂Σ₂₂) − 2 tr(Ĝ₁ᵀĜ₂Σ₂₁) with uncentred second moments "
    "Σ_ij = E_x f_i(x) f_j(x)ᵀ equals d²_logit (with centred moments, covariances, it does not); with the "
    "moments summed over blocks of inputs (the streamed path, float64) it agrees with the direct form to "
    "1e-10 relative to E‖l₁‖² + E‖l₂‖².",
    r"d^2_{logit} = \mathrm{tr}(\hat G_1^\top\hat G_1\Sigma_{11}) + \mathrm{tr}(\hat G_2^\top\hat G_2\Sigma_{22})"
    r" - 2\,\mathrm{tr}(\hat G_1^\top\hat G_2\Sigma_{21})",
    f"{FU}: the authors' code", "follow-up-code",
)


# --------------------------------------------------------------------------------------------
# followup-logit-metric
# --------------------------------------------------------------------------------------------
def _raw_logit_sq(a: Model, b: Model, P: Arithmetic) -> Any:
    """The false variant: the uncentred logits ``f(x)ᵀg(y)`` in place of the centred ones."""
    diff = P.array(a.f) @ P.array(a.g).T - P.array(b.f) @ P.array(b.g).T
    w = input_weights(a, P)
    per = (diff * diff).sum(axis=1)
    return per.sum() / P.scalar(a.n) if w is None else (per * w).sum()


def check_metric_numeric(ctx: Context, distance: Callable[[Model, Model, Arithmetic], Any] | None = None,
                         seeds: Sequence[int] = (0, 1)) -> Outcome:
    """Residuals at ``ctx.dps`` and ``ctx.check_dps``: ``d²`` (default :func:`d_logit_sq`) against the clr
    form from the log-probabilities (p only, :func:`d_logit_sq_clr`, the form ``compare`` reports),
    unchanged under ``g → g + c`` and under ``~_L`` (zero on an
    equivalent pair); plus the triangle inequality and positivity on random triples at float64 (the
    margin is shown).  Defaults are looked up at the call, so a planted bug (``closeness selftest``) is seen."""
    distance = d_logit_sq if distance is None else distance

    def residuals(P: Arithmetic) -> list[Any]:
        out = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            for a, b in random_pairs(seed, 4):
                through_p = d_logit_sq_clr(log_probs(a, P), log_probs(b, P), P, input_weights(a, P))
                shift = rng.normal(size=a.M)
                shifted = Model(b.f, P.array(b.g) + P.array(shift), b.weights)
                out += [distance(a, b, P) - through_p, distance(a, shifted, P) - distance(a, b, P)]
            eq = equivalent_pair(rng, n=8, K=4, M=2, P=P)
            out.append(distance(eq.a, eq.b, P))
        return out

    out = numeric_zero(residuals, ctx, digits=10)
    worst = math.inf
    for seed in seeds:
        rng = np.random.default_rng(100 + seed)
        for _ in range(20):
            f, g = rng.normal(size=(8, 2)), rng.normal(size=(4, 2))
            p, q, r = (Model(f + s * rng.normal(size=f.shape), g + s * rng.normal(size=g.shape)) for s in (0, 0.5, 1))
            dpq, dqr, dpr = (math.sqrt(max(float(distance(x, y, FLOAT64)), 0)) for x, y in ((p, q), (q, r), (p, r)))
            worst = min(worst, dpq + dqr - dpr)
    out.evidence.update(triangle_min_margin=worst, triples=20 * len(seeds))
    if out.verdict == "verified" and worst < -1e-9:
        return Outcome.refuted(witness={"triangle margin": worst}, **out.evidence)
    return out


def _metric_symbolic(ctx: Context) -> Outcome:
    res = dlogit.clr_identities(3)
    return symbolic_zeros(res, instances("K = 3 symbolic logits"),
                          note="d_logit is the L²(p_D) norm of the clr difference, so symmetry and the triangle "
                               "inequality are Minkowski's; clr is injective (softmax inverts it), so zero ⇔ p = p' "
                               "on inputs of positive weight")


def search_triangle(ctx: Context, examples: int) -> Outcome:
    """Maximise ``d(p,r)/(d(p,q) + d(q,r))`` for ``d = d_logit`` over triples of small weighted models."""
    from checks.search import run_search

    def score(x: Any) -> float | None:
        p, q, r = models_of(x, 3)
        d = [math.sqrt(max(float(d_logit_sq(u, v)), 0)) for u, v in ((p, q), (q, r), (p, r))]
        return None if d[0] + d[1] == 0 else d[2] / (d[0] + d[1])

    def reverify(x: Any) -> dict[str, Any] | None:
        P = MP(ctx.dps)
        p, q, r = models_of(x, 3)
        d = [P.sqrt(np.array([d_logit_sq(u, v, P)]))[0] for u, v in ((p, q), (q, r), (p, r))]
        return {"ratio": float(d[2] / (d[0] + d[1]))} if exceeds(d[2], d[0] + d[1], ctx.dps) else None

    result = run_search("followup-triangle", small_models(3), score, lambda x: {}, reverify,
                        examples=examples, seed_value=ctx.seed)
    return search_outcome(result)


METRIC.method("symbolic")(_metric_symbolic)
scoped_method(METRIC, "numeric", instances("random pairs M ≤ 3, weighted; ~_L pairs; 40 random triples"))(
    check_metric_numeric)
scoped_method(METRIC, "search", instances("hypothesis search over triples, M ≤ 2, weighted inputs"))(
    lambda ctx: search_triangle(ctx, ctx.examples(20, 300)))


# --------------------------------------------------------------------------------------------
# followup-logit-moment-form
# --------------------------------------------------------------------------------------------
def _covariances(f1: np.ndarray, f2: np.ndarray, P: Arithmetic, w: np.ndarray | None) -> tuple[Any, Any, Any]:
    """The false variant: centred moments (covariances) in place of second moments."""
    c1 = P.array(f1) - P.array(f1).sum(axis=0) / P.scalar(f1.shape[0])
    c2 = P.array(f2) - P.array(f2).sum(axis=0) / P.scalar(f2.shape[0])
    return second_moments(c1, c2, P, w)


def covariance_form(a: Model, b: Model, P: Arithmetic) -> Any:
    """The false variant: the moment form with covariances (centred moments) in place of ``Σ_ij``."""
    return moment_form(a.g, b.g, *_covariances(a.f, b.f, P, input_weights(a, P)), P)


#: Block size of the streamed moment form in the check: it divides no pair's 10 inputs, so every block
#: loop has a full first block, full middle ones and a short last one.
STREAM_CHUNK = 3
#: Agreement required of the streamed form (float64), relative to ``E‖l₁‖² + E‖l₂‖²``: the moment form
#: subtracts second moments of that size, so its rounding is relative to them, not to ``d²_logit``.
STREAM_TOLERANCE = 1e-10


def _logit_energy(a: Model, b: Model) -> float:
    """``E_x ‖l₁(x)‖² + E_x ‖l₂(x)‖²`` at float64 (the size of the moments the moment form subtracts)."""
    l1, l2 = centred_logits(a), centred_logits(b)
    per = (l1 * l1).sum(axis=1) + (l2 * l2).sum(axis=1)
    w = input_weights(a)
    return float(per.mean() if w is None else (per * w).sum())


def check_streamed_form(ctx: Context, streamed: Callable[[Model, Model, int], float] | None = None) -> Outcome:
    """The moment form summed over blocks of :data:`STREAM_CHUNK` inputs (float64, default
    :func:`stream_d_logit_sq`) against the direct form at float64, on the random weighted pairs: refuted
    when some difference exceeds :data:`STREAM_TOLERANCE` times ``E‖l₁‖² + E‖l₂‖²``."""
    streamed = stream_d_logit_sq if streamed is None else streamed
    rows = []
    for i, (a, b) in enumerate(random_pairs(ctx.seed, 6)):
        direct, blocks = float(d_logit_sq(a, b, FLOAT64)), float(streamed(a, b, STREAM_CHUNK))
        rows.append({"pair": i, "n": a.n, "direct": direct, "streamed": blocks,
                     "relative_error": abs(blocks - direct) / max(_logit_energy(a, b), 1e-300)})
    ev = {"chunk": STREAM_CHUNK, "tolerance": STREAM_TOLERANCE, "relative_to": "E‖l₁‖² + E‖l₂‖²",
          "max_relative_error": max(r["relative_error"] for r in rows)}
    bad = [r for r in rows if not r["relative_error"] <= STREAM_TOLERANCE]
    return Outcome.refuted(witness=bad[0], **ev) if bad else Outcome.verified(**ev)


def check_moment_form(ctx: Context, form: Callable[[Model, Model, Arithmetic], Any] | None = None,
                      streamed: Callable[[Model, Model, int], float] | None = None) -> Outcome:
    """``direct − moment form`` (default :func:`d_logit_sq_moments`) on random weighted pairs at ``ctx.dps``
    and ``ctx.check_dps``, and the streamed moment form against the direct one at float64
    (:func:`check_streamed_form`)."""
    form = d_logit_sq_moments if form is None else form

    def residuals(P: Arithmetic) -> list[Any]:
        with P.active():
            return [d_logit_sq(a, b, P) - form(a, b, P) for a, b in random_pairs(ctx.seed, 6)]

    return Outcome.combine({"moment form": numeric_zero(residuals, ctx, digits=10),
                            "streamed, float64": check_streamed_form(ctx, streamed)})


MOMENTS.method("symbolic")(lambda ctx: symbolic_zeros(
    {"M=2, K=3": dlogit.moment_identity(2, 3)},
    instances("one input, M = 2, K = 3, symbolic entries"),
    note="linearity of E_x turns each product into a trace against a second moment"))
scoped_method(MOMENTS, "numeric", instances("6 random pairs, M ≤ 3, weighted; streamed in blocks of 3 of 10 inputs"))(
    check_moment_form)
