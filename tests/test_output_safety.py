"""Output targets and usage errors: nothing but a regular file is ever replaced, a bad precision
is refused before any work, output piped to a closed reader ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from checks.cli import main
from theory.errors import ClosenessError
from theory.io import atomic_write_text


def test_a_regular_file_is_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


def test_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("keep")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(ClosenessError, match="symbolic link"):
        atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "keep"


def test_a_fifo_is_refused_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ClosenessError, match="not a regular file"):
        atomic_write_text(fifo, "x")
    assert fifo.exists() and not fifo.is_file()


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_a_device_is_refused_through_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["verify", "--claim", "sec4-bound-cov-identity", "--method", "numeric", "--json", "/dev/null"])
    assert status == 2 and Path("/dev/null").is_char_device()
    err = capsys.readouterr().err
    assert "not a regular file" in err and err.count("\n") == 1


@pytest.mark.parametrize("dps", ["10", "6000"])
def test_verify_refuses_a_precision_out_of_range_before_any_work(dps: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--dps", dps]) == 2
    assert "between 15 and 5000" in capsys.readouterr().err


def test_output_piped_to_a_closed_reader_ends_quietly() -> None:
    proc = subprocess.run(
        f"{sys.executable} -m checks verify --list | head -1", shell=True, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_verify_leaves_the_working_directory_clean(tmp_path: Path) -> None:
    """hypothesis's caches go to the user cache directory, never into the working directory."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-m", "checks", "verify", "--claim", "sec4-kl", "--method", "search",
                           "--quiet"], cwd=work, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(work.iterdir()) == []


def test_json_without_a_file_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["verify", "--claim", "sec4-bound-cov-identity", "--method", "numeric", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "closeness-verify/1" and doc["complete"] is True
    assert main(["table1", "--rho", "1", "--per-class", "2", "--json", "--quiet"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["rho"] == 1 and float(rows[0]["d_kl"]) > 0


def test_compare_starts_without_the_claim_machinery(tmp_path: Path) -> None:
    """`closeness compare` imports only its own module: no sympy, no hypothesis, no claim registry."""
    code = ("import sys\nfrom checks.cli import main\ntry:\n    main(['compare', '--help'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in ('sympy', 'hypothesis', 'checks.registry') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


def test_output_files_are_checked_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "afile").write_text("x")
    for args in (["table1", "--rho", "1", "--per-class", "3", "--csv", str(fifo)],
                 ["table1", "--rho", "1", "--per-class", "3", "--json", str(tmp_path / "afile" / "t.json")],
                 ["search", "bound", "--examples", "5", "--json", str(fifo)]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "(" not in err.split("error:")[0]  # no timing line: nothing ran
    assert fifo.exists() and not fifo.is_file()


def test_report_refuses_a_fifo_and_an_out_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "verify.json"
    os.mkfifo(fifo)
    assert main(["report", "--out", str(tmp_path / "r"), "--from-json", str(fifo)]) == 2  # never opened: no hang
    assert "not a regular file" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["report", "--out", str(tmp_path / "afile" / "r"), "--from-json", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert "cannot create --out" in err and err.count("\n") == 1


@pytest.mark.parametrize("words", [[], ["search"], ["experiment"], ["counterexample"]])
def test_a_missing_command_is_one_usage_line(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(words) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err
