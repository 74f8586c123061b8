"""The shipped models of Section 5 (:mod:`theory.shipped`) and the claims decided on them: file
integrity, the vectorised pair evaluator against :func:`theory.compare.compare`, reproducibility
(CI retrains two shipped models), progress and resume, the commands, and a false variant of each
claim that is refuted or left undecided."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from checks.claims.sec5 import common
from checks.claims.sec5.bound import check_bound
from checks.claims.sec5.reproducible import check_reproduced
from checks.claims.sec5.trend import trend_outcome
from checks.cli import main
from checks.registry import Context, all_claims
from theory.compare import compare
from theory.errors import ClosenessError
from theory.experiments import GridResult, pair_distances
from theory.model import Model
from theory.shipped import (
    Shipped,
    ShippedModel,
    WidthSpec,
    load_shipped,
    max_difference,
    train_model,
    train_models,
    write_shipped,
)

TINY = WidthSpec(widths=(8, 12), seeds=(0, 1, 2), budgets=(60, 120), lr=3e-3, train_size=400, test_size=60)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Shipped, Path]:
    root = tmp_path_factory.mktemp("shipped")
    models = train_models(TINY, root / "cache")
    write_shipped(TINY, models, root / "data")
    return load_shipped(root / "data"), root


@pytest.fixture
def as_shipped(tiny: tuple[Shipped, Path]) -> Iterator[Shipped]:
    """The Section 5 claims and commands reading the tiny shipped set instead of the package's
    width experiment (``test_the_stand_ins_reach_every_section5_claim`` shows that they all do)."""
    sh, _ = tiny
    with common.stand_ins({"width": sh}):
        yield sh


def _perturbed(m: ShippedModel, delta: float) -> ShippedModel:
    models = {b: Model(np.asarray(x.f) + delta, x.g) for b, x in m.models.items()}
    return replace(m, models=models)


# ------------------------------------------------------------------------------------------
# files, manifest, training cache
# ------------------------------------------------------------------------------------------
def test_manifest_records_every_model(tiny: tuple[Shipped, Path]) -> None:
    sh, root = tiny
    manifest = json.loads((root / "data" / "manifest.json").read_text())
    assert manifest["spec"]["budgets"] == [60, 120] and len(manifest["models"]) == 6
    e = manifest["models"][0]
    for key in ("width", "seed", "steps", "lr", "test_accuracy", "config_hash", "trainer_version", "sha256"):
        assert key in e
    m = sh.get(12, 2)
    assert m.models[120].f.shape == (60, 2) and m.models[60].g.shape == (6, 2)
    assert m.models[120].f.dtype == np.float64
    again = write_shipped(TINY, sh.models, root / "again")  # same models, same bytes (no timestamps)
    assert [e["sha256"] for e in json.loads(again.read_text())["models"]] == [e["sha256"] for e in manifest["models"]]


def test_a_changed_file_or_configuration_is_refused(tiny: tuple[Shipped, Path], tmp_path: Path) -> None:
    _, root = tiny
    data = tmp_path / "data"
    data.mkdir()
    for p in (root / "data").iterdir():
        (data / p.name).write_bytes(p.read_bytes())
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["models"][0]["config"]["settings"]["lr"] = 1.0
    (data / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ClosenessError, match="recorded hash"):
        load_shipped(data)
    blob = bytearray((root / "data" / "w8_s0.npz").read_bytes())
    blob[-30] ^= 1
    (data / "w8_s0.npz").write_bytes(bytes(blob))
    (data / "manifest.json").write_text((root / "data" / "manifest.json").read_text())
    with pytest.raises(ClosenessError, match="SHA-256"):
        load_shipped(data)


def test_training_resumes_from_the_cache_and_reports_an_eta(tiny: tuple[Shipped, Path]) -> None:
    _, root = tiny
    lines: list[tuple[str, bool]] = []
    again = train_models(TINY, root / "cache", lambda text, final: lines.append((text, final)))
    assert len(again) == 6 and lines == []  # nothing retrained
    spec = replace(TINY, seeds=(0, 1, 2, 3))
    more = train_models(spec, root / "cache", lambda text, final: lines.append((text, final)))
    assert len(more) == 8 and sum(final for _, final in lines) == 2  # only the two new models
    assert any("ETA" in text for text, final in lines if not final)
    assert all("done" in text for text, _ in lines)


def test_a_damaged_cache_entry_is_retrained_not_a_traceback(tiny: tuple[Shipped, Path], tmp_path: Path) -> None:
    """Unreadable metadata, foreign metadata and a truncated model file in the training cache are
    each retrained (with a line saying so), and the retrained model equals the original."""
    import shutil

    _, root = tiny
    cache = tmp_path / "cache"
    shutil.copytree(root / "cache", cache)
    spec = replace(TINY, seeds=(0, 1))
    entries = sorted(cache.glob("*/w*_s*.json"))
    by_name = {e.name: e for e in entries}
    w = TINY.widths[0]
    by_name[f"w{w}_s0.json"].write_text("{not json", encoding="utf-8")
    by_name[f"w{w}_s1.json"].write_text('{"config": {"foreign": true}}', encoding="utf-8")
    npz = by_name[f"w{TINY.widths[-1]}_s0.json"].with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:40])
    lines: list[tuple[str, bool]] = []
    again = train_models(spec, cache, lambda text, final: lines.append((text, final)))
    damaged = [t for t, _ in lines if "damaged" in t]
    assert len(damaged) == 3 and all("retraining" in t for t in damaged)
    original = {(m.width, m.seed): m for m in train_models(spec, root / "cache")}
    for m in again:
        assert max_difference(m, original[(m.width, m.seed)]) == 0.0


# ------------------------------------------------------------------------------------------
# the vectorised evaluator is theory.compare
# ------------------------------------------------------------------------------------------
def test_pair_distances_equal_compare_on_shipped_models() -> None:
    """On pairs of the package's shipped models: the same sets and values as theory.compare."""
    sh = common.shipped()
    models = [m.models[sh.spec.steps] for m in sh.models]
    rng = np.random.default_rng(0)
    for i, j in rng.choice(len(models), size=(6, 2), replace=True):
        if i == j:
            continue
        llv, fg, sets = pair_distances(models[i], models[j])
        ref = compare(models[i], models[j], select="paper", samples=100, seed=0, lam=1e-5)
        assert sets == ref.sets
        assert abs(llv - float(ref.values["d_llv"])) <= 1e-12 * max(1.0, llv)
        assert abs(fg - float(ref.values["fg"].value)) <= 1e-12


# ------------------------------------------------------------------------------------------
# reproducibility
# ------------------------------------------------------------------------------------------
def test_reproducibility_checker_verifies_equal_and_refutes_perturbed(tiny: tuple[Shipped, Path]) -> None:
    sh, _ = tiny
    retrained = train_model(sh.spec, 12, 1)
    old = sh.get(12, 1)
    assert max_difference(old, retrained) == 0.0
    assert check_reproduced([(old, retrained)]).verdict == "verified"
    false = check_reproduced([(_perturbed(old, 1e-8), retrained)])
    assert false.verdict == "refuted" and false.evidence["witness"]["max_abs_difference"] == pytest.approx(1e-8)


def test_ci_retrains_two_shipped_models_to_their_first_budget() -> None:
    """A change in the trainer cannot go unnoticed: two of the package's shipped models, retrained."""
    sh = common.shipped()
    first = sh.spec.budgets[0]
    spec = replace(sh.spec, budgets=(first,))
    chosen = sorted(sh.models, key=lambda m: (m.width, m.seed))[:2]
    data = sh.spec.data()
    out = check_reproduced([(m, train_model(spec, m.width, m.seed, data)) for m in chosen])
    assert out.verdict == "verified", out.evidence


def test_reproduce_command(as_shipped: Shipped, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["experiment", "width", "--reproduce", "--widths", "8", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "verified: 3 of 3 checked" in text and "max |Δ| = 0" in text
    start = time.perf_counter()
    assert main(["experiment", "width", "--reproduce", "--widths", "8", "--out", str(tmp_path)]) == 0  # resumed
    assert time.perf_counter() - start < 5
    bad = replace(as_shipped, models=[_perturbed(m, 1e-6) if m.seed == 1 else m for m in as_shipped.models])
    with common.stand_ins({"width": bad}):
        assert main(["experiment", "width", "--reproduce", "--widths", "8", "--out", str(tmp_path)]) == 1
    assert "refuted" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------
# the claims on a tiny shipped set, and their false variants
# ------------------------------------------------------------------------------------------
def test_claims_run_on_shipped_models_and_the_bound_refutes_a_smaller_constant(as_shipped: Shipped) -> None:
    claims = all_claims()
    bound = claims["sec5-bound-trained"].methods["numeric"](Context())
    assert bound.verdict == "verified"
    assert set(bound.evidence) >= {"M = 2, 60 steps", "M = 2, 120 steps", "scope"}
    ratios = bound.evidence["M = 2, 120 steps"]["same_width_ratios"]
    assert set(ratios) == {"8", "12"} and all(0 <= r["max_dfg_over_2eps2"] for r in ratios.values())
    models = {(m.width, m.seed): m.models[120] for m in as_shipped.models}
    pairs = list(common.shipped_table(120).values())
    assert len(pairs) == 12  # C(6, 2) minus the 3 same-seed pairs
    assert check_bound(pairs, models, constant=1e-4).verdict == "refuted"
    repro = claims["sec5-shipped-reproducible"].methods["numeric"](Context())
    assert repro.verdict == "verified" and repro.evidence["width"]["checked"][0]["steps"] == [60]


def test_trend_claim_reports_robustness_and_a_reversed_trend_is_refuted(as_shipped: Shipped) -> None:
    trend = all_claims()["sec5-width-trend"].methods["numeric"](Context())
    assert trend.verdict in ("verified", "undecided", "refuted")
    assert set(trend.evidence["robustness"]) == {"accuracy > 0.85", "accuracy > 0.9", "accuracy > 0.95",
                                                 "seeds 0-0, at least 3 kept a width",
                                                 "seeds 1-2, at least 3 kept a width", "60 steps"}
    result = common.shipped_result(min_accuracy=0.0, min_models=2)
    assert _with_values(result, lambda w, s: 1.0 / w + 0.01 * s).summarised_widths() == [8, 12]
    assert trend_outcome(_with_values(result, lambda w, s: float(w) + 0.01 * s)).verdict != "verified"


def test_the_stand_ins_reach_every_section5_claim(tiny: tuple[Shipped, Path]) -> None:
    """Every method of every Section 5 claim reads its models through ``common.shipped``: with the
    tiny set standing in for all three shipped sets, each one's evidence is about the tiny set, and
    perturbed outputs turn the reproducibility verdict to refuted.  A claim (or method) added
    without an entry here fails the test."""
    sh, _ = tiny
    about_tiny = common.describe(sh)  # 6 models, widths 8 and 12: the package ships none of these
    seen: dict[tuple[str, str], Callable[[dict[str, Any]], bool]] = {
        ("sec5-shipped-reproducible", "numeric"): lambda e: e["width"]["files_checked"] == len(sh.models)
        and e["scope"] == f"instances (1 of {3 * len(sh.models)} shipped models retrained)",
        ("sec5-bound-trained", "numeric"): lambda e: e["models"] == about_tiny and "M = 2, 120 steps" in e,
        ("sec5-bound-trained", "certified"): lambda e: e.get("width") in sh.spec.widths,
        ("sec5-width-trend", "numeric"): lambda e: e["models"] == about_tiny and "60 steps" in e["robustness"],
        ("sec5-digits-bound", "numeric"): lambda e: e["models"] == [about_tiny] * 2 and "M = 2, 60 steps" in e,
        ("sec5-digits-width-trend", "numeric"): lambda e: e["models"] == [about_tiny] * 2,
    }
    claims = [c for c in all_claims().values() if c.section == "sec5"]
    assert {(c.id, m) for c in claims for m in c.methods} == set(seen)
    names = ("width", *common.DIGITS_SETS)
    with common.stand_ins({n: sh for n in names}):
        for c in claims:
            for m, run in c.methods.items():
                out = run(Context())
                assert out.verdict != "error" and seen[(c.id, m)](out.evidence), (c.id, m, out.evidence)
        repro = all_claims()["sec5-shipped-reproducible"].methods["numeric"]
        assert repro(Context()).verdict == "verified"
        bad = replace(sh, models=[_perturbed(m, 1e-6) for m in sh.models])
        with common.stand_ins({"width": bad}):
            assert repro(Context()).verdict == "refuted"
        assert common.shipped("digits-M8") is sh  # the outer stand-ins are back
    assert common.shipped() is not sh and common.shipped().spec.widths != sh.spec.widths


def _with_values(result: GridResult, value: object) -> GridResult:
    """``result`` with d_LLV = d_fg = ``value(width, seed_a + seed_b)`` for every pair."""
    f = value  # a callable (width, seed sum) -> float
    pairs = [replace(p, d_llv=f(p.width, p.seed_a + p.seed_b), d_fg=f(p.width, p.seed_a + p.seed_b))  # type: ignore[operator]
             for p in result.pairs]
    across = {k: replace(p, d_llv=f(k[0][0], k[0][1] + k[1][1]), d_fg=f(k[0][0], k[0][1] + k[1][1]))  # type: ignore[operator]
              for k, p in result.across.items()}
    return GridResult(result.grid, result.models, result.accuracy, pairs, across)


def test_package_claims_are_decided_in_seconds() -> None:
    """The default run decides both Section 5 claims on the package's shipped models."""
    common._table.cache_clear()
    start = time.perf_counter()
    claims = all_claims()
    verdicts = {cid: claims[cid].methods["numeric"](Context()).verdict
                for cid in ("sec5-bound-trained", "sec5-width-trend")}
    assert verdicts["sec5-bound-trained"] == "verified"
    assert verdicts["sec5-width-trend"] in ("verified", "undecided", "refuted")
    assert time.perf_counter() - start < 120


def test_shipped_command_writes_the_tables_without_training(
    as_shipped: Shipped, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["experiment", "width", "--shipped", "--min-accuracy", "0", "--min-models", "2", "--no-plot",
            "--out", str(tmp_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "6 shipped models, 120 steps" in text and "| width |" in text
    rows = (tmp_path / "width_K6_summary.csv").read_text().splitlines()
    assert len(rows) == 3 and not (tmp_path / "models").exists()
    assert main([*args, "--steps", "60"]) == 0 and "60 steps" in capsys.readouterr().out
    assert main([*args, "--steps", "61"]) == 2


def test_pair_distances_break_ties_as_compare_does() -> None:
    """A model against itself (every T1 and T2 tied at 0) and against a relabelled copy: the
    vectorised evaluator falls back to the library's own order and picks the same sets."""
    sh = common.shipped()
    a = sh.models[0].models[sh.spec.steps]
    for b in (a, Model(np.asarray(a.f) * 2.0, np.asarray(a.g) * 0.5)):
        llv, fg, sets = pair_distances(a, b)
        ref = compare(a, b, select="paper", samples=100, seed=0, lam=1e-5)
        assert sets == ref.sets and abs(llv - float(ref.values["d_llv"])) <= 1e-12
        assert abs(fg - float(ref.values["fg"].value)) <= 1e-12


def test_claim_statements_name_the_shipped_grid() -> None:
    """The Section 5 statements say exactly which grid is shipped (kept equal to the manifest)."""
    assert common.grid_text(common.shipped()) == common.SHIPPED_GRID
    claims = all_claims()
    for cid in ("sec5-bound-trained", "sec5-width-trend"):
        assert common.SHIPPED_GRID in claims[cid].statement
    assert claims["sec5-shipped-reproducible"].provenance == "new"
    assert claims["sec5-width-trend"].depends_on == ("sec5-shipped-reproducible",)
