"""The follow-up paper's distances: the logit distance ``d_logit`` and the representational
dissimilarity ``d_rep`` it bounds, each written once and evaluated at any precision.

Same model family as the NeurIPS paper, ``p(y|x) ∝ exp(f(x)ᵀg(y))`` (README: *The follow-up paper*).

* Centred unembeddings ``ĝ(y) = g(y) − (1/K) Σ_y' g(y')``; the centred logits ``f(x)ᵀĝ(y)`` are the
  centred log-ratio (clr) transform of ``p(·|x)``, so they depend on the model only through p.
* ``d²_logit = E_x Σ_y (f₁(x)ᵀĝ₁(y) − f₂(x)ᵀĝ₂(y))²`` (:func:`d_logit_sq`, the direct form), equal to
  the clr form ``E_x Σ_y (clr ℓ₁ − clr ℓ₂)²`` from the log-probabilities (:func:`d_logit_sq_clr`) and to
  the moment form ``tr(Ĝ₁ᵀĜ₁Σ₁₁) + tr(Ĝ₂ᵀĜ₂Σ₂₂) − 2 tr(Ĝ₁ᵀĜ₂Σ₂₁)`` with uncentred second moments
  ``Σ_ij = E_x f_i(x) f_j(x)ᵀ`` (:func:`d_logit_sq_moments`; never forms the n×K logits, and streams
  over blocks of inputs in :func:`stream_d_logit_sq`; it needs ``G, G'`` only through the Gram matrices
  of :func:`unembedding_grams`, :func:`moment_form_of_grams`).  The moment form subtracts second moments, so
  at float64 it loses relative accuracy when ``d_logit`` is small next to the logits.
* ``d²_rep``: for a pivot ``y₀`` and an M-set ``S`` of other labels, ``L_i`` has rows
  ``ĝ_i(y) − ĝ_i(y₀) = g_i(y) − g_i(y₀)`` (y ∈ S), ``A = L₁⁻¹L₂`` and the term is
  ``E_x ‖f₁(x) − A f₂(x)‖²``; ``d²_rep`` averages it over every (pivot, set), or over a seeded sample
  of them (with its standard error) when there are too many (:func:`d_rep_sq`).
* :func:`eigen_cca_bound`: the sides of ``Σ λ↓(1 − ρ↓²) ≤ min_B E‖l_t − B f_s‖² ≤ d²_logit``, under
  a choice of conventions (which moments, which logits, which pairing), to say which make it true.

Moments over inputs are under ``p_D`` (uniform or weighted), population moments, as everywhere.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from math import comb
from typing import Any

import numpy as np

from theory.errors import ClosenessError
from theory.model import Model, check_pair, input_weights
from theory.precision import FLOAT64, Arithmetic

__all__ = [
    "centred_unembeddings",
    "centred_logits",
    "clr",
    "second_moments",
    "unembedding_grams",
    "moment_form_of_grams",
    "moment_form",
    "d_logit_sq_of_grams",
    "d_logit_sq",
    "d_logit",
    "d_logit_sq_clr",
    "d_logit_clr",
    "d_logit_sq_moments",
    "stream_d_logit_sq",
    "DRep",
    "LabelRows",
    "rep_pairs",
    "rep_terms",
    "d_rep_sq",
    "code_formula",
    "BoundSides",
    "eigen_cca_bound",
    "MAX_REP_TERMS",
    "REP_SAMPLES",
    "rotation",
    "appendix_cca_example",
    "appendix_kl_example",
    "CCA_ANGLES",
    "KL_G_ANGLES",
    "KL_F_ANGLES",
    "KL_SWAP",
    "rep_for_compare",
    "compare_rep_labels",
    "COMPARE_REP_MAX_M",
    "COMPARE_REP_SAMPLES",
]

#: Largest number of (pivot, set) terms :func:`d_rep_sq` enumerates; above it, it samples.
MAX_REP_TERMS = 5000
#: Default number of sampled (pivot, set) terms when they are too many to enumerate.
REP_SAMPLES = 1000


# --------------------------------------------------------------------------------------------
# d_logit
# --------------------------------------------------------------------------------------------
def centred_unembeddings(g: np.ndarray, P: Arithmetic = FLOAT64) -> np.ndarray:
    """``Ĝ``: the K×M unembeddings minus their mean over labels."""
    gg = P.array(g)
    return gg - gg.sum(axis=0) / P.scalar(gg.shape[0])


def centred_logits(model: Model, P: Arithmetic = FLOAT64) -> np.ndarray:
    """``f(x_i)ᵀĝ(y_k)``: the n×K centred logits."""
    return P.array(model.f) @ centred_unembeddings(model.g, P).T


def clr(ell: np.ndarray, P: Arithmetic = FLOAT64) -> np.ndarray:
    """The centred log-ratio of each row of log-probabilities: ``ℓ(y|x) − (1/K) Σ_y' ℓ(y'|x)``."""
    return ell - (ell.sum(axis=1) / P.scalar(ell.shape[1]))[:, None]


def _mean_rows(v: np.ndarray, P: Arithmetic, w: np.ndarray | None) -> Any:
    if w is None:
        return v.sum() / P.scalar(v.shape[0])
    return (v * w).sum()


def d_logit_sq(a: Model, b: Model, P: Arithmetic = FLOAT64) -> Any:
    """``d²_logit = E_x Σ_y (f₁(x)ᵀĝ₁(y) − f₂(x)ᵀĝ₂(y))²``, the direct form (holds the n×K logits)."""
    check_pair(a, b)
    with P.active():
        diff = centred_logits(a, P) - centred_logits(b, P)
        value = _mean_rows((diff * diff).sum(axis=1), P, input_weights(a, P))
        P.require_finite([value], "d_logit")
        return value


def d_logit(a: Model, b: Model, P: Arithmetic = FLOAT64) -> Any:
    """``d_logit = √(d²_logit)`` (direct form)."""
    with P.active():
        return P.sqrt(np.asarray([d_logit_sq(a, b, P)]))[0]


def d_logit_sq_clr(
    ell: np.ndarray, ell2: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None,
    *, diff: np.ndarray | None = None,
) -> Any:
    """``d²_logit = E_x Σ_y (clr ℓ₁ − clr ℓ₂)²`` from the n×K log-probability matrices (the clr form;
    ``clr`` is linear, so it is taken once, of ``ℓ₁ − ℓ₂``, or of ``diff`` when the caller holds that
    difference); ``w``: normalised input weights or None.
    Equal to the direct form because the centred logits are the clr of the log-probabilities."""
    if ell.shape != ell2.shape:
        raise ClosenessError(f"log-probability matrices differ in shape: {ell.shape} vs {ell2.shape}")
    with P.active():
        diff = clr(ell - ell2 if diff is None else diff, P)
        value = _mean_rows((diff * diff).sum(axis=1), P, w)
        P.require_finite([value], "d_logit")
        return value


def d_logit_clr(
    ell: np.ndarray, ell2: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None,
    *, diff: np.ndarray | None = None,
) -> Any:
    """``d_logit = √(d²_logit)`` in the clr form (:func:`d_logit_sq_clr`)."""
    with P.active():
        return P.sqrt(np.asarray([d_logit_sq_clr(ell, ell2, P, w, diff=diff)]))[0]


def second_moments(f1: np.ndarray, f2: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Σ₁₁, Σ₂₂, Σ₂₁`` with ``Σ_ij = E_x f_i(x) f_j(x)ᵀ`` (uncentred, under ``p_D``): the blocks of one
    moment matrix of the stacked ``[f₁ f₂]``."""
    h = np.hstack([P.array(f1), P.array(f2)])
    m = np.shape(f1)[1]
    s = P.cross(h, h) / P.scalar(h.shape[0]) if w is None else P.cross(h * w[:, None], h)
    return s[:m, :m], s[m:, m:], s[m:, :m]


def _trace(x: np.ndarray, P: Arithmetic) -> Any:
    return sum((x[i, i] for i in range(x.shape[0])), P.scalar(0))


def unembedding_grams(g1: np.ndarray, g2: np.ndarray, P: Arithmetic = FLOAT64
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Ĝ₁ᵀĜ₁, Ĝ₂ᵀĜ₂, Ĝ₁ᵀĜ₂``: the M×M Gram matrices of the centred unembeddings, all that the
    moment form needs of ``G, G'``."""
    h1, h2 = centred_unembeddings(g1, P), centred_unembeddings(g2, P)
    return h1.T @ h1, h2.T @ h2, h1.T @ h2


def moment_form_of_grams(h11: np.ndarray, h22: np.ndarray, h12: np.ndarray, s11: np.ndarray, s22: np.ndarray,
                         s21: np.ndarray, P: Arithmetic) -> Any:
    """``tr(Ĝ₁ᵀĜ₁Σ₁₁) + tr(Ĝ₂ᵀĜ₂Σ₂₂) − 2 tr(Ĝ₁ᵀĜ₂Σ₂₁)`` from the Gram matrices ``h11 = Ĝ₁ᵀĜ₁``,
    ``h22 = Ĝ₂ᵀĜ₂``, ``h12 = Ĝ₁ᵀĜ₂`` (:func:`unembedding_grams`) and the second moments."""
    return (_trace(h11 @ s11, P) + _trace(h22 @ s22, P)
            - P.scalar(2) * _trace(h12 @ s21, P))


def moment_form(g1: np.ndarray, g2: np.ndarray, s11: np.ndarray, s22: np.ndarray, s21: np.ndarray,
                 P: Arithmetic) -> Any:
    """``tr(Ĝ₁ᵀĜ₁Σ₁₁) + tr(Ĝ₂ᵀĜ₂Σ₂₂) − 2 tr(Ĝ₁ᵀĜ₂Σ₂₁)`` from the unembeddings and the second moments."""
    return moment_form_of_grams(*unembedding_grams(g1, g2, P), s11, s22, s21, P)


def d_logit_sq_of_grams(grams: tuple[np.ndarray, np.ndarray, np.ndarray], s11: np.ndarray, s22: np.ndarray,
                        s21: np.ndarray) -> float:
    """``d²_logit`` at float64 from the Gram matrices (:func:`unembedding_grams`, or merged over blocks of
    labels) and the second moments, cut at 0 (rounding of a difference of moments)."""
    value = float(moment_form_of_grams(*grams, s11, s22, s21, FLOAT64))
    FLOAT64.require_finite([value], "d_logit")
    return max(value, 0.0)


def d_logit_sq_moments(a: Model, b: Model, P: Arithmetic = FLOAT64) -> Any:
    """``d²_logit`` in the moment form (never forms the n×K logits)."""
    check_pair(a, b)
    with P.active():
        s11, s22, s21 = second_moments(a.f, b.f, P, input_weights(a, P))
        value = moment_form(a.g, b.g, s11, s22, s21, P)
        P.require_finite([value], "d_logit")
        return value


def stream_d_logit_sq(a: Model, b: Model, chunk: int = 4096) -> float:
    """``d²_logit`` in the moment form at float64, the second moments summed over blocks of
    ``chunk`` inputs (``f`` may be memory-mapped); cut at 0 (rounding of a difference of moments)."""
    check_pair(a, b)
    if chunk < 1:
        raise ClosenessError(f"the chunk size must be a positive number of inputs, got {chunk}")
    m = a.M
    s11, s22, s21 = np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, m))
    w = None if a.weights is None else np.asarray(FLOAT64.midpoint(a.weights), dtype=float)
    total = float(a.n) if w is None else float(w.sum())
    for lo in range(0, a.n, chunk):
        hi = min(lo + chunk, a.n)
        f1, f2 = np.asarray(a.f[lo:hi], dtype=float), np.asarray(b.f[lo:hi], dtype=float)
        wf1, wf2 = (f1, f2) if w is None else (f1 * w[lo:hi, None], f2 * w[lo:hi, None])
        s11 += wf1.T @ f1
        s22 += wf2.T @ f2
        s21 += wf2.T @ f1
    grams = unembedding_grams(np.asarray(a.g, float), np.asarray(b.g, float))
    return d_logit_sq_of_grams(grams, s11 / total, s22 / total, s21 / total)


# --------------------------------------------------------------------------------------------
# d_rep
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DRep:
    """``d²_rep`` with how it was obtained: every (pivot, set) term (``exact``) or a seeded sample
    of ``count`` terms out of ``total`` with its standard error (float64 estimate)."""

    value: Any
    count: int
    total: int
    exact: bool
    stderr: float | None
    terms: list[tuple[int, tuple[int, ...], Any]]

    @property
    def pivots_times_sets(self) -> int:
        return self.total


#: A pivot label and an M-set of other labels.
Pair = tuple[int, tuple[int, ...]]


@dataclass(frozen=True)
class LabelRows:
    """Some rows of ``G, G'`` out of ``k`` labels: row ``i`` of each model's ``g`` is label ``labels[i]``
    (sorted), when only the rows that the (pivot, set) terms need were read (the Dask engine)."""

    k: int
    labels: tuple[int, ...]


def _pivot_sets(k: int, m: int) -> Iterator[Pair]:
    for y0 in range(k):
        for s in itertools.combinations([y for y in range(k) if y != y0], m):
            yield y0, s


def _sampled_pivot_sets(k: int, m: int, samples: int, seed: int) -> list[Pair]:
    """``samples`` (pivot, set) pairs drawn uniformly with replacement (seeded): the pivot, then M of
    the K − 1 other labels (drawn as positions among them, never listing them)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(samples):
        y0 = int(rng.integers(k))
        others = rng.choice(k - 1, size=m, replace=False)
        out.append((y0, tuple(sorted(int(y) for y in others + (others >= y0)))))
    return out


def rep_pairs(k: int, m: int, *, limit: int = MAX_REP_TERMS, samples: int = REP_SAMPLES, seed: int = 0
              ) -> tuple[list[Pair], int, bool]:
    """The (pivot, set) pairs :func:`d_rep_sq` averages for ``k`` labels in dimension ``m``, their total
    number and whether they are all of them: every pair when at most ``limit``, else ``samples``
    seeded draws (they depend on ``k, m, samples, seed`` only)."""
    total = k * comb(k - 1, m)
    exact = total <= limit
    return (list(_pivot_sets(k, m)) if exact else _sampled_pivot_sets(k, m, samples, seed)), total, exact


def _row_of(labels: np.ndarray, rows: LabelRows | None) -> np.ndarray:
    """The rows of ``g`` holding ``labels`` (the labels themselves when ``g`` is whole)."""
    if rows is None:
        return labels
    held = np.asarray(rows.labels, dtype=int)
    at = np.minimum(np.searchsorted(held, labels), len(held) - 1)
    if not np.array_equal(held[at], labels):
        raise ClosenessError("the rows of G read lack some label of the (pivot, set) terms")
    return at


def rep_terms(a: Model, b: Model, pairs: list[Pair], P: Arithmetic = FLOAT64, *, rows: LabelRows | None = None
              ) -> list[tuple[int, tuple[int, ...], Any]]:
    """``E_x ‖f₁(x) − A f₂(x)‖²`` with ``A = L₁⁻¹L₂`` for each (pivot, set), from the joint second
    moments: ``tr Σ₁₁ − 2 tr(A Σ₂₁) + tr(A Σ₂₂ Aᵀ)``, for all pairs at once (stacks of the ``L``, ``A``).
    A singular ``L₁`` (smallest singular value below ``1e-12`` of the largest, at float64) is refused.
    ``rows``: ``a.g, b.g`` hold only the rows of these labels."""
    check_pair(a, b)
    with P.active():
        g1, g2 = P.array(a.g), P.array(b.g)
        s11, s22, s21 = second_moments(a.f, b.f, P, input_weights(a, P))
        pivots = _row_of(np.array([y0 for y0, _ in pairs], dtype=int), rows)
        sets = _row_of(np.array([s for _, s in pairs], dtype=int).reshape(len(pairs), a.M), rows)
        l1 = g1[sets] - g1[pivots][:, None, :]
        l2 = g2[sets] - g2[pivots][:, None, :]
        sv = np.linalg.svd(np.asarray(P.midpoint(l1), dtype=float), compute_uv=False)
        for (y0, s), v in zip(pairs, sv, strict=True):
            if not v.min() > 1e-12 * max(v.max(), 1e-300):
                raise ClosenessError(f"L₁ is singular for pivot {y0} and labels {list(s)}: d_rep is undefined")
        amat = P.solve_many(l1, l2)
        terms = (_trace(s11, P) - P.scalar(2) * (amat * s21.T).sum(axis=(1, 2))
                 + ((amat @ s22) * amat).sum(axis=(1, 2)))
        out = [(y0, tuple(s), t) for (y0, s), t in zip(pairs, terms, strict=True)]
        P.require_finite([t for *_, t in out], "d_rep")
        return out


def d_rep_sq(a: Model, b: Model, P: Arithmetic = FLOAT64, *, limit: int = MAX_REP_TERMS,
             samples: int = REP_SAMPLES, seed: int = 0, rows: LabelRows | None = None) -> DRep:
    """``d²_rep``: the mean over every (pivot, M-set) when there are at most ``limit`` of them,
    otherwise over ``samples`` seeded draws (:func:`rep_pairs`), with the standard error of that mean.
    ``rows``: ``a.g, b.g`` hold only the rows of these labels, out of ``rows.k``."""
    pairs, total, exact = rep_pairs(a.K if rows is None else rows.k, a.M, limit=limit, samples=samples, seed=seed)
    terms = rep_terms(a, b, pairs, P, rows=rows)
    with P.active():
        value = sum((t for *_, t in terms), P.scalar(0)) / P.scalar(len(terms))
    stderr = None
    if not exact:
        mids = P.midpoint(np.array([t for *_, t in terms], dtype=object))
        stderr = float(np.std(mids, ddof=1) / math.sqrt(len(mids))) if len(mids) > 1 else math.inf
    return DRep(value, len(terms), total, exact, stderr, terms)


def code_formula(terms: list[Any], P: Arithmetic = FLOAT64) -> Any:
    """The normalisation of the authors' experiment code ``[follow-up-code]``: each (pivot, set) term
    divided by the number of terms, and that list then averaged again."""
    n = P.scalar(len(terms))
    scaled = [t / n for t in terms]
    return sum(scaled, P.scalar(0)) / n


# --------------------------------------------------------------------------------------------
# the eigenvalue / canonical-correlation bound
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoundSides:
    """``lhs = Σ λ_i(1 − ρ_i²)`` (paired as ``pairing`` says), ``middle = min_B E‖l_t − B f_s‖²`` (with
    an intercept when the moments are centred) and ``d2 = d²_logit``; ``lam``, ``rho`` as paired."""

    lam: np.ndarray
    rho: np.ndarray
    lhs: Any
    middle: Any
    d2: Any


def _moments(x: np.ndarray, y: np.ndarray, P: Arithmetic, w: np.ndarray | None, centred: bool) -> np.ndarray:
    if centred:
        x = x - (x.sum(axis=0) / P.scalar(x.shape[0]) if w is None else (x * w[:, None]).sum(axis=0))
        y = y - (y.sum(axis=0) / P.scalar(y.shape[0]) if w is None else (y * w[:, None]).sum(axis=0))
    wx = x / P.scalar(x.shape[0]) if w is None else x * w[:, None]
    return wx.T @ y


def _descending(values: np.ndarray, P: Arithmetic) -> np.ndarray:
    order = np.argsort(-P.midpoint(values), kind="stable")
    return np.asarray(values)[order]


def eigen_cca_bound(
    teacher: Model, student: Model, P: Arithmetic = FLOAT64, *,
    lam_centred: bool = False, rho_centred: bool = False, raw_logits: bool = False, pairing: str = "descending",
) -> BoundSides:
    """The sides of the follow-up's bound (its Theorem F.1, as its figure code states it)
    ``Σ_i λ_i(1 − ρ_i²) ≤ d²_logit`` and of the middle step ``min_B E‖l_t(x) − B f_s(x)‖²``.

    ``λ``: the eigenvalues of the teacher's logit second-moment matrix ``E[l_t l_tᵀ]`` (``lam_centred``:
    its covariance; ``raw_logits``: ``l_t = G_t f_t`` instead of the centred ``Ĝ_t f_t``); ``ρ``: the
    canonical correlations of ``f_t`` and ``f_s`` (``rho_centred``: the usual centred CCA; otherwise
    uncentred, the cosines of the principal angles in ``L²(p_D)``), zero-padded to M_t.  ``pairing``:
    ``descending`` (λ↓ with ρ↓, the statement) or ``reversed`` (λ↓ with ρ↑).  The middle step is
    centred (an intercept is allowed) exactly when both λ and ρ are."""
    if teacher.n != student.n or (teacher.weights is None) != (student.weights is None):
        raise ClosenessError("teacher and student must be evaluated on the same inputs")
    if teacher.K != student.K:
        raise ClosenessError(f"teacher and student must share the labels: K = {teacher.K} vs {student.K}")
    if pairing not in ("descending", "reversed"):
        raise ClosenessError(f"pairing must be 'descending' or 'reversed', got {pairing!r}")
    with P.active():
        w = input_weights(teacher, P)
        ft, fs = P.array(teacher.f), P.array(student.f)
        gt = P.array(teacher.g) if raw_logits else centred_unembeddings(teacher.g, P)
        # λ: eigenvalues of E[l lᵀ] = G Σ_tt Gᵀ, i.e. of Rᵀ Gᵀ G R with Σ_tt = R Rᵀ
        r_lam = P.cholesky(_moments(ft, ft, P, w, lam_centred))
        lam = P.svdvals(r_lam.T @ gt.T @ gt @ r_lam)
        # ρ²: eigenvalues of C Cᵀ, C = R_t⁻¹ Σ_ts R_s⁻ᵀ (M_t×M_t: zero-padded when M_s < M_t)
        r_t = P.cholesky(_moments(ft, ft, P, w, rho_centred))
        r_s = P.cholesky(_moments(fs, fs, P, w, rho_centred))
        c = P.solve(r_s, P.solve(r_t, _moments(ft, fs, P, w, rho_centred)).T).T
        rho2 = P.svdvals(c @ c.T)
        lam_d = _descending(lam, P)
        rho2_d = _descending(rho2, P)
        if pairing == "reversed":
            rho2_d = rho2_d[::-1]
        one = P.scalar(1)
        lhs = sum((lv * (one - r2) for lv, r2 in zip(lam_d, rho2_d, strict=True)), P.scalar(0))
        # the middle step: E‖l_t‖² − tr(Σ_ls Σ_ss⁻¹ Σ_sl) with l_t = G f_t (centred moments when both are)
        both = lam_centred and rho_centred
        stt, sts, sss = (_moments(u, v, P, w, both) for u, v in ((ft, ft), (ft, fs), (fs, fs)))
        explained = gt @ sts @ P.solve(sss, sts.T) @ gt.T
        middle = _trace(gt @ stt @ gt.T, P) - _trace(explained, P)
        d2 = d_logit_sq_moments(teacher, student, P) if teacher.M == student.M else _d2_any_dims(teacher, student, P)
        rho = P.sqrt(rho2_d)
        P.require_finite([lhs, middle, d2], "the eigenvalue-CCA bound")
        return BoundSides(lam_d, rho, lhs, middle, d2)


def _d2_any_dims(a: Model, b: Model, P: Arithmetic) -> Any:
    """``d²_logit`` between models of different dimensions (a student narrower than its teacher)."""
    diff = centred_logits(a, P) - centred_logits(b, P)
    return _mean_rows((diff * diff).sum(axis=1), P, input_weights(a, P))


# --------------------------------------------------------------------------------------------
# the two small examples of the follow-up's appendix (constructions in words; seeded draws here)
# --------------------------------------------------------------------------------------------
def _unit(angles: np.ndarray) -> np.ndarray:
    return np.c_[np.cos(angles), np.sin(angles)]


def rotation(angle: float) -> np.ndarray:
    """The 2×2 rotation by ``angle`` (counter-clockwise), rounded to float64 (an exact binary matrix)."""
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


#: Example 1: unembedding angles (length 8); the embeddings of each label lie around its direction.
CCA_ANGLES = np.array([0.0, 2.0, 4.0, 5.0, 7.0]) * math.pi / 4


def appendix_cca_example(seed: int = 0, P: Arithmetic = FLOAT64, per_label: int = 100) -> tuple[Model, Model]:
    """``m_CCA = 1`` for f and for g, yet different distributions (K = 5, M = 2): unembeddings at the
    angles :data:`CCA_ANGLES` and length 8; ``per_label`` embeddings per label at length 5 along its
    direction plus ``N(0, 0.5²I)`` noise (seeded); model 2 rotates the unembeddings by π/4 clockwise
    and the embeddings by π/4 counter-clockwise.  The rotations are float64 matrices applied in ``P``,
    so model 2 is an exact linear image of model 1 at every precision (object arrays unless float64)."""
    rng = np.random.default_rng(seed)
    g = 8 * _unit(CCA_ANGLES)
    f = np.repeat(5 * _unit(CCA_ANGLES), per_label, axis=0) + rng.normal(0.0, 0.5, size=(per_label * 5, 2))
    with P.active():
        f2 = P.array(f) @ P.array(rotation(math.pi / 4)).T
        g2 = P.array(g) @ P.array(rotation(-math.pi / 4)).T
    return Model(f, g), Model(f2, g2)


#: Example 2: unembedding angles (in units of π/16) of labels 1-8, and the embeddings' centres.
KL_G_ANGLES = np.array([0, 1, 2, 3, 10, 16, 20, 26]) * math.pi / 16
KL_F_ANGLES = np.array([0, 1, 2, 3, 13, 13, 23, 23]) * math.pi / 16
#: Model 2 swaps g(y₅) with g(y₆) and g(y₇) with g(y₈).
KL_SWAP = [0, 1, 2, 3, 5, 4, 7, 6]


def appendix_kl_example(seed: int = 0, per_label: int = 500) -> tuple[Model, Model]:
    """Small KL, equal embeddings, unembeddings not linearly related (K = 8, M = 2): unembeddings at
    length 5.5 and the angles :data:`KL_G_ANGLES`, model 2 with labels 5↔6 and 7↔8 swapped
    (:data:`KL_SWAP`); shared embeddings, ``per_label`` per label at the angles :data:`KL_F_ANGLES`
    with ``U(±π/256)`` angle noise and lengths ``2 + |N(0,1)|`` (seeded).  Every entry is a float64
    number taken exactly, so the pair evaluates at any precision."""
    rng = np.random.default_rng(seed)
    parts = []
    for centre in KL_F_ANGLES:
        theta = centre + rng.uniform(-math.pi / 256, math.pi / 256, per_label)
        radius = 2 + np.abs(rng.normal(size=per_label))
        parts.append(radius[:, None] * _unit(theta))
    f = np.vstack(parts)
    g = 5.5 * _unit(KL_G_ANGLES)
    return Model(f, g), Model(f, g[KL_SWAP])


#: ``closeness compare`` samples d_rep (float64) only up to this M (each term solves an M×M system).
COMPARE_REP_MAX_M = 64
#: Draws of a sampled d_rep in ``closeness compare``.
COMPARE_REP_SAMPLES = 200


def _compare_rep_refused(total: int, m: int) -> str | None:
    if total > MAX_REP_TERMS and m > COMPARE_REP_MAX_M:
        return f"not computed: {total} (pivot, set) terms and M = {m} > {COMPARE_REP_MAX_M}"
    return None


def rep_for_compare(a: Model, b: Model, P: Arithmetic = FLOAT64, seed: int = 0, rows: LabelRows | None = None
                    ) -> DRep | str:
    """``d²_rep`` where it is cheap, as ``closeness compare`` reports it: exact (every pivot and set, at
    ``P``) up to :data:`MAX_REP_TERMS` terms, else a seeded float64 sample of
    :data:`COMPARE_REP_SAMPLES` terms when ``M ≤`` :data:`COMPARE_REP_MAX_M`; otherwise, or when some
    ``L₁`` is singular, the reason it is not reported.  ``rows``: ``a.g, b.g`` hold only the rows of
    these labels (:func:`compare_rep_labels`), out of ``rows.k``."""
    k = a.K if rows is None else rows.k
    total = k * comb(k - 1, a.M)
    refused = _compare_rep_refused(total, a.M)
    if refused is not None:
        return refused
    try:
        if total <= MAX_REP_TERMS:
            return d_rep_sq(a, b, P, rows=rows)
        return d_rep_sq(a, b, FLOAT64, samples=COMPARE_REP_SAMPLES, seed=seed, rows=rows)
    except ClosenessError as err:
        return f"not computed: {err}"


def compare_rep_labels(k: int, m: int, seed: int = 0) -> list[int] | str:
    """The labels whose rows of ``G, G'`` :func:`rep_for_compare` reads for ``k`` labels in dimension
    ``m`` (sorted): every label when it takes every term, those of its seeded sample otherwise; or the
    reason it does not compute ``d²_rep``."""
    total = k * comb(k - 1, m)
    refused = _compare_rep_refused(total, m)
    if refused is not None:
        return refused
    if total <= MAX_REP_TERMS:
        return list(range(k))
    pairs, _, _ = rep_pairs(k, m, samples=COMPARE_REP_SAMPLES, seed=seed)
    return sorted({y for y0, s in pairs for y in (y0, *s)})
