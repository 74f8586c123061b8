"""Shared material of the follow-up claims: methods with a stated scope, exact sympy residuals as
verdicts, the random test pairs, :func:`~checks.evidence.numeric_leq` with equality cases, and the
pieces of a hypothesis search (small weighted models, a confirmed violation, the search's verdict).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from checks.evidence import numeric_leq
from checks.registry import Context, Outcome
from checks.registry import scoped_method as scoped_method  # re-exported for the claim modules
from theory.families import random_diverse_pair
from theory.model import Model
from theory.precision import Arithmetic

__all__ = [
    "FU", "scoped_method", "symbolic_zeros", "random_pairs", "leq_or_equal", "exceeds", "search_outcome",
    "small_models", "models_of",
]

FU = "Follow-up (logit distance)"


def symbolic_zeros(residuals: dict[str, Any], scope: str, **evidence: Any) -> Outcome:
    """Verified when every sympy residual is exactly 0, refuted (naming them) otherwise."""
    shown = {k: str(v) for k, v in residuals.items()}
    bad = {k: v for k, v in shown.items() if v not in ("0", "Matrix([[0], [0]])") and set(v) - set("0[], Matrix()")}
    if bad:
        return Outcome.refuted(witness=bad, residuals=shown, scope=scope, **evidence)
    return Outcome.verified(residuals=shown, scope=scope, **evidence)


def random_pairs(seed: int, count: int = 6, weighted: bool = True) -> list[tuple[Model, Model]]:
    """Random pairs over M ∈ {1, 2, 3}, K ∈ {M+1, M+3}, several closeness levels, some weighted."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        m = 1 + i % 3
        p = random_diverse_pair(rng, n=10, K=m + 1 + 2 * (i % 2), M=m, closeness=(0.1, 0.5, 1.5)[i % 3])
        w = rng.integers(1, 5, p.a.n).astype(float) if weighted and i % 2 else None
        out.append((Model(p.a.f, p.a.g, w), Model(p.b.f, p.b.g, w)))
    return out


def leq_or_equal(sides: Callable[[Arithmetic], tuple[Any, Any]], ctx: Context, witness: Any) -> Outcome:
    """:func:`numeric_leq`, with a margin below the working precision's noise at both precisions (an
    equality case, e.g. an equivalent pair or an attained bound) counted as holding, and said so."""
    out = numeric_leq(sides, ctx, digits=10, witness=witness)
    if out.verdict == "undecided" and "noise" in out.evidence.get("reason", ""):
        return Outcome.verified(**{k: v for k, v in out.evidence.items() if k != "reason"},
                                equality="the two sides agree to the working precision")
    return out


def exceeds(lhs: Any, rhs: Any, dps: int) -> bool:
    """``lhs > rhs`` by more than the noise of ``dps`` digits (a confirmed violation)."""
    return float(lhs - rhs) > 10.0 ** (-(dps - 10)) * max(abs(float(lhs)), abs(float(rhs)), 1.0)


def search_outcome(result: Any) -> Outcome:
    ev = {"examples": result.examples, "seed": result.seed, "best": result.best[:3],
          "unconfirmed_violations": result.dropped}
    if result.violations:
        return Outcome.refuted(witness=result.violations[0], **ev)
    return Outcome.verified(**ev)


def small_models(count: int, max_m: int = 2) -> st.SearchStrategy[Any]:
    from checks.search.sec4 import models_strategy

    return models_strategy(count=count, max_m=max_m)


def models_of(x: Sequence[np.ndarray], count: int) -> list[Model]:
    w = x[-1]
    return [Model(x[2 * i], x[2 * i + 1], w) for i in range(count)]
