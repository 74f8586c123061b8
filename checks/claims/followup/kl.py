"""KL bounds ``d_logit`` only with probabilities bounded below by τ (claims ``followup-kl-tau``,
``followup-kl-tau-sharp``): ``d²_logit ≤ d_KL/τ²`` (the follow-up's route, its constant derived) and
the sharper ``d²_logit ≤ d_KL·log²τ/(τ(1 − τ + τ log τ))``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from checks.claims.followup.common import (
    FU,
    exceeds,
    leq_or_equal,
    models_of,
    scoped_method,
    search_outcome,
    small_models,
    symbolic_zeros,
)
from checks.registry import Context, Outcome, claim, general_given, instances
from theory.derivations import logit as dlogit
from theory.distances import d_kl
from theory.logit import d_logit_sq
from theory.model import Model, log_probs
from theory.precision import FLOAT64, MP, Arithmetic

__all__ = [
    "TAU", "TAU_SHARP", "lipschitz_constant", "sharp_constant", "wrong_power", "tau_material", "tau_sides",
    "check_tau", "search_tau",
]


TAU = claim(
    "followup-kl-tau",
    "If every probability of both models is at least τ, d²_logit ≤ d_KL/τ² (log is 1/τ-Lipschitz on "
    "[τ, 1], ‖v‖₂² ≤ ‖v‖₁²/2 for Σv = 0, and Pinsker), in either direction of d_KL.",
    r"p, p' \ge \tau \Rightarrow d^2_{logit} \le d_{KL}/\tau^2",
    f"{FU}: KL bounds d_logit only with probabilities bounded below", "follow-up",
)


TAU_SHARP = claim(
    "followup-kl-tau-sharp",
    "Sharper: if every probability is at least τ, d²_logit ≤ d_KL · log²τ / (τ(1 − τ + τ log τ)) "
    "(≈ log²τ/τ instead of 1/τ²), from KL(p‖p') = Σ p' φ(δ), φ(δ)/δ² = ∫₀¹ s e^{sδ} ds increasing, δ ≥ log τ.",
    r"d^2_{logit} \le \frac{\log^2\tau}{\tau(1-\tau+\tau\log\tau)}\, d_{KL}",
    f"{FU}: KL and the logit distance", "new",
)


# --------------------------------------------------------------------------------------------
# followup-kl-tau, followup-kl-tau-sharp
# --------------------------------------------------------------------------------------------
def derived_constant(name: str, tau: Any, P: Arithmetic) -> Any:
    """The constant ``name`` of :func:`theory.derivations.logit.kl_tau_constant` (the expression the
    symbolic method derives, looked up at the call) evaluated at ``τ`` in the arithmetic ``P``."""
    t = sp.Symbol("tau", positive=True)
    expr = dlogit.kl_tau_constant(t)[name]
    return sp.lambdify(t, expr, modules=[{"log": lambda x: P.log(np.array([x]))[0]}])(tau)


def lipschitz_constant(tau: Any, P: Arithmetic) -> Any:
    """``1/τ²``: the follow-up's route with its constant derived (1)."""
    return derived_constant("lipschitz", tau, P)


def sharp_constant(tau: Any, P: Arithmetic) -> Any:
    """``log²τ / (τ(1 − τ + τ log τ))``."""
    return derived_constant("sharp", tau, P)


def wrong_power(tau: Any, P: Arithmetic) -> Any:
    """A false variant: ``1/τ``."""
    return P.scalar(1) / tau


def tau_material(seed: int) -> list[tuple[Model, Model]]:
    """Near-uniform, moderate and peaked random pairs (K = 3..6)."""
    rng = np.random.default_rng(seed)
    out = []
    for scale in (0.05, 0.5, 2.0):
        for k in (3, 6):
            f, g = scale * rng.normal(size=(8, 2)), rng.normal(size=(k, 2))
            f2, g2 = f + scale * 0.5 * rng.normal(size=f.shape), g + 0.3 * rng.normal(size=g.shape)
            out.append((Model(f, g), Model(f2, g2)))
    return out


def tau_sides(a: Model, b: Model, P: Arithmetic, constant: Callable[[Any, Arithmetic], Any]) -> tuple[Any, Any]:
    """``(d²_logit, C(τ)·min(d_KL(p‖p'), d_KL(p'‖p)))`` with τ the smallest probability of both."""
    with P.active():
        la, lb = log_probs(a, P), log_probs(b, P)
        lo = np.concatenate([la.ravel(), lb.ravel()])
        tau = P.exp(np.array([lo[int(np.argmin(P.midpoint(lo)))]]))[0]
        kl = d_kl(la, lb, P)
        kl2 = d_kl(lb, la, P)
        return d_logit_sq(a, b, P), constant(tau, P) * (kl if float(kl) <= float(kl2) else kl2)


def check_tau(ctx: Context, constant: Callable[[Any, Arithmetic], Any] = lipschitz_constant,
              material: list[tuple[Model, Model]] | None = None) -> Outcome:
    """``d²_logit ≤ C(τ)·d_KL`` (the smaller direction) on every pair, at two precisions."""
    pairs = tau_material(ctx.seed) if material is None else material
    parts = {f"pair {i}": leq_or_equal(lambda P, a=a, b=b: tau_sides(a, b, P, constant), ctx, {"pair": i})
             for i, (a, b) in enumerate(pairs)}
    out = Outcome.combine(parts)
    if out.verdict == "verified":
        ratios = [float(tau_sides(a, b, FLOAT64, constant)[0] / tau_sides(a, b, FLOAT64, constant)[1])
                  for a, b in pairs]
        return Outcome.verified(pairs=len(pairs), largest_ratio=max(ratios))
    return out


def search_tau(ctx: Context, examples: int, constant: Callable[[Any, Arithmetic], Any]) -> Outcome:
    """Maximise ``d²_logit / (C(τ) d_KL)`` over small pairs."""
    from checks.search import run_search

    def score(x: Any) -> float | None:
        a, b = models_of(x, 2)
        lhs, rhs = tau_sides(a, b, FLOAT64, constant)
        return None if not float(rhs) > 1e-12 else float(lhs) / float(rhs)

    def reverify(x: Any) -> dict[str, Any] | None:
        lhs, rhs = tau_sides(*models_of(x, 2), MP(ctx.dps), constant)
        return {"d2_logit": str(lhs), "bound": str(rhs)} if exceeds(lhs, rhs, ctx.dps) else None

    return search_outcome(run_search("followup-tau", small_models(2), score, lambda x: {}, reverify,
                                     examples=examples, seed_value=ctx.seed))


def _tau_symbolic(sharp: bool) -> Outcome:
    t = sp.Symbol("tau", positive=True)
    res: dict[str, Any] = dict(dlogit.kl_tau_identities()) if sharp else {}
    c = dlogit.kl_tau_constant(t)
    # the Lipschitz route: Σδ² ≤ ‖p − p'‖₂²/τ² ≤ ‖p − p'‖₁²/(2τ²) ≤ 2KL/(2τ²)
    kl = sp.Symbol("KL", positive=True)
    res["Lipschitz route: 2KL/(2τ²) − KL·C"] = sp.simplify(2 * kl / (2 * t**2) - kl * c["lipschitz"])
    if sharp:
        res["sharp: KL/(τψ(log τ)) − KL·C"] = sp.simplify(
            kl / (t * (1 + t * (sp.log(t) - 1)) / sp.log(t) ** 2) - kl * c["sharp"])
    not_encoded = ("Pinsker's inequality and ‖v‖₂² ≤ ‖v‖₁²/2 for Σv = 0 (cited)" if not sharp else
                   "φ ≥ 0 and p' ≥ τ (so KL ≥ τ Σ φ(δ_y)); δ ≥ log τ")
    return symbolic_zeros(res, general_given(not_encoded), constant=str(c["sharp" if sharp else "lipschitz"]),
                          not_encoded=not_encoded)


TAU.method("symbolic")(lambda ctx: _tau_symbolic(False))
scoped_method(TAU, "numeric", instances("6 random pairs, near-uniform to peaked, K = 3, 6"))(check_tau)
scoped_method(TAU, "search", instances("hypothesis search, M ≤ 2, weighted inputs"))(
    lambda ctx: search_tau(ctx, ctx.examples(20, 300), lipschitz_constant))
TAU_SHARP.method("symbolic")(lambda ctx: _tau_symbolic(True))
scoped_method(TAU_SHARP, "numeric", instances("6 random pairs, near-uniform to peaked, K = 3, 6"))(
    lambda ctx: check_tau(ctx, sharp_constant))
scoped_method(TAU_SHARP, "search", instances("hypothesis search, M ≤ 2, weighted inputs"))(
    lambda ctx: search_tau(ctx, ctx.examples(20, 300), sharp_constant))
