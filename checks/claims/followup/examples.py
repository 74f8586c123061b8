"""The follow-up's two appendix examples (claims ``followup-kl-example``, ``followup-cca-example``):
d_KL ≈ 0.005 while d²_logit ≈ 673, certified; ``m_CCA = 1`` on both sides yet p ≠ p'.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from checks.claims.followup.common import FU, scoped_method, symbolic_zeros
from checks.claims.followup.kl import lipschitz_constant, sharp_constant
from checks.evidence import ball_str, certified_leq, numeric_zero
from checks.registry import Context, Outcome, claim, instances
from theory.distances import d_kl
from theory.logit import appendix_cca_example, appendix_kl_example, d_logit_sq, d_rep_sq
from theory.model import Model, log_probs
from theory.precision import Arithmetic, Ball

__all__ = ["KL_EXAMPLE", "CCA_EXAMPLE", "KL_TARGET", "check_kl_example", "check_cca_example"]


KL_EXAMPLE = claim(
    "followup-kl-example",
    "The appendix example with equal embeddings and unembeddings not linearly related (K = 8, M = 2; "
    "labels 5↔6, 7↔8 swapped): d_KL ≈ 0.005 in both directions while d²_logit ≈ 673 (within 5 %), "
    "and the smallest probability is below 1e-20, so both τ-bounds exceed d²_logit by more than 1e20.",
    r"d_{KL} \approx 0.005,\ d^2_{logit} \approx 673,\ \min p < 10^{-20}",
    f"{FU}: appendix example 2", "follow-up",
)


CCA_EXAMPLE = claim(
    "followup-cca-example",
    "The appendix example (K = 5, M = 2; embeddings rotated by π/4 counter-clockwise, unembeddings by π/4 "
    "clockwise): m_CCA(f, f') = 1 and m_CCA(g, g') = 1, yet p ≠ p' (d_KL > 0, d_logit > 0).",
    r"m_{CCA}(f,f') = m_{CCA}(g,g') = 1,\ p \ne p'",
    f"{FU}: appendix example 1", "follow-up",
)


# --------------------------------------------------------------------------------------------
# the appendix examples
# --------------------------------------------------------------------------------------------
#: What the appendix reports for example 2: d²_logit ≈ 673 (within 5 %), d_KL ≈ 0.005 (0.004..0.006).
KL_TARGET = {"d2_logit": ("673", "0.05"), "d_kl": ("0.004", "0.006"), "min_p": "1e-20", "vacuous": "1e20"}


def check_kl_example(dps: int = 30, seed: int = 0, target: dict[str, Any] = KL_TARGET) -> Outcome:
    """In balls at ``dps`` digits on the seeded construction: ``|d²_logit − 673| ≤ 5 %``, both ``d_KL``
    in [0.004, 0.006], the smallest probability below 1e-20 and both τ-bounds above 1e20·d²_logit."""
    a, b = appendix_kl_example(seed)
    P = Ball(dps)
    with P.active():
        la, lb = log_probs(a, P), log_probs(b, P)
        kls = {"d_KL(p‖p')": d_kl(la, lb, P), "d_KL(p'‖p)": d_kl(lb, la, P)}
        d2 = d_logit_sq(a, b, P)
        lo = np.concatenate([la.ravel(), lb.ravel()])
        tau = P.exp(np.array([lo[int(np.argmin(P.midpoint(lo)))]]))[0]
        centre, rel = P.scalar(target["d2_logit"][0]), P.scalar(target["d2_logit"][1])
        kl_lo, kl_hi = P.scalar(target["d_kl"][0]), P.scalar(target["d_kl"][1])
        parts = {
            "d²_logit ≥ 673(1 − 5%)": certified_leq(centre * (1 - rel), d2),
            "d²_logit ≤ 673(1 + 5%)": certified_leq(d2, centre * (1 + rel)),
            "min p < 1e-20": certified_leq(tau, P.scalar(target["min_p"]), strict=True),
        }
        for name, kl in kls.items():
            parts[f"{name} ≥ {target['d_kl'][0]}"] = certified_leq(kl_lo, kl)
            parts[f"{name} ≤ {target['d_kl'][1]}"] = certified_leq(kl, kl_hi)
        smaller = min(kls.values(), key=lambda v: float(v.mid()))
        for cname, const in (("1/τ²", lipschitz_constant), ("sharp", sharp_constant)):
            parts[f"{cname} bound vacuous"] = certified_leq(P.scalar(target["vacuous"]) * d2, const(tau, P) * smaller)
        r = np.arange(a.n)
        true_label = np.repeat(np.arange(a.K), a.n // a.K)
        evidence = {"d2_logit": ball_str(d2), **{k: ball_str(v) for k, v in kls.items()}, "min_p": ball_str(tau, 6),
                    "true-label log-ratio mean": float(np.mean(P.midpoint(la[r, true_label] - lb[r, true_label]))),
                    "d2_rep": float(d_rep_sq(a, b).value), "seed": seed, "dps": dps}
    out = Outcome.combine(parts)
    out.evidence.update(evidence)
    return out


scoped_method(KL_EXAMPLE, "certified", instances("the seeded construction, 4000 inputs, 30 digits"))(
    lambda ctx: check_kl_example(seed=ctx.seed))


def check_cca_example(ctx: Context, g_angle_sign: int = -1) -> Outcome:
    """Certified (30 digits): both ``m_CCA`` enclosures hold 1 to 20 digits; numeric (``ctx.dps`` and
    ``ctx.check_dps``): ``d_KL`` and ``d²_logit`` are positive (not zero at both precisions).
    ``g_angle_sign = +1`` is the false variant (g' = A⁻ᵀg for the rotation A of f: a ~_L pair, p = p')."""
    from theory.distances import m_cca
    from theory.logit import rotation

    def pair(P: Arithmetic) -> tuple[Model, Model]:
        a, b = appendix_cca_example(ctx.seed, P)
        if g_angle_sign > 0:
            with P.active():  # g' = A⁻ᵀg with A the (float64) rotation that maps f to f': a ~_L pair
                b = Model(b.f, P.solve(P.array(rotation(math.pi / 4)).T, P.array(a.g).T).T)
        return a, b

    parts = {}
    ball = Ball(30)
    with ball.active():
        a, b = pair(ball)
        for side, (x, y) in (("f", (a.f, b.f)), ("g", (a.g, b.g))):
            v = m_cca(ball.array(x), ball.array(y), ball)
            ok = v.contains(1) and v.rad() < 1e-20
            parts[f"m_CCA({side}) = 1"] = (Outcome.verified(enclosure=ball_str(v)) if ok else
                                          Outcome.refuted(witness=ball_str(v)) if not v.contains(1) else
                                          Outcome.undecided("enclosure too wide", enclosure=ball_str(v)))

    def values(P: Arithmetic) -> list[Any]:
        a, b = pair(P)
        with P.active():
            return [d_kl(log_probs(a, P), log_probs(b, P), P)]

    zero = numeric_zero(values, ctx, digits=10)
    if zero.verdict == "verified":
        parts["p ≠ p'"] = Outcome.refuted(witness="d_KL vanishes: equal distributions", **zero.evidence)
    elif zero.verdict == "refuted":
        parts["p ≠ p'"] = Outcome.verified(d_kl=zero.evidence["max_residual"], dps=ctx.dps,
                                           check_dps=ctx.check_dps, digits_agreed=zero.evidence["digits_agreed"])
    else:
        parts["p ≠ p'"] = zero
    out = Outcome.combine(parts)
    a, b = appendix_cca_example(ctx.seed)
    out.evidence["d_rep (float64)"] = float(d_rep_sq(a, b).value)
    return out


CCA_EXAMPLE.method("symbolic")(lambda ctx: symbolic_zeros(
    {"C = R⁻¹Σ_xy(BR)⁻ᵀ − I for y = Bx": _cca_linear_residual()},
    instances("the example's two sides; the lemma holds for every invertible B"),
    note="with y = Bx (B invertible) R_y = BR_x is a square root of Σ_yy, so C = I: every canonical "
         "correlation is 1 (CCA does not depend on the choice of square roots)"))
scoped_method(CCA_EXAMPLE, "numeric", instances("the seeded construction (500 inputs); m_CCA in balls, 30 digits"))(
    check_cca_example)


def _cca_linear_residual() -> sp.Matrix:
    r = sp.MatrixSymbol("R", 2, 2)
    bm = sp.MatrixSymbol("B", 2, 2)
    sxy = r * r.T * bm.T  # Σ_xy = Σ_xx Bᵀ for y = Bx
    c = r.I * sxy * (bm * r).T.I
    return sp.simplify(sp.Matrix((c - sp.Identity(2)).as_explicit()))
