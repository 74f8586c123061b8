"""``closeness selftest``: run the catalogue of planted bugs (:mod:`checks.selftest`) against the claims."""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO

from checks.cli.options import add_progress_options, progress_bar
from checks.registry import Context
from checks.selftest import SCHEMA, Baseline, MutantResult, by_name, run_mutant
from theory import __version__
from theory.io import atomic_write_text, json_text


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "selftest",
        help="check the checks: plant known bugs in theory/ and require verify to catch each",
        description="Apply each planted bug (mutant) of the catalogue in turn and run its claims with "
        "the default settings of `closeness verify`. A mutant is killed when a claim that is verified "
        "without it is refuted, undecided or an error with it. Exit status: 0 every mutant killed, "
        "1 some survived or is stale (its edits no longer match the source), 2 usage error.",
    )
    p.add_argument("--mutant", action="append", metavar="NAME", help="only this mutant (repeatable)")
    p.add_argument("--list", action="store_true", help="list the mutants and exit")
    p.add_argument("--all-claims", action="store_true",
                   help="run every claim for each mutant, not only its own (slow: a full verify per mutant)")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="the closeness-selftest/1 report: to FILE (rewritten atomically after every mutant), or to "
                   "stdout instead of the table")
    add_progress_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    mutants = by_name(args.mutant)
    if args.list:
        for m in mutants:
            print(f"{m.name:28s} {m.target}: {m.description}  (claims: {', '.join(m.claims)})")
        return 0
    ctx = Context()
    baseline = Baseline(ctx)
    results: list[MutantResult] = []
    start = time.perf_counter()
    to_file = args.json not in (None, "-")
    with progress_bar(args, "selftest", unit="mutant", total=len(mutants)) as bar:
        for m in mutants:
            if bar is not None:
                bar.set_description_str(m.name)
            results.append(run_mutant(m, ctx, baseline, args.all_claims))
            if to_file:
                atomic_write_text(args.json, _document(results, complete=False))
            if bar is not None:
                bar.update(1)
    if args.json == "-":
        print(_document(results, complete=True), end="")
    else:
        print_table(results, time.perf_counter() - start)
    if to_file:
        atomic_write_text(args.json, _document(results, complete=True))
        print(f"report written to {args.json}")
    return 0 if all(r.status == "killed" for r in results) else 1


def _document(results: list[MutantResult], complete: bool) -> str:
    killed = sum(r.status == "killed" for r in results)
    report = {
        "schema": SCHEMA,
        "version": __version__,
        "complete": complete,
        "mutants": [r.as_dict() for r in results],
        "killed": killed,
        "total": len(results),
        "kill_rate": killed / len(results) if results else None,
    }
    return json_text(report, indent=2) + "\n"


def print_table(results: list[MutantResult], seconds: float, out: IO[str] | None = None) -> None:
    """Mutant, status, the claims (and verdicts) that killed it, time; then the kill rate."""
    rows = [("mutant", "status", "killed by", "time")]
    for r in results:
        by = ", ".join(f"{c} ({v})" for c, v in r.killers.items()) if r.status == "killed" else r.message or "-"
        rows.append((r.mutant.name, r.status, by, f"{r.seconds:.1f}s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    killed = sum(r.status == "killed" for r in results)
    rate = f"{100 * killed / len(results):.0f}%" if results else "-"
    lines += ["", f"killed {killed}/{len(results)} ({rate}) in {seconds:.0f}s"]
    (out or sys.stdout).write("\n".join(lines) + "\n")
