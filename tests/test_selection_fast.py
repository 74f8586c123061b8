"""The paper's label selection from moment matrices (theory.selection.paper_labels) makes the choice of
the per-pivot scan of the authors' code ``[paper-code]``: same pivot, same left-out label, ties
included.  The scan is written out here, independently, on :func:`theory.distances.label_terms`."""

from __future__ import annotations

import numpy as np
import pytest

from theory.distances import label_terms
from theory.errors import ClosenessError
from theory.model import Model, input_weights, log_probs
from theory.selection import label_candidates, paper_labels, require_paper_selection


def scan(ell: np.ndarray, ell2: np.ndarray, w: np.ndarray | None = None) -> tuple[int, int, float]:
    """The per-pivot scan as the authors' code runs it: every pivot, every left-out label, first minimiser."""
    k = ell.shape[1]
    best: tuple[float, int, int] = (np.inf, -1, -1)
    for y0 in range(k):
        others = tuple(y for y in range(k) if y != y0)
        try:
            _, _, a_y, b_y = label_terms(ell, ell2, y0, others, w=w)
        except ClosenessError:
            continue
        t = np.maximum(a_y, b_y)
        per_left_out = [float(np.max(np.delete(t, j))) for j in range(len(others))]
        j = int(np.argmin(per_left_out))
        if per_left_out[j] < best[0]:
            best = (per_left_out[j], y0, others[j])
    if best[1] < 0:
        raise ClosenessError("no pivot")
    return best[1], best[2], best[0]


def same_choice(ell: np.ndarray, ell2: np.ndarray, w: np.ndarray | None = None) -> tuple[int, int, float]:
    """Assert the fast and the scanned choices agree (the pivot and left-out label exactly)."""
    fast, slow = paper_labels(ell, ell2, w), scan(ell, ell2, w)
    assert fast[:2] == slow[:2]
    assert fast[2] == pytest.approx(slow[2], rel=1e-9, abs=1e-12)
    return fast


def random_pair(rng: np.random.Generator, n: int, k: int, m: int, noise: float,
                weighted: bool) -> tuple[Model, Model]:
    f, g = rng.standard_normal((n, m)), rng.standard_normal((k, m)) * 2
    w = rng.random(n) + 0.1 if weighted else None
    a = Model(f, g, w)
    b = Model(f + noise * rng.standard_normal((n, m)), g + noise * rng.standard_normal((k, m)), w)
    return a, b


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("k", [3, 4, 7, 12, 30])
def test_random_pairs_choose_as_the_scan(k: int, weighted: bool) -> None:
    rng = np.random.default_rng(k + 100 * weighted)
    for noise in (0.02, 0.3, 1.0):
        a, b = random_pair(rng, 150, k, 2, noise, weighted)
        same_choice(log_probs(a), log_probs(b), input_weights(a))


def test_the_interval_holds_the_two_pass_t1() -> None:
    """The error bound of :func:`label_candidates` covers the two-pass ``T1`` of every valid pivot."""
    rng = np.random.default_rng(5)
    for weighted in (False, True):
        a, b = random_pair(rng, 300, 25, 3, 0.1, weighted)
        ell, ell2, w = log_probs(a), log_probs(b), input_weights(a)
        cand = label_candidates(ell, ell2, w)
        assert cand.valid.all()
        for y0 in range(ell.shape[1]):
            others = tuple(y for y in range(ell.shape[1]) if y != y0)
            _, _, a_y, b_y = label_terms(ell, ell2, y0, others, w=w)
            t1 = float(np.sort(np.maximum(a_y, b_y))[-2])
            assert cand.lower[y0] <= t1 <= cand.upper[y0]
            assert cand.t1[y0] == pytest.approx(t1, rel=1e-9)


def polygon_pair(k: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels and inputs on regular polygons: rotating both by 2π/K permutes them, so every pivot has
    the same ``T1`` (up to rounding) and the largest terms tie in pairs (reflection)."""
    angles = 2 * np.pi * np.arange(k) / k
    g = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    inputs = 2 * np.pi * np.arange(4 * k) / (4 * k) + 0.1
    f = np.stack([np.cos(inputs), np.sin(inputs)], axis=1)
    return log_probs(Model(f, 2 * g)), log_probs(Model(f, 2 * scale * g))


@pytest.mark.parametrize("k", [3, 5, 8, 13])
def test_symmetric_ties(k: int) -> None:
    ell, ell2 = polygon_pair(k, 1.3)
    same_choice(ell, ell2)


def test_identical_models_tie_everywhere() -> None:
    """``ℓ = ℓ'``: every term is exactly 0, so pivot 0 and the first other label win."""
    rng = np.random.default_rng(2)
    a, _ = random_pair(rng, 100, 9, 2, 0.0, False)
    ell = log_probs(a)
    assert same_choice(ell, ell.copy()) == (0, 1, 0.0)


def test_duplicate_labels() -> None:
    """Two labels with the same unembedding: pivots among them have ``σ_y = 0`` and are skipped."""
    rng = np.random.default_rng(3)
    for k in (4, 10):
        a, b = random_pair(rng, 120, k, 2, 0.2, True)
        g, g2 = a.g.copy(), b.g.copy()
        copies = {1: 0} if k == 4 else {1: 0, k - 1: 2}
        for y, z in copies.items():
            g[y], g2[y] = g[z], g2[z]
        da, db = Model(a.f, g, a.weights), Model(b.f, g2, b.weights)
        y0, _, _ = same_choice(log_probs(da), log_probs(db), input_weights(da))
        assert y0 not in {*copies, *copies.values()}


def test_every_pivot_undefined() -> None:
    rng = np.random.default_rng(4)
    f = rng.standard_normal((50, 2))
    g = np.repeat(rng.standard_normal((1, 2)), 3, axis=0)
    ell = log_probs(Model(f, g))
    with pytest.raises(ClosenessError, match="T1 is undefined"):
        paper_labels(ell, ell.copy())
    with pytest.raises(ClosenessError):
        scan(ell, ell.copy())


def test_an_impossible_subset_count_is_refused_before_selecting() -> None:
    require_paper_selection(7, 2)
    with pytest.raises(ClosenessError, match="label subsets"):
        require_paper_selection(700, 2)
    with pytest.raises(ClosenessError, match="K ≥ 3"):
        require_paper_selection(2, 1)
