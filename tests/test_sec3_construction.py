"""Section 3 construction, derivations and commands (theory/counterexample.py, checks/cli/sec3.py)."""

from __future__ import annotations

import csv
import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from checks.cli import main
from theory.compare import compare
from theory.counterexample import (
    PAPER_PERMUTATION,
    KLConstruction,
    affine_permutation,
    grid,
    kl_bound,
    margin,
    paper_random,
    rho_for_eps,
    rho_star,
)
from theory.derivations import kl as dkl
from theory.errors import ClosenessError
from theory.io import load_model
from theory.precision import FLOAT64, MP, Ball


def test_paper_permutation_is_2k_plus_5() -> None:
    assert PAPER_PERMUTATION == affine_permutation(2, 5, 7)
    with pytest.raises(ClosenessError):
        affine_permutation(7, 0, 7)


def test_random_version_follows_the_papers_draws() -> None:
    c = paper_random(3, per_class=6)
    rng = np.random.default_rng(3)
    phi = rng.uniform(-np.pi / 64, np.pi / 64, (7, 6))
    r = np.abs(0.01 * rng.standard_normal((7, 6))) + 2
    f, g, f2, g2 = c.arrays(5.0)
    s = PAPER_PERMUTATION
    for k in range(7):
        for j in range(6):
            i = 6 * k + j
            ang = 2 * np.pi * k / 7 + phi[k, j]
            assert np.allclose(f[i], r[k, j] * np.array([np.cos(ang), np.sin(ang)]))
            ang = 2 * np.pi * s[k] / 7 + phi[s[k], j]
            assert np.allclose(f2[i], r[k, j] * np.array([np.cos(ang), np.sin(ang)]))
        assert np.allclose(g2[k], g[s[k]])
    assert np.allclose(np.linalg.norm(g, axis=1), 5.0)
    assert c.phi_max <= np.pi / 64 and 2 <= c.r_min <= c.r_max


def test_grid_version_and_precisions_agree() -> None:
    c = grid(3)
    assert np.allclose(c.jitter, c.jitter[0]) and np.allclose(c.radii, c.radii[0])
    f, g, _, _ = c.arrays(2)
    for P in (MP(30), Ball(30)):
        fp, gp, _, _ = c.arrays(2, P)
        assert np.allclose(P.midpoint(fp), f, atol=1e-14) and np.allclose(P.midpoint(gp), g, atol=1e-14)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"perm": (0, 1, 1, 2, 3, 4, 5)},
        {"turns": (Fraction(0), Fraction(1)), "perm": (0, 1)},
        {"turns": (Fraction(0), Fraction(1), Fraction(1, 2)), "perm": (0, 1, 2)},
    ],
)
def test_bad_constructions_raise(kwargs: dict) -> None:
    base = {"turns": tuple(Fraction(k, 7) for k in range(7)), "jitter": np.zeros((7, 2)),
            "radii": np.ones((7, 2)), "perm": tuple(range(7))}
    base.update(kwargs)
    k = len(base["turns"])
    base["jitter"], base["radii"] = np.zeros((k, 2)), np.ones((k, 2))
    with pytest.raises(ClosenessError):
        KLConstruction(**base)


def test_unseparated_clusters_have_no_margin() -> None:
    c = KLConstruction(tuple(Fraction(k, 4) for k in range(4)), np.full((4, 1), 1.0), np.ones((4, 1)), (0, 1, 2, 3))
    assert not c.separated()
    with pytest.raises(ClosenessError):
        kl_bound(c, 3.0)


def test_rho_formulas() -> None:
    c = grid(4)
    d = float(margin(c))
    for eps in (1e-3, 1e-10):
        r_log = float(rho_for_eps(eps, 7, d, c.r_max, FLOAT64))
        r_w = float(rho_star(str(eps), 7, d, c.r_max, MP(30)))
        assert r_w < r_log
        assert float(kl_bound(c, r_w)) == pytest.approx(eps, rel=1e-9)
        assert float(kl_bound(c, r_log)) <= eps


def test_derivations_vanish_and_cross_check_numerically() -> None:
    res, syms = dkl.kl_identity(3)
    assert res == 0
    vals = dict(zip(syms["z"] + syms["w"], [sp.Rational(v) for v in (0.3, -1.2, 2.0, 1.1, 0.4, -0.7)], strict=True))
    assert abs(float((syms["kl"] - syms["rhs"]).subs(vals).evalf(30))) < 1e-25
    assert dkl.rho_eps_log()[1] == 0 and dkl.rho_eps_lambert()[1] == 0
    assert dkl.standardise_scale(3).is_zero_matrix


def test_root_sums_fail_for_bad_permutations() -> None:
    assert dkl.root_sums(PAPER_PERMUTATION)["minus"].is_zero
    assert not dkl.root_sums(tuple(range(7)))["minus"].is_zero  # σ = id: Σ 1 = 7
    assert not dkl.root_sums(affine_permutation(6, 0, 7))["plus"].is_zero  # σ = −k: k + σ(k) = 0
    assert not dkl.grid_moments(tuple(range(7)))["E f f'^T"].is_zero_matrix
    # the cyclotomic reduction agrees with a plain numeric sum
    for perm in (PAPER_PERMUTATION, tuple(range(7)), affine_permutation(3, 1, 7)):
        r = dkl.root_sums(perm)
        assert abs(complex(r["minus_expr"].evalf(30))) < 1e-20 or not r["minus"].is_zero


def test_grid_pair_is_exactly_uncorrelated_and_identity_is_equivalent() -> None:
    c = grid(4)
    a, b = c.models(6.0)
    res = compare(a, b).values
    assert float(res["m_cca"]) < 1e-12 and float(res["fg"].value) > 1 - 1e-12
    a, b = c.with_perm(tuple(range(7))).models(6.0)
    res = compare(a, b).values
    assert float(res["d_kl_ab"]) == 0 and float(res["fg"].value) < 1e-12


def test_cli_counterexample_writes_models(tmp_path, capsys) -> None:
    assert main(["counterexample", "kl", "--rho", "4", "--grid", "--per-class", "3", "--out", str(tmp_path)]) == 0
    a, b = load_model(tmp_path / "model_a.npz"), load_model(tmp_path / "model_b.npz")
    assert (a.n, a.K, a.M) == (b.n, b.K, b.M) == (21, 7, 2)
    assert main(["compare", str(tmp_path / "model_a.npz"), str(tmp_path / "model_b.npz"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert float(out["d_kl"]["ab"]) <= float(kl_bound(grid(3), 4.0))


def test_cli_table1_csv(tmp_path) -> None:
    path = tmp_path / "t.csv"
    assert main(["table1", "--rho", "1,20", "--per-class", "4", "--dps", "20", "--csv", str(path)]) == 0
    with path.open() as fh:
        rows = list(csv.reader(fh))
    assert ",".join(rows[0]) == "rho,d_kl,d_llv,m_cca_f,max_d_svd_f,max_d_svd_g,d_kl_float32,d_kl_float64"
    assert [r[0] for r in rows[1:]] == ["1", "20"]
    assert float(rows[2][1]) < float(rows[1][1])
    assert float(rows[2][7]) == pytest.approx(float(rows[2][1]), rel=1e-12)


@pytest.mark.parametrize(
    "argv",
    [
        ["counterexample", "kl", "--rho", "0", "--out", "x"],
        ["counterexample", "kl", "--rho", "2", "--grid", "--per-class", "0", "--out", "x"],
        ["table1", "--rho", "0..3"],
        ["table1", "--dps", "10"],
        ["search", "kl", "--eps", "-1"],
        ["search", "kl", "--eps", "1e-3", "--examples", "0"],
    ],
)
def test_cli_bad_input_exits_2(argv: list[str], capsys) -> None:
    try:
        status = main(argv)
    except SystemExit as err:
        status = err.code
    assert status == 2
    assert "Traceback" not in capsys.readouterr().err
