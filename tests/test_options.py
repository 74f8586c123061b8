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


def test_progress_is_off_without_a_terminal_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from checks.cli.options import progress_bar, reporter

    with progress_bar(argparse.Namespace(quiet=False, progress=False), "x") as bar:
        assert bar is None and reporter(bar) is None  # pytest's stderr is not a terminal
    with progress_bar(argparse.Namespace(quiet=False, progress=True), "x") as bar:
        report = reporter(bar)
        assert report is not None
        report("model 1/2: step 5/10, ETA 0:00:01", False)
        report("model 1/2: done", True)
    err = capsys.readouterr().err
    assert "model 1/2: done" in err and "ETA 0:00:01" in err
    with progress_bar(argparse.Namespace(quiet=True, progress=False), "x") as bar:
        assert bar is None
