"""Shared material of the Section 4 claims: methods with a stated scope, the test pairs, the
checkers of the bound ``d_{f,g} ≤ 2Mε`` (and ``2ε²``) on pairs, and search runs as verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from checks.evidence import certified_leq, numeric_leq, numeric_zero
from checks.registry import Context, Outcome
from checks.registry import scoped_method as scoped_method  # re-exported for the claim modules
from theory.derivations import bound as dbound
from theory.errors import ClosenessError
from theory.families import (
    FIGURE_LABEL_COUNTS,
    LAMBDA,
    BoundSides,
    Pair,
    bound_figure_family,
    equivalent_pair,
    evaluate_bound,
    near_tight_pair,
    random_diverse_pair,
)
from theory.model import Model
from theory.precision import FLOAT64, Arithmetic, Ball

__all__ = [
    "random_pairs",
    "near_tight_pairs",
    "weighted_pairs",
    "figure_pairs",
    "bound_rhs",
    "check_bound",
    "check_bound_certified",
    "check_zero_sides",
    "check_sides_sharp",
]


def dims_text(values: Sequence[Any]) -> str:
    """``1, 2, 3`` from a sequence of sizes (for an ``instances(...)`` scope)."""
    return ", ".join(str(v) for v in values)


# --------------------------------------------------------------------------------------------
# test material
# --------------------------------------------------------------------------------------------
def random_pairs(seed: int, count: int = 18) -> list[Pair]:
    """Diverse random pairs over ``M ∈ {1,2,3}``, ``K ∈ {M+1, M+3}`` and three closeness levels."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        m = 1 + i % 3
        k = m + 1 + 2 * ((i // 3) % 2)
        out.append(random_diverse_pair(rng, n=12, K=k, M=m, closeness=(0.05, 0.3, 1.0)[(i // 6) % 3]))
    return out


def weighted_pairs(seed: int, count: int = 3) -> list[Pair]:
    """Random pairs (``M = 1, 2, 3``) with non-uniform input weights ``p_D`` (integers 1..5, shared by
    both models): the bound is claimed for every ``p_D``, and moments over x are then weighted."""
    rng = np.random.default_rng(seed + 31)
    out = []
    for i in range(count):
        p = random_diverse_pair(rng, n=10, K=i + 3, M=1 + i % 3, closeness=(0.1, 0.4, 1.0)[i % 3])
        w = rng.integers(1, 6, p.a.n).astype(float)
        out.append(Pair(Model(p.a.f, p.a.g, w), Model(p.b.f, p.b.g, w), p.sets, f"{p.note}, weighted p_D"))
    return out


def near_tight_pairs() -> list[Pair]:
    """Sign-flip pairs just off equality (ratio to ``2ε²`` about 0.9998 and 0.998)."""
    return [near_tight_pair(1e-3), near_tight_pair(-1e-2)]


def figure_pairs(ctx: Context) -> list[Pair]:
    n = 500 if ctx.deep else 100
    return [p for k in FIGURE_LABEL_COUNTS for t, p in bound_figure_family(k, 8, n, ctx.seed) if t > 0]


def bound_rhs(sides: BoundSides, form: str, constant: Any, P: Arithmetic) -> Any:
    """``constant·M·ε`` (``form="2Meps"``, the paper's with constant 2) or ``constant·ε²``."""
    c = P.scalar(str(constant))
    if form == "2Meps":
        return c * P.scalar(sides.M) * sides.eps
    if form == "2eps2":
        return c * sides.eps * sides.eps
    raise ClosenessError(f"unknown bound form {form!r}")


# --------------------------------------------------------------------------------------------
# checkers of the bound
# --------------------------------------------------------------------------------------------
def _screen(pairs: Sequence[Pair], form: str, constant: Any, mode: str) -> list[tuple[float, Pair]]:
    """Float64 ratios ``d_{f,g} / bound``, largest first (pairs with ``ε = 0`` are skipped)."""
    out = []
    for p in pairs:
        s = evaluate_bound(p, FLOAT64, LAMBDA, mode)
        rhs = float(bound_rhs(s, form, constant, FLOAT64))
        if rhs > 1e-12:
            out.append((float(s.d_fg) / rhs, p))
    out.sort(key=lambda t: -t[0])
    return out


def check_bound(pairs: Sequence[Pair], ctx: Context, form: str = "2Meps", constant: Any = 2,
                mode: str = "max") -> Outcome:
    """``d_{f,g} ≤ bound`` on every pair: float64 screen, then the pair nearest the line is
    re-checked in mpmath at ``ctx.dps`` and ``ctx.check_dps`` (and any float violation too)."""
    ranked = _screen(pairs, form, constant, mode)
    if not ranked:
        return Outcome.undecided("no pair with a positive bound")
    ratio, worst = ranked[0]

    def fn(P: Arithmetic) -> tuple[Any, Any]:
        s = evaluate_bound(worst, P, LAMBDA, mode)
        return s.d_fg, bound_rhs(s, form, constant, P)

    out = numeric_leq(fn, ctx, witness={"pair": worst.note, "float_ratio": ratio})
    out.evidence.update({"pairs": len(ranked), "max_float_ratio": ratio, "closest_pair": worst.note,
                         "form": form, "constant": str(constant), "mode": mode, "lambda": LAMBDA})
    return out


def check_bound_certified(pairs: Sequence[Pair], dps: int, form: str = "2Meps", constant: Any = 2,
                          top: int = 3, always: Sequence[Pair] = ()) -> Outcome:
    """Ball enclosures of both sides for the ``top`` pairs nearest the line (float64 ranking) and for
    every pair of ``always`` (e.g. a weighted ``p_D``)."""
    ranked = _screen(pairs, form, constant, "max")[:top]
    ranked += [r for r in _screen(always, form, constant, "max") if all(r[1] is not q for _, q in ranked)]
    parts = {}
    P = Ball(dps)
    for i, (ratio, p) in enumerate(ranked):
        with P.active():
            s = evaluate_bound(p, P)
            parts[f"{i}:{p.note}"] = certified_leq(s.d_fg, bound_rhs(s, form, constant, P),
                                                    witness={"pair": p.note, "float_ratio": ratio})
    out = Outcome.combine(parts)
    out.evidence["dps"] = dps
    return out


def check_zero_sides(ctx: Context, count: int = 3) -> Outcome:
    """``~_L``-equivalent pairs (built at the working precision): ``ε = 0`` and ``d_{f,g} = 0``."""
    def fn(P: Arithmetic) -> list[Any]:
        vals = []
        for i, (k, m) in enumerate(((3, 1), (4, 2), (5, 3))[:count]):
            rng = np.random.default_rng(ctx.seed + 100 + i)
            s = evaluate_bound(equivalent_pair(rng, 10, k, m, P), P)
            vals += [s.eps, s.d_fg]
        return vals

    return numeric_zero(fn, ctx)


def check_sides_sharp(pairs: Sequence[Pair], ctx: Context, constant: Any = 2) -> Outcome:
    """Each side separately: every f-side ``d_SVD`` for labels ``{y_1..y_M}`` is at most
    ``constant·(max_{y_i} max(a_{y_i}, b_{y_i}))²`` and the g side at most ``constant·T2²``."""
    def gaps(p: Pair, P: Arithmetic) -> list[tuple[Any, Any]]:
        s = evaluate_bound(p, P)
        t = s.terms
        idx = {y: j for j, y in enumerate(p.sets.labels)}
        out = []
        c = P.scalar(str(constant))
        for subset, d in s.fg.f_side:
            e = P.max(np.array([v for y in subset for v in (t.a[idx[y]], t.b[idx[y]])], dtype=object))
            out.append((d, c * e * e))
        out.append((s.fg.g_side, c * t.T2 * t.T2))
        return out

    ranked = []
    for p in pairs:
        for j, (lhs, rhs) in enumerate(gaps(p, FLOAT64)):
            ranked.append((float(lhs) / max(float(rhs), 1e-300), j, p))
    ranked.sort(key=lambda t: -t[0])
    ratio, j, worst = ranked[0]
    out = numeric_leq(lambda P: gaps(worst, P)[j], ctx, witness={"pair": worst.note, "side": j})
    out.evidence.update({"sides_checked": len(ranked), "max_float_ratio": ratio, "closest": worst.note,
                         "constant": str(constant)})
    return out


def certificates(parts: dict[str, dbound.Certificate]) -> Outcome:
    """Symbolic certificates as one outcome: verified iff every step holds."""
    evidence = {k: c.as_dict() for k, c in parts.items()}
    if all(c.holds for c in parts.values()):
        return Outcome.verified(steps=evidence)
    bad = {k: v for k, v in evidence.items() if not v["holds"]}
    return Outcome.refuted(witness=bad, steps=evidence)


def search_verdict(result: Any, expect_violation: bool) -> Outcome:
    """A search run as a verdict: a confirmed violation refutes (or verifies, when expected)."""
    ev = {"examples": result.examples, "seed": result.seed,
          "best_ratio": result.best[0]["ratio"] if result.best else None,
          "unconfirmed_violations": result.dropped, **{k: v for k, v in result.extra.items() if k != "statement"}}
    if result.violations:
        v = result.violations[0]
        witness = {k: v[k] for k in v if k in ("ratio", "ratio_decimal", "pair", "triple", "sets", "dps")}
        return Outcome.verified(witness=witness, **ev) if expect_violation else Outcome.refuted(witness, **ev)
    if expect_violation:
        return Outcome.undecided("the search found no confirmed violation", **ev)
    return Outcome.verified(**ev)
