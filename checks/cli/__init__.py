"""The ``closeness`` command line (``python -m checks`` is the same).

Subcommands live in their own modules, each exposing ``register(subparsers)``; this file only
assembles them and turns bad input into a one-line message with exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from theory import __version__
from theory.errors import ClosenessError
from theory.io import check_directory, check_target

__all__ = ["main", "build_parser", "COMMAND_MODULES"]

#: Modules providing subcommands, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "checks.cli.verify",
    "checks.cli.compare",
    "checks.cli.sec3",
    "checks.cli.search",
    "checks.cli.report",
    "checks.cli.experiment",
    "checks.cli.selftest",
)

#: The module of each command: a command line naming one imports only that module (so `compare`
#: starts without the claim registry, sympy or hypothesis); `--help` alone imports them all.
COMMANDS = {
    "verify": "checks.cli.verify",
    "compare": "checks.cli.compare",
    "counterexample": "checks.cli.sec3",
    "table1": "checks.cli.sec3",
    "search": "checks.cli.search",
    "report": "checks.cli.report",
    "experiment": "checks.cli.experiment",
    "selftest": "checks.cli.selftest",
}


class _Formatter(argparse.HelpFormatter):
    """Help that states each option's default, where it has a meaningful one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default is None or default is False or default == argparse.SUPPRESS or "default" in text:
            return text
        if not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line, never a traceback, and shows defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


#: Options shared by several subcommands, with the smallest value each accepts.
_LOWER_BOUNDS = {"seed": 0, "samples": 1, "examples": 1}


#: Options naming an output file, checked before any work (a symlink, FIFO or device is refused).
_OUTPUT_FILES = ("json", "csv")

#: Options naming an output directory (the searches' ``--out``, stored as ``save``), checked
#: before any work, so that a long search never fails at the end for want of a place to write.
_OUTPUT_DIRS = {"save": "--out"}


def _check_common(args: argparse.Namespace) -> None:
    """One rule for the options every subcommand shares (a negative seed is a usage error), and
    every output file checked before the work that fills it."""
    for name, low in _LOWER_BOUNDS.items():
        value = getattr(args, name, None)
        if isinstance(value, int) and value < low:
            raise ClosenessError(f"--{name} must be at least {low}, got {value}")
    for name in _OUTPUT_FILES:
        value = getattr(args, name, None)
        if isinstance(value, str) and value != "-":
            check_target(value)
    for name, option in _OUTPUT_DIRS.items():
        value = getattr(args, name, None)
        if isinstance(value, str):
            check_directory(value, option, create=False)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: with ``command``, only that command's module is imported and registered."""
    parser = _Parser(
        prog="closeness",
        description="Verify the claims of 'When Does Closeness in Distribution Imply "
        "Representational Similarity?' (Nielsen et al., NeurIPS 2025) and apply its distances.",
    )
    parser.add_argument("--version", action="version", version=f"closeness-proofs {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules = [COMMANDS[command]] if command in COMMANDS else list(COMMAND_MODULES)
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


#: A negative number as a user may type it: ``-1``, ``-0.5``, ``-1e-5``, ``-inf``, ``-nan``.
_NEGATIVE = re.compile(r"-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|-inf(inity)?|-nan", re.IGNORECASE)


def attach_negative_values(words: list[str]) -> list[str]:
    """``--opt -1e-5`` as ``--opt=-1e-5``: argparse reads a word like ``-inf`` or ``-1e-5`` after an
    option as another option (``expected one argument``), so the value's own range check never ran."""
    out: list[str] = []
    for word in words:
        prev = out[-1] if out else ""
        if _NEGATIVE.fullmatch(word) and prev.startswith("--") and "=" not in prev:
            out[-1] = f"{prev}={word}"
        else:
            out.append(word)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    words = attach_negative_values(list(sys.argv[1:] if argv is None else argv))
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(words)
    if not getattr(args, "func", None):
        parser.print_help()
        print("closeness: error: a command is needed (see the list above)", file=sys.stderr)
        return 2
    try:
        _check_common(args)
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a failure to write the output is said here, not at exit
        return status
    except ClosenessError as err:
        print(f"closeness: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("closeness: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: end quietly, without a traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:
        if err.filename is not None or err.errno not in _OUTPUT_ERRNOS:  # a file's, or not a write's
            raise
        # standard output cannot be written (e.g. `> /dev/full`): say so once, and point it at the
        # null device so that the interpreter's own flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"closeness: error: cannot write the output: {err.strerror or err}", file=sys.stderr)
        return 2


#: The errors of a write that has nowhere to go (a full or broken device); any other OSError
#: without a file name (memory, a socket) is not disguised as a failure to write the output.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
