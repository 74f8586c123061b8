"""``d_KL`` and ``d_LLV`` are incomparable (Section 4 discussion; claim
``sec4-kl-llv-incomparable``): neither bounds the other, for any ``λ ≥ 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from checks.claims.sec4.common import certificates, scoped_method
from checks.claims.sec4.metric import temperature_part
from checks.claims.sec4.tightness import kept_rows_exact
from checks.evidence import ball_str, certified_leq
from checks.registry import Outcome, claim, instances
from theory.derivations import metric as dmetric
from theory.families import (
    common_sets,
    kl_between,
    llv_between,
    temperature_pair,
    terms_between,
    tie_perturbation_pair,
)
from theory.model import Model
from theory.precision import Ball

__all__ = [
    "check_order_certified",
    "check_incomparable_certified",
]


# --------------------------------------------------------------------------------------------
# d_KL and d_LLV do not bound each other
# --------------------------------------------------------------------------------------------
INCOMP = claim(
    "sec4-kl-llv-incomparable",
    "Neither distance bounds the other, for any λ ≥ 0. On the Section 3 pair (grid version) d_KL decreases "
    "from ρ = 10 to ρ = 40 (→ 0 as ρ grows, Section 3) while max(T1, T2) ≥ 28, so d_LLV ≥ 28 whatever λ (its "
    "input term T2 does not depend on ρ). On tie-perturbation pairs (scale s) d_KL stays ≈ 0.040 while "
    "max(T1, T2) ≤ 0.25/s → 0 with T2 = T4 = 0 exactly and T3 = 0 (symbolic), so d_LLV = T1 → 0 for every λ; "
    "on the temperature pair T1 = T2 = 0 while d_KL > 0; and the two rank pairs differently.",
    r"\nexists\varphi:\ d_{LLV}\le\varphi(d_{KL});\ \nexists\psi:\ d_{KL}\le\psi(d^\lambda_{LLV})",
    "Section 4 (discussion); Section 3", "new",
    depends_on=("sec4-llv-lambda-needed",),
)


def check_incomparable_certified(dps: int, rhos: Sequence[Any] = ("10", "40"), llv_floor: Any = "28",
                                 kl_floor: Any = "0.04", scales: Sequence[Any] = ("10", "1000")) -> Outcome:
    """Balls, λ-free.  Section 3 grid pair at each ``ρ``: ``max(T1, T2) ≥ llv_floor`` while ``d_KL``
    decreases.  Tie-perturbation pairs at each scale: ``d_KL ≥ kl_floor``, ``max(T1, T2) ≤ 0.25/scale``
    and ``T2 = T4 = 0`` exactly (model 2 keeps the pivot input and ``S_X`` rows; ``T3 = 0`` is the
    symbolic :func:`theory.derivations.metric.tie_perturbation_scale`, its ball recorded)."""
    from theory.counterexample import grid

    P = Ball(dps)
    parts = {}
    kls = []
    with P.active():
        c = grid(3)
        for rho in rhos:
            a, b = c.models(rho, P)
            sets = common_sets(Model(P.midpoint(a.f), P.midpoint(a.g)), Model(P.midpoint(b.f), P.midpoint(b.g)))
            t = terms_between(a, b, sets, P)
            t12 = t.T1.max(t.T2)
            kl = kl_between(a, b, P)
            kls.append(kl)
            parts[f"rho={rho}: max(T1, T2) >= {llv_floor}"] = certified_leq(P.scalar(llv_floor), t12)
            parts[f"rho={rho}"] = Outcome.verified(d_kl=ball_str(kl), T1=ball_str(t.T1), T2=ball_str(t.T2))
        parts["d_KL decreases in rho"] = certified_leq(kls[-1], kls[0], strict=True)
        for sc in scales:
            tp = tie_perturbation_pair(sc, 1, P)
            kl_t = kl_between(tp.a, tp.b, P)
            t = terms_between(tp.a, tp.b, tp.sets, P)
            parts[f"scale={sc}: d_KL >= {kl_floor}"] = certified_leq(P.scalar(str(kl_floor)), kl_t)
            parts[f"scale={sc}: max(T1, T2) <= 0.25/scale"] = certified_leq(t.T1.max(t.T2),
                                                                           P.scalar("0.25") / P.scalar(sc))
            parts[f"scale={sc}: T2 = T4 = 0 (kept rows)"] = kept_rows_exact(tp)
            parts[f"scale={sc}: T3 ball"] = Outcome.verified(T3=ball_str(t.T3)) if t.T3.contains(0) else \
                Outcome.refuted(witness={"T3": ball_str(t.T3)})
    return Outcome.combine(parts)


def check_order_certified(dps: int, perturbation: float = 0.01) -> Outcome:
    """Balls: with ``p`` the cyclic model, ``q`` its temperature copy and ``r = p`` with embeddings
    moved by ``perturbation``: ``d_KL(p,r) < d_KL(p,q)`` but ``d_LLV(p,r) > d_LLV(p,q)``."""
    t = temperature_pair(2)
    rng = np.random.default_rng(5)
    r = Model(np.asarray(t.a.f) + perturbation * rng.standard_normal(t.a.f.shape), t.a.g)
    P = Ball(dps)
    with P.active():
        kq, kr = kl_between(t.a, t.b, P), kl_between(t.a, r, P)
        lq, lr = llv_between(t.a, t.b, t.sets, P), llv_between(t.a, r, t.sets, P)
        return Outcome.combine({"d_KL(p,r) < d_KL(p,q)": certified_leq(kr, kq, strict=True),
                                "d_LLV(p,r) > d_LLV(p,q)": certified_leq(lq, lr, strict=True)})


scoped_method(INCOMP, "certified", instances("the Section 3 grid pair at ρ = 10, 40; tie pairs at s = 10, "
                                            "1000; one order triple"))(
    lambda ctx: Outcome.combine({
    "bounds": check_incomparable_certified(ctx.dps), "order": check_order_certified(ctx.dps)}))
scoped_method(INCOMP, "symbolic", instances("the temperature pair; the tie perturbation for symbolic s > c > 0"))(
    lambda ctx: Outcome.combine({
    "temperature pair": temperature_part(2),
    "tie perturbation keeps sigma": certificates({"variance": dmetric.tie_perturbation_scale()}),
}))
