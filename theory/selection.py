"""How the pivots and sets of ``d_LLV`` / ``d_{f,g}`` are chosen.

* :func:`default_sets` -- deterministic defaults for fixed sets (the metric of Section 4):
  pivot label 0 with every other label, pivot input 0 with the first M inputs (in order) that
  keep both ``N`` and ``N'`` invertible.
* :func:`paper_sets` -- the procedure of the paper's experiments ``[paper-code]``, as the authors'
  code runs it: labels by :func:`paper_labels` (the pair (pivot ``y_0``, left-out label) minimising
  ``T1`` with ``S_Y = Y∖{y_0, left-out}``, the first minimiser in (pivot, left-out) order), inputs by
  :func:`paper_inputs` (``samples`` *disjoint* random (M+1)-subsets, first element ``x_0``; a draw
  replaces the current one only when its ``T2`` is below the best so far, which starts at 1, so the
  first draw is kept when none has ``T2 < 1``).
  This selection depends on both models, so it is a procedure, not part of the metric.
  The choice is made at float64; the chosen sets are then evaluated at any precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theory.distances import MAX_SUBSETS, Sets, input_terms, label_subsets, label_terms
from theory.errors import ClosenessError
from theory.identifiability import greedy_affine_basis, input_matrix, label_matrix, require_invertible
from theory.model import Model
from theory.precision import FLOAT64

__all__ = [
    "MAX_PAPER_LABELS",
    "PAPER_T2_THRESHOLD",
    "LabelCandidates",
    "LabelMoments",
    "default_sets",
    "label_candidates",
    "paper_inputs",
    "input_draws",
    "kept_draw",
    "paper_labels",
    "paper_label_sets",
    "paper_sets",
    "pair_label_candidates",
    "pair_paper_labels",
    "pivot_choice",
    "pivot_choices",
    "require_invertible_sets",
    "require_paper_selection",
]

#: Largest K for which the pivot/left-out search of the paper's selection is run (K×K moment matrices).
MAX_PAPER_LABELS = 2_000


def require_paper_selection(k: int, m: int | None = None, max_subsets: int = MAX_SUBSETS) -> None:
    """The paper's label selection is defined (K ≥ 3) and affordable (K ≤ :data:`MAX_PAPER_LABELS`);
    with ``m`` also that ``d_{f,g}`` of its ``|S_Y| = K − 2`` labels has at most ``max_subsets``
    M-subsets, so an impossible comparison is refused before the selection runs."""
    if k > MAX_PAPER_LABELS:
        raise ClosenessError(
            f"the paper's label selection scans all K(K−1) = {k * (k - 1)} pivot pairs (K = {k} > "
            f"{MAX_PAPER_LABELS}); pass fixed sets with --pivot-label/--labels instead"
        )
    if k < 3:
        raise ClosenessError("the paper's label selection needs K ≥ 3 (a pivot, a left-out label and S_Y)")
    if m is not None:
        label_subsets(tuple(range(k - 2)), m, max_subsets)


def default_sets(a: Model, b: Model) -> Sets:
    """Pivot label 0, ``S_Y`` = all other labels; pivot input 0 and ``S_X`` from
    :func:`theory.identifiability.greedy_affine_basis` on both models (first suitable inputs in
    order, else the lexicographically first M-subset keeping ``N`` and ``N'`` invertible)."""
    inputs = greedy_affine_basis([a.f, b.f], a.M, 0)
    if inputs is None:
        raise ClosenessError(
            "no M inputs found that make both N and N' invertible with pivot input 0 (Def 2.1); "
            "pass --pivot-input/--inputs explicitly"
        )
    return Sets(0, tuple(range(1, a.K)), 0, inputs)


@dataclass(frozen=True)
class LabelCandidates:
    """Every (pivot, left-out) candidate of the paper's label selection from moment matrices.

    Row ``k`` is pivot ``y_0 = k`` (after a leading pair axis from :func:`pair_label_candidates`):
    ``t1`` its smallest ``T1`` (the second largest of the terms ``max(a_y, b_y)``, y ≠ k), ``left``
    the label left out for it (the largest term), and
    ``[lower, upper]`` an interval that holds the ``T1`` of :func:`theory.distances.label_terms`
    (two-pass moments) despite the rounding of either computation.  ``valid``: every ``σ_y``,
    ``σ'_y`` is certainly non-zero (``label_terms`` accepts the pivot); ``invalid``: some is
    certainly zero (it refuses); neither: undecided at float64.  ``decided``: valid, and the largest
    term certainly unique, so that ``label_terms`` leaves out the same label.
    """

    t1: np.ndarray
    left: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    valid: np.ndarray
    invalid: np.ndarray
    decided: np.ndarray

    def contenders(self) -> np.ndarray:
        """Pivots that may minimise ``T1`` as ``label_terms`` computes it: an interval reaching below
        the smallest upper end of a valid pivot, or an undecided pivot."""
        best = np.min(np.where(self.valid, self.upper, np.inf), axis=-1, keepdims=True)
        return (self.valid & (self.lower <= best)) | ~(self.valid | self.invalid)


def label_candidates(ell: np.ndarray, ell2: np.ndarray, w: np.ndarray | None = None) -> LabelCandidates:
    """All candidates of the paper's label selection ``[paper-code]`` at once, from three K×K moment
    matrices (Section 4's ``σ_y``, ``a_y``, ``b_y`` are quadratic forms of them).

    With ``V``, ``V'`` the covariances over inputs (weights ``w``, population moments) of the
    columns of ``ℓ``, ``ℓ'`` and ``X`` their cross-covariance, pivot ``k`` gives
    ``σ_y² = V_yy + V_kk − 2V_yk``, ``a_y² = V_yy/σ_y² + V'_yy/σ'_y² − 2X_yy/(σ_yσ'_y)`` and ``b_y²``
    likewise with ``k`` for ``y``.  The error bound is a deliberately generous first-order bound
    (worst-case summation error ``γ = 4(n + 8)·eps``, whatever the order of summation) on the
    difference from the two-pass evaluation.
    """
    mom, mom2 = LabelMoments.of(ell, w), LabelMoments.of(ell2, w)
    x = np.einsum("ij,ij->j", mom.centred, mom2.centred) * mom.scale  # only the diagonal X_yy is needed
    return _candidates(mom.cov, mom2.cov, x, mom.raw, mom2.raw, mom.tiny, mom2.tiny, ell.shape[0])


@dataclass(frozen=True)
class LabelMoments:
    """What :func:`label_candidates` needs of one model: its centred (weighted) log-probabilities,
    their covariance ``V`` over inputs, the RMS of each column and :meth:`FLOAT64.is_zero`'s
    threshold for its ``σ_y``; ``scale`` turns sums of products of centred columns into moments."""

    centred: np.ndarray
    cov: np.ndarray
    raw: np.ndarray
    tiny: float
    scale: float

    @classmethod
    def of(cls, ell: np.ndarray, w: np.ndarray | None = None) -> LabelMoments:
        n = ell.shape[0]
        weights = np.full(n, 1.0 / n) if w is None else np.asarray(w, dtype=float)
        mu = weights @ ell
        centred = ell - mu if w is None else (ell - mu) * np.sqrt(weights)[:, None]
        scale = 1.0 / n if w is None else 1.0
        cov = (centred.T @ centred) * scale
        raw = np.sqrt(np.diag(cov) + mu * mu)  # RMS of ℓ_y
        tiny = FLOAT64.zero_tolerance * float(max(np.max(ell), -np.min(ell)))  # FLOAT64.is_zero's threshold
        return cls(centred, cov, raw, tiny, scale)


def pair_label_candidates(ells: np.ndarray, first: np.ndarray, second: np.ndarray) -> LabelCandidates:
    """:func:`label_candidates` of every pair ``(ells[first[p]], ells[second[p]])`` of a stack of
    n×K log-probability matrices (uniform weights), with a leading pair axis: the moments of each
    model are formed once, and the ``X_yy`` of all pairs by one Gram product per label."""
    moments = [LabelMoments.of(e) for e in ells]
    centred = np.stack([m.centred for m in moments])  # (models, n, K)
    columns = np.ascontiguousarray(np.moveaxis(centred, 2, 0))  # (K, models, n)
    x = np.stack([(c @ c.T)[first, second] for c in columns], axis=-1) * moments[0].scale
    cov = np.stack([m.cov for m in moments])
    raw = np.stack([m.raw for m in moments])
    tiny = np.array([m.tiny for m in moments])
    return _candidates(cov[first], cov[second], x, raw[first], raw[second], tiny[first], tiny[second],
                       ells.shape[1])


def _candidates(v: np.ndarray, v2: np.ndarray, x: np.ndarray, raw: np.ndarray, raw2: np.ndarray,
                tiny: Any, tiny2: Any, n: int) -> LabelCandidates:
    """The candidates from the moments of :func:`label_candidates` (any leading axes: one row of
    candidates per pair)."""
    k = v.shape[-1]
    eps = float(np.finfo(np.float64).eps)
    gamma = 4 * (n + 8) * eps
    off = ~np.eye(k, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        parts = []
        for cov, r, tol in ((v, raw, tiny), (v2, raw2, tiny2)):
            tol2 = np.asarray(tol, dtype=float)[..., None, None] ** 2
            d = np.diagonal(cov, axis1=-2, axis2=-1)
            sig2 = d[..., :, None] + d[..., None, :] - 2 * cov  # [pivot, y], symmetric
            err = 2 * gamma * (r[..., :, None] + r[..., None, :]) ** 2
            rel = err / sig2
            certain = (sig2 - err > tol2) & (rel < 1e-3)
            zero = sig2 + err <= tol2
            parts.append((d, r, sig2, rel, certain, zero))
        (d, r, sig2, rel, ok, zero), (d2, r2, sig2p, relp, ok2, zero2) = parts
        cross = np.sqrt(sig2 * sig2p)
        col, row = (..., None, slice(None)), (..., slice(None), None)  # y (the label), k (the pivot)
        a2 = d[col] / sig2 + d2[col] / sig2p - 2 * x[col] / cross
        b2 = d[row] / sig2 + d2[row] / sig2p - 2 * x[row] / cross
        spread = rel + relp
        # |Δa²| ≤ 8[γ(r_y/σ + r'_y/σ')² + (√P + √Q)²(rel + rel')], P = V_yy/σ², Q = V'_yy/σ'²
        da = 8 * (gamma * (r[col] / np.sqrt(sig2) + r2[col] / np.sqrt(sig2p)) ** 2
                  + (np.sqrt(d[col] / sig2) + np.sqrt(d2[col] / sig2p)) ** 2 * spread)
        db = 8 * (gamma * (r[row] / np.sqrt(sig2) + r2[row] / np.sqrt(sig2p)) ** 2
                  + (np.sqrt(d[row] / sig2) + np.sqrt(d2[row] / sig2p)) ** 2 * spread)
        t = np.sqrt(np.maximum(np.maximum(a2, b2), 0.0))
        dt2 = np.maximum(da, db)
        err_t = np.minimum(dt2 / t, np.sqrt(dt2))  # |√p − √q| ≤ min(|p − q|/√p, √|p − q|)
        valid = np.all(ok & ok2 | ~off, axis=-1)
        invalid = np.any((zero | zero2) & off, axis=-1)
        t = np.where(off, t, -np.inf)
        err_t = np.where(off, err_t, 0.0)
        left = np.argmax(t, axis=-1)
        t1 = _second_largest(t)
        lower, upper = _second_largest(t - err_t), _second_largest(t + err_t)
        at_left = left[..., None]
        top_lower = (np.take_along_axis(t, at_left, -1) - np.take_along_axis(err_t, at_left, -1))[..., 0]
        rivals = t + err_t
        np.put_along_axis(rivals, at_left, -np.inf, -1)
        decided = top_lower > np.max(rivals, axis=-1)
    ok_rows = valid & np.isfinite(lower) & np.isfinite(upper)
    return LabelCandidates(t1, left, lower, upper, ok_rows, invalid & ~ok_rows, ok_rows & decided)


def _second_largest(t: np.ndarray) -> np.ndarray:
    """The second largest entry of each row (the smallest ``T1`` over the left-out label)."""
    return np.partition(t, -2, axis=-1)[..., -2]


def pivot_choice(ell: np.ndarray, ell2: np.ndarray, y0: int, w: np.ndarray | None = None) -> tuple[float, int] | None:
    """``(T1, left-out)`` of pivot ``y0`` from :func:`theory.distances.label_terms` ``[paper-code]``:
    the first left-out label minimising ``max`` of the other terms ``max(a_y, b_y)`` (the largest
    term when it is unique, else the first label); ``None`` when some ``σ_y`` or ``σ'_y`` is zero."""
    others = tuple(y for y in range(ell.shape[1]) if y != y0)
    try:
        _, _, a_y, b_y = label_terms(ell, ell2, y0, others, w=w)
    except ClosenessError:
        return None
    t = np.maximum(a_y, b_y)
    j = int(np.argmax(t))
    rest = float(np.max(np.delete(t, j)))
    if rest == float(t[j]):  # a tied largest term: every choice gives the same T1, the first wins
        return rest, others[0]
    return rest, others[j]


def paper_labels(ell: np.ndarray, ell2: np.ndarray, w: np.ndarray | None = None) -> tuple[int, int, float]:
    """``(y_0, left-out, T1)`` minimising ``T1`` over all ordered pairs, at float64 ``[paper-code]``.

    As the authors' code: for each pivot the terms ``max(a_y, b_y)`` of every other label are
    formed once, ``T1`` of leaving out ``y`` is the maximum over the others, and the first minimiser
    in (pivot, left-out) order wins.  Pivots that leave some label with a zero ``σ_y`` or ``σ'_y``
    (an undefined ``T1``) are skipped.  Every candidate comes from :func:`label_candidates`; any
    pivot but the contenders (:meth:`LabelCandidates.contenders`) certainly has a larger ``T1``.  A
    single contender whose left-out label is decided is the choice of the per-pivot scan (its
    ``T1`` is returned from the moments, within their error bound); otherwise every contender is
    evaluated by :func:`pivot_choice`, two-pass as the scan did, so that near ties are broken exactly
    as the scan breaks them (same pivot, same left-out label, same ``T1``).
    """
    k = ell.shape[1]
    require_paper_selection(k)
    cand = label_candidates(ell, ell2, w)
    contenders = np.flatnonzero(cand.contenders())
    single = len(contenders) == 1 and bool(cand.decided[contenders[0]])
    exact = set() if single else set(contenders.tolist())
    best: tuple[float, int, int] = (np.inf, -1, -1)
    for y0 in range(k):
        if y0 in exact:
            choice = pivot_choice(ell, ell2, y0, w)
            if choice is None:
                continue
            t1, left = choice
        elif cand.valid[y0]:
            t1, left = float(cand.t1[y0]), int(cand.left[y0])
        else:
            continue
        if t1 < best[0]:
            best = (t1, y0, left)
    if best[1] < 0:
        raise ClosenessError("every pivot choice leaves a label with zero log-odds variance: T1 is undefined")
    return best[1], best[2], best[0]


def pair_paper_labels(ells: np.ndarray, first: np.ndarray, second: np.ndarray,
                      ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(y_0, left-out, errors)`` of :func:`paper_labels` for every pair ``(ells[first[p]],
    ells[second[p]])`` of a stack of n×K log-probability matrices (uniform weights), and the error
    it raises for the pair ("" where it does not).

    As :func:`paper_labels`: a single contender whose left-out label is decided
    (:func:`pair_label_candidates`) is the choice; otherwise every contender is evaluated by
    :func:`pivot_choices` (bitwise :func:`pivot_choice`), and the first smallest ``T1`` in pivot
    order wins.  Every other pivot certainly has a larger ``T1``; a pair none of whose contenders
    has a finite ``T1`` is left to :func:`paper_labels` itself.  Errors of :func:`require_paper_selection`
    (which concern all pairs) are raised."""
    k = ells.shape[2]
    require_paper_selection(k)
    cand = pair_label_candidates(ells, first, second)
    contenders = cand.contenders()
    rows = np.arange(len(first))
    y0 = np.argmax(contenders, axis=1)
    left = cand.left[rows, y0]
    single = (np.sum(contenders, axis=1) == 1) & cand.decided[rows, y0]
    pairs, pivots = np.nonzero(contenders & ~single[:, None])
    t1, left_of, defined = pivot_choices(ells, first[pairs], second[pairs], pivots)
    value = np.full(contenders.shape, np.inf)
    value[pairs, pivots] = np.where(defined & (t1 < np.inf), t1, np.inf)  # a NaN T1 never wins either
    lefts = np.zeros(contenders.shape, dtype=int)
    lefts[pairs, pivots] = left_of
    errors = [""] * len(first)
    for p in np.flatnonzero(~single):
        best = int(np.argmin(value[p]))  # the first smallest
        if value[p, best] < np.inf:
            y0[p], left[p] = best, lefts[p, best]
            continue
        try:
            y0[p], left[p], _ = paper_labels(ells[first[p]], ells[second[p]])
        except ClosenessError as err:
            errors[p], y0[p], left[p] = str(err), 0, 1
    return y0, left, errors


def pivot_choices(ells: np.ndarray, first: np.ndarray, second: np.ndarray, pivots: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`pivot_choice` of many items ``(ells[first[q]], ells[second[q]], y_0 = pivots[q])`` at
    once (uniform weights): ``(T1, left-out, defined)``, ``defined`` False where it gives None.

    The arithmetic is that of :func:`theory.distances.label_terms`, operation for operation on the
    same n×(K−1) matrices (:func:`_library_sd`), so that the values are bitwise those of
    :func:`pivot_choice` and near ties are broken exactly as the per-pivot scan breaks them."""
    k = ells.shape[2]
    others = np.array([[y for y in range(k) if y != pivot] for pivot in range(k)])  # (K, K−1)
    columns = np.ascontiguousarray(np.swapaxes(ells, 1, 2))  # (models, K, n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # ℓ[:, S_Y] − ℓ[:, [y_0]] as label_terms forms it: each n×(K−1) matrix in Fortran order
        sigma = np.stack([_library_sd(np.swapaxes(columns[:, others[pivot]] - columns[:, [pivot]], 1, 2))
                          for pivot in range(k)], axis=1)
        scale = FLOAT64.zero_tolerance * np.max(np.abs(ells), axis=(1, 2))  # FLOAT64.is_zero of σ_y, σ'_y
        usable = np.all(~(np.abs(sigma) <= scale[:, None, None]), axis=2)  # (models, pivots)
        t1, left = np.empty(len(pivots)), np.empty(len(pivots), dtype=int)
        chunk = max(1, _CHUNK_BYTES // (8 * ells[0].size))  # small enough to stay in cache
        for start in range(0, len(pivots), chunk):
            part = slice(start, start + chunk)
            a_idx, b_idx, piv = first[part], second[part], pivots[part]
            labels = others[piv]
            s1, s2 = sigma[a_idx, piv], sigma[b_idx, piv]
            # ℓ[:, S_Y]/σ − ℓ'[:, S_Y]/σ' in Fortran order, ℓ[:, [y_0]]/σ − ℓ'[:, [y_0]]/σ' in C order, as there
            q = columns[a_idx[:, None], labels]
            q /= s1[:, :, None]
            q -= columns[b_idx[:, None], labels] / s2[:, :, None]
            a = _library_sd(np.swapaxes(q, 1, 2))
            q = columns[a_idx, piv][:, :, None] / s1[:, None, :]
            q -= columns[b_idx, piv][:, :, None] / s2[:, None, :]
            b = _library_sd(q)
            t = np.maximum(a, b)
            rows = np.arange(len(piv))
            j = np.argmax(t, axis=1)
            rest = t.copy()
            rest[rows, j] = -np.inf
            rest = np.max(rest, axis=1)
            t1[part] = rest
            left[part] = np.where(rest == t[rows, j], labels[:, 0], labels[rows, j])  # a tied largest term: the first
    return t1, left, usable[first, pivots] & usable[second, pivots]


#: Bytes of one of the arrays of a chunk of :func:`pivot_choices`.
_CHUNK_BYTES = 2**20


def _library_sd(x: np.ndarray) -> np.ndarray:
    """``theory.distances.sd(x, axis=0)`` at float64 (uniform weights) of every matrix of a stack
    (…, n, c), operation for operation: the means are the same products with the vector of ``1/n``
    (whose order of summation depends on the memory order of the matrices, C or Fortran, which the
    intermediate results keep)."""
    ones = np.full(x.shape[-2], 1.0 / x.shape[-2])
    centred = x - (ones @ x)[..., None, :]
    np.multiply(centred, centred, out=centred)
    return np.sqrt(np.maximum(ones @ centred, 0))


#: The authors' starting threshold for ``T2``: a draw must beat it to replace the first draw.
PAPER_T2_THRESHOLD = 1.0


def paper_inputs(
    a: Model, b: Model, ell: np.ndarray, ell2: np.ndarray, samples: int, seed: int
) -> tuple[int, tuple[int, ...], float]:
    """``(x_0, S_X, T2)`` by the authors' rule ``[paper-code]``.

    ``draws·(M+1)`` distinct inputs are drawn at once (seeded) and split into ``draws`` disjoint
    (M+1)-subsets, first element ``x_0``.  The current choice starts as the first draw with best
    ``T2 = 1`` (:data:`PAPER_T2_THRESHOLD`); a draw replaces it only when its ``T2`` is below the
    best so far, so the first draw is kept when no draw has ``T2 < 1``.  A draw whose ``T2`` is
    undefined (a zero ``s_x``: NaN in the authors' code) never replaces.  ``draws = samples``; when
    fewer than ``samples·(M+1)`` inputs exist (where the authors' code raises) as many disjoint
    draws as fit, ``⌊n/(M+1)⌋``.  The returned ``T2`` is that of the chosen draw (``nan`` when the
    kept first draw has none).  Invertibility of ``N``, ``N'`` is not part of the rule (the bound's
    hypothesis is checked on the chosen sets by :func:`require_invertible_sets`).
    """
    choices = input_draws(a.n, a.M, samples, seed)
    chosen, chosen_t2 = kept_draw(ell, ell2, choices)
    return int(choices[chosen][0]), tuple(int(v) for v in choices[chosen][1:]), chosen_t2


def input_draws(n: int, m: int, samples: int, seed: int) -> np.ndarray:
    """The disjoint seeded (M+1)-subsets the authors' input rule tries, in its order (rows: ``x_0``
    then ``S_X``): ``min(samples, ⌊n/(M+1)⌋)`` of them, drawn at once."""
    if samples < 1:
        raise ClosenessError(f"--samples must be at least 1, got {samples}")
    draws = min(samples, n // (m + 1))
    if draws < 1:
        raise ClosenessError(f"the paper's input selection needs at least M + 1 = {m + 1} inputs, got n = {n}")
    rng = np.random.default_rng(seed)
    return rng.choice(n, size=draws * (m + 1), replace=False).reshape(draws, m + 1)


def kept_draw(ell: np.ndarray, ell2: np.ndarray, choices: np.ndarray) -> tuple[int, float]:
    """The row of ``choices`` the authors' rule keeps (see :func:`paper_inputs`), decided draw by draw
    by :func:`theory.distances.input_terms`, and its ``T2`` (``nan`` when the kept first draw has none)."""
    best_t2, chosen, chosen_t2 = PAPER_T2_THRESHOLD, 0, float("nan")
    for i, draw in enumerate(choices):
        x0, sx = int(draw[0]), tuple(int(v) for v in draw[1:])
        try:
            _, _, c, e = input_terms(ell, ell2, x0, sx)
        except ClosenessError:
            continue
        t2 = float(max(np.max(c), np.max(e)))
        if i == 0:
            chosen_t2 = t2
        if t2 < best_t2:
            best_t2, chosen, chosen_t2 = t2, i, t2
    return chosen, chosen_t2


def paper_sets(a: Model, b: Model, ell: np.ndarray, ell2: np.ndarray, samples: int = 100, seed: int = 0,
               w: np.ndarray | None = None) -> Sets:
    """The full selection of the paper's experiments ``[paper-code]`` (see the module docstring)."""
    x0, sx, _ = paper_inputs(a, b, ell, ell2, samples, seed)
    return paper_label_sets(ell, ell2, x0, sx, w)


def paper_label_sets(ell: np.ndarray, ell2: np.ndarray, pivot_input: int, inputs: tuple[int, ...],
                     w: np.ndarray | None = None) -> Sets:
    """The paper's label selection (:func:`paper_labels`) with a given pivot input and input set."""
    y0, left, _ = paper_labels(ell, ell2, w)
    labels = tuple(y for y in range(ell.shape[1]) if y not in (y0, left))
    return Sets(y0, labels, pivot_input, tuple(inputs), left_out_label=left, selection="paper")


def require_invertible_sets(a: Model, b: Model, sets: Sets, max_subsets: int = MAX_SUBSETS) -> None:
    """The hypothesis of the Section 4 bound for chosen sets: ``L``, ``L'`` invertible for every
    M-subset of ``S_Y``, and ``N``, ``N'`` invertible; a clear error naming the first that is not.

    All matrices are decided in one batched SVD with :func:`is_singular`'s float64 criterion; only
    when one is singular does the matrix-by-matrix pass run, to name it."""
    subsets = label_subsets(sets.labels, a.M, max_subsets)
    g, g2, f, f2 = (np.asarray(x, dtype=np.float64) for x in (a.g, b.g, a.f, b.f))
    mats = [(h[list(sub)] - h[[sets.pivot_label]]).T for sub in subsets for h in (g, g2)]
    mats += [(h[list(sets.inputs)] - h[[sets.pivot_input]]).T for h in (f, f2)]
    with FLOAT64.active():
        sv = np.linalg.svd(np.stack(mats), compute_uv=False)
    if not np.any(np.abs(sv) <= FLOAT64.zero_tolerance * np.abs(np.max(sv, axis=1, keepdims=True))):
        return
    for subset in subsets:
        require_invertible(label_matrix(a.g, sets.pivot_label, subset), f"L for labels {list(subset)}")
        require_invertible(label_matrix(b.g, sets.pivot_label, subset), f"L' for labels {list(subset)}")
    require_invertible(input_matrix(a.f, sets.pivot_input, sets.inputs), "N")
    require_invertible(input_matrix(b.f, sets.pivot_input, sets.inputs), "N'")
