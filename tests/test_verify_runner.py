"""The claim registry, the verdict helpers and the ``closeness verify`` runner."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checks import registry
from checks.cli import main
from checks.evidence import certified_leq, certified_zero, numeric_leq, numeric_zero
from checks.registry import METHODS, PROVENANCES, Context, Outcome, all_claims, claim
from checks.runner import exit_status, run_claims
from theory.precision import Ball


def _sqrt(P: Any, x: int) -> Any:
    """``√x`` in the arithmetic ``P`` (an irrational value: it differs between precisions)."""
    return P.sqrt(P.array([x]))[0]


@pytest.fixture
def toy_claims() -> Iterator[list[str]]:
    """Three throw-away claims: verified, refuted, and one whose method crashes."""
    all_claims()  # register the real ones first
    ids = ["zz-toy-true", "zz-toy-false", "zz-toy-crash"]
    ok = claim(ids[0], "√2 ≤ 2", r"\sqrt 2 \le 2", "none", "new")
    ok.method("numeric")(lambda ctx: numeric_leq(lambda P: (_sqrt(P, 2), P.scalar(2)), ctx))
    bad = claim(ids[1], "√10 ≤ 2", r"\sqrt{10} \le 2", "none", "new")
    bad.method("numeric")(lambda ctx: numeric_leq(lambda P: (_sqrt(P, 10), P.scalar(2)), ctx))
    crash = claim(ids[2], "crashes", "", "none", "new")

    def boom(ctx: Context) -> Outcome:
        raise ValueError("deliberate failure")

    crash.method("symbolic")(boom)
    crash.method("numeric")(lambda ctx: Outcome.verified(note="still ran"))
    yield ids
    for i in ids:
        registry.REGISTRY.pop(i)


def test_every_registered_claim_is_well_formed() -> None:
    claims = all_claims()
    for c in claims.values():
        assert c.provenance in PROVENANCES, c.id
        assert c.statement and c.paper_ref, c.id
        assert c.methods and set(c.methods) <= set(METHODS), c.id


def test_registry_refuses_duplicates_and_bad_tags() -> None:
    all_claims()
    some = next(iter(registry.REGISTRY), None)
    if some is not None:
        with pytest.raises(ValueError, match="twice"):
            claim(some, "x", "x", "x", "new")
    with pytest.raises(ValueError, match="provenance"):
        claim("zz-bad-tag", "x", "x", "x", "folklore")


def test_runner_verdicts_and_crash_isolation(toy_claims: list[str], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    report = run_claims(Context(dps=20), ids=toy_claims, json_path=out)
    verdicts = {c["id"]: c["verdict"] for c in report.claims}
    assert verdicts == {"zz-toy-true": "verified", "zz-toy-false": "refuted", "zz-toy-crash": "error"}
    crash = next(c for c in report.claims if c["id"] == "zz-toy-crash")
    first = crash["checks"][0]
    assert first["verdict"] == "error" and "deliberate failure" in first["evidence"]["message"]
    assert crash["checks"][1]["verdict"] == "verified"  # the other method of the claim still ran
    j = json.loads(out.read_text())
    assert j["schema"] == "closeness-verify/1"
    assert j["summary"] == {"verified": 1, "refuted": 1, "undecided": 0, "error": 1, "skipped": 0}
    for key in ("packages", "dps", "check_dps", "seed", "hypothesis", "python"):
        assert key in j["environment"]
    for c in j["claims"]:
        assert set(c) >= {"id", "statement", "paper_ref", "provenance", "verdict", "checks"}
        for chk in c["checks"]:
            assert set(chk) == {"method", "verdict", "scope", "evidence", "seconds"}
    assert exit_status(report) == 1
    assert not list(tmp_path.glob(".report.json*"))  # no temporary files left behind


def test_exit_status_codes(toy_claims: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--claim", "zz-toy-true", "--dps", "20"]) == 0
    assert main(["verify", "--claim", "zz-toy-false", "--dps", "20"]) == 1
    assert main(["verify", "--claim", "zz-toy-crash", "--dps", "20"]) == 4
    assert main(["verify", "--claim", "no-such-claim"]) == 2
    assert main(["verify", "--dps", "5"]) == 2
    with pytest.raises(SystemExit) as info:
        main(["verify", "--method", "telepathy"])
    assert info.value.code == 2
    out = capsys.readouterr().out
    assert "zz-toy-true" in out and "verified" in out


def test_numeric_helpers_decide_both_ways() -> None:
    ctx = Context(dps=30)
    assert numeric_zero(lambda P: [P.scalar(1) / 3 * 3 - 1], ctx).verdict == "verified"
    assert numeric_zero(lambda P: [P.scalar("1e-5")], ctx).verdict == "refuted"
    close = numeric_leq(lambda P: (P.scalar(1), P.scalar(1) + P.scalar(10) ** -25), ctx)
    assert close.verdict == "undecided"  # a margin of 1e-25 at 30 digits is noise
    assert numeric_leq(lambda P: (_sqrt(P, 5), P.scalar(2)), ctx).verdict == "refuted"
    exact = numeric_leq(lambda P: (P.scalar(1), P.scalar(2)), ctx)  # identical at both precisions
    assert exact.verdict == "undecided" and "no effect" in exact.evidence["reason"]


def test_certified_helpers_never_overclaim() -> None:
    B = Ball(30)
    with B.active():
        third = B.scalar(1) / 3
        assert certified_leq(third, B.scalar("0.34")).verdict == "verified"
        assert certified_leq(B.scalar("0.34"), third).verdict == "refuted"
        fuzzy = third + B.flint.arb(0, 1e-3)  # a ball of radius 1e-3 around 1/3
        assert certified_leq(fuzzy, B.scalar("0.3335")).verdict == "undecided"
        assert certified_zero([third - third]).verdict in ("verified", "undecided")
        assert certified_zero([B.scalar(0)]).verdict == "verified"
        assert certified_zero([third]).verdict == "refuted"


def test_a_filter_matching_nothing_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """`--method search` on a claim without a search method must not report 'all verified'."""
    first = next(iter(all_claims().values()))
    missing = next(m for m in METHODS if m not in first.methods) if len(first.methods) < 4 else None
    if missing is not None:
        assert main(["verify", "--claim", first.id, "--method", missing]) == 2
        assert "no check matches" in capsys.readouterr().err


def test_list_honours_the_claim_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--list", "--claim", "thm2.2"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert ids and all(i.startswith("thm2.2") for i in ids)


@pytest.mark.parametrize("args", [["verify", "--seed", "-1"], ["compare", "a.npz", "b.npz", "--samples", "0"]])
def test_shared_options_are_checked_once(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert "must be at least" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# the checks in worker processes (--jobs)
# ------------------------------------------------------------------------------------------
@pytest.fixture
def two_sections() -> Iterator[list[str]]:
    """Throw-away claims in two sections: the second section's claim rests on the first's, and the
    first section has a check whose worker process dies (SIGKILL) between two that pass."""
    all_claims()
    ids = ["zz-par-lemma", "zz-par-killed", "zz-par-after", "zz-par-theorem"]
    lemma = claim(ids[0], "√2 ≤ 2", "", "none", "new", section="zz-a")
    lemma.method("numeric")(lambda ctx: numeric_leq(lambda P: (_sqrt(P, 2), P.scalar(2)), ctx))
    killed = claim(ids[1], "dies", "", "none", "new", section="zz-a")
    killed.method("numeric")(lambda ctx: os.kill(os.getpid(), signal.SIGKILL))
    after = claim(ids[2], "runs after the death", "", "none", "new", section="zz-a")
    after.method("numeric")(lambda ctx: Outcome.verified(pid=os.getpid()))
    theorem = claim(ids[3], "rests on the lemma", "", "none", "new", section="zz-b", depends_on=(ids[0],))
    theorem.method("symbolic")(lambda ctx: Outcome.verified(pid=os.getpid()))
    yield ids
    for i in ids:
        registry.REGISTRY.pop(i)


def test_a_killed_worker_costs_only_its_check(two_sections: list[str], tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    report = run_claims(Context(dps=20), ids=two_sections, json_path=out, jobs=2)
    assert [c["id"] for c in report.claims] == two_sections  # the plan's order, whoever ran what
    verdicts = {c["id"]: c["verdict"] for c in report.claims}
    assert verdicts == {"zz-par-lemma": "verified", "zz-par-killed": "error", "zz-par-after": "verified",
                        "zz-par-theorem": "verified"}
    killed = report.claims[1]["checks"][0]["evidence"]["message"]
    assert "worker process" in killed and "died" in killed and str(-signal.SIGKILL) in killed
    assert report.claims[3]["premises"] == {"zz-par-lemma": "verified"}
    assert {c["checks"][0]["evidence"]["pid"] for c in report.claims[2:]}.isdisjoint({os.getpid()})
    saved = json.loads(out.read_text())
    assert saved["complete"] is True and saved["summary"]["error"] == 1


def test_workers_give_the_report_of_one_process(toy_claims: list[str]) -> None:
    ids = ["sec1-ddof-invariance", "def2.1-", "impl-streamed-path", *toy_claims]

    def shape(jobs: int) -> list[tuple[str, str, list[tuple[str, str, Any]]]]:
        report = run_claims(Context(dps=20), ids=ids, jobs=jobs)
        return [(c["id"], c["verdict"], [(k["method"], k["verdict"], k["scope"]) for k in c["checks"]])
                for c in report.claims]

    assert shape(2) == shape(1)


def test_a_premise_refuted_in_another_worker_still_opens_the_theorem(two_sections: list[str]) -> None:
    registry.REGISTRY["zz-par-lemma"].methods["numeric"] = lambda ctx: Outcome.refuted(witness="planted")
    report = run_claims(Context(dps=20), ids=["zz-par-theorem"], jobs=2)
    theorem = report.claims[-1]
    assert theorem["premises"] == {"zz-par-lemma": "refuted"} and theorem["verdict"] == "undecided"
