"""Option types shared by every subcommand."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from theory.errors import ClosenessError
from theory.io import atomic_write_text, json_text

__all__ = [
    "int_list", "add_progress_options", "progress_bar", "reporter", "add_json_option", "emit_json", "needs_choice",
    "add_jobs_option",
]

#: Longest list of numbers an option accepts (far beyond any label or input set that fits in memory).
MAX_LIST = 10_000_000

_RANGE = re.compile(r"^(-?\d+)(?:-|\.\.)(-?\d+)$")


def int_list(text: str) -> tuple[int, ...]:
    """Whole numbers separated by commas or spaces, with inclusive ascending ranges written
    ``a-b`` or ``a..b``: ``"1,2,5"``, ``"0-9"``, ``"1..20"``, ``"16 32 64"``.  Empty lists and
    descending ranges are refused (argparse then exits with status 2 and one line)."""
    out: list[int] = []
    for part in text.replace(",", " ").split():
        match = _RANGE.match(part)
        try:
            if match:
                lo, hi = int(match.group(1)), int(match.group(2))
                if hi < lo:
                    raise argparse.ArgumentTypeError(f"descending range {part!r} in {text!r}")
                if hi - lo + 1 + len(out) > MAX_LIST:
                    raise argparse.ArgumentTypeError(
                        f"{part!r} asks for {hi - lo + 1:,} numbers (about {(hi - lo + 1) * 36 / 2**30:.0f} GiB "
                        f"as a list); at most {MAX_LIST:,} are accepted")
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from err
    if not out:
        raise argparse.ArgumentTypeError(f"no numbers in {text!r}")
    return tuple(out)


def add_progress_options(p: argparse.ArgumentParser) -> None:
    """``--quiet`` and ``--progress``: a progress bar appears on a terminal unless ``--quiet``,
    and elsewhere (a log, a pipe) only with ``--progress``."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--quiet", action="store_true", help="no progress display")
    group.add_argument("--progress", action="store_true", help="show progress even when stderr is not a terminal")


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from err
    if not 1 <= n <= 256:
        raise argparse.ArgumentTypeError(f"--jobs must be between 1 and 256, got {n}")
    return n


def add_jobs_option(p: argparse.ArgumentParser) -> None:
    """``--jobs N``: the claims run in N worker processes, one section per worker at a time
    (default: one per core; 1 runs everything in this process)."""
    p.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1, metavar="N",
                   help="worker processes, each running one section's claims at a time (default: one per "
                   "core; 1: all in this process)")


@contextmanager
def progress_bar(args: argparse.Namespace, what: str, unit: str = "it", total: int | None = None,
                 bar_format: str | None = None) -> Iterator[Any]:
    """A ``tqdm`` bar on stderr (item i of n, what is running, rate and ETA), or ``None`` when no
    display is wanted (see :func:`add_progress_options`)."""
    show = not getattr(args, "quiet", False) and (getattr(args, "progress", False) or sys.stderr.isatty())
    if not show:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(desc=what, unit=unit, total=total, file=sys.stderr, leave=False, dynamic_ncols=True,
               bar_format=bar_format)
    try:
        yield bar
    finally:
        bar.close()


#: The display of a stage whose own lines carry the counts and the ETA (training, pair comparisons).
STAGE_FORMAT = "{desc} [{elapsed}]"


def reporter(bar: Any) -> Callable[[str, bool], None] | None:
    """A Section 5 progress reporter (``report(text, final)``) shown on ``bar``: the running line
    (model i of n, step, loss, ETA) as the bar's text, each finished stage's line kept above it;
    None without a bar."""
    if bar is None:
        return None

    def report(text: str, final: bool) -> None:
        if final:
            bar.write(text, file=sys.stderr)
        else:
            bar.set_description_str(text)

    return report


def add_json_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--json [FILE]``: ``what`` as JSON to FILE (written atomically), or to stdout without FILE
    (instead of the table)."""
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help=f"{what} as JSON: to FILE (atomically), or to stdout instead of the table")


def emit_json(args: argparse.Namespace, doc: Any) -> None:
    """Write ``doc`` where ``--json`` says (nothing without ``--json``); NaN and Infinity are refused."""
    if not getattr(args, "json", None):
        return
    text = json_text(doc, indent=1)
    if args.json == "-":
        print(text)
    else:
        atomic_write_text(args.json, text + "\n")
        print(f"wrote {args.json}")


def needs_choice(p: argparse.ArgumentParser, what: str, choices: str) -> Callable[[argparse.Namespace], int]:
    """The action of a command group run without its sub-command: the group's help on stdout and
    a one-line usage error (exit status 2)."""

    def run(args: argparse.Namespace) -> int:
        p.print_help()
        raise ClosenessError(f"`{p.prog}` needs {what}: {choices}")

    return run
