"""checks.search.run_search: seeded, shrinks violations, drops those the re-check does not confirm."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from checks.search import SCHEMA, run_search

PAIRS = st.tuples(st.integers(0, 1000), st.integers(0, 1000))


def score(limit: float) -> Any:
    return lambda p: (p[0] + p[1]) / limit


def describe(p: tuple[int, int]) -> dict[str, Any]:
    return {"pair": list(p)}


def test_no_violation_reports_best_ratios() -> None:
    r = run_search("toy", PAIRS, score(4000.0), describe, lambda p: {"pair": list(p)}, examples=60, seed_value=1)
    assert r.violations == [] and r.best and r.best[0]["ratio"] <= 1
    j = r.as_json()
    assert j["schema"] == SCHEMA and j["examples"] == 60 and j["seed"] == 1 and j["hypothesis"]["database"] is None


def test_violation_is_shrunk_and_reverified() -> None:
    r = run_search(
        "toy",
        PAIRS,
        score(100.0),
        describe,
        lambda p: {"pair": list(p), "ratio": sum(p) / 100},
        examples=60,
        seed_value=2,
    )
    assert r.violations, "a sum above 100 is easy to find"
    minimal = r.violations[0]["pair"]
    assert sum(minimal) == 101  # hypothesis shrinks to the boundary


def test_unconfirmed_violations_are_dropped() -> None:
    r = run_search("toy", PAIRS, score(100.0), describe, lambda p: None, examples=40, seed_value=3)
    assert r.violations == [] and r.dropped == 2


def test_same_seed_same_result() -> None:
    runs = [
        run_search("toy", PAIRS, score(5000.0), describe, lambda p: None, examples=30, seed_value=7).best
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_an_infinite_score_is_a_violation() -> None:
    """A checker may signal a violation without a finite ratio (a singular matrix): +inf."""
    r = run_search(
        "toy", PAIRS, lambda p: float("inf") if p[0] > 500 else 0.0, describe,
        lambda p: {"pair": list(p)}, examples=60, seed_value=4,
    )
    assert r.violations and r.violations[0]["pair"][0] == 501
    r = run_search("toy", PAIRS, lambda p: float("nan"), describe, lambda p: {}, examples=20, seed_value=4)
    assert r.violations == [] and r.best == []


def test_an_unbounded_ratio_is_null_in_json_never_infinity() -> None:
    from theory.io import json_text

    r = run_search("toy", PAIRS, lambda p: float("inf") if p[0] > 500 else 0.0, describe,
                   lambda p: {"pair": list(p), "ratio": float("inf")}, examples=30, seed_value=4)
    j = r.as_json()
    assert j["best"][0]["ratio"] is None and j["violations"][0]["ratio"] is None
    json_text(j)  # no NaN or Infinity anywhere


class _Bar:
    """The part of tqdm a search reports to."""

    def __init__(self) -> None:
        self.n, self.total, self.stages = 0, None, []

    def reset(self, total: int) -> None:
        self.n, self.total = 0, total

    def update(self, k: int) -> None:
        self.n += k

    def set_description_str(self, text: str) -> None:
        self.stages.append(text)


def test_a_search_reports_examples_and_stages_to_the_progress_display() -> None:
    from checks.search import showing_progress

    bar = _Bar()
    with showing_progress(bar):
        run_search("toy", PAIRS, score(100.0), describe, lambda p: {"pair": list(p), "ratio": sum(p) / 100},
                   examples=40, seed_value=2)
    assert bar.total == 40 and 0 < bar.n <= 40
    assert [s.split(": ")[1] for s in bar.stages] == ["exploring", "shrinking a violation",
                                                      "re-verifying at high precision"]
    run_search("toy", PAIRS, score(100.0), describe, lambda p: None, examples=10, seed_value=2)
    assert bar.n <= 40  # outside the block nothing reports to it
