"""The conversions the high-precision paths save must change no number: ball matrices built from
mixed entries, the models converted once by ``compare``, the SD taken from centred values held."""

from __future__ import annotations

from typing import Any

import flint
import mpmath
import numpy as np
import pytest

from theory.compare import at_precision, compare, in_memory_values
from theory.distances import _centred_var, mean, var
from theory.model import Model, log_probs_and_probs
from theory.precision import FLOAT64, MP, Ball
from theory.selection import default_sets


def pair(seed: int = 3) -> tuple[Model, Model]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(40, 2)), 2 * rng.normal(size=(6, 2))
    return Model(f, g), Model(f + 0.3 * rng.normal(size=f.shape), g + 0.1 * rng.normal(size=g.shape))


def same(x: Any, y: Any) -> bool:
    """Bitwise equality of two balls (midpoint and radius)."""
    return bool(x.mid() == y.mid() and x.rad() == y.rad())


def test_ball_matrix_converts_what_is_not_a_ball_and_keeps_balls() -> None:
    B = Ball(40)
    with B.active():
        third = flint.arb(1) / 3
        mixed = np.array([[third, 0.1], [mpmath.mpf("0.25"), "0.5"]], dtype=object)
        m = B._matrix(mixed)
        expected = [B.scalar(v) for v in mixed.ravel()]
        assert all(same(m[i // 2, i % 2], e) for i, e in enumerate(expected))
        assert same(m[0, 0], third)  # a ball is copied in as it is
        floats = np.array([[0.1, -2.5]])
        assert B._matrix(floats)[0, 0].mid() == flint.arb(0.1).mid()  # exactly the float


@pytest.mark.parametrize("certified", [False, True])
def test_models_converted_once_give_the_same_numbers(certified: bool) -> None:
    a, b = pair()
    sets = default_sets(a, b)
    P = Ball(30) if certified else MP(30)
    (ell, p), (ell2, p2) = log_probs_and_probs(a, P.bulk), log_probs_and_probs(b, P.bulk)
    direct = in_memory_values(a, b, sets, P, ell, ell2, 1e-5, "max", probs=(p, p2))
    via = compare(a, b, sets, dps=30, certified=certified).values
    for key in ("d_kl_ab", "d_kl_ba", "d_llv", "m_cca", "d_logit"):
        assert P.to_str(via[key]) == P.to_str(direct[key]), key
    assert P.to_str(via["fg"].value) == P.to_str(direct["fg"].value)
    assert at_precision(a, FLOAT64) is a


def test_sd_from_centred_values_is_the_two_pass_sd() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    B = MP(40).bulk
    with B.active():
        xb = B.array(x)
        centred = xb - mean(xb, B)
        assert all(same(u, v) for u, v in zip(_centred_var(centred, B, None, 0, 0), var(xb, B), strict=True))
    assert np.array_equal(_centred_var(x - mean(x), FLOAT64, None, 0, 1), var(x, FLOAT64, ddof=1))
