"""The ``closeness`` command line (``python -m checks`` is the same).

Subcommands live in their own modules, each exposing ``register(subparsers)``; this file only
assembles them and turns bad input into a one-line message with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from theory import __version__
from theory.errors import ClosenessError

__all__ = ["main", "build_parser", "COMMAND_MODULES"]

#: Modules providing subcommands, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "checks.verify_cmd",
    "checks.compare_cmd",
    "checks.sec3_cmd",
    "checks.search_cmd",
    "checks.report_cmd",
    "checks.experiment_cmd",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line, never a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="closeness",
        description="Verify the claims of 'When Does Closeness in Distribution Imply "
        "Representational Similarity?' (Nielsen et al., NeurIPS 2025) and apply its distances.",
    )
    parser.add_argument("--version", action="version", version=f"closeness-proofs {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ClosenessError as err:
        print(f"closeness: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("closeness: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
