"""d_LLV as a metric, the role of λ, the paper's selection, and d_KL versus d_LLV."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from checks.claims.sec4.incomparable import check_incomparable_certified, check_order_certified
from checks.claims.sec4.invariance import check_invariance_numeric, check_invariance_symbolic
from checks.claims.sec4.metric import (
    certify_label_choice,
    check_lambda_certified,
    check_lambda_symbolic,
    check_metric_numeric,
    check_metric_symbolic,
    check_paper_selection_certified,
    check_paper_selection_numeric,
    label_selection_triangle,
)
from checks.registry import Context
from checks.search.sec4 import order_score
from theory.derivations import metric as dmetric
from theory.distances import input_terms
from theory.families import common_sets, llv_between, temperature_pair
from theory.model import log_probs
from theory.precision import FLOAT64
from theory.selection import paper_inputs, paper_label_sets

CTX = Context(dps=30)


def test_metric_properties_with_fixed_sets() -> None:
    assert check_metric_symbolic().verdict == "verified"
    assert check_metric_numeric(CTX).verdict == "verified"


def test_metric_wrong_triangle_constant_refuted() -> None:
    assert check_metric_symbolic(triangle_constant="9/10").verdict == "refuted"
    assert check_metric_numeric(CTX, triangle_constant="0.5").verdict == "refuted"


def test_identity_with_one_label_left_out_holds() -> None:
    assert dmetric.zero_forces_equality(4, 0).holds
    assert dmetric.zero_forces_equality(4, 1).holds  # normalisation fixes the one left-out label
    assert dmetric.zero_terms_chain(scales_equal=True).holds
    out = check_metric_symbolic(left_out=(1,))
    assert out.verdict == "verified"


def test_identity_fails_with_two_labels_left_out() -> None:
    for k in (2, 3):
        assert not dmetric.zero_forces_equality(2 + k, k).holds
        w = dmetric.left_out_witness(k)
        assert (w["T1"], w["T2"], w["T3"], w["T4"]) == (0, 0, 0, 0)
        assert w["p_differs"] and w["rows_sum_to_one"] and w["scales_positive"]
    out = check_metric_symbolic(left_out=(2,))
    assert out.verdict == "refuted"
    assert out.evidence["witness"]["identity of indiscernibles, 2 label(s) left out"]["checks"]["witness"]["T1"] == "0"


def test_temperature_pair_has_t1_t2_zero_exactly() -> None:
    v = dmetric.temperature_terms(2)
    assert v["T1"] == 0 and v["T2"] == 0 and v["T3"] == sp.sqrt(14) and v["distributions_differ"]
    assert check_lambda_symbolic().verdict == "verified"
    assert check_lambda_certified(30).verdict == "verified"


def test_other_values_than_the_stated_terms_are_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement names T3 = T4 = √14 (r = 2) and T1 = T2 = 2/√3 (r = −1): the check compares
    those values, so a statement with other ones (√21, the values with sample SDs) is refuted."""
    from checks.claims.sec4 import metric

    monkeypatch.setattr(metric, "STATED_SCALE_TERMS", {2: sp.sqrt(21)})
    assert check_lambda_symbolic().verdict == "refuted"
    monkeypatch.setattr(metric, "STATED_SCALE_TERMS", {2: sp.sqrt(14)})
    monkeypatch.setattr(metric, "STATED_NEGATIVE_T1", 1 / sp.sqrt(3))
    assert check_lambda_symbolic().verdict == "refuted"


def test_power_characterisation_needs_a_positive_exponent() -> None:
    assert dmetric.power_family_terms(1).holds
    assert not dmetric.power_family_terms(-1).holds
    # the statement without r > 0 is refuted by r = -1 (constant normaliser, T1 = 2/sqrt(3))
    out = check_lambda_symbolic(require_positive=False)
    assert out.verdict == "refuted"
    v = dmetric.temperature_terms(-1)
    assert v["normaliser_constant"] and v["T1"] == 2 / sp.sqrt(3)


def test_only_if_chain_and_its_hypotheses() -> None:
    assert dmetric.zero_terms_chain().holds
    assert not dmetric.zero_terms_chain(pivot_varies=False).holds
    assert not dmetric.zero_terms_chain(input_varies=False).holds
    assert not dmetric.zero_terms_chain(cover_all_labels=False).holds


def test_temperature_one_is_not_a_counterexample() -> None:
    assert check_lambda_symbolic(r=1).verdict == "refuted"
    # with r = 1 the two models coincide: d_KL and T3 are enclosed around 0, never proved positive
    assert check_lambda_certified(30, r=1).verdict != "verified"


def test_temperature_scaling_on_generic_inputs_has_positive_t1() -> None:
    p = temperature_pair(3)
    assert float(llv_between(p.a, p.b, p.sets, FLOAT64, lam="0")) < 1e-12
    f = np.asarray(p.a.f).copy()
    f[0, 0] += 0.5  # break the permutation symmetry of the conditionals
    from theory.model import Model

    a, b = Model(f, p.a.g), Model(3 * f, p.a.g)
    assert float(llv_between(a, b, p.sets, FLOAT64, lam="0")) > 1e-3


def test_label_selection_alone_violates_the_triangle_inequality() -> None:
    out = check_paper_selection_certified(30)
    assert out.verdict == "verified"
    sets = out.evidence["sets"]
    assert {(s["pivot_input"], tuple(s["inputs"])) for s in sets} == {(0, (1,))}  # inputs fixed
    assert len({(s["pivot_label"], s["left_out_label"]) for s in sets}) > 1  # labels chosen per pair
    assert out.evidence["label choice pr"]["chosen"] == [3, 1]
    assert check_paper_selection_numeric(CTX).verdict == "verified"
    p, q, r = label_selection_triangle()
    fixed = common_sets(p, q, r)
    d = [float(llv_between(u, v, paper_label_sets(log_probs(u), log_probs(v), fixed.pivot_input, fixed.inputs)))
         for u, v in ((p, q), (q, r), (p, r))]
    assert d[2] > 1.7 and d[0] + d[1] < 1.01


def test_paper_selection_fixed_control_holds() -> None:
    # one common set with positive σ_y for every pair: a metric, so no violation (and no crash)
    out = check_paper_selection_certified(30, selection="fixed")
    assert out.verdict == "refuted"
    assert {s["pivot_label"] for s in out.evidence["sets"]} == {0}
    assert check_paper_selection_numeric(CTX, selection="fixed").verdict == "refuted"


def test_paper_selection_check_refutes_a_triple_without_violation() -> None:
    rng = np.random.default_rng(2)
    from theory.model import Model

    f, g = rng.standard_normal((8, 2)), rng.standard_normal((4, 2))
    triple = tuple(Model(f + d * rng.standard_normal(f.shape), g) for d in (0.0, 0.2, 0.4))
    assert check_paper_selection_certified(30, triple).verdict == "refuted"


def test_label_choice_certificate_refutes_a_wrong_choice() -> None:
    from theory.distances import Sets
    from theory.precision import Ball

    p, q, _ = label_selection_triangle()
    right = Sets(2, (1, 3), 0, (1,), left_out_label=0)
    wrong = Sets(0, (2, 3), 0, (1,), left_out_label=1)
    assert certify_label_choice(p, q, right, Ball(30)).verdict == "verified"
    assert certify_label_choice(p, q, wrong, Ball(30)).verdict == "refuted"


def _authors_rule(ell: np.ndarray, ell2: np.ndarray, m: int, samples: int, seed: int) -> tuple[int, tuple[int, ...]]:
    """The authors' input selection, restated: disjoint draws, best T2 starts at 1, first draw kept."""
    choices = np.random.default_rng(seed).choice(ell.shape[0], size=samples * (m + 1), replace=False)
    choices = choices.reshape(samples, m + 1)
    best, chosen = 1.0, choices[0]
    for draw in choices:
        _, _, c, e = input_terms(ell, ell2, int(draw[0]), tuple(int(i) for i in draw[1:]))
        t2 = max(float(np.max(c)), float(np.max(e)))
        if t2 < best:
            best, chosen = t2, draw
    return int(chosen[0]), tuple(int(i) for i in chosen[1:])


def test_paper_inputs_follow_the_authors_rule() -> None:
    from theory.model import Model

    rng = np.random.default_rng(4)
    kept_first = replaced = 0
    for seed in range(30):
        a = Model(rng.standard_normal((24, 2)), rng.standard_normal((5, 2)))
        b = Model(rng.standard_normal((24, 2)) * (0.2 + seed % 3), rng.standard_normal((5, 2)))
        ell, ell2 = log_probs(a), log_probs(b)
        x0, sx, _ = paper_inputs(a, b, ell, ell2, 6, seed)
        assert (x0, sx) == _authors_rule(ell, ell2, 2, 6, seed)
        draws = np.random.default_rng(seed).choice(24, size=18, replace=False).reshape(6, 3)
        t2 = [max(float(np.max(v)) for v in input_terms(ell, ell2, int(d[0]), tuple(map(int, d[1:])))[2:])
              for d in draws]
        if min(t2) >= 1:  # no draw beats the threshold: the first draw, not the minimum
            assert (x0, *sx) == tuple(int(i) for i in draws[0])
            kept_first += int(t2[0] != min(t2))
        else:
            replaced += 1
    assert kept_first and replaced
    # more draws than fit: as many disjoint draws as n allows
    a = Model(rng.standard_normal((7, 2)), rng.standard_normal((4, 2)))
    x0, sx, _ = paper_inputs(a, a, log_probs(a), log_probs(a), 100, 0)
    assert len({x0, *sx}) == 3


def test_kl_and_llv_incomparable() -> None:
    assert check_incomparable_certified(30).verdict == "verified"
    assert check_incomparable_certified(30, llv_floor="100").verdict == "refuted"
    assert check_incomparable_certified(30, kl_floor="0.05").verdict == "refuted"
    assert not dmetric.tie_perturbation_scale(root_sign=1).holds  # the other root does not vanish
    assert check_order_certified(30).verdict == "verified"
    assert check_order_certified(30, perturbation=2.0).verdict == "refuted"


def test_order_score_detects_disagreement() -> None:
    t = temperature_pair(2)
    rng = np.random.default_rng(5)
    f_r = np.asarray(t.a.f) + 0.01 * rng.standard_normal(t.a.f.shape)
    # q = the perturbed copy (closer in d_KL), r = the temperature copy (closer in d_LLV)
    x = (np.asarray(t.a.f), np.asarray(t.a.g), f_r, np.asarray(t.a.g), np.asarray(t.b.f), np.asarray(t.b.g))
    v, parts = order_score(x)
    assert float(v) > 1
    assert common_sets(t.a, t.b).inputs == parts["sets"].inputs


def test_invariance_and_broken_equivalence() -> None:
    assert check_invariance_numeric(CTX).verdict == "verified"
    assert check_invariance_numeric(CTX, perturb=0.1).verdict == "refuted"
    # spoiling the replacement of the second model is caught too (d_KL both ways, d_LLV, d_fg)
    assert check_invariance_numeric(CTX, perturb=0.1, replaced="second", spoil="second").verdict == "refuted"
    assert check_invariance_symbolic().verdict == "verified"
    assert check_invariance_symbolic("plain").verdict == "refuted"  # F' = FA is not an equivalence
