"""The distances of Sections 3 and 4 on Dask, for embedding sets that outgrow one machine.

The streamed float64 path (:mod:`theory.streaming`) reads the inputs in blocks and keeps only
moments and sums; every quantity of ``compare`` with fixed sets is such a reduction over blocks of
inputs.  Here the same block functions run as Dask tasks, one per block of rows of ``f`` (the rows
of a chunked array), and their results are merged in a tree, in input order, by the same merges
(Chan, Golub & LeVeque's for moments); the finishing code is :mod:`theory.streaming`'s.  Three
Dask computations:

1. the rows ``f(x_0)``, ``f(x)`` for ``x ∈ S_X`` and ``g(y_0)``, ``g(y)`` for ``y ∈ S_Y`` (the sets
   are checked on them before anything large is read; they also give the reference scales below);
2. one pass over ``f``, each block of rows read once by one task, and beside it the tasks over the
   rows of the sets and over blocks of labels.  A task of the pass holds one block of rows of
   ``f, f'`` and reads ``G, G'`` one block of labels at a time (a memory-mapped slice of an ``.npy``
   file, the zarr or HDF5 chunks it covers): per block of labels the row sums of
   :func:`theory.streaming.row_sums` (``Σ e^z`` and its companions, in cache-sized tiles), merged
   across blocks of labels by the online log-sum-exp (:meth:`theory.streaming.RowSums.merged`), and
   the logits at the columns ``S_Y ∪ {y_0}``; from these ``d_KL`` both ways and ``ℓ, ℓ'`` at those
   columns.  The same task takes the moments of the log-odds ``Lᵀf`` (``σ_y`` and the f side of
   ``d_{f,g}``) and the joint moments of ``(f, f')`` (``m_CCA``), and checks its block finite.

``σ_y`` is known only at the end of the pass, so ``a_y = SD_x[ℓ/σ − ℓ'/σ']`` and ``b_y`` are
accumulated against reference scales ``r_y, r'_y`` fixed beforehand (the SD of the log-odds over the
rows of the sets): the moments of ``ℓ/r − ℓ'/r'`` and ``ℓ'/r'`` and their co-moment, finished with
``σ`` by :meth:`theory.streaming.MainSums.label_terms`.  The ratio ``r/r'`` differs from ``σ/σ'``
by about as much as the two models differ, as ``a_y`` does, so nothing large cancels.  The input
terms (rows ``x_0`` and ``S_X`` against every label, blocks of labels read in turn) and the g side
of ``d_{f,g}`` (one task per block of labels) run beside the pass.

No task holds ``G`` whole: its blocks of labels have at most :data:`LABEL_BLOCK_BYTES` each (or
``label_rows`` rows), the logits kept per sweep over the labels are at most :data:`KEPT_LOGITS`
per model (more sweeps over the labels, of fewer rows, when ``|S_Y|`` is large).  Nor does the
command's own process: ``m_CCA``, ``d_logit`` and ``d_rep`` depend on the samples only through their
joint second moments, and ``d_logit`` on ``G, G'`` only through the Gram matrices of the centred
unembeddings, merged over blocks of labels as centred moments (in the tasks of the g side); ``d_rep``
reads only the rows of ``G, G'`` at the labels of its terms (every label when it takes every term,
those of its seeded sample otherwise; at most :data:`CLIENT_G_ENTRIES` entries).  ``m_CCA`` and
``d_rep`` are finished by their one formulas applied to a sample of ``4M`` points with exactly the
accumulated moments (:func:`theory.streaming.moment_points`).

Models come as ``dask.array`` arrays (:func:`chunked_model`) or from storage (:func:`load_chunked`):
a directory of ``.npy`` files (each block read through its own memory map), a zarr group or an HDF5
file holding ``f``, ``g`` and optionally ``weights``.  Dask, distributed and zarr are the optional
extra ``closeness-proofs[dask]`` (h5py too, for HDF5).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from theory.compare import Comparison
from theory.distances import MAX_SUBSETS, Sets, assemble_llv_terms, d_llv, label_subsets
from theory.errors import ClosenessError
from theory.identifiability import greedy_affine_basis, input_matrix, label_matrix, require_invertible
from theory.io import load_model
from theory.logit import LabelRows, compare_rep_labels, d_logit_sq_of_grams, rep_for_compare
from theory.model import Model
from theory.precision import FLOAT64
from theory.streaming import (
    TILE_ENTRIES,
    MainSums,
    Moments,
    RowSums,
    _blas_held,
    _blocks,
    _fg_from_moments,
    _label_sd,
    default_chunk,
    g_side_block,
    input_blocks,
    input_terms_of_logits,
    logit_bounds,
    m_cca_of_moments,
    moment_points,
    row_sums,
)

try:
    import dask
    import dask.array as da
    from dask.optimization import cull
except ImportError as err:  # pragma: no cover - depends on the installation
    raise ClosenessError(
        "the Dask engine needs the optional extra: pip install 'closeness-proofs[dask]'"
    ) from err

__all__ = ["ChunkedModel", "chunked_model", "load_chunked", "default_inputs", "dask_sets", "dask_distances",
           "compare_dask", "cluster_client", "DEFAULT_ROWS", "LABEL_BLOCK_BYTES", "KEPT_LOGITS", "CLIENT_G_ENTRIES"]

#: Rows of ``f`` per task when the storage does not say (``.npy``, HDF5 without chunks, arrays in memory).
DEFAULT_ROWS = 4096

#: Bytes of a block of labels of ``g`` (float64) when neither the caller nor the storage says less.
LABEL_BLOCK_BYTES = 1 << 26

#: Logits kept per model during one sweep of a task over the labels (rows × ``|S_Y| + 1``).
KEPT_LOGITS = 1 << 22

#: Entries of each of ``G, G'`` the command's own process may read for ``d_rep`` (its rows at the labels of
#: the (pivot, set) terms): 8 MB of float64; more, and ``d_rep`` is not computed on Dask.
CLIENT_G_ENTRIES = 1 << 20

#: Rows searched for default inputs ``S_X`` (:func:`default_inputs`), at least ``16·M``.
HEAD_ROWS = 1024


# --------------------------------------------------------------------------------------------
# models as chunked arrays
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkedModel:
    """A model whose ``f`` (n×M, blocks of rows), ``g`` (K×M, blocks of labels, every column in a
    block) and optional ``weights`` (n, blocked as ``f``'s rows) are ``dask.array`` arrays; ``name``
    says which in messages."""

    f: Any
    g: Any
    weights: Any
    name: str

    @property
    def n(self) -> int:
        return int(self.f.shape[0])

    @property
    def K(self) -> int:
        return int(self.g.shape[0])

    @property
    def M(self) -> int:
        return int(self.f.shape[1])

    def row_blocks(self) -> list[tuple[int, int]]:
        """``(lo, hi)`` of every block of rows of ``f``, in order."""
        return _bounds(self.f.chunks[0])

    def label_blocks(self) -> list[tuple[int, int]]:
        """``(lo, hi)`` of every block of labels (rows of ``g``), in order."""
        return _bounds(self.g.chunks[0])


def _bounds(chunks: tuple[int, ...]) -> list[tuple[int, int]]:
    ends = np.cumsum((0, *chunks))
    return [(int(lo), int(hi)) for lo, hi in itertools.pairwise(ends)]


def label_budget(m: int) -> int:
    """Labels per block of ``g`` when nothing says otherwise: :data:`LABEL_BLOCK_BYTES` of float64 rows."""
    return max(1, LABEL_BLOCK_BYTES // (8 * max(m, 1)))


def _as_dask(x: Any, what: str, rows: int | None) -> Any:
    if not isinstance(x, da.Array):
        x = np.asarray(x) if not hasattr(x, "shape") else x
        x = da.from_array(x, chunks=(rows or DEFAULT_ROWS,) + (-1,) * (x.ndim - 1))
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ClosenessError(f"{what} must hold real numbers, got dtype {x.dtype}")
    return x


def chunked_model(f: Any, g: Any, weights: Any = None, *, rows: int | None = None, label_rows: int | None = None,
                  name: str = "model") -> ChunkedModel:
    """A :class:`ChunkedModel` from ``dask.array`` (or numpy) arrays, checked as
    :class:`theory.model.Model` checks its arrays, except that finiteness is checked block by block
    when the blocks are read.  ``rows``: rows of ``f`` per task (default: ``f``'s own blocks);
    ``label_rows``: labels per block of ``g`` (default: ``g``'s own blocks, none larger than
    :data:`LABEL_BLOCK_BYTES`)."""
    for value, what in ((rows, "rows"), (label_rows, "labels")):
        if value is not None and value < 1:
            raise ClosenessError(f"the {what} per block must be a positive number, got {value}")
    f = _as_dask(f, f"{name}: f", rows)
    budget = label_budget(int(f.shape[1]) if f.ndim == 2 else 1)
    g = _as_dask(g, f"{name}: g", label_rows or budget)
    for x, what in ((f, "f"), (g, "g")):
        if x.ndim != 2 or x.shape[1] < 1:
            raise ClosenessError(f"{name}: {what} must be a 2-d array with at least one column, got shape {x.shape}")
    if f.shape[1] != g.shape[1]:
        raise ClosenessError(f"{name}: f and g must have the same representation dimension M: "
                             f"f is {f.shape[0]}×{f.shape[1]}, g is {g.shape[0]}×{g.shape[1]}")
    if g.shape[0] < f.shape[1] + 1:
        raise ClosenessError(f"{name}: the model needs K ≥ M+1 labels: K = {g.shape[0]}, M = {f.shape[1]}")
    if f.shape[0] < 2:
        raise ClosenessError(f"{name}: the model needs at least 2 inputs, got n = {f.shape[0]}")
    f = f.rechunk({0: rows if rows is not None else f.chunks[0], 1: -1})
    if label_rows is None and max(g.chunks[0]) > budget:
        label_rows = budget
    g = g.rechunk({0: label_rows if label_rows is not None else g.chunks[0], 1: -1})
    if weights is not None:
        weights = _as_dask(weights, f"{name}: weights", rows)
        if weights.shape != (f.shape[0],):
            raise ClosenessError(f"{name}: weights must have one entry per input: shape {weights.shape}, "
                                 f"n = {f.shape[0]}")
        weights = weights.rechunk((f.chunks[0],))
    return ChunkedModel(f, g, weights, name)


class _NpyFile:
    """An ``.npy`` file as a lazily read array: each read opens its own memory map, so that a task
    graph carries the path, never the data (a memory map would be pickled whole)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim

    def __getitem__(self, key: Any) -> np.ndarray:
        return np.array(np.load(self.path, mmap_mode="r", allow_pickle=False)[key])

    def __dask_tokenize__(self) -> Any:
        stat = self.path.stat()
        return ("npy", str(self.path.resolve()), stat.st_mtime_ns, stat.st_size)


class _Hdf5Dataset:
    """An HDF5 dataset as a lazily read array (the file is opened for each read: h5py objects
    cannot travel to other processes)."""

    def __init__(self, path: Path, name: str) -> None:
        import h5py

        self.path, self.name = path, name
        with h5py.File(path, "r") as fh:
            data = fh[name]
            self.shape, self.dtype, self.ndim, self.chunks = data.shape, data.dtype, data.ndim, data.chunks

    def __getitem__(self, key: Any) -> np.ndarray:
        import h5py

        with h5py.File(self.path, "r") as fh:
            return np.asarray(fh[self.name][key])

    def __dask_tokenize__(self) -> Any:
        stat = self.path.stat()
        return ("hdf5", str(self.path.resolve()), self.name, stat.st_mtime_ns, stat.st_size)


def _is_zarr(p: Path) -> bool:
    return p.is_dir() and ((p / "zarr.json").exists() or (p / ".zgroup").exists())


def load_chunked(path: str | os.PathLike[str], rows: int | None = None, name: str | None = None,
                 label_rows: int | None = None) -> ChunkedModel:
    """A model read block by block from ``path``: a directory of ``f.npy``, ``g.npy`` (and
    ``weights.npy``), a zarr group (a directory, or a URL such as ``s3://bucket/a.zarr`` when the
    matching fsspec filesystem is installed) or an HDF5 file (``.h5``, ``.hdf5``) with arrays ``f``,
    ``g`` (and ``weights``), or an ``.npz`` (read whole).  ``rows``: rows of ``f`` per task (default:
    the zarr or HDF5 chunks, else :data:`DEFAULT_ROWS`); ``label_rows``: labels per block of ``g``
    (default: the zarr chunks, else :data:`LABEL_BLOCK_BYTES` a block)."""
    if "://" in str(path):  # a zarr group at a URL (file://, or s3:// etc. with fsspec's filesystem installed)
        return _from_arrays(_read(str(path), lambda: _zarr_arrays(str(path))), rows, label_rows, name or str(path))
    p = Path(path)
    label = name or str(p)
    if not p.exists():
        raise ClosenessError(f"model not found: {p}")
    if not (p.is_dir() or p.is_file()):
        raise ClosenessError(f"model {p} is not a file or a directory (a FIFO, device or socket is not read)")
    return _from_arrays(_read(str(p), lambda: _arrays_at(p)), rows, label_rows, label)


def _read(where: str, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``read()``, its failures one clear error naming ``where``."""
    try:
        return read()
    except (OSError, ValueError, KeyError) as err:
        if isinstance(err, ClosenessError):
            raise
        raise ClosenessError(f"cannot read model {where}: {err}") from err


def _arrays_at(p: Path) -> dict[str, Any]:
    if _is_zarr(p):
        return _zarr_arrays(str(p))
    if p.is_dir():
        arrays = {k: _NpyFile(p / f"{k}.npy") for k in ("f", "g", "weights") if (p / f"{k}.npy").exists()}
        if not {"f", "g"} <= set(arrays):
            raise ClosenessError(f"model directory {p} has no f.npy and g.npy (nor is it a zarr group)")
        return arrays
    if p.suffix.lower() in (".h5", ".hdf5", ".hdf"):
        return _hdf5_arrays(p)
    model = load_model(p)
    return {"f": model.f, "g": model.g, "weights": model.weights}


def _from_arrays(arrays: dict[str, Any], rows: int | None, label_rows: int | None, label: str) -> ChunkedModel:
    f = arrays["f"]
    if rows is None and not isinstance(f, da.Array):
        chunks = getattr(f, "chunks", None)
        rows = max(chunks[0], DEFAULT_ROWS // 8) if chunks else DEFAULT_ROWS
    labels = label_rows or label_budget(f.shape[1] if len(f.shape) == 2 else 1)
    first = {k: labels if k == "g" else rows or DEFAULT_ROWS for k in arrays}
    lazy = {k: v if isinstance(v, da.Array) or v is None or isinstance(v, np.ndarray)
            else da.from_array(v, chunks=(first[k],) + (-1,) * (v.ndim - 1))
            for k, v in arrays.items()}
    return chunked_model(lazy["f"], lazy["g"], lazy.get("weights"), rows=rows, label_rows=label_rows, name=label)


def _zarr_arrays(p: str) -> dict[str, Any]:
    import zarr

    group = zarr.open_group(p, mode="r")
    names = set(group.array_keys())
    if not {"f", "g"} <= names:
        raise ClosenessError(f"zarr group {p} lacks array(s) {sorted({'f', 'g'} - names)}; it has {sorted(names)}")
    return {k: da.from_zarr(p, component=k) for k in ("f", "g", "weights") if k in names}


def _hdf5_arrays(p: Path) -> dict[str, Any]:
    try:
        import h5py
    except ImportError as err:
        raise ClosenessError(f"reading {p} needs h5py: pip install 'closeness-proofs[dask]'") from err
    with h5py.File(p, "r") as fh:
        names = set(fh.keys())
        for k in sorted({"f", "g", "weights"} & names):
            if not isinstance(fh[k], h5py.Dataset):
                raise ClosenessError(f"{k} in {p} is a group, not a dataset")
    if not {"f", "g"} <= names:
        raise ClosenessError(f"HDF5 file {p} lacks dataset(s) {sorted({'f', 'g'} - names)}; it has {sorted(names)}")
    return {k: _Hdf5Dataset(p, k) for k in ("f", "g", "weights") if k in names}


# --------------------------------------------------------------------------------------------
# the tasks
# --------------------------------------------------------------------------------------------
def _finite(x: np.ndarray, name: str, what: str, block: int, lo: int) -> np.ndarray:
    """``x`` (rows ``lo``… of ``what``) as C-contiguous float64, or a clear error naming the block
    and the first non-finite entry."""
    out = np.ascontiguousarray(x, dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f"row {lo + int(where[0])}" + (f", column {int(where[1])}" if out.ndim == 2 else "")
        raise ClosenessError(f"{name}: {what} has a non-finite value (NaN or infinity) in block {block} "
                             f"(rows {lo}..{lo + out.shape[0] - 1}), first at {at}")
    return out


@dataclass(frozen=True)
class _Block:
    """Where a task's block of rows lies, and the names of the two models."""

    index: int
    lo: int
    names: tuple[str, str]


def _block_weights(where: _Block, w1: Any, w2: Any) -> np.ndarray | None:
    if w1 is None and w2 is None:
        return None
    if w1 is None or w2 is None:
        raise ClosenessError("the two models must use the same input weights p_D")
    wa = _finite(w1, where.names[0], "weights", where.index, where.lo)
    wb = _finite(w2, where.names[1], "weights", where.index, where.lo)
    if not np.array_equal(wa, wb):
        raise ClosenessError(f"the two models must use the same input weights p_D (they differ in block {where.index})")
    if np.any(wa < 0):
        raise ClosenessError(f"weights must be finite, non-negative and not all zero (negative in block {where.index})")
    return wa


def _block_rows(where: _Block, f1: Any, f2: Any) -> tuple[np.ndarray, np.ndarray]:
    return (_finite(f1, where.names[0], "f", where.index, where.lo),
            _finite(f2, where.names[1], "f", where.index, where.lo))


class _LabelBlocks:
    """The blocks of labels of a model's ``g``, carried into a task unread (Dask would compute an
    array given to a task whole, before the task runs) and read there one at a time: each block by
    its own optimised graph, culled to that block (a memory-mapped slice of an ``.npy`` file, the
    zarr or HDF5 chunks it covers), on the synchronous scheduler, so that a task never holds ``g``
    whole; every block read is checked finite."""

    def __init__(self, g: Any, name: str) -> None:
        self.name, self.bounds = name, _bounds(g.chunks[0])
        parts = g.to_delayed(optimize_graph=True).ravel()
        graph = dict(parts[0].__dask_graph__())
        self.parts = [(cull(graph, [part.key])[0], part.key) for part in parts]

    def read(self, j: int) -> np.ndarray:
        """Block ``j`` (labels ``bounds[j]``) as float64."""
        graph, key = self.parts[j]
        return _finite(dask.get(graph, key), self.name, "g", j, self.bounds[j][0])


@dataclass(frozen=True)
class _PassConstants:
    """What every task of the pass shares (one key in the graph): the log-odds matrices ``L, L'``
    and whether the f side needs full cross-moments; the reference scales ``r, r'`` of
    :class:`theory.streaming.MainSums`; for each block of labels, the positions in
    ``[*S_Y, y_0]`` of its labels there and their offsets in the block; rows per sub-block
    (``chunk``) and per sweep over the labels (``sweep``, a multiple of ``chunk``)."""

    lab: tuple[np.ndarray, np.ndarray]
    outer: bool
    scales: tuple[np.ndarray, np.ndarray]
    columns: tuple[tuple[np.ndarray, np.ndarray], ...]
    chunk: int
    sweep: int


def _main_task(where: _Block, f1: Any, f2: Any, w1: Any, w2: Any, k: _PassConstants,
               g1: _LabelBlocks, g2: _LabelBlocks) -> tuple[Moments, Moments, MainSums]:
    """The one pass on one block of rows of ``f, f'`` (read here, checked finite): the moments of
    ``Lᵀf, L'ᵀf'``, the joint moments of ``(f, f')`` and the main sums, in sub-blocks of
    ``k.chunk`` rows taken in input order, as the streamed path takes its blocks."""
    a, b = _block_rows(where, f1, f2)
    w = _block_weights(where, w1, w2)
    joint = np.hstack([a, b])
    odds = Moments.of(a @ k.lab[0], b @ k.lab[1], w, k.outer)
    sums = MainSums(*k.scales, reference=True)
    for lo, hi in _blocks(a.shape[0], k.sweep):
        for r in _sweep(a[lo:hi], b[lo:hi], g1, g2, k, where.lo + lo):
            sums.add(r, None if w is None else w[r.lo - where.lo:r.hi - where.lo])
    return odds, Moments.of(joint, joint, w, outer=True), sums


def _sweep(
    a: np.ndarray, b: np.ndarray, g1: _LabelBlocks, g2: _LabelBlocks, k: _PassConstants, lo: int
) -> Iterator[Any]:
    """Rows ``a, b`` (inputs ``lo…``) against every label, one block of labels at a time: per
    sub-block of ``k.chunk`` rows the :class:`RowSums`, merged across blocks of labels, and the
    logits at the columns ``[*S_Y, y_0]``; yields the finished sub-blocks in order."""
    subs = _blocks(a.shape[0], k.chunk)
    tile = max(256, TILE_ENTRIES // k.chunk)
    total: list[RowSums] = []
    width = len(k.scales[0]) + 1
    z1, z2 = np.empty((a.shape[0], width)), np.empty((a.shape[0], width))
    for j, (at, offsets) in enumerate(k.columns):
        ga, gb = g1.read(j), g2.read(j)
        bound = logit_bounds(ga, gb)
        parts = [row_sums(a[s:e], b[s:e], ga, gb, bound, tile) for s, e in subs]
        total = parts if j == 0 else [t.merged(p) for t, p in zip(total, parts, strict=True)]
        if len(at):
            z1[:, at] = a @ ga[offsets].T
            z2[:, at] = b @ gb[offsets].T
    for (s, e), sums in zip(subs, total, strict=True):
        yield sums.finished(lo + s, z1[s:e], z2[s:e])


def _input_terms_task(
    rows1: np.ndarray, rows2: np.ndarray, g1: _LabelBlocks, g2: _LabelBlocks
) -> tuple[np.ndarray, ...]:
    """The input terms of some rows of ``S_X`` (pivot first): their logits at every label, one block
    of labels at a time, then :func:`theory.streaming.input_terms_of_logits`."""
    labels = g1.bounds[-1][1]
    z1, z2 = np.empty((rows1.shape[0], labels)), np.empty((rows2.shape[0], labels))
    for j, (lo, hi) in enumerate(g1.bounds):
        z1[:, lo:hi] = rows1 @ g1.read(j).T
        z2[:, lo:hi] = rows2 @ g2.read(j).T
    return input_terms_of_logits(z1, z2)


def _label_task(g1: Any, g2: Any, j: int, lo: int, names: tuple[str, str], nn: Any) -> tuple[Moments, Moments]:
    """On block ``j`` of labels (from ``lo``), checked finite: the g side of ``d_{f,g}``, and the moments of
    the labels' ``(g, g')`` (means, centred co-moments: merged over every block, the Gram matrices of
    the centred unembeddings ``Ĝᵀ Ĝ``, ``Ĝ'ᵀ Ĝ'``, ``Ĝᵀ Ĝ'`` that ``d_logit`` needs)."""
    ga, gb = _finite(g1, names[0], "g", j, lo), _finite(g2, names[1], "g", j, lo)
    both = np.hstack([ga, gb])
    return g_side_block(ga, gb, *nn), Moments.of(both, both, outer=True)


def _rows_task(g: _LabelBlocks, j: int, offsets: np.ndarray) -> np.ndarray:
    """The rows ``offsets`` of block ``j`` of labels of ``g``."""
    return g.read(j)[offsets]


def _label_picks(labels: list[int], blocks: list[tuple[int, int]]) -> list[tuple[int, np.ndarray]]:
    """For each block of labels holding some of ``labels`` (sorted): its index and their offsets in it."""
    ys = np.asarray(labels, dtype=int)
    picks = []
    for j, (lo, hi) in enumerate(blocks):
        at = ys[(ys >= lo) & (ys < hi)]
        if len(at):
            picks.append((j, at - lo))
    return picks


def _merge(x: Any, y: Any) -> Any:
    """Two partial results (or tuples of them) of consecutive blocks, merged in input order."""
    if isinstance(x, tuple):
        return tuple(_merge(u, v) for u, v in zip(x, y, strict=True))
    return x.merged(y)


def _tree(parts: list[Any]) -> Any:
    """The delayed merge of ``parts`` (in input order) as a balanced binary tree."""
    while len(parts) > 1:
        parts = [dask.delayed(_merge)(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _blocks_of(x: Any) -> list[Any]:
    """The delayed blocks of a chunked array along its first axis (None stays None)."""
    return list(x.to_delayed().ravel())


# --------------------------------------------------------------------------------------------
# running the graphs
# --------------------------------------------------------------------------------------------
def _lost_worker_errors() -> tuple[type[BaseException], ...]:
    try:
        from distributed import KilledWorker
    except ImportError:  # pragma: no cover - dask without distributed
        return ()
    return (KilledWorker,)


def _compute(objs: list[Any], client: Any) -> list[Any]:
    """Compute ``objs`` on ``client`` (or Dask's current scheduler); a worker lost more often than
    the scheduler allows, or a lost connection, is a clear error."""
    try:
        with _blas_held(None):
            if client is not None:
                return list(client.compute(objs, sync=True))
            return list(dask.compute(*objs))
    except _lost_worker_errors() as err:
        raise ClosenessError(f"the Dask computation lost its workers ({err}); rerun it, or give the workers "
                             "more memory") from err
    except (OSError, TimeoutError) as err:
        raise ClosenessError(f"the Dask computation failed: {err}") from err


def _gather_rows(x: Any, index: list[int]) -> tuple[list[Any], list[int]]:
    """Tasks reading the rows ``index`` of ``x`` (sorted, once each), and that order: one task per
    run of consecutive rows within a block, its graph optimised alone, so that only those rows are
    read (not the blocks that hold them) and no task holds more than a block."""
    order = sorted(set(index))
    starts = {lo for lo, _ in _bounds(x.chunks[0])}
    runs = [[order[0], order[0] + 1]]
    for i in order[1:]:
        if i == runs[-1][1] and i not in starts:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [x[lo:hi].to_delayed(optimize_graph=True).ravel()[0] for lo, hi in runs], order


def default_inputs(a: ChunkedModel, b: ChunkedModel, pivot: int = 0, client: Any = None) -> tuple[int, ...]:
    """``S_X`` for pivot input ``pivot`` as :func:`theory.selection.default_sets` chooses it
    (:func:`theory.identifiability.greedy_affine_basis` on both models), searched among the first
    ``max(HEAD_ROWS, 16·M)`` rows only, so that nothing large is read."""
    head = sorted(set(range(min(a.n, max(HEAD_ROWS, 16 * a.M)))) | {pivot})
    fa, fb = _compute([a.f[head], b.f[head]], client)
    found = greedy_affine_basis([fa, fb], a.M, head.index(pivot))
    if found is None:
        raise ClosenessError(f"no M inputs among the first {len(head)} make both N and N' invertible with pivot "
                             f"input {pivot}; pass --inputs")
    return tuple(head[i] for i in found)


def dask_sets(a: ChunkedModel, b: ChunkedModel, sets: Sets | None, limit: int = MAX_SUBSETS,
              client: Any = None) -> Sets:
    """``sets``, or the default sets (pivot label 0 with every other label, pivot input 0 and
    :func:`default_inputs`), refusing too many M-subsets before any input is read."""
    if (a.n, a.K, a.M) != (b.n, b.K, b.M):
        raise ClosenessError(f"the two models do not match: (n, K, M) = {(a.n, a.K, a.M)} vs {(b.n, b.K, b.M)}")
    if (a.weights is None) != (b.weights is None):
        raise ClosenessError("the two models must use the same input weights p_D")
    if sets is None:
        label_subsets(tuple(range(1, a.K)), a.M, limit)
        sets = Sets(0, tuple(range(1, a.K)), 0, default_inputs(a, b, 0, client))
    sets.validate(a.n, a.K, a.M)
    label_subsets(sets.labels, a.M, limit)
    return sets


def _small_rows(a: ChunkedModel, b: ChunkedModel, sets: Sets, limit: int, client: Any) -> dict[str, Any]:
    """Computation 1: the rows of ``f`` at ``x_0, S_X`` and of ``g`` at ``y_0, S_Y``, checked finite
    and the sets checked on them as :func:`theory.selection.require_invertible_sets` does."""
    xs, ys = [sets.pivot_input, *sets.inputs], [*sets.labels, sets.pivot_label]
    (fa, rows), (fb, _), (ga, labels), (gb, _) = (_gather_rows(x, i) for x, i in
                                                  ((a.f, xs), (b.f, xs), (a.g, ys), (b.g, ys)))
    fa, fb, ga, gb = (np.concatenate(parts) for parts in _compute([fa, fb, ga, gb], client))
    for x, model, what in ((fa, a, "f"), (fb, b, "f"), (ga, a, "g"), (gb, b, "g")):
        if not np.all(np.isfinite(x)):
            raise ClosenessError(f"{model.name}: {what} contains non-finite values (NaN or infinity) "
                                 "in the rows of the chosen sets")
    at_x, at_y = {x: i for i, x in enumerate(rows)}, {y: i for i, y in enumerate(labels)}
    fa, fb, ga, gb = (np.asarray(x, dtype=np.float64) for x in (fa, fb, ga, gb))
    x_rows = [at_x[x] for x in xs]
    y0, sy = at_y[sets.pivot_label], [at_y[y] for y in sets.labels]
    for subset in label_subsets(sets.labels, a.M, limit):
        ix = tuple(at_y[y] for y in subset)
        require_invertible(label_matrix(ga, y0, ix), f"L for labels {list(subset)}")
        require_invertible(label_matrix(gb, y0, ix), f"L' for labels {list(subset)}")
    nn = input_matrix(fa, x_rows[0], tuple(x_rows[1:]))
    nn2 = input_matrix(fb, x_rows[0], tuple(x_rows[1:]))
    require_invertible(nn, "N")
    require_invertible(nn2, "N'")
    lab = (label_matrix(ga, y0, tuple(sy)), label_matrix(gb, y0, tuple(sy)))
    return {"lab": lab, "x_rows": (fa[x_rows], fb[x_rows]), "nn": (nn, nn2),
            "scales": tuple(_reference_scale(f[x_rows] @ m) for f, m in zip((fa, fb), lab, strict=True))}


def _reference_scale(odds: np.ndarray) -> np.ndarray:
    """The reference scales ``r_y`` of :class:`theory.streaming.MainSums`: the SD of the log-odds
    over the rows of the sets (1 where it is 0; ``σ_y = 0`` is refused after the pass)."""
    sd = odds.std(axis=0)
    return np.where(sd > 0, sd, 1.0)


def _columns(sets: Sets, blocks: list[tuple[int, int]]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """For each block of labels: the positions in ``[*S_Y, y_0]`` of the labels in it, and their
    offsets in the block."""
    ys = np.array([*sets.labels, sets.pivot_label])
    out = []
    for lo, hi in blocks:
        at = np.flatnonzero((ys >= lo) & (ys < hi))
        out.append((at, ys[at] - lo))
    return tuple(out)


def dask_distances(
    a: ChunkedModel, b: ChunkedModel, sets: Sets, *, lam: float = 1e-5, mode: str = "max",
    limit: int = MAX_SUBSETS, chunk: int | None = None, seed: int = 0, client: Any = None,
) -> dict[str, Any]:
    """The values of :func:`theory.streaming.stream_distances` (``d_kl_ab``, ``d_kl_ba``, ``terms``,
    ``d_llv``, ``fg``, ``m_cca``, and ``d_logit``, ``d_rep`` as ``compare`` adds them) computed on
    Dask: on ``client``, or Dask's current scheduler.  ``chunk``: rows per sub-block inside a task
    (default :func:`theory.streaming.default_chunk`; a sweep over the labels takes as many
    sub-blocks as :data:`KEPT_LOGITS` allows); ``seed``: of a sampled ``d_rep``."""
    sets = dask_sets(a, b, sets, limit, client)
    small = _small_rows(a, b, sets, limit, client)
    names = (a.name, b.name)
    if a.name == b.name:
        names = (f"{a.name} (model A)", f"{b.name} (model B)")
    blocks = [_Block(i, lo, names) for i, (lo, _) in enumerate(a.row_blocks())]
    b_f, b_g = b.f.rechunk({0: a.f.chunks[0]}), b.g.rechunk({0: a.g.chunks[0]})
    f1s, f2s = _blocks_of(a.f), _blocks_of(b_f)
    w1s = _blocks_of(a.weights) if a.weights is not None else [None] * len(blocks)
    w2s = _blocks_of(b.weights.rechunk((a.f.chunks[0],))) if b.weights is not None else [None] * len(blocks)
    labels = a.label_blocks()
    g1, g2 = dask.delayed(_LabelBlocks(a.g, names[0]), pure=True), dask.delayed(_LabelBlocks(b_g, names[1]), pure=True)

    # the one pass over f, and beside it the input terms and the g side
    size = chunk if chunk is not None else default_chunk(a.K)
    sweep = max(size, KEPT_LOGITS // (len(sets.labels) + 1) // size * size)
    consts = dask.delayed(_PassConstants(small["lab"], a.M > 1, small["scales"], _columns(sets, labels),
                                         size, sweep), pure=True)
    one_pass = _tree([dask.delayed(_main_task)(where, f1, f2, w1, w2, consts, g1, g2)
                      for where, f1, f2, w1, w2 in zip(blocks, f1s, f2s, w1s, w2s, strict=True)])
    xa, xb = small["x_rows"]
    inputs = [dask.delayed(_input_terms_task)(np.concatenate([xa[:1], xa[1 + lo:1 + hi]]),
                                              np.concatenate([xb[:1], xb[1 + lo:1 + hi]]), g1, g2)
              for lo, hi in input_blocks(len(sets.inputs), size)]
    nn = dask.delayed(small["nn"], pure=True)
    ga_blocks, gb_blocks = _blocks_of(a.g), _blocks_of(b_g)
    label_side = _tree([dask.delayed(_label_task)(ga, gb, j, lo, names, nn)
                        for j, (ga, gb, (lo, _)) in enumerate(zip(ga_blocks, gb_blocks, labels, strict=True))])
    needed = _rep_labels(a, seed)
    picks = [] if isinstance(needed, str) else _label_picks(needed, labels)
    rows = [[dask.delayed(_rows_task)(g, j, offsets) for j, offsets in picks] for g in (g1, g2)]
    (odds, joint, sums), parts, (g_moments, grams), rows_a, rows_b = _compute(
        [one_pass, inputs, label_side, *rows], client)
    if odds.weight <= 0:
        raise ClosenessError("weights must be finite, non-negative and not all zero")
    sigma, sigma2 = _label_sd(odds, sets)
    s, s2, c, e = (np.concatenate([p[i] for p in parts]) for i in range(4))
    kl = sums.kl()
    terms = assemble_llv_terms(sets, sigma, sigma2, *sums.label_terms(sigma, sigma2), s, s2, c, e)
    return {
        "d_kl_ab": kl.ab,
        "d_kl_ba": kl.ba,
        "terms": terms,
        "d_llv": d_llv(terms, lam, mode),
        "fg": _fg_from_moments(sets, odds, g_moments, a.M, limit),
        "m_cca": m_cca_of_moments(joint),
        **_followup(joint, grams, (rows_a, rows_b), needed, a.K, seed),
    }


def _rep_labels(a: ChunkedModel, seed: int) -> list[int] | str:
    """The labels whose rows of ``G, G'`` ``d_rep`` needs (:func:`theory.logit.compare_rep_labels`), or
    why it is not computed: also when they hold more than :data:`CLIENT_G_ENTRIES` entries."""
    needed = compare_rep_labels(a.K, a.M, seed)
    if not isinstance(needed, str) and len(needed) * a.M > CLIENT_G_ENTRIES:
        return (f"not computed: its terms need {len(needed)} rows of G (M = {a.M}), more than the "
                f"{CLIENT_G_ENTRIES} entries the Dask engine reads into its client")
    return needed


def _followup(joint: Moments, grams: Moments, rows: tuple[list[np.ndarray], list[np.ndarray]],
              needed: list[int] | str, k: int, seed: int) -> dict[str, Any]:
    """``d_logit`` and ``d²_rep`` (:mod:`theory.logit`), as the streamed path of ``compare`` reports
    them.  ``d²_logit`` is the moment form of the joint second moments of ``(f, f')`` and of the Gram
    matrices of the centred unembeddings (the centred co-moments of ``(g, g')`` over the labels,
    merged over blocks of labels).  ``d²_rep`` depends on ``f, f'`` only through their joint second
    moments, so its one formula runs on :func:`theory.streaming.moment_points` of them with the rows
    of ``G, G'`` at the labels ``needed`` of its terms (read alone)."""
    second = joint.cov() + np.outer(joint.mean_u, joint.mean_u)
    m = second.shape[0] // 2
    c = grams.cross
    d2 = d_logit_sq_of_grams((c[:m, :m], c[m:, m:], c[:m, m:]), second[:m, :m], second[m:, m:], second[m:, :m])
    if isinstance(needed, str):
        return {"d_logit": d2 ** 0.5, "d_rep": needed}
    points = moment_points(second)
    ga, gb = (np.concatenate(r).astype(np.float64) for r in rows)
    pa, pb = Model(points[:, :m], ga), Model(points[:, m:], gb)
    return {"d_logit": d2 ** 0.5, "d_rep": rep_for_compare(pa, pb, FLOAT64, seed, LabelRows(k, tuple(needed)))}


def compare_dask(
    a: ChunkedModel, b: ChunkedModel, sets: Sets | None = None, *, lam: float = 1e-5, mode: str = "max",
    max_subsets: int = MAX_SUBSETS, chunk: int | None = None, seed: int = 0, client: Any = None,
) -> Comparison:
    """:func:`theory.compare.compare` at float64 with fixed sets, on Dask: the same
    ``closeness-compare/1`` JSON (:meth:`Comparison.as_json`)."""
    if not 0 <= lam < math.inf:
        raise ClosenessError(f"λ must be a finite non-negative number, got {lam}")
    if mode not in ("max", "sum"):
        raise ClosenessError(f"mode must be 'max' or 'sum', got {mode!r}")
    if chunk is not None and chunk < 1:
        raise ClosenessError(f"the chunk size must be a positive number of inputs, got {chunk}")
    sets = dask_sets(a, b, sets, max_subsets, client)
    values = dask_distances(a, b, sets, lam=lam, mode=mode, limit=max_subsets, chunk=chunk, seed=seed,
                            client=client)
    return Comparison(FLOAT64, sets, lam, mode, values, chunk=max(a.f.chunks[0]))


@contextmanager
def cluster_client(address: str | None = None) -> Iterator[Any]:
    """A ``distributed`` client of the scheduler at ``address``, or of a local cluster sized to the
    machine (one single-threaded worker process per core, memory shared among them)."""
    import logging

    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise ClosenessError("--engine dask needs the optional extra: pip install 'closeness-proofs[dask]'") from err
    if address is not None:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as err:
            raise ClosenessError(f"cannot reach the Dask scheduler at {address}: {err}") from err
        with client:
            yield client
        return
    with LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client

