"""Option types shared by every subcommand."""

from __future__ import annotations

import argparse
import re

__all__ = ["int_list"]

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
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from err
    if not out:
        raise argparse.ArgumentTypeError(f"no numbers in {text!r}")
    return tuple(out)
