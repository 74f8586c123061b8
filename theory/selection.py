"""How the pivots and sets of ``d_LLV`` / ``d_{f,g}`` are chosen.

* :func:`default_sets` -- deterministic defaults for fixed sets (the metric of Section 4):
  pivot label 0 with every other label, pivot input 0 with the first M inputs (in order) that
  keep both ``N`` and ``N'`` invertible.
* :func:`paper_sets` -- the procedure of the paper's experiments ``[paper-code]``: the pair
  (pivot ``y_0``, one left-out label) minimising ``T1`` with ``S_Y = Y∖{y_0, left-out}``, and the
  best of ``samples`` seeded random (M+1)-subsets of inputs by ``T2`` (first element is ``x_0``).
  This selection depends on both models, so it is a procedure, not part of the metric.
  The choice is made at float64; the chosen sets are then evaluated at any precision.
"""

from __future__ import annotations

import numpy as np

from theory.distances import MAX_SUBSETS, Sets, input_terms, label_subsets, label_terms
from theory.errors import ClosenessError
from theory.identifiability import greedy_affine_basis, input_matrix, is_singular, label_matrix, require_invertible
from theory.model import Model

__all__ = [
    "MAX_PAPER_LABELS",
    "default_sets",
    "paper_inputs",
    "paper_labels",
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
    """``(y_0, left-out, T1)`` minimising ``T1`` over all ordered pairs, at float64.

    For a pivot ``y_0`` the best left-out label is the one with the largest ``max(a_y, b_y)``.
    Pivots that leave some label with a zero ``σ_y`` or ``σ'_y`` are skipped.
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
        j = int(np.argmax(t))  # first maximiser: the left-out label
        t1 = float(np.max(np.delete(t, j)))
        if t1 < best[0]:
            best = (t1, y0, others[j])
    if best[1] < 0:
        raise ClosenessError("every pivot choice leaves a label with zero log-odds variance: T1 is undefined")
    return best[1], best[2], best[0]


def paper_inputs(
    a: Model, b: Model, ell: np.ndarray, ell2: np.ndarray, samples: int, seed: int
) -> tuple[int, tuple[int, ...], float]:
    """``(x_0, S_X, T2)``: the best of ``samples`` seeded random (M+1)-subsets by ``T2``.

    Subsets whose ``N`` or ``N'`` is singular, or with a zero ``s_x``, are skipped.
    """
    if samples < 1:
        raise ClosenessError(f"--samples must be at least 1, got {samples}")
    rng = np.random.default_rng(seed)
    m = a.M
    best: tuple[float, int, tuple[int, ...]] = (np.inf, -1, ())
    for _ in range(samples):
        idx = [int(i) for i in rng.choice(a.n, size=m + 1, replace=False)]
        x0, sx = idx[0], tuple(idx[1:])
        if is_singular(input_matrix(a.f, x0, sx)) or is_singular(input_matrix(b.f, x0, sx)):
            continue
        try:
            _, _, c, e = input_terms(ell, ell2, x0, sx)
        except ClosenessError:
            continue
        t2 = float(max(np.max(c), np.max(e)))
        if t2 < best[0]:
            best = (t2, x0, sx)
    if best[1] < 0:
        raise ClosenessError(f"none of the {samples} sampled input sets has invertible N, N' and positive s_x")
    return best[1], best[2], best[0]


def paper_sets(a: Model, b: Model, ell: np.ndarray, ell2: np.ndarray, samples: int = 100, seed: int = 0,
               w: np.ndarray | None = None) -> Sets:
    """The full selection of the paper's experiments (see the module docstring)."""
    y0, left, _ = paper_labels(ell, ell2, w)
    x0, sx, _ = paper_inputs(a, b, ell, ell2, samples, seed)
    labels = tuple(y for y in range(a.K) if y not in (y0, left))
    return Sets(y0, labels, x0, sx, left_out_label=left, selection="paper")


def require_invertible_sets(a: Model, b: Model, sets: Sets, max_subsets: int = MAX_SUBSETS) -> None:
    """The hypothesis of the Section 4 bound for chosen sets: ``L``, ``L'`` invertible for every
    M-subset of ``S_Y``, and ``N``, ``N'`` invertible; a clear error naming the first that is not."""
    for subset in label_subsets(sets.labels, a.M, max_subsets):
        require_invertible(label_matrix(a.g, sets.pivot_label, subset), f"L for labels {list(subset)}")
        require_invertible(label_matrix(b.g, sets.pivot_label, subset), f"L' for labels {list(subset)}")
    require_invertible(input_matrix(a.f, sets.pivot_input, sets.inputs), "N")
    require_invertible(input_matrix(b.f, sets.pivot_input, sets.inputs), "N'")
