"""The follow-up paper's distances (theory/logit.py): d_logit in both forms at every precision,
streamed, exact and sampled d_rep, the bound's sides, the appendix constructions."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ClosenessError
from theory.logit import (
    appendix_cca_example,
    appendix_kl_example,
    clr,
    code_formula,
    d_logit,
    d_logit_sq,
    d_logit_sq_moments,
    d_rep_sq,
    eigen_cca_bound,
    stream_d_logit_sq,
)
from theory.model import Model, log_probs
from theory.precision import FLOAT64, MP, Ball


def _pair(seed: int = 0, n: int = 30, k: int = 5, m: int = 2, weighted: bool = False) -> tuple[Model, Model]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), rng.normal(size=(k, m))
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    return Model(f, g, w), Model(f + 0.3 * rng.normal(size=f.shape), g + 0.3 * rng.normal(size=g.shape), w)


@pytest.mark.parametrize("weighted", [False, True])
def test_direct_and_moment_forms_agree_at_every_precision(weighted: bool) -> None:
    a, b = _pair(weighted=weighted)
    x, y = d_logit_sq(a, b), d_logit_sq_moments(a, b)
    assert abs(x - y) <= 1e-12 * abs(x)
    hi = MP(40)
    assert abs(hi.scalar(d_logit_sq(a, b, hi)) - hi.scalar(d_logit_sq_moments(a, b, hi))) < hi.scalar("1e-35")
    ball = Ball(30)
    with ball.active():
        assert d_logit_sq(a, b, ball).overlaps(d_logit_sq_moments(a, b, ball))
        assert d_logit_sq(a, b, ball).rad() < 1e-25
    assert abs(stream_d_logit_sq(a, b, chunk=7) - x) <= 1e-12 * x


def test_d_logit_is_the_aitchison_distance_of_the_conditionals() -> None:
    a, b = _pair(1)
    c1, c2 = clr(log_probs(a)), clr(log_probs(b))
    assert abs(((c1 - c2) ** 2).sum(axis=1).mean() - d_logit_sq(a, b)) < 1e-12
    shifted = Model(b.f, b.g + np.array([3.0, -2.0]))  # g + c: the same conditionals
    assert abs(d_logit_sq(a, shifted) - d_logit_sq(a, b)) < 1e-10
    assert d_logit(a, a) == 0


def test_streamed_d_logit_refuses_a_bad_chunk() -> None:
    a, b = _pair()
    with pytest.raises(ClosenessError, match="chunk"):
        stream_d_logit_sq(a, b, chunk=0)


def test_d_rep_exact_and_sampled() -> None:
    a, b = _pair(2, k=6)
    exact = d_rep_sq(a, b)
    assert exact.exact and exact.count == exact.total == 6 * 10 and exact.stderr is None
    sampled = d_rep_sq(a, b, limit=10, samples=400, seed=3)
    assert not sampled.exact and sampled.count == 400
    assert abs(sampled.value - exact.value) < 4 * sampled.stderr
    assert d_rep_sq(a, a).value == pytest.approx(0, abs=1e-12)


def test_d_rep_refuses_a_singular_label_matrix() -> None:
    a, b = _pair(3)
    g = a.g.copy()
    g[2] = 2 * g[1] - g[0]  # labels 0, 1, 2 on a line: L₁ singular for pivot 0 and {1, 2}
    with pytest.raises(ClosenessError, match="singular"):
        d_rep_sq(Model(a.f, g), b)


def test_code_formula_divides_by_the_number_of_terms() -> None:
    assert code_formula([2.0, 4.0, 6.0]) == pytest.approx(4.0 / 3)


def test_bound_sides_consistent_conventions_hold() -> None:
    a, b = _pair(4)
    for kw in ({}, {"lam_centred": True, "rho_centred": True}, {"lam_centred": True}):
        s = eigen_cca_bound(a, b, **kw)
        assert s.lhs <= s.middle + 1e-12 <= s.d2 + 2e-12


def test_appendix_examples() -> None:
    a, b = appendix_kl_example()
    assert a.n == 4000 and np.array_equal(a.f, b.f)
    assert 600 < d_logit_sq(a, b) < 720
    c, d = appendix_cca_example(P=FLOAT64)
    assert c.n == 500 and d_logit_sq(c, d) > 1
