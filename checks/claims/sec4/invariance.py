"""Invariance of the distances under ``~_L`` (Section 4; claim ``sec4-invariance``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checks.claims.sec4.common import certificates, scoped_method
from checks.evidence import numeric_zero
from checks.registry import Context, Outcome, claim, instances
from theory.derivations import bound as dbound
from theory.derivations import metric as dmetric
from theory.distances import Sets
from theory.families import (
    Pair,
    common_sets,
    equivalent_pair,
    evaluate_bound,
    kl_between,
    llv_between,
)
from theory.identifiability import equivalent_model_arrays
from theory.model import Model
from theory.precision import Arithmetic

__all__ = [
    "check_invariance_numeric",
    "check_invariance_symbolic",
]


# --------------------------------------------------------------------------------------------
# invariance under ~_L
# --------------------------------------------------------------------------------------------
INVAR = claim(
    "sec4-invariance",
    "d_LLV, d_KL and d_{f,g} are 0 on ~_L-equivalent pairs and unchanged when either model is replaced by a "
    "~_L-equivalent one (d_{f,g} depends on the models only through their log-probabilities).",
    r"(f,g)\sim_L(\hat f,\hat g)\Rightarrow d(\hat p,q)=d(p,q),\ d(p,\hat p)=0",
    "Section 4 (invariance)", "paper",
    depends_on=("thm2.2-if", "sec4-bound-logratio"),
)


def check_invariance_numeric(ctx: Context, perturb: float = 0.0, replaced: str = "either",
                             spoil: str = "first") -> Outcome:
    """At two precisions, with ``p̂ ~_L p`` and ``q̂ ~_L q`` (built at the working precision):
    ``d(p, p̂) = 0`` and ``d(·,·)`` unchanged when ``p``, ``q`` or both are replaced, for
    ``d ∈ {d_LLV, d_KL(→), d_KL(←), d_{f,g}}`` (``d_KL`` is not symmetric: both directions).
    ``perturb`` > 0 spoils ``p̂`` (``spoil="first"``) or ``q̂`` (``"second"``): the broken
    variants; ``replaced`` in {"first", "second",
    "either"} chooses which replacements are exercised."""
    def dists(u: Model, v: Model, sets: Sets, P: Arithmetic) -> list[Any]:
        return [llv_between(u, v, sets, P), kl_between(u, v, P), kl_between(v, u, P),
                evaluate_bound(Pair(u, v, sets), P).d_fg]

    def fn(P: Arithmetic) -> list[Any]:
        rng = np.random.default_rng(ctx.seed + 11)
        e = equivalent_pair(rng, 10, 4, 2, P)
        p, p_hat = e.a, e.b
        if perturb and spoil == "first":
            p_hat = Model(P.array(p_hat.f) + P.scalar(perturb), p_hat.g)
        q = Model(np.asarray(p.f) + 0.3 * rng.standard_normal(p.f.shape),
                  np.asarray(p.g) + 0.3 * rng.standard_normal(p.g.shape))
        a_mat = np.array([[1.5, 0.5], [-0.25, 0.75]])
        qf, qg = equivalent_model_arrays(np.asarray(q.f), np.asarray(q.g), a_mat, np.array([0.5, -1.0]), P)
        q_hat = Model(qf + P.scalar(perturb), qg) if perturb and spoil == "second" else Model(qf, qg)
        mids = [Model(P.midpoint(m.f), P.midpoint(m.g)) for m in (p, q, p_hat, q_hat)]
        sets = common_sets(*mids)
        base = dists(p, q, sets, P)
        vals = list(dists(p, p_hat, sets, P))
        swaps = {"first": [(p_hat, q)], "second": [(p, q_hat)], "either": [(p_hat, q), (p, q_hat), (p_hat, q_hat)]}
        for u, v in swaps[replaced]:
            vals += [x - y for x, y in zip(dists(u, v, sets, P), base, strict=True)]
        return vals

    out = numeric_zero(fn, ctx)
    out.evidence["distances"] = ["d_LLV", "d_KL(p->q)", "d_KL(q->p)", "d_fg"]
    out.evidence["replaced"] = replaced
    return out


def check_invariance_symbolic(transform: str = "inverse-transpose") -> Outcome:
    """``~_L`` leaves every log-probability unchanged (so every distance written in ``ℓ``), and
    ``d_{f,g}`` sees the models only through ``ℓ`` (the log-ratio identities)."""
    return certificates({"~_L keeps log-probabilities": dmetric.equivalence_keeps_log_probs(transform=transform),
                         "d_fg through log-ratios": dbound.log_ratio_identities(2)})


scoped_method(INVAR, "symbolic", instances("M = 2, K = 3, n = 2 symbolic and integer"))(
    lambda ctx: check_invariance_symbolic())
scoped_method(INVAR, "numeric",
              instances("one ~_L-equivalent pair and one equivalent replacement, M = 2, K = 4, n = 10"))(
    check_invariance_numeric)
