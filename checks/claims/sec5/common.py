"""Shared material of the Section 5 claims: the shipped models (:mod:`theory.shipped`), their pair
table, the grid the claims state, and the accuracy filter.

The shipped models follow the paper's setting (K = 6 radial task, ``f``, ``g`` with three hidden
layers, M = 2, Adam lr 1e-4, batch 128, 15000 steps, 20000 training points; a 2000-point test
set) at the widths and seeds listed in the package's manifest, with the 5000-step snapshot of
every run as a second training budget.  Every pair of models with different seeds is evaluated
once per budget by :func:`theory.experiments.pair_table`, float64 batched over the pairs (the
paper's per-pair selection, λ = 1e-5; the same sets and values as :func:`theory.compare.compare`).

Every claim module reads the models through :func:`shipped`; :func:`stand_ins` puts other sets in
their place (the tests' small trained sets) for all of them at once.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping

from theory.experiments import GridResult, PairKey, PairResult, pair_table, shipped_grid
from theory.model import Model
from theory.shipped import DATA_DIR, Shipped, load_shipped

__all__ = [
    "MIN_ACCURACY",
    "MIN_MODELS",
    "SHIPPED_GRID",
    "AUTHORS_DIFFERENCES",
    "DIGITS_SETS",
    "shipped",
    "stand_ins",
    "shipped_table",
    "trained_models",
    "shipped_result",
    "grid_text",
    "describe",
]

#: The paper's accuracy filter and its minimum of kept models per width.
MIN_ACCURACY, MIN_MODELS = 0.9, 5
#: The shipped grid of the width experiment, as the claims state it (a test keeps it equal to the manifest).
SHIPPED_GRID = "widths 16, 32, 64, 128, 256, seeds 0-19"
#: How the shipped width experiment differs from the authors' experiment code (their configuration
#: files); stated in the claims that use it.
AUTHORS_DIFFERENCES = (
    "As in the authors' configuration: 20 seeds a width, widths 16-256, M = 2, leaky-ReLU MLPs, Adam lr 1e-4, "
    "batch 128, 15000 steps, 20000 points, test accuracy > 0.9. What differs: the authors also trained "
    "variants with f, g or both rescaled to length 20 after the last layer (here only the unconstrained "
    "f and g, the paper's Figure 3), and K = 4, 10, 18 besides K = 6 (here K = 6); their data and "
    "initialisation come from their own generator and framework (here numpy, same distributions), and "
    "their test split is not stated in the configuration (here 2000 points)."
)
#: The shipped digits experiments (M = 2 and M = 8).
DIGITS_SETS = ("digits-M2", "digits-M8")

#: Sets standing in for shipped ones (by name), see :func:`stand_ins`.
_STAND_INS: dict[str, Shipped] = {}


def shipped(name: str = "width") -> Shipped:
    """A shipped experiment (``width``, ``digits-M2``, ``digits-M8``), each file checked against its
    SHA-256 and configuration hash (or the set standing in for it, see :func:`stand_ins`)."""
    if name in _STAND_INS:
        return _STAND_INS[name]
    return _load(name)


@functools.lru_cache(maxsize=4)
def _load(name: str) -> Shipped:
    return load_shipped(DATA_DIR / name)


@contextlib.contextmanager
def stand_ins(sets: Mapping[str, Shipped]) -> Iterator[None]:
    """Within the block, :func:`shipped` returns ``sets[name]`` for the names of ``sets`` (the
    others stay the package's), for every claim and command; nested blocks restore the outer sets."""
    previous = dict(_STAND_INS)
    _STAND_INS.update(sets)
    _table.cache_clear()
    try:
        yield
    finally:
        _STAND_INS.clear()
        _STAND_INS.update(previous)
        _table.cache_clear()


def shipped_table(budget: int, name: str = "width") -> dict[PairKey, PairResult]:
    """Every pair of shipped models with different seeds at ``budget`` steps, evaluated once per run."""
    return _table(budget, name)


@functools.lru_cache(maxsize=8)
def _table(budget: int, name: str) -> dict[PairKey, PairResult]:
    return pair_table(trained_models(shipped(name), budget))


def trained_models(sh: Shipped, budget: int) -> dict[tuple[int, int], Model]:
    """The models of ``sh`` at ``budget`` steps by ``(width, seed)``."""
    return {(m.width, m.seed): m.models[budget] for m in sh.models}


def shipped_result(budget: int | None = None, min_accuracy: float = MIN_ACCURACY, min_models: int = MIN_MODELS,
                   seeds: tuple[int, ...] | None = None, name: str = "width") -> GridResult:
    """The shipped models at ``budget`` steps (default: the full run) as a grid with the given filter."""
    sh = shipped(name)
    budget = sh.spec.steps if budget is None else budget
    return shipped_grid(sh, budget, min_accuracy, min_models, shipped_table(budget, name), seeds)


def grid_text(sh: Shipped) -> str:
    """``widths …, seeds …`` of a shipped set (the form of :data:`SHIPPED_GRID`), widths with the same
    seeds grouped: e.g. ``widths 16, 32, seeds 0-9; width 64, seeds 0-4``."""
    present = sorted({m.width for m in sh.models})
    groups: dict[tuple[int, ...], list[int]] = {}
    for w in present:
        groups.setdefault(tuple(sorted(m.seed for m in sh.models if m.width == w)), []).append(w)
    parts = []
    for seeds, widths in groups.items():
        run = seeds == tuple(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1
        seed_text = f"{seeds[0]}-{seeds[-1]}" if run else ", ".join(map(str, seeds))
        parts.append(f"width{'s' if len(widths) > 1 else ''} {', '.join(map(str, widths))}, "
                     f"seed{'s' if len(seeds) > 1 else ''} {seed_text}")
    return "; ".join(parts)


def describe(sh: Shipped) -> str:
    """The models of a shipped set in one line (task, grid, K, M, steps, data sizes)."""
    s = sh.spec
    return (f"{len(sh.models)} shipped models ({s.task}): {grid_text(sh)}, K = {s.classes}, M = {s.dim}, "
            f"{s.steps} Adam steps at lr {s.lr:g} (snapshot at {', '.join(map(str, s.budgets[:-1]))}), "
            f"{s.train_size} training / {s.test_size} test points")
