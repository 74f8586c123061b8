"""``d_logit`` and the NeurIPS paper's distances (claims ``followup-llv-link``,
``followup-logit-not-bound-fg``): ``d_logit = 0 ⇔ d^λ_LLV = 0`` with full label sets and ``λ > 0``,
and small ``d_logit`` does not bound ``d_{f,g}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from checks.claims.followup.common import FU, random_pairs, scoped_method, symbolic_zeros
from checks.evidence import ball_str, certified_leq, numeric_zero
from checks.registry import Context, Outcome, claim, instances
from theory.derivations import logit as dlogit
from theory.distances import Sets, d_fg, d_llv, llv_terms
from theory.families import cyclic_model, equivalent_pair
from theory.logit import d_logit_sq
from theory.model import Model, input_weights, log_probs
from theory.precision import MP, Arithmetic, Ball
from theory.selection import default_sets

__all__ = ["LLV", "NOT_FG", "llv_link_material", "check_llv_link", "check_scaling"]


LLV = claim(
    "followup-llv-link",
    "With the full label set (S_Y = every label but y₀), λ > 0 and every σ_y, s_x positive, "
    "d_logit = 0 ⇔ d^λ_LLV = 0 (both ⇔ equal conditionals); with λ = 0 it fails (a temperature-scaled copy).",
    r"d_{logit} = 0 \iff d^\lambda_{LLV} = 0",
    f"{FU} and Section 4", "new", depends_on=("followup-logit-metric", "sec4-llv-metric"),
)


NOT_FG = claim(
    "followup-logit-not-bound-fg",
    "Small d_logit does not bound d_{f,g}: the pair (δf₁, g₁), (δf₂, g₂) has d_logit scaled by δ while "
    "d_{f,g} (built from standardised quantities) is unchanged, so d_{f,g} ≤ C·d_logit fails for every C.",
    r"d_{logit}(\delta) = \delta\, d_{logit}(1),\quad d_{f,g}(\delta) = d_{f,g}(1)",
    f"{FU} and Section 4", "new",
)


# --------------------------------------------------------------------------------------------
# followup-llv-link
# --------------------------------------------------------------------------------------------
def llv_link_material(seed: int) -> list[tuple[str, Model, Model]]:
    rng = np.random.default_rng(seed)
    eq = equivalent_pair(rng, n=10, K=5, M=2, P=MP(120))
    out = [("~_L pair", eq.a, eq.b)]
    out += [(f"random pair {i}", a, b) for i, (a, b) in enumerate(random_pairs(seed, 2, weighted=False))]
    out.append(("temperature pair r=2", *_temperature_pair(2)))
    return out


def _temperature_pair(r: int) -> tuple[Model, Model]:
    """The cyclic model and its copy ``f' = r·f`` (``p' ∝ p^r``, as
    :func:`theory.families.temperature_pair`) with ``f/10`` entered as decimal strings: the integer
    pair is exact, so its values are identical at every precision and the re-check could not tell
    them from a float64-bound path; tenths are rounded anew at each precision."""
    f, g = cyclic_model()

    def tenths(s: int) -> np.ndarray:
        return np.array([[f"{s * v}e-1" for v in row] for row in f], dtype=object)

    return Model(tenths(1), np.asarray(g, float)), Model(tenths(r), np.asarray(g, float))


def check_llv_link(ctx: Context, lam: str = "1e-5") -> Outcome:
    """On every pair, ``d²_logit`` and ``d^λ_LLV`` (full label set) are both zero or both positive, each
    decided by :func:`numeric_zero` at ``ctx.dps`` re-checked at ``ctx.check_dps``: zero when below
    ``10^{-(dps−10)}`` at ``ctx.dps`` and ``10^{-(check_dps−10)}`` at ``ctx.check_dps``, positive when
    above it at both and the two values agree to 10 digits (not bit-identical); undecided otherwise."""
    rows, bad = [], []
    for name, a, b in llv_link_material(ctx.seed):
        sets = default_sets(a, b)
        if {sets.pivot_label, *sets.labels} != set(range(a.K)):  # the statement's full label set
            return Outcome.undecided(f"the default sets of {name} leave labels out", sets=sets.as_dict(), pairs=rows)

        def llv(P: Arithmetic, a: Model = a, b: Model = b, sets: Sets = sets) -> Any:
            return d_llv(llv_terms(log_probs(a, P), log_probs(b, P), sets, P, input_weights(a, P)), lam)

        row: dict[str, Any] = {"pair": name}
        for what, value in (("d_logit", lambda P, a=a, b=b: d_logit_sq(a, b, P)), ("d_LLV", llv)):
            out = numeric_zero(lambda P, value=value: [value(P)], ctx, digits=10)
            if out.verdict == "undecided":
                return Outcome.undecided(f"{what} on {name}: {out.evidence['reason']}", pairs=rows, **{
                    k: v for k, v in out.evidence.items() if k != "reason"})
            row[what] = out.verdict == "verified"
            row[what + " value"] = out.evidence["max_residual"]
        rows.append(row)
        if row["d_logit"] != row["d_LLV"]:
            bad.append(row)
    ev = {"pairs": rows, "lambda": lam, "sets": "pivot 0, every other label", "dps": ctx.dps,
          "check_dps": ctx.check_dps, "digits": 10}
    return Outcome.refuted(witness=bad[0], **ev) if bad else Outcome.verified(**ev)


scoped_method(LLV, "numeric", instances("a ~_L pair, 2 random pairs, a temperature-scaled pair"))(check_llv_link)


# --------------------------------------------------------------------------------------------
# followup-logit-not-bound-fg
# --------------------------------------------------------------------------------------------
def _scaled(a: Model, b: Model, delta: str, P: Arithmetic) -> tuple[Model, Model]:
    d = P.scalar(delta)
    return Model(P.array(a.f) * d, a.g), Model(P.array(b.f) * d, b.g)


def _llv_distance(a: Model, b: Model, P: Arithmetic) -> Any:
    """The false variant's distance: ``d_LLV²`` (does not shrink with the logits)."""
    v = d_llv(llv_terms(log_probs(a, P), log_probs(b, P), default_sets(a, b), P), "1e-5")
    return v * v


def check_scaling(dps: int = 30, distance: Callable[[Model, Model, Arithmetic], Any] | None = None,
                  deltas: Sequence[str] = ("1e-3", "1e-9")) -> Outcome:
    """In balls: ``distance(δ) ≤ δ²·distance(1)·(1 + 10⁻²⁰)`` (a squared distance, default
    :func:`d_logit_sq`, looked up at the call) and ``d_{f,g}(δ) ≥ 1/2`` for a pair with
    ``d_{f,g}(1) ≥ 1/2``, for each δ."""
    distance = d_logit_sq if distance is None else distance
    P = Ball(dps)
    rng = np.random.default_rng(3)
    f, g = rng.normal(size=(12, 2)), rng.normal(size=(5, 2))
    a, b = Model(f, g), Model(rng.normal(size=(12, 2)), rng.normal(size=(5, 2)))
    sets = default_sets(a, b)
    parts = {}
    with P.active():
        base = distance(a, b, P)
        for delta in deltas:
            sa, sb = _scaled(a, b, delta, P)
            d2 = distance(sa, sb, P)
            fg = d_fg(sa.f, sa.g, sb.f, sb.g, sets, P).value
            slack = P.scalar(delta) ** 2 * base * (1 + P.scalar("1e-20"))
            parts[f"δ={delta}: distance"] = certified_leq(d2, slack, witness={"delta": delta, "distance": ball_str(d2)})
            parts[f"δ={delta}: d_fg ≥ 1/2"] = certified_leq(P.scalar("0.5"), fg, witness={"d_fg": ball_str(fg)})
    out = Outcome.combine(parts)
    out.evidence["d_fg(1)"] = ball_str(d_fg(a.f, a.g, b.f, b.g, sets, Ball(dps)).value)
    return out


NOT_FG.method("symbolic")(lambda ctx: symbolic_zeros(
    dlogit.scale_identities(), instances("symbolic δ; three symbolic points"),
    note="d_{f,g} is built from standardised log-odds (f side) and standardised Nᵀg (g side, N scales by δ)"))
scoped_method(NOT_FG, "certified", instances("one random pair, δ = 1e-3, 1e-9, 30 digits"))(lambda ctx: check_scaling())
