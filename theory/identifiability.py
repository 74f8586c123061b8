"""Section 2: diversity (Def 2.1), the matrices ``L`` and ``N``, and the relation ``~_L``.

``L = [g_0(y_1) … g_0(y_M)]`` with ``g_0(y) = g(y) − g(y_0)``, and
``N = [f(x_1) − f(x_0) … f(x_M) − f(x_0)]``.  Two key identities (CLAIMS.md §1):
``(Lᵀf(x))_i = ℓ(y_i|x) − ℓ(y_0|x)`` and ``(Nᵀg(y))_i = ℓ(y|x_i) − ℓ(y|x_0) + c_i``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theory.errors import ClosenessError
from theory.precision import FLOAT64, Arithmetic

__all__ = [
    "label_matrix",
    "input_matrix",
    "is_singular",
    "require_invertible",
    "greedy_affine_basis",
    "Diversity",
    "diversity",
    "equivalent_model_arrays",
]


def label_matrix(g: np.ndarray, pivot: int, labels: tuple[int, ...], P: Arithmetic = FLOAT64) -> np.ndarray:
    """``L = [g_0(y_1) … g_0(y_M)]`` with ``g_0(y) = g(y) − g(y_0)`` (M×M, columns)."""
    gg = P.array(g)
    return (gg[list(labels)] - gg[[pivot]]).T


def input_matrix(f: np.ndarray, pivot: int, inputs: tuple[int, ...], P: Arithmetic = FLOAT64) -> np.ndarray:
    """``N = [f(x_1)−f(x_0) … f(x_M)−f(x_0)]`` (M×M, columns)."""
    ff = P.array(f)
    return (ff[list(inputs)] - ff[[pivot]]).T


def is_singular(a: np.ndarray, P: Arithmetic = FLOAT64) -> bool:
    """Numerically singular at precision ``P``: smallest singular value negligible next to the largest.

    For balls: the enclosure of the smallest singular value contains 0 (not proved invertible).
    """
    with P.active():
        s = P.svdvals(P.array(a))
        smallest = s[int(np.argmin(P.midpoint(s)))]
        return P.is_zero(smallest, P.max(s))


def require_invertible(a: np.ndarray, name: str, P: Arithmetic = FLOAT64) -> None:
    """Raise a clear error when ``a`` (an ``L`` or ``N``) is singular for the chosen sets."""
    if is_singular(a, P):
        raise ClosenessError(f"{name} is singular for the chosen sets: choose other labels/inputs")


def greedy_affine_basis(points: list[np.ndarray], m: int, pivot: int, tol: float = 1e-8) -> tuple[int, ...] | None:
    """Indices of the first ``m`` rows (in order, skipping ``pivot``) that are affinely independent
    from the pivot row in every point set of ``points`` (relative tolerance ``tol``); None if none."""
    chosen: list[int] = []
    count = points[0].shape[0]
    for i in range(count):
        if i == pivot:
            continue
        trial = chosen + [i]
        ok = True
        for pts in points:
            d = np.asarray(FLOAT64.midpoint(pts[trial]) - FLOAT64.midpoint(pts[[pivot]]), dtype=float)
            s = np.linalg.svd(d, compute_uv=False)
            if s[-1] <= tol * max(s[0], 1e-300):
                ok = False
                break
        if ok:
            chosen = trial
            if len(chosen) == m:
                return tuple(chosen)
    return None


@dataclass(frozen=True)
class Diversity:
    """Def 2.1: labels ``y_0..y_M`` with ``L`` invertible and inputs ``x_0..x_M`` with ``N`` invertible."""

    holds: bool
    labels: tuple[int, ...] | None  # (y_0, y_1, …, y_M)
    inputs: tuple[int, ...] | None  # (x_0, x_1, …, x_M)


def diversity(f: np.ndarray, g: np.ndarray, tol: float = 1e-8) -> Diversity:
    """Decide Def 2.1 at float64 (relative tolerance ``tol``) and return witnessing indices.

    Diversity holds iff the rows of ``g`` (resp. ``f``) span an M-dimensional affine space;
    the pivot can then be any row, so row 0 is used.
    """
    m = f.shape[1]
    ys = greedy_affine_basis([g], m, 0, tol)
    xs = greedy_affine_basis([f], m, 0, tol)
    return Diversity(
        ys is not None and xs is not None,
        None if ys is None else (0, *ys),
        None if xs is None else (0, *xs),
    )


def equivalent_model_arrays(
    f: np.ndarray, g: np.ndarray, a: np.ndarray, shift: np.ndarray | None = None, P: Arithmetic = FLOAT64
) -> tuple[np.ndarray, np.ndarray]:
    """A model ``(f', g') ~_L (f, g)`` with ``f = A f'`` and ``g_0 = A⁻ᵀ g'_0``.

    Rows: ``F' = F A⁻ᵀ`` and ``G' = G A + 1 bᵀ`` (a common shift ``b`` of all unembeddings
    changes every logit of an input by the same amount, so it leaves ``p`` unchanged).
    """
    with P.active():
        aa = P.array(a)
        if is_singular(aa, P):
            raise ClosenessError("A must be invertible")
        f2 = P.solve(aa, P.array(f).T).T
        g2 = P.array(g) @ aa
        if shift is not None:
            g2 = g2 + P.array(shift)[None, :]
        return f2, g2


