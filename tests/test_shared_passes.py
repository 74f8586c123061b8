"""What ``closeness compare`` shares between its distances gives the numbers of the separate
routes: the probabilities beside the log-softmax, the log-odds behind ``σ_y`` and the f side of
``d_{f,g}``, the clr form of ``d_logit``, the Gram matrices and the batched ``d²_rep`` terms, at
float64, at 50 digits (midpoints) and in balls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from theory.compare import compare
from theory.distances import Sets, d_fg, d_kl, label_log_odds, label_terms
from theory.logit import _pivot_sets, d_logit_sq, d_logit_sq_clr, rep_terms, second_moments
from theory.model import Model, input_weights, log_probs, log_probs_and_probs
from theory.precision import FLOAT64, MP, Arithmetic, Ball

ARITHMETICS = [FLOAT64, MP(50).bulk, Ball(30)]
SETS = Sets(0, (1, 2, 4), 0, (3, 5))


def pair(seed: int = 5, weighted: bool = True) -> tuple[Model, Model]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(30, 2)), 1.5 * rng.normal(size=(6, 2))
    w = rng.uniform(0.5, 1.5, size=30) if weighted else None
    return Model(f, g, w), Model(f + 0.4 * rng.normal(size=f.shape), g + 0.3 * rng.normal(size=g.shape), w)


def close(x: Any, y: Any, P: Arithmetic, float_digits: int = 13) -> bool:
    """Equal within the arithmetic: overlapping enclosures (balls), ``dps − 8`` digits of the
    midpoints (50 digits), ``float_digits`` digits (float64), relative to ``|y|``."""
    if P.kind == "arb":
        return bool(P.scalar(x).overlaps(P.scalar(y)))
    if P is FLOAT64:
        return bool(abs(float(x) - float(y)) <= 10.0 ** -float_digits * max(abs(float(y)), 1e-300))
    u, v = P.scalar(x).mid(), P.scalar(y).mid()
    return bool(abs(u - v) <= P.scalar(10) ** -(P.dps - 8) * max(abs(v), P.scalar(1e-300)))


@pytest.mark.parametrize("P", ARITHMETICS, ids=lambda P: P.kind)
def test_probabilities_beside_the_log_softmax_are_its_exponentials(P: Arithmetic) -> None:
    a, _ = pair()
    with P.active():
        ell, p = log_probs_and_probs(a, P)
        assert all(close(u, v, P, 14) for u, v in zip(P.exp(ell).ravel(), p.ravel(), strict=True))
        assert all(close(s, 1, P, 14) for s in p.sum(axis=1))
        assert all(close(u, v, P, 14) for u, v in zip(log_probs(a, P).ravel(), ell.ravel(), strict=True))


@pytest.mark.parametrize("P", ARITHMETICS, ids=lambda P: P.kind)
def test_d_kl_weighed_by_the_held_probabilities_is_d_kl(P: Arithmetic) -> None:
    a, b = pair()
    with P.active():
        (ell, p), ell2 = log_probs_and_probs(a, P), log_probs(b, P)
        w = input_weights(a, P)
        assert close(d_kl(ell, ell2, P, w, probs=p), d_kl(ell, ell2, P, w), P, 14)


@pytest.mark.parametrize("P", ARITHMETICS, ids=lambda P: P.kind)
def test_the_clr_form_is_the_direct_form_of_d_logit(P: Arithmetic) -> None:
    a, b = pair()
    with P.active():
        clr_form = d_logit_sq_clr(log_probs(a, P), log_probs(b, P), P, input_weights(a, P))
        assert close(clr_form, d_logit_sq(a, b, P), P, 12)


@pytest.mark.parametrize("P", ARITHMETICS, ids=lambda P: P.kind)
def test_shared_log_odds_give_the_label_terms_and_the_f_side(P: Arithmetic) -> None:
    a, b = pair()
    with P.active():
        ell, ell2 = log_probs(a, P), log_probs(b, P)
        w = input_weights(a, P)
        odds = (label_log_odds(ell, 0, SETS.labels, P, w), label_log_odds(ell2, 0, SETS.labels, P, w))
        for shared, own in zip(label_terms(ell, ell2, 0, SETS.labels, P, w, odds=odds),
                               label_terms(ell, ell2, 0, SETS.labels, P, w), strict=True):
            assert all(close(x, y, P) for x, y in zip(shared, own, strict=True))
        from_odds = d_fg(a.f, a.g, b.f, b.g, SETS, P, w, odds=odds)
        from_representations = d_fg(a.f, a.g, b.f, b.g, SETS, P, w)
        for (s1, x), (s2, y) in zip(from_odds.f_side, from_representations.f_side, strict=True):
            assert s1 == s2 and close(x, y, P, 12)


@pytest.mark.parametrize("P", ARITHMETICS, ids=lambda P: P.kind)
def test_gram_moments_and_batched_rep_terms_are_the_definitions(P: Arithmetic) -> None:
    a, b = pair()
    pairs = list(_pivot_sets(a.K, a.M))
    with P.active():
        w = input_weights(a, P)
        s11, s22, s21 = second_moments(a.f, b.f, P, w)
        f1, f2 = P.array(a.f), P.array(b.f)
        wf1 = f1 * w[:, None]
        for got, want in ((s11, wf1.T @ f1), (s22, (f2 * w[:, None]).T @ f2), (s21, (f2 * w[:, None]).T @ f1)):
            assert all(close(x, y, P) for x, y in zip(np.ravel(got), np.ravel(want), strict=True))
        g1, g2 = P.array(a.g), P.array(b.g)
        for (y0, s, term) in rep_terms(a, b, pairs, P)[:12]:
            amat = P.solve(g1[list(s)] - g1[[y0]], g2[list(s)] - g2[[y0]])
            resid = f1 - f2 @ amat.T
            direct = ((resid * resid).sum(axis=1) * w).sum()
            assert close(term, direct, P, 10)


def test_compare_values_do_not_depend_on_the_shared_routes_beyond_rounding() -> None:
    """Float64 and 50 digits agree to 1e-10 on every distance of the in-memory path."""
    a, b = pair(seed=9)
    low, high = compare(a, b, SETS).as_json(), compare(a, b, SETS, dps=50).as_json()
    for key in ("d_llv", "d_fg", "m_cca", "d_logit"):
        assert abs(float(low[key]) - float(high[key])) <= 1e-10 * abs(float(high[key])), key
    assert abs(float(low["d_rep"]["value"]) - float(high["d_rep"]["value"])) <= 1e-10 * float(high["d_rep"]["value"])
