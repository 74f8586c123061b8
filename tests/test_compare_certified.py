"""``closeness compare --certified``: enclosures from the same formulas in ball arithmetic, and the
bounds ``d_{f,g} ≤ 2Mε`` and ``d_{f,g} ≤ 2ε²`` decided without ever calling an overlap "holds"."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import flint
import numpy as np
import pytest

from checks.cli import main
from theory.compare import CERTIFIED_DPS, FAILS, HOLDS, UNDECIDED, Comparison, compare, decide_leq, enclosure
from theory.errors import ClosenessError
from theory.families import TIGHT_QUADRATIC, sign_flip_pair
from theory.io import save_model
from theory.model import Model


def pair(n: int = 20, k: int = 5, m: int = 2, noise: float = 0.2, seed: int = 0) -> tuple[Model, Model]:
    """A model and a perturbed copy (a "normal" pair: the bounds hold with room to spare)."""
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), 2 * rng.normal(size=(k, m))
    return Model(f, g), Model(f + noise * rng.normal(size=f.shape), g)


def write(tmp: Path, a: Model, b: Model) -> list[str]:
    return [str(save_model(tmp / "a.npz", a)), str(save_model(tmp / "b.npz", b))]


def scalars(j: dict[str, Any]) -> dict[str, Any]:
    """Every distance of a compare JSON object, by name (each d_SVD part included)."""
    t = j["terms"]
    out = {"d_kl_ab": j["d_kl"]["ab"], "d_kl_ba": j["d_kl"]["ba"], "d_llv": j["d_llv"], "d_svd_g": j["d_svd_g"],
           "d_fg": j["d_fg"], "m_cca": j["m_cca"], **{name: t[name] for name in ("T1", "T2", "T3", "T4")}}
    out.update({f"d_svd_f{e['labels']}": e["d_svd"] for e in j["d_svd_f"]})
    return out


def false_bound(result: Comparison) -> str:
    """A deliberately false variant of the sharper bound, ``d_{f,g} ≤ 0.1·2ε²``, decided as the
    real ones are (a test-level helper: the command never states it)."""
    eps = result.values["d_llv"]
    with result.arith.active():
        return decide_leq(result.values["fg"].value, flint.arb("0.1") * 2 * eps * eps)


# -- enclosures ----------------------------------------------------------------------------------
@pytest.mark.parametrize("select", ["fixed", "paper"])
def test_enclosures_contain_the_50_digit_values(select: str) -> None:
    a, b = pair()
    kw: dict[str, Any] = {"select": select, "samples": 10}
    certified = compare(a, b, certified=True, **kw).as_json()
    exact = compare(a, b, dps=50, **kw).as_json()
    assert certified["precision"] == {"kind": "arb", "dps": CERTIFIED_DPS}
    assert certified["sets"] == exact["sets"]  # the selection is made at float64 in both
    balls, values = scalars(certified), scalars(exact)
    assert balls.keys() == values.keys() and len(balls) >= 11
    for name, ball in balls.items():
        lo, hi, v = Decimal(ball["lower"]), Decimal(ball["upper"]), Decimal(values[name])
        assert lo <= v <= hi, (name, ball, values[name])
        assert hi - lo <= Decimal("1e-20") * max(1, abs(v)), (name, ball)  # tight, not merely true
    for key in ("sigma", "sigma2", "a", "b", "c", "e", "s", "s2"):
        for ball, v in zip(certified["terms"][key], exact["terms"][key], strict=True):
            assert Decimal(ball["lower"]) <= Decimal(v) <= Decimal(ball["upper"]), key


def test_enclosure_strings_are_rounded_outward() -> None:
    third = flint.arb(1) / 3
    assert enclosure(third, 10) == {"lower": "0.3333333333", "upper": "0.3333333334"}
    assert enclosure(-third, 10) == {"lower": "-0.3333333334", "upper": "-0.3333333333"}
    assert enclosure(flint.arb(0), 10) == {"lower": "0", "upper": "0"}
    with pytest.raises(ClosenessError, match="not finite"):
        enclosure(flint.arb("nan"), 10)


# -- decisions -----------------------------------------------------------------------------------
def test_decide_leq_never_calls_an_overlap_holds() -> None:
    one, wide = flint.arb(1), flint.arb(1, 0.5)
    assert decide_leq(one, one) == HOLDS  # exact points: 1 ≤ 1 is true
    assert decide_leq(one, flint.arb(2)) == HOLDS
    assert decide_leq(flint.arb(2), one) == FAILS
    assert decide_leq(wide, one) == UNDECIDED and decide_leq(one, wide) == UNDECIDED
    assert decide_leq(flint.arb(0.99), wide) == UNDECIDED
    assert decide_leq(flint.arb("nan"), one) == UNDECIDED and decide_leq(one, flint.arb("inf")) == UNDECIDED


def test_bounds_certainly_hold_on_a_normal_pair() -> None:
    result = compare(*pair(), certified=True)
    assert {key: verdict for key, (_, verdict) in result.bounds().items()} == {"2Meps": HOLDS, "2eps2": HOLDS}


def test_a_deliberately_false_bound_certainly_fails() -> None:
    tight = sign_flip_pair(*TIGHT_QUADRATIC)  # ε = 1/√5 and d_{f,g} = 2/5 = 2ε² exactly
    result = compare(tight.a, tight.b, tight.sets, certified=True)
    assert false_bound(result) == FAILS
    verdicts = {key: verdict for key, (_, verdict) in result.bounds().items()}
    assert verdicts == {"2Meps": HOLDS, "2eps2": UNDECIDED}  # equality: the enclosures must overlap
    assert compare(tight.a, tight.b, tight.sets, certified=True, dps=60).bounds()["2eps2"][1] == UNDECIDED


def test_bounds_need_a_certified_comparison() -> None:
    with pytest.raises(ClosenessError, match="--certified"):
        compare(*pair()).bounds()


# -- the command ---------------------------------------------------------------------------------
def test_cli_text_shows_midpoint_radius_and_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *write(tmp_path, *pair()), "--certified"]) == 0
    out = capsys.readouterr().out
    assert f"arb balls, {CERTIFIED_DPS} digits" in out
    for row in ("d_KL(A‖B)", "d_LLV", "T4", "d_{f,g}", "m_CCA", "bound 2Mε", "sharper bound 2ε²"):
        line = next(x for x in out.splitlines() if x.strip().startswith(row))
        assert " ± " in line or "(exact)" in line, line
    assert "d_{f,g} ≤ 2Mε (the paper's bound): certainly holds" in out
    assert "d_{f,g} ≤ 2ε² (sharper): certainly holds" in out


def test_cli_json_has_enclosures_and_no_nan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *write(tmp_path, *pair()), "--certified", "--dps", "40", "--json"]) == 0
    text = capsys.readouterr().out

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON")

    j = json.loads(text, parse_constant=refuse)
    assert j["precision"] == {"kind": "arb", "dps": 40}
    for name, ball in scalars(j).items():
        assert set(ball) == {"lower", "upper"} and Decimal(ball["lower"]) <= Decimal(ball["upper"]), name
    assert set(j["bounds"]) == {"2Meps", "2eps2"}
    assert all(v["verdict"] in (HOLDS, FAILS, UNDECIDED) and set(v["bound"]) == {"lower", "upper"}
               for v in j["bounds"].values())


def test_cli_equivalent_pair_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    f, g = rng.normal(size=(30, 2)), rng.normal(size=(5, 2))
    swap = np.array([[0.0, 2.0], [0.5, 0.0]])  # exact in binary: (f, g) ~_L (f A, g A⁻ᵀ) with no rounding
    models = write(tmp_path, Model(f, g), Model(f @ swap, g @ np.linalg.inv(swap).T))
    assert main(["compare", *models, "--certified"]) == 0
    out = capsys.readouterr().out
    assert "both enclose 0" in out and "equivalent (~L)" in out
    assert "certainly fails" not in out and "certainly holds" not in out  # 0 ≤ 0 is never decided


def test_cli_near_equivalent_pair_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    f, g = rng.normal(size=(30, 2)), rng.normal(size=(5, 2))
    mix = np.array([[2.0, 1.0], [0.3, 1.0]])  # f A rounds: equivalent up to the stored float64 numbers
    models = write(tmp_path, Model(f, g), Model(f @ mix, g @ np.linalg.inv(mix).T))
    assert main(["compare", *models, "--certified", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert Decimal(j["d_llv"]["upper"]) < Decimal("1e-10") and j["bounds"]["2Meps"]["verdict"] != FAILS
    assert main(["compare", *models, "--certified"]) == 0
    assert "equivalent up to the rounding of their stored parameters" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--chunk", "10"], "drop --certified or --chunk"),
    (["--dps", "10"], "between 15 and"),
])
def test_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                               message: str) -> None:
    assert main(["compare", *write(tmp_path, *pair()), "--certified", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_certified_refuses_a_size_it_cannot_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    big = Model(rng.normal(size=(25_000, 2)), rng.normal(size=(9, 2)))
    assert main(["compare", *write(tmp_path, big, big), "--certified"]) == 2
    err = capsys.readouterr().err
    assert "200000" in err and "drop --certified" in err


def test_near_singular_covariance_is_a_clear_error_never_nan(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    g = rng.normal(size=(4, 2))
    for delta in (2e-8, 5e-8):  # Cholesky, then the triangular solve, cannot be certified at 15 digits
        f = np.c_[x, x * (1 + delta * rng.normal(size=30))]
        models = write(tmp_path, Model(f, g), Model(f + 0.1 * rng.normal(size=f.shape), g))
        assert main(["compare", *models, "--certified", "--dps", "15", "--json"]) == 2
        err = capsys.readouterr().err
        assert "higher" in err and "--dps" in err and "nan" not in err.lower()
        assert main(["compare", *models, "--certified", "--json"]) == 0  # 30 digits resolve it
        j = json.loads(capsys.readouterr().out)
        assert Decimal(j["m_cca"]["upper"]) - Decimal(j["m_cca"]["lower"]) < Decimal("1e-10")
