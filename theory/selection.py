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

import numpy as np

from theory.distances import MAX_SUBSETS, Sets, input_terms, label_subsets, label_terms
from theory.errors import ClosenessError
from theory.identifiability import greedy_affine_basis, input_matrix, label_matrix, require_invertible
from theory.model import Model

__all__ = [
    "MAX_PAPER_LABELS",
    "PAPER_T2_THRESHOLD",
    "default_sets",
    "paper_inputs",
    "paper_labels",
    "paper_label_sets",
    "paper_sets",
    "require_invertible_sets",
    "require_paper_selection",
]

#: Largest K for which the O(n K²) pivot/left-out search of the paper's selection is run.
MAX_PAPER_LABELS = 2_000


def require_paper_selection(k: int) -> None:
    """The paper's label selection is defined (K ≥ 3) and affordable (K ≤ :data:`MAX_PAPER_LABELS`)."""
    if k > MAX_PAPER_LABELS:
        raise ClosenessError(
            f"the paper's label selection scans all K(K−1) = {k * (k - 1)} pivot pairs (K = {k} > "
            f"{MAX_PAPER_LABELS}); pass fixed sets with --pivot-label/--labels instead"
        )
    if k < 3:
        raise ClosenessError("the paper's label selection needs K ≥ 3 (a pivot, a left-out label and S_Y)")


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


def paper_labels(ell: np.ndarray, ell2: np.ndarray, w: np.ndarray | None = None) -> tuple[int, int, float]:
    """``(y_0, left-out, T1)`` minimising ``T1`` over all ordered pairs, at float64 ``[paper-code]``.

    As the authors' code: for each pivot the terms ``max(a_y, b_y)`` of every other label are
    formed once, ``T1`` of leaving out ``y`` is the maximum over the others, and the first minimiser
    in (pivot, left-out) order wins (ties resolved as their row-major ``argmin``).  Pivots that
    leave some label with a zero ``σ_y`` or ``σ'_y`` (an undefined ``T1``) are skipped.
    """
    k = ell.shape[1]
    require_paper_selection(k)
    best: tuple[float, int, int] = (np.inf, -1, -1)
    for y0 in range(k):
        others = tuple(y for y in range(k) if y != y0)
        try:
            _, _, a_y, b_y = label_terms(ell, ell2, y0, others, w=w)
        except ClosenessError:
            continue
        t = np.maximum(a_y, b_y)
        per_left_out = [float(np.max(np.delete(t, j))) for j in range(len(others))]
        j = int(np.argmin(per_left_out))  # first minimiser: the left-out label
        t1 = per_left_out[j]
        if t1 < best[0]:
            best = (t1, y0, others[j])
    if best[1] < 0:
        raise ClosenessError("every pivot choice leaves a label with zero log-odds variance: T1 is undefined")
    return best[1], best[2], best[0]


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
    if samples < 1:
        raise ClosenessError(f"--samples must be at least 1, got {samples}")
    m = a.M
    draws = min(samples, a.n // (m + 1))
    if draws < 1:
        raise ClosenessError(f"the paper's input selection needs at least M + 1 = {m + 1} inputs, got n = {a.n}")
    rng = np.random.default_rng(seed)
    choices = rng.choice(a.n, size=draws * (m + 1), replace=False).reshape(draws, m + 1)
    best_t2, chosen, chosen_t2 = PAPER_T2_THRESHOLD, choices[0], float("nan")
    for i, draw in enumerate(choices):
        x0, sx = int(draw[0]), tuple(int(i) for i in draw[1:])
        try:
            _, _, c, e = input_terms(ell, ell2, x0, sx)
        except ClosenessError:
            continue
        t2 = float(max(np.max(c), np.max(e)))
        if i == 0:
            chosen_t2 = t2
        if t2 < best_t2:
            best_t2, chosen, chosen_t2 = t2, draw, t2
    return int(chosen[0]), tuple(int(i) for i in chosen[1:]), chosen_t2


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
    M-subset of ``S_Y``, and ``N``, ``N'`` invertible; a clear error naming the first that is not."""
    for subset in label_subsets(sets.labels, a.M, max_subsets):
        require_invertible(label_matrix(a.g, sets.pivot_label, subset), f"L for labels {list(subset)}")
        require_invertible(label_matrix(b.g, sets.pivot_label, subset), f"L' for labels {list(subset)}")
    require_invertible(input_matrix(a.f, sets.pivot_input, sets.inputs), "N")
    require_invertible(input_matrix(b.f, sets.pivot_input, sets.inputs), "N'")
