"""Claims of Section 4 of the paper.

The bound ``d_{f,g} ≤ 2Mε`` is registered as a chain of steps (``sec4-bound-*``), each with a
symbolic certificate from :mod:`theory.derivations.bound` and a numeric or certified check; then
the bound itself (paper form and the sharper ``2ε²``), its tightness, the metric properties of
``d^λ_LLV`` (:mod:`theory.derivations.metric`), and how ``d_KL`` and ``d_LLV`` relate.

Every method is a thin wrapper around a parameterised checker (``check_*``) that the tests feed
a deliberately false variant.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp

from checks.evidence import ball_str, certified_leq, numeric_leq, numeric_zero
from checks.registry import GENERAL, Claim, Context, Outcome, claim, instances
from theory.derivations import bound as dbound
from theory.derivations import metric as dmetric
from theory.distances import Sets, cross_covariance, input_terms, label_terms, mean, pls_svd_values, sd
from theory.errors import ClosenessError
from theory.families import (
    FIGURE_LABEL_COUNTS,
    LAMBDA,
    TIGHT_LINEAR,
    TIGHT_QUADRATIC,
    BoundSides,
    Pair,
    bound_figure_family,
    common_sets,
    equivalent_pair,
    evaluate_bound,
    kl_between,
    llv_between,
    near_tight_pair,
    permutation_flip_pair,
    random_diverse_pair,
    sign_flip_pair,
    singular_label_pair,
    temperature_pair,
    terms_between,
    tie_perturbation_pair,
)
from theory.identifiability import equivalent_model_arrays, input_matrix, label_matrix
from theory.model import Model, input_weights, log_probs
from theory.precision import FLOAT64, Arithmetic, Ball
from theory.selection import paper_label_sets

def _method(c: Claim, name: str, scope: str) -> Callable[[Callable[[Context], Outcome]], Any]:
    """Attach a method to claim ``c`` whose outcome states ``scope`` unless it states its own."""
    def attach(fn: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        def run(ctx: Context) -> Outcome:
            out = fn(ctx)
            out.evidence.setdefault("scope", scope)
            return out

        run.__doc__ = fn.__doc__
        c.method(name)(run)
        return fn

    return attach


def _dims(values: Sequence[Any]) -> str:
    """``1, 2, 3`` from a sequence of sizes (for an ``instances(...)`` scope)."""
    return ", ".join(str(v) for v in values)


# --------------------------------------------------------------------------------------------
# test material
# --------------------------------------------------------------------------------------------
def random_pairs(seed: int, count: int = 18) -> list[Pair]:
    """Diverse random pairs over ``M ∈ {1,2,3}``, ``K ∈ {M+1, M+3}`` and three closeness levels."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        m = 1 + i % 3
        k = m + 1 + 2 * ((i // 3) % 2)
        out.append(random_diverse_pair(rng, n=12, K=k, M=m, closeness=(0.05, 0.3, 1.0)[(i // 6) % 3]))
    return out


def weighted_pairs(seed: int, count: int = 3) -> list[Pair]:
    """Random pairs (``M = 1, 2, 3``) with non-uniform input weights ``p_D`` (integers 1..5, shared by
    both models): the bound is claimed for every ``p_D``, and moments over x are then weighted."""
    rng = np.random.default_rng(seed + 31)
    out = []
    for i in range(count):
        p = random_diverse_pair(rng, n=10, K=i + 3, M=1 + i % 3, closeness=(0.1, 0.4, 1.0)[i % 3])
        w = rng.integers(1, 6, p.a.n).astype(float)
        out.append(Pair(Model(p.a.f, p.a.g, w), Model(p.b.f, p.b.g, w), p.sets, f"{p.note}, weighted p_D"))
    return out


def near_tight_pairs() -> list[Pair]:
    """Sign-flip pairs just off equality (ratio to ``2ε²`` about 0.9998 and 0.998)."""
    return [near_tight_pair(1e-3), near_tight_pair(-1e-2)]


def figure_pairs(ctx: Context) -> list[Pair]:
    n = 500 if ctx.deep else 100
    return [p for k in FIGURE_LABEL_COUNTS for t, p in bound_figure_family(k, 8, n, ctx.seed) if t > 0]


def bound_rhs(sides: BoundSides, form: str, constant: Any, P: Arithmetic) -> Any:
    """``constant·M·ε`` (``form="2Meps"``, the paper's with constant 2) or ``constant·ε²``."""
    c = P.scalar(str(constant))
    if form == "2Meps":
        return c * P.scalar(sides.M) * sides.eps
    if form == "2eps2":
        return c * sides.eps * sides.eps
    raise ClosenessError(f"unknown bound form {form!r}")


# --------------------------------------------------------------------------------------------
# checkers of the bound
# --------------------------------------------------------------------------------------------
def _screen(pairs: Sequence[Pair], form: str, constant: Any, mode: str) -> list[tuple[float, Pair]]:
    """Float64 ratios ``d_{f,g} / bound``, largest first (pairs with ``ε = 0`` are skipped)."""
    out = []
    for p in pairs:
        s = evaluate_bound(p, FLOAT64, LAMBDA, mode)
        rhs = float(bound_rhs(s, form, constant, FLOAT64))
        if rhs > 1e-12:
            out.append((float(s.d_fg) / rhs, p))
    out.sort(key=lambda t: -t[0])
    return out


def check_bound(pairs: Sequence[Pair], ctx: Context, form: str = "2Meps", constant: Any = 2,
                mode: str = "max") -> Outcome:
    """``d_{f,g} ≤ bound`` on every pair: float64 screen, then the pair nearest the line is
    re-checked in mpmath at ``ctx.dps`` and ``ctx.check_dps`` (and any float violation too)."""
    ranked = _screen(pairs, form, constant, mode)
    if not ranked:
        return Outcome.undecided("no pair with a positive bound")
    ratio, worst = ranked[0]

    def fn(P: Arithmetic) -> tuple[Any, Any]:
        s = evaluate_bound(worst, P, LAMBDA, mode)
        return s.d_fg, bound_rhs(s, form, constant, P)

    out = numeric_leq(fn, ctx, witness={"pair": worst.note, "float_ratio": ratio})
    out.evidence.update({"pairs": len(ranked), "max_float_ratio": ratio, "closest_pair": worst.note,
                         "form": form, "constant": str(constant), "mode": mode, "lambda": LAMBDA})
    return out


def check_bound_certified(pairs: Sequence[Pair], dps: int, form: str = "2Meps", constant: Any = 2,
                          top: int = 3, always: Sequence[Pair] = ()) -> Outcome:
    """Ball enclosures of both sides for the ``top`` pairs nearest the line (float64 ranking) and for
    every pair of ``always`` (e.g. a weighted ``p_D``)."""
    ranked = _screen(pairs, form, constant, "max")[:top]
    ranked += [r for r in _screen(always, form, constant, "max") if all(r[1] is not q for _, q in ranked)]
    parts = {}
    P = Ball(dps)
    for i, (ratio, p) in enumerate(ranked):
        with P.active():
            s = evaluate_bound(p, P)
            parts[f"{i}:{p.note}"] = certified_leq(s.d_fg, bound_rhs(s, form, constant, P),
                                                    witness={"pair": p.note, "float_ratio": ratio})
    out = Outcome.combine(parts)
    out.evidence["dps"] = dps
    return out


def check_zero_sides(ctx: Context, count: int = 3) -> Outcome:
    """``~_L``-equivalent pairs (built at the working precision): ``ε = 0`` and ``d_{f,g} = 0``."""
    def fn(P: Arithmetic) -> list[Any]:
        vals = []
        for i, (k, m) in enumerate(((3, 1), (4, 2), (5, 3))[:count]):
            rng = np.random.default_rng(ctx.seed + 100 + i)
            s = evaluate_bound(equivalent_pair(rng, 10, k, m, P), P)
            vals += [s.eps, s.d_fg]
        return vals

    return numeric_zero(fn, ctx)


def check_sides_sharp(pairs: Sequence[Pair], ctx: Context, constant: Any = 2) -> Outcome:
    """Each side separately: every f-side ``d_SVD`` for labels ``{y_1..y_M}`` is at most
    ``constant·(max_{y_i} max(a_{y_i}, b_{y_i}))²`` and the g side at most ``constant·T2²``."""
    def gaps(p: Pair, P: Arithmetic) -> list[tuple[Any, Any]]:
        s = evaluate_bound(p, P)
        t = s.terms
        idx = {y: j for j, y in enumerate(p.sets.labels)}
        out = []
        c = P.scalar(str(constant))
        for subset, d in s.fg.f_side:
            e = P.max(np.array([v for y in subset for v in (t.a[idx[y]], t.b[idx[y]])], dtype=object))
            out.append((d, c * e * e))
        out.append((s.fg.g_side, c * t.T2 * t.T2))
        return out

    ranked = []
    for p in pairs:
        for j, (lhs, rhs) in enumerate(gaps(p, FLOAT64)):
            ranked.append((float(lhs) / max(float(rhs), 1e-300), j, p))
    ranked.sort(key=lambda t: -t[0])
    ratio, j, worst = ranked[0]
    out = numeric_leq(lambda P: gaps(worst, P)[j], ctx, witness={"pair": worst.note, "side": j})
    out.evidence.update({"sides_checked": len(ranked), "max_float_ratio": ratio, "closest": worst.note,
                         "constant": str(constant)})
    return out


def _certificates(parts: dict[str, dbound.Certificate]) -> Outcome:
    """Symbolic certificates as one outcome: verified iff every step holds."""
    evidence = {k: c.as_dict() for k, c in parts.items()}
    if all(c.holds for c in parts.values()):
        return Outcome.verified(steps=evidence)
    bad = {k: v for k, v in evidence.items() if not v["holds"]}
    return Outcome.refuted(witness=bad, steps=evidence)


# --------------------------------------------------------------------------------------------
# step 1: log-ratio identities
# --------------------------------------------------------------------------------------------
LOGRATIO = claim(
    "sec4-bound-logratio",
    "The log-odds are linear in the embedding: (Lᵀf(x))_i = ℓ(y_i|x) − ℓ(y_0|x), and "
    "(Nᵀg(y))_i = ℓ(y|x_i) − ℓ(y|x_0) + c_i with c_i constant in y (step 1 of the bound).",
    r"(L^\top f(x))_i=\ell(y_i|x)-\ell(y_0|x),\ (N^\top g(y))_i=\ell(y|x_i)-\ell(y|x_0)+c_i",
    "Section 4 (proof of the bound); the definitions", "paper",
)


def check_logratio_symbolic(dims: Sequence[int] = (1, 2, 3), pivot_term: bool = True) -> Outcome:
    return _certificates({f"M={m}": dbound.log_ratio_identities(m, pivot_term) for m in dims})


def check_logratio_numeric(ctx: Context, pivot_term: bool = True) -> Outcome:
    """Residuals of both identities on a random pair's first model, at two precisions."""
    p = random_diverse_pair(np.random.default_rng(ctx.seed), n=9, K=5, M=3)
    labels = p.sets.labels[:3]

    def fn(P: Arithmetic) -> list[Any]:
        ell = log_probs(p.a, P)
        lab = label_matrix(p.a.g, 0, labels, P)
        u = P.array(p.a.f) @ lab
        res = list((u - (ell[:, list(labels)] - (ell[:, [0]] if pivot_term else 0))).ravel())
        nn = input_matrix(p.a.f, p.sets.pivot_input, p.sets.inputs, P)
        v = P.array(p.a.g) @ nn
        x0, xs = p.sets.pivot_input, list(p.sets.inputs)
        c = v - (ell[xs, :].T - (ell[[x0], :].T if pivot_term else 0))  # K×M, constant down columns
        res += list((c - c[[0], :]).ravel())
        return res

    return numeric_zero(fn, ctx)


_method(LOGRATIO, "symbolic", instances("M = 1, 2, 3 with K = n = M + 1: symbolic entries and an integer instance"))(
    lambda ctx: check_logratio_symbolic())
_method(LOGRATIO, "numeric", instances("one random pair, M = 3, K = 5, n = 9"))(check_logratio_numeric)


# --------------------------------------------------------------------------------------------
# step 2: SD of the standardised difference
# --------------------------------------------------------------------------------------------
SDDIFF = claim(
    "sec4-bound-sd-difference",
    "Standardised coordinates differ by at most the label terms: SD(ũ_i − ũ'_i) ≤ a_{y_i} + b_{y_i} "
    "(f side, moments over x) and SD over y of the g-side coordinates ≤ c_{x_i} + e_{x_i} (step 2).",
    r"\mathrm{SD}(\tilde u_i-\tilde u'_i)\le a_{y_i}+b_{y_i},\quad "
    r"\mathrm{SD}(\tilde v_i-\tilde v'_i)\le c_{x_i}+e_{x_i}",
    "Section 4 (proof of the bound)", "new",
    depends_on=("sec4-bound-logratio",),
)


def check_sd_difference_symbolic(pivot_term: bool = True) -> Outcome:
    return _certificates({
        "f side": dbound.standardised_difference(3, pivot_term, "f"),
        "g side": dbound.standardised_difference(3, pivot_term, "g"),
        "Lagrange identity (weighted, n=3)": dbound.lagrange_identity(3, True),
    })


def sd_difference_gaps(p: Pair, P: Arithmetic, pivot_term: bool = True) -> list[tuple[Any, Any]]:
    """``(SD(ũ_i − ũ'_i), a_{y_i} + b_{y_i})`` for every label of ``S_Y`` (one-label subsets of the
    f side) and ``(SD(ṽ_i − ṽ'_i), c_{x_i} + e_{x_i})`` for every input of ``S_X``."""
    from theory.distances import standardise

    ell, ell2 = log_probs(p.a, P), log_probs(p.b, P)
    y0, x0 = p.sets.pivot_label, p.sets.pivot_input
    w = input_weights(p.a, P)  # moments over x under p_D; over y uniform
    _, _, a, b = label_terms(ell, ell2, y0, p.sets.labels, P, w)
    _, _, c, e = input_terms(ell, ell2, x0, p.sets.inputs, P)
    with P.active():
        ff, ff2, gg, gg2 = (P.array(x) for x in (p.a.f, p.b.f, p.a.g, p.b.g))
        u = standardise(ff @ label_matrix(gg, y0, p.sets.labels, P), P, w)
        u2 = standardise(ff2 @ label_matrix(gg2, y0, p.sets.labels, P), P, w)
        v = standardise(gg @ input_matrix(ff, x0, p.sets.inputs, P), P)
        v2 = standardise(gg2 @ input_matrix(ff2, x0, p.sets.inputs, P), P)
        du, dv = sd(u - u2, P, w, axis=0), sd(v - v2, P, axis=0)
        zero = P.scalar(0)
        out = [(du[i], a[i] + (b[i] if pivot_term else zero)) for i in range(len(a))]
        if p.a.K > 2:  # with K = 2 standardised g-side vectors are ±(1, −1): SD 0 or equality, decided symbolically
            out += [(dv[i], c[i] + (e[i] if pivot_term else zero)) for i in range(len(c))]
        return out


def check_sd_difference_numeric(pairs: Sequence[Pair], ctx: Context, pivot_term: bool = True) -> Outcome:
    ranked = []
    for p in pairs:
        for j, (lhs, rhs) in enumerate(sd_difference_gaps(p, FLOAT64, pivot_term)):
            ranked.append((float(lhs) - float(rhs), j, p))
    ranked.sort(key=lambda t: -t[0])
    gap, j, worst = ranked[0]
    out = numeric_leq(lambda P: sd_difference_gaps(worst, P, pivot_term)[j], ctx, witness={"pair": worst.note})
    out.evidence.update({"coordinates_checked": len(ranked), "max_float_excess": gap, "pivot_term": pivot_term})
    return out


_method(SDDIFF, "symbolic", instances("index sets of size 3: symbolic entries and a rational instance"))(
    lambda ctx: check_sd_difference_symbolic())
_method(SDDIFF, "numeric", instances("12 random, 2 near-tight and 3 weighted pairs, M ≤ 3"))(
    lambda ctx: check_sd_difference_numeric(
    random_pairs(ctx.seed, 9) + near_tight_pairs() + weighted_pairs(ctx.seed), ctx))


# --------------------------------------------------------------------------------------------
# step 3: covariance identity
# --------------------------------------------------------------------------------------------
COVID = claim(
    "sec4-bound-cov-identity",
    "For standardised coordinates Cov(ũ_i, ũ'_i) = 1 − Var(ũ_i − ũ'_i)/2 (step 3).",
    r"\mathrm{Cov}(\tilde u_i,\tilde u'_i)=1-\tfrac12\mathrm{Var}(\tilde u_i-\tilde u'_i)",
    "Section 4 (proof of the bound)", "new",
)


def check_cov_symbolic(ddof: int = 0) -> Outcome:
    return _certificates({f"n={n}": dbound.covariance_identity(n, ddof) for n in (3, 4)})


def check_cov_numeric(ctx: Context, ddof: int = 0) -> Outcome:
    """The identity on a random pair's f-side coordinates (standardised with ``ddof``; moments ddof 0)."""
    p = random_diverse_pair(np.random.default_rng(ctx.seed + 1), n=11, K=4, M=3)

    def fn(P: Arithmetic) -> list[Any]:
        with P.active():
            u = P.array(p.a.f) @ label_matrix(p.a.g, 0, (1, 2, 3), P)
            v = P.array(p.b.f) @ label_matrix(p.b.g, 0, (1, 2, 3), P)
            su = (u - mean(u, P)) / sd(u, P, axis=0, ddof=ddof)
            sv = (v - mean(v, P)) / sd(v, P, axis=0, ddof=ddof)
            cov = mean(su * sv, P) - mean(su, P) * mean(sv, P)
            var_d = sd(su - sv, P, axis=0) ** 2
            return list(cov - (P.scalar(1) - var_d / P.scalar(2)))

    return numeric_zero(fn, ctx)


_method(COVID, "symbolic", instances("n = 3, 4"))(lambda ctx: check_cov_symbolic())
_method(COVID, "numeric", instances("one random pair, M = 3, n = 11"))(check_cov_numeric)


# --------------------------------------------------------------------------------------------
# step 4: nuclear norm ≥ trace
# --------------------------------------------------------------------------------------------
NUCTRACE = claim(
    "sec4-bound-nuclear-trace",
    "The sum of the singular values of a square matrix is at least its trace: ‖C‖_* ≥ tr C (step 4); "
    "for every M by von Neumann's argument (tr C = Σ_k σ_k (VᵀU)_kk with |(VᵀU)_kk| ≤ 1).",
    r"\textstyle\sum_k\sigma_k(C)\ge\operatorname{tr}C",
    "Section 4 (proof of the bound)", "new",
)


def check_nuclear_certified(pairs: Sequence[Pair], dps: int, factor: Any = 1) -> Outcome:
    """``factor·tr C ≤ Σ σ_k(C)`` in ball arithmetic for ``C = Cov(ũ, ũ')`` of every pair (f side,
    labels ``S_Y[:M]``)."""
    P = Ball(dps)
    parts = {}
    for i, p in enumerate(pairs):
        with P.active():
            labels = p.sets.labels[: p.M]
            u = P.array(p.a.f) @ label_matrix(p.a.g, p.sets.pivot_label, labels, P)
            v = P.array(p.b.f) @ label_matrix(p.b.g, p.sets.pivot_label, labels, P)
            c = cross_covariance(u, v, P, input_weights(p.a, P))
            tr = sum((c[k, k] for k in range(p.M)), P.scalar(0))
            parts[f"{i}:M={p.M}"] = certified_leq(P.scalar(str(factor)) * tr, P.svdvals(c).sum(),
                                                  witness={"pair": p.note})
    return Outcome.combine(parts)


def _nuclear_material(ctx: Context) -> list[Pair]:
    """Random pairs with ``M ≥ 2`` (for ``M = 1`` and for ``C = I`` the inequality is an equality,
    which a ball cannot decide; those cases are covered by the symbolic certificate)."""
    return [p for p in random_pairs(ctx.seed, 12) + weighted_pairs(ctx.seed) if p.M >= 2]


def check_nuclear_symbolic(dims: Sequence[int] = (1, 2, 3, 4), factor: Any = 1,
                           factors: Sequence[tuple[Any, Any]] | None = None) -> Outcome:
    """Certificates for ``Σσ_k ≥ factor·tr C``: closed forms for M = 1, 2; for M ≥ 3 von Neumann's
    argument for a symbolic dimension (:func:`theory.derivations.bound.von_neumann_general`), with
    the hypothesis ``UᵀU = VᵀV = I`` imposed and checked on exact orthogonal factors at each M of
    ``dims`` (``factors`` replaces them: non-orthogonal ones must not verify)."""
    out = _certificates({f"M={m}": dbound.nuclear_norm_trace(m, factor, factors) for m in dims})
    every_m = {1, 2} <= set(dims) and any(m >= 3 for m in dims)  # closed forms for 1, 2; symbolic n for ≥ 3
    return out.with_scope(GENERAL if every_m else instances(f"M = {_dims(dims)}"))


NUCTRACE.method("symbolic")(lambda ctx: check_nuclear_symbolic())
_method(NUCTRACE, "certified", instances("random and weighted pairs with M = 2, 3"))(
    lambda ctx: check_nuclear_certified(_nuclear_material(ctx), ctx.dps))


# --------------------------------------------------------------------------------------------
# 0 ≤ m_SVD ≤ 1
# --------------------------------------------------------------------------------------------
MSVD = claim(
    "sec4-msvd-range",
    "0 ≤ m_SVD ≤ 1 (Hölder / Cauchy–Schwarz), although a single singular value of C can exceed 1 "
    "(ũ = ũ' = (z, z) gives singular values 2 and 0).",
    r"0\le m_{SVD}\le 1,\ \sigma_1(C)\le M\ \text{but possibly}>1",
    "Section 4 (PLS-SVD)", "new",
)


def check_msvd_certified(pairs: Sequence[Pair], dps: int, upper: Any = 1) -> Outcome:
    """``0 ≤ m_SVD ≤ upper`` on every pair (f side) and the exhibit ``σ_1 = 2 > 1``, in balls."""
    P = Ball(dps)
    parts = {}
    with P.active():
        for i, p in enumerate(pairs):
            labels = p.sets.labels[: p.M]
            u = P.array(p.a.f) @ label_matrix(p.a.g, p.sets.pivot_label, labels, P)
            v = P.array(p.b.f) @ label_matrix(p.b.g, p.sets.pivot_label, labels, P)
            m = pls_svd_values(u, v, P, input_weights(p.a, P)).sum() / P.scalar(p.M)
            parts[f"{i}:upper"] = certified_leq(m, P.scalar(str(upper)), witness={"pair": p.note})
            parts[f"{i}:lower"] = certified_leq(P.scalar(0), m)
        z = P.array(np.array([[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]]))
        s = pls_svd_values(z, z, P)
        top = s[int(np.argmax(P.midpoint(s)))]
        parts["exhibit sigma_1 > 1"] = certified_leq(P.scalar(1), top, strict=True)
        m_exhibit = s.sum() / P.scalar(2)  # = 1 exactly: an equality, recorded but not decidable by balls
    out = Outcome.combine(parts)
    out.evidence["exhibit_singular_values"] = [ball_str(x) for x in s]
    out.evidence["exhibit_m_svd"] = ball_str(m_exhibit)
    return out


_method(MSVD, "symbolic", instances("n = 3, M = 2"))(lambda ctx: _certificates({"range": dbound.msvd_range()}))
_method(MSVD, "certified", instances("random and weighted pairs with M = 2, 3; the exhibit"))(
    lambda ctx: check_msvd_certified(_nuclear_material(ctx), ctx.dps))


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
    parts = {"symbolic M": dbound.sharp_side_bound_general(constant)}
    parts.update({f"M={m}": dbound.sharp_side_bound(m, constant) for m in (1, 2, 3, 5)})
    return _certificates(parts).with_scope(GENERAL)


def _sharp_material(ctx: Context) -> list[Pair]:
    return (random_pairs(ctx.seed) + near_tight_pairs() + weighted_pairs(ctx.seed)
            + [singular_label_pair(np.random.default_rng(ctx.seed))]
            + [p for k in (4, 10) for t, p in bound_figure_family(k, 4, 60, ctx.seed) if t > 0])


def _search_outcome(result: Any, expect_violation: bool) -> Outcome:
    """A search run as a verdict: a confirmed violation refutes (or verifies, when expected)."""
    ev = {"examples": result.examples, "seed": result.seed,
          "best_ratio": result.best[0]["ratio"] if result.best else None,
          "unconfirmed_violations": result.dropped, **{k: v for k, v in result.extra.items() if k != "statement"}}
    if result.violations:
        v = result.violations[0]
        witness = {k: v[k] for k in v if k in ("ratio", "ratio_decimal", "pair", "triple", "sets", "dps")}
        return Outcome.verified(witness=witness, **ev) if expect_violation else Outcome.refuted(witness, **ev)
    if expect_violation:
        return Outcome.undecided("the search found no confirmed violation", **ev)
    return Outcome.verified(**ev)


def _search_bound(ctx: Context, form: str) -> Outcome:
    from checks.search.sec4 import search_bound

    return _search_outcome(search_bound(ctx.examples(60, 600), ctx.seed, 1.0, form, ctx.dps), False)


SHARP.method("symbolic")(lambda ctx: check_sharp_symbolic())
_method(SHARP, "numeric", instances("random, near-tight, weighted, singular-L and figure pairs, M ≤ 3"))(
    lambda ctx: Outcome.combine({
    "d_fg <= 2 eps^2": check_bound(_sharp_material(ctx), ctx, "2eps2", 2),
    "each side": check_sides_sharp(_sharp_material(ctx), ctx, 2),
    "sum mode": check_bound(_sharp_material(ctx)[:6], ctx, "2eps2", 2, "sum"),
}))
_method(SHARP, "certified", instances("the 3 pairs nearest 2ε² and 2 weighted pairs"))(
    lambda ctx: check_bound_certified(_sharp_material(ctx), ctx.dps, "2eps2", 2,
                                                            always=weighted_pairs(ctx.seed)[:2]))
_method(SHARP, "search", instances("hypothesis search, M ≤ 3, weighted inputs"))(
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
    parts["best constant sqrt(2)"] = dbound.linear_from_quadratic(1, "sqrt(2)")
    m = sp.Symbol("M", integer=True, positive=True)
    general = bool((2 * m - 2).is_nonnegative and (2 - sp.sqrt(2)).is_positive)
    parts["sqrt(2) <= 2M for every M >= 1"] = dbound.Certificate("√2 ≤ 2M (symbolic M)", general,
                                                               {"2M - 2 >= 0": general})
    return _certificates(parts).with_scope(GENERAL if constant is None else instances(f"M = {_dims(dims)}"))


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


_method(BOUND, "numeric", instances("bound figure family, random, tight, weighted and ~_L-equivalent pairs"))(
    lambda ctx: Outcome.combine({
    "figure family": check_bound(figure_pairs(ctx), ctx, "2Meps", 2),
    "random and tight pairs": check_bound([*random_pairs(ctx.seed), sign_flip_pair(*TIGHT_LINEAR)], ctx, "2Meps", 2),
    "weighted p_D": check_bound(weighted_pairs(ctx.seed), ctx, "2Meps", 2),
    "sum mode": check_bound(random_pairs(ctx.seed)[:6], ctx, "2Meps", 2, "sum"),
    "~_L-equivalent: both sides 0": check_zero_sides(ctx),
}))
_method(BOUND, "certified", instances("the 3 pairs nearest 2Mε, 2 weighted pairs, an exact d_fg"))(
    lambda ctx: Outcome.combine({
        "bound": check_bound_certified(_bound_material(ctx), ctx.dps, "2Meps", 2, always=weighted_pairs(ctx.seed)[:2]),
        "d_fg is the maximum over subsets (exact)": check_dfg_exact(ctx.dps)}))
_method(BOUND, "search", instances("hypothesis search, M ≤ 3, weighted inputs"))(
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


_method(NOINV, "certified", instances("3 pairs with singular L, M = 2, K = 3"))(check_no_invertibility)
_method(NOINV, "symbolic", instances("index sets of size 3, M = 2"))(lambda ctx: _certificates({
    # the chain never inverts L or N: steps 2–5 use only σ_y, s_x > 0
    "standardised f side (no inverse)": dbound.standardised_difference(3, True, "f"),
    "standardised g side (no inverse)": dbound.standardised_difference(3, True, "g"),
    "side bound": dbound.sharp_side_bound(2),
}))


# --------------------------------------------------------------------------------------------
# tightness
# --------------------------------------------------------------------------------------------
TIGHT = claim(
    "sec4-bound-tight",
    "Both bounds are attained for M = 1: one pair has d_{f,g} = 2ε² = 2/5 exactly, another has ε = 1/√2, "
    "d_{f,g} = 1 = √2·ε. So d_{f,g} ≤ 2ε² cannot be improved, √2 is the best constant c in d_{f,g} ≤ c·ε "
    "over all pairs, and for M = 1 the paper's 2Mε is loose by exactly the factor √2 (largest ratio "
    "d_{f,g}/(2ε) = 1/√2). For M ≥ 2 only the upper bound d_{f,g}/(2Mε) ≤ 1/(√2·M) is shown (from "
    "d_{f,g} ≤ min(1, 2ε²) ≤ √2·ε); no pair attaining it is exhibited.",
    r"M=1:\ \exists\ d_{f,g}=2\varepsilon^2,\ \exists\ d_{f,g}=\sqrt2\,\varepsilon;\quad"
    r"\sup d_{f,g}/\varepsilon=\sqrt2;\quad d_{f,g}/(2M\varepsilon)\le 1/(\sqrt2M)",
    "Section 4 (main bound, tightness)", "new",
    depends_on=("sec4-bound-sharp", "sec4-bound-implies-paper"),
)


def check_tight_symbolic(constant: Any = 2, ratio_constant: Any = "sqrt(2)") -> Outcome:
    """The two exact M = 1 pairs, and the M ≥ 2 ratio bound: ``min(1, 2ε²) ≤ c·ε`` for every
    ``ε ≥ 0`` with ``c = ratio_constant`` (so ``d_{f,g}/(2Mε) ≤ c/(2M)``; ``c < √2`` is refuted)."""
    return _certificates({
        "d = 2eps^2 (z=-2,-1,1,2)": dbound.tight_sign_flip(TIGHT_QUADRATIC[0], TIGHT_QUADRATIC[1], constant),
        "d = 1, eps = 1/sqrt2": dbound.tight_sign_flip(TIGHT_LINEAR[0], TIGHT_LINEAR[1], constant),
        "ratio bound min(1, 2eps^2) <= sqrt2 eps": dbound.linear_from_quadratic(1, ratio_constant),
    })


def check_tight_certified(dps: int, constant: Any = 2) -> Outcome:
    """The two pairs through the full numeric pipeline in balls: ``d_{f,g} − constant·ε²`` is enclosed
    in a ball of radius below ``10^{-(dps-10)}`` around 0 (equality to that many digits; a ball
    excluding 0 refutes), and ``T2 = T3 = T4 = 0`` so that ``ε`` is ``T1``."""
    P = Ball(dps)
    parts = {}
    tol = 10.0 ** (-(dps - 10))
    for name, spec in (("quadratic", TIGHT_QUADRATIC), ("linear", TIGHT_LINEAR)):
        with P.active():
            s = evaluate_bound(sign_flip_pair(*spec), P)
            gap = s.d_fg - P.scalar(str(constant)) * s.eps * s.eps
            rest = [s.terms.T2, s.terms.T3, s.terms.T4]
            ev = {"d_fg": ball_str(s.d_fg), "eps": ball_str(s.eps), "gap": ball_str(gap),
                  "T2_T3_T4": [ball_str(x) for x in rest]}
            if not gap.contains(0) or not all(x.contains(0) for x in rest):
                parts[name] = Outcome.refuted(witness=ev)
            elif float(gap.rad()) < tol:
                parts[name] = Outcome.verified(equal_to_digits=dps - 10, **ev)
            else:
                parts[name] = Outcome.undecided("enclosure too wide", **ev)
    with P.active():
        s = evaluate_bound(sign_flip_pair(*TIGHT_LINEAR), P)
        ratio = s.d_fg / (P.scalar(2) * s.eps)  # M = 1: d/(2Mε) = 1/√2
        gap = ratio - P.scalar(1) / P.scalar(2).sqrt()
        parts["paper ratio 1/sqrt2"] = (Outcome.verified(ratio=ball_str(ratio)) if gap.contains(0) and
                                        float(gap.rad()) < tol else Outcome.refuted(witness=ball_str(ratio)))
    return Outcome.combine(parts)


_method(TIGHT, "symbolic", instances("M = 1: two exact pairs"))(lambda ctx: check_tight_symbolic())
_method(TIGHT, "certified", instances("M = 1: two exact pairs"))(lambda ctx: check_tight_certified(ctx.dps))


TIGHT_M = claim(
    "sec4-bound-tight-every-M",
    "The sharper bound is attained to 40 certified digits in every dimension tried (M = 2, 3, 4; M = 1 "
    "exactly above): for the permutation-flip pairs, with the root t of the construction enclosed by a "
    "certified sign change, balls prove 1/10 < ε < 1/2, T2 = T4 = 0 exactly (model 2 keeps the pivot and S_X "
    "inputs), and |T3|, |d_{f,g} − 2ε²| < 10^{-40}; the symbolic flip identities give T3 = 0 at the exact "
    "root. So (as ε² > 1/100) no constant below 2 − 10^{-38} can replace the 2 of d_SVD ≤ 2ε² for M = 2, 3, 4.",
    r"\forall M\in\{2,3,4\}\ \exists:\ \tfrac1{10}<\varepsilon<\tfrac12,\ |d_{f,g}-2\varepsilon^2|<10^{-40}",
    "Section 4 (main bound, tightness)", "new",
    depends_on=("sec4-bound-sharp",),
)


def _kept_rows_exact(pair: Pair) -> Outcome:
    """``T2``, ``T4`` depend only on the rows ``{x_0} ∪ S_X`` of both models (and on ``g``): when
    those rows and ``g`` are exact and equal in both models, ``T2 = T4 = 0`` exactly."""
    rows = [pair.sets.pivot_input, *pair.sets.inputs]
    fa, fb = np.asarray(pair.a.f, dtype=object)[rows], np.asarray(pair.b.f, dtype=object)[rows]
    ga, gb = np.asarray(pair.a.g, dtype=object), np.asarray(pair.b.g, dtype=object)
    exact = all(getattr(v, "is_exact", lambda: True)() for v in [*fa.ravel(), *fb.ravel()])
    same = exact and all(bool(x == y) for x, y in zip([*fa.ravel(), *ga.ravel()], [*fb.ravel(), *gb.ravel()],
                                                        strict=True))
    ev = {"rows": rows, "exact": exact, "equal": same}
    return Outcome.verified(**ev) if same else Outcome.refuted(witness=ev)


def check_tight_every_m(dps: int, dims: Sequence[int] = (2, 3, 4), constant: Any = 2, eps_upper: Any = "0.5",
                        flipped_input: bool = False) -> Outcome:
    """Balls, with the root enclosed (:func:`theory.families.flip_root_enclosure`), so every ball
    encloses the exact construction of :func:`theory.families.permutation_flip_pair` (κ = 2, s = −2):
    ``1/10 < ε < eps_upper``, ``T2 = T4 = 0`` exactly (identical exact kept rows), and ``T3`` and
    ``d_{f,g} − constant·ε²`` inside ``[−10^{-(dps-10)}, 10^{-(dps-10)}]`` (a ball excluding 0
    refutes).  ``flipped_input`` puts a flipped orbit input into ``S_X`` (breaks ``T2 = 0``: the broken variant)."""
    P = Ball(dps)
    tol = P.scalar(10) ** (-(dps - 10))
    parts = {}
    for m in dims:
        with P.active():
            pair = permutation_flip_pair(m, 2, -2, P)
            if flipped_input:
                pair = Pair(pair.a, pair.b, Sets(0, pair.sets.labels, 0, (*pair.sets.inputs[:-1], m + 1)), pair.note)
            s = evaluate_bound(pair, P)
            gap = s.d_fg - P.scalar(str(constant)) * s.eps * s.eps
            ev = {"eps": ball_str(s.eps), "d_fg": ball_str(s.d_fg), "gap": ball_str(gap), "T3": ball_str(s.terms.T3)}
            small = {}
            for name, x in (("gap", gap), ("T3", s.terms.T3)):
                if not x.contains(0):
                    small[name] = Outcome.refuted(witness={name: ball_str(x)})
                elif abs(x).upper() < tol:
                    small[name] = Outcome.verified(below=f"1e-{dps - 10}", value=ball_str(x))
                else:
                    small[name] = Outcome.undecided("enclosure too wide", value=ball_str(x))
            parts[f"M={m}"] = Outcome.combine({
                "eps > 1/10": certified_leq(P.scalar(1) / P.scalar(10), s.eps, strict=True),
                f"eps < {eps_upper}": certified_leq(s.eps, P.scalar(str(eps_upper)), strict=True),
                "T2 = T4 = 0 (kept rows)": _kept_rows_exact(pair),
                **{f"|{k}| < 1e-{dps - 10}": v for k, v in small.items()},
                "evidence": Outcome.verified(**ev),
            })
    return Outcome.combine(parts)


_method(TIGHT_M, "symbolic", instances("flip identities M = 2, 3; root M = 2, 3, 4"))(lambda ctx: _certificates({
    **{f"flip M={m}": dbound.flip_identities(m) for m in (2, 3)},
    **{f"root M={m}": dbound.flip_root_monotone(m) for m in (2, 3, 4)}}))
_method(TIGHT_M, "certified", instances("M = 2, 3, 4"))(
    lambda ctx: check_tight_every_m(max(ctx.dps, 50)))  # the statement quotes 10^-40


# --------------------------------------------------------------------------------------------
# d_LLV is a metric (fixed sets)
# --------------------------------------------------------------------------------------------
METRIC = claim(
    "sec4-llv-metric",
    "With fixed pivots and sets, d^λ_LLV (λ > 0) is a metric on conditionals with every σ_y, s_x > 0: "
    "symmetric, triangle inequality, and zero exactly when p = p' provided at most one label is outside "
    "S_Y ∪ {y_0} (as in the paper's selection); with two or more left out, T1..T4 = 0 does not force p = p'.",
    r"d^\lambda_{LLV}\ \text{is a metric for fixed }y_0,S_Y,x_0,S_X,\ \lambda>0",
    "Section 4 (d_LLV is a distance)", "paper",
)


def _triples(ctx: Context, count: int = 6, degenerate: bool = False) -> list[tuple[Model, Model, Model]]:
    """Random triples at growing distances; ``degenerate`` adds ``(p, p, r)``, where the triangle
    inequality is an equality (useful to refute a constant below 1, undecidable as ≤ 1)."""
    rng = np.random.default_rng(ctx.seed + 7)
    out = []
    for i in range(count):
        m, k, n = 1 + i % 2, 3 + i % 3, 8
        f, g = rng.standard_normal((n, m)), rng.standard_normal((k, m))
        ms = [Model(f + d * rng.standard_normal((n, m)), g + d * rng.standard_normal((k, m)))
              for d in (0.0, 0.4, 0.8)]
        out.append((ms[0], ms[1], ms[2]))
        if i == 0 and degenerate:
            out.append((ms[0], ms[0], ms[2]))
    return out


def check_metric_numeric(ctx: Context, triangle_constant: Any = 1, lam: str = LAMBDA) -> Outcome:
    """Triangle inequality ``d(p,r) ≤ k(d(p,q) + d(q,r))``, symmetry and ``d(p,p) = 0`` on triples."""
    triples = _triples(ctx, degenerate=float(triangle_constant) < 1)

    def dists(t: tuple[Model, Model, Model], P: Arithmetic) -> list[Any]:
        s = common_sets(*t)
        p, q, r = t
        return [llv_between(u, v, s, P, lam) for u, v in ((p, q), (q, r), (p, r), (q, p), (p, p))]

    ranked = []
    for i, t in enumerate(triples):
        d = [float(x) for x in dists(t, FLOAT64)]
        ranked.append((d[2] - float(triangle_constant) * (d[0] + d[1]), i))
    ranked.sort(reverse=True)
    i = ranked[0][1]
    k = str(triangle_constant)

    def triangle(P: Arithmetic) -> tuple[Any, Any]:
        d = dists(triples[i], P)
        return d[2], P.scalar(k) * (d[0] + d[1])

    tri = numeric_leq(triangle, ctx, witness={"triple": i})
    sym = numeric_zero(lambda P: [d[0] - d[3] for d in (dists(t, P) for t in triples[:3])] +
                       [dists(t, P)[4] for t in triples[:3]], ctx)
    out = Outcome.combine({"triangle (closest triple)": tri, "symmetry and d(p,p)=0": sym})
    out.evidence["triples"] = len(triples)
    return out


def check_metric_symbolic(triangle_constant: Any = 1, left_out: Sequence[int] = (0, 1)) -> Outcome:
    """Pseudometric lemmas, and identity of indiscernibles for each number of labels outside
    ``S_Y ∪ {y_0}`` in ``left_out``: the chain ``T1..T4 = 0 ⇒ δ ≡ κ`` on the covered labels
    (:func:`theory.derivations.metric.zero_terms_chain` with ``σ = σ'``, ``s = s'``), then
    :func:`~theory.derivations.metric.zero_forces_equality` (true for 0 and 1 left out; with 2 or
    more it is refuted by an exact witness with ``T1..T4 = 0``, ``p ≠ p'``)."""
    parts = {"seminorm lemmas": dmetric.seminorm_lemmas(3, triangle_constant),
             "T1..T4 = 0 forces delta = const (covered labels)": dmetric.zero_terms_chain(3, scales_equal=True)}
    for k in left_out:
        parts[f"identity of indiscernibles, {k} label(s) left out"] = dmetric.zero_forces_equality(2 + max(k, 2), k)
    return _certificates(parts).with_scope(instances(f"n = 3 (seminorm, chain), left out = {_dims(left_out)}"))


def _search_metric(ctx: Context, selection: str, expect_violation: bool) -> Outcome:
    from checks.search.sec4 import search_metric

    return _search_outcome(search_metric(ctx.examples(40, 400), ctx.seed, selection, 20, ctx.dps), expect_violation)


METRIC.method("symbolic")(lambda ctx: check_metric_symbolic())
_method(METRIC, "numeric", instances("7 random triples, M = 1, 2"))(check_metric_numeric)
_method(METRIC, "search", instances("hypothesis search over triples, M ≤ 2, weighted inputs"))(
    lambda ctx: _search_metric(ctx, "fixed", False))


# --------------------------------------------------------------------------------------------
# the λ terms are needed
# --------------------------------------------------------------------------------------------
LAMBDA_NEEDED = claim(
    "sec4-llv-lambda-needed",
    "The λ terms are needed for identity of indiscernibles: a model and its temperature-scaled copy "
    "(p' ∝ p², on inputs whose conditionals are permutations of each other) have T1 = T2 = 0 exactly "
    "but p ≠ p'; only T3 = T4 = √14 see the difference. Precisely (every σ_y, s_x > 0): if "
    "p' = p^r / Σ_y p^r for some r > 0 with Σ_y p(y|x)^r constant in x, then T1 = T2 = 0; conversely, "
    "when S_Y ∪ {y_0} = Y and ℓ(y_0|·) is not constant in x, T1 = T2 = 0 only for such p'. The sign "
    "condition cannot be dropped: r = −1 on the same model keeps Σ_y p^r constant but has T1 = T2 = 2/√3. "
    "So T1, T2 alone separate points only where no such r ≠ 1 exists (e.g. generic inputs).",
    r"T_1=T_2=0\not\Rightarrow p=p';\ \ T_1=T_2=0\iff p'=p^r/\textstyle\sum_y p^r,\ r>0,\ "
    r"\sum_y p(y|x)^r\equiv\text{const}\ (S_Y\cup\{y_0\}=Y,\ \ell(y_0|\cdot)\not\equiv\text{const})",
    "Section 4 (d_LLV; role of λ)", "new",
)


def _temperature_part(r: Any = 2) -> Outcome:
    """Exact terms of the temperature pair: ``T1 = T2 = 0``, ``T3 ≠ 0``, ``p ≠ p'``, constant normaliser."""
    v = dmetric.temperature_terms(r, 1, LAMBDA)
    ev = {k: str(x) for k, x in v.items()}
    ok = v["T1"] == 0 and v["T2"] == 0 and v["distributions_differ"] and v["normaliser_constant"] and v["T3"] != 0
    return Outcome.verified(**ev) if ok else Outcome.refuted(witness=ev)


def check_lambda_symbolic(r: Any = 2, require_positive: bool = True) -> Outcome:
    """Exact: the temperature pair's terms (``r``); the "if" direction for ``r > 0``
    (:func:`theory.derivations.metric.power_family_terms`); the "only if" chain
    (:func:`~theory.derivations.metric.zero_terms_chain`); and the sign condition: at ``r = −1``
    the normaliser is constant yet ``T1 ≠ 0``.  ``require_positive=False`` checks the statement
    without ``r > 0`` (its "if" direction then claims ``T1 = T2 = 0`` at ``r = −1``: refuted)."""
    parts = {f"temperature pair r={r}": _temperature_part(r)}
    parts["only if"] = _certificates({"chain": dmetric.zero_terms_chain()})
    neg = dmetric.temperature_terms(-1, 1, LAMBDA)
    neg_ev = {k: str(neg[k]) for k in ("T1", "T2", "normaliser_constant")}
    if require_positive:
        parts["if (r > 0)"] = _certificates({"r > 0": dmetric.power_family_terms(1)})
        parts["r > 0 is needed (r = -1)"] = (Outcome.verified(**neg_ev) if neg["normaliser_constant"] and neg["T1"] != 0
                                           else Outcome.refuted(witness=neg_ev))
    else:
        parts["if (any r != 0)"] = _certificates({"r > 0": dmetric.power_family_terms(1),
                                                  "r < 0": dmetric.power_family_terms(-1)})
        parts["r = -1 instance"] = (Outcome.verified(**neg_ev) if neg["T1"] == 0 and neg["T2"] == 0
                                    else Outcome.refuted(witness=neg_ev))
    return Outcome.combine(parts)


def check_lambda_certified(dps: int, r: Any = 2) -> Outcome:
    """Balls: ``d_KL(p, p') > 0`` and ``T3 > 0`` for the temperature pair, on a generic model
    temperature scaling gives ``T1 > 0`` (there T1, T2 do separate), and at ``r = −1`` (constant
    normaliser, negative exponent) ``T1 > 0``."""
    P = Ball(dps)
    with P.active():
        p = temperature_pair(r)
        kl = kl_between(p.a, p.b, P)
        s = evaluate_bound(p, P)
        g = random_diverse_pair(np.random.default_rng(3), n=8, K=4, M=2)
        generic = Pair(g.a, Model(np.asarray(g.a.f) * float(r), g.a.g), g.sets)
        t1 = evaluate_bound(generic, P).terms.T1
        t1_neg = evaluate_bound(temperature_pair(-1), P).terms.T1
        zero = P.scalar(0)
        parts = {"d_KL > 0": certified_leq(zero, kl, strict=True),
                 "T3 > 0": certified_leq(zero, s.terms.T3, strict=True),
                 "generic: T1 > 0": certified_leq(zero, t1, strict=True),
                 "r = -1: T1 > 0": certified_leq(zero, t1_neg, strict=True),
                 "T1, T2 enclose 0": Outcome.verified(T1=ball_str(s.terms.T1), T2=ball_str(s.terms.T2))
                 if s.terms.T1.contains(0) and s.terms.T2.contains(0)
                 else Outcome.refuted(witness={"T1": ball_str(s.terms.T1), "T2": ball_str(s.terms.T2)})}
    return Outcome.combine(parts)


_method(LAMBDA_NEEDED, "symbolic", instances("the cyclic model, K = n = 3; the only-if chain at K = 3"))(
    lambda ctx: check_lambda_symbolic())
_method(LAMBDA_NEEDED, "certified", instances("the temperature pair and one generic pair"))(
    lambda ctx: check_lambda_certified(ctx.dps))


# --------------------------------------------------------------------------------------------
# the paper's per-pair selection is not a metric
# --------------------------------------------------------------------------------------------
PAPER_SEL = claim(
    "sec4-llv-paper-selection-not-metric",
    "With the per-pair selection of the paper's experiments d_LLV violates the triangle inequality, through "
    "the label selection alone: with one fixed input set for all three pairs and the pivot/left-out label "
    "chosen per pair by the authors' rule (minimal T1), d(p,r) ≈ 1.77 > d(p,q) + d(q,r) ≈ 0.48 + 0.52 "
    "(M = 1, K = 4, n = 6, entries multiples of 1/8; the choice of every pair is certified to be the "
    "strict minimiser of T1). With one common set the same triple satisfies it (a metric).",
    r"\exists p,q,r:\ d^{sel}(p,r)>d^{sel}(p,q)+d^{sel}(q,r)",
    "Section 4 (selection of the paper's experiments)", "new",
)


def label_selection_triangle() -> tuple[Model, Model, Model]:
    """Three models (``M = 1``, ``K = 4``, ``n = 6``, entries multiples of 1/8) for which the paper's
    label selection per pair (:func:`theory.selection.paper_label_sets`), with the fixed inputs
    ``x_0 = 0``, ``S_X = {1}``, gives ``d(p,r) ≈ 1.77 > d(p,q) + d(q,r) ≈ 1.00``: found among random
    triples (about 2 % of them violate it) and re-checked here in balls."""
    def model(f: list[int], g: list[int]) -> Model:
        return Model(np.array(f, dtype=float)[:, None] / 8, np.array(g, dtype=float)[:, None] / 8)

    return (model([14, -7, -13, -5, 3, 18], [7, 3, -22, -1]),
            model([7, -5, -8, -7, -3, 13], [-9, 1, -17, 0]),
            model([6, -4, -8, -6, -16, 20], [-14, -8, -12, 11]))


#: The pairs (p,q), (q,r), (p,r) of a triple.
TRIANGLE = ((0, 1), (1, 2), (0, 2))


def _witness_sets(triple: tuple[Model, Model, Model], selection: str) -> list[Sets]:
    """The sets of the pairs (p,q), (q,r), (p,r), all with the inputs of
    :func:`theory.families.common_sets` (for the witness ``x_0 = 0``, ``S_X = {1}``): the paper's label
    selection per pair (``"paper-labels"``), or one common set (``"fixed"``: the first pivot label
    whose ``σ_y`` are positive for every pair, all other labels)."""
    fixed = common_sets(*triple)
    x0, sx = fixed.pivot_input, fixed.inputs
    if selection == "paper-labels":
        return [paper_label_sets(log_probs(triple[i]), log_probs(triple[j]), x0, sx, input_weights(triple[i]))
                for i, j in TRIANGLE]
    k = triple[0].K
    for y0 in range(k):
        s = Sets(y0, tuple(y for y in range(k) if y != y0), x0, sx)
        try:
            for i, j in TRIANGLE:
                terms_between(triple[i], triple[j], s)
        except ClosenessError:
            continue
        return [s, s, s]
    raise ClosenessError("no common pivot label keeps every σ_y positive for the three pairs")


def certify_label_choice(a: Model, b: Model, sets: Sets, P: Ball) -> Outcome:
    """Balls: the (pivot, left-out) pair of ``sets`` has a ``T1`` strictly below that of every other
    ordered pair, so the float64 choice is the authors' choice for the exact models."""
    ell, ell2 = log_probs(a, P), log_probs(b, P)
    w = input_weights(a, P)
    k = a.K
    t1 = {}
    with P.active():
        for y0 in range(k):
            others = tuple(y for y in range(k) if y != y0)
            _, _, av, bv = label_terms(ell, ell2, y0, others, P, w)
            t = [av[j].max(bv[j]) for j in range(len(others))]
            for j, left in enumerate(others):
                t1[(y0, left)] = P.max(np.array([x for i, x in enumerate(t) if i != j], dtype=object))
        if sets.left_out_label is None:
            raise ClosenessError("the sets do not come from the paper's label selection (no left-out label)")
        pick = (sets.pivot_label, sets.left_out_label)
        chosen = t1[pick]
        parts = {f"T1{key} > T1{pick}": certified_leq(chosen, v, strict=True) for key, v in t1.items() if key != pick}
    out = Outcome.combine(parts)
    return Outcome(out.verdict, {"chosen": [sets.pivot_label, sets.left_out_label], "T1": ball_str(chosen),
                                 **({"witness": out.evidence} if out.verdict != "verified" else {})})


def check_paper_selection_certified(dps: int, triple: tuple[Model, Model, Model] | None = None,
                                    selection: str = "paper-labels") -> Outcome:
    """Balls: ``d(p,q) + d(q,r) < d(p,r)`` with the sets of :func:`_witness_sets` (labels chosen at
    float64, the choice of each pair certified by :func:`certify_label_choice`).  ``selection="fixed"``
    is the control: one common set, for which the triangle inequality holds (so this is refuted)."""
    t = triple if triple is not None else label_selection_triangle()
    sets = _witness_sets(t, selection)
    P = Ball(dps)
    parts = {}
    with P.active():
        d = [llv_between(t[i], t[j], s, P) for (i, j), s in zip(TRIANGLE, sets, strict=True)]
        parts["d(p,r) > d(p,q) + d(q,r)"] = certified_leq(
            d[0] + d[1], d[2], strict=True, witness={"d_pq": ball_str(d[0]), "d_qr": ball_str(d[1]),
                                                    "d_pr": ball_str(d[2])})
    if selection == "paper-labels":
        for (i, j), s in zip(TRIANGLE, sets, strict=True):
            parts[f"label choice {'pqr'[i]}{'pqr'[j]}"] = certify_label_choice(t[i], t[j], s, P)
    out = Outcome.combine(parts)
    out.evidence.update({"d_pq": ball_str(d[0]), "d_qr": ball_str(d[1]), "d_pr": ball_str(d[2]),
                         "selection": selection, "sets": [s.as_dict() for s in sets], "dps": dps})
    return out.with_scope(instances("one triple, M = 1, K = 4, n = 6" if triple is None else "one triple"))


def check_paper_selection_numeric(ctx: Context, selection: str = "paper-labels") -> Outcome:
    """The same witness in mpmath at ``ctx.dps`` and ``ctx.check_dps``: ``d(p,q) + d(q,r) < d(p,r)``."""
    t = label_selection_triangle()
    sets = _witness_sets(t, selection)

    def fn(P: Arithmetic) -> tuple[Any, Any]:
        d = [llv_between(t[i], t[j], s, P) for (i, j), s in zip(TRIANGLE, sets, strict=True)]
        return d[0] + d[1], d[2]

    return numeric_leq(fn, ctx).with_scope(instances("one triple, M = 1, K = 4, n = 6"))


PAPER_SEL.method("certified")(lambda ctx: check_paper_selection_certified(ctx.dps))
PAPER_SEL.method("numeric")(check_paper_selection_numeric)


# --------------------------------------------------------------------------------------------
# d_KL and d_LLV do not bound each other
# --------------------------------------------------------------------------------------------
INCOMP = claim(
    "sec4-kl-llv-incomparable",
    "Neither distance bounds the other, for any λ ≥ 0. On the Section 3 pair (grid version) d_KL decreases "
    "from ρ = 10 to ρ = 40 (→ 0 as ρ grows, Section 3) while max(T1, T2) ≥ 28, so d_LLV ≥ 28 whatever λ (its "
    "input term T2 does not depend on ρ). On tie-perturbation pairs (scale s) d_KL stays ≈ 0.040 while "
    "max(T1, T2) ≤ 0.25/s → 0 with T2 = T4 = 0 exactly and T3 = 0 (symbolic), so d_LLV = T1 → 0 for every λ; "
    "on the temperature pair T1 = T2 = 0 while d_KL > 0; and the two rank pairs differently.",
    r"\nexists\varphi:\ d_{LLV}\le\varphi(d_{KL});\ \nexists\psi:\ d_{KL}\le\psi(d^\lambda_{LLV})",
    "Section 4 (discussion); Section 3", "new",
    depends_on=("sec4-llv-lambda-needed",),
)


def check_incomparable_certified(dps: int, rhos: Sequence[Any] = ("10", "40"), llv_floor: Any = "28",
                                 kl_floor: Any = "0.04", scales: Sequence[Any] = ("10", "1000")) -> Outcome:
    """Balls, λ-free.  Section 3 grid pair at each ``ρ``: ``max(T1, T2) ≥ llv_floor`` while ``d_KL``
    decreases.  Tie-perturbation pairs at each scale: ``d_KL ≥ kl_floor``, ``max(T1, T2) ≤ 0.25/scale``
    and ``T2 = T4 = 0`` exactly (model 2 keeps the pivot input and ``S_X`` rows; ``T3 = 0`` is the
    symbolic :func:`theory.derivations.metric.tie_perturbation_scale`, its ball recorded)."""
    from theory.counterexample import grid

    P = Ball(dps)
    parts = {}
    kls = []
    with P.active():
        c = grid(3)
        for rho in rhos:
            a, b = c.models(rho, P)
            sets = common_sets(Model(P.midpoint(a.f), P.midpoint(a.g)), Model(P.midpoint(b.f), P.midpoint(b.g)))
            t = terms_between(a, b, sets, P)
            t12 = t.T1.max(t.T2)
            kl = kl_between(a, b, P)
            kls.append(kl)
            parts[f"rho={rho}: max(T1, T2) >= {llv_floor}"] = certified_leq(P.scalar(llv_floor), t12)
            parts[f"rho={rho}"] = Outcome.verified(d_kl=ball_str(kl), T1=ball_str(t.T1), T2=ball_str(t.T2))
        parts["d_KL decreases in rho"] = certified_leq(kls[-1], kls[0], strict=True)
        for sc in scales:
            tp = tie_perturbation_pair(sc, 1, P)
            kl_t = kl_between(tp.a, tp.b, P)
            t = terms_between(tp.a, tp.b, tp.sets, P)
            parts[f"scale={sc}: d_KL >= {kl_floor}"] = certified_leq(P.scalar(str(kl_floor)), kl_t)
            parts[f"scale={sc}: max(T1, T2) <= 0.25/scale"] = certified_leq(t.T1.max(t.T2),
                                                                           P.scalar("0.25") / P.scalar(sc))
            parts[f"scale={sc}: T2 = T4 = 0 (kept rows)"] = _kept_rows_exact(tp)
            parts[f"scale={sc}: T3 ball"] = Outcome.verified(T3=ball_str(t.T3)) if t.T3.contains(0) else \
                Outcome.refuted(witness={"T3": ball_str(t.T3)})
    return Outcome.combine(parts)


def check_order_certified(dps: int, perturbation: float = 0.01) -> Outcome:
    """Balls: with ``p`` the cyclic model, ``q`` its temperature copy and ``r = p`` with embeddings
    moved by ``perturbation``: ``d_KL(p,r) < d_KL(p,q)`` but ``d_LLV(p,r) > d_LLV(p,q)``."""
    t = temperature_pair(2)
    rng = np.random.default_rng(5)
    r = Model(np.asarray(t.a.f) + perturbation * rng.standard_normal(t.a.f.shape), t.a.g)
    P = Ball(dps)
    with P.active():
        kq, kr = kl_between(t.a, t.b, P), kl_between(t.a, r, P)
        lq, lr = llv_between(t.a, t.b, t.sets, P), llv_between(t.a, r, t.sets, P)
        return Outcome.combine({"d_KL(p,r) < d_KL(p,q)": certified_leq(kr, kq, strict=True),
                                "d_LLV(p,r) > d_LLV(p,q)": certified_leq(lq, lr, strict=True)})


_method(INCOMP, "certified", instances("the Section 3 grid pair at ρ = 10, 40; tie pairs at s = 10, "
                                      "1000; one order triple"))(
    lambda ctx: Outcome.combine({
    "bounds": check_incomparable_certified(ctx.dps), "order": check_order_certified(ctx.dps)}))
_method(INCOMP, "symbolic", instances("the temperature pair; the tie perturbation for symbolic s > c > 0"))(
    lambda ctx: Outcome.combine({
    "temperature pair": _temperature_part(2),
    "tie perturbation keeps sigma": _certificates({"variance": dmetric.tie_perturbation_scale()}),
}))


# --------------------------------------------------------------------------------------------
# invariance under ~_L
# --------------------------------------------------------------------------------------------
INVAR = claim(
    "sec4-invariance",
    "d_LLV, d_KL and d_{f,g} are 0 on ~_L-equivalent pairs and unchanged when either model is replaced by a "
    "~_L-equivalent one (d_{f,g} depends on the models only through their log-probabilities).",
    r"(f,g)\sim_L(\hat f,\hat g)\Rightarrow d(\hat p,q)=d(p,q),\ d(p,\hat p)=0",
    "Section 4 (invariance)", "paper",
    depends_on=("thm2.2-if", "sec4-bound-logratio"),
)


def check_invariance_numeric(ctx: Context, perturb: float = 0.0, replaced: str = "either",
                             spoil: str = "first") -> Outcome:
    """At two precisions, with ``p̂ ~_L p`` and ``q̂ ~_L q`` (built at the working precision):
    ``d(p, p̂) = 0`` and ``d(·,·)`` unchanged when ``p``, ``q`` or both are replaced, for
    ``d ∈ {d_LLV, d_KL(→), d_KL(←), d_{f,g}}`` (``d_KL`` is not symmetric: both directions).
    ``perturb`` > 0 spoils ``p̂`` (``spoil="first"``) or ``q̂`` (``"second"``): the broken
    variants; ``replaced`` in {"first", "second",
    "either"} chooses which replacements are exercised."""
    def dists(u: Model, v: Model, sets: Sets, P: Arithmetic) -> list[Any]:
        return [llv_between(u, v, sets, P), kl_between(u, v, P), kl_between(v, u, P),
                evaluate_bound(Pair(u, v, sets), P).d_fg]

    def fn(P: Arithmetic) -> list[Any]:
        rng = np.random.default_rng(ctx.seed + 11)
        e = equivalent_pair(rng, 10, 4, 2, P)
        p, p_hat = e.a, e.b
        if perturb and spoil == "first":
            p_hat = Model(P.array(p_hat.f) + P.scalar(perturb), p_hat.g)
        q = Model(np.asarray(p.f) + 0.3 * rng.standard_normal(p.f.shape),
                  np.asarray(p.g) + 0.3 * rng.standard_normal(p.g.shape))
        a_mat = np.array([[1.5, 0.5], [-0.25, 0.75]])
        qf, qg = equivalent_model_arrays(np.asarray(q.f), np.asarray(q.g), a_mat, np.array([0.5, -1.0]), P)
        q_hat = Model(qf + P.scalar(perturb), qg) if perturb and spoil == "second" else Model(qf, qg)
        mids = [Model(P.midpoint(m.f), P.midpoint(m.g)) for m in (p, q, p_hat, q_hat)]
        sets = common_sets(*mids)
        base = dists(p, q, sets, P)
        vals = list(dists(p, p_hat, sets, P))
        swaps = {"first": [(p_hat, q)], "second": [(p, q_hat)], "either": [(p_hat, q), (p, q_hat), (p_hat, q_hat)]}
        for u, v in swaps[replaced]:
            vals += [x - y for x, y in zip(dists(u, v, sets, P), base, strict=True)]
        return vals

    out = numeric_zero(fn, ctx)
    out.evidence["distances"] = ["d_LLV", "d_KL(p->q)", "d_KL(q->p)", "d_fg"]
    out.evidence["replaced"] = replaced
    return out


def check_invariance_symbolic(transform: str = "inverse-transpose") -> Outcome:
    """``~_L`` leaves every log-probability unchanged (so every distance written in ``ℓ``), and
    ``d_{f,g}`` sees the models only through ``ℓ`` (the log-ratio identities)."""
    return _certificates({"~_L keeps log-probabilities": dmetric.equivalence_keeps_log_probs(transform=transform),
                          "d_fg through log-ratios": dbound.log_ratio_identities(2)})


_method(INVAR, "symbolic", instances("M = 2, K = 3, n = 2 symbolic and integer"))(
    lambda ctx: check_invariance_symbolic())
_method(INVAR, "numeric", instances("one ~_L-equivalent pair and one equivalent replacement, M = 2, K = 4, n = 10"))(
    check_invariance_numeric)

__all__ = [
    "random_pairs",
    "near_tight_pairs",
    "weighted_pairs",
    "figure_pairs",
    "bound_rhs",
    "check_bound",
    "check_bound_certified",
    "exact_fg_pair",
    "exact_d_svd_sides",
    "check_dfg_exact",
    "check_zero_sides",
    "check_sides_sharp",
    "check_logratio_symbolic",
    "check_logratio_numeric",
    "check_sd_difference_symbolic",
    "check_sd_difference_numeric",
    "sd_difference_gaps",
    "check_cov_symbolic",
    "check_cov_numeric",
    "check_nuclear_symbolic",
    "check_nuclear_certified",
    "check_msvd_certified",
    "check_sharp_symbolic",
    "check_implies_symbolic",
    "check_no_invertibility",
    "check_tight_symbolic",
    "check_tight_certified",
    "check_tight_every_m",
    "check_metric_numeric",
    "check_metric_symbolic",
    "check_lambda_symbolic",
    "check_lambda_certified",
    "label_selection_triangle",
    "certify_label_choice",
    "check_paper_selection_certified",
    "check_paper_selection_numeric",
    "check_order_certified",
    "check_incomparable_certified",
    "check_invariance_numeric",
    "check_invariance_symbolic",
]

