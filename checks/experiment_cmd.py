"""``closeness experiment width``: the paper's synthetic experiment, "wider networks are closer".

For each width ``W`` and seed, train ``f`` and ``g`` on the radial task (:mod:`theory.training`),
save the model on the test inputs (``F = f(x_test)``, ``G = g(labels)``) as an ``.npz`` that
``closeness compare`` reads, keep the models whose test accuracy exceeds the threshold (0.9 in
the paper's plotting code), and for every pair of kept seeds of one width compute ``d_LLV``
(λ = 1e-5, max form, the paper's per-pair selection) and ``d_{f,g}``.  Widths with fewer kept
models than ``--min-models`` (5 in the paper's code) are left out of the summary.  Results: a
per-pair CSV, a CSV of the pairs across widths that the trend test needs, a per-width CSV of
mean ± sd (population sd, as the paper's plot), a JSON with the settings and the trend tests,
and a PNG plot.

**Trend test.** The statistic is Spearman's ρ between the width and the value (``d_LLV`` resp.
``d_{f,g}``) over all same-width pairs.  Pairs share models (``C(k, 2)`` pairs from ``k`` models),
so the pairs are not exchangeable and permuting them gives no valid p-value.  The p-values are
those of a seed-stratified model-level permutation test (:func:`stratified_trend_test`): under the
null hypothesis the kept models of each seed are exchangeable across the widths (independently
across seeds), so the width labels are re-assigned among the models of each seed and the
same-width pairs and ρ are recomputed from the distances of all pairs of models with different
seeds (hence the comparisons across widths, :func:`compare_across`).  Stratifying by seed keeps
models that share a seed (and so the batch order) out of one group.  The exact rank test on the
width means (valid under the same null, but never below ``1/k!`` for ``k`` widths) is also given.

Models already trained in ``--out`` with the same settings are loaded, not retrained, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from checks.options import int_list
from theory.compare import compare
from theory.distances import Sets
from theory.errors import ClosenessError
from theory.io import atomic_write_text, load_model, save_model
from theory.model import Model
from theory.synthetic import RadialData, radial_data
from theory.training import TrainSettings, accuracy, train, trained_model

__all__ = [
    "Grid",
    "PairResult",
    "GridResult",
    "FULL",
    "QUICK",
    "run_grid",
    "spearman",
    "rank_test",
    "stratified_trend_test",
    "compare_across",
    "trend_data",
    "register",
]


@dataclass(frozen=True)
class Grid:
    """The experiment's settings (defaults: the paper's full setting for K = 6)."""

    classes: int = 6
    widths: tuple[int, ...] = (16, 32, 64, 128, 256)
    seeds: tuple[int, ...] = tuple(range(10))
    steps: int = 15_000
    train_size: int = 20_000
    test_size: int = 2_000
    data_seed: int = 0
    min_accuracy: float = 0.9
    min_models: int = 5
    samples: int = 100
    lam: float = 1e-5
    lr: float = 1e-4

    def validate(self) -> None:
        if self.classes < 3:
            raise ClosenessError(f"--classes must be at least 3 (d_LLV needs K ≥ M+1 = 3), got {self.classes}")
        if not self.widths or min(self.widths) < 1:
            raise ClosenessError(f"--widths must be positive integers, got {list(self.widths)}")
        if len(set(self.seeds)) != len(self.seeds) or len(self.seeds) < 2:
            raise ClosenessError(f"--seeds needs at least two distinct seeds, got {list(self.seeds)}")
        if min(self.seeds) < 0:
            raise ClosenessError(f"seeds must be non-negative, got {list(self.seeds)}")
        if self.steps < 1:
            raise ClosenessError(f"--steps must be positive, got {self.steps}")
        if not 0 <= self.min_accuracy <= 1:
            raise ClosenessError(f"--min-accuracy must lie in [0, 1], got {self.min_accuracy}")
        if self.min_models < 2:
            raise ClosenessError(f"--min-models must be at least 2 (a pair), got {self.min_models}")
        if not self.lr > 0:
            raise ClosenessError(f"--lr must be positive, got {self.lr}")
        batch = TrainSettings(width=1, seed=0).batch
        if self.test_size < 3 or self.train_size < batch:
            raise ClosenessError(f"--train-size must be at least one batch ({batch}) and --test-size at least 3")

    def run_dir(self) -> str:
        """The sub-directory of the trained models: everything that changes a model is in its name."""
        return (f"K{self.classes}_n{self.train_size}_t{self.test_size}_d{self.data_seed}_s{self.steps}"
                f"_lr{self.lr:g}")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["widths"], d["seeds"] = list(self.widths), list(self.seeds)
        return d


#: Representation dimension M of the trained models.
DIM = TrainSettings.dim

#: The paper's setting: widths 16..256, 15000 steps (the paper trained 20 seeds per width).
FULL = Grid()
#: A few minutes on 2 cores: small widths, fewer seeds and steps, at least 3 kept models a width.
QUICK = Grid(widths=(16, 32, 64, 128), seeds=tuple(range(8)), steps=5_000, min_models=3)


@dataclass
class PairResult:
    """Distances between the models of two seeds of one width (or the reason they failed)."""

    width: int
    seed_a: int
    seed_b: int
    d_llv: float = math.nan
    d_fg: float = math.nan
    T1: float = math.nan
    T2: float = math.nan
    d_kl: float = math.nan
    m_cca: float = math.nan
    sets: Sets | None = None
    error: str = ""

    def row(self, dim: int) -> dict[str, Any]:
        s = self.sets
        return {
            "width": self.width, "seed_a": self.seed_a, "seed_b": self.seed_b,
            "d_llv": self.d_llv, "d_fg": self.d_fg, "bound_2M_eps": 2 * dim * self.d_llv,
            "ratio": self.d_fg / (2 * dim * self.d_llv) if self.d_llv > 0 else math.nan,
            "T1": self.T1, "T2": self.T2, "d_kl": self.d_kl, "m_cca": self.m_cca,
            "pivot_label": "" if s is None else s.pivot_label,
            "left_out_label": "" if s is None or s.left_out_label is None else s.left_out_label,
            "pivot_input": "" if s is None else s.pivot_input,
            "inputs": "" if s is None else " ".join(map(str, s.inputs)),
            "error": self.error,
        }


@dataclass
class GridResult:
    """Trained models (on the test inputs), their accuracies, and the pair distances."""

    grid: Grid
    models: dict[tuple[int, int], Model] = field(default_factory=dict)
    accuracy: dict[tuple[int, int], float] = field(default_factory=dict)
    pairs: list[PairResult] = field(default_factory=list)
    #: Pairs of trend models (see :meth:`trend_models`) of different widths and seeds, keyed by
    #: ``((width_a, seed_a), (width_b, seed_b))`` in the order of :meth:`trend_models`.
    across: dict[tuple[tuple[int, int], tuple[int, int]], PairResult] = field(default_factory=dict)
    trained: int = 0
    reused: int = 0
    seconds: float = 0.0

    def kept(self, width: int) -> list[int]:
        """Seeds of ``width`` whose test accuracy exceeds the threshold."""
        return [s for s in self.grid.seeds if self.accuracy[(width, s)] > self.grid.min_accuracy]

    def summarised_widths(self) -> list[int]:
        """Widths with at least ``min_models`` kept models (the others are left out, as in the paper)."""
        return [w for w in self.grid.widths if len(self.kept(w)) >= self.grid.min_models]

    def trend_models(self) -> list[tuple[int, int]]:
        """``(width, seed)`` of the kept models of the summarised widths, ordered by width then seed."""
        return [(w, s) for w in self.summarised_widths() for s in self.kept(w)]

    def values(self, width: int, key: str) -> np.ndarray:
        return np.array([getattr(p, key) for p in self.pairs if p.width == width and not p.error])

    def summary(self) -> list[dict[str, Any]]:
        """One row per width: kept models, mean accuracy, mean ± sd of d_LLV and d_{f,g}."""
        rows = []
        ok = set(self.summarised_widths())
        for w in self.grid.widths:
            llv, fg = self.values(w, "d_llv"), self.values(w, "d_fg")
            acc = [self.accuracy[(w, s)] for s in self.grid.seeds]
            failed = sum(1 for p in self.pairs if p.width == w and p.error)
            rows.append({
                "width": w, "models": len(acc), "kept": len(self.kept(w)),
                "mean_accuracy": float(np.mean(acc)), "pairs": len(llv), "failed_pairs": failed,
                "in_summary": w in ok and len(llv) > 0,
                "mean_d_llv": _stat(np.mean, llv), "sd_d_llv": _stat(np.std, llv),
                "mean_d_fg": _stat(np.mean, fg), "sd_d_fg": _stat(np.std, fg),
                "max_ratio": _stat(np.max, np.divide(fg, 2 * DIM * llv, out=np.zeros_like(fg), where=llv > 0)),
                "mean_d_kl": _stat(np.mean, self.values(w, "d_kl")),
                "mean_m_cca": _stat(np.mean, self.values(w, "m_cca")),
            })
        return rows


def _stat(fn: Callable[[np.ndarray], Any], x: np.ndarray) -> float:
    return float(fn(x)) if len(x) else math.nan


# ------------------------------------------------------------------------------------------
# training the grid (resumable) and comparing the pairs
# ------------------------------------------------------------------------------------------
def _model_paths(out: Path, grid: Grid, width: int, seed: int) -> tuple[Path, Path]:
    base = out / "models" / grid.run_dir() / f"w{width}_seed{seed}"
    return base.with_suffix(".npz"), base.with_suffix(".json")


def _cached(npz: Path, meta: Path, settings: TrainSettings, data: RadialData) -> tuple[Model, float] | None:
    """A model trained earlier with exactly these settings, or None."""
    if not (npz.exists() and meta.exists()):
        return None
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if info.get("settings") != settings.as_dict() or info.get("data") != data.describe():
        return None
    return load_model(npz), float(info["test_accuracy"])


Reporter = Callable[[str, bool], None]


def run_grid(grid: Grid, out: Path | None = None, report: Reporter | None = None) -> GridResult:
    """Train (or load from ``out``) every model of the grid and compare the pairs of kept seeds.

    ``out=None`` keeps everything in memory.  ``report(text, final)`` receives progress lines
    (``final`` marks the end of one model).
    """
    grid.validate()
    start = time.perf_counter()
    data = radial_data(grid.classes, grid.train_size, grid.test_size, grid.data_seed)
    result = GridResult(grid)
    jobs = [(w, s) for w in grid.widths for s in grid.seeds]
    cost = {w: w * w + 16 * w for w in grid.widths}  # work per step ~ W² (for the ETA)
    total = sum(cost[w] for w, _ in jobs) * grid.steps
    done = 0.0
    train_time = 0.0
    for i, (w, s) in enumerate(jobs, 1):
        settings = TrainSettings(width=w, seed=s, steps=grid.steps, lr=grid.lr)
        npz, meta = _model_paths(out, grid, w, s) if out is not None else (None, None)
        hit = _cached(npz, meta, settings, data) if npz is not None and meta is not None else None
        if hit is not None:
            model, acc = hit
            result.reused += 1
            total -= cost[w] * grid.steps
            _say(report, f"[{i}/{len(jobs)}] width {w} seed {s}: loaded (test accuracy {acc:.4f})", True)
        else:
            label = f"[{i}/{len(jobs)}] width {w} seed {s}"
            t0 = time.perf_counter()

            def progress(step: int, loss: float, label: str = label, w: int = w, before: float = done,
                         spent: float = train_time, t0: float = t0, total: float = total) -> None:
                work = before + cost[w] * step
                eta = (spent + time.perf_counter() - t0) / work * (total - work)
                _say(report, f"{label}: step {step}/{grid.steps} loss {loss:.4f}  eta {_hms(eta)}", False)

            t = train(data, settings, progress, every=max(1, grid.steps // 50))
            train_time += time.perf_counter() - t0
            done += cost[w] * grid.steps
            model = trained_model(t, data.x_test)
            acc = accuracy(model, data.y_test)
            result.trained += 1
            if npz is not None and meta is not None:
                save_model(npz, model)
                info = {"settings": settings.as_dict(), "data": data.describe(), "test_accuracy": acc,
                        "final_train_loss": t.history[-1][1], "seconds": t.seconds}
                atomic_write_text(meta, json.dumps(info, indent=1) + "\n")
            _say(report, f"{label}: test accuracy {acc:.4f}, train loss {t.history[-1][1]:.4f}, "
                 f"{t.seconds:.1f} s", True)
        result.models[(w, s)] = model
        result.accuracy[(w, s)] = acc
    for w in grid.widths:
        kept = result.kept(w)
        for sa, sb in itertools.combinations(kept, 2):
            result.pairs.append(compare_pair(result.models[(w, sa)], result.models[(w, sb)], w, sa, sb, grid))
        _say(report, f"width {w}: {len(kept)} of {len(grid.seeds)} models kept, "
             f"{len(kept) * (len(kept) - 1) // 2} pairs compared", True)
    result.seconds = time.perf_counter() - start
    return result


def compare_pair(a: Model, b: Model, width: int, sa: int, sb: int, grid: Grid) -> PairResult:
    """``d_LLV`` (paper selection) and ``d_{f,g}`` of one pair; a failure is recorded, not raised."""
    pr = PairResult(width, sa, sb)
    try:
        c = compare(a, b, select="paper", samples=grid.samples, seed=0, lam=grid.lam)
    except ClosenessError as err:
        pr.error = str(err)
        return pr
    v = c.values
    pr.d_llv, pr.d_fg = float(v["d_llv"]), float(v["fg"].value)
    pr.T1, pr.T2 = float(v["terms"].T1), float(v["terms"].T2)
    pr.d_kl, pr.m_cca = float(v["d_kl_ab"]), float(v["m_cca"])
    pr.sets = c.sets
    return pr


def compare_across(result: GridResult, report: Reporter | None = None) -> int:
    """Compare every pair of trend models with different widths and different seeds (the null
    distribution of :func:`stratified_trend_test` needs them); pairs already in ``result.across``
    are kept.  Returns the number of comparisons made."""
    start = time.perf_counter()
    keys = result.trend_models()
    todo = [(a, b) for a, b in itertools.combinations(keys, 2)
            if a[0] != b[0] and a[1] != b[1] and (a, b) not in result.across]
    for i, (a, b) in enumerate(todo, 1):
        result.across[(a, b)] = compare_pair(result.models[a], result.models[b], a[0], a[1], b[1], result.grid)
        if i % 50 == 0 or i == len(todo):
            _say(report, f"pairs across widths (for the trend test): {i}/{len(todo)}", i == len(todo))
    result.seconds += time.perf_counter() - start
    return len(todo)


def _say(report: Reporter | None, text: str, final: bool) -> None:
    if report is not None:
        report(text, final)


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# ------------------------------------------------------------------------------------------
# rank statistics
# ------------------------------------------------------------------------------------------
def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-d sample, ties given their average rank."""
    _, inverse, counts = np.unique(np.asarray(x, dtype=float), return_inverse=True, return_counts=True)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])  # 0-based rank of each distinct value
    return (first + (counts + 1) / 2)[inverse]


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rank correlation (Pearson correlation of average ranks)."""
    rx, ry = _ranks(np.asarray(x)), _ranks(np.asarray(y))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float(rx @ rx) * float(ry @ ry))
    if den == 0:
        raise ClosenessError("rank correlation undefined: one of the samples is constant")
    return float(rx @ ry) / den


def rank_test(x: Sequence[float], y: Sequence[float], permutations: int = 20_000, seed: int = 0) -> dict[str, Any]:
    """Spearman ``ρ`` of ``(x, y)`` with one-sided permutation p-values for ``ρ < 0`` and ``ρ > 0``.

    Exact (every permutation of ``y``) for n ≤ 8, else ``permutations`` seeded random ones
    (p-values with the usual +1 correction).
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1 or len(xa) < 3:
        raise ClosenessError(f"rank test needs two paired samples of size ≥ 3, got {xa.shape}, {ya.shape}")
    rho = spearman(xa, ya)
    rx = _ranks(xa)
    rx = rx - rx.mean()
    ry = _ranks(ya)
    n = len(xa)
    if n <= 8:
        perms = np.array(list(itertools.permutations(range(n))))
        exact, extra = True, 0
    else:
        rng = np.random.default_rng(seed)
        perms = np.argsort(rng.random((permutations, n)), axis=1)
        exact, extra = False, 1
    ryp = ry[perms]
    ryp = ryp - ryp.mean(axis=1, keepdims=True)
    den = np.sqrt((rx @ rx) * np.sum(ryp * ryp, axis=1))
    null = (ryp @ rx) / den
    tol = 1e-12
    p_dec = (np.sum(null <= rho + tol) + extra) / (len(null) + extra)
    p_inc = (np.sum(null >= rho - tol) + extra) / (len(null) + extra)
    return {"rho": rho, "n": n, "p_decreasing": float(p_dec), "p_increasing": float(p_inc),
            "null": "exact" if exact else f"{permutations} permutations (seed {seed})"}


def _row_ranks(v: np.ndarray) -> np.ndarray:
    """Average ranks (1..n) within each row of a 2-d array."""
    order = np.argsort(v, axis=1, kind="stable")
    ranks = np.empty(v.shape)
    np.put_along_axis(ranks, order, np.arange(1.0, v.shape[1] + 1), axis=1)
    tied = np.any(np.diff(np.take_along_axis(v, order, axis=1), axis=1) == 0, axis=1)
    for i in np.flatnonzero(tied):
        ranks[i] = _ranks(v[i])
    return ranks


def _relabellings(strata: list[np.ndarray], permutations: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Rows of slot → model index maps permuting within each stratum: all of them (exact) when
    there are at most ``permutations``, else the identity and ``permutations`` random ones."""
    n = sum(len(g) for g in strata)
    count = math.prod(math.factorial(len(g)) for g in strata)
    if count <= permutations:
        rows = []
        for choice in itertools.product(*(itertools.permutations(g) for g in strata)):
            rows.append(np.concatenate([np.asarray(c, dtype=np.int64) for c in choice]))
        return np.array(rows).reshape(count, n), True
    out = np.empty((permutations + 1, n), dtype=np.int64)
    pos = 0
    for g in strata:
        out[0, pos:pos + len(g)] = g
        out[1:, pos:pos + len(g)] = g[np.argsort(rng.random((permutations, len(g))), axis=1)]
        pos += len(g)
    return out, False


def stratified_trend_test(widths: Sequence[int], seeds: Sequence[int], dist: np.ndarray,
                          permutations: int = 20_000, seed: int = 0) -> dict[str, Any]:
    """Spearman ``ρ`` of width against the same-width pair values, with a seed-stratified
    model-level permutation null.

    Model ``i`` has width ``widths[i]`` and training seed ``seeds[i]`` (the pairs ``(width, seed)``
    distinct); ``dist[i, j]`` (``i < j``) is the value of the pair, needed for every pair of models
    with different seeds.  The statistic is Spearman's ρ over the pairs ``i < j`` of equal width.
    Null hypothesis: the models of each seed are exchangeable across their widths, independently
    across seeds; the null distribution re-assigns the widths among the models of each seed and
    recomputes ρ.  Exact (every re-assignment) when there are at most ``permutations``, else
    ``permutations`` seeded random ones with the +1 correction, so that
    ``P(p ≤ α) ≤ α`` under the null in either case.
    """
    w, sd = np.asarray(widths), np.asarray(seeds)
    d = np.asarray(dist, dtype=float)
    n = len(w)
    if sd.shape != (n,) or d.shape != (n, n):
        raise ClosenessError(f"stratified trend test: {n} widths, {sd.shape} seeds and a {d.shape} distance matrix")
    if len(set(zip(w.tolist(), sd.tolist(), strict=True))) != n:
        raise ClosenessError("stratified trend test: two models with the same width and seed")
    # slots (seed, width), grouped by seed; a relabelling puts model relab[k] into slot k
    slots = sorted(range(n), key=lambda i: (sd[i], w[i]))
    strata = [np.array([i for i in slots if sd[i] == s], dtype=np.int64) for s in sorted(set(sd.tolist()))]
    slot_width = w[slots]
    a, b = np.array([(k, m) for k, m in itertools.combinations(range(n), 2) if slot_width[k] == slot_width[m]],
                    dtype=np.int64).reshape(-1, 2).T
    if len(a) < 3 or len(set(slot_width[a].tolist())) < 2:
        raise ClosenessError("stratified trend test: needs at least two widths and three same-width pairs")
    sym = np.triu(d, 1) + np.triu(d, 1).T
    relab, exact = _relabellings(strata, permutations, np.random.default_rng(seed))
    values = sym[relab[:, a], relab[:, b]]
    if not np.all(np.isfinite(values)):
        raise ClosenessError("stratified trend test: a needed pair value is missing or not finite")
    rx = _ranks(slot_width[a]) - (len(a) + 1) / 2
    ry = _row_ranks(values) - (len(a) + 1) / 2
    den = np.sqrt(float(rx @ rx) * np.sum(ry * ry, axis=1))
    if np.any(den == 0):
        raise ClosenessError("stratified trend test: the pair values are constant")
    null = (ry @ rx) / den
    identity = np.flatnonzero(np.all(relab == np.asarray(slots), axis=1))[0]
    rho = float(null[identity])
    tol = 1e-12
    if exact:
        p_dec, p_inc = np.mean(null <= rho + tol), np.mean(null >= rho - tol)
        how = f"exact: all {len(null)} re-assignments of widths within seeds"
    else:
        rest = np.delete(null, 0)
        p_dec = (np.sum(rest <= rho + tol) + 1) / (len(rest) + 1)
        p_inc = (np.sum(rest >= rho - tol) + 1) / (len(rest) + 1)
        how = f"{permutations} random re-assignments of widths within seeds (seed {seed}), +1 correction"
    return {"rho": rho, "models": n, "pairs": len(a), "p_decreasing": float(p_dec),
            "p_increasing": float(p_inc), "null": how}


def trend_data(result: GridResult, key: str) -> tuple[list[int], list[int], np.ndarray]:
    """Widths, seeds and the matrix of ``key`` values of the trend models of ``result`` (same-width
    pairs from ``result.pairs``, the others from ``result.across``; nan where a comparison failed)."""
    keys = result.trend_models()
    index = {k: i for i, k in enumerate(keys)}
    d = np.full((len(keys), len(keys)), np.nan)
    within = [((p.width, p.seed_a), (p.width, p.seed_b), p) for p in result.pairs]
    for ka, kb, p in within + [(ka, kb, p) for (ka, kb), p in result.across.items()]:
        if ka in index and kb in index and not p.error:
            i, j = sorted((index[ka], index[kb]))
            d[i, j] = getattr(p, key)
    return [k[0] for k in keys], [k[1] for k in keys], d


def trend_statistics(result: GridResult, permutations: int = 20_000) -> dict[str, Any]:
    """The trend tests of ``d_LLV`` and ``d_{f,g}`` against width (see the module docstring):
    ``models``: :func:`stratified_trend_test` (the decisive one), ``means``: exact rank test of the
    width means.  Compares the missing pairs across widths first."""
    compare_across(result)
    widths = result.summarised_widths()
    out: dict[str, Any] = {"widths": widths}
    failed = sum(1 for p in result.across.values() if p.error)
    failed += sum(1 for p in result.pairs if p.error and p.width in widths)
    out["failed_comparisons"] = failed
    for key in ("d_llv", "d_fg"):
        entry: dict[str, Any] = {"models": None, "means": None}
        if len(widths) >= 2:
            try:
                entry["models"] = stratified_trend_test(*trend_data(result, key), permutations=permutations)
            except ClosenessError as err:
                entry["models"] = {"error": str(err)}
        if len(widths) >= 3:
            entry["means"] = rank_test(widths, [float(np.mean(result.values(w, key))) for w in widths])
        out[key] = entry
    return out


# ------------------------------------------------------------------------------------------
# output: CSV, JSON, plot, table
# ------------------------------------------------------------------------------------------
def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.10g}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def write_outputs(result: GridResult, out: Path, plot: bool = True) -> dict[str, Path]:
    """Pairs CSV, CSV of the pairs across widths (used by the trend test), summary CSV, JSON
    (settings, summary, trend tests) and the PNG plot."""
    stem = f"width_K{result.grid.classes}"
    paths = {
        "pairs": out / f"{stem}_pairs.csv",
        "across": out / f"{stem}_across.csv",
        "summary": out / f"{stem}_summary.csv",
        "json": out / f"{stem}.json",
    }
    atomic_write_text(paths["pairs"], _csv([p.row(DIM) for p in result.pairs]))
    compare_across(result)
    atomic_write_text(paths["across"], _csv([
        {"width_a": wa, "seed_a": sa, "width_b": wb, "seed_b": sb, "d_llv": p.d_llv, "d_fg": p.d_fg, "error": p.error}
        for ((wa, sa), (wb, sb)), p in result.across.items()]))
    summary = result.summary()
    atomic_write_text(paths["summary"], _csv(summary))
    doc = {
        "schema": "closeness-experiment-width/1",
        "grid": result.grid.as_dict(),
        "models_trained": result.trained, "models_reused": result.reused,
        "seconds": result.seconds,
        "accuracy": {f"w{w}_seed{s}": a for (w, s), a in result.accuracy.items()},
        "summary": summary,
        "trend": trend_statistics(result),
    }
    atomic_write_text(paths["json"], json.dumps(doc, indent=1, default=float) + "\n")
    if plot:
        paths["plot"] = out / f"{stem}.png"
        plot_summary(summary, result.grid, paths["plot"])
    return paths


def plot_summary(summary: list[dict[str, Any]], grid: Grid, path: Path) -> None:
    """Mean ± sd of d_LLV and d_{f,g} against width (two panels, like the paper's Figure 3)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in summary if r["in_summary"]]
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, key, label in ((axes[0], "d_llv", r"mean $d^{\lambda}_{LLV}$"), (axes[1], "d_fg", r"mean $d_{f,g}$")):
        w = np.array([r["width"] for r in rows], dtype=float)
        m = np.array([r[f"mean_{key}"] for r in rows])
        s = np.array([r[f"sd_{key}"] for r in rows])
        if len(rows):
            ax.plot(w, m, marker="o", linewidth=2)
            ax.fill_between(w, m - s, m + s, alpha=0.25)
            ax.set_xscale("log", base=2)
            ax.set_xticks(w, [str(int(v)) for v in w])
        ax.set_xlabel("width")
        ax.set_ylabel(label)
    fig.suptitle(f"K = {grid.classes}, {grid.steps} steps, {len(grid.seeds)} seeds "
                 f"(accuracy > {grid.min_accuracy:g}); shaded: ± sd")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


def format_table(result: GridResult) -> str:
    """The per-width summary as a Markdown table, then the rank statistics."""
    lines = [
        "| width | kept/models | mean acc | pairs | d_LLV mean ± sd | d_fg mean ± sd | max d_fg/(2Mε) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result.summary():
        mark = "" if r["in_summary"] else " (too few kept)"
        lines.append(
            f"| {r['width']}{mark} | {r['kept']}/{r['models']} | {r['mean_accuracy']:.4f} | {r['pairs']} | "
            f"{r['mean_d_llv']:.4g} ± {r['sd_d_llv']:.2g} | {r['mean_d_fg']:.4g} ± {r['sd_d_fg']:.2g} | "
            f"{r['max_ratio']:.3g} |"
        )
    ok = [p for p in result.pairs if not p.error]
    held = sum(p.d_fg <= 2 * DIM * p.d_llv for p in ok)
    failed = len(result.pairs) - len(ok)
    lines.append(f"\nbound d_fg ≤ 2M·d_LLV (float64; `closeness verify --claim sec5-bound` certifies it): "
                 f"holds on {held} of {len(ok)} compared pairs"
                 + (f"; {failed} pairs could not be compared" if failed else ""))
    trend = trend_statistics(result)
    for key, name in (("d_llv", "d_LLV"), ("d_fg", "d_fg")):
        t, m = trend[key]["models"], trend[key]["means"]
        if t is None:
            lines.append(f"Spearman(width, {name}): fewer than two widths in the summary")
        elif "error" in t:
            lines.append(f"Spearman(width, {name}): no test ({t['error']})")
        else:
            lines.append(
                f"Spearman(width, {name}) over the {t['pairs']} same-width pairs: ρ = {t['rho']:+.3f}, "
                f"p(decreasing) = {t['p_decreasing']:.3g}, p(increasing) = {t['p_increasing']:.3g} "
                f"[null: widths re-assigned among the models of each seed; {t['null']}]"
            )
        if m is not None:
            lines.append(
                f"Spearman(width, mean {name}) over the {m['n']} widths: ρ = {m['rho']:+.3f}, "
                f"p(decreasing) = {m['p_decreasing']:.3g}, p(increasing) = {m['p_increasing']:.3g} [{m['null']}]"
            )
    return "\n".join(lines)


class _Terminal:
    """Progress on stderr: one rewritten line on a terminal, finished models only otherwise."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.width = 0

    def __call__(self, text: str, final: bool) -> None:
        if self.tty:
            pad = " " * max(0, self.width - len(text))
            self.stream.write(f"\r{text}{pad}" + ("\n" if final else ""))
            self.width = 0 if final else len(text)
            self.stream.flush()
        elif final:
            print(text, file=self.stream, flush=True)


# ------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------
def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "experiment",
        help="the paper's synthetic experiments (trained models)",
        description="Reproduce the paper's synthetic experiments with this project's numpy trainer.",
    )
    exps = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", parser_class=type(p))
    w = exps.add_parser(
        "width",
        help="wider networks are closer: d_LLV and d_fg vs network width",
        description="Train f and g (3 hidden layers of width W, M = 2, Adam lr 1e-4, batch 128) on the "
        "radial task for every width and seed, keep models with test accuracy above the threshold, and "
        "report mean ± sd of d_LLV (paper selection, λ = 1e-5) and d_fg over seed pairs against width. "
        f"Defaults are the full setting (widths {' '.join(map(str, FULL.widths))}, seeds 0-9, "
        f"{FULL.steps} steps); --quick: widths {' '.join(map(str, QUICK.widths))}, "
        f"{QUICK.steps} steps, seeds 0-{max(QUICK.seeds)}, at least {QUICK.min_models} kept models per width. "
        "Trained models are reused from --out, so an interrupted run resumes; to use several cores, run "
        "disjoint --seeds in parallel with the same --out, then once more with all seeds for the table. "
        "Trend p-values: Spearman rho(width, value) over the same-width pairs, against re-assignments of the "
        "widths among the kept models of each seed (pairs share models, so the pairs themselves are not "
        "permuted); this needs every pair of kept models of different widths and seeds to be compared too.",
    )
    w.add_argument("--quick", action="store_true", help="the quick setting (a few minutes on 2 cores)")
    w.add_argument("--classes", type=int, help=f"number of classes K (default {FULL.classes})")
    w.add_argument("--widths", type=int_list, help="network widths, e.g. '16 32 64' or 16,32")
    w.add_argument("--seeds", type=int_list, help="training seeds, e.g. 0-9")
    w.add_argument("--steps", type=int, help="Adam steps per model")
    w.add_argument("--train-size", type=int, help=f"training points (default {FULL.train_size})")
    w.add_argument("--test-size", type=int,
                   help=f"test points, the inputs of the saved models (default {FULL.test_size})")
    w.add_argument("--min-accuracy", type=float,
                   help=f"keep models with test accuracy above this (default {FULL.min_accuracy})")
    w.add_argument("--min-models", type=int, help="widths with fewer kept models are left out of the summary")
    w.add_argument("--lr", type=float, help=f"Adam learning rate (default {FULL.lr:g}, the paper's)")
    w.add_argument("--samples", type=int,
                   help=f"random input sets tried by the paper selection (default {FULL.samples})")
    w.add_argument("--out", type=Path, default=Path("experiment-width"), help="output directory (resumable)")
    w.add_argument("--no-plot", action="store_true", help="skip the PNG plot")
    w.set_defaults(func=run_width)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def grid_from_args(args: argparse.Namespace) -> Grid:
    """The grid: ``--quick`` or the full setting, with every given option overriding it."""
    base = QUICK if args.quick else FULL
    changes = {
        "classes": args.classes, "widths": args.widths, "seeds": args.seeds, "steps": args.steps,
        "train_size": args.train_size, "test_size": args.test_size, "min_accuracy": args.min_accuracy,
        "min_models": args.min_models, "samples": args.samples, "lr": args.lr,
    }
    d = base.as_dict()
    d.update({k: v for k, v in changes.items() if v is not None})
    d["widths"], d["seeds"] = tuple(d["widths"]), tuple(d["seeds"])
    grid = Grid(**d)
    grid.validate()
    return grid


def run_width(args: argparse.Namespace) -> int:
    grid = grid_from_args(args)
    out: Path = args.out
    print(f"closeness experiment width: K = {grid.classes}, widths {list(grid.widths)}, seeds {list(grid.seeds)}, "
          f"{grid.steps} steps; models in {out / 'models' / grid.run_dir()}", file=sys.stderr)
    terminal = _Terminal(sys.stderr)
    result = run_grid(grid, out, terminal)
    compare_across(result, terminal)
    paths = write_outputs(result, out, plot=not args.no_plot)
    print(format_table(result))
    print(f"\n{result.trained} models trained, {result.reused} loaded; {result.seconds:.1f} s in all")
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0
