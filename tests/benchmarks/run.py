"""Benchmarks of the distances (not part of the default test run).

    python3 tests/benchmarks/run.py [verify] [table1] [target] [mp50] [precise] [search] [selection]
                                    [--repeat R] [--json FILE]

* ``verify`` -- ``closeness verify`` as a whole process (wall, CPU, peak memory), in one process
  (``--jobs 1``) and with one worker per core, and the CPU seconds of each section's checks;
* ``table1`` -- the Table 1-sized pair (3500 inputs, 7 labels, M = 2; theory.counterexample,
  ρ = 5) at float64: ``compare`` with the sets fixed, each part of it, and the streamed path;
* ``target`` -- n = 10,000 inputs, K = 50,000 labels, M = 256, |S_Y| = M: two random models written
  as memory-mapped ``.npy`` directories in a temporary folder, ``closeness compare`` run on them
  (wall time, peak RSS) and the two products ``F Gᵀ``, ``F' G'ᵀ`` alone in the same blocks;
* ``mp50`` -- ``compare`` on the Table 1 pair at 50 digits (mpmath precision);
* ``precise`` -- float64, 50 digits and certified (balls, 30 digits) on the Table 1 pair (as whole
  ``closeness compare`` processes and in process) and on a pair ten times larger (35,000 inputs, in
  process), each run in turn with the others (so a change of the machine's load affects them
  alike), as medians and as ratios to float64 measured in the same run;
* ``search`` -- examples per second of ``closeness search kl`` and ``closeness search bound``;
* ``selection`` -- the paper's selection on two random models with K = 700 labels, n = 3500, M = 2:
  the label selection from moment matrices (theory.selection.paper_labels), the input selection, and
  the per-pivot scan it replaces (the tests' independent scan, run once) with the old-to-new ratio.

Every figure is the best of ``--repeat`` runs (medians are printed too) with the machine and its
load average, since other processes on a shared 2-core machine change timings several-fold.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from theory.compare import compare  # noqa: E402
from theory.distances import Sets, d_fg, d_kl, llv_terms, m_cca  # noqa: E402
from theory.io import load_model  # noqa: E402
from theory.model import Model, log_probs  # noqa: E402
from theory.precision import FLOAT64  # noqa: E402
from theory.selection import paper_inputs, paper_labels, paper_sets  # noqa: E402
from theory.streaming import (  # noqa: E402
    _TILES,
    TILE_ENTRIES,
    _blas_held,
    _in_order,
    default_chunk,
    default_workers,
    stream_distances,
)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_GiB": round(mem, 1), "python": platform.python_version(),
            "numpy": np.__version__, "load_average_1min": os.getloadavg()[0]}


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Best and median wall time in seconds over ``repeat`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"best_s": min(times), "median_s": float(np.median(times))}


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def interleaved(fns: list[Callable[[], Any]], repeat: int) -> list[dict[str, float]]:
    """Like :func:`timed` for several functions, run in turn, so that a change of the machine's
    load affects them alike (their ratio is what matters); also their CPU time, which other
    processes on the machine disturb much less than the wall time."""
    times: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn()
    for _ in range(repeat):
        for fn, acc, acc_cpu in zip(fns, times, cpu, strict=True):
            c, t = cpu_seconds(), time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t)
            acc_cpu.append(cpu_seconds() - c)
    return [{"best_s": min(t), "median_s": float(np.median(t)), "cpu_best_s": min(c)}
            for t, c in zip(times, cpu, strict=True)]


def table1_pair() -> tuple[Model, Model, Sets]:
    """The Section 3 pair at ρ = 5 (3500 inputs, K = 7, M = 2) with the paper's selection of sets."""
    from theory.counterexample import paper_random

    a, b = paper_random().models(5.0)
    sets = paper_sets(a, b, log_probs(a), log_probs(b), samples=100, seed=0)
    return a, b, sets


def bench_table1(repeat: int) -> dict[str, Any]:
    a, b, sets = table1_pair()
    ell, ell2 = log_probs(a), log_probs(b)
    parts = {
        "compare (fixed sets, float64)": lambda: compare(a, b, sets),
        "  log_probs, both models": lambda: (log_probs(a), log_probs(b)),
        "  d_kl, both directions": lambda: (d_kl(ell, ell2), d_kl(ell2, ell)),
        "  llv_terms": lambda: llv_terms(ell, ell2, sets),
        f"  d_fg ({len(sets.labels)} labels: C({len(sets.labels)}, 2) subsets)": lambda: d_fg(a.f, a.g, b.f, b.g, sets),
        "  m_cca": lambda: m_cca(a.f, b.f),
        "stream_distances (same values)": lambda: stream_distances(a, b, sets),
    }
    return {"n": a.n, "K": a.K, "M": a.M, "labels": len(sets.labels),
            "times": {name: timed(fn, repeat) for name, fn in parts.items()}}


def bench_mp50(repeat: int) -> dict[str, Any]:
    a, b, sets = table1_pair()
    return {"n": a.n, "K": a.K, "M": a.M, "dps": 50,
            "times": {"compare (fixed sets, 50 digits)": timed(lambda: compare(a, b, sets, dps=50), repeat)}}


def write_target(folder: Path, n: int, k: int, m: int) -> tuple[Path, Path]:
    """Two random models as directories of ``.npy`` files (logits of standard deviation ~3)."""
    rng = np.random.default_rng(0)
    f, g = rng.standard_normal((n, m)), rng.standard_normal((k, m)) * (3 / np.sqrt(m))
    out = []
    for name, (ff, gg) in {"a": (f, g), "b": (f + 0.1 * rng.standard_normal((n, m)),
                                            g + 0.1 * (3 / np.sqrt(m)) * rng.standard_normal((k, m)))}.items():
        d = folder / name
        d.mkdir()
        np.save(d / "f.npy", ff)
        np.save(d / "g.npy", gg)
        out.append(d)
    del f, g
    return out[0], out[1]


def products_only(a: Model, b: Model, chunk: int) -> None:
    """The two products ``F Gᵀ`` and ``F' G'ᵀ`` alone, in the blocks, tiles and threads of the
    streamed path (theory.streaming), so that the ratio measures everything else it does."""
    g1, g2 = FLOAT64.array(a.g), FLOAT64.array(b.g)
    width = min(max(256, TILE_ENTRIES // chunk), a.K)

    def block(bounds: tuple[int, int]) -> None:
        lo, hi = bounds
        f1 = np.ascontiguousarray(a.f[lo:hi], dtype=float)
        f2 = np.ascontiguousarray(b.f[lo:hi], dtype=float)
        z1, z2, _ = _TILES.get(hi - lo, width)
        for j in range(0, a.K, width):
            k = min(width, a.K - j)
            np.matmul(f1, g1[j:j + k].T, out=z1[: hi - lo, :k])
            np.matmul(f2, g2[j:j + k].T, out=z2[: hi - lo, :k])

    blocks = [(lo, min(lo + chunk, a.n)) for lo in range(0, a.n, chunk)]
    with _blas_held(None):
        for _ in _in_order(block, blocks, default_workers()):
            pass


def bench_target(repeat: int, n: int = 10_000, k: int = 50_000, m: int = 256) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        da, db = write_target(Path(tmp), n, k, m)
        sets_args = ["--pivot-label", "0", "--labels", f"1-{m}", "--pivot-input", "0", "--inputs", f"1-{m}"]
        refusal = subprocess.run([sys.executable, "-m", "checks", "compare", str(da), str(db)],
                                 capture_output=True, text=True, cwd=ROOT, check=False)
        cli = []
        for _ in range(repeat):
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "checks", "compare", str(da), str(db), *sets_args, "--json"],
                                  capture_output=True, text=True, cwd=ROOT, check=False)
            cli.append(time.perf_counter() - t)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB → GiB
        a, b = load_model(da), load_model(db)
        sets = Sets(0, tuple(range(1, m + 1)), 0, tuple(range(1, m + 1)))
        chunk = default_chunk(k)
        whole, products = interleaved([lambda: compare(a, b, sets), lambda: products_only(a, b, chunk)], repeat)
        result = json.loads(proc.stdout)
    return {
        "n": n, "K": k, "M": m, "chunk": chunk, "threads": default_workers(),
        "cli_wall_s": {"best_s": min(cli), "median_s": float(np.median(cli))},
        "cli_peak_rss_GiB": round(peak, 3),
        "compare_in_process": whole,
        "two_products_only": products,
        "ratio_best": whole["best_s"] / products["best_s"],
        "ratio_cpu": whole["cpu_best_s"] / products["cpu_best_s"],
        "d_llv": result["d_llv"], "d_kl_ab": result["d_kl"]["ab"],
        "default_sets_refusal": {"exit": refusal.returncode, "message": refusal.stderr.strip()},
    }


def bench_search(repeat: int) -> dict[str, Any]:
    runs = {
        "kl": ["search", "kl", "--eps", "1e-3", "--examples", "200", "--seed", "0", "--json"],
        "bound": ["search", "bound", "--examples", "200", "--seed", "0", "--json"],
    }
    out: dict[str, Any] = {}
    for name, args in runs.items():
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "checks", *args], capture_output=True, text=True,
                                  cwd=ROOT, check=False)
            times.append(time.perf_counter() - t)
        if proc.returncode not in (0, 1):
            out[name] = {"error": proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
            continue
        examples = int(args[args.index("--examples") + 1])
        out[name] = {"examples": examples, "best_s": min(times), "examples_per_s": examples / min(times),
                     "note": "wall time of the whole command: exploration, shrinking, high-precision re-check"}
    return out


def bench_selection(repeat: int, n: int = 3500, k: int = 700, m: int = 2) -> dict[str, Any]:
    from tests.test_selection_fast import scan

    rng = np.random.default_rng(0)
    f, g = rng.standard_normal((n, m)), rng.standard_normal((k, m)) * (3 / np.sqrt(m))
    a = Model(f, g)
    b = Model(f + 0.1 * rng.standard_normal((n, m)), g + 0.1 * (3 / np.sqrt(m)) * rng.standard_normal((k, m)))
    ell, ell2 = log_probs(a), log_probs(b)
    fast = timed(lambda: paper_labels(ell, ell2), repeat)
    inputs = timed(lambda: paper_inputs(a, b, ell, ell2, 100, 0), repeat)
    t = time.perf_counter()
    old = scan(ell, ell2)
    old_s = time.perf_counter() - t
    new = paper_labels(ell, ell2)
    return {
        "n": n, "K": k, "M": m,
        "paper_labels": fast, "paper_inputs (100 draws)": inputs,
        "per_pivot_scan_s (once)": old_s, "ratio_old_to_new": old_s / fast["best_s"],
        "same_choice": old[:2] == new[:2], "choice": list(new[:2]),
    }


def write_pair(folder: Path, per_class: int, rho: float = 5.0) -> tuple[Path, Path]:
    """The Section 3 pair (seed 0, ``per_class`` inputs per class, K = 7, M = 2) at length ρ as two ``.npz``."""
    from theory.counterexample import paper_random
    from theory.io import save_model

    a, b = paper_random(0, per_class=per_class).models(rho)
    return save_model(folder / "model_a.npz", a), save_model(folder / "model_b.npz", b)


def run_process(args: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> dict[str, float]:
    """Wall and CPU seconds of one whole process (CPU: user + system, the operating system's
    accounting of the finished child and the children it waited for) and its peak memory; an exit
    status outside ``ok`` is an error."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_GiB": usage.ru_maxrss / 2**20}


PRECISIONS = {"float64": [], "dps50": ["--dps", "50"], "certified": ["--certified"]}


def bench_precise(repeat: int) -> dict[str, Any]:
    """float64 / 50 digits / certified on two sizes (see the module docstring); every ratio is a median
    over pairs (run, float64 run) taken in the same round.  The larger pair (n·K = 245,000) is above
    the n·K limit of the high-precision ``compare`` (theory.compare.PRECISE_ENTRIES), which is lifted
    for it here, so it is measured in process only."""
    import theory.compare as compare_module

    out: dict[str, Any] = {}
    kwargs: dict[str, dict[str, Any]] = {"float64": {}, "dps50": {"dps": 50}, "certified": {"certified": True}}
    with tempfile.TemporaryDirectory() as tmp:
        # as an installed copy runs: bytecode compiled once and cached (here outside the source tree)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        for label, per_class, processes in (("table1 (n = 3500)", 500, True), ("10x (n = 35000)", 5000, False)):
            folder = Path(tmp) / str(per_class)
            folder.mkdir()
            pa, pb = write_pair(folder, per_class)
            cmd = [sys.executable, "-m", "checks", "compare", str(pa), str(pb)]
            a, b = load_model(pa), load_model(pb)
            limit = compare_module.PRECISE_ENTRIES
            compare_module.PRECISE_ENTRIES = max(limit, a.n * a.K)
            try:
                procs: dict[str, list[dict[str, float]]] = {k: [] for k in PRECISIONS}
                inproc: dict[str, list[float]] = {k: [] for k in PRECISIONS}
                for name, extra in PRECISIONS.items():  # warm-up: page cache, imports
                    if processes:
                        run_process(cmd + extra, env)
                    compare(a, b, **kwargs[name])
                for _ in range(repeat):
                    for name, extra in PRECISIONS.items():
                        if processes:
                            procs[name].append(run_process(cmd + extra, env))
                        c = cpu_seconds()
                        compare(a, b, **kwargs[name])
                        inproc[name].append(cpu_seconds() - c)
            finally:
                compare_module.PRECISE_ENTRIES = limit
            rows: dict[str, Any] = {}
            for name in PRECISIONS:
                rows[name] = {"in_process_cpu_median_s": float(np.median(inproc[name])),
                              "ratio_in_process_cpu": float(np.median([t / f for t, f in zip(
                                  inproc[name], inproc["float64"], strict=True)]))}
                if processes:
                    runs, base = procs[name], procs["float64"]
                    rows[name].update({
                        "process_wall_median_s": float(np.median([r["wall_s"] for r in runs])),
                        "process_cpu_median_s": float(np.median([r["cpu_s"] for r in runs])),
                        "ratio_process_wall": float(np.median([r["wall_s"] / f["wall_s"]
                                                               for r, f in zip(runs, base, strict=True)])),
                        "ratio_process_cpu": float(np.median([r["cpu_s"] / f["cpu_s"]
                                                              for r, f in zip(runs, base, strict=True)])),
                    })
            out[label] = {"n": a.n, "K": a.K, "M": a.M, "repeat": repeat, "rows": rows}
    return out


def bench_verify(repeat: int) -> dict[str, Any]:
    """``closeness verify`` (every claim, default settings) as a whole process, with ``--jobs 1`` and
    with the default one worker per core, in turn; the CPU seconds of each section's checks and the
    verdicts from the JSON report of the last default run."""
    runs: dict[str, list[dict[str, float]]] = {"jobs default": [], "jobs 1": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "verify.json"
        base = [sys.executable, "-m", "checks", "verify", "--quiet", "--json", str(out)]
        for _ in range(repeat):
            for name, extra in (("jobs 1", ["--jobs", "1"]), ("jobs default", [])):
                runs[name].append(run_process(base + extra, ok=(0, 1, 3)))
        report = json.loads(out.read_text())
    sections: dict[str, float] = {}
    for c in report["claims"]:
        sections[c["section"]] = sections.get(c["section"], 0.0) + sum(k["seconds"] for k in c["checks"])
    return {"repeat": repeat, "claims": len(report["claims"]), "summary": report["summary"],
            "runs": {k: {f: float(np.median([r[f] for r in v])) for f in v[0]} for k, v in runs.items()},
            "check_seconds_by_section": {k: round(v, 1) for k, v in sections.items()}}


BENCHES = {"verify": bench_verify, "table1": bench_table1, "mp50": bench_mp50, "precise": bench_precise,
           "target": bench_target, "search": bench_search, "selection": bench_selection}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", nargs="*", help=f"any of {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    unknown = sorted(set(args.which) - set(BENCHES))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHES)}")
    report: dict[str, Any] = {"machine": machine()}
    for name in args.which or list(BENCHES):
        report[name] = BENCHES[name](args.repeat if name not in ("mp50", "verify") else 1)
        print(json.dumps({name: report[name]}, indent=1), flush=True)
    report["load_average_1min_end"] = os.getloadavg()[0]
    end = {"machine": report["machine"], "load_average_1min_end": report["load_average_1min_end"]}
    print(json.dumps(end, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
