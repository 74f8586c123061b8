"""``closeness report --out DIR``: the appendix report (see :mod:`checks.report`)."""

from __future__ import annotations

import argparse
import sys

from checks.cli.options import add_jobs_option, add_progress_options, progress_bar
from checks.registry import Context
from checks.report import load_verify_json, write_report
from checks.runner import EXIT_STATUS, exit_status, run_claims, verdicts_status
from theory.errors import ClosenessError
from theory.io import check_directory
from theory.precision import require_dps


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report",
        help="write a Markdown report (with figures) suitable as an appendix",
        description="Run the claim registry (or read an existing closeness-verify/1 JSON) and write "
        "DIR/report.md (a verdict table, what rests on what, every claim with provenance, paper reference, "
        "statement, methods, verdicts, scope and a line of evidence; Table 1; the bound figure; environment "
        "and precision), DIR/report.html (the same, self-contained), DIR/appendix.tex (a LaTeX fragment to "
        "\\input), DIR/bound.png and DIR/verify.json (the full evidence). report.md is deterministic for "
        "a given seed and precision. Exit status 0 once "
        "the report is written (the verdicts are in it); with --strict, as for `closeness verify` of the "
        "claims reported, and 3 for an incomplete (interrupted) verify JSON.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write the report into")
    p.add_argument("--seed", type=int, help="seed for the checks and the figure's random pairs (default 0; "
                   "with --from-json the JSON's seed)")
    p.add_argument("--dps", type=int, help="working decimal precision, re-checked at twice it (default 50)")
    p.add_argument("--deep", action="store_true", help="run the long searches and larger samples")
    p.add_argument("--claim", action="append", metavar="ID", help="only these claims or id prefixes")
    p.add_argument("--from-json", metavar="FILE", help="report this closeness-verify/1 JSON instead of running")
    add_jobs_option(p)
    add_progress_options(p)
    p.add_argument("--strict", action="store_true",
                   help="exit with the verdicts' status (as `closeness verify`) instead of 0")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = check_directory(args.out)  # before any work: a report is never lost at the end
    if args.from_json:
        if args.claim or args.deep or args.seed is not None or args.dps is not None:
            raise ClosenessError(
                "--claim, --deep, --seed and --dps choose what to run; with --from-json they come from the JSON"
            )
        data = load_verify_json(args.from_json)
        seed = data["environment"].get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ClosenessError(f"{args.from_json}: environment.seed must be a whole number ≥ 0, got {seed!r}")
        status = verdicts_status(c["verdict"] for c in data["claims"])
        if data.get("complete") is not True:
            print(f"{args.from_json} is an incomplete (interrupted) run; the report says so", file=sys.stderr)
            status = max(status, EXIT_STATUS["undecided"])
    else:
        seed = 0 if args.seed is None else args.seed
        dps = 50 if args.dps is None else args.dps
        require_dps(dps)
        ctx = Context(dps=dps, deep=args.deep, seed=seed)
        # verify.json is rewritten after every check, so an interrupted run keeps what it computed
        with progress_bar(args, "report", unit="check") as bar:
            verify = run_claims(ctx, args.claim, None, out / "verify.json", bar, args.jobs)
        data = verify.as_json()
        status = exit_status(verify)
    files = write_report(args.out, data, seed=seed)
    print(f"report written to {files.report} (also {files.html.name}, {files.latex.name}, {files.verify_json.name})")
    if files.figure is None:
        print("bound figure omitted: matplotlib is not installed", file=sys.stderr)
    return status if args.strict else 0
