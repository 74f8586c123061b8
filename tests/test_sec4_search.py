"""``closeness search bound | metric | order`` and the registered Section 4 claims."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.cli import main
from checks.registry import all_claims
from checks.search.sec4 import search_bound, search_metric, search_order

SEC4_IDS = {
    "sec4-bound-logratio": "paper",
    "sec4-bound-sd-difference": "new",
    "sec4-bound-cov-identity": "new",
    "sec4-bound-nuclear-trace": "new",
    "sec4-msvd-range": "new",
    "sec4-bound-sharp": "new",
    "sec4-bound-implies-paper": "new",
    "sec4-bound": "paper",
    "sec4-bound-no-invertibility": "new",
    "sec4-bound-tight": "new",
    "sec4-bound-tight-every-M": "new",
    "sec4-llv-metric": "paper",
    "sec4-llv-lambda-needed": "new",
    "sec4-llv-paper-selection-not-metric": "new",
    "sec4-kl-llv-incomparable": "new",
    "sec4-invariance": "paper",
}


def test_claims_registered_with_provenance() -> None:
    claims = all_claims()
    for cid, prov in SEC4_IDS.items():
        assert claims[cid].provenance == prov
        assert claims[cid].methods


def test_bound_search_factor_one_finds_no_violation() -> None:
    for form in ("2Meps", "2eps2"):
        r = search_bound(examples=40, seed=0, form=form, dps=30)
        j = r.as_json()
        assert j["schema"] == "closeness-search/1" and j["violations"] == []
        assert j["best"] and j["best"][0]["ratio"] <= 1
        assert set(j["per_M"]) <= {"1", "2", "3"}


def test_bound_search_small_factor_finds_shrinks_and_saves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = search_bound(examples=40, seed=0, factor=0.1, form="2Meps", dps=30, save=str(tmp_path))
    assert r.violations and all(v["ratio"] > 1 for v in r.violations)
    meta = json.loads((tmp_path / "violation0.json").read_text())
    replay = meta["pairs"][0]["replay"].split()[1:]
    assert main([*replay, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    m = len(out["d_svd_f"][0]["labels"])
    assert out["d_fg"] > 0.1 * 2 * m * out["d_llv"]  # the saved pair replays the violation of F·2Mε


def test_metric_search_fixed_sets_has_no_violation() -> None:
    r = search_metric(examples=40, seed=0, selection="fixed", dps=30)
    assert r.violations == [] and r.best[0]["ratio"] <= 1


def test_cli_bound_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "bound", "--examples", "20", "--json", "--form", "2eps2"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["schema"] == "closeness-search/1" and j["target"] == "bound[2eps2]" and j["factor"] == 1.0
    assert j["examples"] == 20 and j["seed"] == 0 and j["violations"] == []


def test_cli_bad_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "bound", "--examples", "0"]) == 2
    assert main(["search", "bound", "--factor", "-1"]) == 2
    assert "error" in capsys.readouterr().err


def test_metric_search_paper_selection_finds_a_violation() -> None:
    r = search_metric(examples=200, seed=3, selection="paper", dps=30)
    assert r.violations and all(v["ratio"] > 1 for v in r.violations)
    assert all(s["selection"] == "paper" for s in r.violations[0]["sets"])


def test_order_search_finds_a_disagreement() -> None:
    r = search_order(examples=60, seed=0, dps=30)
    assert r.violations and r.violations[0]["ratio"] > 1
    v = r.violations[0]
    assert v["kl_pq"] < v["kl_pr"] and v["llv_pq"] > v["llv_pr"]


def test_metric_label_selection_mode_replays_the_witness() -> None:
    import numpy as np

    from checks.claims.sec4.metric import label_selection_triangle
    from checks.search.sec4 import triangle_ratio

    x = tuple(np.asarray(a) for m in label_selection_triangle() for a in (m.f, m.g))
    ratio, _, sets = triangle_ratio(x, selection="paper-labels")
    assert float(ratio) > 1.7
    assert len({(s.pivot_input, s.inputs) for s in sets}) == 1  # one input set for all pairs
    assert len({(s.pivot_label, s.left_out_label) for s in sets}) > 1  # labels chosen per pair
    fixed, _, _ = triangle_ratio(x, selection="fixed")
    assert float(fixed) <= 1


def test_searches_draw_weighted_inputs() -> None:
    from hypothesis import given, settings

    from checks.search.sec4 import _models, models_strategy

    seen = []

    @settings(max_examples=30, database=None, derandomize=True)
    @given(models_strategy(3, 2))
    def collect(x: tuple) -> None:
        ms = _models(x)
        assert len(ms) == 3 and all(m.weights is not None and m.weights.shape == (m.n,) for m in ms)
        seen.append(len(set(ms[0].weights.tolist())) > 1)

    collect()
    assert any(seen)
    r = search_bound(examples=40, seed=0, form="2eps2", dps=30)
    assert r.extra["weighted_candidates"] > 0 and r.violations == []
    assert "weights" in r.best[0]


PREMISES = {
    "sec4-bound-sd-difference": {"sec4-bound-logratio"},
    "sec4-bound-sharp": {"sec4-bound-sd-difference", "sec4-bound-cov-identity", "sec4-bound-nuclear-trace",
                         "sec4-bound-logratio"},
    "sec4-bound": {"sec4-bound-sharp", "sec4-bound-implies-paper"},
    "sec4-bound-no-invertibility": {"sec4-bound-sharp", "sec4-bound-implies-paper"},
    "sec4-bound-tight": {"sec4-bound-sharp", "sec4-bound-implies-paper"},
    "sec4-bound-tight-every-M": {"sec4-bound-sharp"},
    "sec4-kl-llv-incomparable": {"sec4-llv-lambda-needed"},
    "sec4-invariance": {"thm2.2-if", "sec4-bound-logratio"},
}


def test_claims_have_their_premises() -> None:
    claims = all_claims()
    for cid in SEC4_IDS:
        assert set(claims[cid].depends_on) == PREMISES.get(cid, set()), cid


def test_numeric_and_certified_outcomes_state_instance_scopes() -> None:
    from checks.registry import Context

    ctx = Context(dps=30)
    for cid in SEC4_IDS:
        for name, fn in all_claims()[cid].methods.items():
            if name in ("numeric", "certified"):
                scope = fn(ctx).evidence.get("scope", "")
                assert scope.startswith("instances (") and scope != "instances ()", (cid, name, scope)
