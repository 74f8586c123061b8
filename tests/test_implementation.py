"""The implementation claims: the streamed path and the similarity measures against exact values,
each fed a broken variant that must be refuted."""

from __future__ import annotations

from fractions import Fraction

import pytest

from checks.claims.implementation import check_similarity, check_streamed, similarity_pair, streamed_pair
from checks.registry import Context
from theory import streaming


def test_streamed_and_in_memory_paths_agree() -> None:
    out = check_streamed(*streamed_pair(0))
    assert out.verdict == "verified" and out.evidence["max_rel_err_streamed"] < 1e-10


def test_a_streamed_path_that_drops_the_last_input_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "_blocks", lambda n, size: [(lo, min(lo + size, n - 1)) for lo in range(0, n, size)])
    assert check_streamed(*streamed_pair(0)).verdict == "refuted"


def test_similarity_measures_equal_the_exact_canonical_correlations() -> None:
    x, y, norms = similarity_pair(0)
    assert check_similarity(x, y, norms, Context(dps=30)).verdict == "verified"


def test_a_wrong_exact_value_is_refuted() -> None:
    x, y, norms = similarity_pair(0)
    a, b, r = norms[0]
    wrong = [(a, b * Fraction(11, 10), r), *norms[1:]]  # the claimed ρ_1 off by a little
    assert check_similarity(x, y, wrong, Context(dps=30)).verdict == "refuted"
