"""Benchmark of the Dask engine (theory.dask_engine; not part of the default test run).

    python3 tests/benchmarks/dask_bench.py [--n 100000] [--k 50000] [--m 256]
                                           [--curve 10000,20000,50000,100000] [--rows 4096]
                                           [--label-rows L] [--json FILE]

Two random models (as in ``run.py target``) are written as ``.npy`` directories in a temporary folder
and compared with |S_Y| = M by:

* the single-process streamed path, ``closeness compare A B`` in a subprocess (wall and CPU time,
  peak RSS);
* the two products ``F Gᵀ``, ``F' G'ᵀ`` alone, in the blocks and threads of the streamed path (wall
  and CPU time);
* the Dask engine on a local cluster of 2 single-threaded worker processes (``compare_dask``, models
  read block by block from the same files: ``--rows`` rows of f per task, g in blocks of
  ``--label-rows`` labels, default 64 MiB blocks): wall time, CPU time of the workers and of this process
  (client and scheduler), peak RSS of each worker, at every n of ``--curve`` (the first n inputs),
  and its largest relative difference from the streamed path's JSON at the full n.

Figures are single runs (the full run takes minutes) with the machine and its load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import ROOT, cpu_seconds, machine, products_only, write_target  # noqa: E402

from theory.dask_engine import chunked_model, compare_dask, load_chunked  # noqa: E402
from theory.distances import Sets  # noqa: E402
from theory.io import load_model  # noqa: E402
from theory.streaming import default_chunk  # noqa: E402


def worker_usage(dask_worker: Any = None) -> dict[str, float]:
    """CPU seconds and peak RSS (GiB) of a worker process (run on the workers by ``client.run``)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": r.ru_utime + r.ru_stime, "peak_rss_GiB": r.ru_maxrss / 2**20}


def largest_difference(x: Any, y: Any) -> float:
    """Largest relative difference between the numbers of two JSON objects of the same shape."""
    if isinstance(x, dict):
        return max((largest_difference(x[k], y[k]) for k in x if k in y), default=0.0)
    if isinstance(x, list):
        return max((largest_difference(u, v) for u, v in zip(x, y, strict=False)), default=0.0)
    if isinstance(x, float) and isinstance(y, float):
        return abs(x - y) / max(abs(y), 1e-300)
    return 0.0


def streamed(da: Path, db: Path, m: int) -> dict[str, Any]:
    """``closeness compare`` (local engine: streamed above n·K = 10⁷) in a subprocess."""
    sets = ["--pivot-label", "0", "--labels", f"1-{m}", "--pivot-input", "0", "--inputs", f"1-{m}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "checks", "compare", str(da), str(db), *sets, "--json"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_GiB": round(after.ru_maxrss / 2**20, 3),
            "json": json.loads(proc.stdout)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=50_000)
    parser.add_argument("--m", type=int, default=256)
    parser.add_argument("--curve", default="10000,20000,50000,100000", help="n of the cost curve, comma-separated")
    parser.add_argument("--rows", type=int, default=4096, help="rows of f per Dask task")
    parser.add_argument("--label-rows", type=int, default=None, help="labels per block of g (default: 64 MiB blocks)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    curve = sorted({int(v) for v in args.curve.split(",")} | {args.n})
    report: dict[str, Any] = {"machine": machine(), "n": args.n, "K": args.k, "M": args.m, "rows_per_task": args.rows}
    sets = Sets(0, tuple(range(1, args.m + 1)), 0, tuple(range(1, args.m + 1)))
    with tempfile.TemporaryDirectory() as tmp:
        da, db = write_target(Path(tmp), args.n, args.k, args.m)
        one = streamed(da, db, args.m)
        report["streamed_single_process"] = {k: v for k, v in one.items() if k != "json"}
        print(json.dumps({"streamed_single_process": report["streamed_single_process"]}), flush=True)
        a, b = load_model(da), load_model(db)
        t, c = time.perf_counter(), cpu_seconds()
        products_only(a, b, default_chunk(args.k))
        report["two_products_only"] = {"wall_s": time.perf_counter() - t, "cpu_s": cpu_seconds() - c}
        print(json.dumps({"two_products_only": report["two_products_only"]}), flush=True)
        del a, b
        ca, cb = (load_chunked(d, rows=args.rows, name=n, label_rows=args.label_rows)
                  for d, n in ((da, "A"), (db, "B")))
        report["labels_per_block"] = max(ca.g.chunks[0])
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                          memory_limit=None) as cluster, Client(cluster) as client:
            start_cluster = time.perf_counter()
            client.run(lambda: None)
            points = []
            for n in curve:
                pa = chunked_model(ca.f[:n], ca.g, None, name="A")
                pb = chunked_model(cb.f[:n], cb.g, None, name="B")
                before = client.run(worker_usage)
                t, c = time.perf_counter(), cpu_seconds()
                result = compare_dask(pa, pb, sets, client=client)
                wall, here = time.perf_counter() - t, cpu_seconds() - c
                after = client.run(worker_usage)
                cpu = sum(after[w]["cpu_s"] - before[w]["cpu_s"] for w in after if w in before)
                point = {"n": n, "wall_s": wall, "workers_cpu_s": cpu, "client_and_scheduler_cpu_s": here,
                         "wall_s_per_10k_inputs": wall * 1e4 / n}
                if n == args.n:
                    point["largest_relative_difference_from_streamed"] = largest_difference(
                        json.loads(json.dumps(result.as_json())), one["json"])
                points.append(point)
                print(json.dumps({"dask": point}), flush=True)
            report["dask_cost_curve"] = points
            report["dask_peak_rss_GiB_per_worker"] = [round(u["peak_rss_GiB"], 3)
                                                     for u in client.run(worker_usage).values()]
            report["dask_session_s"] = time.perf_counter() - start_cluster
    full = next(p for p in points if p["n"] == args.n)
    report["ratio_dask_to_streamed"] = {"wall": full["wall_s"] / one["wall_s"],
                                        "cpu": full["workers_cpu_s"] / one["cpu_s"]}
    report["ratio_dask_to_products"] = {"wall": full["wall_s"] / report["two_products_only"]["wall_s"],
                                        "cpu": full["workers_cpu_s"] / report["two_products_only"]["cpu_s"]}
    first, last = points[0], points[-1]
    report["growth_wall_per_input_last_over_first"] = (last["wall_s"] / last["n"]) / (first["wall_s"] / first["n"])
    report["load_average_1min_end"] = os.getloadavg()[0]
    summary = {k: v for k, v in report.items() if k != "dask_cost_curve"}
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
