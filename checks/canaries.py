"""Canaries: is the arithmetic the verdicts rest on what it claims to be?

Run before every ``closeness verify``.  Each canary evaluates ``e = exp(1)`` through the very
arithmetic objects the claims use (:class:`~theory.precision.MP`, :class:`~theory.precision.Ball`)
and compares it with an exact rational enclosure of ``e`` computed here in integer arithmetic
(``Σ_{k≤m} 1/k!`` and its tail bound), independent of mpmath and of flint:

* ``mpmath digits``: ``MP(dps)`` and ``MP(2·dps)`` results really carry ``dps`` and ``2·dps``
  correct digits (a path silently at float64 carries 16);
* ``mpmath bulk digits``: the same for ``MP(d).bulk``, the flint arithmetic in which mpmath-precision
  formulas over many entries run (its midpoints must carry the digits of the mpmath context);
* ``ball enclosure``: a ``Ball(dps)`` result for ``e`` has a positive radius and contains ``e``
  (a ball that lost its radius, or is off centre, certifies nothing);
* ``mpmath to ball``: a negative mpmath number converted to a ball keeps its value and sign
  (the certified checks take many of their inputs from mpmath).

A failed canary is a *broken arithmetic*: the runner then gives no numeric, certified or search
verdict at all (they are reported as ``error``), never a refutation of the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from theory.precision import MP, Ball

__all__ = ["Canary", "run_canaries", "ARITHMETIC_METHODS"]

#: The methods whose verdicts rest on the arithmetic the canaries test.
ARITHMETIC_METHODS = ("numeric", "certified", "search")


@dataclass(frozen=True)
class Canary:
    """One canary's result: its name, whether it passed, and what was seen."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def e_enclosure(digits: int) -> tuple[Fraction, Fraction]:
    """Exact rationals ``lo < e < hi`` with ``hi − lo < 10^{-digits}``: the partial sum of
    ``Σ 1/k!`` up to ``m`` and that sum plus ``1/(m·m!)``, a bound of the tail."""
    numerator, factorial, m = 1, 1, 0  # numerator / factorial = Σ_{k≤m} 1/k!
    bound = 10 ** (digits + 1)
    while m * factorial <= bound:
        m += 1
        factorial *= m
        numerator = numerator * m + 1
    lo = Fraction(numerator, factorial)
    return lo, lo + Fraction(1, m * factorial)


def _dyadic(man: object, exp: object) -> Fraction:
    """``man · 2^exp`` exactly."""
    return Fraction(int(man)) * Fraction(2) ** int(exp)  # type: ignore[call-overload]


def _exact(value: object) -> Fraction:
    """An mpmath number as the exact rational it stores."""
    sign, man, exp, _ = value._mpf_  # type: ignore[attr-defined]
    return -_dyadic(man, exp) if sign else _dyadic(man, exp)


def mp_digits(dps: int, bulk: bool = False) -> Canary:
    """``MP(d).exp(1)`` (with ``bulk``: in ``MP(d).bulk``, reported back through ``MP(d).scalar``)
    agrees with ``e`` to about ``d`` digits, for ``d = dps`` and ``2·dps``."""
    name, seen = ("mpmath bulk digits" if bulk else "mpmath digits"), []
    for d in (dps, 2 * dps):
        lo, hi = e_enclosure(d + 5)
        mp = MP(d)
        arith = mp.bulk if bulk else mp
        with arith.active():
            value = mp.scalar(arith.exp(arith.array(np.array([1])))[0])
        err = max(abs(_exact(value) - lo), abs(_exact(value) - hi))
        ok = err <= Fraction(1, 10 ** (d - 2))
        seen.append(f"MP({d}){'.bulk' if bulk else ''}: error {float(err):.1e}")
        if not ok:
            return Canary(name, False, f"MP({d}){'.bulk' if bulk else ''} gives e with error {float(err):.1e}, "
                                       f"not the ~1e-{d} its precision promises")
    return Canary(name, True, "; ".join(seen))


def ball_enclosure(dps: int) -> Canary:
    """``Ball(dps).exp(1)`` has a positive radius and contains ``e``."""
    arith = Ball(dps)
    lo, hi = e_enclosure(dps + 10)
    with arith.active():
        ball = arith.exp(arith.array(np.array([1])))[0]
        mid = _dyadic(*ball.mid().man_exp())
        rad = _dyadic(*ball.rad().mid().man_exp())
    if rad <= 0:
        return Canary("ball enclosure", False, "the ball for e has radius 0: it certifies nothing")
    if not (mid - rad <= lo and hi <= mid + rad):
        return Canary("ball enclosure", False, f"the ball {ball.str(20, radius=True)} does not contain e")
    return Canary("ball enclosure", True, f"e in [{float(mid)!r} ± {float(rad):.1e}], radius > 0")


def mpmath_to_ball(dps: int) -> Canary:
    """``Ball(dps).scalar`` of the mpmath number ``−1.5`` contains ``−1.5`` and not ``1.5``."""
    arith = Ball(dps)
    with arith.active():
        ball = arith.scalar(MP(dps).scalar("-1.5"))
        ok = bool(ball.contains(arith.flint.arb(-1.5))) and not ball.contains(arith.flint.arb(1.5))
    shown = ball.str(10, radius=True)
    return Canary("mpmath to ball", ok, f"-1.5 became {shown}" if not ok else f"-1.5 → {shown}")


def run_canaries(dps: int) -> list[Canary]:
    """Every canary at the run's working precision."""
    return [mp_digits(dps), mp_digits(dps, bulk=True), ball_enclosure(dps), mpmath_to_ball(dps)]
