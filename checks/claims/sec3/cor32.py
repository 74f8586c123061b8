"""Corollary 3.2 (claim ``cor3.2-nll``): both models of Theorem 3.1 reach near-maximal likelihood.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from checks.claims.sec3.common import Bound, EPSILONS, check_residuals, default_grid, kl_pair, rho_at
from checks.evidence import certified_leq
from checks.registry import Context, Outcome, claim, general_given, instances
from theory.counterexample import (
    KLConstruction,
    nll_bound,
    paper_random,
    true_class_nll,
)
from theory.derivations import kl as dkl
from theory.precision import Ball

__all__ = [
    "check_nll",
    "check_nll_symbolic",
]


def check_nll(c: KLConstruction, epsilons: tuple[str, ...], P: Ball, bound: Bound = nll_bound,
              rho_of: Callable[[KLConstruction, str, Ball], Any] = rho_at,
              classes: np.ndarray | None = None) -> Outcome:
    """Corollary 3.2 certified: at ``ρ(ε)`` the expected true-class NLL of each model is
    ``≤ bound(ρ) ≤ ε``; ``classes`` overrides the true classes (a false variant)."""
    cls = c.classes if classes is None else classes
    parts: dict[str, Outcome] = {}
    for eps in epsilons:
        rho = rho_of(c, eps, P)
        with P.active():
            _, _, ell, ell2 = kl_pair(c, rho, P)
            b = bound(c, rho, P)
            e = P.scalar(eps)
            parts[f"eps={eps}"] = Outcome.combine({
                "nll1 <= bound": certified_leq(true_class_nll(ell, cls, P), b, witness={"rho": rho}),
                "nll2 <= bound": certified_leq(true_class_nll(ell2, cls, P), b, witness={"rho": rho}),
                "bound <= eps": certified_leq(b, e, witness={"rho": rho}),
            })
            parts[f"eps={eps}"].evidence["rho"] = rho
    return Outcome.combine(parts)


COR32 = claim(
    "cor3.2-nll",
    "Both models reach near-maximal likelihood while staying dissimilar: the expected negative "
    "log-likelihood of the true class is at most (K−1)e^{−ρΔ} → 0 for each model.",
    r"\mathbb E_x[-\log p(y(x)|x)] \le (K-1)e^{-\rho\Delta} \xrightarrow{\rho\to\infty} 0",
    "Corollary 3.2", "paper", depends_on=("thm3.1-kl-bound", "thm3.1-small-kl-dissimilar"),
)


def check_nll_symbolic(lim: dict[str, sp.Expr] | None = None) -> Outcome:
    """Both bounds tend to 0 as ``ρ → ∞`` (symbolic K, Δ) and ``(S − log(1+S))' = S/(1+S)``;
    ``lim`` overrides :func:`theory.derivations.kl.limits_to_zero` (a false variant)."""
    lim = dkl.limits_to_zero() if lim is None else lim
    return check_residuals({"lim NLL bound": lim["nll_bound"], "lim KL bound": lim["kl_bound"],
                            "d/dS[S - log(1+S)] - S/(1+S)": lim["nll_le_tail_gap"]})


@COR32.method("symbolic")
def _(ctx: Context) -> Outcome:
    return check_nll_symbolic().with_scope(general_given(
        "the per-input bound −log p(y(x)|x) = log(1 + S) ≤ S ≤ (K−1)e^{−ρΔ} and its average over inputs "
        "(kernel-checked by the formal method)"))


@COR32.method("certified")
def _(ctx: Context) -> Outcome:
    parts = {"grid": check_nll(default_grid(), EPSILONS, Ball(ctx.dps))}
    if ctx.deep:
        parts["paper random"] = check_nll(paper_random(ctx.seed), EPSILONS, Ball(ctx.dps))
    return Outcome.combine(parts).with_scope(instances("grid, eps = " + ", ".join(EPSILONS)))
