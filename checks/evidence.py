"""Turning computed numbers into honest verdicts.

* numeric (mpmath): every quantity is computed at the working precision and again at a higher
  one; the verdict needs the two to agree to the requested digits, and records both.  The
  agreement is reported as measured (never capped at the working precision); results that are
  *identical* at the two precisions mean the higher precision had no effect (a broken or
  float64-bound arithmetic), so they are undecided, never verified.
* certified (arb balls): ``lhs ≤ rhs`` is verified only when the enclosure of ``rhs − lhs`` lies
  in ``[0, ∞)``, refuted only when it lies in ``(−∞, 0)``; an overlap is undecided.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from checks.registry import Context, Outcome
from theory.precision import MP, Arithmetic, Ball

__all__ = [
    "digits_agreed",
    "numeric_zero",
    "precision_agreement",
    "numeric_leq",
    "certified_leq",
    "certified_zero",
    "ball_str",
]


def digits_agreed(x: Any, y: Any) -> float:
    """Decimal digits to which ``x`` and ``y`` agree (relative to ``|y|``, absolute below 1)."""
    diff = abs(MP(60).scalar(x) - MP(60).scalar(y))
    if diff == 0:
        return math.inf
    scale = max(abs(float(y)), 1.0)
    return float(-MP(60).ctx.log10(diff / scale))


def _as_list(v: Any) -> list[Any]:
    return list(np.asarray(v, dtype=object).ravel())


#: Why results that are bit-identical at two precisions support no verdict.
NO_EFFECT = "the higher precision had no effect (broken or float64-bound arithmetic)"


def precision_agreement(lo: Any, hi: Any, dps: int, digits: int) -> tuple[float, str | None]:
    """Digits to which the value at ``dps`` and its re-computation at a higher precision agree,
    and why that agreement cannot support a verdict (``None`` when it can).

    Bit-identical values mean the higher precision had no effect: the arithmetic did not carry
    the digits it claims (a float64-bound path), so nothing can be concluded from the agreement.
    """
    agreed = digits_agreed(lo, hi)
    if MP(60).scalar(lo) == MP(60).scalar(hi) and lo != 0:
        return agreed, f"identical at {dps} digits and at the re-check precision: {NO_EFFECT}"
    if agreed < digits:
        return agreed, f"precisions agree to {agreed:.1f} < {digits} digits"
    return agreed, None


def numeric_zero(
    fn: Callable[[Arithmetic], Any], ctx: Context, guard: int = 10, digits: int | None = None
) -> Outcome:
    """Verified when every residual returned by ``fn(P)`` is below ``10^{-(dps-guard)}`` both at
    ``ctx.dps`` and at ``ctx.check_dps``; refuted when some residual is large at both (and not
    bit-identical at both, which would mean the higher precision had no effect).  With ``digits``,
    a refutation (a residual, or a value, that is not zero) also needs the largest residual to agree
    between the two precisions to ``digits`` digits (:func:`precision_agreement`)."""
    lo, hi = MP(ctx.dps), MP(ctx.check_dps)
    r_lo, r_hi = _as_list(fn(lo)), _as_list(fn(hi))
    worst_lo = max(abs(lo.scalar(v)) for v in r_lo)
    worst_hi = max(abs(hi.scalar(v)) for v in r_hi)
    tol_lo = lo.ctx.mpf(10) ** (-(ctx.dps - guard))
    tol_hi = hi.ctx.mpf(10) ** (-(ctx.check_dps - guard))
    evidence = {
        "dps": ctx.dps,
        "check_dps": ctx.check_dps,
        "max_residual": lo.ctx.nstr(worst_lo, 5),
        "max_residual_check": hi.ctx.nstr(worst_hi, 5),
        "tolerance": f"1e-{ctx.dps - guard}",
    }
    if worst_lo <= tol_lo and worst_hi <= tol_hi:
        return Outcome.verified(**evidence)
    if worst_lo > tol_lo and worst_hi > tol_lo:
        if worst_lo == worst_hi:
            return Outcome.undecided(f"the residual is bit-identical at both precisions: {NO_EFFECT}", **evidence)
        if digits is not None:
            agreed, problem = precision_agreement(worst_lo, worst_hi, ctx.dps, digits)
            evidence["digits_agreed"] = agreed
            if problem is not None:
                return Outcome.undecided(problem, **evidence)
        return Outcome.refuted(witness={"residual": lo.ctx.nstr(worst_hi, 10)}, **evidence)
    return Outcome.undecided("residual small at one precision only", **evidence)


def numeric_leq(
    fn: Callable[[Arithmetic], tuple[Any, Any]],
    ctx: Context,
    digits: int = 10,
    witness: Any = None,
    guard: int = 10,
) -> Outcome:
    """``lhs ≤ rhs`` with ``(lhs, rhs) = fn(P)``, at ``ctx.dps`` and re-checked at ``ctx.check_dps``.

    Verified when the margin ``rhs − lhs`` is positive, larger than the working precision's
    noise (``10^{-(dps-guard)}`` relative to ``|lhs|, |rhs|, 1``) and agrees between the two
    precisions to ``digits`` digits without being bit-identical (:func:`precision_agreement`);
    refuted likewise when negative; undecided otherwise.
    """
    lo, hi = MP(ctx.dps), MP(ctx.check_dps)
    l1, r1 = (lo.scalar(v) for v in fn(lo))
    l2, r2 = (hi.scalar(v) for v in fn(hi))
    m1, m2 = r1 - l1, r2 - l2
    agreed, problem = precision_agreement(m1, m2, ctx.dps, digits)
    evidence = {
        "dps": ctx.dps,
        "check_dps": ctx.check_dps,
        "lhs": lo.ctx.nstr(l1, 17),
        "rhs": lo.ctx.nstr(r1, 17),
        "margin": lo.ctx.nstr(m1, 17),
        "digits_agreed": agreed,
    }
    if problem is not None:
        return Outcome.undecided(problem, **evidence)
    noise = lo.ctx.mpf(10) ** (-(ctx.dps - guard)) * max(abs(l1), abs(r1), 1)
    if abs(m1) <= noise:
        return Outcome.undecided("the margin is below the working precision's noise", **evidence)
    if m1 > 0:
        return Outcome.verified(**evidence)
    return Outcome.refuted(witness=witness if witness is not None else evidence["lhs"], **evidence)


def ball_str(x: Any, digits: int = 20) -> str:
    """An ``arb`` enclosure as a short ``[mid +/- rad]`` string."""
    return x.str(digits, radius=True)


def certified_leq(lhs: Any, rhs: Any, witness: Any = None, strict: bool = False) -> Outcome:
    """``lhs ≤ rhs`` (``<`` with ``strict``) for arb balls: decided only without overlap."""
    margin = rhs - lhs
    evidence = {"lhs": ball_str(lhs), "rhs": ball_str(rhs), "margin": ball_str(margin)}
    lower, upper = margin.lower(), margin.upper()
    if lower > 0 or (not strict and lower >= 0):
        return Outcome.verified(**evidence)
    if upper < 0 or (strict and upper <= 0):
        return Outcome.refuted(witness=witness if witness is not None else evidence["lhs"], **evidence)
    return Outcome.undecided("the enclosures overlap: neither proved nor refuted at this precision", **evidence)


def certified_zero(values: Any, witness: Any = None) -> Outcome:
    """Every ball in ``values`` is exactly zero (an exact computation): verified; a ball that
    excludes zero refutes; a ball that contains zero but is not exact is undecided."""
    vals = _as_list(values)
    shown = [ball_str(v) for v in vals[:8]]
    if all(v.is_zero() for v in vals):
        return Outcome.verified(values=shown, exact=True)
    nonzero = [v for v in vals if not v.contains(0)]
    if nonzero:
        return Outcome.refuted(witness=witness if witness is not None else ball_str(nonzero[0]), values=shown)
    return Outcome.undecided("enclosures contain 0 but are not exact", values=shown)


def ball(dps: int) -> Ball:
    """Ball arithmetic at ``dps`` digits (a convenience for the section modules)."""
    return Ball(dps)
