"""The width experiment of Section 5 of the paper: "wider networks are closer".

For each width ``W`` and seed, ``f`` and ``g`` are trained on the radial task
(:mod:`theory.training`); models whose test accuracy exceeds the threshold (0.9 in the paper's
plotting code) are kept, and for every pair of kept seeds of one width ``d_LLV`` (λ = 1e-5, max
form, the paper's per-pair selection) and ``d_{f,g}`` are computed.  Widths with fewer kept models
than ``min_models`` (5 in the paper's code) are left out of the summary.

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

**Effect sizes** (:func:`mean_differences`): differences of width means with percentile bootstrap
intervals over seeds.  **Shipped models** (:func:`shipped_grid`): the grid of
:mod:`theory.shipped` read from the package data, its pairs evaluated by the vectorised float64
evaluator :func:`pair_distances` (the same selection and values as :func:`theory.compare.compare`).

Models already trained in an output directory with the same settings are loaded, not retrained,
so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from theory.compare import compare
from theory.distances import Sets, input_terms, label_subsets
from theory.errors import ClosenessError
from theory.io import atomic_write_text, load_model, memory_limit, read_json, save_model
from theory.model import Model, check_pair, log_probs
from theory.precision import FLOAT64
from theory.selection import (
    PAPER_T2_THRESHOLD,
    input_draws,
    kept_draw,
    pair_paper_labels,
    require_invertible_sets,
)
from theory.shipped import Reporter, Shipped, hms, say
from theory.synthetic import RadialData, radial_data
from theory.blas import single_threaded_blas
from theory.training import TrainSettings, accuracy, train, trained_model

__all__ = [
    "Grid",
    "PairResult",
    "GridResult",
    "DIM",
    "FULL",
    "QUICK",
    "Reporter",
    "run_grid",
    "compare_pair",
    "spearman",
    "rank_test",
    "stratified_trend_test",
    "compare_across",
    "trend_data",
    "trend_statistics",
    "pair_distances",
    "pair_table",
    "grid_from_table",
    "mean_differences",
    "PairKey",
    "shipped_grid",
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
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ClosenessError(f"--lr must be a positive number, got {self.lr}")
        batch = TrainSettings(width=1, seed=0).batch
        if self.test_size < 3 or self.train_size < batch:
            raise ClosenessError(f"--train-size must be at least one batch ({batch}) and --test-size at least 3")
        need, limit = self.memory(), memory_limit()
        if need > limit:
            raise ClosenessError(
                f"this grid (K = {self.classes}, widths up to {max(self.widths)}, {len(self.seeds)} seeds, "
                f"{self.train_size} training / {self.test_size} test points) would need about "
                f"{need / 2**30:,.1f} GiB of memory, more than this machine's {limit / 2**30:,.1f} GiB")

    def memory(self) -> int:
        """Bytes the run needs at its peak, roughly (refused in :meth:`validate` before allocating):
        the data, every model's outputs, one model's training (parameters, Adam's moments, the
        activations and ``g``'s one-hot inputs), one comparison (n×K log-probabilities and K×K
        moment matrices) and the pair records of the trend test."""
        k, n, w, b = self.classes, self.test_size, max(self.widths), TrainSettings(width=1, seed=0).batch
        models = len(self.widths) * len(self.seeds)
        params = 2 * (2 * w * w + 4 * w) + (2 + k) * w + 4 * w
        training = 8 * (6 * params + 8 * (b + k) * w + k * k + 2 * b * k)
        comparison = 8 * (8 * n * k + 6 * k * k)
        return (8 * 3 * (self.train_size + n) + 8 * models * DIM * (n + k)
                + max(training, comparison) + 600 * models * models)

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
    #: Width of the second model (0: the same as ``width``; a pair across widths sets it).
    width_b: int = 0

    def __post_init__(self) -> None:
        if not self.width_b:
            self.width_b = self.width

    def row(self, dim: int) -> dict[str, Any]:
        """One CSV/JSON row; a value that was not computed (a failed pair) is None, never NaN."""
        s = self.sets

        def v(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "width": self.width, "seed_a": self.seed_a, "seed_b": self.seed_b,
            "d_llv": v(self.d_llv), "d_fg": v(self.d_fg), "bound_2M_eps": v(2 * dim * self.d_llv),
            "ratio": v(self.d_fg / (2 * dim * self.d_llv)) if self.d_llv > 0 else None,
            "T1": v(self.T1), "T2": v(self.T2), "d_kl": v(self.d_kl), "m_cca": v(self.m_cca),
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
        return [s for s in self.grid.seeds if self.accuracy.get((width, s), -1.0) > self.grid.min_accuracy]

    def summarised_widths(self) -> list[int]:
        """Widths with at least ``min_models`` kept models (the others are left out, as in the paper)."""
        return [w for w in self.grid.widths if len(self.kept(w)) >= self.grid.min_models]

    def trend_models(self) -> list[tuple[int, int]]:
        """``(width, seed)`` of the kept models of the summarised widths, ordered by width then seed."""
        return [(w, s) for w in self.summarised_widths() for s in self.kept(w)]

    def shortfall(self) -> str | None:
        """Why nothing could be compared (no width kept ``min_models`` models), or None."""
        if any(self.values(w, "d_llv").size for w in self.summarised_widths()):
            return None
        best = max(self.accuracy.values(), default=math.nan)
        g = self.grid
        if not self.summarised_widths():
            return (f"no width kept {g.min_models} models with test accuracy above {g.min_accuracy:g} (the best "
                    f"of {len(self.accuracy)} models reached {best:.4f}), so no pair was compared; lower "
                    f"--min-accuracy or --min-models, or train longer (--steps)")
        return "every comparison of the kept models failed (see the error column of the pairs CSV)"

    def values(self, width: int, key: str) -> np.ndarray:
        return np.array([getattr(p, key) for p in self.pairs if p.width == width and not p.error])

    def summary(self) -> list[dict[str, Any]]:
        """One row per width: kept models, mean accuracy, mean ± sd of d_LLV and d_{f,g} (None
        where there is nothing to average, never NaN)."""
        rows = []
        ok = set(self.summarised_widths())
        for w in self.grid.widths:
            llv, fg = self.values(w, "d_llv"), self.values(w, "d_fg")
            acc = [self.accuracy[(w, s)] for s in self.grid.seeds if (w, s) in self.accuracy]
            failed = sum(1 for p in self.pairs if p.width == w and p.error)
            rows.append({
                "width": w, "models": len(acc), "kept": len(self.kept(w)),
                "mean_accuracy": _stat(np.mean, np.array(acc)), "pairs": len(llv), "failed_pairs": failed,
                "in_summary": w in ok and len(llv) > 0,
                "mean_d_llv": _stat(np.mean, llv), "sd_d_llv": _stat(np.std, llv),
                "mean_d_fg": _stat(np.mean, fg), "sd_d_fg": _stat(np.std, fg),
                "max_ratio": _stat(np.max, np.divide(fg, 2 * DIM * llv, out=np.zeros_like(fg), where=llv > 0)),
                "mean_d_kl": _stat(np.mean, self.values(w, "d_kl")),
                "mean_m_cca": _stat(np.mean, self.values(w, "m_cca")),
            })
        return rows


def _stat(fn: Callable[[np.ndarray], Any], x: np.ndarray) -> float | None:
    return float(fn(x)) if len(x) else None


# ------------------------------------------------------------------------------------------
# training the grid (resumable) and comparing the pairs
# ------------------------------------------------------------------------------------------
def _model_paths(out: Path, grid: Grid, width: int, seed: int) -> tuple[Path, Path]:
    base = out / "models" / grid.run_dir() / f"w{width}_seed{seed}"
    return base.with_suffix(".npz"), base.with_suffix(".json")


def _cached(npz: Path, meta: Path, settings: TrainSettings, data: RadialData,
            ) -> tuple[tuple[Model, float] | None, str]:
    """``((model, test accuracy), "")`` for a model trained earlier with exactly these settings;
    else ``(None, why)``, ``why`` empty when there is none and naming the damage (unreadable or
    foreign metadata, a truncated or altered model file) when the cached one is not usable."""
    if not (npz.exists() or meta.exists()):
        return None, ""
    try:
        info = read_json(meta, "cached model metadata")
        if not isinstance(info, dict):
            raise ClosenessError(f"{meta} is not a JSON object")
        if info.get("settings") != settings.as_dict() or info.get("data") != data.describe():
            return None, f"{meta} was written for other settings"
        acc = info.get("test_accuracy")
        if isinstance(acc, bool) or not isinstance(acc, (int, float)) or not 0 <= acc <= 1:
            raise ClosenessError(f"{meta}: test_accuracy must be a number in [0, 1], got {json.dumps(acc)[:40]}")
        model = load_model(npz)
        shapes = (np.shape(model.f), np.shape(model.g))
        if shapes != ((len(data.y_test), settings.dim), (data.classes, settings.dim)):
            raise ClosenessError(f"{npz} holds arrays of shapes {shapes}, not this grid's")
    except ClosenessError as err:
        return None, str(err)
    return (model, float(acc)), ""


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
        hit, damage = _cached(npz, meta, settings, data) if npz is not None and meta is not None else (None, "")
        if damage:
            say(report, f"[{i}/{len(jobs)}] width {w} seed {s}: cached model not usable ({damage}); retraining", True)
        if hit is not None:
            model, acc = hit
            result.reused += 1
            total -= cost[w] * grid.steps
            say(report, f"[{i}/{len(jobs)}] width {w} seed {s}: loaded (test accuracy {acc:.4f})", True)
        else:
            label = f"[{i}/{len(jobs)}] width {w} seed {s}"
            t0 = time.perf_counter()

            def progress(step: int, loss: float, label: str = label, w: int = w, before: float = done,
                         spent: float = train_time, t0: float = t0, total: float = total) -> None:
                work = before + cost[w] * step
                eta = (spent + time.perf_counter() - t0) / work * (total - work)
                say(report, f"{label}: step {step}/{grid.steps} loss {loss:.4f}  eta {hms(eta)}", False)

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
            say(report, f"{label}: test accuracy {acc:.4f}, train loss {t.history[-1][1]:.4f}, "
                 f"{t.seconds:.1f} s", True)
        result.models[(w, s)] = model
        result.accuracy[(w, s)] = acc
    for w in grid.widths:
        kept = result.kept(w)
        for sa, sb in itertools.combinations(kept, 2):
            result.pairs.append(compare_pair(result.models[(w, sa)], result.models[(w, sb)], w, sa, sb, grid))
        say(report, f"width {w}: {len(kept)} of {len(grid.seeds)} models kept, "
             f"{len(kept) * (len(kept) - 1) // 2} pairs compared", True)
    result.seconds = time.perf_counter() - start
    return result


def compare_pair(a: Model, b: Model, width: int, sa: int, sb: int, grid: Grid, width_b: int = 0) -> PairResult:
    """``d_LLV`` (paper selection) and ``d_{f,g}`` of one pair by :func:`theory.compare.compare`;
    a failure is recorded, not raised."""
    pr = PairResult(width, sa, sb, width_b=width_b)
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
        result.across[(a, b)] = compare_pair(result.models[a], result.models[b], a[0], a[1], b[1], result.grid,
                                             width_b=b[0])
        if i % 50 == 0 or i == len(todo):
            say(report, f"pairs across widths (for the trend test): {i}/{len(todo)}", i == len(todo))
    result.seconds += time.perf_counter() - start
    return len(todo)


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
    """Average ranks (1..n) within each row of a 2-d array (rows with ties are ranked one by one, so
    the order the sort leaves ties in does not matter and the fastest sort serves)."""
    order = np.argsort(v, axis=1)
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
# the vectorised float64 evaluator of pairs of models (the paper's selection, d_LLV, d_{f,g},
# d_KL and m_CCA), batched over pairs
# ------------------------------------------------------------------------------------------
_NEAR = 1e-9  # relative gap below which a choice is re-made exactly as theory.selection makes it

#: Rough bytes of the temporary arrays of one batch of pairs (the batch size is chosen to fit).
BATCH_BYTES = 16 * 2**20


def _sd(x: np.ndarray, axis: int) -> np.ndarray:
    """Population standard deviation (two-pass), as :func:`theory.distances.sd`."""
    c = x - np.mean(x, axis=axis, keepdims=True)
    return np.sqrt(np.mean(c * c, axis=axis))


def _first_max(first: np.ndarray, *rest: np.ndarray) -> np.ndarray:
    """Python's ``max`` elementwise: the first largest value (a NaN wins only when it comes first)."""
    out = first
    for x in rest:
        out = np.where(x > out, x, out)
    return out


def _nuclear(mats: np.ndarray) -> np.ndarray:
    """``‖C‖_*`` of each matrix of a stack; NaN for a matrix with a non-finite entry."""
    finite = np.all(np.isfinite(mats), axis=(-2, -1))
    sv = np.linalg.svd(np.where(finite[..., None, None], mats, 0.0), compute_uv=False)
    return np.where(finite, np.sum(sv, axis=-1), np.nan)


def _d_svd(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``1 − ‖Cov(ũ, ṽ)‖_*/M`` for stacks of paired samples ``u``, ``v`` (…, n, M)."""
    su = (u - u.mean(axis=-2, keepdims=True)) / _sd(u, -2)[..., None, :]
    sv = (v - v.mean(axis=-2, keepdims=True)) / _sd(v, -2)[..., None, :]
    return 1.0 - _nuclear(np.swapaxes(su, -1, -2) @ sv / u.shape[-2]) / u.shape[-1]


@dataclass(frozen=True)
class _Stack:
    """The models of a table, stacked at float64: ``f`` (N, n, M), ``g`` (N, K, M), ``ℓ`` (N, n, K),
    its columns centred over the inputs (N, K, n), ``σ[i, y_0, y] = SD_x[ℓ(y|x) − ℓ(y_0|x)]`` (N, K, K)
    for every pivot, and ``cov[i, :, j, :] = Cov_x(f_i, f_j)`` (N, M, N, M) of all pairs of models
    (one Gram product)."""

    f: np.ndarray
    g: np.ndarray
    ell: np.ndarray
    centred: np.ndarray
    sigma: np.ndarray
    cov: np.ndarray

    @classmethod
    def of(cls, models: Sequence[Model]) -> _Stack:
        shapes = sorted({(m.n, m.K, m.M) for m in models})
        if len(shapes) > 1:
            raise ClosenessError(f"the models of a pair table must share (n, K, M), got {shapes}")
        if any(m.weights is not None for m in models):
            raise ClosenessError("the vectorised pair evaluator takes uniform input weights; these models have weights")
        f = np.stack([np.asarray(m.f, dtype=float) for m in models])
        ell = np.stack([log_probs(m) for m in models])
        columns = np.ascontiguousarray(np.swapaxes(ell, 1, 2))
        centred = columns - np.mean(columns, axis=2, keepdims=True)
        sigma = np.stack([_sd(c[None, :, :] - c[:, None, :], 2) for c in columns])
        count, n, m = f.shape
        fc = np.moveaxis(f - np.mean(f, axis=1, keepdims=True), 1, 0).reshape(n, count * m)
        cov = (fc.T @ fc / n).reshape(count, m, count, m)
        return cls(f, np.stack([np.asarray(m.g, dtype=float) for m in models]), ell, centred, sigma, cov)

    def model(self, i: int) -> Model:
        return Model(self.f[i], self.g[i])


#: :func:`theory.selection.input_draws`, kept for the models of one table (the draws depend only on sizes).
_input_draws = functools.lru_cache(maxsize=8)(input_draws)


def _spread(centred: np.ndarray, axis: int) -> np.ndarray:
    """The standard deviation of data already centred along ``axis``: ``√E[x²]`` (the second pass of
    :func:`_sd`, whose first pass, the centring, was done once per model)."""
    return np.sqrt(np.einsum("...i,...i->...", np.moveaxis(centred, axis, -1), np.moveaxis(centred, axis, -1))
                   / centred.shape[axis])


@dataclass(frozen=True)
class _Draws:
    """What each model contributes to ``T2`` of every draw of ``idx`` (rows: ``x_0`` then ``S_X``):
    ``s_x`` (N, D, M), whether every ``s_x`` is certainly non-zero (N, D) by
    :meth:`FLOAT64.is_zero`'s threshold (as :func:`input_terms` decides it), and the rows ``ℓ(·|x)``
    and ``ℓ(·|x_0)`` centred over the labels and divided by ``s_x`` (N, D, M, K each), so that
    ``c_x``, ``e_x`` of a pair are the spreads of differences."""

    idx: np.ndarray
    s: np.ndarray
    ok: np.ndarray
    rows: np.ndarray
    pivots: np.ndarray

    @classmethod
    def of(cls, stack: _Stack, idx: np.ndarray) -> _Draws:
        e = stack.ell[:, idx]  # (N, D, M+1, K)
        s = _sd(e[:, :, 1:] - e[:, :, :1], 3)
        tiny = FLOAT64.zero_tolerance * np.max(np.abs(e), axis=(2, 3))
        centred = e - np.mean(e, axis=3, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            rows, pivots = centred[:, :, 1:] / s[..., None], centred[:, :, :1] / s[..., None]
        return cls(idx, s, np.all(s > tiny[..., None], axis=2), rows, pivots)

    def choose(self, stack: _Stack, ia: np.ndarray, ib: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(chosen draw, c, e)`` of the pairs ``(ia[p], ib[p])`` (``c``, ``e`` of every draw, B×D×M):
        the first draw with the smallest ``T2`` below 1, else the first draw.  Near ties (with each
        other or with the threshold) are decided by :func:`theory.selection.kept_draw`, the library's rule."""
        with np.errstate(invalid="ignore", over="ignore"):
            c = _spread(self.rows[ia] - self.rows[ib], 3)
            e = _spread(self.pivots[ia] - self.pivots[ib], 3)
        t2 = np.where(self.ok[ia] & self.ok[ib], np.maximum(np.max(c, axis=2), np.max(e, axis=2)), np.nan)
        below = np.where(np.isfinite(t2) & (t2 < PAPER_T2_THRESHOLD), t2, np.inf)
        lowest = np.min(below, axis=1)
        ties = np.isfinite(lowest) & (np.sum(below <= (lowest * (1 + _NEAR))[:, None], axis=1) > 1)
        ambiguous = ties | np.any(np.abs(t2 - PAPER_T2_THRESHOLD) <= _NEAR, axis=1)  # none below 1: no tie
        chosen = np.where(np.isfinite(lowest), np.argmin(below, axis=1), 0)
        for p in np.flatnonzero(ambiguous):
            chosen[p] = kept_draw(stack.ell[ia[p]], stack.ell[ib[p]], self.idx)[0]
        return chosen, c, e


@dataclass(frozen=True)
class _Chosen:
    """The chosen sets of a batch of pairs of models ``(ia[p], ib[p])``: pivots ``y0``, ``x0`` (B,),
    ``S_Y`` as ``labels`` (B, K−2), ``S_X`` as ``inputs`` (B, M), and ``(s, s', c, e)`` of the chosen
    draw (B×M each)."""

    ia: np.ndarray
    ib: np.ndarray
    y0: np.ndarray
    labels: np.ndarray
    x0: np.ndarray
    inputs: np.ndarray
    terms: tuple[np.ndarray, ...]

    def take(self, keep: np.ndarray) -> _Chosen:
        return _Chosen(self.ia[keep], self.ib[keep], self.y0[keep], self.labels[keep], self.x0[keep],
                       self.inputs[keep], tuple(x[keep] for x in self.terms))


def _singular(stack: _Stack, ch: _Chosen, subsets: np.ndarray) -> np.ndarray:
    """Pairs where :func:`theory.selection.require_invertible_sets` finds some ``L``, ``L'``, ``N`` or
    ``N'`` singular: the same matrices (in its order) and criterion, in one batched SVD."""
    r = np.arange(len(ch.ia))
    members = ch.labels[:, subsets]  # (B, subsets, M): the labels of each M-subset of S_Y
    ls = [np.swapaxes(g[r[:, None, None], members] - g[r, ch.y0][:, None, None, :], -1, -2)
          for g in (stack.g[ch.ia], stack.g[ch.ib])]
    ns = [np.swapaxes(f[r[:, None], ch.inputs] - f[r, ch.x0][:, None, :], -1, -2)[:, None]
          for f in (stack.f[ch.ia], stack.f[ch.ib])]
    mats = np.concatenate([np.stack(ls, axis=2).reshape(len(r), -1, *ls[0].shape[-2:]), *ns], axis=1)
    with FLOAT64.active():
        sv = np.linalg.svd(mats, compute_uv=False)
    return np.any(np.abs(sv) <= FLOAT64.zero_tolerance * np.abs(np.max(sv, axis=-1, keepdims=True)), axis=(1, 2))


def _distances(stack: _Stack, ch: _Chosen, subsets: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """``(d_LLV, d_{f,g})`` of a batch of pairs on their chosen sets: the definitions of
    :mod:`theory.distances`, vectorised over the pairs.  The label and input terms are spreads of
    centred data (two-pass moments); the f side's covariances of ``u = Lᵀf`` are the bilinear
    forms ``Lᵀ Cov(f, f') L'`` of the covariances of ``f`` (:attr:`_Stack.cov`)."""
    m = stack.f.shape[2]
    ia, ib, y0, labels = ch.ia, ch.ib, ch.y0, ch.labels
    r = np.arange(len(ia))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sig = stack.sigma[ia[:, None], y0[:, None], labels][..., None]  # σ_y, y ∈ S_Y: (B, |S_Y|, 1)
        sig2 = stack.sigma[ib[:, None], y0[:, None], labels][..., None]
        q = stack.centred[ia[:, None], labels] / sig
        q -= stack.centred[ib[:, None], labels] / sig2
        a = _spread(q, 2)
        q = stack.centred[ia, y0][:, None] / sig
        q -= stack.centred[ib, y0][:, None] / sig2
        b = _spread(q, 2)
        s, s2, c, e = ch.terms
        t1 = _first_max(np.max(a, axis=1), np.max(b, axis=1))
        t2 = _first_max(np.max(c, axis=1), np.max(e, axis=1))
        llv = _first_max(t1, t2, lam * np.max(np.abs(sig - sig2)[..., 0], axis=1),
                         lam * np.max(np.abs(s - s2), axis=1))
        # the f side: Cov(u, u') of u = Lᵀf for all of S_Y, each M-subset's Cov(ũ, ũ') a block of it
        la, lb = ((g[r[:, None], labels] - g[r, y0][:, None]) for g in (stack.g[ia], stack.g[ib]))  # Lᵀ
        var_a = np.einsum("bym,bmk,byk->by", la, stack.cov[ia, :, ia, :], la)
        var_b = np.einsum("bym,bmk,byk->by", lb, stack.cov[ib, :, ib, :], lb)
        cross = la @ stack.cov[ia, :, ib, :] @ np.swapaxes(lb, 1, 2) / np.sqrt(var_a[:, :, None] * var_b[:, None, :])
        f_side = 1.0 - _nuclear(cross[:, subsets[:, :, None], subsets[:, None, :]]) / m
        # the g side: Nᵀg over the labels
        g_side = _d_svd(*(g @ np.swapaxes(f[r[:, None], ch.inputs] - f[r, ch.x0][:, None], 1, 2)
                          for f, g in ((stack.f[ia], stack.g[ia]), (stack.f[ib], stack.g[ib]))))
    return llv, _first_max(np.max(f_side, axis=1), g_side)


#: ``(d_LLV, d_{f,g}, sets)`` of a pair, or why it failed.
_Outcome = tuple[float, float, Sets] | str


def _evaluate_batch(stack: _Stack, draws: _Draws, subsets: np.ndarray, ia: np.ndarray, ib: np.ndarray,
                    y0: np.ndarray, left: np.ndarray, lam: float) -> list[_Outcome]:
    """The outcome of each pair ``(ia[p], ib[p])`` whose labels ``y0``, ``left`` are chosen: its
    inputs, the invertibility of its ``L``, ``N`` (the bound's hypothesis, as compare checks it)
    and its distances."""
    k = stack.ell.shape[2]
    chosen, c, e = draws.choose(stack, ia, ib)
    r = np.arange(len(ia))
    keep = (np.arange(k) != y0[:, None]) & (np.arange(k) != left[:, None])
    labels = np.argsort(~keep, axis=1, kind="stable")[:, :k - 2]  # S_Y, in order
    ch = _Chosen(ia, ib, y0, labels, draws.idx[chosen, 0], draws.idx[chosen, 1:],
                 (draws.s[ia, chosen], draws.s[ib, chosen], c[r, chosen], e[r, chosen]))
    sets = [Sets(int(y0[p]), tuple(int(v) for v in labels[p]), int(ch.x0[p]), tuple(int(v) for v in ch.inputs[p]),
                 left_out_label=int(left[p]), selection="paper") for p in r]
    out: list[_Outcome] = ["a distance is not finite at float64"] * len(r)
    ok = np.ones(len(r), dtype=bool)
    for p in np.flatnonzero(_singular(stack, ch, subsets)):
        try:  # the matrix-by-matrix pass names the first singular matrix
            require_invertible_sets(stack.model(ia[p]), stack.model(ib[p]), sets[p])
        except ClosenessError as err:
            out[p], ok[p] = str(err), False
    for p in np.flatnonzero(ok & ~(draws.ok[ia, chosen] & draws.ok[ib, chosen])):
        try:  # the kept first draw has a zero s_x: the library refuses the pair, naming it
            input_terms(stack.ell[ia[p]], stack.ell[ib[p]], int(ch.x0[p]), tuple(int(v) for v in ch.inputs[p]))
        except ClosenessError as err:
            out[p], ok[p] = str(err), False
    live = np.flatnonzero(ok)
    llv, fg = _distances(stack, ch.take(live), subsets, lam)
    for j, p in enumerate(live):
        if np.isfinite(llv[j]) and np.isfinite(fg[j]):
            out[p] = (float(llv[j]), float(fg[j]), sets[p])
    return out


def _similarities(stack: _Stack, first: np.ndarray, second: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(d_KL, m_CCA, errors)`` of every pair ``(first[p], second[p])`` from Gram products of the
    stacked models: ``Σ_x Σ_y p_a ℓ_b`` of all pairs at once for ``d_KL`` (:func:`theory.distances.d_kl`),
    the cross-covariances of the centred, column-scaled ``f`` of all pairs at once for ``m_CCA``
    (:func:`theory.distances.m_cca`: a Cholesky factor per model, then batched solves and SVDs).
    A value that failed is NaN, with the error of the one-pair evaluation."""
    count, n, m = stack.f.shape
    flat = stack.ell.reshape(count, -1)
    gram = np.exp(flat) @ flat.T  # [a, b] = Σ_x Σ_y p_a(y|x) ℓ_b(y|x)
    kl = (np.diagonal(gram)[first] - gram[first, second]) / n
    centred = stack.f - (np.full(n, 1.0 / n) @ stack.f)[:, None, :]
    peaks = np.max(np.abs(centred), axis=1, keepdims=True)
    unit = np.moveaxis(centred / np.where(peaks > 0, peaks, 1.0), 1, 0).reshape(n, count * m)
    cov = ((unit / n).T @ unit).reshape(count, m, count, m)  # [a, :, b, :]: Cov(f_a, f_b) of the scaled columns
    chol, bad = np.tile(np.eye(m), (count, 1, 1)), np.zeros(count, dtype=bool)
    for i in range(count):
        try:
            chol[i] = FLOAT64.cholesky(cov[i, :, i, :])
        except ClosenessError:
            bad[i] = True
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inner = np.linalg.solve(chol[first], cov[first, :, second, :])
        cca = _nuclear(np.swapaxes(np.linalg.solve(chol[second], np.swapaxes(inner, 1, 2)), 1, 2)) / m
    errors = [""] * len(first)
    for p in np.flatnonzero(~np.isfinite(kl) | bad[first] | bad[second] | ~np.isfinite(cca)):
        try:
            FLOAT64.require_finite([kl[p]], "d_KL")
        except ClosenessError as err:
            errors[p], kl[p], cca[p] = str(err), np.nan, np.nan
            continue
        try:
            if bad[first[p]] or bad[second[p]]:
                raise ClosenessError("covariance matrix is not positive definite")
            FLOAT64.require_finite([cca[p]], "m_CCA")
        except ClosenessError as err:
            errors[p], cca[p] = str(err), np.nan
    return kl, cca, errors


def _evaluate(models: Sequence[Model], first: np.ndarray, second: np.ndarray, rows: list[PairResult],
              samples: int, seed: int, lam: float, similarity: bool = True, report: Reporter | None = None,
              ) -> None:
    """Fill ``rows[p]`` with ``d_LLV``, ``d_{f,g}`` and the sets of the paper's selection for the
    pair ``(models[first[p]], models[second[p]])``, and with ``d_KL``, ``m_CCA`` when ``similarity``:
    the values of :func:`theory.compare.compare` (``select="paper"``), batched over pairs.  A failure
    is the row's ``error`` (the message the one-pair evaluation gives); what was computed before it
    stays.  The matrices are small: one BLAS thread is as fast, and does not stall on shared cores."""
    with single_threaded_blas():
        stack = _Stack.of(models)
        n, k, m = stack.ell.shape[1], stack.ell.shape[2], stack.f.shape[2]
        y0 = left = np.zeros(len(rows), dtype=int)
        try:
            y0, left, errors = pair_paper_labels(stack.ell, first, second)
        except ClosenessError as err:  # refused for every pair (K)
            errors = [str(err)] * len(rows)
        later = ""  # a refusal that every pair meets once its labels are chosen
        try:
            draws = _Draws.of(stack, _input_draws(n, m, samples, seed))
            if k - 2 < m:
                raise ClosenessError(f"the label set must have at least M = {m} labels, got {k - 2}")
            subsets = np.array(label_subsets(tuple(range(k - 2)), m))
        except ClosenessError as err:
            later = str(err)
        batch = max(1, BATCH_BYTES // (64 * n * k + (0 if later else 64 * draws.rows[0].size)))
        for start in range(0, len(rows), batch):
            part = np.arange(start, min(start + batch, len(rows)))
            live = np.array([p for p in part if not errors[p]], dtype=int)
            if later or not len(live):
                outcomes: list[_Outcome] = [later] * len(live)
            else:
                outcomes = _evaluate_batch(stack, draws, subsets, first[live], second[live], y0[live], left[live],
                                           lam)
            for p, outcome in zip(live, outcomes, strict=True):
                if isinstance(outcome, str):
                    errors[p] = outcome
                else:
                    rows[p].d_llv, rows[p].d_fg, rows[p].sets = outcome
            for p in part:
                rows[p].error = errors[p]
            say(report, f"pairs compared: {part[-1] + 1}/{len(rows)}", part[-1] + 1 == len(rows))
        done = np.array([row.sets is not None for row in rows], dtype=bool)
        if similarity and np.any(done):
            kl, cca, problems = _similarities(stack, first[done], second[done])
            for j, p in enumerate(np.flatnonzero(done)):
                rows[p].d_kl, rows[p].m_cca, rows[p].error = float(kl[j]), float(cca[j]), problems[j]


def pair_distances(a: Model, b: Model, samples: int = 100, seed: int = 0,
                   lam: float = 1e-5) -> tuple[float, float, Sets]:
    """``(d_LLV, d_{f,g}, sets)`` of two models with the paper's selection, at float64: the batched
    evaluator of :func:`pair_table` with one pair.

    The same definitions and selection as :func:`theory.compare.compare` with ``select="paper"``
    (:func:`compare_pair` uses that); the two are compared on pairs of the shipped models by the
    tests and by ``sec5-bound-trained``.
    """
    check_pair(a, b)
    row = PairResult(0, 0, 0)
    _evaluate([a, b], np.array([0]), np.array([1]), [row], samples, seed, lam, similarity=False)
    if row.sets is None:
        raise ClosenessError(row.error)
    return row.d_llv, row.d_fg, row.sets


# ------------------------------------------------------------------------------------------
# the shipped models as a grid, and effect sizes
# ------------------------------------------------------------------------------------------
PairKey = tuple[tuple[int, int], tuple[int, int]]


def pair_table(models: dict[tuple[int, int], Model], samples: int = 100, lam: float = 1e-5,
               report: Reporter | None = None) -> dict[PairKey, PairResult]:
    """:func:`pair_distances`, ``d_KL`` and ``m_CCA`` of every pair of ``models`` (keyed ``(width, seed)``)
    with different seeds, keyed by the sorted pair of keys; a failure is recorded in the pair, not raised.

    The pairs are evaluated together, batched over pairs (:data:`BATCH_BYTES` of temporaries at a time)."""
    keys = sorted(models)
    todo = [(a, b) for a, b in itertools.combinations(keys, 2) if a[1] != b[1]]
    if not todo:
        return {}
    pos = {key: i for i, key in enumerate(keys)}
    rows = [PairResult(a[0], a[1], b[1], width_b=b[0]) for a, b in todo]
    _evaluate([models[key] for key in keys], np.array([pos[a] for a, _ in todo]),
              np.array([pos[b] for _, b in todo]), rows, samples, 0, lam, report=report)
    return dict(zip(todo, rows, strict=True))


def grid_from_table(grid: Grid, models: dict[tuple[int, int], Model], accuracy: dict[tuple[int, int], float],
                    table: dict[PairKey, PairResult]) -> GridResult:
    """The :class:`GridResult` of ``grid`` (its widths, seeds, accuracy threshold and ``min_models``)
    from already evaluated pairs: the same-width pairs of kept models and the pairs across widths."""
    keys = [(w, s) for w in grid.widths for s in grid.seeds if (w, s) in models]
    result = GridResult(grid, {k: models[k] for k in keys}, {k: accuracy[k] for k in keys})
    for w in grid.widths:
        for sa, sb in itertools.combinations(result.kept(w), 2):
            result.pairs.append(table[((w, sa), (w, sb))])
    for a, b in itertools.combinations(result.trend_models(), 2):
        if a[0] != b[0] and a[1] != b[1]:
            result.across[(a, b)] = table[(a, b)]
    return result


def mean_differences(result: GridResult, key: str, boot: int = 2_000, seed: int = 0,
                     level: float = 0.95) -> list[dict[str, Any]]:
    """Effect sizes of the width trend: for consecutive summarised widths and for the first against
    the last, the difference of the mean ``key`` over same-width pairs (wider minus narrower; < 0:
    wider is closer) with a percentile bootstrap interval over seeds.

    Seeds are resampled with replacement, jointly for all widths (a seed's models stay together);
    a resample's pair mean weights the pair of seeds ``(s, t)``, ``s ≠ t``, by the product of their
    counts, so a seed drawn twice is never paired with itself."""
    widths = result.summarised_widths()
    seeds = list(result.grid.seeds)
    pos = {s: i for i, s in enumerate(seeds)}
    mats = {}
    for w in widths:
        v = np.zeros((len(seeds), len(seeds)))
        has = np.zeros_like(v)
        for p in result.pairs:
            if p.width == w and not p.error:
                i, j = pos[p.seed_a], pos[p.seed_b]
                v[i, j] = v[j, i] = getattr(p, key)
                has[i, j] = has[j, i] = 1.0
        mats[w] = (v, has)
    counts = np.random.default_rng(seed).multinomial(len(seeds), np.full(len(seeds), 1 / len(seeds)), size=boot)
    outer = counts[:, :, None] * counts[:, None, :]

    def means(w: int, weights: np.ndarray) -> np.ndarray:
        v, has = mats[w]
        wt = weights * has
        num, den = np.einsum("bij,ij->b", wt, v), wt.sum(axis=(1, 2))
        return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)

    point = {w: means(w, np.ones((1, len(seeds), len(seeds))))[0] for w in widths}
    boots = {w: means(w, outer) for w in widths}
    pairs = list(itertools.pairwise(widths)) + ([(widths[0], widths[-1])] if len(widths) > 2 else [])
    rows = []
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    for a, b in pairs:
        d = boots[b] - boots[a]
        d = d[np.isfinite(d)]
        lo, hi = (np.percentile(d, [lo_q, hi_q]) if len(d) else (math.nan, math.nan))
        rows.append({"narrower": a, "wider": b, "difference": float(point[b] - point[a]),
                     "ci": [float(lo), float(hi)], "excludes_zero": bool(hi < 0 or lo > 0)})
    return rows


def shipped_grid(sh: Shipped, budget: int, min_accuracy: float, min_models: int,
                 table: dict[PairKey, PairResult], seeds: tuple[int, ...] | None = None) -> GridResult:
    """Shipped (or freshly trained) models of :mod:`theory.shipped` at ``budget`` steps as a
    :class:`GridResult` with the given accuracy filter, from their evaluated ``table``."""
    spec = sh.spec
    grid = Grid(classes=spec.classes, widths=spec.widths, seeds=spec.seeds if seeds is None else seeds,
                steps=budget, train_size=spec.train_size, test_size=spec.test_size, data_seed=spec.data_seed,
                min_accuracy=min_accuracy, min_models=min_models, lr=spec.lr)
    models = {(m.width, m.seed): m.models[budget] for m in sh.models}
    acc = {(m.width, m.seed): m.accuracy[budget] for m in sh.models}
    return grid_from_table(grid, models, acc, table)
