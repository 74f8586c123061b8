"""The follow-up claims (checks/claims/followup/): each checker verifies the claim and refutes a
deliberately false variant of it (or, for a claim that is refuted, verifies the true variant)."""

from __future__ import annotations

from typing import Any

import pytest

from checks.claims.followup import bound, code, examples, kl, links, metric, rep
from checks.registry import Context, all_claims
from theory.precision import Arithmetic

CTX = Context(dps=30)


def test_registered_in_the_followup_section_with_their_provenance() -> None:
    claims = {cid: c for cid, c in all_claims().items() if c.section == "followup"}
    assert len(claims) == 12
    assert {c.provenance for c in claims.values()} == {"follow-up", "follow-up-code", "new"}


def test_metric_verified_and_raw_logits_refuted() -> None:
    assert metric.check_metric_numeric(CTX).verdict == "verified"
    assert metric.check_metric_numeric(CTX, distance=metric._raw_logit_sq).verdict == "refuted"


def test_moment_form_verified_and_covariances_refuted() -> None:
    assert metric.check_moment_form(CTX).verdict == "verified"
    assert metric.check_moment_form(CTX, form=metric.covariance_form).verdict == "refuted"


def test_bound_verified_and_reversed_pairing_refuted() -> None:
    assert bound.check_bound_numeric(CTX).verdict == "verified"
    assert bound.check_bound_certified().verdict == "verified"
    reversed_ = {"reversed": {"pairing": "reversed"}}
    assert bound.check_bound_numeric(CTX, reversed_).verdict == "refuted"
    assert bound.search_bound(CTX, 40, reversed_).verdict == "refuted"  # seeded: reproducible


def test_figure_conventions_refuted_consistent_ones_verified() -> None:
    out = bound.check_conventions()
    assert out.verdict == "refuted" and all(v["verdict"] == "refuted" for v in out.evidence.values())
    assert bound.check_conventions(witnesses=bound._consistent_witnesses()).verdict == "verified"


def test_rep_bound_verified_and_without_conditioning_refuted() -> None:
    assert rep.check_rep_bound(CTX).verdict == "verified"
    assert rep.check_rep_bound(CTX, conditioning=False).verdict == "refuted"


def test_llv_link_verified_and_with_lambda_zero_refuted() -> None:
    assert links.check_llv_link(CTX).verdict == "verified"
    out = links.check_llv_link(CTX, lam="0")
    assert out.verdict == "refuted" and "temperature" in out.evidence["witness"]["pair"]


def test_llv_link_on_sets_that_leave_a_label_out_is_undecided(monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement is about the full label set: default sets that leave a label out (an
    off-by-one in the default S_Y) must not verify it."""
    from dataclasses import replace

    from theory.selection import default_sets

    monkeypatch.setattr(links, "default_sets", lambda a, b: replace(default_sets(a, b),
                                                                    labels=default_sets(a, b).labels[1:]))
    out = links.check_llv_link(CTX)
    assert out.verdict == "undecided" and "leave labels out" in out.evidence["reason"]


def test_not_bound_fg_verified_and_d_llv_in_its_place_refuted() -> None:
    assert links.check_scaling().verdict == "verified"
    assert links.check_scaling(distance=links._llv_distance).verdict == "refuted"


def _quarter_sharp(tau: Any, P: Arithmetic) -> Any:
    return kl.sharp_constant(tau, P) * P.scalar("0.4")


@pytest.mark.parametrize(("constant", "false"), [(kl.lipschitz_constant, kl.wrong_power),
                                                 (kl.sharp_constant, _quarter_sharp)])
def test_tau_bounds_verified_and_false_constants_refuted(constant: Any, false: Any) -> None:
    assert kl.check_tau(CTX, constant).verdict == "verified"
    assert kl.check_tau(CTX, false).verdict == "refuted"


def test_kl_example_verified_and_a_wrong_value_refuted() -> None:
    assert examples.check_kl_example().verdict == "verified"
    wrong = {**examples.KL_TARGET, "d2_logit": ("67.3", "0.05")}
    assert examples.check_kl_example(target=wrong).verdict == "refuted"


def test_cca_example_verified_and_an_equivalent_rotation_refuted() -> None:
    assert examples.check_cca_example(CTX).verdict == "verified"
    out = examples.check_cca_example(CTX, g_angle_sign=1)
    assert out.verdict == "refuted" and out.evidence["p ≠ p'"]["verdict"] == "refuted"


def test_code_scale_refuted_and_one_term_verified() -> None:
    out = code.check_code_scale(CTX)
    assert out.verdict == "refuted" and out.evidence["witness"]["pivots x sets"] == 30
    assert code._code_scale_symbolic().verdict == "refuted"
    assert code._code_scale_symbolic(1).verdict == "verified"


def test_searches_find_no_violation_of_true_statements() -> None:
    searches = (metric.search_triangle(CTX, 10), rep.search_rep(CTX, 10), kl.search_tau(CTX, 10, kl.lipschitz_constant))
    for out in searches:
        assert out.verdict == "verified"
