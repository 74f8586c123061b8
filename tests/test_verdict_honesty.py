"""Verdicts say no more than the checks establish: a broken arithmetic is noticed, premises are
composed, one failing method does not stop the run, and a partial report says it is partial."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

from checks import registry, runner
from checks.canaries import ARITHMETIC_METHODS, ball_enclosure, e_enclosure, mp_digits, run_canaries
from checks.evidence import numeric_leq
from checks.registry import Context, Outcome, all_claims, claim
from checks.runner import compose_with_premises, exit_status, run_claims, select
from theory.errors import ClosenessError
from theory.precision import MP, Ball

#: Numeric methods that do not rest on mpmath: Section 5 is float64 statistics of trained models;
#: table1-float-precision compares float32/float64 against ball enclosures; table1-shape is computed
#: in balls (its mpmath fallback, for an enclosure that is not finite, is re-checked at twice the
#: precision: see test_table1_mpmath_fallback_is_rechecked).
NOT_MPMATH = ("sec5-", "table1-float-precision", "table1-shape")


@pytest.fixture
def float64_mp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``MP(dps)`` silently computes at 15 digits (the precision collapse of a float64 path)."""
    original = MP.__init__

    def collapsed(self: MP, dps: int) -> None:
        original(self, dps)
        self.ctx.dps = 15

    monkeypatch.setattr(MP, "__init__", collapsed)


@pytest.fixture
def radiusless_balls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every elementwise ball result loses its radius (keeps only the midpoint)."""
    original = Ball._map

    def midpoints(self: Ball, fn: Any, x: np.ndarray) -> np.ndarray:
        out = original(self, fn, x)
        return np.asarray(np.frompyfunc(lambda v: self.flint.arb(v.mid()), 1, 1)(out), dtype=object)

    monkeypatch.setattr(Ball, "_map", midpoints)


def test_e_enclosure_is_tight_and_correct() -> None:
    lo, hi = e_enclosure(60)
    assert lo < hi and float(hi - lo) < 1e-60
    with mpmath.workdps(80):
        e = mpmath.e
        assert mpmath.mpf(lo.numerator) / lo.denominator < e < mpmath.mpf(hi.numerator) / hi.denominator


def test_canaries_pass_on_the_real_arithmetic() -> None:
    assert all(c.ok for c in run_canaries(50))
    assert all(c.ok for c in run_canaries(400))


def test_mp_canary_notices_a_float64_path(float64_mp: None) -> None:
    canary = mp_digits(50)
    assert not canary.ok and "1e-50" in canary.detail


def test_ball_canary_notices_lost_radii(radiusless_balls: None) -> None:
    canary = ball_enclosure(50)
    assert not canary.ok and "radius 0" in canary.detail


def test_float64_forced_mp_never_verifies_a_numeric_check(
    float64_mp: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the canaries switched off, every mpmath-based numeric method must still notice the
    collapse by itself: undecided or refuted, never verified."""
    monkeypatch.setattr(runner, "run_canaries", lambda dps: [])
    ids = [cid for cid, c in all_claims().items() if "numeric" in c.methods and not cid.startswith(NOT_MPMATH)]
    report = run_claims(Context(), ids=ids, methods=["numeric"])
    verified = [c["id"] for c in report.claims for k in c["checks"]
                if k["method"] == "numeric" and c["id"] in ids and k["verdict"] == "verified"]
    assert verified == []


def test_broken_arithmetic_gives_no_verdict_and_no_refutation(float64_mp: None, tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    report = run_claims(Context(), ids=["sec4-bound-cov-identity", "thm2.2-if", "thm3.1-kl-bound"], json_path=out)
    checks = [k for c in report.claims for k in c["checks"]]
    assert not any(k["verdict"] in ("verified", "refuted") for k in checks if k["method"] in ARITHMETIC_METHODS)
    assert not any(k["verdict"] == "refuted" for k in checks)  # nothing refutes the paper on a broken arithmetic
    assert all("broken arithmetic" in k["evidence"]["message"] for k in checks if k["method"] == "numeric")
    assert exit_status(report) == 4
    data = json.loads(out.read_text())
    assert data["arithmetic"]["ok"] is False and data["complete"] is True


def test_radiusless_balls_leave_no_certified_verdict(radiusless_balls: None) -> None:
    ids = [cid for cid, c in all_claims().items() if "certified" in c.methods]
    report = run_claims(Context(), ids=ids, methods=["certified"])
    assert report.arithmetic_broken
    assert not any(k["verdict"] == "verified" for c in report.claims for k in c["checks"] if k["method"] == "certified")


def test_agreement_is_reported_uncapped() -> None:
    out = numeric_leq(lambda P: (P.sqrt(P.array([2]))[0], P.scalar(2)), Context(dps=20))
    assert out.verdict == "verified" and out.evidence["digits_agreed"] > 20


def test_ball_scalar_keeps_the_sign_of_an_mpf() -> None:
    B = Ball(30)
    assert B.scalar(mpmath.mpf("-0.25")) == B.scalar(-0.25)
    assert B.scalar(mpmath.mpf("-0.25")) < 0


@pytest.fixture
def chain() -> Iterator[list[str]]:
    """A lemma refuted by its numeric method and a theorem whose symbolic step rests on it."""
    all_claims()
    ids = ["zz-lemma", "zz-theorem", "zz-stop"]
    lemma = claim(ids[0], "a false lemma", "", "none", "new")
    lemma.method("numeric")(lambda ctx: Outcome.refuted(witness="x = 1"))
    theorem = claim(ids[1], "a theorem", "", "none", "new", depends_on=(ids[0],))
    theorem.method("symbolic")(lambda ctx: Outcome.verified(scope=registry.GENERAL))

    def stops(ctx: Context) -> Outcome:
        return next(iter({}))  # StopIteration, as `_summary({})` once raised

    stop = claim(ids[2], "a method raising StopIteration", "", "none", "new")
    stop.method("search")(stops)
    stop.method("numeric")(lambda ctx: Outcome.verified())
    yield ids
    for i in ids:
        registry.REGISTRY.pop(i)


def test_premises_run_first_even_when_not_asked_for(chain: list[str]) -> None:
    plan = select(all_claims(), ["zz-theorem"], None)
    assert [c.id for c, _ in plan] == ["zz-lemma", "zz-theorem"]


def test_a_symbolic_verdict_stands_only_on_verified_premises(chain: list[str]) -> None:
    report = run_claims(Context(), ids=["zz-theorem"])
    theorem = next(c for c in report.claims if c["id"] == "zz-theorem")
    assert theorem["premises"] == {"zz-lemma": "refuted"}
    assert theorem["verdict"] == "undecided"
    assert "zz-lemma (refuted)" in theorem["checks"][0]["evidence"]["reason"]
    kept = compose_with_premises({"method": "symbolic", "verdict": "verified", "evidence": {}}, {"a": "verified"})
    assert kept["verdict"] == "verified"


def test_unknown_premise_is_refused(chain: list[str]) -> None:
    claim("zz-orphan", "x", "", "none", "new", depends_on=("zz-no-such-claim",))
    try:
        with pytest.raises(ValueError, match="unregistered"):
            all_claims()
    finally:
        registry.REGISTRY.pop("zz-orphan")


def test_any_exception_is_that_methods_error_and_the_run_goes_on(chain: list[str]) -> None:
    report = run_claims(Context(), ids=["zz-stop"])
    (entry,) = report.claims
    verdicts = {k["method"]: k["verdict"] for k in entry["checks"]}
    assert verdicts == {"search": "error", "numeric": "verified"}
    assert "StopIteration" in entry["checks"][0]["evidence"]["message"]


def test_a_report_written_mid_run_says_it_is_partial(chain: list[str], tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    seen: list[bool] = []

    def peek(ctx: Context) -> Outcome:
        seen.append(json.loads(out.read_text())["complete"])
        return Outcome.verified()

    registry.REGISTRY["zz-stop"].methods["numeric"] = peek
    run_claims(Context(), ids=["zz-stop"], json_path=out)
    assert seen == [False]
    assert json.loads(out.read_text())["complete"] is True


def test_every_check_states_its_scope() -> None:
    report = run_claims(Context(), ids=["sec1"])
    for c in report.claims:
        assert c["scope"]
        for k in c["checks"]:
            assert k["scope"] == registry.GENERAL or k["scope"].startswith(("instances", registry.GIVEN))


def test_a_derivation_taking_steps_on_trust_is_never_general() -> None:
    """A check whose evidence names a step it does not encode (a cited theorem, a step in prose)
    has a ``general, given: …`` scope naming that step, never ``general``; a claim verified only by
    such checks is not general either."""
    ids = ["sec1-ddof-invariance", "followup-kl-tau", "followup-kl-tau-sharp"]
    report = run_claims(Context(), ids=ids, methods=["symbolic"])
    assert [c["id"] for c in report.claims] == ids
    for c in report.claims:
        (k,) = c["checks"]
        assert k["verdict"] == "verified"
        trusted = k["evidence"].get("not encoded", k["evidence"].get("not_encoded"))
        assert trusted and k["scope"] == registry.general_given(trusted)
        assert c["scope"] == k["scope"] != registry.GENERAL


def test_claim_scope_prefers_general_then_given_then_instances() -> None:
    from checks.runner import claim_scope

    given, inst = registry.general_given("Pinsker"), registry.instances("n = 3")
    checks = [{"verdict": "verified", "scope": inst}, {"verdict": "verified", "scope": given}]
    assert claim_scope(checks) == given
    assert claim_scope([*checks, {"verdict": "verified", "scope": registry.GENERAL}]) == registry.GENERAL
    assert claim_scope([*checks, {"verdict": "refuted", "scope": registry.GENERAL}]) == given
    assert claim_scope([checks[0]]) == inst


def test_table1_mpmath_fallback_is_rechecked(float64_mp: None) -> None:
    """An mpmath value standing in for a non-finite ball is re-computed at twice the precision;
    a collapsed arithmetic (bit-identical results) is refused, never used."""
    from checks.claims.sec3.table1 import PrecisionDisagreementError, _ball_or_mp

    def never_a_ball(R: Any) -> Any:
        if isinstance(R, Ball):
            raise ClosenessError("not finite")
        return R.sqrt(R.array([2]))[0]

    with pytest.raises(PrecisionDisagreementError, match="no effect"):
        _ball_or_mp(never_a_ball, Ball(30), MP(30))


def test_a_general_derivation_is_no_wider_than_its_premises() -> None:
    """A general symbolic step resting on a premise verified only on instances is general *given*
    that premise (cor3.2-nll was reported general while thm3.1-kl-bound was checked on instances)."""
    general = {"method": "symbolic", "verdict": "verified", "scope": registry.GENERAL, "evidence": {}}
    narrowed = compose_with_premises(general, {"a": "verified", "b": "verified"},
                                     {"a": registry.GENERAL, "b": registry.instances("n = 3")})
    assert narrowed["verdict"] == "verified"
    assert narrowed["scope"] == registry.general_given("premise b (instances only)")
    assert narrowed["evidence"]["scope"] == narrowed["scope"]
    assert compose_with_premises(general, {"a": "verified"}, {"a": registry.GENERAL})["scope"] == registry.GENERAL
    given = {**general, "scope": registry.general_given("Pinsker")}
    both = compose_with_premises(given, {"b": "verified"}, {"b": registry.general_given("x")})
    assert both["scope"] == registry.general_given("Pinsker; premise b (general, given steps of its own)")
    on_instances = {**general, "scope": registry.instances("M = 2")}
    assert compose_with_premises(on_instances, {"b": "verified"}, {"b": registry.instances("n = 3")}) == on_instances
    all_claims()
    lemma = claim("zz-instance-lemma", "a lemma checked at one size", "", "none", "new")
    lemma.method("numeric")(lambda ctx: Outcome.verified(scope=registry.instances("n = 3")))
    theorem = claim("zz-general-theorem", "a theorem", "", "none", "new", depends_on=("zz-instance-lemma",))
    theorem.method("symbolic")(lambda ctx: Outcome.verified(scope=registry.GENERAL))
    try:
        report = run_claims(Context(), ids=["zz-general-theorem"])
        found = next(c for c in report.claims if c["id"] == "zz-general-theorem")
        assert found["scope"] == registry.general_given("premise zz-instance-lemma (instances only)")
    finally:
        for i in ("zz-instance-lemma", "zz-general-theorem"):
            registry.REGISTRY.pop(i)


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found |= {int(c) for c in text}
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _verify_with_workers(out: Path) -> tuple[Any, set[int]]:
    """A ``closeness verify --jobs 2`` process writing ``out``, once both workers run and the report
    exists (or two minutes passed): the process and the workers' pids."""
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "checks", "verify", "--claim", "sec3", "--claim", "sec4",
                             "--jobs", "2", "--quiet", "--json", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and not (len(workers) >= 2 and out.exists()):
        workers |= _children(proc.pid)
        time.sleep(0.2)
    return proc, workers


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_sigterm_to_verify_stops_its_workers_and_keeps_the_report(tmp_path: Path) -> None:
    """``timeout`` or a scheduler sends SIGTERM: the workers stop with the parent (no orphan keeps
    computing), the exit status is 143, and the report written after the last finished check stays."""
    import signal
    import time

    out = tmp_path / "v.json"
    proc, workers = _verify_with_workers(out)
    assert workers and out.exists(), "the run never started its workers"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    time.sleep(1)
    assert not [w for w in workers if _alive(w)]
    report = json.loads(out.read_text())
    assert report["claims"] and report.get("complete") is not True


def test_an_empty_claim_id_is_refused_not_read_as_every_claim() -> None:
    with pytest.raises(ClosenessError, match="empty claim id"):
        select(all_claims(), [""], None)
    with pytest.raises(ClosenessError, match="empty claim id"):
        select(all_claims(), ["  "], None)


def test_a_kernel_proof_of_part_of_its_claim_is_composed_with_the_premises_for_the_rest() -> None:
    """cor3.2-nll's proof states the likelihood bound; 'staying dissimilar' is its premise's. A formal
    check that says so stands only on that premise, and is no wider; one that does not is left alone."""
    from checks.formal import PROOFS
    from checks.registry import RESTS_ON

    assert PROOFS["cor3.2-nll"].rests_on
    part = {"method": "formal", "verdict": "verified", "scope": registry.GENERAL,
            "evidence": {RESTS_ON: "staying dissimilar: t"}}
    assert compose_with_premises(part, {"t": "refuted"})["verdict"] == "undecided"
    assert compose_with_premises(part, {"t": "verified"}, {"t": registry.GENERAL})["scope"] == registry.GENERAL
    narrowed = compose_with_premises(part, {"t": "verified"}, {"t": registry.instances("K = 7")})
    assert narrowed["scope"] == registry.general_given("premise t (instances only)")
    whole = {**part, "evidence": {}}
    assert compose_with_premises(whole, {"t": "refuted"}) == whole


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_die_with_a_parent_killed_outright(tmp_path: Path) -> None:
    """SIGKILL gives the parent no chance to stop its workers: the kernel does (PR_SET_PDEATHSIG)."""
    import signal
    import time

    out = tmp_path / "v.json"
    proc, workers = _verify_with_workers(out)
    assert workers, "the run never started its workers"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    time.sleep(2)
    assert not [w for w in workers if _alive(w)]
