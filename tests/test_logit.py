"""theory/logit.py's pieces for engines that never hold ``G`` whole: the moment form from Gram
matrices, the seeded draw of (pivot, set) terms, and ``d²_rep`` from only the rows those terms need."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ClosenessError
from theory.logit import (
    COMPARE_REP_MAX_M,
    LabelRows,
    _sampled_pivot_sets,
    compare_rep_labels,
    d_logit_sq_of_grams,
    d_rep_sq,
    moment_form,
    moment_form_of_grams,
    rep_for_compare,
    rep_pairs,
    second_moments,
    stream_d_logit_sq,
    unembedding_grams,
)
from theory.model import Model
from theory.precision import FLOAT64, MP


def _pair(k: int, m: int, seed: int = 0, n: int = 40) -> tuple[Model, Model]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), rng.normal(size=(k, m))
    w = rng.uniform(0.5, 2.0, n)
    return Model(f, g, w), Model(f + 0.3 * rng.normal(size=f.shape), g + 0.3 * rng.normal(size=g.shape), w)


def _listed_draw(k: int, m: int, samples: int, seed: int) -> list[tuple[int, tuple[int, ...]]]:
    """The draw as first written: the K − 1 other labels listed, M of them chosen."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(samples):
        y0 = int(rng.integers(k))
        others = np.array([y for y in range(k) if y != y0])
        out.append((y0, tuple(sorted(int(y) for y in rng.choice(others, size=m, replace=False)))))
    return out


@pytest.mark.parametrize(("k", "m"), [(5, 1), (40, 3), (2000, 64), (100, 99)])
def test_sampled_terms_are_the_listed_draw(k: int, m: int) -> None:
    """Drawing positions among the other labels gives the same pairs, seed for seed, as listing them."""
    for seed in range(3):
        assert _sampled_pivot_sets(k, m, 30, seed) == _listed_draw(k, m, 30, seed)


def test_moment_form_of_grams_is_the_moment_form() -> None:
    a, b = _pair(9, 3)
    for P in (FLOAT64, MP(30)):
        with P.active():
            s = second_moments(a.f, b.f, P)
            assert moment_form_of_grams(*unembedding_grams(a.g, b.g, P), *s, P) == moment_form(a.g, b.g, *s, P)
    s = second_moments(a.f, b.f, FLOAT64, np.asarray(a.weights) / np.sum(a.weights))
    assert d_logit_sq_of_grams(unembedding_grams(a.g, b.g), *s) == pytest.approx(stream_d_logit_sq(a, b), rel=1e-13)


@pytest.mark.parametrize(("k", "m"), [(6, 2), (300, 3), (70, 1)])
def test_rep_from_the_rows_it_needs(k: int, m: int) -> None:
    """``d²_rep`` from only the rows of ``G, G'`` that :func:`compare_rep_labels` names equals the value
    from all of ``G, G'``, term for term, exact or sampled."""
    a, b = _pair(k, m, seed=k)
    for seed in (0, 7):
        labels = compare_rep_labels(k, m, seed)
        assert isinstance(labels, list)
        _, total, exact = rep_pairs(k, m, samples=200, seed=seed)
        if not exact:
            assert len(labels) < k
        rows = LabelRows(k, tuple(labels))
        part = [Model(x.f, np.asarray(x.g)[labels], x.weights) for x in (a, b)]
        whole, read = rep_for_compare(a, b, FLOAT64, seed), rep_for_compare(*part, FLOAT64, seed, rows=rows)
        assert not isinstance(whole, str) and not isinstance(read, str)
        expected = (total if exact else 200, total, exact)
        assert (read.count, read.total, read.exact) == (whole.count, whole.total, whole.exact) == expected
        assert [t[:2] for t in read.terms] == [t[:2] for t in whole.terms]
        assert read.value == pytest.approx(whole.value, rel=1e-13)


def test_rows_lacking_a_label_and_refusals() -> None:
    a, b = _pair(300, 3)
    labels = compare_rep_labels(300, 3, 0)
    assert isinstance(labels, list)
    short = labels[1:]
    part = [Model(x.f, np.asarray(x.g)[short], x.weights) for x in (a, b)]
    with pytest.raises(ClosenessError, match="lack some label"):
        d_rep_sq(*part, samples=200, rows=LabelRows(300, tuple(short)))
    assert compare_rep_labels(10**5, COMPARE_REP_MAX_M + 1).startswith("not computed")
