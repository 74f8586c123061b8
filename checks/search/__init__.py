"""Reproducible hypothesis searches for violations.

A search has a *strategy* (hypothesis) producing candidates, a float *score* to maximise
(``score > 1`` means the candidate violates the statement under test), and a *re-verification*
at high precision.  :func:`run_search`

1. explores ``examples`` candidates with ``hypothesis.target`` steering towards high scores,
   from a fixed ``seed`` and with no example database, so a run is replayable;
2. shrinks a violation with ``hypothesis.find`` (seeded as well) to a minimal witness;
3. re-verifies every violation with the caller's high-precision check and reports only those
   that survive it (a float64 artefact is dropped and counted).

Targets (``closeness search kl``, ``… bound``, ``… metric``) register themselves in
:data:`TARGETS` from their own modules.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, find, given, seed, settings, target
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import NoSuchExample, Unsatisfiable

from theory import __version__
from theory.io import finite

__all__ = ["SearchResult", "run_search", "search_settings", "SCHEMA", "showing_progress", "stage"]

SCHEMA = "closeness-search/1"

#: The progress bar (tqdm-like: ``reset``, ``update``, ``set_description_str``) of the running
#: command, if it shows one; the searches report to it (examples tried, then the stage).
_BAR: ContextVar[Any] = ContextVar("search_progress", default=None)


@contextmanager
def showing_progress(bar: Any) -> Iterator[None]:
    """Searches run inside this block report their progress on ``bar`` (None: no display)."""
    token = _BAR.set(bar)
    try:
        yield
    finally:
        _BAR.reset(token)


def stage(text: str) -> None:
    """Name the stage a search is in (shrinking, re-verifying) on the progress display, if any."""
    bar = _BAR.get()
    if bar is not None:
        bar.set_description_str(text)

# hypothesis keeps caches in a `.hypothesis` folder; never in the user's working directory
set_hypothesis_home_dir(
    os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "closeness-proofs", "hypothesis")
)


def search_settings(examples: int) -> settings:
    """Hypothesis settings of every search: no database, no deadline, no health-check aborts."""
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.target, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


@dataclass
class SearchResult:
    """What a search found; ``as_json`` is the ``closeness-search/1`` object."""

    target: str
    examples: int
    seed: int
    factor: float | None = None
    best: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0  # violations at float64 that the high-precision re-check did not confirm
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The record; a ratio without a finite value (a violation with a singular matrix) is null."""
        return finite({
            "schema": SCHEMA,
            "version": __version__,
            "target": self.target,
            "factor": self.factor,
            "examples": self.examples,
            "seed": self.seed,
            "hypothesis": {"max_examples": self.examples, "database": None, "deadline": None,
                           "seed": self.seed, "phases": ["generate", "target", "shrink"]},
            "best": self.best,
            "violations": self.violations,
            "unconfirmed_violations": self.dropped,
            **self.extra,
        })


def run_search(
    name: str,
    strategy: st.SearchStrategy[Any],
    score: Callable[[Any], float | None],
    describe: Callable[[Any], dict[str, Any]],
    reverify: Callable[[Any], dict[str, Any] | None],
    *,
    examples: int,
    seed_value: int,
    keep: int = 5,
    factor: float | None = None,
) -> SearchResult:
    """Maximise ``score`` over ``strategy``; violations are candidates with ``score > 1``.

    ``score`` returns None (or NaN) for an invalid candidate, which is skipped, and ``+inf`` for
    a violation without a finite ratio (e.g. a matrix that should be invertible is singular),
    which counts as a violation like any score above 1.  ``describe(x)`` is the JSON
    record of a candidate; ``reverify(x)`` re-checks a violation at high precision and returns
    its record (with the high-precision ratio) or None when the violation does not survive.
    """
    scored: list[tuple[float, Any]] = []
    bar = _BAR.get()
    if bar is not None:
        bar.reset(total=examples)
        stage(f"search {name}: exploring")

    @seed(seed_value)
    @search_settings(examples)
    @given(strategy)
    def explore(x: Any) -> None:
        if bar is not None and bar.n < examples:
            bar.update(1)
        s = score(x)
        if s is None or np.isnan(s):
            return
        if np.isfinite(s):
            target(float(s), label=name)
        scored.append((float(s), x))

    explore()
    scored.sort(key=lambda t: -t[0])
    result = SearchResult(name, examples, seed_value, factor)
    result.best = [{"ratio": s, **describe(x)} for s, x in scored[:keep]]
    if scored and scored[0][0] > 1:
        stage(f"search {name}: shrinking a violation")
        try:
            minimal = find(
                strategy,
                lambda x: (score(x) or 0.0) > 1,
                settings=search_settings(max(examples, 100)),
                random=random.Random(seed_value),
            )
        except (NoSuchExample, Unsatisfiable):
            minimal = scored[0][1]
        stage(f"search {name}: re-verifying at high precision")
        for x in (minimal, scored[0][1]):
            record = reverify(x)
            if record is None:
                result.dropped += 1
            else:
                result.violations.append(record)
    return result
