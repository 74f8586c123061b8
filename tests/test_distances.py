"""The paper's distances (theory.distances): hand-worked values, invariances, precision agreement.

The checker functions take the implementation under test as an argument, so the last tests can
feed them a deliberately broken formula and watch them fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from theory.compare import compare
from theory.distances import (
    Sets,
    d_fg,
    d_kl,
    d_llv,
    d_svd,
    llv_terms,
    m_cca,
    m_svd,
    pls_svd_values,
    standardise,
)
from theory.errors import ClosenessError
from theory.identifiability import equivalent_model_arrays
from theory.model import Model, log_probs
from theory.precision import FLOAT64, MP, Ball
from theory.selection import default_sets

LLV = Callable[..., Any]

# ---------------------------------------------------------------------------------------------
# A case worked out by hand: K = 3, M = 1, n = 2.
#   model 1: f = (0, 1),  g = (0, 1, 2);   model 2: f' = (0, −1), g' = g.
#   At x_1 the logits are (0, 1, 2) and (0, −1, −2); log Z − log Z' = log(e²) = 2 exactly.
#   With y_0 = 0, S_Y = {1, 2}, x_0 = 0, S_X = {1}:
#     σ_y = σ'_y = y/2;  a_y = |2y − 2|/y;  b_y = 2/y   ⇒ a = (0, 1), b = (2, 1), T1 = 2 (b, label 1)
#     s = s' = √(2/3);   c = SD_y(2y)/s = 2;  e = 0    ⇒ T2 = 2;  T3 = T4 = 0;  d_LLV = 2
#     d_KL(p‖p') = ½ Σ_y p_y(2y − 2) = E_p[y] − 1,  d_KL(p'‖p) = 1 − E_p'[y]
#     Lᵀf = (0, 1), L'ᵀf' = (0, −1): PLS-SVD ignores the sign, so d_{f,g} = 0 and m_CCA = 1.
# ---------------------------------------------------------------------------------------------
HAND_A = Model(np.array([[0.0], [1.0]]), np.array([[0.0], [1.0], [2.0]]))
HAND_B = Model(np.array([[0.0], [-1.0]]), np.array([[0.0], [1.0], [2.0]]))
HAND_SETS = Sets(0, (1, 2), 0, (1,))


def _expected_kl() -> tuple[float, float]:
    e = math.e
    mean_p = (e + 2 * e**2) / (1 + e + e**2)
    mean_q = (1 / e + 2 / e**2) / (1 + 1 / e + 1 / e**2)
    return mean_p - 1, 1 - mean_q


def check_hand_case(llv: LLV = llv_terms) -> None:
    """The hand-worked values above (asserts)."""
    la, lb = log_probs(HAND_A), log_probs(HAND_B)
    t = llv(la, lb, HAND_SETS)
    np.testing.assert_allclose(t.sigma, [0.5, 1.0], atol=1e-14)
    np.testing.assert_allclose(t.a, [0.0, 1.0], atol=1e-13)
    np.testing.assert_allclose(t.b, [2.0, 1.0], atol=1e-13)
    np.testing.assert_allclose(t.s, [math.sqrt(2 / 3)], atol=1e-14)
    np.testing.assert_allclose(t.c, [2.0], atol=1e-13)
    np.testing.assert_allclose(t.e, [0.0], atol=1e-13)
    assert t.T1 == pytest.approx(2.0, abs=1e-13) and t.argmax["T1"] == {"label": 1, "term": "b"}
    assert t.T2 == pytest.approx(2.0, abs=1e-13)
    assert abs(t.T3) < 1e-14 and abs(t.T4) < 1e-14
    assert d_llv(t, 1e-5) == pytest.approx(2.0, abs=1e-13)
    assert d_llv(t, 1e-5, "sum") == pytest.approx(4.0, abs=1e-13)


def test_hand_case_llv() -> None:
    check_hand_case()


def test_hand_case_kl_fg_cca() -> None:
    la, lb = log_probs(HAND_A), log_probs(HAND_B)
    ab, ba = _expected_kl()
    assert d_kl(la, lb) == pytest.approx(ab, rel=1e-14)
    assert d_kl(lb, la) == pytest.approx(ba, rel=1e-14)
    r = d_fg(HAND_A.f, HAND_A.g, HAND_B.f, HAND_B.g, HAND_SETS)
    assert abs(r.value) < 1e-14 and [s for s, _ in r.f_side] == [(1,), (2,)]
    assert m_cca(HAND_A.f, HAND_B.f) == pytest.approx(1.0, abs=1e-14)


def test_hand_case_at_high_precision_and_in_balls() -> None:
    la, lb = log_probs(HAND_A, MP(40)), log_probs(HAND_B, MP(40))
    t = llv_terms(la, lb, HAND_SETS, MP(40))
    assert abs(t.T1 - 2) < MP(40).ctx.mpf(10) ** -35
    ball = Ball(40)
    tb = llv_terms(log_probs(HAND_A, ball), log_probs(HAND_B, ball), HAND_SETS, ball)
    assert tb.T1.contains(2) and tb.T2.contains(2) and tb.T1.rad() < 1e-30


# ---------------------------------------------------------------------------------------------
# random valid models
# ---------------------------------------------------------------------------------------------
def random_pair(seed: int, n: int = 30, k: int = 6, m: int = 2, noise: float = 0.3) -> tuple[Model, Model]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), 2 * rng.normal(size=(k, m))
    return Model(f, g), Model(f + noise * rng.normal(size=f.shape), g + noise * rng.normal(size=g.shape))


def well_conditioned(seed: int, m: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q1, _ = np.linalg.qr(rng.normal(size=(m, m)))
    q2, _ = np.linalg.qr(rng.normal(size=(m, m)))
    return q1 @ np.diag(np.linspace(0.5, 3.0, m)) @ q2


def all_values(a: Model, b: Model, sets: Sets, P: Any = FLOAT64) -> dict[str, Any]:
    la, lb = log_probs(a, P), log_probs(b, P)
    t = llv_terms(la, lb, sets, P)
    return {
        "d_kl_ab": d_kl(la, lb, P),
        "d_kl_ba": d_kl(lb, la, P),
        "d_llv_max": d_llv(t, 1e-5),
        "d_llv_sum": d_llv(t, 1e-5, "sum"),
        "d_fg": d_fg(a.f, a.g, b.f, b.g, sets, P).value,
    }


def check_equivalence_invariance(llv: LLV = llv_terms, seed: int = 0) -> None:
    """Every distance is 0 on ~_L pairs and unchanged when a model is replaced by an equivalent one."""
    a, b = random_pair(seed)
    sets = default_sets(a, b)
    big = np.random.default_rng(seed + 1).normal(size=2)
    f2, g2 = equivalent_model_arrays(a.f, a.g, well_conditioned(seed, 2), big)
    a_eq = Model(f2, g2)
    la, la_eq, lb = log_probs(a), log_probs(a_eq), log_probs(b)
    t0 = llv(la, la_eq, sets)
    assert d_llv(t0) < 1e-12 and d_kl(la, la_eq) < 1e-12
    assert d_fg(a.f, a.g, a_eq.f, a_eq.g, sets).value < 1e-12
    t1, t2 = llv(la, lb, sets), llv(la_eq, lb, sets)
    assert d_llv(t1) == pytest.approx(d_llv(t2), rel=1e-9)
    assert d_fg(a.f, a.g, b.f, b.g, sets).value == pytest.approx(d_fg(a_eq.f, a_eq.g, b.f, b.g, sets).value, rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_equivalence_invariance(seed: int) -> None:
    check_equivalence_invariance(seed=seed)


def test_reordering_inputs_changes_nothing() -> None:
    a, b = random_pair(3)
    sets = default_sets(a, b)
    perm = np.random.default_rng(5).permutation(a.n)
    inv = np.argsort(perm)
    ap, bp = Model(a.f[perm], a.g), Model(b.f[perm], b.g)
    sets_p = Sets(sets.pivot_label, sets.labels, int(inv[sets.pivot_input]), tuple(int(inv[i]) for i in sets.inputs))
    v, vp = all_values(a, b, sets), all_values(ap, bp, sets_p)
    for key in v:
        assert vp[key] == pytest.approx(v[key], rel=1e-12, abs=1e-15), key
    assert m_cca(ap.f, bp.f) == pytest.approx(m_cca(a.f, b.f), rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_float64_agrees_with_50_digits(seed: int) -> None:
    a, b = random_pair(10 + seed)
    sets = default_sets(a, b)
    lo, hi = all_values(a, b, sets), all_values(a, b, sets, MP(50))
    for key in lo:
        assert float(lo[key]) == pytest.approx(float(hi[key]), rel=1e-10), key
    assert float(m_cca(a.f, b.f)) == pytest.approx(float(m_cca(a.f, b.f, MP(50))), rel=1e-10)


def test_ball_enclosures_contain_the_50_digit_values() -> None:
    a, b = random_pair(21, n=12, k=4)
    sets = default_sets(a, b)
    hi, balls = all_values(a, b, sets, MP(60)), all_values(a, b, sets, Ball(40))
    for key in hi:
        assert balls[key].contains(Ball(60).scalar(hi[key])) or balls[key].overlaps(Ball(60).scalar(hi[key])), key
        assert balls[key].rad() < 1e-25, key


def test_ddof_invariance() -> None:
    """Every quantity but the scale terms T3, T4 is the same under ddof 0 and ddof 1 (the definitions)."""
    a, b = random_pair(7)
    sets = default_sets(a, b)
    la, lb = log_probs(a), log_probs(b)
    t0, t1 = llv_terms(la, lb, sets, ddof=0), llv_terms(la, lb, sets, ddof=1)
    # a, b, c, e are SDs of standardised quantities: the ddof factor cancels.
    for name in ("a", "b", "c", "e"):
        np.testing.assert_allclose(getattr(t0, name), getattr(t1, name), rtol=1e-12)
    assert t0.T1 == pytest.approx(t1.T1, rel=1e-12) and t0.T2 == pytest.approx(t1.T2, rel=1e-12)
    n, k = a.n, a.K
    assert t1.T3 == pytest.approx(t0.T3 * math.sqrt(n / (n - 1)), rel=1e-12)
    assert t1.T4 == pytest.approx(t0.T4 * math.sqrt(k / (k - 1)), rel=1e-12)
    # the standardised vectors, hence d_SVD and d_{f,g}, do not depend on ddof either
    u, v = a.f @ a.g[1:3].T, b.f @ b.g[1:3].T
    su0 = standardise(u)
    su1 = (u - u.mean(0)) / u.std(0, ddof=1)
    sv1 = (v - v.mean(0)) / v.std(0, ddof=1)
    c1 = su1.T @ sv1 / (a.n - 1)
    assert np.linalg.svd(c1, compute_uv=False).sum() / 2 == pytest.approx(float(m_svd(u, v)), rel=1e-12)
    np.testing.assert_allclose(su0 * math.sqrt((n - 1) / n), su1, rtol=1e-12)


def test_pls_svd_covariances_are_the_singular_values() -> None:
    """PLS-SVD: the k-th pair of weight vectors attains covariance σ_k(Cov(ũ, ṽ))."""
    a, b = random_pair(11, n=200, m=3)
    u, v = a.f @ a.g[1:4].T, b.f @ b.g[1:4].T
    su, sv = standardise(u), standardise(v)
    c = su.T @ sv / len(su)
    left, sing, right_t = np.linalg.svd(c)
    for k in range(3):
        cov = np.mean((su @ left[:, k]) * (sv @ right_t[k]))
        assert cov == pytest.approx(sing[k], rel=1e-12)
    np.testing.assert_allclose(np.sort(pls_svd_values(u, v)), np.sort(sing), rtol=1e-12)
    # and no other unit pair does better than σ_1
    rng = np.random.default_rng(0)
    for _ in range(200):
        p, q = rng.normal(size=3), rng.normal(size=3)
        p, q = p / np.linalg.norm(p), q / np.linalg.norm(q)
        assert np.mean((su @ p) * (sv @ q)) <= sing[0] + 1e-12


# ---------------------------------------------------------------------------------------------
# property tests over random valid models
# ---------------------------------------------------------------------------------------------
@st.composite
def model_pairs(draw: st.DrawFn) -> tuple[Model, Model, Sets]:
    m = draw(st.integers(1, 3))
    k = draw(st.integers(m + 1, m + 4))
    n = draw(st.integers(m + 2, 14))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = draw(st.sampled_from([0.3, 1.0, 3.0]))
    noise = draw(st.sampled_from([0.0, 0.1, 1.0, 5.0]))
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), scale * rng.normal(size=(k, m))
    a = Model(f, g)
    b = Model(f + noise * rng.normal(size=f.shape), g + noise * rng.normal(size=g.shape))
    try:
        sets = default_sets(a, b)
        all_values(a, b, sets)
    except ClosenessError:
        assume(False)
    return a, b, sets


@given(model_pairs())
def test_symmetry_and_nonnegativity(pair: tuple[Model, Model, Sets]) -> None:
    a, b, sets = pair
    ab, ba = all_values(a, b, sets), all_values(b, a, sets)
    for key in ("d_llv_max", "d_llv_sum", "d_fg"):
        assert ab[key] == pytest.approx(ba[key], rel=1e-9, abs=1e-12), key
        assert ab[key] >= -1e-12, key
    assert ab["d_kl_ab"] == pytest.approx(ba["d_kl_ba"], rel=1e-9, abs=1e-14)
    assert ab["d_kl_ab"] >= -1e-14 and ab["d_kl_ba"] >= -1e-14
    assert -1e-12 <= m_cca(a.f, b.f) <= 1 + 1e-12


@given(model_pairs())
def test_m_svd_in_unit_interval(pair: tuple[Model, Model, Sets]) -> None:
    a, b, sets = pair
    u, v = a.f @ (a.g[list(sets.labels[: a.M])] - a.g[sets.pivot_label]).T, b.f @ (
        b.g[list(sets.labels[: b.M])] - b.g[sets.pivot_label]
    ).T
    try:
        value = float(m_svd(u, v))
    except ClosenessError:
        assume(False)
    assert -1e-12 <= value <= 1 + 1e-12
    assert 0 <= float(d_svd(u, v)) + 1e-12


# ---------------------------------------------------------------------------------------------
# the checkers above can fail: feed them a deliberately broken formula
# ---------------------------------------------------------------------------------------------
def llv_without_pivot_term(*args: Any, **kwargs: Any) -> Any:
    """``d_LLV`` that forgets the pivot term ``b_y`` (sets it to 0)."""
    t = llv_terms(*args, **kwargs)
    zero_b = t.b * 0
    ab = np.concatenate([t.a, zero_b])
    return type(t)(t.sets, t.sigma, t.sigma2, t.s, t.s2, t.a, zero_b, t.c, t.e,
                   t.arith.max(ab), t.T2, t.T3, t.T4, t.argmax, t.arith)


def llv_unstandardised(*args: Any, **kwargs: Any) -> Any:
    """``d_LLV`` whose ``T1`` compares raw log-likelihoods (no division by σ_y, σ'_y)."""
    ell, ell2, sets = args[:3]
    t = llv_terms(*args, **kwargs)
    raw_a = np.std(ell[:, list(sets.labels)] - ell2[:, list(sets.labels)], axis=0)
    raw_b = np.std(ell[:, sets.pivot_label] - ell2[:, sets.pivot_label]) + 0 * raw_a
    return type(t)(t.sets, t.sigma, t.sigma2, t.s, t.s2, raw_a, raw_b, t.c, t.e,
                   max(float(raw_a.max()), float(raw_b.max())), t.T2, t.T3, t.T4, t.argmax, t.arith)


def test_dropping_the_pivot_term_is_caught() -> None:
    with pytest.raises(AssertionError):
        check_hand_case(llv_without_pivot_term)


def check_sharp_bound(llv: LLV = llv_terms, seeds: range = range(6)) -> None:
    """Each side's ``d_SVD`` is at most ``2·T²`` of its own terms (Section 4, [new])."""
    for seed in seeds:
        a, b = random_pair(seed, noise=0.05 * (1 + seed))
        scale = 0.5**seed  # shrink the log-odds: unstandardised terms then shrink too
        a, b = Model(a.f * scale, a.g), Model(b.f * scale, b.g)
        sets = default_sets(a, b)
        t = llv(log_probs(a), log_probs(b), sets)
        r = d_fg(a.f, a.g, b.f, b.g, sets)
        assert max(float(d) for _, d in r.f_side) <= 2 * float(t.T1) ** 2 + 1e-12, seed
        assert float(r.g_side) <= 2 * float(t.T2) ** 2 + 1e-12, seed


def test_sharp_bound_consistency() -> None:
    check_sharp_bound()


def test_forgetting_the_standardisation_is_caught() -> None:
    with pytest.raises(AssertionError):
        check_sharp_bound(llv_unstandardised)


def test_compare_agrees_with_the_parts() -> None:
    a, b = random_pair(8)
    res = compare(a, b).as_json()
    sets = default_sets(a, b)
    v = all_values(a, b, sets)
    assert res["d_llv"] == pytest.approx(float(v["d_llv_max"]), rel=1e-14)
    assert res["d_fg"] == pytest.approx(float(v["d_fg"]), rel=1e-14)
