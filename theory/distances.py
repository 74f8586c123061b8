"""The paper's distances, each written once and evaluated at any precision.

* ``d_kl``  -- ``E_x KL(p(·|x) || p'(·|x))`` (Section 3);
* ``llv_terms`` / ``d_llv`` -- the log-likelihood variance distance ``d^λ_LLV`` (Section 4);
* ``m_svd`` / ``d_svd`` -- PLS-SVD similarity of standardised paired vectors (Section 4);
* ``d_fg`` -- the representational dissimilarity ``d_{f,g}`` (Section 4);
* ``m_cca`` -- mean canonical correlation, computed in closed form (Cholesky + SVD).

Moments over inputs ``x`` are under ``p_D`` (uniform or weighted); over labels ``y`` uniform
over all K labels.  Population moments (``ddof = 0``) throughout (README: *Definitions, as computed*);
``ddof = 1`` (the paper's code) is available to show which quantities depend on it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import comb
from typing import Any

import numpy as np

from theory.errors import ClosenessError
from theory.identifiability import input_matrix, label_matrix
from theory.precision import FLOAT64, Arithmetic

__all__ = [
    "Sets",
    "LLVTerms",
    "LogOdds",
    "log_odds",
    "label_log_odds",
    "FGResult",
    "mean",
    "sd",
    "d_kl",
    "label_terms",
    "input_terms",
    "llv_terms",
    "d_llv",
    "standardise",
    "cross_covariance",
    "standardised_cross",
    "d_svd_of_cross",
    "assemble_llv_terms",
    "pls_svd_values",
    "m_svd",
    "d_svd",
    "d_fg",
    "fg_label_side",
    "m_cca",
    "MAX_SUBSETS",
]

#: Largest number of M-subsets of the label set that ``d_fg`` enumerates before refusing.
MAX_SUBSETS = 20_000


# --------------------------------------------------------------------------------------------
# moments
# --------------------------------------------------------------------------------------------
def mean(x: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None, axis: int = 0) -> Any:
    """``E[x]`` along ``axis``: weighted by normalised ``w`` (length of that axis) or uniform."""
    if axis == 0 and x.dtype != object:  # a matrix-vector product: far faster than sum(axis=0)
        return (np.full(x.shape[0], 1.0 / x.shape[0], dtype=x.dtype) if w is None else w) @ x
    if w is None:
        return x.sum(axis=axis) / P.scalar(x.shape[axis])
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x * w.reshape(shape)).sum(axis=axis)


def var(
    x: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None, axis: int = 0, ddof: int = 0
) -> Any:
    """Population variance (two-pass); ``ddof = 1`` rescales by ``n/(n−1)`` (uniform only)."""
    return _centred_var(x - np.expand_dims(mean(x, P, w, axis), axis), P, w, axis, ddof)


def _centred_var(centred: np.ndarray, P: Arithmetic, w: np.ndarray | None, axis: int, ddof: int) -> Any:
    """The second pass of :func:`var`, for values already centred at their mean (callers that hold
    the centred values pass them here rather than centring twice)."""
    v = mean(centred * centred, P, w, axis)
    if ddof:
        if w is not None:
            raise ClosenessError("ddof ≠ 0 is defined only for uniform input weights")
        n = centred.shape[axis]
        v = v * (P.scalar(n) / P.scalar(n - ddof))
    return v


def sd(
    x: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None, axis: int = 0, ddof: int = 0
) -> Any:
    """Standard deviation ``√Var``."""
    return P.sqrt(np.asarray(var(x, P, w, axis, ddof)))


# --------------------------------------------------------------------------------------------
# KL
# --------------------------------------------------------------------------------------------
def d_kl(
    ell: np.ndarray, ell2: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None,
    *, probs: np.ndarray | None = None,
) -> Any:
    """``d_KL(p, p') = E_x Σ_y p(y|x) (ℓ(y|x) − ℓ'(y|x))`` from log-probability matrices; ``probs``:
    ``p = e^ℓ`` when the caller holds it (:func:`theory.model.log_probs_and_probs`), else ``P.exp(ℓ)``."""
    _same_shape(ell, ell2)
    with P.active():
        p = P.exp(ell) if probs is None else probs
        return _expected_log_ratio(p, ell - ell2, P, w)


def d_kl_pair(
    ell: np.ndarray, ell2: np.ndarray, probs: tuple[np.ndarray, np.ndarray], P: Arithmetic = FLOAT64,
    w: np.ndarray | None = None,
) -> tuple[Any, Any, np.ndarray]:
    """``(d_KL(p, p'), d_KL(p', p), ℓ − ℓ')`` from one difference: with ``probs = (p, p')``,
    ``d_KL(p', p) = E_x Σ_y p'(y|x) (ℓ' − ℓ) = −E_x Σ_y p'(y|x) (ℓ − ℓ')``; the difference is returned
    for the clr form of ``d_logit`` (:func:`theory.logit.d_logit_sq_clr`), which takes it too."""
    _same_shape(ell, ell2)
    with P.active():
        diff = ell - ell2
        return _expected_log_ratio(probs[0], diff, P, w), -_expected_log_ratio(probs[1], diff, P, w), diff


def _expected_log_ratio(p: np.ndarray, diff: np.ndarray, P: Arithmetic, w: np.ndarray | None) -> Any:
    """``E_x Σ_y p(y|x) diff(y|x)``: ``d_KL`` when ``diff = ℓ − ℓ'``."""
    value = mean((p * diff).sum(axis=1), P, w)
    P.require_finite([value], "d_KL")
    return value


# --------------------------------------------------------------------------------------------
# d_LLV
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sets:
    """Pivot label ``y_0``, label set ``S_Y``, pivot input ``x_0``, input set ``S_X`` (Section 4)."""

    pivot_label: int
    labels: tuple[int, ...]
    pivot_input: int
    inputs: tuple[int, ...]
    left_out_label: int | None = None
    selection: str = "fixed"

    def validate(self, n: int, K: int, M: int) -> None:
        """Indices in range, distinct, pivots outside their sets, ``|S_X| = M``, ``|S_Y| ≥ M``."""
        _check_indices("label", self.pivot_label, self.labels, K)
        _check_indices("input", self.pivot_input, self.inputs, n)
        if len(self.inputs) != M:
            raise ClosenessError(f"the input set must have exactly M = {M} inputs, got {len(self.inputs)}")
        if len(self.labels) < M:
            raise ClosenessError(f"the label set must have at least M = {M} labels, got {len(self.labels)}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "selection": self.selection,
            "pivot_label": self.pivot_label,
            "labels": list(self.labels),
            "left_out_label": self.left_out_label,
            "pivot_input": self.pivot_input,
            "inputs": list(self.inputs),
        }


def _check_indices(what: str, pivot: int, members: tuple[int, ...], size: int) -> None:
    for i in (pivot, *members):
        if not 0 <= i < size:
            raise ClosenessError(f"{what} index {i} is out of range 0..{size - 1}")
    if len(set(members)) != len(members):
        raise ClosenessError(f"the {what} set has a repeated index: {list(members)}")
    if pivot in members:
        raise ClosenessError(f"the pivot {what} {pivot} must not be in the {what} set")


@dataclass(frozen=True)
class LLVTerms:
    """Every ingredient of ``d^λ_LLV`` for fixed sets (Section 4), arrays indexed like the sets."""

    sets: Sets
    sigma: np.ndarray  # σ_y, y ∈ S_Y
    sigma2: np.ndarray  # σ'_y
    s: np.ndarray  # s_x, x ∈ S_X
    s2: np.ndarray  # s'_x
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    e: np.ndarray
    T1: Any
    T2: Any
    T3: Any
    T4: Any
    argmax: dict[str, Any] = field(default_factory=dict)
    arith: Arithmetic = FLOAT64

    def value(self, lam: float | str = 1e-5, mode: str = "max") -> Any:
        """``d^λ_LLV``: ``max(T1, T2, λT3, λT4)`` (the paper's) or ``T1 + T2 + λ(T3 + T4)``."""
        return d_llv(self, lam, mode)


def _positive(values: np.ndarray, scale: Any, P: Arithmetic, what: str, index: tuple[int, ...]) -> None:
    for v, i in zip(values, index, strict=True):
        if P.is_zero(v, scale):
            raise ClosenessError(f"{what} is zero for index {i}: the standardisation is undefined")


@dataclass(frozen=True)
class LogOdds:
    """The log-odds ``u_y(x) = ℓ(y|x) − ℓ(y_0|x) = f(x)ᵀ(g(y) − g(y_0))`` of one model over ``y ∈ S_Y``
    (n×|S_Y|), centred over inputs, and their SDs: ``σ_y`` of ``d_LLV`` and the scales that standardise
    the f side of ``d_{f,g}``, whose representations ``Lᵀf(x)`` are these log-odds."""

    values: np.ndarray
    centred: np.ndarray
    sd: np.ndarray


def log_odds(u: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None, ddof: int = 0) -> LogOdds:
    """:class:`LogOdds` of the n×|S_Y| log-odds ``u`` (from log-probabilities, :func:`label_log_odds`,
    or from representations, ``f L``): the two-pass SD of :func:`sd`, its centred values kept."""
    centred = u - mean(u, P, w, axis=0)
    return LogOdds(u, centred, P.sqrt(np.asarray(_centred_var(centred, P, w, 0, ddof))))


def label_log_odds(
    ell: np.ndarray, pivot: int, labels: tuple[int, ...], P: Arithmetic = FLOAT64,
    w: np.ndarray | None = None, ddof: int = 0,
) -> LogOdds:
    """:class:`LogOdds` of one model from its n×K log-probabilities: ``ℓ(y|x) − ℓ(y_0|x)``, y ∈ S_Y."""
    _check_indices("label", pivot, labels, ell.shape[1])
    with P.active():
        return log_odds(ell[:, list(labels)] - ell[:, [pivot]], P, w, ddof)


def label_terms(
    ell: np.ndarray, ell2: np.ndarray, pivot: int, labels: tuple[int, ...],
    P: Arithmetic = FLOAT64, w: np.ndarray | None = None, ddof: int = 0,
    odds: tuple[LogOdds, LogOdds] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(σ, σ', a, b)`` over ``y ∈ S_Y``: the label terms of ``d_LLV`` (moments over x).

    ``σ_y = SD_x[ℓ(y|x) − ℓ(y_0|x)]``, ``a_y = SD_x[ℓ(y|x)/σ_y − ℓ'(y|x)/σ'_y]``,
    ``b_y = SD_x[ℓ(y_0|x)/σ_y − ℓ'(y_0|x)/σ'_y]``; ``odds``: the two models' :func:`label_log_odds`
    for these labels (and this ``w``, ``ddof``) when the caller holds them.
    """
    _same_shape(ell, ell2)
    sy, y0 = list(labels), pivot
    _check_indices("label", y0, labels, ell.shape[1])
    with P.active():
        if odds is None:
            odds = (label_log_odds(ell, y0, labels, P, w, ddof), label_log_odds(ell2, y0, labels, P, w, ddof))
        sigma, sigma2 = odds[0].sd, odds[1].sd
        _positive(sigma, P.magnitude(ell[:, [*sy, y0]]), P,
                  "σ_y = SD_x[ℓ(y|x) − ℓ(y_0|x)] of model 1", tuple(sy))
        _positive(sigma2, P.magnitude(ell2[:, [*sy, y0]]), P,
                  "σ'_y = SD_x[ℓ'(y|x) − ℓ'(y_0|x)] of model 2", tuple(sy))
        a = sd(P.divide(ell[:, sy], sigma) - P.divide(ell2[:, sy], sigma2), P, w, axis=0, ddof=ddof)
        b = sd(P.divide(ell[:, [y0]], sigma) - P.divide(ell2[:, [y0]], sigma2), P, w, axis=0, ddof=ddof)
        return sigma, sigma2, a, b


def input_terms(
    ell: np.ndarray, ell2: np.ndarray, pivot: int, inputs: tuple[int, ...],
    P: Arithmetic = FLOAT64, ddof: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(s, s', c, e)`` over ``x ∈ S_X``: the input terms of ``d_LLV`` (moments over y, uniform).

    ``s_x = SD_y[ℓ(y|x) − ℓ(y|x_0)]``, ``c_x = SD_y[ℓ(y|x)/s_x − ℓ'(y|x)/s'_x]``,
    ``e_x = SD_y[ℓ(y|x_0)/s_x − ℓ'(y|x_0)/s'_x]``.
    """
    _same_shape(ell, ell2)
    sx, x0 = list(inputs), pivot
    _check_indices("input", x0, inputs, ell.shape[0])
    with P.active():
        s = sd(ell[sx, :] - ell[[x0], :], P, None, axis=1, ddof=ddof)
        s2 = sd(ell2[sx, :] - ell2[[x0], :], P, None, axis=1, ddof=ddof)
        _positive(s, P.magnitude(ell[[*sx, x0], :]), P,
                  "s_x = SD_y[ℓ(y|x) − ℓ(y|x_0)] of model 1", tuple(sx))
        _positive(s2, P.magnitude(ell2[[*sx, x0], :]), P,
                  "s'_x = SD_y[ℓ'(y|x) − ℓ'(y|x_0)] of model 2", tuple(sx))
        c = sd(ell[sx, :] / s[:, None] - ell2[sx, :] / s2[:, None], P, None, axis=1, ddof=ddof)
        e = sd(ell[[x0], :] / s[:, None] - ell2[[x0], :] / s2[:, None], P, None, axis=1, ddof=ddof)
        return s, s2, c, e


def llv_terms(
    ell: np.ndarray,
    ell2: np.ndarray,
    sets: Sets,
    P: Arithmetic = FLOAT64,
    w: np.ndarray | None = None,
    ddof: int = 0,
    odds: tuple[LogOdds, LogOdds] | None = None,
) -> LLVTerms:
    """All terms of ``d^λ_LLV`` for log-probability matrices ``ell`` (model p) and ``ell2`` (p')
    (``odds``: as :func:`label_terms` takes them)."""
    sigma, sigma2, a, b = label_terms(ell, ell2, sets.pivot_label, sets.labels, P, w, ddof, odds)
    s, s2, c, e = input_terms(ell, ell2, sets.pivot_input, sets.inputs, P, ddof)
    return assemble_llv_terms(sets, sigma, sigma2, a, b, s, s2, c, e, P)


def assemble_llv_terms(
    sets: Sets, sigma: np.ndarray, sigma2: np.ndarray, a: np.ndarray, b: np.ndarray,
    s: np.ndarray, s2: np.ndarray, c: np.ndarray, e: np.ndarray, P: Arithmetic = FLOAT64,
) -> LLVTerms:
    """``T1 = max(a, b)``, ``T2 = max(c, e)``, ``T3 = max|σ − σ'|``, ``T4 = max|s − s'|`` and the
    label/input attaining each, from the per-label and per-input terms (however they were computed)."""
    sy, sx = list(sets.labels), list(sets.inputs)
    with P.active():
        ab = np.concatenate([a, b])
        ce = np.concatenate([c, e])
        P.require_finite(np.concatenate([ab, ce, sigma, sigma2, s, s2]), "a d_LLV term")
        d3 = P.abs(sigma - sigma2)
        d4 = P.abs(s - s2)
        i1, i2, i3, i4 = (int(P.argmax(v)) for v in (ab, ce, d3, d4))
        argmax = {
            "T1": {"label": sy[i1 % len(sy)], "term": "a" if i1 < len(sy) else "b"},
            "T2": {"input": sx[i2 % len(sx)], "term": "c" if i2 < len(sx) else "e"},
            "T3": {"label": sy[i3]},
            "T4": {"input": sx[i4]},
        }
        return LLVTerms(
            sets, sigma, sigma2, s, s2, a, b, c, e,
            P.max(ab), P.max(ce), P.max(d3), P.max(d4), argmax, P,
        )


def d_llv(terms: LLVTerms, lam: float | str = 1e-5, mode: str = "max") -> Any:
    """``d^λ_LLV = max(T1, T2, λT3, λT4)`` (``mode="max"``) or ``T1 + T2 + λ(T3 + T4)`` (``"sum"``).

    ``λ`` is read as a decimal (``1e-5`` means exactly 10⁻⁵ at every precision).
    """
    P = terms.arith
    if not np.isfinite(float(lam)) or float(lam) < 0:
        raise ClosenessError(f"λ must be a finite non-negative number, got {lam}")
    with P.active():
        lam_p = P.scalar(lam if isinstance(lam, str) else repr(float(lam)))
        t1, t2, t3, t4 = terms.T1, terms.T2, terms.T3, terms.T4
        if mode == "max":
            return P.max(np.array([t1, t2, lam_p * t3, lam_p * t4], dtype=object))
        if mode == "sum":
            return t1 + t2 + lam_p * (t3 + t4)
    raise ClosenessError(f"mode must be 'max' or 'sum', got {mode!r}")


# --------------------------------------------------------------------------------------------
# PLS-SVD, d_{f,g}, CCA
# --------------------------------------------------------------------------------------------
def standardise(u: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None, *, ddof: int = 0) -> np.ndarray:
    """Centre each column and divide it by its standard deviation (columns must vary)."""
    centred = u - mean(u, P, w, axis=0)
    spread = P.sqrt(np.asarray(_centred_var(centred, P, w, 0, ddof)))
    scale = P.magnitude(u)
    for j, v in enumerate(spread):
        if P.is_zero(v, scale):
            raise ClosenessError(f"coordinate {j} has zero variance: it cannot be standardised")
    return centred / spread


def cross_covariance(
    u: np.ndarray, v: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None, *, ddof: int = 0
) -> np.ndarray:
    """``C = Cov(ũ, ṽ)``, the M×M cross-covariance of the standardised vectors."""
    su, sv = standardise(P.array(u), P, w, ddof=ddof), standardise(P.array(v), P, w, ddof=ddof)
    n = u.shape[0]
    wu = su / P.scalar(n - ddof) if w is None else su * w[:, None]
    return P.cross(wu, sv)


def standardised_cross(
    cov: np.ndarray, sd_u: np.ndarray, sd_v: np.ndarray, scales: tuple[Any, Any], P: Arithmetic = FLOAT64
) -> np.ndarray:
    """``Cov(ũ, ṽ) = Cov(u, v) / (SD u · SD vᵀ)`` from moments (as the streamed and the subset paths
    have them), refusing a constant coordinate (relative to ``scales``) as :func:`standardise` does."""
    for spread, scale in ((sd_u, scales[0]), (sd_v, scales[1])):
        for j, v in enumerate(spread):
            if P.is_zero(v, scale):
                raise ClosenessError(f"coordinate {j} has zero variance: it cannot be standardised")
    return cov / (sd_u[:, None] * sd_v[None, :])


def d_svd_of_cross(c: np.ndarray, P: Arithmetic = FLOAT64) -> Any:
    """``d_SVD = 1 − ‖C‖_*/M`` for the standardised cross-covariance ``C``."""
    return P.scalar(1) - P.nuclear_norm(c) / P.scalar(c.shape[0])


def pls_svd_values(u: np.ndarray, v: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None) -> np.ndarray:
    """The PLS-SVD covariances: singular values of ``Cov(ũ, ṽ)``."""
    _paired(u, v)
    with P.active():
        return P.svdvals(cross_covariance(u, v, P, w))


def m_svd(u: np.ndarray, v: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None, *, ddof: int = 0) -> Any:
    """``m_SVD = (1/M) Σ_k σ_k(Cov(ũ, ṽ))`` for rows of ``u``, ``v`` paired over the index set."""
    _paired(u, v)
    with P.active():
        return P.nuclear_norm(cross_covariance(u, v, P, w, ddof=ddof)) / P.scalar(u.shape[1])


def d_svd(u: np.ndarray, v: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None) -> Any:
    """``d_SVD = 1 − m_SVD``."""
    m = m_svd(u, v, P, w)
    with P.active():
        return P.scalar(1) - m


@dataclass(frozen=True)
class FGResult:
    """``d_{f,g}`` with its parts: one ``d_SVD`` per M-subset of ``S_Y`` (f side), one for ``S_X``."""

    f_side: list[tuple[tuple[int, ...], Any]]
    g_side: Any
    value: Any


def label_subsets(labels: tuple[int, ...], m: int, limit: int = MAX_SUBSETS) -> list[tuple[int, ...]]:
    """All M-subsets of ``S_Y``, refusing when there are more than ``limit``."""
    count = comb(len(labels), m)
    if count > limit:
        size = f"= {count}" if count < 10**12 else f"≈ 10^{len(str(count // 10**12)) + 11}"
        raise ClosenessError(
            f"d_fg would take the maximum over C({len(labels)}, {m}) {size} label subsets (limit {limit}); "
            f"pass a label set of exactly M = {m} labels, e.g. --labels 1-{m} (and --inputs, exactly M indices)"
        )
    return list(itertools.combinations(labels, m))


def d_fg(
    f: np.ndarray,
    g: np.ndarray,
    f2: np.ndarray,
    g2: np.ndarray,
    sets: Sets,
    P: Arithmetic = FLOAT64,
    w: np.ndarray | None = None,
    limit: int = MAX_SUBSETS,
    odds: tuple[LogOdds, LogOdds] | None = None,
) -> FGResult:
    """``d_{f,g} = max(max_{M-subsets of S_Y} d_SVD(Lᵀf, L'ᵀf') over x, d_SVD(Nᵀg, N'ᵀg') over y)``
    (the f side by :func:`fg_label_side`, from ``odds`` when the caller holds them)."""
    with P.active():
        f_side = fg_label_side(f, g, f2, g2, sets, P, w, limit, odds)
        ff, ff2 = P.array(f), P.array(f2)
        nn = input_matrix(ff, sets.pivot_input, sets.inputs, P)
        nn2 = input_matrix(ff2, sets.pivot_input, sets.inputs, P)
        g_side = d_svd(P.array(g) @ nn, P.array(g2) @ nn2, P, None)
        sides = np.array([d for _, d in f_side] + [g_side], dtype=object)
        P.require_finite(sides, "d_SVD")
        return FGResult(f_side, g_side, P.max(sides))


def fg_label_side(
    f: np.ndarray, g: np.ndarray, f2: np.ndarray, g2: np.ndarray, sets: Sets,
    P: Arithmetic = FLOAT64, w: np.ndarray | None = None, limit: int = MAX_SUBSETS,
    odds: tuple[LogOdds, LogOdds] | None = None,
) -> list[tuple[tuple[int, ...], Any]]:
    """The f side of ``d_{f,g}``: ``d_SVD(Lᵀf, L'ᵀf')`` for every M-subset of ``S_Y`` (not yet checked
    to be finite).  The representations ``Lᵀf(x)`` of all of ``S_Y`` are the log-odds
    ``g_0(y)ᵀf(x) = ℓ(y|x) − ℓ(y_0|x)``: formed once (``f L``, or given as ``odds``, :func:`label_log_odds`
    with population SDs, ``ddof = 0``), with their moments and cross-covariances; each M-subset's
    ``Cov(ũ, ũ')`` is then a block of it (only the diagonal is needed when M = 1)."""
    m = f.shape[1]
    with P.active():
        subsets = label_subsets(sets.labels, m, limit)
        if odds is None:
            ff, gg, ff2, gg2 = (P.array(a) for a in (f, g, f2, g2))
            odds = (log_odds(P.matmul(ff, label_matrix(gg, sets.pivot_label, sets.labels, P)), P, w),
                    log_odds(P.matmul(ff2, label_matrix(gg2, sets.pivot_label, sets.labels, P)), P, w))
        uc, uc2 = odds[0].centred, odds[1].centred
        weighted = uc if w is None else uc * w[:, None]
        cov = (weighted * uc2).sum(axis=0) if m == 1 else P.cross(weighted, uc2)
        if w is None:
            cov = cov / P.scalar(uc.shape[0])
        scales = (P.magnitude(odds[0].values), P.magnitude(odds[1].values))
        pos = {y: i for i, y in enumerate(sets.labels)}
        f_side = []
        for subset in subsets:
            ix = [pos[y] for y in subset]
            block = cov[ix][:, None] if m == 1 else cov[np.ix_(ix, ix)]
            c = standardised_cross(block, odds[0].sd[ix], odds[1].sd[ix], scales, P)
            f_side.append((subset, d_svd_of_cross(c, P)))
        return f_side


def m_cca(x: np.ndarray, y: np.ndarray, P: Arithmetic = FLOAT64, w: np.ndarray | None = None) -> Any:
    """Mean canonical correlation of paired samples (rows), in closed form.

    With ``Σ_xx = R_x R_xᵀ`` and ``Σ_yy = R_y R_yᵀ`` (Cholesky), the canonical correlations are
    the singular values of ``R_x⁻¹ Σ_xy R_y⁻ᵀ``.  No iterative solver.
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ClosenessError(f"CCA needs paired 2-d samples, got shapes {x.shape} and {y.shape}")
    with P.active():
        xx, yy = P.array(x), P.array(y)
        # centred, then each column divided by its largest magnitude: the canonical correlations are
        # invariant to that, and the covariances below can then neither overflow nor underflow
        h = np.hstack([_unit_columns(xx - mean(xx, P, w, axis=0), P), _unit_columns(yy - mean(yy, P, w, axis=0), P)])
        s = P.cross(h, h) / P.scalar(x.shape[0]) if w is None else P.cross(h * w[:, None], h)
        mx = x.shape[1]
        sxx, syy, sxy = s[:mx, :mx], s[mx:, mx:], s[:mx, mx:]
        rx, ry = P.cholesky(sxx), P.cholesky(syy)
        k = P.solve(ry, P.solve(rx, sxy).T).T
        value = P.nuclear_norm(k) / P.scalar(min(x.shape[1], y.shape[1]))
        P.require_finite([value], "m_CCA")
        return value


def _unit_columns(a: np.ndarray, P: Arithmetic) -> np.ndarray:
    """``a`` with each column divided by its largest magnitude (an all-zero column is kept)."""
    peaks = np.max(np.abs(P.midpoint(a)), axis=0)
    return a / P.array(np.where(peaks > 0, peaks, 1.0))


def _paired(u: np.ndarray, v: np.ndarray) -> None:
    if u.shape != v.shape or u.ndim != 2:
        raise ClosenessError(f"paired vectors must have equal 2-d shapes, got {u.shape} and {v.shape}")


def _same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ClosenessError(f"log-probability matrices differ in shape: {a.shape} vs {b.shape}")
