"""``closeness verify``: run the claim registry (see :mod:`checks.runner`)."""

from __future__ import annotations

import argparse
import json

from checks.registry import METHODS, Context, all_claims
from checks.cli.options import add_jobs_option, add_progress_options, progress_bar
from checks.runner import exit_status, print_report, run_claims, select
from theory.precision import require_dps


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "verify",
        help="verify the paper's claims",
        description="Run every registered claim (or those selected) and report verified / refuted / "
        "undecided / error with the evidence. Exit status: 0 all verified, 1 something refuted, "
        "3 something undecided (nothing refuted), 4 a check crashed (nothing refuted), 2 usage error.",
    )
    p.add_argument("--claim", action="append", metavar="ID", help="claim id or id prefix (repeatable)")
    p.add_argument("--method", action="append", choices=METHODS, help="only these methods (repeatable)")
    p.add_argument("--dps", type=int, default=50, help="working decimal precision (re-checked at twice it)")
    p.add_argument("--deep", action="store_true", help="long searches and larger samples")
    p.add_argument("--seed", type=int, default=0, help="seed for every random choice and search")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="the closeness-verify/1 report: to FILE (rewritten atomically after every check, so an "
                   "interrupted run keeps what it computed), or to stdout instead of the table")
    p.add_argument("--list", action="store_true", help="list the registered claims and exit")
    add_jobs_option(p)
    add_progress_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        asked = args.claim or []
        for c, methods in select(all_claims(), asked, args.method):
            if asked and not any(c.id.startswith(i) for i in asked):
                continue  # a premise that `verify` would run first; listed under its claim
            rests = f"  [rests on {', '.join(c.depends_on)}]" if c.depends_on else ""
            print(f"{c.id:36s} [{c.provenance}] {c.paper_ref}: {c.statement}  ({', '.join(methods)}){rests}")
        return 0
    require_dps(args.dps)
    ctx = Context(dps=args.dps, deep=args.deep, seed=args.seed)
    with progress_bar(args, "verify", unit="check") as bar:
        report = run_claims(ctx, args.claim, args.method, None if args.json == "-" else args.json, bar, args.jobs)
    if args.json == "-":
        print(json.dumps(report.as_json(), indent=2))
        return exit_status(report)
    print_report(report)
    if args.json:
        print(f"report written to {args.json}")
    return exit_status(report)
