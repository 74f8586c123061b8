"""``closeness compare``: output, JSON schema, and a clear exit-2 message for every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from checks.cli import main
from theory.distances import Sets, input_terms, llv_terms, m_svd
from theory.errors import ClosenessError
from theory.io import save_model
from theory.model import Model, log_probs


def write_pair(tmp: Path, n: int = 40, k: int = 6, m: int = 2, seed: int = 0) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), 2 * rng.normal(size=(k, m))
    a = save_model(tmp / "a.npz", Model(f, g))
    b = save_model(tmp / "b.npz", Model(f + 0.2 * rng.normal(size=f.shape), g))
    return a, b


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_human_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = write_pair(tmp_path)
    code, out, _ = run(["compare", str(a), str(b)], capsys)
    assert code == 0
    for word in ("d_KL(A‖B)", "d_LLV", "T1", "d_{f,g}", "m_CCA", "2Mε"):
        assert word in out


def test_json_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = write_pair(tmp_path)
    code, out, _ = run(["compare", str(a), str(b), "--json"], capsys)
    assert code == 0
    j = json.loads(out)
    assert j["schema"] == "closeness-compare/1"
    for key in ("version", "precision", "sets", "lambda", "mode", "d_kl", "terms", "d_llv",
                "d_svd_f", "d_svd_g", "d_fg", "m_cca"):
        assert key in j, key
    assert j["precision"] == {"kind": "float64", "dps": 15}
    assert set(j["sets"]) >= {"selection", "pivot_label", "labels", "left_out_label", "pivot_input", "inputs"}
    assert set(j["terms"]) >= {"T1", "T2", "T3", "T4", "argmax"}
    assert set(j["d_kl"]) == {"ab", "ba"}
    assert all(isinstance(j[k], float) for k in ("d_llv", "d_fg", "m_cca"))
    assert j["d_fg"] == max([e["d_svd"] for e in j["d_svd_f"]] + [j["d_svd_g"]])


def test_dps_gives_decimal_strings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = write_pair(tmp_path, n=15)
    code, out, _ = run(["compare", str(a), str(b), "--json", "--dps", "30"], capsys)
    assert code == 0
    j = json.loads(out)
    assert j["precision"] == {"kind": "mpmath", "dps": 30}
    assert isinstance(j["d_llv"], str) and len(j["d_llv"].replace("0.", "").lstrip("0")) >= 25
    code, out64, _ = run(["compare", str(a), str(b), "--json"], capsys)
    assert float(j["d_llv"]) == pytest.approx(json.loads(out64)["d_llv"], rel=1e-12)


def test_paper_selection_and_explicit_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = write_pair(tmp_path)
    paper = ["--select", "paper", "--samples", "20", "--seed", "3"]
    code, out, _ = run(["compare", str(a), str(b), "--json", *paper], capsys)
    j = json.loads(out)
    assert code == 0 and j["sets"]["selection"] == "paper" and j["sets"]["left_out_label"] is not None
    assert len(j["sets"]["labels"]) == 4
    code, out, _ = run(["compare", str(a), str(b), "--json", "--pivot-label", "2", "--labels", "0,3-4",
                        "--pivot-input", "5", "--inputs", "1,7", "--mode", "sum", "--lambda", "0.5"], capsys)
    j = json.loads(out)
    assert code == 0 and j["sets"]["labels"] == [0, 3, 4] and j["sets"]["inputs"] == [1, 7]
    t = j["terms"]
    assert j["d_llv"] == pytest.approx(t["T1"] + t["T2"] + 0.5 * (t["T3"] + t["T4"]))


def test_directory_models_are_memory_mapped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = write_pair(tmp_path)
    d = tmp_path / "dir_a"
    d.mkdir()
    with np.load(a) as z:
        np.save(d / "f.npy", z["f"])
        np.save(d / "g.npy", z["g"])
    code, out, _ = run(["compare", str(d), str(a), "--json"], capsys)
    assert code == 0 and json.loads(out)["d_llv"] == pytest.approx(0.0, abs=1e-12)


def bad_models(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Each bad input, the arguments that trigger it and a word its message must contain."""
    a, b = write_pair(tmp)
    rng = np.random.default_rng(1)

    def npz(name: str, **arrays: np.ndarray) -> str:
        path = tmp / f"{name}.npz"
        np.savez(path, **arrays)
        return str(path)

    f, g = rng.normal(size=(40, 2)), rng.normal(size=(6, 2))
    nan_f = f.copy()
    nan_f[3, 1] = np.nan
    line_g = np.outer(np.arange(6.0), [1.0, 2.0])  # unembeddings on a line: every L singular
    same_f = np.repeat(rng.normal(size=(1, 2)), 40, axis=0)  # all inputs equal
    (tmp / "garbage.npz").write_bytes(b"not a zip file")
    return {
        "mismatched M": ([npz("m3", f=rng.normal(size=(40, 3)), g=g), str(b)], "M"),
        "f vs g dims": ([npz("fg", f=f, g=rng.normal(size=(6, 3))), str(b)], "same representation dimension"),
        "1-d f": ([npz("f1", f=np.arange(5.0), g=g), str(b)], "2-d"),
        "non-finite": ([npz("nan", f=nan_f, g=g), str(b)], "non-finite"),
        "K < M+1": ([npz("small", f=f, g=rng.normal(size=(2, 2))), str(b)], "K ≥ M+1"),
        "n mismatch": ([npz("n", f=f[:30], g=g), str(b)], "do not match"),
        "label out of range": ([str(a), str(b), "--labels", "1,2,9", "--inputs", "1,2"], "out of range"),
        "repeated label": ([str(a), str(b), "--labels", "1,1,2", "--inputs", "1,2"], "repeated"),
        "pivot in set": ([str(a), str(b), "--pivot-label", "1", "--labels", "1,2", "--inputs", "1,2"], "pivot"),
        "wrong |S_X|": ([str(a), str(b), "--inputs", "1,2,3"], "exactly M"),
        "singular L": ([npz("line", f=f, g=line_g), npz("line2", f=f, g=line_g + 0.1)], "singular"),
        "singular N": ([str(a), str(b), "--inputs", "1,1"], "repeated"),
        "no diverse inputs": ([npz("same", f=same_f, g=g), npz("same2", f=same_f, g=g)], "Def 2.1"),
        "negative lambda": ([str(a), str(b), "--lambda", "-1"], "non-negative"),
        "dps too small": ([str(a), str(b), "--dps", "10"], "between 15"),
        "missing file": ([str(tmp / "nope.npz"), str(b)], "not found"),
        "unreadable file": ([str(tmp / "garbage.npz"), str(b)], "cannot read"),
        "missing array": ([npz("nog", f=f), str(b)], "lacks"),
    }


def test_every_bad_input_gives_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, (args, word) in bad_models(tmp_path).items():
        code, out, err = run(["compare", *args], capsys)
        assert code == 2, (name, out, err)
        assert word in err, (name, err)
        assert "Traceback" not in err and err.count("\n") == 1, (name, err)


def test_zero_variance_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """σ_y = 0 means g_0(y) is orthogonal to the spread of f: with invertible N that is g_0(y) = 0,
    a singular L, which `compare` reports first; the distances themselves refuse it as well."""
    rng = np.random.default_rng(2)
    f = rng.normal(size=(30, 1))
    g = np.array([[0.0], [1.0], [1.0], [2.0]])  # labels 1 and 2 coincide: ℓ(2|x) − ℓ(1|x) ≡ 0
    a = save_model(tmp_path / "a.npz", Model(f, g))
    b = save_model(tmp_path / "b.npz", Model(f * 1.1, g))
    code, _, err = run(["compare", str(a), str(b), "--pivot-label", "1", "--labels", "2,3", "--inputs", "1"], capsys)
    assert code == 2 and "singular" in err
    ell, ell2 = log_probs(Model(f, g)), log_probs(Model(f * 1.1, g))
    with pytest.raises(ClosenessError, match="zero"):
        llv_terms(ell, ell2, Sets(1, (2, 3), 0, (1,)))
    with pytest.raises(ClosenessError, match="zero"):
        input_terms(ell[[0, 0]], ell2[[0, 0]], 0, (1,))  # x_1 = x_0: s_x = 0
    with pytest.raises(ClosenessError, match="zero variance"):
        m_svd(np.ones((5, 1)), rng.normal(size=(5, 1)))


def test_python_dash_m_is_the_same_program(tmp_path: Path) -> None:
    a, b = write_pair(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "checks", "compare", str(a), str(b), "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and json.loads(proc.stdout)["schema"] == "closeness-compare/1"
    proc = subprocess.run(
        [sys.executable, "-m", "checks", "compare", str(a)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_default_inputs_found_when_greedy_order_misses_them() -> None:
    """Greedy choice is exact for one model, not for two: {1} suits A but not B, {2, 3} suits both."""
    from theory.identifiability import greedy_affine_basis

    a = np.array([[0, 0], [1, 0], [0, 1], [2, 0]], dtype=float)
    b = np.array([[0, 0], [1, 0], [3, 0], [0, 1]], dtype=float)
    assert greedy_affine_basis([a], 2, 0) == (1, 2)
    assert greedy_affine_basis([a, b], 2, 0) == (2, 3)
    assert greedy_affine_basis([a, b], 2, 0, limit=1) is None


def test_overflow_is_an_error_not_nan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Logits beyond float64's range give a clear error asking for --dps, never NaN (or bad JSON)."""
    a, b = write_pair(tmp_path)
    with np.load(a) as z:
        huge = save_model(tmp_path / "huge.npz", Model(z["f"] * 1e300, z["g"]))
    code, out, err = run(["compare", str(huge), str(b), "--json"], capsys)
    assert code == 2 and "not finite" in err and "--dps" in err and out == ""


def test_singularity_is_scale_invariant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """f' = 1e100·f, g' = 1e-100·g is ~_L-equivalent to (f, g): L' is not 'singular' because it is small."""
    a, _ = write_pair(tmp_path)
    with np.load(a) as z:
        b = save_model(tmp_path / "scaled.npz", Model(z["f"] * 1e100, z["g"] * 1e-100))
    code, out, _ = run(["compare", str(a), str(b), "--json"], capsys)
    assert code == 0 and json.loads(out)["d_llv"] < 1e-9


def test_unwritable_and_odd_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, b = write_pair(tmp_path)
    np.save(tmp_path / "single.npy", np.ones((3, 2)))
    (tmp_path / "text.npz").write_text("hello")
    for bad, word in ((tmp_path / "single.npy", "single array"), (tmp_path / "text.npz", "cannot read")):
        code, _, err = run(["compare", str(bad), str(b)], capsys)
        assert code == 2 and word in err and "pickle" not in err
    code, _, err = run(["verify", "--claim", "sec1", "--json", str(tmp_path)], capsys)
    assert code == 2 and "directory" in err


def test_partial_set_options_are_completed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--pivot-label alone keeps the other defaults (all other labels; inputs chosen for x_0)."""
    a, b = write_pair(tmp_path)
    code, out, _ = run(["compare", str(a), str(b), "--json", "--pivot-label", "2", "--pivot-input", "4"], capsys)
    sets = json.loads(out)["sets"]
    assert code == 0 and sets["pivot_label"] == 2 and sets["labels"] == [0, 1, 3, 4, 5]
    assert sets["pivot_input"] == 4 and len(sets["inputs"]) == 2 and 4 not in sets["inputs"]
    code, _, err = run(["compare", str(a), str(b), "--pivot-label", "9"], capsys)
    assert code == 2 and "out of range" in err


@pytest.mark.parametrize("labels", ["3-1", ",", ""])
def test_empty_or_descending_index_lists_are_refused(tmp_path: Path, labels: str) -> None:
    a, b = write_pair(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["compare", str(a), str(b), "--labels", labels, "--inputs", "1,2"])
    assert info.value.code == 2


def test_sets_from_a_file_replay_a_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The 'sets' of a compare result (or a saved witness) given back with --sets reproduce it."""
    a, b = write_pair(tmp_path)
    code, out, _ = run(["compare", str(a), str(b), "--json", "--pivot-label", "3", "--inputs", "5,9"], capsys)
    first = json.loads(out)
    (tmp_path / "result.json").write_text(out)
    code, out, _ = run(["compare", str(a), str(b), "--json", "--sets", str(tmp_path / "result.json")], capsys)
    assert code == 0 and json.loads(out)["d_llv"] == first["d_llv"] and json.loads(out)["sets"] == first["sets"]
    (tmp_path / "bad.json").write_text('{"labels": [1]}')
    for bad, word in ((tmp_path / "bad.json", "does not hold sets"), (tmp_path / "none.json", "not found")):
        code, _, err = run(["compare", str(a), str(b), "--sets", str(bad)], capsys)
        assert code == 2 and word in err
    both = ["--sets", str(tmp_path / "result.json"), "--pivot-label", "1"]
    code, _, err = run(["compare", str(a), str(b), *both], capsys)
    assert code == 2 and "--sets gives every set" in err
