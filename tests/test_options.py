"""The one list-of-numbers option type every subcommand uses."""

from __future__ import annotations

import argparse

import pytest

from checks.cli.options import int_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,2,5", (1, 2, 5)), ("0-3", (0, 1, 2, 3)), ("1..4", (1, 2, 3, 4)), ("16 32 64", (16, 32, 64)),
     ("0-2, 5", (0, 1, 2, 5)), ("7", (7,))],
)
def test_forms(text: str, expected: tuple[int, ...]) -> None:
    assert int_list(text) == expected


@pytest.mark.parametrize("text", ["", ",", "3-1", "4..2", "a", "1.5", "1-b"])
def test_refusals(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        int_list(text)
