"""Shared material of the Section 3 claims: the KL pair of a construction, enclosures of the
similarity measures, residual checks of the symbolic certificates, and the default constructions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from checks.evidence import ball_str, certified_leq, precision_agreement
from checks.registry import Context, Outcome
from theory.compare import compare
from theory.counterexample import (
    KLConstruction,
    grid,
    margin,
    paper_random,
    rho_star,
)
from theory.distances import (
    cross_covariance,
    d_kl,
)
from theory.errors import ClosenessError
from theory.model import log_probs
from theory.precision import Arithmetic, Ball

__all__ = [
    "EPSILONS",
    "kl_pair",
    "svd_upper",
    "leq_via_upper",
    "cca_upper",
    "check_residuals",
    "check_uncorrelated_numeric",
]


#: The ε of the certified checks: float64 can show the first, not the last.
EPSILONS = ("1e-3", "1e-10", "1e-100")
GRID_PER_CLASS = 4
Bound = Callable[[KLConstruction, Any, Arithmetic], Any]


# --------------------------------------------------------------------------------------------
# evaluation helpers
# --------------------------------------------------------------------------------------------
def kl_pair(c: KLConstruction, rho: Any, P: Arithmetic) -> tuple[Any, Any, np.ndarray, np.ndarray]:
    """``d_KL(p‖p')``, ``d_KL(p'‖p)`` and both log-probability matrices at length ``ρ``, evaluated in
    ``P.bulk`` (at mpmath precision: flint ``arb`` at the same working precision; the divergences
    are returned as ``P``'s numbers, the matrices as ``P.bulk`` holds them)."""
    B = P.bulk
    with B.active():
        a, b = c.models(rho, B)
        ell, ell2 = log_probs(a, B), log_probs(b, B)
        ab, ba = d_kl(ell, ell2, B), d_kl(ell2, ell, B)
    return P.scalar(ab), P.scalar(ba), ell, ell2


def svd_upper(u: np.ndarray, v: np.ndarray, P: Arithmetic) -> Any:
    """``m_SVD(u, v) ≤ ‖C‖_F/√M`` (Cauchy–Schwarz on the singular values of ``C = Cov(ũ, ṽ)``):
    an enclosure that stays finite where the eigenvalue enclosure of a near-zero ``C`` fails."""
    with P.active():
        cc = cross_covariance(u, v, P)
        return P.sqrt(np.array([(cc * cc).sum()], dtype=object))[0] / P.sqrt(
            np.array([P.scalar(u.shape[1])], dtype=object))[0]


def cca_upper(x: np.ndarray, y: np.ndarray, P: Arithmetic) -> Any:
    """``m_CCA ≤ ‖R‖_F/√M`` with ``‖R‖_F² = tr(Σ̃_xx⁻¹ Σ̃_xy Σ̃_yy⁻¹ Σ̃_yx)`` on standardised data
    (canonical correlations are the singular values of ``R``, invariant to the standardisation)."""
    with P.active():
        sxy = cross_covariance(x, y, P)
        a = P.solve(cross_covariance(x, x, P), sxy)
        b = P.solve(cross_covariance(y, y, P), sxy.T)
        tr = sum(((a @ b)[i, i] for i in range(x.shape[1])), P.scalar(0))
        return P.sqrt(np.array([tr], dtype=object))[0] / P.sqrt(np.array([P.scalar(x.shape[1])], dtype=object))[0]


def is_finite(x: Any) -> bool:
    """A finite number, or a ball with finite midpoint and radius."""
    if hasattr(x, "mid"):
        return math.isfinite(float(x.mid())) and math.isfinite(float(x.rad()))
    return math.isfinite(float(x))


def leq_via_upper(upper: Any, exact: Callable[[], Any], rhs: Any) -> Outcome:
    """``x ≤ rhs`` from a certified upper bound ``upper ≥ x``: the bound can prove it; when it does
    not, the exact enclosure ``exact()`` decides (it can refute); if that enclosure is not finite
    either, undecided.  A failed bound alone never refutes."""
    by_bound = certified_leq(upper, rhs)
    if by_bound.verdict == "verified":
        by_bound.evidence["via"] = "Cauchy-Schwarz bound"
        return by_bound
    try:
        value = exact()
    except ClosenessError:  # theory refuses a non-finite enclosure
        value = None
    if value is not None and is_finite(value):
        out = certified_leq(value, rhs, witness={"value": ball_str(value)})
        out.evidence["via"] = "exact enclosure"
        return out
    return Outcome.undecided("the bound does not decide and the exact enclosure is not finite", **by_bound.evidence)


def rho_at(c: KLConstruction, eps: str, P: Ball) -> int:
    """An integer ``ρ ≥ ρ*(ε)`` (the Lambert-W root, enclosed in a ball, rounded up)."""
    with P.active():
        r = rho_star(P.scalar(eps), c.K, margin(c, P), c.r_max, P)
        return math.floor(float(r.upper())) + 1


# --------------------------------------------------------------------------------------------
# checkers
# --------------------------------------------------------------------------------------------
def check_residuals(residuals: dict[str, Any], numeric: dict[str, float] | None = None, tol: float = 1e-12) -> Outcome:
    """Symbolic residuals (sympy expressions, matrices, polynomials) must be exactly zero, and the
    numeric cross-checks of the same identities below ``tol``; a nonzero one refutes."""
    shown, bad = {}, {}
    for name, r in residuals.items():
        if isinstance(r, sp.Poly):
            zero = r.is_zero
        elif isinstance(r, sp.MatrixBase):
            zero = r.is_zero_matrix
        else:
            zero = sp.simplify(r) == 0
        shown[name] = str(r)[:80]
        if not zero:
            bad[name] = str(r)[:200]
    for name, v in (numeric or {}).items():
        shown[f"numeric:{name}"] = f"{v:.3g}"
        if not abs(v) <= tol:
            bad[f"numeric:{name}"] = f"{v:.6g}"
    if bad:
        return Outcome.refuted(witness=bad, residuals=shown)
    return Outcome.verified(residuals=shown, numeric_tolerance=tol)


def _random_point(expr: sp.Expr, rng: np.random.Generator) -> dict[sp.Symbol, sp.Rational]:
    """Random exact values for the free symbols of ``expr`` respecting their sign assumptions."""
    pt = {}
    for s in sorted(expr.free_symbols, key=str):
        v = float(rng.normal()) * 2
        pt[s] = sp.Rational(abs(v) + 0.1 if (s.is_positive or s.is_nonnegative) else v)
    return pt


def numeric_residuals(raw: dict[str, sp.Expr], seed: int, dps: int = 30) -> dict[str, float]:
    """Each raw (unsimplified) residual evaluated at a seeded random point to ``dps`` digits: the
    numeric cross-check of a symbolic identity."""
    rng = np.random.default_rng(seed)
    return {name: float(abs(sp.N(sp.sympify(e).subs(_random_point(sp.sympify(e), rng)), dps)))
            for name, e in raw.items()}


def _split(residuals: dict[str, tuple[sp.Expr, sp.Expr]], seed: int) -> Outcome:
    """``(raw, reduced)`` residuals: reduced exactly 0, raw below ``1e-20`` at a random point."""
    return check_residuals({k: v[1] for k, v in residuals.items()},
                           numeric_residuals({k: v[0] for k, v in residuals.items()}, seed), tol=1e-20)


def check_certificates(steps: dict[str, dict[str, Any]], seed: int = 0) -> Outcome:
    """Inequality steps as identities plus nonnegativity certificates: every residual reduces to
    exactly 0 (and its raw form is numerically 0 at a random point), and sympy proves every certificate ``≥ 0`` from the
    symbols' assumptions (a certificate it cannot prove refutes: the step is not established)."""
    parts: dict[str, Outcome] = {}
    for name, step in steps.items():
        sub = {"residuals": _split(step["residuals"], seed)}
        for cname, cert in step["certificates"].items():
            ok = sp.sympify(cert).is_nonnegative
            sub[f"{cname} >= 0"] = (Outcome.verified(proved_by="sympy assumptions") if ok is True
                                    else Outcome.refuted(witness={"certificate": str(cert)[:120],
                                                                  "is_nonnegative": ok}))
        parts[name] = Outcome.combine(sub)
    return Outcome.combine(parts)


def summary_of(parts: dict[Any, Outcome]) -> Outcome:
    """Many sub-checks as one short outcome: the count, and the first failing one if any."""
    for verdict in ("refuted", "undecided"):
        bad = [(k, o) for k, o in parts.items() if o.verdict == verdict]
        if bad:
            k, o = bad[0]
            return Outcome(verdict, {"checked": len(parts), "first": str(k), **o.evidence})
    return Outcome.verified(checked=len(parts), example=next(iter(parts.values())).evidence.get("lhs"))


def check_uncorrelated_numeric(c: KLConstruction, ctx: Context, cca_max: float = 0.05, fg_min: float = 0.95,
                               rho: int = 5) -> Outcome:
    """The random version: ``m_CCA(f, f') ≤ cca_max`` and ``d_{f,g} ≥ fg_min`` with the paper's
    selection of sets, at ``ctx.dps`` and re-checked at ``ctx.check_dps``."""
    a, b = c.models(rho)
    vals = {}
    for dps in (ctx.dps, ctx.check_dps):
        r = compare(a, b, select="paper", samples=100, seed=ctx.seed, dps=dps)
        vals[dps] = (r.values["m_cca"], r.values["fg"].value)
    checked = [precision_agreement(vals[ctx.dps][i], vals[ctx.check_dps][i], ctx.dps, 10) for i in range(2)]
    agreed = min(a for a, _ in checked)
    ev = {"m_cca": str(vals[ctx.dps][0])[:20], "d_fg": str(vals[ctx.dps][1])[:20], "digits_agreed": agreed,
          "construction": c.name, "dps": ctx.dps}
    problems = [p for _, p in checked if p is not None]
    if problems:
        return Outcome.undecided(problems[0], **ev)
    ok = vals[ctx.dps][0] <= cca_max and vals[ctx.dps][1] >= fg_min
    return Outcome.verified(**ev) if ok else Outcome.refuted(witness={"m_cca": ev["m_cca"], "d_fg": ev["d_fg"]}, **ev)


# --------------------------------------------------------------------------------------------
# the constructions the claims run on
# --------------------------------------------------------------------------------------------
def default_grid() -> KLConstruction:
    """The deterministic grid construction (``GRID_PER_CLASS`` inputs per class)."""
    return grid(GRID_PER_CLASS)


def default_random(ctx: Context, deep_m: int = 500, m: int = 20) -> KLConstruction:
    """The paper's seeded random draw: ``m`` inputs per class (``deep_m`` with ``--deep``)."""
    return paper_random(ctx.seed, per_class=deep_m if ctx.deep else m)
