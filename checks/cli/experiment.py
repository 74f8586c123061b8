"""``closeness experiment width|digits``: the command line of the Section 5 experiments.

Parsing and printing only; the experiment is :mod:`theory.experiments`, its files and figures
:mod:`theory.experiment_outputs`, the shipped models :mod:`theory.shipped`, the claims
:mod:`checks.claims.sec5`.

* ``closeness experiment width [--quick] [grid options]`` trains a grid (resumable in ``--out``)
  and writes under ``--out`` a per-pair CSV, a CSV of the pairs across widths that the trend test
  needs, a per-width CSV of mean ± sd (population sd, as the paper's plot), a JSON with the
  settings and the trend tests, and a PNG plot;
* ``--shipped`` writes the same from the models shipped with the package, in seconds;
* ``--reproduce`` retrains every shipped model (resumable in ``--out``) and compares its outputs
  with the shipped ones (exit status 1 if one differs by more than 1e-10);
* ``--write-shipped DIR`` (maintainers) trains the shipped grid into the cache and writes it to DIR.

``--json [FILE]`` gives the JSON document on stdout (instead of the table) or in FILE. Progress
(models done, ETA) is shown on a terminal, or with ``--progress``; ``--quiet`` silences it.
Exit status: 0 done, 1 a reproduced model differs, 2 usage error, 3 nothing could be compared
(no width kept enough models above the accuracy threshold; the message says what to change).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from checks.cli.options import STAGE_FORMAT, add_json_option, add_progress_options, emit_json, int_list, \
    needs_choice, progress_bar, reporter
from theory.errors import ClosenessError
from theory.io import check_directory, finite
from theory.experiment_outputs import cache_dir, digits_result, document, plot_embeddings, trained_digits, \
    write_outputs
from theory.experiments import DIM, FULL, QUICK, Grid, GridResult, compare_across, run_grid, trend_statistics
from theory.shipped import PAPER_WIDTH, train_models, write_shipped

__all__ = ["register", "grid_from_args", "format_table", "format_digits"]

#: Exit status when the run ended with nothing to compare.
NOTHING_COMPARED = 3

_EXIT = ("Exit status: 0 done; 1 a reproduced model differs from the shipped one; 2 usage error; 3 nothing "
         "could be compared (no width kept enough models above the accuracy threshold).")


def _note(args: argparse.Namespace, text: str) -> None:
    """What the run is about to do, on stderr (not with ``--quiet``)."""
    if not args.quiet:
        print(text, file=sys.stderr)


def _num(x: float | None, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def format_table(result: GridResult, trend: dict[str, Any]) -> str:
    """The per-width summary as a Markdown table, then the rank statistics (— where nothing was compared)."""
    lines = [
        "| width | kept/models | mean acc | pairs | d_LLV mean ± sd | d_fg mean ± sd | max d_fg/(2Mε) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result.summary():
        mark = "" if r["in_summary"] else " (too few kept)"
        spread = ("— | —" if r["mean_d_llv"] is None else
                  f"{r['mean_d_llv']:.4g} ± {r['sd_d_llv']:.2g} | {r['mean_d_fg']:.4g} ± {r['sd_d_fg']:.2g}")
        lines.append(f"| {r['width']}{mark} | {r['kept']}/{r['models']} | {_num(r['mean_accuracy'], '.4f')} | "
                     f"{r['pairs']} | {spread} | {_num(r['max_ratio'], '.3g')} |")
    ok = [p for p in result.pairs if not p.error]
    held = sum(p.d_fg <= 2 * DIM * p.d_llv for p in ok)
    failed = len(result.pairs) - len(ok)
    lines.append(f"\nbound d_fg ≤ 2M·d_LLV (float64; `closeness verify --claim sec5-bound` certifies it): "
                 f"holds on {held} of {len(ok)} compared pairs"
                 + (f"; {failed} pairs could not be compared" if failed else ""))
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


def format_digits(result: GridResult) -> str:
    """Mean d_KL and m_CCA over the same-width pairs, per width."""
    lines = ["| width | pairs | mean d_KL | mean m_CCA | min m_CCA |", "|---:|---:|---:|---:|---:|"]
    for w in result.grid.widths:
        kl, cca = result.values(w, "d_kl"), result.values(w, "m_cca")
        if len(cca):
            lines.append(f"| {w} | {len(cca)} | {np.mean(kl):.4g} | {np.mean(cca):.4f} | {np.min(cca):.4f} |")
    return "\n".join(lines)


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
        "permuted); this needs every pair of kept models of different widths and seeds to be compared too. " + _EXIT,
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
    add_json_option(w, "the closeness-experiment-width/1 document (settings, summary, trend tests)")
    add_progress_options(w)
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
        "Needs scikit-learn (pip install 'closeness-proofs[digits]') except with --shipped. " + _EXIT,
    )
    d.add_argument("--dim", type=int, choices=(2, 8), action="append",
                   help="embedding dimension M (repeatable; default both 2 and 8)")
    d.add_argument("--out", type=Path, default=Path("experiment-digits"), help="output directory (resumable)")
    d.add_argument("--no-plot", action="store_true", help="skip the PNG plots")
    add_json_option(d, "one closeness-experiment-width/1 document per embedding dimension")
    add_progress_options(d)
    dmode = d.add_mutually_exclusive_group()
    dmode.add_argument("--shipped", action="store_true", help="no training: the models shipped with the package")
    dmode.add_argument("--reproduce", action="store_true",
                       help="retrain the shipped models and compare their outputs with the shipped ones to 1e-10")
    dmode.add_argument("--write-shipped", type=Path, metavar="DIR",
                       help="maintainers: train and write DIR/digits-M2, DIR/digits-M8 with their manifests")
    d.set_defaults(func=run_digits)
    p.set_defaults(func=needs_choice(p, "an experiment", "width or digits"))


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
    _check_out(args)
    if args.shipped:
        return _run_shipped(args)
    if args.reproduce:
        return _run_reproduce(args)
    if args.write_shipped is not None:
        return _run_write_shipped(args)
    return _run_grid(args)


def _check_out(args: argparse.Namespace) -> None:
    """The directory the run writes (``--write-shipped``, else ``--out``), checked before any training."""
    if args.write_shipped is not None:
        check_directory(args.write_shipped, "--write-shipped")
    else:
        check_directory(args.out)


def _run_shipped(args: argparse.Namespace) -> int:
    from checks.claims.sec5.common import shipped, shipped_result

    sh = shipped()
    budget = args.steps if args.steps is not None else sh.spec.steps
    if budget not in sh.spec.budgets:
        raise ClosenessError(f"with --shipped, --steps must be one of the shipped budgets {list(sh.spec.budgets)}")
    grid_from_args(args)  # the same validation as a training run (accuracy in [0, 1], …)
    result = shipped_result(budget, FULL.min_accuracy if args.min_accuracy is None else args.min_accuracy,
                            FULL.min_models if args.min_models is None else args.min_models,
                            tuple(args.seeds) if args.seeds else None)
    return _finish(args, result, args.out, f"{len(sh.models)} shipped models, {budget} steps")


def _reproduce_rows(out: Any) -> list[dict[str, Any]]:
    return [{k: row[k] for k in ("width", "seed", "max_abs_difference")} for row in out.evidence["checked"]]


def _run_reproduce(args: argparse.Namespace) -> int:
    from checks.claims.sec5.common import shipped
    from checks.claims.sec5.reproducible import REPRODUCE_TOL, check_reproduced

    sh = shipped()
    which = [(m.width, m.seed) for m in sh.models
             if (not args.widths or m.width in args.widths) and (not args.seeds or m.seed in args.seeds)]
    _note(args, f"closeness experiment width --reproduce: retraining {len(which)} shipped models "
          f"(resumable in {args.out / 'reproduce'})")
    with progress_bar(args, "retraining", bar_format=STAGE_FORMAT) as bar:
        retrained = train_models(sh.spec, args.out / "reproduce", reporter(bar), only=which)
    out = check_reproduced([(sh.get(m.width, m.seed), m) for m in retrained])
    rows = _reproduce_rows(out)
    emit_json(args, finite({"schema": "closeness-experiment-reproduce/1", "verdict": out.verdict,
                            "tolerance": REPRODUCE_TOL, "models": rows}))
    if args.json != "-":
        for row in rows:
            print(f"width {row['width']:>4} seed {row['seed']:>2}: max |Δ| = {row['max_abs_difference']:.3g}")
        print(f"{out.verdict}: {len(rows)} of {len(which)} checked, tolerance {REPRODUCE_TOL:g}")
    return 0 if out.verdict == "verified" else 1


def _run_write_shipped(args: argparse.Namespace) -> int:
    spec = replace(PAPER_WIDTH, widths=tuple(args.widths or PAPER_WIDTH.widths),
                   seeds=tuple(args.seeds or PAPER_WIDTH.seeds))
    cache = cache_dir() / "shipped-width"
    _note(args, f"closeness experiment width --write-shipped: {len(spec.widths) * len(spec.seeds)} models, "
          f"each trained unless already in {cache}")
    with progress_bar(args, "training", bar_format=STAGE_FORMAT) as bar:
        models = train_models(spec, cache, reporter(bar))
    path = write_shipped(spec, models, args.write_shipped)
    print(f"{len(models)} models written; manifest {path}")
    return 0


def _run_grid(args: argparse.Namespace) -> int:
    grid = grid_from_args(args)
    out: Path = args.out
    _note(args, f"closeness experiment width: K = {grid.classes}, widths {list(grid.widths)}, "
          f"seeds {list(grid.seeds)}, {grid.steps} steps; models in {out / 'models' / grid.run_dir()}")
    with progress_bar(args, "training", bar_format=STAGE_FORMAT) as bar:
        result = run_grid(grid, out, reporter(bar))
        compare_across(result, reporter(bar))
    return _finish(args, result, out,
                   f"{result.trained} models trained, {result.reused} loaded; {result.seconds:.1f} s in all")


def _finish(args: argparse.Namespace, result: GridResult, out: Path, footer: str) -> int:
    """Write the files under ``out``, print the table (or the JSON) and say what happened."""
    trend = trend_statistics(result)
    paths = write_outputs(result, out, plot=not args.no_plot, trend=trend)
    emit_json(args, document(result, trend))
    if args.json != "-":
        print(format_table(result, trend))
        print(f"\n{footer}")
        for name, path in paths.items():
            print(f"{name}: {path}")
    why = result.shortfall()
    if why is not None:
        print(f"closeness experiment: nothing compared: {why}", file=sys.stderr)
        return NOTHING_COMPARED
    return 0


def run_digits(args: argparse.Namespace) -> int:
    """``closeness experiment digits``: train (or use / reproduce / write) the digit classifiers."""
    from checks.claims.sec5.common import shipped
    from checks.claims.sec5.digits import DIGITS_MIN_ACCURACY, DIGITS_MIN_MODELS
    from checks.claims.sec5.reproducible import REPRODUCE_TOL, check_reproduced

    _check_out(args)
    status = 0
    docs: dict[str, Any] = {}
    with progress_bar(args, "digits", bar_format=STAGE_FORMAT) as bar:
        for m in sorted(set(args.dim or (2, 8))):
            name = f"digits-M{m}"
            if args.shipped or args.reproduce:
                sh = shipped(name)
            else:
                cache = args.out / "models" if args.write_shipped is None else cache_dir() / "shipped-digits"
                _note(args, f"closeness experiment digits: M = {m}, training resumably in {cache}")
                sh = trained_digits(m, cache, reporter(bar))
            if args.write_shipped is not None:
                path = write_shipped(sh.spec, sh.models, args.write_shipped / name)
                print(f"{len(sh.models)} models written; manifest {path}")
                continue
            if args.reproduce:
                retrained = train_models(sh.spec, args.out / "reproduce", reporter(bar))
                out = check_reproduced([(sh.get(r.width, r.seed), r) for r in retrained])
                rows = _reproduce_rows(out)
                docs[name] = {"verdict": out.verdict, "tolerance": REPRODUCE_TOL, "models": rows}
                if args.json != "-":
                    worst = max(row["max_abs_difference"] for row in rows)
                    print(f"M = {m}: {out.verdict}, {len(rows)} models, max |Δ| = {worst:.3g} "
                          f"(tolerance {REPRODUCE_TOL:g})")
                status = max(status, 0 if out.verdict == "verified" else 1)
                continue
            result, table = digits_result(sh, DIGITS_MIN_ACCURACY, DIGITS_MIN_MODELS, reporter(bar))
            out_dir = args.out / name
            trend = trend_statistics(result)
            paths = write_outputs(result, out_dir, plot=not args.no_plot, trend=trend)
            if not args.no_plot and m == 2 and sh.test_labels is not None:
                figure = plot_embeddings(sh, table, out_dir / "embeddings.png")
                if figure is not None:
                    paths["figure"] = figure
            docs[name] = document(result, trend)
            if args.json != "-":
                print(format_table(result, trend))
                print(f"\n{name}: {len(sh.models)} models, {sh.spec.steps} steps")
                for what, path in paths.items():
                    print(f"{what}: {path}")
                print(format_digits(result))
            why = result.shortfall()
            if why is not None:
                print(f"closeness experiment digits: M = {m}: nothing compared: {why}", file=sys.stderr)
                status = max(status, NOTHING_COMPARED)
    if docs:
        emit_json(args, finite({"schema": "closeness-experiment-digits/1", "runs": docs}))
    return status
