"""``closeness experiment width``: the command line of the paper's width experiment (Section 5).

Parsing and printing only; the experiment is :mod:`theory.experiments`, the shipped models
:mod:`theory.shipped`, the claims :mod:`checks.claims.sec5`.

* ``closeness experiment width [--quick] [grid options]`` trains a grid (resumable in ``--out``)
  and writes a per-pair CSV, a CSV of the pairs across widths that the trend test needs, a
  per-width CSV of mean ± sd (population sd, as the paper's plot), a JSON with the settings and
  the trend tests, and a PNG plot;
* ``--shipped`` writes the same from the models shipped with the package, in seconds;
* ``--reproduce`` retrains every shipped model (resumable in ``--out``) and compares its outputs
  with the shipped ones (exit status 1 if one differs by more than 1e-10);
* ``--write-shipped DIR`` (maintainers) trains the shipped grid into the cache and writes it to DIR.

Progress (models done, ETA) is shown on a terminal only.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from checks.cli.options import int_list
from theory.experiments import (
    DIM,
    FULL,
    QUICK,
    Grid,
    GridResult,
    PairKey,
    PairResult,
    compare_across,
    run_grid,
    trend_statistics,
)
from theory.io import atomic_write_text
from theory.shipped import PAPER_WIDTH, Shipped, train_models, write_shipped

__all__ = ["register", "grid_from_args", "write_outputs", "format_table", "cache_dir"]


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/closeness-proofs`` (default ``~/.cache/closeness-proofs``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "closeness-proofs"


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
    """Progress on stderr, one rewritten line, on a terminal only (nothing when redirected)."""

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
    mode = w.add_mutually_exclusive_group()
    mode.add_argument("--shipped", action="store_true",
                      help="no training: the tables and plot of the models shipped with the package (seconds)")
    mode.add_argument("--reproduce", action="store_true",
                      help="retrain every shipped model (or those of --widths/--seeds; resumable in OUT/reproduce, "
                      "delete it to retrain from scratch) and compare its outputs with the shipped ones to 1e-10 "
                      "(exit status 1 if one differs)")
    mode.add_argument("--write-shipped", type=Path, metavar="DIR",
                      help="maintainers: train the shipped grid (the paper's setting; --widths/--seeds override) "
                      "into the cache, resumably, and write it with its manifest to DIR")
    w.set_defaults(func=run_width)
    d = exps.add_parser(
        "digits",
        help="real data: d_KL, d_LLV, d_fg, m_CCA of digit classifiers vs network width",
        description="Train f (an MLP on the 64 pixels of sklearn's load_digits) and g (on one-hot labels) with "
        "an M-dimensional embedding, widths 16, 32, 64, seeds 0-4, 1500 Adam steps at lr 1e-3 (snapshot at 500), "
        "for M = 2 and M = 8; compare every pair (d_KL, d_LLV with the paper's selection, d_fg, m_CCA), test "
        "whether wider is closer as for the width experiment, and draw two models' embeddings side by side "
        "(as the paper's Figure 3). Trained models are cached in --out, so an interrupted run resumes. "
        "Needs scikit-learn (pip install 'closeness-proofs[digits]') except with --shipped.",
    )
    d.add_argument("--dim", type=int, choices=(2, 8), action="append",
                   help="embedding dimension M (repeatable; default both 2 and 8)")
    d.add_argument("--out", type=Path, default=Path("experiment-digits"), help="output directory (resumable)")
    d.add_argument("--no-plot", action="store_true", help="skip the PNG plots")
    dmode = d.add_mutually_exclusive_group()
    dmode.add_argument("--shipped", action="store_true", help="no training: the models shipped with the package")
    dmode.add_argument("--reproduce", action="store_true",
                       help="retrain the shipped models and compare their outputs with the shipped ones to 1e-10")
    dmode.add_argument("--write-shipped", type=Path, metavar="DIR",
                       help="maintainers: train and write DIR/digits-M2, DIR/digits-M8 with their manifests")
    d.set_defaults(func=run_digits)
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
    """``closeness experiment width``: train a grid, or use / reproduce / write the shipped models."""
    if args.shipped:
        return _run_shipped(args)
    if args.reproduce:
        return _run_reproduce(args)
    if args.write_shipped is not None:
        return _run_write_shipped(args)
    return _run_grid(args)


def _run_shipped(args: argparse.Namespace) -> int:
    from checks.claims.sec5 import shipped, shipped_result

    sh = shipped()
    budget = args.steps if args.steps is not None else sh.spec.steps
    if budget not in sh.spec.budgets:
        print(f"closeness experiment width --shipped: --steps must be one of the shipped budgets "
              f"{list(sh.spec.budgets)}", file=sys.stderr)
        return 2
    result = shipped_result(budget, FULL.min_accuracy if args.min_accuracy is None else args.min_accuracy,
                            FULL.min_models if args.min_models is None else args.min_models,
                            tuple(args.seeds) if args.seeds else None)
    _print_result(result, args.out, args.no_plot, f"{len(sh.models)} shipped models, {budget} steps")
    return 0


def _run_reproduce(args: argparse.Namespace) -> int:
    from checks.claims.sec5 import REPRODUCE_TOL, check_reproduced, shipped

    sh = shipped()
    which = [(m.width, m.seed) for m in sh.models
             if (not args.widths or m.width in args.widths) and (not args.seeds or m.seed in args.seeds)]
    print(f"closeness experiment width --reproduce: retraining {len(which)} shipped models "
          f"(resumable in {args.out / 'reproduce'})", file=sys.stderr)
    retrained = train_models(sh.spec, args.out / "reproduce", _Terminal(sys.stderr), only=which)
    out = check_reproduced([(sh.get(m.width, m.seed), m) for m in retrained])
    for row in out.evidence["checked"]:
        print(f"width {row['width']:>4} seed {row['seed']:>2}: max |Δ| = {row['max_abs_difference']:.3g}")
    print(f"{out.verdict}: {len(out.evidence['checked'])} of {len(which)} checked, tolerance {REPRODUCE_TOL:g}")
    return 0 if out.verdict == "verified" else 1


def _run_write_shipped(args: argparse.Namespace) -> int:
    spec = replace(PAPER_WIDTH, widths=tuple(args.widths or PAPER_WIDTH.widths),
                   seeds=tuple(args.seeds or PAPER_WIDTH.seeds))
    cache = cache_dir() / "shipped-width"
    print(f"closeness experiment width --write-shipped: training {len(spec.widths) * len(spec.seeds)} models "
          f"(resumable in {cache})", file=sys.stderr)
    models = train_models(spec, cache, _Terminal(sys.stderr))
    path = write_shipped(spec, models, args.write_shipped)
    print(f"{len(models)} models written; manifest {path}")
    return 0


def _run_grid(args: argparse.Namespace) -> int:
    grid = grid_from_args(args)
    out: Path = args.out
    print(f"closeness experiment width: K = {grid.classes}, widths {list(grid.widths)}, seeds {list(grid.seeds)}, "
          f"{grid.steps} steps; models in {out / 'models' / grid.run_dir()}", file=sys.stderr)
    terminal = _Terminal(sys.stderr)
    result = run_grid(grid, out, terminal)
    compare_across(result, terminal)
    _print_result(result, out, args.no_plot,
                  f"{result.trained} models trained, {result.reused} loaded; {result.seconds:.1f} s in all")
    return 0


def _print_result(result: GridResult, out: Path, no_plot: bool, footer: str) -> None:
    paths = write_outputs(result, out, plot=not no_plot)
    print(format_table(result))
    print(f"\n{footer}")
    for name, path in paths.items():
        print(f"{name}: {path}")


def run_digits(args: argparse.Namespace) -> int:
    """``closeness experiment digits``: train (or use / reproduce / write) the digit classifiers."""
    from checks.claims.sec5 import DIGITS_MIN_ACCURACY, DIGITS_MIN_MODELS, REPRODUCE_TOL, check_reproduced, shipped
    from theory.experiments import pair_table, shipped_grid
    from theory.shipped import DIGITS

    status = 0
    for m in sorted(set(args.dim or (2, 8))):
        name = f"digits-M{m}"
        if args.shipped or args.reproduce:
            sh = shipped(name)
        else:
            cache = args.out / "models" if args.write_shipped is None else cache_dir() / "shipped-digits"
            print(f"closeness experiment digits: M = {m}, training resumably in {cache}", file=sys.stderr)
            sh = Shipped(DIGITS[m], train_models(DIGITS[m], cache, _Terminal(sys.stderr)))
            sh.test_labels = DIGITS[m].data().y_test
        if args.write_shipped is not None:
            path = write_shipped(sh.spec, sh.models, args.write_shipped / name)
            print(f"{len(sh.models)} models written; manifest {path}")
            continue
        if args.reproduce:
            retrained = train_models(sh.spec, args.out / "reproduce", _Terminal(sys.stderr))
            out = check_reproduced([(sh.get(r.width, r.seed), r) for r in retrained])
            worst = max(row["max_abs_difference"] for row in out.evidence["checked"])
            print(f"M = {m}: {out.verdict}, {len(out.evidence['checked'])} models, max |Δ| = {worst:.3g} "
                  f"(tolerance {REPRODUCE_TOL:g})")
            status = max(status, 0 if out.verdict == "verified" else 1)
            continue
        table = pair_table({(x.width, x.seed): x.models[sh.spec.steps] for x in sh.models})
        result = shipped_grid(sh, sh.spec.steps, DIGITS_MIN_ACCURACY, DIGITS_MIN_MODELS, table)
        out_dir = args.out / name
        _print_result(result, out_dir, args.no_plot, f"{name}: {len(sh.models)} models, {sh.spec.steps} steps")
        print(format_digits(result))
        if not args.no_plot and m == 2 and sh.test_labels is not None:
            print(f"figure: {plot_embeddings(sh, table, out_dir / 'embeddings.png')}")
    return status


def format_digits(result: GridResult) -> str:
    """Mean d_KL and m_CCA over the same-width pairs, per width."""
    lines = ["| width | pairs | mean d_KL | mean m_CCA | min m_CCA |", "|---:|---:|---:|---:|---:|"]
    for w in result.grid.widths:
        kl, cca = result.values(w, "d_kl"), result.values(w, "m_cca")
        if len(cca):
            lines.append(f"| {w} | {len(cca)} | {np.mean(kl):.4g} | {np.mean(cca):.4f} | {np.min(cca):.4f} |")
    return "\n".join(lines)


def plot_embeddings(sh: Shipped, table: dict[PairKey, PairResult], path: Path) -> Path:
    """Two models' 2-d embeddings f(x_test) side by side, coloured by class, with their m_CCA (as
    the paper's Figure 3, left): the widest width's pair of seeds with the smallest m_CCA."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    widest = max(sh.spec.widths)
    pairs = [p for p in table.values() if p.width == widest and p.width_b == widest and not p.error]
    pair = min(pairs, key=lambda p: p.m_cca)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
    for ax, seed in zip(axes, (pair.seed_a, pair.seed_b), strict=True):
        m = sh.get(widest, seed)
        f = np.asarray(m.models[sh.spec.steps].f)
        sc = ax.scatter(f[:, 0], f[:, 1], c=sh.test_labels, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
        ax.set_title(f"width {widest}, seed {seed} (test accuracy {m.accuracy[sh.spec.steps]:.3f})")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(sc, ax=axes, ticks=range(10), label="digit")
    fig.suptitle(f"m_CCA = {pair.m_cca:.3f}, d_KL = {pair.d_kl:.3g}, d_LLV = {pair.d_llv:.3g}, "
                 f"d_fg = {pair.d_fg:.3g}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
    return path
