"""The distances of Sections 3 and 4 at float64 without the n×K log-probability matrix.

For language-model-sized heads (tens of thousands of labels, many inputs) the matrices
``ℓ, ℓ'`` of :func:`theory.model.log_probs` do not fit in memory, but none of the distances needs
them whole.  With the pivots and sets fixed (:class:`theory.distances.Sets`):

* ``d_KL`` (both directions) needs, per input, ``s = Σ_y e^{z_y}`` and ``t = Σ_y e^{z_y}(z_y − z'_y)``
  (``z = f(x)ᵀg(y)`` the logits): with ``p = e^z/s``, ``KL(p‖p') = t/s − log s + log s'``.  These
  are sums over labels, so the logits are produced in tiles of ``chunk`` inputs × a few thousand
  labels that stay in cache, and the sums accumulate over tiles; ``F Gᵀ`` is never stored.  The
  logits are exponentiated unshifted when ``‖f(x)‖·max‖g(y)‖ ≤ SAFE_LOGIT`` (no overflow is
  possible), else shifted by each row's largest logit (found by one more product).
* The label terms ``σ_y, a_y, b_y`` are moments over inputs of the ``|S_Y| + 1`` columns
  ``ℓ(y|x) = z_y − log s``: two passes over the inputs, merged chunk by chunk with the weighted
  update of Chan, Golub and LeVeque (1979).  Pass 1 gives ``σ_y = SD_x[(Lᵀf(x))_y]`` (a log-odds
  is a logit difference, ``(Lᵀf(x))_y = ℓ(y|x) − ℓ(y_0|x)``) together with the
  cross-covariance of ``Lᵀf`` and ``L'ᵀf'`` that the f side of ``d_{f,g}`` needs; pass 2, which
  computes the logits, accumulates ``Var_x[ℓ(y|x)/σ_y − ℓ'(y|x)/σ'_y]`` directly, so no
  variance is ever formed as a difference of large second moments.
* An engine that reads each input once (:mod:`theory.dask_engine`) runs the same blocks with two
  additions: :meth:`RowSums.merged` joins the row sums of blocks of labels (online log-sum-exp),
  and :class:`MainSums` accumulates ``a_y, b_y`` against reference scales fixed before ``σ_y`` is
  known, finished with ``σ_y`` at the end (:meth:`MainSums.label_terms`).
* The input terms ``s_x, c_x, e_x`` need only the rows ``x_0`` and ``S_X``: they are computed by
  :func:`theory.model.log_softmax` and :func:`theory.distances.input_terms` on blocks of rows.
* The g side of ``d_{f,g}`` streams ``Nᵀg(y)`` over blocks of labels the same way.
* ``m_CCA`` over ``F, F'`` (n×M) is cheap and is computed in memory by
  :func:`theory.distances.m_cca`.

Population moments (``ddof = 0``) under ``p_D``, as everywhere (the definitions).  Blocks of inputs
are shared among one thread per core (at most 2), BLAS held to one thread per call
(:mod:`theory.blas`), and consumed in input order, so the values do not depend on the threads.
Peak memory is ``G, G'`` (K×M, read memory-mapped when they come from ``.npy`` files), three tiles per thread, and
a few arrays of ``chunk × |S_Y|`` and of ``min(chunk, M/4) × K`` (the input-term rows); the results
agree with the in-memory path to about 1e-12 relative (tests/test_streaming.py).
"""

from __future__ import annotations

import math
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from theory.distances import (
    MAX_SUBSETS,
    FGResult,
    LLVTerms,
    Sets,
    assemble_llv_terms,
    d_llv,
    d_svd_of_cross,
    input_terms,
    label_subsets,
    m_cca,
    standardised_cross,
)
from theory.blas import single_threaded_blas
from theory.errors import ClosenessError
from theory.identifiability import input_matrix, label_matrix
from theory.model import Model, check_pair, log_softmax
from theory.precision import FLOAT64


T = TypeVar("T")
U = TypeVar("U")

__all__ = [
    "Moments",
    "StreamedKL",
    "Progress",
    "default_chunk",
    "default_workers",
    "stream_kl",
    "stream_input_terms",
    "stream_llv_terms",
    "stream_d_fg",
    "stream_distances",
]

#: ``progress(done, total)``: called after each block of inputs of the main pass.
Progress = Callable[[int, int], None]

#: Logits are exponentiated without a shift when ``|z| ≤ ‖f(x)‖·max_y‖g(y)‖ ≤ SAFE_LOGIT``:
#: then neither ``e^z`` nor ``Σ_y e^{z_y}`` can overflow and ``e^{max z}`` is a normal number.
SAFE_LOGIT = 600.0

#: Entries of one tile of logits (chunk × labels); 2¹⁹ doubles = 4 MiB, about an L2 cache.
TILE_ENTRIES = 1 << 19


def default_chunk(k: int) -> int:
    """Inputs per block: 128, fewer when ``K`` is so large that a block of rows would pass 64 MiB."""
    return int(max(1, min(128, (1 << 23) // max(k, 1))))


# --------------------------------------------------------------------------------------------
# weighted running moments
# --------------------------------------------------------------------------------------------
@dataclass
class Moments:
    """Running weighted means and centred co-moments of paired samples ``u`` (·×p), ``v`` (·×q).

    Each block is centred on its own mean and merged with the update of Chan, Golub & LeVeque:
    ``C ← C_A + C_B + δ_u δ_vᵀ · W_A W_B / (W_A + W_B)``.  ``outer=True`` keeps the full p×q
    cross co-moment, otherwise only the elementwise one (p = q).  ``v=None`` tracks ``u`` alone.
    """

    outer: bool = False
    weight: float = 0.0
    mean_u: Any = None
    mean_v: Any = None
    m2_u: Any = None
    m2_v: Any = None
    cross: Any = None
    absmax_u: float = 0.0
    absmax_v: float = 0.0

    @classmethod
    def of(cls, u: np.ndarray, v: np.ndarray | None = None, w: np.ndarray | None = None,
           outer: bool = False) -> Moments:
        """The moments of one block of rows of ``u`` (and ``v``), weighted by ``w`` (None: weight 1)."""
        block = cls(outer=outer)
        if u.shape[0] == 0:
            return block
        wb = float(u.shape[0]) if w is None else float(w.sum())
        if wb <= 0:
            return block
        block.weight, block.mean_u = wb, _wmean(u, w, wb)
        du = u - block.mean_u
        block.m2_u = _wsum(du * du, w)
        block.absmax_u = float(np.max(np.abs(u)))
        if v is not None:
            block.mean_v = _wmean(v, w, wb)
            dv = v - block.mean_v
            block.m2_v = _wsum(dv * dv, w)
            wdu = du if w is None else du * w[:, None]
            block.cross = wdu.T @ dv if outer else _wsum(du * dv, w)
            block.absmax_v = float(np.max(np.abs(v)))
        return block

    def merged(self, later: Moments) -> Moments:
        """These moments and those of the rows that follow them, merged (neither is changed)."""
        if later.weight == 0:
            return replace(self, absmax_u=max(self.absmax_u, later.absmax_u),
                           absmax_v=max(self.absmax_v, later.absmax_v))
        if self.weight == 0:
            return replace(later, outer=self.outer, absmax_u=max(self.absmax_u, later.absmax_u),
                           absmax_v=max(self.absmax_v, later.absmax_v))
        total = self.weight + later.weight
        f = self.weight * later.weight / total
        delta_u = later.mean_u - self.mean_u
        out = Moments(self.outer, total, self.mean_u + delta_u * (later.weight / total),
                      m2_u=self.m2_u + later.m2_u + delta_u * delta_u * f,
                      absmax_u=max(self.absmax_u, later.absmax_u), absmax_v=max(self.absmax_v, later.absmax_v))
        if later.mean_v is not None:
            delta_v = later.mean_v - self.mean_v
            out.m2_v = self.m2_v + later.m2_v + delta_v * delta_v * f
            out.cross = self.cross + later.cross + (
                np.outer(delta_u, delta_v) if self.outer else delta_u * delta_v) * f
            out.mean_v = self.mean_v + delta_v * (later.weight / total)
        return out

    def add(self, u: np.ndarray, v: np.ndarray | None = None, w: np.ndarray | None = None) -> None:
        """Merge the rows of ``u`` (and ``v``), weighted by ``w`` (unnormalised; None: weight 1)."""
        self.__dict__.update(self.merged(Moments.of(u, v, w, self.outer)).__dict__)

    def var_u(self) -> np.ndarray:
        return self.m2_u / self.weight

    def var_v(self) -> np.ndarray:
        return self.m2_v / self.weight

    def cov(self) -> np.ndarray:
        return self.cross / self.weight


def _wmean(x: np.ndarray, w: np.ndarray | None, total: float) -> np.ndarray:
    return x.sum(axis=0) / total if w is None else (w @ x) / total


def _wsum(x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return x.sum(axis=0) if w is None else w @ x


# --------------------------------------------------------------------------------------------
# blocks of a model
# --------------------------------------------------------------------------------------------
def _rows(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Rows ``lo..hi−1`` as a C-contiguous float64 block (read from a memory map if ``x`` is one)."""
    return np.ascontiguousarray(FLOAT64.array(x[lo:hi]))


def _weights(model: Model) -> np.ndarray | None:
    return None if model.weights is None else np.asarray(FLOAT64.midpoint(model.weights), dtype=float)


def _blocks(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _check_chunk(chunk: int | None, k: int) -> int:
    if chunk is None:
        return default_chunk(k)
    if chunk < 1:
        raise ClosenessError(f"the chunk size must be a positive number of inputs, got {chunk}")
    return int(chunk)


# --------------------------------------------------------------------------------------------
# the main pass: logits tile by tile
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StreamedKL:
    """``d_KL(p_a‖p_b)`` (``ab``) and ``d_KL(p_b‖p_a)`` (``ba``)."""

    ab: float
    ba: float


class _Tiles(threading.local):
    """Per-thread scratch tiles (``z``, ``z'``, ``e^z``), reused from block to block."""

    shape: tuple[int, int] = (0, 0)
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def get(self, rows: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.arrays is None or self.shape[0] < rows or self.shape[1] < width:
            self.shape = (rows, width)
            self.arrays = (np.empty((rows, width)), np.empty((rows, width)), np.empty((rows, width)))
        return self.arrays


_TILES = _Tiles()


@dataclass(frozen=True)
class RowSums:
    """Per input of a block, over the labels taken in so far: the shifts ``c, c'`` and, with
    ``z̃ = z − c``, ``s = Σ_y e^{z̃_y}``, ``t = Σ_y e^{z̃_y}(z̃_y − z̃'_y)``, ``s'``, ``t' = Σ_y e^{z̃'_y}(z̃'_y − z̃_y)``."""

    c1: np.ndarray
    c2: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    t1: np.ndarray
    t2: np.ndarray

    def merged(self, later: RowSums) -> RowSums:
        """These sums and those of the same inputs over further labels: both brought to the larger
        shift (the online log-sum-exp of Milakov & Gimelshein, 2018), ``t`` corrected for the change
        of ``c − c'``.  Equal shifts (0 when no shift is needed) make it a plain sum."""
        c1, c2 = np.maximum(self.c1, later.c1), np.maximum(self.c2, later.c2)
        out = []
        for x in (self, later):
            r1, r2 = np.exp(x.c1 - c1), np.exp(x.c2 - c2)
            d = (x.c1 - c1) - (x.c2 - c2)
            out.append((x.s1 * r1, x.s2 * r2, (x.t1 + d * x.s1) * r1, (x.t2 - d * x.s2) * r2))
        (s1, s2, t1, t2), (u1, u2, v1, v2) = out
        return RowSums(c1, c2, s1 + u1, s2 + u2, t1 + v1, t2 + v2)

    def finished(self, lo: int, z1: np.ndarray | None, z2: np.ndarray | None) -> _Block:
        """The block of inputs ``lo…`` once every label is in: ``KL(p‖p') = t/s − log s + log s'``
        and ``KL(p'‖p)`` per input, and ``ℓ = z − c − log s``, ``ℓ'`` from the logits ``z1``, ``z2``
        at the kept label columns (None: none kept)."""
        log1, log2 = np.log(self.s1), np.log(self.s2)
        ell = None if z1 is None else z1 - (self.c1 + log1)[:, None]
        ell2 = None if z2 is None else z2 - (self.c2 + log2)[:, None]
        return _Block(lo, lo + self.s1.shape[0], self.t1 / self.s1 - (log1 - log2),
                      self.t2 / self.s2 + (log1 - log2), ell, ell2)


def row_sums(
    f1: np.ndarray, f2: np.ndarray, g1: np.ndarray, g2: np.ndarray, gmax: tuple[float, float], tile: int
) -> RowSums:
    """The :class:`RowSums` of a block of inputs (rows ``f1``, ``f2``) over the labels ``g1``, ``g2``
    (``gmax``: their :func:`logit_bounds`), accumulated over tiles of ``tile`` labels."""
    rows, k = f1.shape[0], g1.shape[0]
    shifts = []
    for f, g, bound in ((f1, g1, gmax[0]), (f2, g2, gmax[1])):
        if float(np.max(np.linalg.norm(f, axis=1))) * bound <= SAFE_LOGIT:
            shifts.append(np.zeros(rows))
        else:  # large logits: shift each row by its largest logit (one extra product)
            top = np.full(rows, -np.inf)
            for lo, hi in _blocks(k, tile):
                top = np.maximum(top, (f @ g[lo:hi].T).max(axis=1))
            shifts.append(top)
    c1, c2 = shifts
    shifted = bool(c1.any() or c2.any())
    width = min(tile, k)
    z1, z2, e = _TILES.get(rows, width)
    s1, s2, t1, t2 = (np.zeros(rows) for _ in range(4))
    for lo, hi in _blocks(k, width):
        a, b, ex = z1[:rows, : hi - lo], z2[:rows, : hi - lo], e[:rows, : hi - lo]
        np.matmul(f1, g1[lo:hi].T, out=a)
        np.matmul(f2, g2[lo:hi].T, out=b)
        if shifted:
            a -= c1[:, None]
            b -= c2[:, None]
        np.exp(a, out=ex)
        s1 += ex.sum(axis=1)
        a -= b  # z̃ − z̃' from here on
        t1 += np.einsum("ij,ij->i", ex, a)
        np.exp(b, out=ex)
        s2 += ex.sum(axis=1)
        t2 -= np.einsum("ij,ij->i", ex, a)
    return RowSums(c1, c2, s1, s2, t1, t2)


@dataclass(frozen=True)
class _Block:
    """What the main pass keeps of a block of inputs ``lo..hi−1``."""

    lo: int
    hi: int
    kl_ab: np.ndarray  # KL(p‖p') per input
    kl_ba: np.ndarray
    ell: np.ndarray | None  # ℓ at the label columns
    ell2: np.ndarray | None


def logit_bounds(g1: np.ndarray, g2: np.ndarray) -> tuple[float, float]:
    """``max_y ‖g(y)‖`` of each model: with ``‖f(x)‖`` it decides whether logits need a shift."""
    return float(np.max(np.linalg.norm(g1, axis=1))), float(np.max(np.linalg.norm(g2, axis=1)))


def label_columns(g1: np.ndarray, g2: np.ndarray, labels: list[int] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows ``g(y)``, ``g'(y)`` of the labels whose log-probabilities the main pass keeps."""
    return None if labels is None else (np.ascontiguousarray(g1[labels]), np.ascontiguousarray(g2[labels]))


def main_block(
    f1: np.ndarray, f2: np.ndarray, g1: np.ndarray, g2: np.ndarray, gmax: tuple[float, float],
    cols: tuple[np.ndarray, np.ndarray] | None, lo: int = 0, tile: int | None = None,
) -> _Block:
    """One block of inputs of the main pass (float64 rows ``f1``, ``f2``; all labels, in tiles of
    ``tile`` labels): ``KL(p‖p')`` and ``KL(p'‖p)`` per input, and ``ℓ, ℓ'`` at the label rows ``cols``."""
    if tile is None:
        tile = max(256, TILE_ENTRIES // max(f1.shape[0], 1))
    sums = row_sums(f1, f2, g1, g2, gmax, tile)
    return sums.finished(lo, None if cols is None else f1 @ cols[0].T, None if cols is None else f2 @ cols[1].T)


@dataclass
class MainSums:
    """What the main pass accumulates, block by block in input order: the weighted sums of
    ``KL(p‖p')`` and ``KL(p'‖p)`` per block (added with ``math.fsum`` at the end), the total weight,
    and, given scales ``r, r'`` (positive, one per label of ``S_Y``), the moments over x of
    ``d_y = ℓ(y|x)/r_y − ℓ'(y|x)/r'_y`` for ``S_Y`` (``m_a``) and of the same with the pivot label's
    ``ℓ(y_0|x)`` (``m_b``).  With ``r, r' = σ, σ'`` (pass 1) their SDs are ``a_y`` and ``b_y``.  With
    ``reference=True`` the scales are only a reference chosen before ``σ`` is known, and the moments
    of ``w_y = ℓ'/r'_y`` and the co-moments of ``(d_y, w_y)`` are kept too (:meth:`label_terms`)."""

    scale: np.ndarray | None = None
    scale2: np.ndarray | None = None
    reference: bool = False
    kl_ab: list[float] = field(default_factory=list)
    kl_ba: list[float] = field(default_factory=list)
    weight: float = 0.0
    m_a: Moments = field(default_factory=Moments)
    m_b: Moments = field(default_factory=Moments)

    def add(self, r: _Block, w: np.ndarray | None) -> None:
        """Take in one block of the main pass (``w``: its inputs' weights, None for uniform)."""
        self.kl_ab.append(float(r.kl_ab.sum() if w is None else w @ r.kl_ab))
        self.kl_ba.append(float(r.kl_ba.sum() if w is None else w @ r.kl_ba))
        self.weight += r.hi - r.lo if w is None else float(w.sum())
        if self.scale is not None and r.ell is not None and r.ell2 is not None:
            k = len(self.scale)
            self.m_a.add(*self._scaled(r.ell[:, :k], r.ell2[:, :k]), w)
            self.m_b.add(*self._scaled(r.ell[:, [k]], r.ell2[:, [k]]), w)

    def _scaled(self, ell: np.ndarray, ell2: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``d = ℓ/r − ℓ'/r'`` and, for reference scales, ``w = ℓ'/r'``."""
        w = ell2 / self.scale2
        return ell / self.scale - w, w if self.reference else None

    def merged(self, later: MainSums) -> MainSums:
        """These sums and those of the blocks that follow them (neither is changed)."""
        return MainSums(self.scale, self.scale2, self.reference, self.kl_ab + later.kl_ab,
                        self.kl_ba + later.kl_ba, self.weight + later.weight,
                        self.m_a.merged(later.m_a), self.m_b.merged(later.m_b))

    def kl(self) -> StreamedKL:
        """``d_KL`` both ways: the weighted mean over every input taken in."""
        result = StreamedKL(math.fsum(self.kl_ab) / self.weight, math.fsum(self.kl_ba) / self.weight)
        FLOAT64.require_finite([result.ab, result.ba], "d_KL")
        return result

    def label_terms(self, sigma: np.ndarray | None = None, sigma2: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """``a_y`` over ``S_Y`` and ``b_y`` (from the pivot label's ``ℓ``).  For reference scales,
        given ``σ, σ'``: ``ℓ/σ − ℓ'/σ' = α d + β w`` with ``α = r/σ``, ``β = r/σ − r'/σ'``, so the
        variance is ``α² Var d + 2αβ Cov(d, w) + β² Var w``.  ``Var d`` carries the value; ``β`` is
        as small as the ratio ``r/r'`` is close to ``σ/σ'``, so no large moments cancel when the
        reference ratio is within the models' own difference of ``σ/σ'``."""
        if not self.reference:
            return FLOAT64.sqrt(self.m_a.var_u()), FLOAT64.sqrt(self.m_b.var_u())
        alpha = self.scale / sigma
        beta = alpha - self.scale2 / sigma2
        return tuple(  # type: ignore[return-value]
            FLOAT64.sqrt(np.maximum(alpha * alpha * m.m2_u + 2 * alpha * beta * m.cross + beta * beta * m.m2_v, 0.0)
                         / m.weight)  # rounding may leave a zero variance a hair below 0
            for m in (self.m_a, self.m_b))


def default_workers() -> int:
    """Threads of the main pass: one per core (at most 2), BLAS held to one thread per call."""
    return max(1, min(2, os.cpu_count() or 1))


def _threads(workers: int | None) -> int:
    return default_workers() if workers is None else workers


def _blas_held(workers: int | None) -> Any:
    """While several threads share the work, hold BLAS to one thread per call (:mod:`theory.blas`):
    on a 2-core machine two BLAS thread pools would fight for the cores."""
    if _threads(workers) <= 1:
        return nullcontext()
    return single_threaded_blas()


def _in_order(fn: Callable[[T], U], items: list[T], workers: int) -> Iterator[U]:
    """``map(fn, items)`` on ``workers`` threads, yielding in order with at most ``workers + 1``
    results waiting, so memory stays that of a few blocks."""
    if workers <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future[U]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _main_pass(
    a: Model, b: Model, chunk: int, label_cols: list[int] | None, sums: MainSums,
    progress: Progress | None, workers: int | None = None,
) -> StreamedKL:
    """One pass over the inputs: ``d_KL`` both ways, and ``ℓ, ℓ'`` at ``label_cols`` taken into
    ``sums`` block by block, in input order (so the result does not depend on the number of threads)."""
    g1, g2 = FLOAT64.array(a.g), FLOAT64.array(b.g)
    gmax = logit_bounds(g1, g2)
    cols = label_columns(g1, g2, label_cols)
    tile = max(256, TILE_ENTRIES // chunk)

    def block(bounds: tuple[int, int]) -> _Block:
        lo, hi = bounds
        return main_block(_rows(a.f, lo, hi), _rows(b.f, lo, hi), g1, g2, gmax, cols, lo, tile)

    w_all = _weights(a)
    for r in _in_order(block, _blocks(a.n, chunk), _threads(workers)):
        sums.add(r, None if w_all is None else w_all[r.lo:r.hi])
        if progress is not None:
            progress(r.hi, a.n)
    return sums.kl()


def stream_kl(
    a: Model, b: Model, chunk: int | None = None, progress: Progress | None = None, workers: int | None = None
) -> StreamedKL:
    """``d_KL(p_a‖p_b)`` and ``d_KL(p_b‖p_a)`` (Section 3) in one streamed pass over the inputs."""
    check_pair(a, b)
    with _blas_held(workers):
        return _main_pass(a, b, _check_chunk(chunk, a.K), None, MainSums(), progress, workers)


# --------------------------------------------------------------------------------------------
# d_LLV
# --------------------------------------------------------------------------------------------
def _log_odds_moments(a: Model, b: Model, sets: Sets, chunk: int, outer: bool) -> Moments:
    """Pass 1: moments over x of ``Lᵀf(x)`` and ``L'ᵀf'(x)`` (columns indexed by ``S_Y``)."""
    lab1 = label_matrix(a.g, sets.pivot_label, sets.labels)
    lab2 = label_matrix(b.g, sets.pivot_label, sets.labels)
    w_all = _weights(a)
    mom = Moments(outer=outer)
    for lo, hi in _blocks(a.n, chunk):
        w = None if w_all is None else w_all[lo:hi]
        mom.add(_rows(a.f, lo, hi) @ lab1, _rows(b.f, lo, hi) @ lab2, w)
    return mom


def _label_sd(mom: Moments, sets: Sets) -> tuple[np.ndarray, np.ndarray]:
    """``σ_y, σ'_y`` from pass 1, refusing a zero one as :func:`theory.distances.label_terms` does."""
    sigma, sigma2 = FLOAT64.sqrt(mom.var_u()), FLOAT64.sqrt(mom.var_v())
    for sd, scale, which in ((sigma, mom.absmax_u, "model 1"), (sigma2, mom.absmax_v, "model 2")):
        for v, y in zip(sd, sets.labels, strict=True):
            if FLOAT64.is_zero(v, scale):
                raise ClosenessError(
                    f"σ_y = SD_x[ℓ(y|x) − ℓ(y_0|x)] of {which} is zero for index {y}: "
                    "the standardisation is undefined"
                )
    return sigma, sigma2


def input_terms_block(
    rows1: np.ndarray, rows2: np.ndarray, g1: np.ndarray, g2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(s, s', c, e)`` for the rows ``f(x)`` of some inputs of ``S_X``, the pivot ``f(x_0)`` first."""
    return input_terms_of_logits(FLOAT64.array(rows1) @ g1.T, FLOAT64.array(rows2) @ g2.T)


def input_terms_of_logits(z1: np.ndarray, z2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(s, s', c, e)`` from the logits (every label) of some inputs of ``S_X``, the pivot's row first."""
    return input_terms(log_softmax(z1), log_softmax(z2), 0, tuple(range(1, z1.shape[0])))


def input_blocks(count: int, chunk: int) -> list[tuple[int, int]]:
    """Blocks of the ``count`` inputs of ``S_X`` for the input terms: at most ``chunk`` a block and
    at least four blocks, to share among threads or workers."""
    return _blocks(count, max(1, min(chunk, -(-count // 4))))


def stream_input_terms(
    a: Model, b: Model, sets: Sets, chunk: int, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(s, s', c, e)`` over ``S_X`` from the rows ``x_0`` and ``S_X`` only, ``chunk`` rows at a time."""
    g1, g2 = FLOAT64.array(a.g), FLOAT64.array(b.g)
    x0, inputs = sets.pivot_input, list(sets.inputs)

    def block(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rows = [x0, *inputs[bounds[0]:bounds[1]]]
        return input_terms_block(a.f[rows], b.f[rows], g1, g2)

    with _blas_held(workers):
        parts = list(_in_order(block, input_blocks(len(inputs), chunk), _threads(workers)))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


def _llv_and_kl(
    a: Model, b: Model, sets: Sets, chunk: int, outer: bool, progress: Progress | None, workers: int | None
) -> tuple[StreamedKL, LLVTerms, Moments]:
    """Pass 1 (log-odds moments), the main pass (``d_KL``, ``a_y``, ``b_y``), the input terms."""
    odds = _log_odds_moments(a, b, sets, chunk, outer)
    sigma, sigma2 = _label_sd(odds, sets)
    sums = MainSums(sigma, sigma2)
    kl = _main_pass(a, b, chunk, [*sets.labels, sets.pivot_label], sums, progress, workers)
    s, s2, c, e = stream_input_terms(a, b, sets, chunk, workers)
    terms = assemble_llv_terms(sets, sigma, sigma2, *sums.label_terms(), s, s2, c, e)
    return kl, terms, odds


def stream_llv_terms(
    a: Model, b: Model, sets: Sets, chunk: int | None = None, workers: int | None = None
) -> LLVTerms:
    """Every term of ``d^λ_LLV`` (Section 4) streamed over the inputs."""
    check_pair(a, b)
    sets.validate(a.n, a.K, a.M)
    with _blas_held(workers):
        return _llv_and_kl(a, b, sets, _check_chunk(chunk, a.K), False, None, workers)[1]


# --------------------------------------------------------------------------------------------
# d_{f,g}
# --------------------------------------------------------------------------------------------
def _d_svd(cov: np.ndarray, var_u: np.ndarray, var_v: np.ndarray, scales: tuple[float, float]) -> Any:
    """``d_SVD`` from accumulated moments, through the same two steps as the in-memory path."""
    c = standardised_cross(cov, FLOAT64.sqrt(var_u), FLOAT64.sqrt(var_v), scales)
    return d_svd_of_cross(c)


def _fg_from_moments(sets: Sets, odds: Moments, g_moments: Moments, m: int, limit: int) -> FGResult:
    """``d_{f,g}``: the f side from the pass-1 moments of ``Lᵀf``, the g side from the moments over
    labels of ``Nᵀg`` and ``N'ᵀg'`` (:func:`g_side_block`)."""
    pos = {y: i for i, y in enumerate(sets.labels)}
    f_side = []
    var_u, var_v, cov = odds.var_u(), odds.var_v(), odds.cov()
    for subset in label_subsets(sets.labels, m, limit):
        ix = [pos[y] for y in subset]
        sub = cov[np.ix_(ix, ix)] if odds.outer else np.diag(cov[ix])
        f_side.append((subset, _d_svd(sub, var_u[ix], var_v[ix], (odds.absmax_u, odds.absmax_v))))
    mom = g_moments
    g_side = _d_svd(mom.cov(), mom.var_u(), mom.var_v(), (mom.absmax_u, mom.absmax_v))
    sides = [d for _, d in f_side] + [g_side]
    FLOAT64.require_finite(sides, "d_SVD")
    return FGResult(f_side, g_side, max(sides))


def g_side_block(g1: np.ndarray, g2: np.ndarray, nn: np.ndarray, nn2: np.ndarray) -> Moments:
    """The moments of ``Nᵀg(y)`` and ``N'ᵀg'(y)`` over one block of labels (rows of ``g1``, ``g2``)."""
    return Moments.of(FLOAT64.array(g1) @ nn, FLOAT64.array(g2) @ nn2, None, outer=True)


def _g_moments(a: Model, b: Model, sets: Sets, chunk: int, workers: int | None) -> Moments:
    """The g side of ``d_{f,g}`` streamed over blocks of labels."""
    nn = input_matrix(a.f, sets.pivot_input, sets.inputs)
    nn2 = input_matrix(b.f, sets.pivot_input, sets.inputs)
    g1, g2 = FLOAT64.array(a.g), FLOAT64.array(b.g)
    mom = Moments(outer=True)

    def block(bounds: tuple[int, int]) -> Moments:
        return g_side_block(g1[bounds[0]:bounds[1]], g2[bounds[0]:bounds[1]], nn, nn2)

    for part in _in_order(block, _blocks(a.K, max(chunk, 1024)), _threads(workers)):
        mom = mom.merged(part)
    return mom


def moment_points(second: np.ndarray) -> np.ndarray:
    """``2d`` points (rows) whose population second moments about 0 are exactly the d×d positive
    semi-definite ``second`` (up to rounding), and whose mean is 0: with each coordinate scaled to unit
    second moment, ``R = V Λ Vᵀ``, the points ``±√d·(V√Λ)_i`` (the σ-points of the unscented
    transform), scaled back.  Quantities that depend on a sample only through these moments can then
    be finished by their one in-memory formula."""
    second = (second + second.T) / 2
    scale = np.sqrt(np.clip(np.diag(second), 0.0, None))
    scale = np.where(scale > 0, scale, 1.0)
    values, vectors = np.linalg.eigh(second / np.outer(scale, scale))
    root = vectors * np.sqrt(np.clip(values, 0.0, None)) * math.sqrt(second.shape[0])
    return np.concatenate([root.T, -root.T]) * scale


def m_cca_of_moments(joint: Moments) -> Any:
    """``m_CCA(f, f')`` from the joint moments of ``(f, f')`` (``Moments(outer=True)`` of the 2M
    columns against themselves): it depends on a sample only through its covariance, so
    :func:`theory.distances.m_cca` finishes on :func:`moment_points` of that covariance."""
    points = moment_points(joint.cov())
    m = points.shape[1] // 2
    return m_cca(points[:, :m], points[:, m:], FLOAT64)


def stream_d_fg(
    a: Model, b: Model, sets: Sets, chunk: int | None = None, limit: int = MAX_SUBSETS, workers: int | None = None
) -> FGResult:
    """``d_{f,g}`` (Section 4) from moments accumulated over blocks of inputs and of labels."""
    check_pair(a, b)
    sets.validate(a.n, a.K, a.M)
    size = _check_chunk(chunk, a.K)
    label_subsets(sets.labels, a.M, limit)
    with _blas_held(workers):
        odds = _log_odds_moments(a, b, sets, size, a.M > 1)
        return _fg_from_moments(sets, odds, _g_moments(a, b, sets, size, workers), a.M, limit)


def stream_distances(
    a: Model, b: Model, sets: Sets, *, chunk: int | None = None, lam: float = 1e-5, mode: str = "max",
    limit: int = MAX_SUBSETS, progress: Progress | None = None, workers: int | None = None,
) -> dict[str, Any]:
    """The values of :func:`theory.compare.compare` (float64), streamed: ``d_kl_ab``, ``d_kl_ba``,
    ``terms``, ``d_llv``, ``fg``, ``m_cca``.  ``workers`` threads share the main pass
    (default :func:`default_workers`); the values do not depend on it."""
    check_pair(a, b)
    sets.validate(a.n, a.K, a.M)
    size = _check_chunk(chunk, a.K)
    label_subsets(sets.labels, a.M, limit)
    w = _weights(a)
    with _blas_held(workers):
        kl, terms, odds = _llv_and_kl(a, b, sets, size, a.M > 1, progress, workers)
        return {
            "d_kl_ab": kl.ab,
            "d_kl_ba": kl.ba,
            "terms": terms,
            "d_llv": d_llv(terms, lam, mode),
            "fg": _fg_from_moments(sets, odds, _g_moments(a, b, sets, size, workers), a.M, limit),
            "m_cca": m_cca(a.f, b.f, FLOAT64, None if w is None else w / w.sum()),
        }
