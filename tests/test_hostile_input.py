"""Hostile input to `closeness compare`: every case a clear one-line error (exit 2) or a right,
finite answer (exit 0) — never a traceback, a NaN/Infinity, or a silently truncated index."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.cli import main
from theory.io import save_model
from theory.model import Model


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    d = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    paths = []
    for name in ("a", "b"):
        path = d / f"{name}.npz"
        save_model(path, Model(rng.normal(size=(30, 2)), rng.normal(size=(5, 2))))
        paths.append(str(path))
    return paths[0], paths[1]


def _sets(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sets.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("labels", "message"),
    [("[1.7, 2.9]", "got 1.7"), ('"12"', "must be a list"), ("true", "must be a list"), ('{"a": 1}', "must be a list"),
     ("[true, 2]", "got true"), ('["1", 2]', 'got "1"')],
)
def test_sets_with_non_integer_indices_are_refused(models: tuple[str, str], tmp_path: Path, labels: str,
                                                   message: str, capsys: pytest.CaptureFixture[str]) -> None:
    sets = _sets(tmp_path, f'{{"pivot_label": 0, "labels": {labels}, "pivot_input": 0, "inputs": [1, 2]}}')
    assert main(["compare", *models, "--sets", sets]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [('{"pivot_label": Infinity}', "not a number JSON allows"), ('{"pivot_label": NaN}', "not a number JSON allows"),
     ('{"pivot_label": 1e400}', "overflows"), ("[" * 100000 + "]" * 100000, "nested too deeply")],
    ids=["Infinity", "NaN", "1e400", "deep-nesting"],
)
def test_unreadable_sets_files_are_one_clear_error(models: tuple[str, str], tmp_path: Path, text: str, message: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *models, "--sets", _sets(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_an_overflowing_lambda_is_an_error_not_infinity(models: tuple[str, str],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *models, "--lambda", "1e308", "--mode", "sum", "--json"]) == 2
    out = capsys.readouterr()
    assert "not finite" in out.err and "Infinity" not in out.out and "inf" not in out.out


def _finite_json(text: str) -> None:
    def refuse(name: str) -> float:
        raise AssertionError(f"{name} in JSON output")

    doc = json.loads(text, parse_constant=refuse)
    numbers = [v for v in _leaves(doc) if isinstance(v, float)]
    assert all(math.isfinite(v) for v in numbers)


def _leaves(x: object) -> list[object]:
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    if isinstance(x, list):
        return [leaf for v in x for leaf in _leaves(v)]
    return [x]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pivot_label=json_values, labels=json_values, pivot_input=json_values, inputs=json_values,
    lam=st.sampled_from(["0", "1e-5", "1", "1e308", "-1", "nan", "inf", "x"]),
    mode=st.sampled_from(["max", "sum"]),
)
def test_fuzz_compare_contract(models: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               pivot_label: object, labels: object, pivot_input: object, inputs: object,
                               lam: str, mode: str) -> None:
    """Exit 0 with finite JSON, or exit 2 with exactly one line on stderr; never a traceback."""
    sets = {"pivot_label": pivot_label, "labels": labels, "pivot_input": pivot_input, "inputs": inputs}
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(sets))
    capsys.readouterr()  # the fixture lives across examples: start each one clean
    try:
        status = main(["compare", *models, "--sets", str(path), "--lambda", lam, "--mode", mode, "--json"])
    except SystemExit as stop:  # argparse's usage errors
        status = int(stop.code or 0)
    out = capsys.readouterr()
    assert status in (0, 2), out.err
    assert "Traceback" not in out.err
    if status == 0:
        _finite_json(out.out)
    else:
        assert out.err.count("\n") == 1, out.err


def test_scale_invariant_distances_survive_extreme_scales() -> None:
    """f·1e200 with g·1e-200 is the same model (same logits); m_CCA must not collapse to 0."""
    from theory.compare import compare

    rng = np.random.default_rng(1)
    f, g = rng.normal(size=(40, 2)), rng.normal(size=(6, 2))
    other = Model(f + 0.5 * rng.normal(size=f.shape), g + 0.5 * rng.normal(size=g.shape))
    plain = compare(Model(f, g), other).as_json()
    scaled = compare(Model(f * 1e200, g * 1e-200), other).as_json()
    assert scaled["m_cca"] == pytest.approx(plain["m_cca"], rel=1e-9) and plain["m_cca"] > 0.1
    assert scaled["d_fg"] == pytest.approx(plain["d_fg"], rel=1e-9)


def test_compare_says_what_the_numbers_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    f, g = rng.normal(size=(30, 2)), rng.normal(size=(5, 2))
    A = np.array([[2.0, 1.0], [0.0, 1.0]])
    save_model(tmp_path / "a.npz", Model(f, g))
    save_model(tmp_path / "b.npz", Model(f @ A.T, g @ np.linalg.inv(A)))  # (f, g) ~_L (f', g')
    save_model(tmp_path / "c.npz", Model(f + rng.normal(size=f.shape), g))
    assert main(["compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]) == 0
    out = capsys.readouterr().out
    assert "equivalent to rounding" in out and "-" not in out.split("d_KL(B‖A)")[1].split("\n")[0].split("(")[0]
    assert main(["compare", str(tmp_path / "a.npz"), str(tmp_path / "c.npz")]) == 0
    out = capsys.readouterr().out
    assert "d_{f,g} ≤ 2Mε (the paper's bound): holds" in out and "d_{f,g} ≤ 2ε² (sharper):" in out


def test_high_precision_refuses_a_size_it_cannot_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        save_model(tmp_path / f"{name}.npz", Model(rng.normal(size=(25_000, 2)), rng.normal(size=(9, 2))))
    assert main(["compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "--dps", "20"]) == 2
    err = capsys.readouterr().err
    assert "GiB" in err and "200000" in err and err.count("\n") == 1


def test_the_highest_precision_prints(models: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *models, "--dps", "5000", "--labels", "1,2", "--inputs", "1,2"]) == 0
    out = capsys.readouterr().out
    assert "d_{f,g} ≤ 2Mε" in out


def test_a_fifo_model_path_is_refused_not_read(models: tuple[str, str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import os

    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    assert main(["compare", str(fifo), models[1]]) == 2  # returns at once: nothing opens the FIFO
    assert "not a file or a directory" in capsys.readouterr().err


def test_a_range_asking_for_terabytes_is_refused_before_allocating(models: tuple[str, str],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["compare", *models, "--labels", "1-3000000000"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "3,000,000,000 numbers" in err and "GiB" in err and err.count("\n") == 1


def _npy_header(shape: tuple[int, ...]) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue()


@pytest.mark.parametrize("form", ["npz", "directory"])
def test_a_header_claiming_1e11_rows_is_refused_before_allocating(form: str, models: tuple[str, str], tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    f, g = _npy_header((10**11, 2)) + bytes(64), _npy_header((5, 2)) + bytes(80)
    if form == "npz":
        path = tmp_path / "forged.npz"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("f.npy", f)
            z.writestr("g.npy", g)
    else:
        path = tmp_path / "forged"
        path.mkdir()
        (path / "f.npy").write_bytes(f)
        (path / "g.npy").write_bytes(g)
    assert main(["compare", str(path), models[1]]) == 2
    err = capsys.readouterr().err
    assert "claims shape (100000000000, 2)" in err and "GiB" in err and err.count("\n") == 1


@pytest.mark.parametrize(("args", "message"), [
    (["table1", "--per-class", "5000"], "at most 4,081"),
    (["table1", "--per-class", "1000000000"], "at most 4,081"),
    (["counterexample", "kl", "--rho", "3", "--per-class", "1000000000", "--out", "unused"], "GiB of memory"),
    (["counterexample", "kl", "--rho", "3", "--grid", "--per-class", "1000000000", "--out", "unused"], "GiB of memory"),
    (["search", "bound", "--dps", "6000"], "between 15 and 5000"),
    (["experiment", "width", "--lr", "inf"], "--lr must be a positive number"),
])
def test_sizes_and_numbers_out_of_range_are_refused_before_any_work(args: list[str], message: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_bound_beyond_float64_is_printed_as_a_number(models: tuple[str, str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *models, "--lambda", "1e307", "--mode", "sum"]) == 0  # ε finite, 2ε² beyond float64
    out = capsys.readouterr().out
    assert "inf" not in out.lower() and "e+61" in out.split("sharper bound 2ε²")[1].split("\n")[0]


def _fg() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(30, 2)), rng.normal(size=(5, 2))


@pytest.mark.parametrize(
    ("weights", "message"),
    [(np.array(["abc"] * 30), "weights must hold real numbers, got dtype <U3"),
     (np.array(["1"] * 30), "got dtype <U1"), (np.ones(30, bool), "got dtype bool"),
     (np.array([b"1"] * 30), "got dtype |S1"), (np.ones(30, "m8[s]"), "got dtype timedelta64"),
     (np.ones(30, complex), "got dtype complex128"),
     (np.full(30, 1e308), "the weights' sum overflows float64; rescale them")],
)
def test_weights_of_a_non_real_dtype_are_refused(models: tuple[str, str], tmp_path: Path, weights: np.ndarray,
                                                  message: str, capsys: pytest.CaptureFixture[str]) -> None:
    f, g = _fg()
    path = tmp_path / "w.npz"
    np.savez(path, f=f, g=g, weights=weights)
    assert main(["compare", str(path), models[1]]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_timedelta_embeddings_are_refused(models: tuple[str, str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    f, g = _fg()
    path = tmp_path / "t.npz"
    np.savez(path, f=f.astype("m8[s]"), g=g)
    assert main(["compare", str(path), models[1]]) == 2
    err = capsys.readouterr().err
    assert "f must hold real numbers, got dtype timedelta64[s]" in err and err.count("\n") == 1


def test_npz_members_without_npy_suffix_are_not_a_model(models: tuple[str, str], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import zipfile

    path = tmp_path / "nz.npz"
    with zipfile.ZipFile(path, "w") as z:
        for name, array in zip(("f", "g"), _fg(), strict=True):
            buffer = io.BytesIO()
            np.save(buffer, array)
            z.writestr(name, buffer.getvalue())
    assert main(["compare", str(path), models[1]]) == 2
    err = capsys.readouterr().err
    assert "is not a model .npz" in err and "['f', 'g']" in err and err.count("\n") == 1


_LONG = "x" * 300


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["compare", f"{_LONG}.npz", "B"], "cannot read"),
     (["compare", "A", "B", "--json", f"{_LONG}.json"], "cannot write"),
     (["compare", "A", "B", "--sets", f"{_LONG}.json"], "cannot read"),
     (["table1", "--csv", f"{_LONG}.csv"], "cannot write"),
     (["verify", "--claim", "sec1", "--json", f"{_LONG}.json"], "cannot write"),
     (["report", "--out", _LONG], "cannot write --out")],
)
def test_a_file_name_too_long_is_one_line(models: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [{"A": models[0], "B": models[1]}.get(w, w) for w in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.rstrip().endswith("File name too long") and err.count("\n") == 1


def test_a_path_without_permission_is_one_line(models: tuple[str, str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"

    def exists(self: Path) -> bool:
        if locked in (self, *self.parents):
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    original = Path.exists
    monkeypatch.setattr(Path, "exists", exists)
    for argv, message in ((["compare", str(locked / "a.npz"), models[1]], "cannot read"),
                          (["compare", *models, "--sets", str(locked / "s.json")], "cannot read"),
                          (["report", "--out", str(locked / "r")], "cannot write --out")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.rstrip().endswith("Permission denied") and err.count("\n") == 1


@pytest.mark.parametrize("seed", [-5, "abc", 1.5, True])
def test_report_from_json_refuses_a_seed_that_is_not_a_whole_number(tmp_path: Path, seed: object,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from checks.report import VERIFY_SCHEMA

    verify = tmp_path / "v.json"
    verify.write_text(json.dumps({"schema": VERIFY_SCHEMA, "claims": [], "environment": {"seed": seed}}))
    assert main(["report", "--out", str(tmp_path / "r"), "--from-json", str(verify)]) == 2
    err = capsys.readouterr().err
    assert "environment.seed must be a whole number ≥ 0" in err and err.count("\n") == 1


def test_dask_engine_refuses_an_hdf5_group_where_a_dataset_belongs(models: tuple[str, str], tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    h5py = pytest.importorskip("h5py")
    pytest.importorskip("dask")
    path = tmp_path / "m.h5"
    f, g = _fg()
    with h5py.File(path, "w") as fh:
        fh.create_group("f").create_dataset("x", data=f)
        fh.create_dataset("g", data=g)
    assert main(["compare", str(path), str(path), "--engine", "dask"]) == 2
    err = capsys.readouterr().err
    assert f"f in {path} is a group, not a dataset" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [["experiment", "width", "--write-shipped", "A", "--widths", "4", "--seeds", "0"],
     ["experiment", "digits", "--write-shipped", "A"], ["experiment", "width", "--shipped", "--out", "A"]],
)
def test_experiment_refuses_a_file_as_its_directory_before_training(tmp_path: Path, argv: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import checks.cli.experiment as experiment

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the output directory must be checked before any work")

    for name in ("train_models", "run_grid", "trained_digits", "_run_shipped"):
        monkeypatch.setattr(experiment, name, no_training)
    (tmp_path / "a.npz").write_text("x")
    assert main([str(tmp_path / "a.npz") if w == "A" else w for w in argv]) == 2
    err = capsys.readouterr().err
    assert "must be a directory, but" in err and err.count("\n") == 1


def test_a_read_only_out_directory_is_refused_before_the_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import os

    import checks.cli.experiment as experiment

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the output directory must be checked before any work")

    monkeypatch.setattr(experiment, "_run_shipped", no_training)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)  # as a read-only directory (root passes chmod)
    for argv in (["experiment", "width", "--shipped", "--out", str(tmp_path)], ["report", "--out", str(tmp_path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"cannot write --out {tmp_path}: Permission denied" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["search", "bound", "--factor", "0.1", "--out", "F"], "--out must be a directory, but"),
     (["search", "kl", "--eps", "0.1", "--out", "F/x"], "is not a directory"),
     (["search", "bound", "--factor", "0.1", "--out", "RO/new"], "Permission denied")],
)
def test_search_out_is_checked_before_the_search(tmp_path: Path, argv: list[str], message: str,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import os

    import checks.search as search

    def no_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("--out must be checked before any work")

    monkeypatch.setattr(search, "run_search", no_search)
    (tmp_path / "f").write_text("x")
    (tmp_path / "ro").mkdir()
    access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path / "ro" and access(p, mode))
    argv = [w.replace("F", str(tmp_path / "f")).replace("RO", str(tmp_path / "ro")) for w in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_unwritable_stdout_is_one_line(models: tuple[str, str]) -> None:
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "checks", "compare", *models], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert done.returncode == 2
    assert done.stderr == "closeness: error: cannot write the output: No space left on device\n"


def test_an_oserror_that_is_not_the_outputs_is_not_called_an_output_failure(
        models: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a failure to write standard output is 'cannot write the output'; any other OSError
    without a file name (memory, a socket) is not disguised as one."""
    import errno

    import checks.cli.compare as command

    def fails(args: object) -> int:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(command, "run", fails)
    with pytest.raises(OSError, match="Cannot allocate memory"):
        main(["compare", *models])


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--lambda", "-inf", "λ must be a finite non-negative number, got -inf"),
    ("--lambda", "-1e-5", "λ must be a finite non-negative number"),
    ("--dps", "-5", "precision must be between 15 and 5000 digits, got -5"),
])
def test_a_negative_option_value_reaches_its_range_check(
        models: tuple[str, str], capsys: pytest.CaptureFixture[str], option: str, value: str, message: str) -> None:
    """``--lambda -inf`` is read as the value -inf (argparse would take it for an option and say only
    'expected one argument'), so the option's own range check says what is wrong."""
    from checks.cli import attach_negative_values

    assert attach_negative_values(["compare", "a", option, value]) == ["compare", "a", f"{option}={value}"]
    assert attach_negative_values(["--lambda=1", "-x"]) == ["--lambda=1", "-x"]
    assert main(["compare", *models, option, value]) == 2
    assert message in capsys.readouterr().err
