"""The pair table of Section 5 evaluated batched over pairs (:func:`theory.experiments.pair_table`):
the same sets, values and errors as the one-pair evaluation :func:`theory.compare.compare` with the
paper's selection, on the shipped models, on tied pairs (duplicated and rescaled models) and on
pairs that fail."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import theory.experiments as experiments
from theory.compare import compare
from theory.errors import ClosenessError
from theory.experiments import PairKey, PairResult, pair_distances, pair_table
from theory.model import Model, log_probs
from theory.selection import (
    label_candidates,
    pair_label_candidates,
    pair_paper_labels,
    paper_inputs,
    paper_labels,
    pivot_choice,
    pivot_choices,
)
from theory.shipped import DATA_DIR, Shipped, load_shipped

SAMPLES, SEED, LAM = 100, 0, 1e-5


@pytest.fixture(scope="module")
def width() -> Shipped:
    return load_shipped(DATA_DIR / "width")


def _models(sh: Shipped, budget: int) -> dict[tuple[int, int], Model]:
    return {(m.width, m.seed): m.models[budget] for m in sh.models}


@pytest.fixture(scope="module")
def table(width: Shipped) -> dict[PairKey, PairResult]:
    return pair_table(_models(width, width.spec.steps))


def _close(x: float, ref: float) -> bool:
    """Equal to 1e-12, relative where large."""
    return abs(x - ref) <= 1e-12 * max(1.0, abs(ref))


def _as_compare(row: PairResult, a: Model, b: Model) -> None:
    """``row`` holds what :func:`compare` gives for ``(a, b)``: its sets and values, or its error."""
    try:
        ref = compare(a, b, select="paper", samples=SAMPLES, seed=SEED, lam=LAM)
    except ClosenessError as err:
        assert (row.error, row.sets) == (str(err), None)
        assert math.isnan(row.d_llv) and math.isnan(row.d_fg)
        return
    assert not row.error
    assert row.sets == ref.sets
    v = ref.values
    for got, want in ((row.d_llv, v["d_llv"]), (row.d_fg, v["fg"].value), (row.d_kl, v["d_kl_ab"]),
                      (row.m_cca, v["m_cca"])):
        assert _close(got, float(want)), (got, float(want))


def _tied(a: Model, b: Model) -> bool:
    """Whether the label choice of the pair is a near tie between pivots (decided exactly)."""
    return int(np.sum(label_candidates(log_probs(a), log_probs(b)).contenders())) > 1


def test_table_equals_compare_on_shipped_pairs(width: Shipped, table: dict[PairKey, PairResult]) -> None:
    """A seeded sample of the shipped pairs, half of them with tied pivots, as compare evaluates them."""
    models = _models(width, width.spec.steps)
    keys = list(table)
    order = np.random.default_rng(0).permutation(len(keys))
    plain = [keys[i] for i in order[:10]]
    tied = list(itertools.islice((keys[i] for i in order[10:] if _tied(models[keys[i][0]], models[keys[i][1]])), 10))
    assert len(tied) == 10
    for a, b in plain + tied:
        row = table[(a, b)]
        assert (row.width, row.seed_a, row.width_b, row.seed_b) == (a[0], a[1], b[0], b[1])
        _as_compare(row, models[a], models[b])


@pytest.mark.parametrize("budget_index", [0, 1])
def test_label_choice_equals_the_library_on_every_shipped_pair(width: Shipped, budget_index: int) -> None:
    """Every pair of every budget: the pivot and left-out label of :func:`paper_labels`, including the
    many pairs whose two best pivots tie (their T1 is the same entry of a symmetric matrix), which
    only the exact two-pass values decide."""
    models = _models(width, width.spec.budgets[budget_index])
    keys = sorted(models)
    ells = np.stack([log_probs(models[k]) for k in keys])
    first, second = (np.array(x) for x in zip(*[(i, j) for i, j in itertools.combinations(range(len(keys)), 2)
                                                  if keys[i][1] != keys[j][1]], strict=True))
    y0, left, errors = pair_paper_labels(ells, first, second)
    assert not any(errors)
    assert np.sum(np.sum(pair_label_candidates(ells, first, second).contenders(), axis=1) > 1) > 1000  # ties
    for p, (i, j) in enumerate(zip(first, second, strict=True)):
        assert (int(y0[p]), int(left[p])) == paper_labels(ells[i], ells[j])[:2], (keys[i], keys[j])


def test_pivot_choices_are_bitwise_pivot_choice(width: Shipped) -> None:
    """The batched exact T1 of a pivot is :func:`pivot_choice`'s to the last bit."""
    models = list(_models(width, width.spec.steps).values())
    ells = np.stack([log_probs(m) for m in models])
    rng = np.random.default_rng(1)
    first = rng.integers(0, len(models), 120)
    second = (first + rng.integers(1, len(models), 120)) % len(models)
    pivots = rng.integers(0, ells.shape[2], 120)
    t1, left, defined = pivot_choices(ells, first, second, pivots)
    for q in range(120):
        ref = pivot_choice(ells[first[q]], ells[second[q]], int(pivots[q]))
        assert ref is not None and defined[q]
        assert (float(t1[q]), int(left[q])) == ref


def test_input_choice_equals_the_library(width: Shipped, table: dict[PairKey, PairResult]) -> None:
    models = _models(width, width.spec.steps)
    keys = list(table)
    for i in np.random.default_rng(2).choice(len(keys), 12, replace=False):
        a, b = keys[i]
        x0, sx, _ = paper_inputs(models[a], models[b], log_probs(models[a]), log_probs(models[b]), SAMPLES, SEED)
        sets = table[(a, b)].sets
        assert sets is not None and (sets.pivot_input, sets.inputs) == (x0, sx)


def test_ties_are_decided_as_compare_decides(width: Shipped) -> None:
    """Duplicated models (every T1 and T2 tied at 0), a copy rescaled by powers of two (the same
    log-probabilities), a copy with its labels permuted, and an unrelated model."""
    shipped = _models(width, width.spec.steps)
    a, b = shipped[(16, 0)], shipped[(64, 3)]
    g = np.asarray(a.g)
    models = {(16, 0): a, (16, 1): a, (16, 2): Model(np.asarray(a.f) * 2.0, g * 0.5),
              (16, 3): Model(a.f, g[[1, 0, 2, 3, 5, 4]]), (64, 4): b}
    rows = pair_table(models)
    assert len(rows) == 10
    for (ka, kb), row in rows.items():
        _as_compare(row, models[ka], models[kb])
    llv, fg, sets = pair_distances(a, a)
    assert llv == 0.0 and abs(fg) <= 1e-15 and sets == rows[((16, 0), (16, 1))].sets


def test_failing_pairs_carry_the_error_compare_raises(width: Shipped) -> None:
    """Unembeddings on a line (every L singular) and a constant embedding (every σ_y zero): the
    pair's error is compare's message; the other pairs are unaffected."""
    shipped = _models(width, width.spec.steps)
    a, b = shipped[(32, 0)], shipped[(32, 1)]
    line = Model(a.f, np.outer(np.arange(6.0) - 2.5, [1.0, 2.0]) + np.asarray(a.g)[0])
    flat = Model(np.tile(np.asarray(a.f)[:1], (a.n, 1)), a.g)
    models = {(32, 1): b, (32, 2): line, (32, 3): flat}
    rows = pair_table(models)
    for (ka, kb), row in rows.items():
        _as_compare(row, models[ka], models[kb])
    assert rows[((32, 1), (32, 2))].error.startswith("L' for labels")
    assert "zero log-odds variance" in rows[((32, 1), (32, 3))].error
    with pytest.raises(ClosenessError, match=r"L' for labels .* is singular"):
        pair_distances(b, line)
    none = pair_table({(32, 1): b, (32, 2): a}, samples=0)
    with pytest.raises(ClosenessError) as err:
        compare(b, a, select="paper", samples=0, seed=SEED, lam=LAM)
    assert [r.error for r in none.values()] == [str(err.value)]


def test_batches_do_not_change_the_table(width: Shipped, monkeypatch: pytest.MonkeyPatch) -> None:
    """One pair a batch gives the table of the default batches, pair for pair and bit for bit."""
    shipped = _models(width, width.spec.steps)
    models = {k: shipped[k] for k in [(16, 0), (16, 1), (32, 2), (64, 0), (128, 5), (256, 7)]}
    models[(16, 9)] = shipped[(16, 0)]  # a duplicate: its pairs are decided exactly
    whole = pair_table(models)
    monkeypatch.setattr(experiments, "BATCH_BYTES", 1)
    lines: list[tuple[str, bool]] = []
    single = pair_table(models, report=lambda text, final: lines.append((text, final)))
    assert list(whole) == list(single)
    fields = ("d_llv", "d_fg", "d_kl", "m_cca", "error", "sets", "width_b")
    for key, row in whole.items():
        assert [getattr(row, f) for f in fields] == [getattr(single[key], f) for f in fields]
    assert len(lines) == len(whole) and lines[-1] == (f"pairs compared: {len(whole)}/{len(whole)}", True)
    assert not any(final for _, final in lines[:-1])


def test_pair_distances_is_the_table_row(width: Shipped, table: dict[PairKey, PairResult]) -> None:
    models = _models(width, width.spec.steps)
    key = next(iter(table))
    row = table[key]
    assert pair_distances(models[key[0]], models[key[1]]) == (row.d_llv, row.d_fg, row.sets)
    with pytest.raises(ClosenessError, match="must share"):
        pair_table({(16, 0): models[key[0]], (16, 1): Model(np.asarray(models[key[0]].f)[:10], models[key[0]].g)})


def test_a_kept_first_draw_with_zero_spread_is_refused_as_compare_refuses_it() -> None:
    """Two inputs of the first seeded draw within 4e-16 of its pivot input (``s_x`` is zero to
    float64, ``N`` is not singular), and no draw with ``T2 < 1``: compare refuses the pair naming
    ``s_x``; the table gives that error, not a d_LLV of 1e15."""
    refused = 0
    for seed in range(4):
        rng = np.random.default_rng(seed)
        g, g2 = rng.normal(size=(6, 2)), 3 * rng.normal(size=(6, 2))
        f, f2 = rng.normal(size=(30, 2)), 3 * rng.normal(size=(30, 2))
        draw = np.random.default_rng(SEED).choice(30, size=30, replace=False)[:3]  # the first draw
        f[draw[1]], f[draw[2]] = f[draw[0]] + [4e-16, 0.0], f[draw[0]] + [0.0, 4e-16]
        a, b = Model(f, g), Model(f2, g2)
        (row,) = pair_table({(8, 0): a, (8, 1): b}).values()
        try:
            ref = compare(a, b, select="paper", samples=100, seed=SEED, lam=LAM)
        except ClosenessError as err:
            assert row.error == str(err) and "s_x" in row.error
            refused += 1
        else:
            assert not row.error and abs(row.d_llv - float(ref.values["d_llv"])) <= 1e-12 * max(1.0, row.d_llv)
    assert refused >= 2  # the case is reached
