"""What the Section 5 experiments write: the per-pair, across-width and per-width CSVs, the JSON
document with the settings and trend tests, the plots (Figure 3 of the paper: the width trend and
two models' embeddings side by side), and the digit classifiers' run.

Every number written is finite: a value that could not be computed (a failed pair, a width with
too few kept models) is an empty CSV cell and ``null`` in JSON, never ``NaN``.  Files are written
atomically (:mod:`theory.io`).  The figures use matplotlib's object interface (no global backend
is chosen, so a notebook importing this module keeps showing figures inline).
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from theory.experiments import DIM, Grid, GridResult, PairKey, PairResult, compare_across, pair_table, \
    shipped_grid, trend_statistics
from theory.io import atomic_write, atomic_write_text, finite, json_text
from theory.shipped import DIGITS, Reporter, Shipped, train_models

__all__ = [
    "cache_dir",
    "csv_text",
    "document",
    "write_outputs",
    "plot_summary",
    "plot_embeddings",
    "trained_digits",
    "digits_result",
]

#: Schema of the JSON document of a width or digits experiment.
SCHEMA = "closeness-experiment-width/1"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/closeness-proofs`` (default ``~/.cache/closeness-proofs``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "closeness-proofs"


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV (floats to 10 significant digits; None and non-finite values as empty cells)."""
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(v) for k, v in r.items()})
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return f"{v:.10g}" if isinstance(v, float) else v


def document(result: GridResult, trend: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of a run (settings, models, per-width summary, trend tests), NaN-free."""
    return finite({
        "schema": SCHEMA,
        "grid": result.grid.as_dict(),
        "models_trained": result.trained, "models_reused": result.reused,
        "seconds": result.seconds,
        "accuracy": {f"w{w}_seed{s}": a for (w, s), a in result.accuracy.items()},
        "summary": result.summary(),
        "trend": trend,
        "shortfall": result.shortfall(),
    })


def write_outputs(result: GridResult, out: Path, plot: bool = True,
                  trend: dict[str, Any] | None = None) -> dict[str, Path]:
    """Under ``out``: the pairs CSV, the CSV of the pairs across widths (used by the trend test),
    the summary CSV, the JSON document and the PNG plot (``plot``; not when nothing was compared)."""
    trend = trend_statistics(result) if trend is None else trend
    stem = f"width_K{result.grid.classes}"
    paths = {
        "pairs": out / f"{stem}_pairs.csv",
        "across": out / f"{stem}_across.csv",
        "summary": out / f"{stem}_summary.csv",
        "json": out / f"{stem}.json",
    }
    atomic_write_text(paths["pairs"], csv_text([p.row(DIM) for p in result.pairs]))
    compare_across(result)
    atomic_write_text(paths["across"], csv_text([
        {"width_a": wa, "seed_a": sa, "width_b": wb, "seed_b": sb, "d_llv": p.d_llv, "d_fg": p.d_fg, "error": p.error}
        for ((wa, sa), (wb, sb)), p in result.across.items()]))
    summary = result.summary()
    atomic_write_text(paths["summary"], csv_text(summary))
    atomic_write_text(paths["json"], json_text(document(result, trend), indent=1) + "\n")
    if plot and result.shortfall() is None:
        paths["plot"] = out / f"{stem}.png"
        plot_summary(summary, result.grid, paths["plot"])
    return paths


def _save(fig: Any, path: Path) -> Path:
    return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=120), suffix=".png")


def plot_summary(summary: list[dict[str, Any]], grid: Grid, path: Path) -> Path:
    """Mean ± sd of d_LLV and d_{f,g} against width (two panels, like the paper's Figure 3)."""
    from matplotlib.figure import Figure

    rows = [r for r in summary if r["in_summary"]]
    fig = Figure(figsize=(9, 4))
    axes = fig.subplots(1, 2)
    for ax, key, label in ((axes[0], "d_llv", r"mean $d^{\lambda}_{LLV}$"), (axes[1], "d_fg", r"mean $d_{f,g}$")):
        w = np.array([r["width"] for r in rows], dtype=float)
        m = np.array([r[f"mean_{key}"] for r in rows], dtype=float)
        s = np.array([r[f"sd_{key}"] for r in rows], dtype=float)
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
    return _save(fig, path)


def plot_embeddings(sh: Shipped, table: dict[PairKey, PairResult], path: Path) -> Path | None:
    """Two models' 2-d embeddings f(x_test) side by side, coloured by class, with their m_CCA (as
    the paper's Figure 3, left): the widest width's pair of seeds with the smallest m_CCA (None when
    that width has no compared pair)."""
    from matplotlib.figure import Figure

    widest = max(sh.spec.widths)
    pairs = [p for p in table.values() if p.width == widest and p.width_b == widest and not p.error]
    if not pairs:
        return None
    pair = min(pairs, key=lambda p: p.m_cca)
    fig = Figure(figsize=(9, 4.2))
    axes = fig.subplots(1, 2)
    sc = None
    for ax, seed in zip(axes, (pair.seed_a, pair.seed_b), strict=True):
        m = sh.get(widest, seed)
        f = np.asarray(m.models[sh.spec.steps].f)
        sc = ax.scatter(f[:, 0], f[:, 1], c=sh.test_labels, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
        ax.set_title(f"width {widest}, seed {seed} (test accuracy {m.accuracy[sh.spec.steps]:.3f})")
        ax.set_xlabel("f(x)₁")
        ax.set_ylabel("f(x)₂")
    fig.colorbar(sc, ax=axes, ticks=range(10), label="digit")
    fig.suptitle(f"m_CCA = {pair.m_cca:.3f}, d_KL = {pair.d_kl:.3g}, d_LLV = {pair.d_llv:.3g}, "
                 f"d_fg = {pair.d_fg:.3g}")
    return _save(fig, path)


def trained_digits(dim: int, cache: Path, report: Reporter | None = None) -> Shipped:
    """The digit classifiers of embedding dimension ``dim`` trained into ``cache`` (resumably)."""
    spec = DIGITS[dim]
    sh = Shipped(spec, train_models(spec, cache, report))
    sh.test_labels = spec.data().y_test
    return sh


def digits_result(sh: Shipped, min_accuracy: float, min_models: int,
                  report: Reporter | None = None) -> tuple[GridResult, dict[PairKey, PairResult]]:
    """Every pair of a digits set at its full budget (d_KL, d_LLV, d_fg, m_CCA) as a grid with the
    given accuracy filter, and the pair table it was built from."""
    table = pair_table({(x.width, x.seed): x.models[sh.spec.steps] for x in sh.models}, report=report)
    return shipped_grid(sh, sh.spec.steps, min_accuracy, min_models, table), table
