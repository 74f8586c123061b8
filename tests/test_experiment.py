"""The synthetic experiment of Section 5: radial data, the numpy trainer (gradients, determinism,
snapshots), the resumable grid of ``closeness experiment width``, and the Section 5 checkers (each
fed a false variant).  The shipped models and their claims: ``tests/test_shipped.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from checks.cli import main
from checks.claims.sec5.bound import check_bound
from checks.claims.sec5.trend import check_trend, trend_outcome
from theory.errors import ClosenessError
from theory.experiments import (
    Grid,
    GridResult,
    compare_across,
    rank_test,
    run_grid,
    spearman,
    stratified_trend_test,
    mean_differences,
    trend_data,
)
from theory.blas import single_threaded_blas
from theory.io import load_model
from theory.synthetic import radial_data, radial_labels
from theory.training import (
    Params,
    TrainSettings,
    init_params,
    mlp_sizes,
    nll_and_grads,
    train,
    trained_model,
)

SMALL = Grid(widths=(8, 16), seeds=(0, 1, 2, 3), steps=200, lr=1e-3, train_size=500, test_size=80,
             min_accuracy=0.0, min_models=2, samples=20)


#: Three widths and five seeds: enough re-assignments (6⁵) for the trend test to decide.
TREND = Grid(widths=(4, 8, 16), seeds=(0, 1, 2, 3, 4), steps=100, lr=1e-3, train_size=300, test_size=60,
             min_accuracy=0.0, min_models=2, samples=10)


@pytest.fixture(scope="module")
def small_grid(tmp_path_factory: pytest.TempPathFactory) -> tuple[GridResult, Path]:
    out = tmp_path_factory.mktemp("grid")
    return run_grid(SMALL, out), out


# ------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------
def test_radial_labels_are_folded_wedges() -> None:
    k = 6
    angles = (np.arange(k) + 0.5) * np.pi / k
    x = np.c_[np.cos(angles), np.sin(angles)]
    assert radial_labels(x, k).tolist() == list(range(k))
    assert radial_labels(-x, k).tolist() == list(range(k))  # x and −x share the wedge
    assert radial_labels(np.array([[1.0, 0.0], [-1.0, 1e-12]]), k).tolist() == [0, k - 1]


def test_radial_data_is_seeded_and_balanced() -> None:
    a, b = radial_data(4, 4000, seed=3), radial_data(4, 4000, seed=3)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert len(a.y_test) == 400 and not np.array_equal(a.x_train[:400], a.x_test)
    counts = np.bincount(a.y_train, minlength=4) / 4000
    assert np.all(np.abs(counts - 0.25) < 0.03)
    assert abs(np.std(a.x_train) - 3.0) < 0.1


# ------------------------------------------------------------------------------------------
# trainer
# ------------------------------------------------------------------------------------------
def test_manual_backprop_matches_finite_differences() -> None:
    rng = np.random.default_rng(7)
    k, width = 4, 5
    pf = init_params(mlp_sizes(2, width, 2), rng)
    pg = init_params(mlp_sizes(k, width, 2), rng)
    x = rng.normal(0, 3, (9, 2))
    y = rng.integers(0, k, 9)
    gf, gg = Params(pf.sizes), Params(pg.sizes)
    nll_and_grads(pf, pg, x, y, k, gf, gg)
    h = 1e-6
    for p, g in ((pf, gf), (pg, gg)):
        numeric = np.empty_like(p.flat)
        for i in range(p.flat.size):
            old = p.flat[i]
            p.flat[i] = old + h
            up = nll_and_grads(pf, pg, x, y, k)
            p.flat[i] = old - h
            down = nll_and_grads(pf, pg, x, y, k)
            p.flat[i] = old
            numeric[i] = (up - down) / (2 * h)
        assert np.max(np.abs(numeric - g.flat)) <= 1e-7 * max(1.0, np.max(np.abs(numeric)))


def test_gradient_check_detects_a_wrong_gradient() -> None:
    """The finite-difference comparison above is sharp: a gradient off by 1 % fails it."""
    rng = np.random.default_rng(8)
    pf, pg = init_params(mlp_sizes(2, 4, 2), rng), init_params(mlp_sizes(3, 4, 2), rng)
    x, y = rng.normal(0, 3, (5, 2)), rng.integers(0, 3, 5)
    gf, gg = Params(pf.sizes), Params(pg.sizes)
    nll_and_grads(pf, pg, x, y, 3, gf, gg)
    i = int(np.argmax(np.abs(gf.flat)))
    old = pf.flat[i]
    pf.flat[i] = old + 1e-6
    up = nll_and_grads(pf, pg, x, y, 3)
    pf.flat[i] = old - 1e-6
    down = nll_and_grads(pf, pg, x, y, 3)
    numeric = (up - down) / 2e-6
    assert abs(numeric - gf.flat[i]) < 1e-7
    assert abs(numeric - 1.01 * gf.flat[i]) > 1e-7


def test_training_is_deterministic_per_seed_and_learns() -> None:
    data = radial_data(4, 1000, 200)
    s = TrainSettings(width=16, seed=5, steps=300, lr=3e-3)
    a, b = train(data, s), train(data, s)
    assert np.array_equal(a.f.flat, b.f.flat) and np.array_equal(a.g.flat, b.g.flat)
    c = train(data, TrainSettings(width=16, seed=6, steps=300, lr=3e-3))
    assert not np.array_equal(a.f.flat, c.f.flat)
    assert a.history[-1][1] < 0.7 * a.history[0][1]  # the loss goes down
    m = trained_model(a, data.x_test)
    assert m.f.shape == (200, 2) and m.g.shape == (4, 2)


def test_single_threaded_blas_restores_the_setting() -> None:
    from threadpoolctl import threadpool_info

    def blas() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    with single_threaded_blas():
        assert all(t == 1 for t in blas())
    assert blas() == before


# ------------------------------------------------------------------------------------------
# the grid: resume, outputs, CLI
# ------------------------------------------------------------------------------------------
def test_resume_skips_trained_models(small_grid: tuple[GridResult, Path]) -> None:
    first, out = small_grid
    assert first.trained == 8 and first.reused == 0
    again = run_grid(SMALL, out)
    assert again.trained == 0 and again.reused == 8
    assert again.accuracy == first.accuracy
    assert [p.d_llv for p in again.pairs] == [p.d_llv for p in first.pairs]
    # a lost model is retrained, and only that one; other settings never reuse these models
    (out / "models" / SMALL.run_dir() / "w16_seed1.json").unlink()
    third = run_grid(SMALL, out)
    assert (third.trained, third.reused) == (1, 7)
    assert third.accuracy == first.accuracy
    meta = json.loads((out / "models" / SMALL.run_dir() / "w8_seed0.json").read_text())
    assert meta["settings"]["steps"] == SMALL.steps
    assert Grid(**{**SMALL.as_dict(), "widths": (8,), "seeds": (0, 1), "steps": 100}).run_dir() != SMALL.run_dir()


def test_saved_models_are_read_by_compare(
    small_grid: tuple[GridResult, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = small_grid
    a, b = (out / "models" / SMALL.run_dir() / f"w16_seed{s}.npz" for s in (0, 2))
    assert load_model(a).f.shape == (SMALL.test_size, 2)
    assert main(["compare", str(a), str(b), "--select", "paper", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["d_llv"] >= 0 and 0 <= j["d_fg"] <= 1 + 1e-12


def test_cli_writes_table_csv_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["experiment", "width", "--widths", "8,16", "--seeds", "0-2", "--steps", "150", "--lr", "1e-3",
            "--train-size", "400", "--test-size", "60", "--min-accuracy", "0", "--min-models", "2",
            "--samples", "10", "--out", str(tmp_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "| width |" in text and "Spearman(width, d_LLV)" in text
    assert "re-assigned among the models of each seed" in text
    for name in ("width_K6_pairs.csv", "width_K6_across.csv", "width_K6_summary.csv", "width_K6.json",
                 "width_K6.png"):
        assert (tmp_path / name).stat().st_size > 0
    rows = (tmp_path / "width_K6_summary.csv").read_text().splitlines()
    assert rows[0].startswith("width,models,kept") and len(rows) == 3
    assert (tmp_path / "width_K6.png").read_bytes()[:4] == b"\x89PNG"
    trend = json.loads((tmp_path / "width_K6.json").read_text())["trend"]
    assert set(trend["d_llv"]) == {"models", "means"}  # no p-value from permuting shared-model pairs
    assert trend["d_llv"]["models"]["pairs"] == 6 and "within seeds" in trend["d_llv"]["models"]["null"]


@pytest.mark.parametrize("bad", [["--seeds", "3"], ["--widths", "0"], ["--classes", "2"], ["--min-accuracy", "2"]])
def test_cli_rejects_bad_settings(bad: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", "width", *bad, "--out", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# Section 5 checkers, each also fed a false variant
# ------------------------------------------------------------------------------------------
def test_bound_holds_on_trained_pairs_and_a_smaller_constant_is_refuted(small_grid: tuple[GridResult, Path]) -> None:
    result, _ = small_grid
    assert check_bound(result.pairs, result.models).verdict == "verified"
    false = check_bound(result.pairs, result.models, constant=1e-4)
    assert false.verdict == "refuted"
    assert false.evidence["ball_checked"][-1]["verdict"] == "refuted"  # certified, not float64 only


def test_bound_check_uses_balls_when_the_margin_is_small(small_grid: tuple[GridResult, Path]) -> None:
    result, _ = small_grid
    out = check_bound(result.pairs, result.models, certify_below=np.inf)  # every pair decided in ball arithmetic
    assert out.verdict == "verified" and len(out.evidence["ball_checked"]) == out.evidence["pairs"]


def test_spearman_and_rank_test() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(np.sqrt(0.8))  # ties: average ranks
    t = rank_test([16, 32, 64, 128], [4.0, 3.0, 2.0, 1.0])
    assert t["p_decreasing"] == pytest.approx(1 / 24) and t["null"] == "exact"


def _latent_models(widths: tuple[int, ...], seeds: int, spread: Callable[[int], float],
                   rng: np.random.Generator) -> tuple[list[int], list[int], np.ndarray]:
    """Models as random points of R³ whose scatter depends on the width (and a heavy-tailed factor of
    their own, so that pairs sharing a model are strongly dependent); values: Euclidean distances."""
    ws = [w for w in widths for _ in range(seeds)]
    ss = [s for _ in widths for s in range(seeds)]
    x = rng.normal(size=(len(ws), 3)) * np.array([spread(w) for w in ws])[:, None]
    x *= np.exp(rng.normal(size=len(ws)))[:, None]
    return ws, ss, np.linalg.norm(x[:, None] - x[None], axis=2)


def test_stratified_statistic_is_the_spearman_of_the_same_width_pairs() -> None:
    ws, ss, d = _latent_models((16, 32, 64), 4, lambda w: 1.0, np.random.default_rng(3))
    same = [(i, j) for i in range(len(ws)) for j in range(i + 1, len(ws)) if ws[i] == ws[j]]
    t = stratified_trend_test(ws, ss, d)
    assert t["rho"] == pytest.approx(spearman([ws[i] for i, _ in same], [d[i, j] for i, j in same]))
    assert t["null"].startswith("exact: all 1296 ")  # (3!)⁴ re-assignments
    mc = stratified_trend_test(ws, ss, d, permutations=1000)  # random re-assignments: close to exact
    assert mc["rho"] == t["rho"] and abs(mc["p_decreasing"] - t["p_decreasing"]) < 0.05
    with pytest.raises(ClosenessError):
        stratified_trend_test(ws, ss, np.where(np.eye(len(ws)) == 0, np.nan, 0.0))  # pair values missing


def test_trend_checker_verifies_a_decrease_and_refutes_the_reversed_data() -> None:
    rng = np.random.default_rng(1)
    ws, ss, d = _latent_models((16, 32, 64, 128), 5, lambda w: 1.0 / w, rng)
    assert check_trend(ws, ss, {"d_llv": d, "d_fg": d / 2}).verdict == "verified"
    widths = sorted(set(ws))
    reversed_ws = [widths[::-1][widths.index(w)] for w in ws]  # the same models, width labels reversed
    out = check_trend(reversed_ws, ss, {"d_llv": d, "d_fg": d / 2})
    assert out.verdict == "refuted" and out.evidence["witness"]["p_increasing"]["d_llv"] <= 0.025
    # one of the two quantities increasing refutes the joint claim
    ws2, ss2, up = _latent_models((16, 32, 64, 128), 5, float, rng)
    assert check_trend(ws2, ss2, {"d_llv": d, "d_fg": up}).verdict == "refuted"
    ws3, ss3, flat = _latent_models((16, 32, 64, 128), 5, lambda w: 1.0, np.random.default_rng(2))
    assert check_trend(ws3, ss3, {"d_llv": flat, "d_fg": flat}).verdict == "undecided"  # no trend


def test_stratified_test_is_not_anti_conservative_with_shared_models() -> None:
    """With no width effect, P(p ≤ 0.05) stays near 0.05 for the model-level test, while permuting the
    same-width pairs as if exchangeable (the former test) rejects far too often."""
    rng = np.random.default_rng(0)
    runs, model_level, pair_level = 300, [], []
    for _ in range(runs):
        ws, ss, d = _latent_models((16, 32, 64), 4, lambda w: 1.0, rng)
        model_level.append(stratified_trend_test(ws, ss, d)["p_decreasing"])
        same = [(i, j) for i in range(len(ws)) for j in range(i + 1, len(ws)) if ws[i] == ws[j]]
        pair_level.append(rank_test([ws[i] for i, _ in same], [d[i, j] for i, j in same],
                                    permutations=500)["p_decreasing"])
    p = np.array(model_level)
    se = np.sqrt(0.05 * 0.95 / runs)
    assert np.mean(p <= 0.05) <= 0.05 + 3 * se
    assert np.mean(p <= 0.25) <= 0.25 + 3 * np.sqrt(0.25 * 0.75 / runs)
    assert np.mean(np.array(pair_level) <= 0.05) > 0.05 + 3 * se  # the anti-conservative pair permutation


@pytest.fixture(scope="module")
def trend_grid() -> GridResult:
    result = run_grid(TREND)
    compare_across(result)
    return result


def _relabel_values(result: GridResult, spread: Callable[[int], float]) -> GridResult:
    """``result`` with every pair value replaced by the distance of latent points whose scatter is
    ``spread(width)`` (d_fg = d_LLV / 2), keeping the models and the pairs."""
    rng = np.random.default_rng(4)
    point = {k: rng.normal(size=3) * spread(k[0]) for k in result.trend_models()}

    def value(ka: tuple[int, int], kb: tuple[int, int]) -> float:
        return float(np.linalg.norm(point[ka] - point[kb]))

    pairs = [replace(p, d_llv=value((p.width, p.seed_a), (p.width, p.seed_b)),
                     d_fg=value((p.width, p.seed_a), (p.width, p.seed_b)) / 2) for p in result.pairs]
    across = {k: replace(p, d_llv=value(*k), d_fg=value(*k) / 2) for k, p in result.across.items()}
    return GridResult(result.grid, result.models, result.accuracy, pairs, across)


def test_trend_outcome_on_a_trained_grid_and_its_refutation(trend_grid: GridResult) -> None:
    """The claim's own wrapper: runs on trained models, verifies values shrinking with width and
    refutes values growing with width (same models, same pairs, only the values changed)."""
    out = trend_outcome(trend_grid)
    assert out.verdict in ("verified", "undecided", "refuted")
    assert out.evidence["kept_models"] == 15 and out.evidence["d_llv"]["pairs"] == 30
    ws, ss, d = trend_data(trend_grid, "d_llv")
    i, j = np.triu_indices(len(ws), 1)
    other_seed = np.array(ss)[i] != np.array(ss)[j]
    assert np.all(np.isfinite(d[i, j][other_seed])) and np.all(np.isnan(d[i, j][~other_seed]))
    assert trend_outcome(_relabel_values(trend_grid, lambda w: 1.0 / w)).verdict == "verified"
    assert trend_outcome(_relabel_values(trend_grid, float)).verdict == "refuted"


def test_effect_sizes_follow_the_values(trend_grid: GridResult) -> None:
    """Shrinking values give negative width differences whose bootstrap interval excludes 0;
    the reversed values give positive ones."""
    down = mean_differences(_relabel_values(trend_grid, lambda w: 1.0 / w), "d_llv")
    up = mean_differences(_relabel_values(trend_grid, float), "d_llv")
    assert [(r["narrower"], r["wider"]) for r in down] == [(4, 8), (8, 16), (4, 16)]
    assert down[-1]["difference"] < 0 and down[-1]["ci"][1] < 0 and down[-1]["excludes_zero"]
    assert up[-1]["difference"] > 0 and up[-1]["ci"][0] > 0
    for r in down + up:
        assert r["ci"][0] <= r["difference"] <= r["ci"][1] or not r["excludes_zero"]


def test_training_snapshot_equals_a_shorter_run() -> None:
    """The snapshot after s steps is the model of an s-step run (so one run gives two budgets)."""
    data = radial_data(4, 600, 50)
    long = train(data, TrainSettings(width=8, seed=2, steps=120, lr=1e-3), snapshots=[40])
    short = train(data, TrainSettings(width=8, seed=2, steps=40, lr=1e-3))
    assert np.array_equal(long.at(40).f.flat, short.f.flat) and np.array_equal(long.at(40).g.flat, short.g.flat)
    assert not np.array_equal(long.f.flat, short.f.flat)
    with pytest.raises(ClosenessError, match="no snapshot"):
        long.at(41)
    with pytest.raises(ClosenessError, match="snapshot steps"):
        train(data, TrainSettings(width=8, seed=2, steps=10), snapshots=[11])


# ------------------------------------------------------------------------------------------
# faults: a damaged cache, impossible sizes, nothing kept, progress, JSON
# ------------------------------------------------------------------------------------------
TINY_ARGS = ["experiment", "width", "--widths", "4,8", "--seeds", "0-2", "--steps", "30", "--train-size", "256",
             "--test-size", "30", "--min-models", "2", "--samples", "5"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    assert main([*TINY_ARGS, "--min-accuracy", "0", "--no-plot", "--quiet", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(("file", "damage"), [
    ("w4_seed0.json", b'{"settings": '), ("w4_seed1.json", b"[1, 2]"), ("w8_seed0.json", b'{"test_accuracy": NaN}'),
    ("w8_seed1.npz", None), ("w8_seed2.npz", b"PK\x03\x04 not a zip"),
])
def test_a_damaged_cache_entry_is_retrained_not_a_stopped_run(tiny_run: Path, file: str, damage: bytes | None,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    runs = next((tiny_run / "models").iterdir())
    path = runs / file
    path.write_bytes(path.read_bytes()[:200] if damage is None else damage)  # None: a truncated model file
    lines: list[str] = []
    grid = Grid(widths=(4, 8), seeds=(0, 1, 2), steps=30, train_size=256, test_size=30, min_accuracy=0.0,
                min_models=2, samples=5)
    result = run_grid(grid, tiny_run, lambda text, final: lines.append(text))
    assert (result.trained, result.reused) == (1, 5)
    assert any("not usable" in text and file in text for text in lines)
    assert main([*TINY_ARGS, "--min-accuracy", "0", "--no-plot", "--quiet", "--out", str(tiny_run)]) == 0
    capsys.readouterr()


def test_nothing_kept_says_so_and_writes_no_nan(tiny_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY_ARGS, "--min-accuracy", "0.99", "--quiet", "--out", str(tiny_run)]) == 3
    cap = capsys.readouterr()
    assert "nan" not in cap.out.lower() and "| — | — |" in cap.out
    assert cap.err.count("\n") == 1 and "no width kept 2 models" in cap.err and "--min-accuracy" in cap.err
    for name in ("width_K6_summary.csv", "width_K6_pairs.csv", "width_K6.json"):
        assert "nan" not in (tiny_run / name).read_text().lower()
    doc = json.loads((tiny_run / "width_K6.json").read_text())
    assert doc["summary"][0]["mean_d_llv"] is None and "no width kept" in doc["shortfall"]


def test_json_to_stdout_or_to_a_file(tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY_ARGS, "--min-accuracy", "0", "--no-plot", "--quiet", "--out", str(tiny_run), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "closeness-experiment-width/1" and doc["summary"][0]["pairs"] == 3
    target = tmp_path / "run.json"
    assert main([*TINY_ARGS, "--min-accuracy", "0", "--no-plot", "--quiet", "--out", str(tiny_run),
                 "--json", str(target)]) == 0
    assert "| width |" in capsys.readouterr().out and json.loads(target.read_text())["grid"]["widths"] == [4, 8]


def test_progress_only_when_asked_off_a_terminal(tiny_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [*TINY_ARGS, "--min-accuracy", "0", "--no-plot", "--out", str(tiny_run)]
    assert main(base) == 0
    assert "loaded" not in capsys.readouterr().err  # stderr is not a terminal here
    assert main([*base, "--progress"]) == 0
    assert "[6/6] width 8 seed 2: loaded" in capsys.readouterr().err
    assert main([*base, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad", [["--widths", "100000000"], ["--classes", "100000000000"],
                                 ["--train-size", "100000000000"], ["--test-size", "100000000000"]])
def test_sizes_asking_for_terabytes_are_refused_before_allocating(bad: list[str], tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", "width", *bad, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "GiB of memory" in err and err.count("\n") == 1
    assert not (tmp_path / "models").exists()
