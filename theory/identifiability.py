"""Section 2: diversity (Def 2.1), the matrices ``L`` and ``N``, and the relation ``~_L``.

``L = [g_0(y_1) … g_0(y_M)]`` with ``g_0(y) = g(y) − g(y_0)``, and
``N = [f(x_1) − f(x_0) … f(x_M) − f(x_0)]``.  Two key identities (the definitions):
``(Lᵀf(x))_i = ℓ(y_i|x) − ℓ(y_0|x)`` and ``(Nᵀg(y))_i = ℓ(y|x_i) − ℓ(y|x_0) + c_i``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
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
    "inverse_transpose",
    "relation_residuals",
    "label_log_ratios",
    "input_log_ratios",
    "anchor_matrix",
    "recover_A",
    "recover_dual",
    "embeddings_from_distribution",
    "unembeddings_from_distribution",
    "exact_matrix",
    "exact_affine_rank",
    "exact_equal_distributions",
    "ExactRelation",
    "exact_linear_relation",
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
        largest = P.max(s)
        return any(P.is_zero(v, largest) for v in s)


def require_invertible(a: np.ndarray, name: str, P: Arithmetic = FLOAT64) -> None:
    """Raise a clear error when ``a`` (an ``L`` or ``N``) is singular for the chosen sets."""
    if is_singular(a, P):
        raise ClosenessError(f"{name} is singular for the chosen sets: choose other labels/inputs")


#: Largest number of M-subsets :func:`greedy_affine_basis` tries after its greedy pass fails.
MAX_BASIS_SUBSETS = 20_000


def greedy_affine_basis(
    points: list[np.ndarray], m: int, pivot: int, tol: float = 1e-8, limit: int = MAX_BASIS_SUBSETS
) -> tuple[int, ...] | None:
    """``m`` row indices (not ``pivot``) affinely independent from the pivot row in every point set
    of ``points`` (relative tolerance ``tol``), or None if there are none.

    Greedy in row order first, which is exact for one point set (a matroid).  For several point sets
    the greedy choice can miss a common basis, so the M-subsets are then tried in lexicographic order
    (at most ``limit`` of them; beyond that None, and callers ask for explicit indices).
    """
    mids = [np.asarray(FLOAT64.midpoint(pts), dtype=float) for pts in points]
    count = mids[0].shape[0]

    def independent(rows: list[int]) -> bool:
        for pts in mids:
            s = np.linalg.svd(pts[rows] - pts[[pivot]], compute_uv=False)
            if s[-1] <= tol * max(s[0], 1e-300):
                return False
        return True

    chosen: list[int] = []
    for i in range(count):
        if i != pivot and independent([*chosen, i]):
            chosen.append(i)
            if len(chosen) == m:
                return tuple(chosen)
    if len(mids) == 1:
        return None
    others = [i for i in range(count) if i != pivot]
    for tried, subset in enumerate(itertools.combinations(others, m)):
        if tried >= limit:
            return None
        if independent(list(subset)):
            return subset
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




def inverse_transpose(a: np.ndarray, P: Arithmetic = FLOAT64) -> np.ndarray:
    """``A⁻ᵀ``: the matrix acting on displaced unembeddings in ``~_L``."""
    with P.active():
        aa = P.array(a)
        eye = P.array(np.eye(aa.shape[0], dtype=int))
        return P.solve(aa.T, eye)


def relation_residuals(
    f: np.ndarray,
    g: np.ndarray,
    f2: np.ndarray,
    g2: np.ndarray,
    a: np.ndarray,
    pivot_label: int,
    dual: np.ndarray | None = None,
    P: Arithmetic = FLOAT64,
) -> tuple[np.ndarray, np.ndarray]:
    """Residuals of ``(f,g) ~_L (f',g')`` for a given ``A``: the rows of ``F − F'Aᵀ`` and of
    ``G_0 − G'_0 Bᵀ``, where ``B`` (default ``A⁻ᵀ``) is the matrix with ``g_0 = B g'_0``."""
    with P.active():
        aa = P.array(a)
        bb = inverse_transpose(aa, P) if dual is None else P.array(dual)
        ff, gg, ff2, gg2 = (P.array(v) for v in (f, g, f2, g2))
        g0, g20 = gg - gg[[pivot_label]], gg2 - gg2[[pivot_label]]
        return ff - ff2 @ aa.T, g0 - g20 @ bb.T


# -- what the distribution alone determines (proof of Theorem 2.2, "only if") ----------------


def label_log_ratios(lp: np.ndarray, pivot_label: int, labels: tuple[int, ...]) -> np.ndarray:
    """``R`` (n×M) with ``R[x, i] = ℓ(y_i|x) − ℓ(y_0|x) = (Lᵀf(x))_i``, i.e. ``R = F L``."""
    return lp[:, list(labels)] - lp[:, [pivot_label]]


def input_log_ratios(
    lp: np.ndarray, pivot_label: int, pivot_input: int, inputs: tuple[int, ...]
) -> np.ndarray:
    """``S`` (K×M) with ``S[y, i] = ℓ(y|x_i) − ℓ(y|x_0) − ℓ(y_0|x_i) + ℓ(y_0|x_0) = (Nᵀg_0(y))_i``.

    ``ℓ(y|x_i) − ℓ(y|x_0) = (Nᵀg(y))_i − c_i`` with ``c_i`` free of ``y``; subtracting the same at
    ``y_0`` removes ``c_i``, so ``S = G_0 N``.
    """
    h = lp[list(inputs), :] - lp[[pivot_input], :]
    return (h - h[:, [pivot_label]]).T


def anchor_matrix(
    lp: np.ndarray, pivot_label: int, labels: tuple[int, ...], pivot_input: int, inputs: tuple[int, ...]
) -> np.ndarray:
    """``D = LᵀN`` (M×M) read off the log-probabilities:
    ``D[i, j] = ℓ(y_i|x_j) − ℓ(y_0|x_j) − ℓ(y_i|x_0) + ℓ(y_0|x_0)``."""
    r = label_log_ratios(lp, pivot_label, labels)
    return (r[list(inputs)] - r[[pivot_input]]).T


def _sets(sets: Any) -> tuple[int, tuple[int, ...], int, tuple[int, ...]]:
    return sets.pivot_label, tuple(sets.labels), sets.pivot_input, tuple(sets.inputs)


def recover_A(lp: np.ndarray, lp2: np.ndarray, sets: Any, n: np.ndarray, n2: np.ndarray, P: Arithmetic) -> np.ndarray:
    """``A = L⁻ᵀL'ᵀ`` from the two log-probability tables and the input anchors ``N, N'`` only.

    ``LᵀN = D`` and ``L'ᵀN' = D'`` (:func:`anchor_matrix`), so ``L⁻ᵀ = N D⁻¹``, ``L'ᵀ = D' N'⁻¹``
    and ``A = N D⁻¹ D' N'⁻¹``.  Uses: ``ℓ, ℓ'`` at the labels ``y_0..y_M`` and the embeddings
    ``f(x_0..x_M), f'(x_0..x_M)``; nothing else of ``F, G, F', G'``.
    """
    y0, ys, x0, xs = _sets(sets)
    with P.active():
        d, d2 = anchor_matrix(lp, y0, ys, x0, xs), anchor_matrix(lp2, y0, ys, x0, xs)
        right = P.solve(P.array(n2).T, d2.T).T  # D' N'⁻¹
        return P.array(n) @ P.solve(d, right)


def recover_dual(
    lp: np.ndarray, lp2: np.ndarray, sets: Any, lab: np.ndarray, lab2: np.ndarray, P: Arithmetic
) -> np.ndarray:
    """``A⁻ᵀ = N⁻ᵀN'ᵀ`` from the two log-probability tables and the label anchors ``L, L'`` only.

    ``N = L⁻ᵀD``, ``N' = L'⁻ᵀD'``, so ``N⁻ᵀN'ᵀ = L D⁻ᵀ D'ᵀ L'⁻¹``.  Uses: ``ℓ, ℓ'`` at the inputs
    ``x_0..x_M`` and the unembeddings ``g(y_0..y_M), g'(y_0..y_M)``.
    """
    y0, ys, x0, xs = _sets(sets)
    with P.active():
        d, d2 = anchor_matrix(lp, y0, ys, x0, xs), anchor_matrix(lp2, y0, ys, x0, xs)
        right = P.solve(P.array(lab2).T, d2).T  # D'ᵀ L'⁻¹
        return P.array(lab) @ P.solve(d.T, right)


def embeddings_from_distribution(lp: np.ndarray, sets: Any, n: np.ndarray, P: Arithmetic) -> np.ndarray:
    """Every ``f(x)`` from the distribution and the anchors ``N``: ``f(x) = N D⁻¹ R(x)``."""
    y0, ys, x0, xs = _sets(sets)
    with P.active():
        d = anchor_matrix(lp, y0, ys, x0, xs)
        return (P.array(n) @ P.solve(d, label_log_ratios(lp, y0, ys).T)).T


def unembeddings_from_distribution(lp: np.ndarray, sets: Any, lab: np.ndarray, P: Arithmetic) -> np.ndarray:
    """Every ``g_0(y)`` from the distribution and the anchors ``L``: ``g_0(y) = L D⁻ᵀ S(y)``."""
    y0, ys, x0, xs = _sets(sets)
    with P.active():
        d = anchor_matrix(lp, y0, ys, x0, xs)
        return (P.array(lab) @ P.solve(d.T, input_log_ratios(lp, y0, x0, xs).T)).T


# -- exact rational arithmetic (python-flint fmpq): certificates for Section 2 ---------------


def _fmpq(v: Any) -> Any:
    import flint

    if isinstance(v, flint.fmpq):
        return v
    if isinstance(v, (np.integer, int)):
        return flint.fmpq(int(v))
    q = Fraction(v.item() if isinstance(v, np.generic) else v)  # floats are exact binary rationals
    return flint.fmpq(q.numerator, q.denominator)


def exact_matrix(x: Any) -> Any:
    """An ``fmpq_mat`` holding exactly the given numbers (ints, Fractions, fmpq, floats)."""
    import flint

    a = np.asarray(x, dtype=object)
    a = a.reshape(a.shape[0], -1)
    return flint.fmpq_mat(a.shape[0], a.shape[1], [_fmpq(v) for v in a.ravel()])


def _rows(m: Any) -> list[list[Any]]:
    return [[m[i, j] for j in range(m.ncols())] for i in range(m.nrows())]


def exact_affine_rank(points: Any) -> int:
    """Dimension of the affine hull of the rows of ``points``, exactly over ``Q``."""
    import flint

    p = exact_matrix(points)
    rows = _rows(p)
    diff = [[v - w for v, w in zip(r, rows[0], strict=True)] for r in rows[1:]]
    if not diff:
        return 0
    return int(flint.fmpq_mat(diff).rank())


def _same_shapes(f: Any, g: Any, f2: Any, g2: Any) -> None:
    shapes = [np.shape(np.asarray(v, dtype=object)) for v in (f, g, f2, g2)]
    if shapes[0] != shapes[2] or shapes[1] != shapes[3] or shapes[0][1] != shapes[1][1]:
        raise ClosenessError(f"the two models do not match: shapes of F, G, F', G' are {shapes}")


def exact_equal_distributions(f: Any, g: Any, f2: Any, g2: Any) -> tuple[bool, tuple[int, int] | None]:
    """Whether ``p_{f,g} = p_{f',g'}`` on the sample, decided exactly over ``Q``.

    Softmax is injective modulo constants: the conditionals agree at ``x`` iff
    ``z(x,·) − z'(x,·)`` is constant in ``y``.  Returns the verdict and, if false, an
    ``(input, label)`` where the logit difference departs from its value at label 0.
    """
    _same_shapes(f, g, f2, g2)
    z = exact_matrix(f) * exact_matrix(g).transpose()
    z2 = exact_matrix(f2) * exact_matrix(g2).transpose()
    for i in range(z.nrows()):
        base = z[i, 0] - z2[i, 0]
        for k in range(1, z.ncols()):
            if z[i, k] - z2[i, k] != base:
                return False, (i, k)
    return True, None


@dataclass(frozen=True)
class ExactRelation:
    """The linear conditions ``f(x) = A f'(x)`` (all x) and ``Aᵀ g_0(y) = g'_0(y)`` (all y) on ``A``.

    ``rank`` / ``augmented_rank`` of the system in the M² unknowns; no matrix ``A`` at all
    (invertible or not) exists iff they differ.  ``a`` is the solution when it is unique.
    """

    rank: int
    augmented_rank: int
    unknowns: int
    a: Any | None

    @property
    def feasible(self) -> bool:
        return self.rank == self.augmented_rank

    @property
    def related(self) -> bool | None:
        """True: a unique, invertible ``A`` (so ``~_L``); False: no ``A``; None: not decided here."""
        if not self.feasible:
            return False
        if self.a is not None:
            return self.a.det() != 0
        return None


def exact_linear_relation(f: Any, g: Any, f2: Any, g2: Any, pivot_label: int = 0) -> ExactRelation:
    """Solve, exactly over ``Q``, for ``A`` with ``F = F'Aᵀ`` and ``G_0 A = G'_0``.

    ``g_0 = A⁻ᵀg'_0`` is equivalent to ``Aᵀg_0 = g'_0`` for invertible ``A``, which is linear in
    ``A``; so ``(f,g) ~_L (f',g')`` implies this linear system is consistent (Rouché–Capelli).
    """
    import flint

    _same_shapes(f, g, f2, g2)
    ff, gg, ff2, gg2 = (_rows(exact_matrix(v)) for v in (f, g, f2, g2))
    m = len(ff[0])
    zero = flint.fmpq(0)
    eqs: list[list[Any]] = []
    for fx, fx2 in zip(ff, ff2, strict=True):  # f_r(x) = Σ_c A[r,c] f'_c(x)
        for r in range(m):
            row = [zero] * (m * m + 1)
            for c in range(m):
                row[r * m + c] = fx2[c]
            row[-1] = fx[r]
            eqs.append(row)
    for gy, gy2 in zip(gg, gg2, strict=True):  # Σ_r A[r,c] g_0r(y) = g'_0c(y)
        g0 = [v - w for v, w in zip(gy, gg[pivot_label], strict=True)]
        g20 = [v - w for v, w in zip(gy2, gg2[pivot_label], strict=True)]
        for c in range(m):
            row = [zero] * (m * m + 1)
            for r in range(m):
                row[r * m + c] = g0[r]
            row[-1] = g20[c]
            eqs.append(row)
    aug = flint.fmpq_mat(eqs)
    coeff = flint.fmpq_mat([row[:-1] for row in eqs])
    rank, arank = int(coeff.rank()), int(aug.rank())
    a = None
    if rank == arank == m * m:
        red, _ = aug.rref()
        a = flint.fmpq_mat(m, m, [red[i, m * m] for i in range(m * m)])
    return ExactRelation(rank, arank, m * m, a)
