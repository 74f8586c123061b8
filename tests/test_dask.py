"""The Dask engine (theory.dask_engine) against the in-memory and the streamed float64 paths."""

from __future__ import annotations

import json
import logging
import os
import signal
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

from distributed.diagnostics.plugin import SchedulerPlugin  # noqa: E402

import theory.dask_engine as dask_engine  # noqa: E402
from checks.cli import main  # noqa: E402
from test_streaming import disagreement, pair, rel, sets_for, write_dir  # noqa: E402
from theory.compare import compare  # noqa: E402
from theory.distances import Sets  # noqa: E402
from theory.dask_engine import _compute, chunked_model, compare_dask, load_chunked  # noqa: E402
from theory.errors import ClosenessError  # noqa: E402
from theory.model import Model  # noqa: E402
from theory.streaming import stream_distances  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Any:
    """Two single-threaded workers in this process (fast to start)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def differ(dask_values: dict[str, Any], memory: dict[str, Any]) -> float:
    """:func:`test_streaming.disagreement`, and the relative difference of ``d_logit`` and ``d²_rep``."""
    rep, rep_memory = dask_values["d_rep"], memory["d_rep"]
    assert isinstance(rep, str) == isinstance(rep_memory, str)
    follow = [abs(dask_values["d_logit"] - memory["d_logit"]) / abs(memory["d_logit"])]
    if not isinstance(rep, str):
        assert (rep.count, rep.total, rep.exact) == (rep_memory.count, rep_memory.total, rep_memory.exact)
        assert [t[:2] for t in rep.terms] == [t[:2] for t in rep_memory.terms]  # the same (pivot, set) terms
        follow.append(abs(rep.value - rep_memory.value) / abs(rep_memory.value))
    return max(disagreement(dask_values, memory), *follow)


def chunked_pair(a: Model, b: Model, rows: int | None = None) -> tuple[Any, Any]:
    return (chunked_model(a.f, a.g, a.weights, rows=rows, name="A"),
            chunked_model(b.f, b.g, b.weights, rows=rows, name="B"))


@pytest.mark.parametrize(
    ("n", "k", "m", "labels", "weighted"),
    [(300, 40, 3, 3, False), (300, 40, 3, 3, True), (250, 30, 2, 6, False), (200, 50, 1, 30, True)],
)
def test_dask_equals_in_memory(client: Any, n: int, k: int, m: int, labels: int, weighted: bool) -> None:
    a, b = pair(n, k, m, seed=n + k, weighted=weighted)
    sets = sets_for(labels, m)
    memory = compare(a, b, sets)
    for rows in (16, n):
        result = compare_dask(*chunked_pair(a, b, rows), sets, client=client)
        assert differ(result.values, memory.values) < 1e-12, rows
        assert result.as_json().keys() == memory.as_json().keys()


def test_uneven_chunking_equals_streamed(client: Any) -> None:
    """Blocks of 13, 100, 1, 86 and 100 rows for model A and even blocks of 64 for model B (aligned
    to A's), sub-blocks of 5 rows inside a task, and a label tile smaller than K: the values equal
    the in-memory path and the single-process streamed path."""
    a, b = pair(300, 700, 3, seed=12, weighted=True, scale=3.0)
    sets = sets_for(4, 3)
    fa = da.from_array(np.asarray(a.f), chunks=((13, 100, 1, 86, 100), 3))
    fb = da.from_array(np.asarray(b.f), chunks=(64, 3))
    ca = chunked_model(fa, da.from_array(np.asarray(a.g), chunks=(100, 3)), a.weights, name="A")
    cb = chunked_model(fb, b.g, da.from_array(np.asarray(b.weights), chunks=50), name="B")
    assert ca.f.chunks[0] == (13, 100, 1, 86, 100)
    result = compare_dask(ca, cb, sets, chunk=5, client=client).values
    assert differ(result, compare(a, b, sets).values) < 1e-12
    assert disagreement(result, stream_distances(a, b, sets, chunk=16)) < 1e-12


def test_large_logits_and_default_sets(client: Any) -> None:
    """Logits beyond the unshifted range take the shifted path; without sets the default sets of
    the in-memory path are chosen (pivots 0, every other label, the first independent inputs), also
    with blocks of 3 labels (the columns ``S_Y`` spread over every block)."""
    a, b = pair(120, 8, 2, seed=5, scale=300.0)
    memory = compare(a, b)
    for labels in (None, 3):
        ca, cb = (chunked_model(m.f, m.g, rows=32, label_rows=labels, name=n) for m, n in ((a, "A"), (b, "B")))
        result = compare_dask(ca, cb, client=client)
        assert result.sets == memory.sets
        assert differ(result.values, memory.values) < 1e-12, labels


@pytest.mark.parametrize("labels", [64, 100, 333, (13, 400, 1, 286)])
def test_blocks_of_labels_equal_in_memory(client: Any, labels: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of labels smaller than K (even, and the uneven 13, 400, 1, 286), several sweeps over
    the labels per task (kept logits of 5 rows), labels 350..449 scaled ×80 so that some blocks of
    labels need a shift and others not: the online log-sum-exp across blocks of labels gives the
    in-memory values, and the single-process streamed path's."""
    monkeypatch.setattr(dask_engine, "KEPT_LOGITS", 40)
    a, b = pair(300, 700, 3, seed=19, weighted=True)
    for m in (a, b):
        m.g[350:450] *= 80
    sets = sets_for(4, 3)
    if isinstance(labels, tuple):
        ga, gb = (da.from_array(np.asarray(m.g), chunks=(labels, 3)) for m in (a, b))
        ca = chunked_model(a.f, ga, a.weights, rows=64, name="A")
        cb = chunked_model(b.f, gb, b.weights, rows=64, name="B")
        assert ca.g.chunks[0] == labels
    else:
        ca, cb = (chunked_model(m.f, m.g, m.weights, rows=64, label_rows=labels, name=n)
                  for m, n in ((a, "A"), (b, "B")))
        assert max(ca.g.chunks[0]) == labels < a.K
    result = compare_dask(ca, cb, sets, chunk=5, client=client).values
    assert differ(result, compare(a, b, sets).values) < 1e-12
    assert disagreement(result, stream_distances(a, b, sets, chunk=16)) < 1e-12


def test_close_models(client: Any) -> None:
    """Models 100 times closer than elsewhere: ``a_y, b_y``, accumulated against the reference scales
    of the rows of the sets and finished with ``σ_y``, still equal the in-memory values to 1e-12; the
    other quantities are as close as the two passes of the streamed path get (the f side of
    ``d_{f,g}`` is itself ill-conditioned here: about 1e-10 on both paths)."""
    a, b = pair(400, 300, 3, seed=23, noise=3e-3, weighted=True)
    sets = sets_for(5, 3)
    result = compare_dask(*chunked_pair(a, b, 50), sets, client=client).values
    memory = compare(a, b, sets).values
    for name in ("a", "b"):
        assert rel(getattr(result["terms"], name), getattr(memory["terms"], name)) < 1e-12, name
    streamed = stream_distances(a, b, sets, chunk=16)
    assert disagreement(result, memory) <= max(2 * disagreement(streamed, memory), 1e-12)


#: Rows read from each :class:`Recorded` array, by key.
READS: dict[str, list[tuple[int, int]]] = {}


class Recorded:
    """An array read as storage is, recording the rows of every read in ``READS[key]``."""

    def __init__(self, key: str, x: np.ndarray) -> None:
        self.key, self.x = key, np.asarray(x)
        self.shape, self.dtype, self.ndim = self.x.shape, self.x.dtype, self.x.ndim
        READS[key] = []

    def __getitem__(self, item: Any) -> np.ndarray:
        rows = item[0] if isinstance(item, tuple) else item
        assert isinstance(rows, slice)
        lo, hi, _ = rows.indices(self.shape[0])
        if hi > lo:
            READS[self.key].append((lo, hi))
        return np.array(self.x[item])

    def __dask_tokenize__(self) -> Any:
        return ("recorded", self.key)


def test_f_is_read_once_and_g_in_blocks_of_labels(client: Any) -> None:
    """Every row of ``f`` is read once, by the one pass (the rows of the sets, ``x_0`` and ``S_X``,
    once more before it); every read of ``g``, by any task, is of at most one block of labels."""
    a, b = pair(400, 500, 3, seed=21, weighted=True)
    sets = Sets(0, (1, 2, 3), 0, (1, 2, 7))
    models = []
    for m, name in ((a, "A"), (b, "B")):
        f = da.from_array(Recorded(f"f {name}", m.f), chunks=(64, 3))
        g = da.from_array(Recorded(f"g {name}", m.g), chunks=(70, 3))
        models.append(chunked_model(f, g, m.weights, name=name))
    result = compare_dask(*models, sets, client=client)
    assert differ(result.values, compare(a, b, sets).values) < 1e-12
    for name in ("A", "B"):
        count = np.zeros(a.n, dtype=int)
        for lo, hi in READS[f"f {name}"]:
            count[lo:hi] += 1
        expected = np.ones(a.n, dtype=int)
        expected[[0, 1, 2, 7]] = 2
        assert np.array_equal(count, expected), name
        labels = READS[f"g {name}"]
        assert max(hi - lo for lo, hi in labels) <= 70 and len(labels) > 2 * len(models[0].f.chunks[0])


def test_a_task_of_the_pass_holds_blocks_of_labels_not_g(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """G, G' of 1.28 MB each read from ``.npy`` files in blocks of 500 labels (32 kB): the memory a
    task of the pass allocates (traced, peak) stays below one G; with one block of labels (G whole)
    it does not, so the measure can fail.  Both give the same values."""
    a, b = pair(64, 20_000, 8, seed=17)
    dirs = [write_dir(tmp_path / n, m) for m, n in ((a, "a"), (b, "b"))]
    sets = sets_for(8, 8)
    peaks: list[int] = []
    task = dask_engine._main_task

    def measured(*args: Any) -> Any:
        tracemalloc.start()
        try:
            out = task(*args)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        return out

    monkeypatch.setattr(dask_engine, "_main_task", measured)
    g_bytes = a.K * a.M * 8
    values, largest = [], []
    with dask.config.set(scheduler="sync"):
        for labels in (500, a.K):
            peaks.clear()
            ca, cb = (load_chunked(d, rows=16, label_rows=labels, name=n) for d, n in zip(dirs, "AB", strict=True))
            values.append(compare_dask(ca, cb, sets).values)
            largest.append(max(peaks))
    assert len(peaks) == 4
    assert largest[0] < g_bytes < largest[1], (largest, g_bytes)
    assert disagreement(values[0], values[1]) < 1e-12


def entries(x: Any, depth: int = 0) -> int:
    """Numbers held by a computed result: the entries of its arrays, its floats, in its containers
    and attributes."""
    if isinstance(x, np.ndarray):
        return int(x.size)
    if isinstance(x, float):
        return 1
    if depth > 8 or x is None or isinstance(x, (str, bytes, int, bool)):
        return 0
    if isinstance(x, dict):
        return sum(entries(v, depth + 1) for v in x.values())
    if isinstance(x, (list, tuple)):
        return sum(entries(v, depth + 1) for v in x)
    fields = getattr(x, "__dict__", None) or {k: getattr(x, k) for k in getattr(x, "__slots__", ())}
    return sum(entries(v, depth + 1) for v in fields.values())


def test_the_client_never_holds_g(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """K = 20 000 labels in blocks of 1 000 (G, G' of 40 000 entries each), d_rep sampled: all the
    Dask computations together bring fewer than K·M/4 numbers into the client (the Gram matrices,
    the rows of the sampled terms), and d_logit, d_rep equal the in-memory ones.  Gathering the
    blocks of G alone is counted as K·M, so the measure can fail."""
    a, b = pair(200, 20_000, 2, seed=29, weighted=True)
    sets = sets_for(3, 2)
    ca, cb = (chunked_model(m.f, m.g, m.weights, rows=50, label_rows=1000, name=n) for m, n in ((a, "A"), (b, "B")))
    received: list[int] = []

    def counted(objs: list[Any], c: Any) -> list[Any]:
        out = _compute(objs, c)
        received.append(entries(out))
        return out

    monkeypatch.setattr(dask_engine, "_compute", counted)
    result = compare_dask(ca, cb, sets, client=client).values
    memory = compare(a, b, sets).values
    assert not result["d_rep"].exact
    assert differ(result, memory) < 1e-12
    assert sum(received) < a.K * a.M / 4, received
    received.clear()
    dask_engine._compute([list(ca.g.to_delayed().ravel())], client)
    assert received == [a.K * a.M]


def test_d_rep_refused_beyond_the_client_limit(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exact (K = 50, M = 1) and sampled (K = 40, M = 3) d_rep whose rows of G exceed
    :data:`CLIENT_G_ENTRIES` are not computed, with the reason; d_logit is unchanged."""
    monkeypatch.setattr(dask_engine, "CLIENT_G_ENTRIES", 49)
    for n, k, m in ((200, 50, 1), (300, 40, 3)):
        a, b = pair(n, k, m, seed=n + k)
        sets = sets_for(m, m)
        result = compare_dask(*chunked_pair(a, b, 40), sets, client=client).values
        memory = compare(a, b, sets).values
        assert isinstance(result["d_rep"], str) and not isinstance(memory["d_rep"], str)
        assert "more than the 49 entries" in result["d_rep"]
        assert abs(result["d_logit"] - memory["d_logit"]) <= 1e-12 * memory["d_logit"]


def test_storage_formats(tmp_path: Path, client: Any) -> None:
    """.npy directories (a memory map per block), zarr groups and HDF5 files give the same values."""
    zarr = pytest.importorskip("zarr")
    a, b = pair(150, 12, 2, seed=3, weighted=True)
    sets = sets_for(2, 2)
    memory = compare(a, b, sets).values
    for model, name in ((a, "a"), (b, "b")):
        d = write_dir(tmp_path / f"{name}_npy", model)
        np.save(d / "weights.npy", np.asarray(model.weights))
        group = zarr.open_group(str(tmp_path / f"{name}.zarr"), mode="w")
        for key, arr in (("f", model.f), ("g", model.g), ("weights", model.weights)):
            group.create_array(key, shape=arr.shape, chunks=(40, *arr.shape[1:]), dtype="f8")[...] = arr
    paths = {"npy": ("a_npy", "b_npy"), "zarr": ("a.zarr", "b.zarr")}
    try:
        import h5py
    except ImportError:
        pass
    else:
        for model, name in ((a, "a"), (b, "b")):
            with h5py.File(tmp_path / f"{name}.h5", "w") as fh:
                fh.create_dataset("f", data=model.f, chunks=(30, 2))
                fh["g"], fh["weights"] = model.g, model.weights
        paths["hdf5"] = ("a.h5", "b.h5")
    paths["zarr at a URL"] = (f"file://{tmp_path}/a.zarr", f"file://{tmp_path}/b.zarr")
    for kind, (pa, pb) in paths.items():
        where_a, where_b = (p if "://" in p else tmp_path / p for p in (pa, pb))
        ca = load_chunked(where_a, rows=None if kind.startswith("zarr") else 40)  # zarr: its own chunks
        cb = load_chunked(where_b, rows=50)
        assert len(ca.f.chunks[0]) > 1, kind
        assert differ(compare_dask(ca, cb, sets, client=client).values, memory) < 1e-12, kind


def close(x: Any, y: Any, rel: float = 1e-12) -> bool:
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(close(x[k], y[k], rel) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(close(u, v, rel) for u, v in zip(x, y, strict=True))
    if isinstance(x, float):
        return abs(x - y) <= rel * max(abs(y), 1e-300)
    return bool(x == y)


def test_cli_same_json_as_in_memory(tmp_path: Path, client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = pair(200, 30, 2, seed=6)
    da_, db_ = write_dir(tmp_path / "a", a), write_dir(tmp_path / "b", b)
    sets = ["--labels", "1-4", "--pivot-input", "3"]
    assert main(["compare", str(da_), str(db_), *sets, "--json"]) == 0
    memory = json.loads(capsys.readouterr().out)
    args = ["compare", str(da_), str(db_), *sets, "--engine", "dask", "--scheduler", client.scheduler.address]
    assert main([*args, "--json", "--chunk", "64"]) == 0
    assert close(json.loads(capsys.readouterr().out), memory)
    assert main(args) == 0
    assert "d_{f,g}" in capsys.readouterr().out
    for extra, word in ((["--dps", "30"], "float64 with fixed sets"), (["--selection", "paper"], "fixed sets"),
                        (["--chunk", "0"], "positive")):
        assert main([*args, *extra]) == 2
        err = capsys.readouterr().err
        assert word in err and err.count("\n") == 1, err
    assert main(["compare", str(da_), str(db_), "--scheduler", client.scheduler.address]) == 2
    assert "--engine dask" in capsys.readouterr().err


def test_cli_local_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --scheduler: a local cluster of worker processes, one per core (one core here, to
    start fast)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    a, b = pair(100, 12, 2, seed=8)
    da_, db_ = write_dir(tmp_path / "a", a), write_dir(tmp_path / "b", b)
    assert main(["compare", str(da_), str(db_), "--labels", "1-2", "--json"]) == 0
    memory = json.loads(capsys.readouterr().out)
    assert main(["compare", str(da_), str(db_), "--labels", "1-2", "--engine", "dask", "--json"]) == 0
    assert close(json.loads(capsys.readouterr().out), memory)


def test_non_finite_block_is_named(tmp_path: Path, client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    zarr = pytest.importorskip("zarr")
    a, b = pair(100, 12, 2, seed=4)
    f = np.array(a.f)
    f[57, 1] = np.nan
    with pytest.raises(ClosenessError, match=r"A: f has a non-finite value .* in block 2 \(rows 40\.\.59\), "
                                             r"first at row 57, column 1"):
        compare_dask(chunked_model(f, a.g, rows=20, name="A"), chunked_model(b.f, b.g, rows=20, name="B"),
                     sets_for(2, 2), client=client)
    g = np.array(a.g)
    g[9, 0] = np.inf
    with pytest.raises(ClosenessError, match=r"A: g has a non-finite value .* in block 2 \(rows 8\.\.11\), "
                                             r"first at row 9, column 0"):
        compare_dask(chunked_model(a.f, g, rows=20, label_rows=4, name="A"), chunked_model(b.f, b.g, rows=20, name="B"),
                     sets_for(2, 2), client=client)
    for model, name, bad in ((a, "a", False), (b, "b", True)):
        group = zarr.open_group(str(tmp_path / f"{name}.zarr"), mode="w")
        ff = np.array(model.f)
        if bad:
            ff[93, 0] = np.inf
        group.create_array("f", shape=ff.shape, chunks=(25, 2), dtype="f8")[...] = ff
        group.create_array("g", shape=model.g.shape, chunks=(12, 2), dtype="f8")[...] = model.g
    args = ["compare", str(tmp_path / "a.zarr"), str(tmp_path / "b.zarr"), "--labels", "1-2", "--engine", "dask",
            "--scheduler", client.scheduler.address]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model B: f has a non-finite value" in err and "block 3 (rows 75..99)" in err, err


class _LostWorkers:
    """A client whose computations lose their workers."""

    def compute(self, objs: Any, sync: bool) -> Any:
        raise distributed.KilledWorker("_main_task-0", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)


def test_lost_workers_are_a_clear_error() -> None:
    with pytest.raises(ClosenessError, match="lost its workers"):
        _compute([dask.delayed(1)], _LostWorkers())


class _KillOnFirstResult(SchedulerPlugin):
    """SIGKILL the worker process that holds the first result of the main pass, at once."""

    def __init__(self, scheduler: Any, pids: dict[str, int]) -> None:
        self.scheduler, self.pids = scheduler, pids
        self.killed: str | None = None
        self.pending = 0

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if self.killed is None and finish == "memory" and str(key).startswith("_main_task"):
            self.killed = next(iter(self.scheduler.tasks[key].who_has)).address
            self.pending = sum(str(k).startswith("_main_task") and ts.state != "memory"
                               for k, ts in self.scheduler.tasks.items())
            os.kill(self.pids[self.killed], signal.SIGKILL)


def test_killed_worker_gives_the_right_answer() -> None:
    """SIGKILL one of two worker processes when the first block of the main pass is done: its
    tasks and results are recomputed elsewhere and the values equal the streamed path's."""
    a, b = pair(2000, 1000, 3, seed=13, weighted=True)
    sets = sets_for(3, 3)
    expected = stream_distances(a, b, sets, chunk=64)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.CRITICAL) as cluster, distributed.Client(cluster) as c:
        plugin = _KillOnFirstResult(cluster.scheduler, c.run(os.getpid))
        cluster.scheduler.add_plugin(plugin)
        result = compare_dask(*chunked_pair(a, b, 50), sets, client=c)
    assert plugin.killed is not None and plugin.pending >= 20  # killed with most of the main pass to run
    assert disagreement(result.values, expected) < 1e-12
