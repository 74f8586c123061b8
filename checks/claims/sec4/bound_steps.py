"""The steps of the proof of the Section 4 bound (claims ``sec4-bound-logratio``,
``sec4-bound-sd-difference``, ``sec4-bound-cov-identity``, ``sec4-bound-nuclear-trace``,
``sec4-msvd-range``), each with a symbolic certificate from :mod:`theory.derivations.bound` and a
numeric or certified check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from checks.claims.sec4.common import (
    certificates,
    dims_text,
    near_tight_pairs,
    random_pairs,
    scoped_method,
    weighted_pairs,
)
from checks.evidence import ball_str, certified_leq, numeric_leq, numeric_zero
from checks.registry import Context, Outcome, claim, general_given, instances
from theory.derivations import bound as dbound
from theory.distances import cross_covariance, input_terms, label_terms, mean, pls_svd_values, sd
from theory.families import (
    Pair,
    random_diverse_pair,
)
from theory.identifiability import input_matrix, label_matrix
from theory.model import input_weights, log_probs
from theory.precision import FLOAT64, Arithmetic, Ball

__all__ = [
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
]


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
    return certificates({f"M={m}": dbound.log_ratio_identities(m, pivot_term) for m in dims})


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


scoped_method(LOGRATIO, "symbolic",
              instances("M = 1, 2, 3 with K = n = M + 1: symbolic entries and an integer instance"))(
    lambda ctx: check_logratio_symbolic())
scoped_method(LOGRATIO, "numeric", instances("one random pair, M = 3, K = 5, n = 9"))(check_logratio_numeric)


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
    return certificates({
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


scoped_method(SDDIFF, "symbolic", instances("index sets of size 3: symbolic entries and a rational instance"))(
    lambda ctx: check_sd_difference_symbolic())
scoped_method(SDDIFF, "numeric", instances("12 random, 2 near-tight and 3 weighted pairs, M ≤ 3"))(
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
    return certificates({f"n={n}": dbound.covariance_identity(n, ddof) for n in (3, 4)})


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


scoped_method(COVID, "symbolic", instances("n = 3, 4"))(lambda ctx: check_cov_symbolic())
scoped_method(COVID, "numeric", instances("one random pair, M = 3, n = 11"))(check_cov_numeric)


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
    out = certificates({f"M={m}": dbound.nuclear_norm_trace(m, factor, factors) for m in dims})
    every_m = {1, 2} <= set(dims) and any(m >= 3 for m in dims)  # closed forms for 1, 2; symbolic n for ≥ 3
    given = general_given("the SVD C = UΣVᵀ exists and an orthogonal matrix's entries are at most 1 in absolute "
                          "value (cited; the certificate takes UᵀU = VᵀV = I)")
    return out.with_scope(given if every_m else instances(f"M = {dims_text(dims)}"))


NUCTRACE.method("symbolic")(lambda ctx: check_nuclear_symbolic())
scoped_method(NUCTRACE, "certified", instances("random and weighted pairs with M = 2, 3"))(
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


scoped_method(MSVD, "symbolic", instances("n = 3, M = 2"))(
    lambda ctx: certificates({"range": dbound.msvd_range()}))
scoped_method(MSVD, "certified", instances("random and weighted pairs with M = 2, 3; the exhibit"))(
    lambda ctx: check_msvd_certified(_nuclear_material(ctx), ctx.dps))
