"""Claims of the follow-up paper (*Logit Distance Bounds Representational Similarity*, the same
authors): the logit distance ``d_logit``, its bound on representational dissimilarity, and why KL
cannot give it.  Its text is not available here, so every claim is tagged by where it comes from:
``follow-up`` (its abstract states it), ``follow-up-code`` (only its experiment code shows it) or
``new`` (derived here), and decided by derivation.  The distances are in :mod:`theory.logit`, the
sympy derivations in :mod:`theory.derivations.logit`.

Every method is a thin wrapper around a parameterised checker (``check_*``) that the tests feed a
deliberately false variant (tests/test_followup_claims.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from checks.evidence import ball_str, certified_leq, numeric_leq, numeric_zero
from checks.registry import GENERAL, Claim, Context, Outcome, claim, instances
from theory.derivations import logit as dlogit
from theory.distances import d_fg, d_kl, d_llv, llv_terms
from theory.errors import ClosenessError
from theory.families import cyclic_model, equivalent_pair, random_diverse_pair
from theory.logit import (
    appendix_cca_example,
    appendix_kl_example,
    code_formula,
    d_logit_sq,
    d_logit_sq_moments,
    d_rep_sq,
    eigen_cca_bound,
    moment_form,
    second_moments,
)
from theory.model import Model, input_weights, log_probs
from theory.precision import FLOAT64, MP, Arithmetic, Ball
from theory.selection import default_sets

__all__ = [
    "METRIC", "MOMENTS", "BOUND", "CONVENTIONS", "REP", "LLV", "NOT_FG", "TAU", "TAU_SHARP",
    "KL_EXAMPLE", "CCA_EXAMPLE", "CODE_SCALE",
    "check_metric_numeric", "check_moment_form", "check_bound_numeric", "check_bound_certified",
    "check_conventions", "covariance_form", "check_rep_bound", "check_llv_link", "check_scaling", "check_tau",
    "check_kl_example", "check_cca_example", "check_code_scale", "lipschitz_constant", "sharp_constant",
]

FU = "Follow-up (logit distance)"

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
    "Σ_ij = E_x f_i(x) f_j(x)ᵀ equals d²_logit (with centred moments, covariances, it does not).",
    r"d^2_{logit} = \mathrm{tr}(\hat G_1^\top\hat G_1\Sigma_{11}) + \mathrm{tr}(\hat G_2^\top\hat G_2\Sigma_{22})"
    r" - 2\,\mathrm{tr}(\hat G_1^\top\hat G_2\Sigma_{21})",
    f"{FU}: the authors' code", "follow-up-code",
)
BOUND = claim(
    "followup-bound",
    "Σ_i λ↓_i(1 − ρ↓_i²) ≤ min_B E‖l_t(x) − B f_s(x)‖² ≤ d²_logit, with λ the eigenvalues of the teacher's "
    "centred-logit second-moment matrix and ρ the canonical correlations of teacher and student embeddings, "
    "both sorted descending, when λ and ρ are both uncentred, both centred over inputs, or λ centred "
    "and ρ uncentred.",
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
REP = claim(
    "followup-rep-bound",
    "Each (pivot y₀, M-set S) term of d²_rep is at most (M+1)‖L₁⁻¹‖₂² d²_logit, so "
    "d²_rep ≤ (M+1)·mean_{y₀,S} ‖L₁(y₀,S)⁻¹‖₂² · d²_logit; in particular d_logit = 0 ⇒ d_rep = 0. "
    "The conditioning of L₁ cannot be dropped: rescaling (f, g) → (f/c, c g) keeps d_logit and multiplies "
    "d²_rep by c⁻².",
    r"d^2_{rep} \le (M+1)\,\overline{\|L_1^{-1}\|_2^2}\; d^2_{logit}",
    f"{FU}: d_rep bounded by d_logit (constant derived here)", "new", depends_on=("followup-logit-metric",),
)
LLV = claim(
    "followup-llv-link",
    "With the full label set (S_Y = every label but y₀), λ > 0 and every σ_y, s_x positive, "
    "d_logit = 0 ⇔ d^λ_LLV = 0 (both ⇔ equal conditionals); with λ = 0 it fails (a temperature-scaled copy).",
    r"d_{logit} = 0 \iff d^\lambda_{LLV} = 0",
    f"{FU} and Section 4", "new", depends_on=("followup-logit-metric", "sec4-llv-metric"),
)
NOT_FG = claim(
    "followup-logit-not-bound-fg",
    "Small d_logit does not bound d_{f,g}: the pair (δf₁, g₁), (δf₂, g₂) has d_logit scaled by δ while "
    "d_{f,g} (built from standardised quantities) is unchanged, so d_{f,g} ≤ C·d_logit fails for every C.",
    r"d_{logit}(\delta) = \delta\, d_{logit}(1),\quad d_{f,g}(\delta) = d_{f,g}(1)",
    f"{FU} and Section 4", "new",
)
TAU = claim(
    "followup-kl-tau",
    "If every probability of both models is at least τ, d²_logit ≤ d_KL/τ² (log is 1/τ-Lipschitz on "
    "[τ, 1], ‖v‖₂² ≤ ‖v‖₁²/2 for Σv = 0, and Pinsker), in either direction of d_KL.",
    r"p, p' \ge \tau \Rightarrow d^2_{logit} \le d_{KL}/\tau^2",
    f"{FU}: KL bounds d_logit only with probabilities bounded below", "follow-up",
)
TAU_SHARP = claim(
    "followup-kl-tau-sharp",
    "Sharper: if every probability is at least τ, d²_logit ≤ d_KL · log²τ / (τ(1 − τ + τ log τ)) "
    "(≈ log²τ/τ instead of 1/τ²), from KL(p‖p') = Σ p' φ(δ), φ(δ)/δ² = ∫₀¹ s e^{sδ} ds increasing, δ ≥ log τ.",
    r"d^2_{logit} \le \frac{\log^2\tau}{\tau(1-\tau+\tau\log\tau)}\, d_{KL}",
    f"{FU}: KL and the logit distance", "new",
)
KL_EXAMPLE = claim(
    "followup-kl-example",
    "The appendix example with equal embeddings and unembeddings not linearly related (K = 8, M = 2; "
    "labels 5↔6, 7↔8 swapped): d_KL ≈ 0.005 in both directions while d²_logit ≈ 673 (within 5 %), "
    "and the smallest probability is below 1e-20, so both τ-bounds exceed d²_logit by more than 1e20.",
    r"d_{KL} \approx 0.005,\ d^2_{logit} \approx 673,\ \min p < 10^{-20}",
    f"{FU}: appendix example 2", "follow-up",
)
CCA_EXAMPLE = claim(
    "followup-cca-example",
    "The appendix example (K = 5, M = 2; embeddings rotated by π/4 counter-clockwise, unembeddings by π/4 "
    "clockwise): m_CCA(f, f') = 1 and m_CCA(g, g') = 1, yet p ≠ p' (d_KL > 0, d_logit > 0).",
    r"m_{CCA}(f,f') = m_{CCA}(g,g') = 1,\ p \ne p'",
    f"{FU}: appendix example 1", "follow-up",
)
CODE_SCALE = claim(
    "followup-rep-code-scale",
    "The d_rep of the authors' experiment code (each (pivot, set) term divided by the number of pivots × "
    "sets, and the list of terms then averaged) is the average of E‖f₁ − A f₂‖² over pivots and sets.",
    r"\tfrac1N\textstyle\sum_j t_j/N = \tfrac1N\sum_j t_j",
    f"{FU}: the authors' code", "follow-up-code",
)


def _method(c: Claim, name: str, scope: str) -> Callable[[Callable[[Context], Outcome]], Any]:
    """Attach a method to ``c`` whose outcome states ``scope`` unless it states its own."""
    def attach(fn: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        def run(ctx: Context) -> Outcome:
            out = fn(ctx)
            out.evidence.setdefault("scope", scope)
            return out

        run.__doc__ = fn.__doc__
        c.method(name)(run)
        return fn

    return attach


def _zeros(residuals: dict[str, Any], scope: str, **evidence: Any) -> Outcome:
    """Verified when every sympy residual is exactly 0, refuted (naming them) otherwise."""
    shown = {k: str(v) for k, v in residuals.items()}
    bad = {k: v for k, v in shown.items() if v not in ("0", "Matrix([[0], [0]])") and set(v) - set("0[], Matrix()")}
    if bad:
        return Outcome.refuted(witness=bad, residuals=shown, scope=scope, **evidence)
    return Outcome.verified(residuals=shown, scope=scope, **evidence)


def _pairs(seed: int, count: int = 6, weighted: bool = True) -> list[tuple[Model, Model]]:
    """Random pairs over M ∈ {1, 2, 3}, K ∈ {M+1, M+3}, several closeness levels, some weighted."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        m = 1 + i % 3
        p = random_diverse_pair(rng, n=10, K=m + 1 + 2 * (i % 2), M=m, closeness=(0.1, 0.5, 1.5)[i % 3])
        w = rng.integers(1, 5, p.a.n).astype(float) if weighted and i % 2 else None
        out.append((Model(p.a.f, p.a.g, w), Model(p.b.f, p.b.g, w)))
    return out


# --------------------------------------------------------------------------------------------
# followup-logit-metric
# --------------------------------------------------------------------------------------------
def _raw_logit_sq(a: Model, b: Model, P: Arithmetic) -> Any:
    """The false variant: the uncentred logits ``f(x)ᵀg(y)`` in place of the centred ones."""
    diff = P.array(a.f) @ P.array(a.g).T - P.array(b.f) @ P.array(b.g).T
    w = input_weights(a, P)
    per = (diff * diff).sum(axis=1)
    return per.sum() / P.scalar(a.n) if w is None else (per * w).sum()


def check_metric_numeric(ctx: Context, distance: Callable[[Model, Model, Arithmetic], Any] = d_logit_sq,
                         seeds: Sequence[int] = (0, 1)) -> Outcome:
    """Residuals at ``ctx.dps`` and ``ctx.check_dps``: ``d²`` against the clr of the log-probabilities
    (p only), unchanged under ``g → g + c`` and under ``~_L`` (zero on an equivalent pair); plus the
    triangle inequality and positivity on random triples at float64 (the margin is shown)."""

    def residuals(P: Arithmetic) -> list[Any]:
        out = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            for a, b in _pairs(seed, 4):
                c1, c2 = (x - x.sum(axis=1)[:, None] / P.scalar(a.K) for x in (log_probs(a, P), log_probs(b, P)))
                w = input_weights(a, P)
                per = ((c1 - c2) * (c1 - c2)).sum(axis=1)
                through_p = per.sum() / P.scalar(a.n) if w is None else (per * w).sum()
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
    return _zeros(res, instances("K = 3 symbolic logits"),
                  note="d_logit is the L²(p_D) norm of the clr difference, so symmetry and the triangle "
                       "inequality are Minkowski's; clr is injective (softmax inverts it), so zero ⇔ p = p' "
                       "on inputs of positive weight")


def _leq(sides: Callable[[Arithmetic], tuple[Any, Any]], ctx: Context, witness: Any) -> Outcome:
    """:func:`numeric_leq`, with a margin below the working precision's noise at both precisions (an
    equality case, e.g. an equivalent pair or an attained bound) counted as holding, and said so."""
    out = numeric_leq(sides, ctx, digits=10, witness=witness)
    if out.verdict == "undecided" and "noise" in out.evidence.get("reason", ""):
        return Outcome.verified(**{k: v for k, v in out.evidence.items() if k != "reason"},
                                equality="the two sides agree to the working precision")
    return out


def _exceeds(lhs: Any, rhs: Any, dps: int) -> bool:
    """``lhs > rhs`` by more than the noise of ``dps`` digits (a confirmed violation)."""
    return float(lhs - rhs) > 10.0 ** (-(dps - 10)) * max(abs(float(lhs)), abs(float(rhs)), 1.0)


def _search_outcome(result: Any) -> Outcome:
    ev = {"examples": result.examples, "seed": result.seed, "best": result.best[:3],
          "unconfirmed_violations": result.dropped}
    if result.violations:
        return Outcome.refuted(witness=result.violations[0], **ev)
    return Outcome.verified(**ev)


def _quarter_models(count: int, max_m: int = 2) -> st.SearchStrategy[Any]:
    from checks.search.sec4 import models_strategy

    return models_strategy(count=count, max_m=max_m)


def _models(x: Sequence[np.ndarray], count: int) -> list[Model]:
    w = x[-1]
    return [Model(x[2 * i], x[2 * i + 1], w) for i in range(count)]


def search_triangle(ctx: Context, examples: int) -> Outcome:
    """Maximise ``d(p,r)/(d(p,q) + d(q,r))`` for ``d = d_logit`` over triples of small weighted models."""
    from checks.search import run_search

    def score(x: Any) -> float | None:
        p, q, r = _models(x, 3)
        d = [math.sqrt(max(float(d_logit_sq(u, v)), 0)) for u, v in ((p, q), (q, r), (p, r))]
        return None if d[0] + d[1] == 0 else d[2] / (d[0] + d[1])

    def reverify(x: Any) -> dict[str, Any] | None:
        P = MP(ctx.dps)
        p, q, r = _models(x, 3)
        d = [P.sqrt(np.array([d_logit_sq(u, v, P)]))[0] for u, v in ((p, q), (q, r), (p, r))]
        return {"ratio": float(d[2] / (d[0] + d[1]))} if _exceeds(d[2], d[0] + d[1], ctx.dps) else None

    result = run_search("followup-triangle", _quarter_models(3), score, lambda x: {}, reverify,
                        examples=examples, seed_value=ctx.seed)
    return _search_outcome(result)


METRIC.method("symbolic")(_metric_symbolic)
_method(METRIC, "numeric", instances("random pairs M ≤ 3, weighted; ~_L pairs; 40 random triples"))(
    check_metric_numeric)
_method(METRIC, "search", instances("hypothesis search over triples, M ≤ 2, weighted inputs"))(
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


def check_moment_form(ctx: Context, form: Callable[[Model, Model, Arithmetic], Any] = d_logit_sq_moments) -> Outcome:
    """``direct − moment form`` on random weighted pairs at ``ctx.dps`` and ``ctx.check_dps``."""

    def residuals(P: Arithmetic) -> list[Any]:
        with P.active():
            return [d_logit_sq(a, b, P) - form(a, b, P) for a, b in _pairs(ctx.seed, 6)]

    return numeric_zero(residuals, ctx, digits=10)


MOMENTS.method("symbolic")(lambda ctx: _zeros(
    {"M=2, K=3": dlogit.moment_identity(2, 3)},
    instances("one input, M = 2, K = 3, symbolic entries"),
    note="linearity of E_x turns each product into a trace against a second moment"))
_method(MOMENTS, "numeric", instances("6 random pairs, M ≤ 3, weighted"))(check_moment_form)


# --------------------------------------------------------------------------------------------
# followup-bound and its conventions
# --------------------------------------------------------------------------------------------
#: The conventions under which the bound is claimed (keyword arguments of ``eigen_cca_bound``).
CONSISTENT = {"uncentred": {}, "centred": {"lam_centred": True, "rho_centred": True},
              "λ centred, ρ uncentred": {"lam_centred": True}}


def bound_material(seed: int) -> list[tuple[Model, Model]]:
    """Random pairs, a near pair, an equivalent pair, a pair with a large common mean."""
    rng = np.random.default_rng(seed)
    out = _pairs(seed, 4)
    eq = equivalent_pair(rng, n=10, K=4, M=2)
    out.append((eq.a, eq.b))
    f = 5 + rng.normal(size=(12, 2))
    out.append((Model(f, rng.normal(size=(4, 2))), Model(f + 0.2 * rng.normal(size=f.shape), rng.normal(size=(4, 2)))))
    return out


def check_bound_numeric(ctx: Context, conventions: dict[str, dict[str, Any]] = CONSISTENT,
                        material: list[tuple[Model, Model]] | None = None) -> Outcome:
    """Both steps ``lhs ≤ middle ≤ d²`` on every pair and convention, at ``ctx.dps`` re-checked at
    ``ctx.check_dps`` (:func:`numeric_leq`; a zero margin, on an equivalent pair, counts as holding)."""
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

                parts[f"{name}, pair {i}, {step}"] = _leq(sides, ctx, {"pair": i, "convention": name})
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
        a, b = _models(x, 2)
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
        a, b = _models(x, 2)
        P = MP(ctx.dps)
        for name, kw in conventions.items():
            s = eigen_cca_bound(a, b, P, **kw)
            if _exceeds(s.lhs, s.d2, ctx.dps):
                return {"convention": name, "lhs": str(s.lhs), "d2": str(s.d2)}
        return None

    result = run_search("followup-bound", _quarter_models(2), score, lambda x: {}, reverify,
                        examples=examples, seed_value=ctx.seed)
    return _search_outcome(result)


BOUND.method("symbolic")(lambda ctx: _zeros(
    {"whitening M=2": dlogit.whitening_identity(1, 2),
     "rearrangement 2×2 minus certificate": dlogit.rearrangement_2x2()[0]},
    instances("the whitening identity on exact M = 2 matrices; the rearrangement for 2×2"),
    certificate=str(dlogit.rearrangement_2x2()[1]),
    not_encoded="tr(PQ) ≥ Σ λ↓(P)λ↑(Q) for M > 2 (Ruhe's trace inequality); min_B ≤ d² (B = Ĝ_s); "
                "centring over x lowers E‖·‖² (E‖Z‖² = ‖EZ‖² + tr Cov Z) and Cov ⪯ second moment (λ centred ≤ λ)"))
_method(BOUND, "numeric", instances("6 pairs (random M ≤ 3, weighted, ~_L, large mean) × 3 conventions"))(
    check_bound_numeric)
_method(BOUND, "certified", instances("5 pairs (random M ≤ 3, weighted, large mean) × 3 conventions, 30 digits"))(
    lambda ctx: check_bound_certified())
_method(BOUND, "search", instances("hypothesis search, M ≤ 2, weighted inputs, 3 conventions"))(
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


_method(CONVENTIONS, "certified", instances("three witness pairs, one per convention, 30 digits"))(
    lambda ctx: check_conventions())


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
    pairs = _pairs(seed, 3)
    return pairs + [(Model(10 * a.f, a.g / 10, a.weights), Model(10 * b.f, b.g / 10, b.weights)) for a, b in pairs]


def check_rep_bound(ctx: Context, conditioning: bool = True) -> Outcome:
    """``d²_rep ≤ (M+1)·mean‖L₁⁻¹‖²·d²_logit`` on :func:`rep_material` at two precisions."""
    parts = {}
    for i, (a, b) in enumerate(rep_material(ctx.seed)):
        parts[f"pair {i}"] = _leq(lambda P, a=a, b=b: rep_sides(a, b, P, conditioning), ctx,
                                  {"pair": i, "n": a.n, "K": a.K, "M": a.M})
    return Outcome.combine(parts)


def search_rep(ctx: Context, examples: int) -> Outcome:
    """Maximise ``d²_rep / ((M+1)·mean‖L₁⁻¹‖²·d²_logit)`` over small weighted pairs."""
    from checks.search import run_search

    def score(x: Any) -> float | None:
        a, b = _models(x, 2)
        try:
            lhs, rhs = rep_sides(a, b, FLOAT64)
        except ClosenessError:
            return None
        # the bound is attained (M = 1, K = 2): equality at float64 rounding is not a violation
        return None if float(rhs) <= 1e-9 else float(lhs) / (float(rhs) * (1 + 1e-9))

    def reverify(x: Any) -> dict[str, Any] | None:
        lhs, rhs = rep_sides(*_models(x, 2), MP(ctx.dps))
        return {"d2_rep": str(lhs), "bound": str(rhs)} if _exceeds(lhs, rhs, ctx.dps) else None

    return _search_outcome(run_search("followup-rep", _quarter_models(2), score, lambda x: {}, reverify,
                                      examples=examples, seed_value=ctx.seed))


REP.method("symbolic")(lambda ctx: _zeros(
    {"L₁(f₁ − Af₂) − J(l₁ − l₂), M=2, K=3": dlogit.rep_identity(2, 3),
     **{f"‖J‖² − (M+1), M={m}": dlogit.difference_norm(m)[1] for m in range(1, 7)}},
    instances("symbolic entries, M = 2, K = 3; ‖J‖² for M = 1..6"),
    not_encoded="‖L₁⁻¹ v‖ ≤ ‖L₁⁻¹‖₂‖v‖ and Σ_{y∈S∪{y₀}} ≤ Σ_y (definitions)"))
_method(REP, "numeric", instances("3 random pairs M ≤ 3 and their (10f, g/10) rescalings"))(check_rep_bound)
_method(REP, "search", instances("hypothesis search, M ≤ 2, weighted inputs"))(
    lambda ctx: search_rep(ctx, ctx.examples(15, 300)))


# --------------------------------------------------------------------------------------------
# followup-llv-link
# --------------------------------------------------------------------------------------------
def llv_link_material(seed: int) -> list[tuple[str, Model, Model]]:
    rng = np.random.default_rng(seed)
    eq = equivalent_pair(rng, n=10, K=5, M=2, P=MP(120))
    out = [("~_L pair", eq.a, eq.b)]
    out += [(f"random pair {i}", a, b) for i, (a, b) in enumerate(_pairs(seed, 2, weighted=False))]
    out.append(("temperature pair r=2", *_temperature_pair(2)))
    return out


def _temperature_pair(r: int) -> tuple[Model, Model]:
    """The cyclic model and its copy ``f' = r·f`` (``p' ∝ p^r``, as
    :func:`theory.families.temperature_pair`) with ``f/10`` entered as decimal strings: the integer
    pair is exact, so its values are identical at every precision and the re-check could not tell
    them from a float64-bound path; tenths are rounded anew at each precision."""
    f, g = cyclic_model()

    def tenths(s: int) -> np.ndarray:
        return np.array([[f"{s * v}e-1" for v in row] for row in f], dtype=object)

    return Model(tenths(1), np.asarray(g, float)), Model(tenths(r), np.asarray(g, float))


def check_llv_link(ctx: Context, lam: str = "1e-5") -> Outcome:
    """On every pair, ``d²_logit`` and ``d^λ_LLV`` (full label set) are both zero or both positive, each
    decided by :func:`numeric_zero` at ``ctx.dps`` re-checked at ``ctx.check_dps``: zero when below
    ``10^{-(dps−10)}`` at ``ctx.dps`` and ``10^{-(check_dps−10)}`` at ``ctx.check_dps``, positive when
    above it at both and the two values agree to 10 digits (not bit-identical); undecided otherwise."""
    rows, bad = [], []
    for name, a, b in llv_link_material(ctx.seed):
        def llv(P: Arithmetic, a: Model = a, b: Model = b) -> Any:
            return d_llv(llv_terms(log_probs(a, P), log_probs(b, P), default_sets(a, b), P, input_weights(a, P)), lam)

        row: dict[str, Any] = {"pair": name}
        for what, value in (("d_logit", lambda P, a=a, b=b: d_logit_sq(a, b, P)), ("d_LLV", llv)):
            out = numeric_zero(lambda P, value=value: [value(P)], ctx, digits=10)
            if out.verdict == "undecided":
                return Outcome.undecided(f"{what} on {name}: {out.evidence['reason']}", pairs=rows, **{
                    k: v for k, v in out.evidence.items() if k != "reason"})
            row[what] = out.verdict == "verified"
            row[what + " value"] = out.evidence["max_residual"]
        rows.append(row)
        if row["d_logit"] != row["d_LLV"]:
            bad.append(row)
    ev = {"pairs": rows, "lambda": lam, "sets": "pivot 0, every other label", "dps": ctx.dps,
          "check_dps": ctx.check_dps, "digits": 10}
    return Outcome.refuted(witness=bad[0], **ev) if bad else Outcome.verified(**ev)


_method(LLV, "numeric", instances("a ~_L pair, 2 random pairs, a temperature-scaled pair"))(check_llv_link)


# --------------------------------------------------------------------------------------------
# followup-logit-not-bound-fg
# --------------------------------------------------------------------------------------------
def _scaled(a: Model, b: Model, delta: str, P: Arithmetic) -> tuple[Model, Model]:
    d = P.scalar(delta)
    return Model(P.array(a.f) * d, a.g), Model(P.array(b.f) * d, b.g)


def _llv_distance(a: Model, b: Model, P: Arithmetic) -> Any:
    """The false variant's distance: ``d_LLV²`` (does not shrink with the logits)."""
    v = d_llv(llv_terms(log_probs(a, P), log_probs(b, P), default_sets(a, b), P), "1e-5")
    return v * v


def check_scaling(dps: int = 30, distance: Callable[[Model, Model, Arithmetic], Any] = d_logit_sq,
                  deltas: Sequence[str] = ("1e-3", "1e-9")) -> Outcome:
    """In balls: ``distance(δ) ≤ δ²·distance(1)·(1 + 10⁻²⁰)`` (a squared distance) and
    ``d_{f,g}(δ) ≥ 1/2`` for a pair with ``d_{f,g}(1) ≥ 1/2``, for each δ."""
    P = Ball(dps)
    rng = np.random.default_rng(3)
    f, g = rng.normal(size=(12, 2)), rng.normal(size=(5, 2))
    a, b = Model(f, g), Model(rng.normal(size=(12, 2)), rng.normal(size=(5, 2)))
    sets = default_sets(a, b)
    parts = {}
    with P.active():
        base = distance(a, b, P)
        for delta in deltas:
            sa, sb = _scaled(a, b, delta, P)
            d2 = distance(sa, sb, P)
            fg = d_fg(sa.f, sa.g, sb.f, sb.g, sets, P).value
            slack = P.scalar(delta) ** 2 * base * (1 + P.scalar("1e-20"))
            parts[f"δ={delta}: distance"] = certified_leq(d2, slack, witness={"delta": delta, "distance": ball_str(d2)})
            parts[f"δ={delta}: d_fg ≥ 1/2"] = certified_leq(P.scalar("0.5"), fg, witness={"d_fg": ball_str(fg)})
    out = Outcome.combine(parts)
    out.evidence["d_fg(1)"] = ball_str(d_fg(a.f, a.g, b.f, b.g, sets, Ball(dps)).value)
    return out


NOT_FG.method("symbolic")(lambda ctx: _zeros(dlogit.scale_identities(), instances("symbolic δ; three symbolic points"),
                                             note="d_{f,g} is built from standardised log-odds (f side) and "
                                                  "standardised Nᵀg (g side, N scales by δ)"))
_method(NOT_FG, "certified", instances("one random pair, δ = 1e-3, 1e-9, 30 digits"))(lambda ctx: check_scaling())


# --------------------------------------------------------------------------------------------
# followup-kl-tau, followup-kl-tau-sharp
# --------------------------------------------------------------------------------------------
def lipschitz_constant(tau: Any, P: Arithmetic) -> Any:
    """``1/τ²``: the follow-up's route with its constant derived (1)."""
    return P.scalar(1) / (tau * tau)


def sharp_constant(tau: Any, P: Arithmetic) -> Any:
    """``log²τ / (τ(1 − τ + τ log τ))``."""
    lt = P.log(np.array([tau]))[0]
    return lt * lt / (tau * (P.scalar(1) - tau + tau * lt))


def wrong_power(tau: Any, P: Arithmetic) -> Any:
    """A false variant: ``1/τ``."""
    return P.scalar(1) / tau


def tau_material(seed: int) -> list[tuple[Model, Model]]:
    """Near-uniform, moderate and peaked random pairs (K = 3..6)."""
    rng = np.random.default_rng(seed)
    out = []
    for scale in (0.05, 0.5, 2.0):
        for k in (3, 6):
            f, g = scale * rng.normal(size=(8, 2)), rng.normal(size=(k, 2))
            f2, g2 = f + scale * 0.5 * rng.normal(size=f.shape), g + 0.3 * rng.normal(size=g.shape)
            out.append((Model(f, g), Model(f2, g2)))
    return out


def tau_sides(a: Model, b: Model, P: Arithmetic, constant: Callable[[Any, Arithmetic], Any]) -> tuple[Any, Any]:
    """``(d²_logit, C(τ)·min(d_KL(p‖p'), d_KL(p'‖p)))`` with τ the smallest probability of both."""
    with P.active():
        la, lb = log_probs(a, P), log_probs(b, P)
        lo = np.concatenate([la.ravel(), lb.ravel()])
        tau = P.exp(np.array([lo[int(np.argmin(P.midpoint(lo)))]]))[0]
        kl = d_kl(la, lb, P)
        kl2 = d_kl(lb, la, P)
        return d_logit_sq(a, b, P), constant(tau, P) * (kl if float(kl) <= float(kl2) else kl2)


def check_tau(ctx: Context, constant: Callable[[Any, Arithmetic], Any] = lipschitz_constant,
              material: list[tuple[Model, Model]] | None = None) -> Outcome:
    """``d²_logit ≤ C(τ)·d_KL`` (the smaller direction) on every pair, at two precisions."""
    pairs = tau_material(ctx.seed) if material is None else material
    parts = {f"pair {i}": _leq(lambda P, a=a, b=b: tau_sides(a, b, P, constant), ctx, {"pair": i})
             for i, (a, b) in enumerate(pairs)}
    out = Outcome.combine(parts)
    if out.verdict == "verified":
        ratios = [float(tau_sides(a, b, FLOAT64, constant)[0] / tau_sides(a, b, FLOAT64, constant)[1])
                  for a, b in pairs]
        return Outcome.verified(pairs=len(pairs), largest_ratio=max(ratios))
    return out


def search_tau(ctx: Context, examples: int, constant: Callable[[Any, Arithmetic], Any]) -> Outcome:
    """Maximise ``d²_logit / (C(τ) d_KL)`` over small pairs."""
    from checks.search import run_search

    def score(x: Any) -> float | None:
        a, b = _models(x, 2)
        lhs, rhs = tau_sides(a, b, FLOAT64, constant)
        return None if not float(rhs) > 1e-12 else float(lhs) / float(rhs)

    def reverify(x: Any) -> dict[str, Any] | None:
        lhs, rhs = tau_sides(*_models(x, 2), MP(ctx.dps), constant)
        return {"d2_logit": str(lhs), "bound": str(rhs)} if _exceeds(lhs, rhs, ctx.dps) else None

    return _search_outcome(run_search("followup-tau", _quarter_models(2), score, lambda x: {}, reverify,
                                      examples=examples, seed_value=ctx.seed))


def _tau_symbolic(sharp: bool) -> Outcome:
    t = sp.Symbol("tau", positive=True)
    res: dict[str, Any] = dict(dlogit.kl_tau_identities()) if sharp else {}
    c = dlogit.kl_tau_constant(t)
    # the Lipschitz route: Σδ² ≤ ‖p − p'‖₂²/τ² ≤ ‖p − p'‖₁²/(2τ²) ≤ 2KL/(2τ²)
    kl = sp.Symbol("KL", positive=True)
    res["Lipschitz route: 2KL/(2τ²) − KL·C"] = sp.simplify(2 * kl / (2 * t**2) - kl * c["lipschitz"])
    if sharp:
        res["sharp: KL/(τψ(log τ)) − KL·C"] = sp.simplify(
            kl / (t * (1 + t * (sp.log(t) - 1)) / sp.log(t) ** 2) - kl * c["sharp"])
    return _zeros(res, GENERAL, constant=str(c["sharp" if sharp else "lipschitz"]),
                  not_encoded="Pinsker's inequality and ‖v‖₂² ≤ ‖v‖₁²/2 for Σv = 0 (cited)" if not sharp else
                  "φ ≥ 0 and p' ≥ τ (so KL ≥ τ Σ φ(δ_y)); δ ≥ log τ")


TAU.method("symbolic")(lambda ctx: _tau_symbolic(False))
_method(TAU, "numeric", instances("6 random pairs, near-uniform to peaked, K = 3, 6"))(check_tau)
_method(TAU, "search", instances("hypothesis search, M ≤ 2, weighted inputs"))(
    lambda ctx: search_tau(ctx, ctx.examples(20, 300), lipschitz_constant))
TAU_SHARP.method("symbolic")(lambda ctx: _tau_symbolic(True))
_method(TAU_SHARP, "numeric", instances("6 random pairs, near-uniform to peaked, K = 3, 6"))(
    lambda ctx: check_tau(ctx, sharp_constant))
_method(TAU_SHARP, "search", instances("hypothesis search, M ≤ 2, weighted inputs"))(
    lambda ctx: search_tau(ctx, ctx.examples(20, 300), sharp_constant))


# --------------------------------------------------------------------------------------------
# the appendix examples
# --------------------------------------------------------------------------------------------
#: What the appendix reports for example 2: d²_logit ≈ 673 (within 5 %), d_KL ≈ 0.005 (0.004..0.006).
KL_TARGET = {"d2_logit": ("673", "0.05"), "d_kl": ("0.004", "0.006"), "min_p": "1e-20", "vacuous": "1e20"}


def check_kl_example(dps: int = 30, seed: int = 0, target: dict[str, Any] = KL_TARGET) -> Outcome:
    """In balls at ``dps`` digits on the seeded construction: ``|d²_logit − 673| ≤ 5 %``, both ``d_KL``
    in [0.004, 0.006], the smallest probability below 1e-20 and both τ-bounds above 1e20·d²_logit."""
    a, b = appendix_kl_example(seed)
    P = Ball(dps)
    with P.active():
        la, lb = log_probs(a, P), log_probs(b, P)
        kls = {"d_KL(p‖p')": d_kl(la, lb, P), "d_KL(p'‖p)": d_kl(lb, la, P)}
        d2 = d_logit_sq(a, b, P)
        lo = np.concatenate([la.ravel(), lb.ravel()])
        tau = P.exp(np.array([lo[int(np.argmin(P.midpoint(lo)))]]))[0]
        centre, rel = P.scalar(target["d2_logit"][0]), P.scalar(target["d2_logit"][1])
        kl_lo, kl_hi = P.scalar(target["d_kl"][0]), P.scalar(target["d_kl"][1])
        parts = {
            "d²_logit ≥ 673(1 − 5%)": certified_leq(centre * (1 - rel), d2),
            "d²_logit ≤ 673(1 + 5%)": certified_leq(d2, centre * (1 + rel)),
            "min p < 1e-20": certified_leq(tau, P.scalar(target["min_p"]), strict=True),
        }
        for name, kl in kls.items():
            parts[f"{name} ≥ {target['d_kl'][0]}"] = certified_leq(kl_lo, kl)
            parts[f"{name} ≤ {target['d_kl'][1]}"] = certified_leq(kl, kl_hi)
        smaller = min(kls.values(), key=lambda v: float(v.mid()))
        for cname, const in (("1/τ²", lipschitz_constant), ("sharp", sharp_constant)):
            parts[f"{cname} bound vacuous"] = certified_leq(P.scalar(target["vacuous"]) * d2, const(tau, P) * smaller)
        r = np.arange(a.n)
        true_label = np.repeat(np.arange(a.K), a.n // a.K)
        evidence = {"d2_logit": ball_str(d2), **{k: ball_str(v) for k, v in kls.items()}, "min_p": ball_str(tau, 6),
                    "true-label log-ratio mean": float(np.mean(P.midpoint(la[r, true_label] - lb[r, true_label]))),
                    "d2_rep": float(d_rep_sq(a, b).value), "seed": seed, "dps": dps}
    out = Outcome.combine(parts)
    out.evidence.update(evidence)
    return out


_method(KL_EXAMPLE, "certified", instances("the seeded construction, 4000 inputs, 30 digits"))(
    lambda ctx: check_kl_example(seed=ctx.seed))


def check_cca_example(ctx: Context, g_angle_sign: int = -1) -> Outcome:
    """Certified (30 digits): both ``m_CCA`` enclosures hold 1 to 20 digits; numeric (``ctx.dps`` and
    ``ctx.check_dps``): ``d_KL`` and ``d²_logit`` are positive (not zero at both precisions).
    ``g_angle_sign = +1`` is the false variant (g' = A⁻ᵀg for the rotation A of f: a ~_L pair, p = p')."""
    from theory.distances import m_cca
    from theory.logit import rotation

    def pair(P: Arithmetic) -> tuple[Model, Model]:
        a, b = appendix_cca_example(ctx.seed, P)
        if g_angle_sign > 0:
            with P.active():  # g' = A⁻ᵀg with A the (float64) rotation that maps f to f': a ~_L pair
                b = Model(b.f, P.solve(P.array(rotation(math.pi / 4)).T, P.array(a.g).T).T)
        return a, b

    parts = {}
    ball = Ball(30)
    with ball.active():
        a, b = pair(ball)
        for side, (x, y) in (("f", (a.f, b.f)), ("g", (a.g, b.g))):
            v = m_cca(ball.array(x), ball.array(y), ball)
            ok = v.contains(1) and v.rad() < 1e-20
            parts[f"m_CCA({side}) = 1"] = (Outcome.verified(enclosure=ball_str(v)) if ok else
                                          Outcome.refuted(witness=ball_str(v)) if not v.contains(1) else
                                          Outcome.undecided("enclosure too wide", enclosure=ball_str(v)))

    def values(P: Arithmetic) -> list[Any]:
        a, b = pair(P)
        with P.active():
            return [d_kl(log_probs(a, P), log_probs(b, P), P)]

    zero = numeric_zero(values, ctx, digits=10)
    if zero.verdict == "verified":
        parts["p ≠ p'"] = Outcome.refuted(witness="d_KL vanishes: equal distributions", **zero.evidence)
    elif zero.verdict == "refuted":
        parts["p ≠ p'"] = Outcome.verified(d_kl=zero.evidence["max_residual"], dps=ctx.dps,
                                           check_dps=ctx.check_dps, digits_agreed=zero.evidence["digits_agreed"])
    else:
        parts["p ≠ p'"] = zero
    out = Outcome.combine(parts)
    a, b = appendix_cca_example(ctx.seed)
    out.evidence["d_rep (float64)"] = float(d_rep_sq(a, b).value)
    return out


CCA_EXAMPLE.method("symbolic")(lambda ctx: _zeros(
    {"C = R⁻¹Σ_xy(BR)⁻ᵀ − I for y = Bx": _cca_linear_residual()},
    instances("the example's two sides; the lemma holds for every invertible B"),
    note="with y = Bx (B invertible) R_y = BR_x is a square root of Σ_yy, so C = I: every canonical "
         "correlation is 1 (CCA does not depend on the choice of square roots)"))
_method(CCA_EXAMPLE, "numeric", instances("the seeded construction (500 inputs); m_CCA in balls, 30 digits"))(
    check_cca_example)


def _cca_linear_residual() -> sp.Matrix:
    r = sp.MatrixSymbol("R", 2, 2)
    bm = sp.MatrixSymbol("B", 2, 2)
    sxy = r * r.T * bm.T  # Σ_xy = Σ_xx Bᵀ for y = Bx
    c = r.I * sxy * (bm * r).T.I
    return sp.simplify(sp.Matrix((c - sp.Identity(2)).as_explicit()))


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
_method(CODE_SCALE, "numeric", instances("appendix example 1: K = 5, M = 2, 30 (pivot, set) terms"))(
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
