"""The width trend (claim ``sec5-width-trend``, Section 5, Figure 3 right): wider networks are closer.

**Trend test.** Statistic: Spearman's ρ between the width and the value (``d_LLV`` resp.
``d_{f,g}``) over all same-width pairs of kept models (test accuracy > 0.9; widths with fewer than
5 kept models left out, as in the paper's plotting code).  The p-value is that of the
seed-stratified model-level permutation test :func:`theory.experiments.stratified_trend_test`.
Verified when ``p(decreasing) ≤ α = 0.05`` for both quantities (an intersection-union test),
refuted when ``p(increasing) ≤ α/2`` for either, undecided otherwise.  Reported beside it, never
used for the verdict: the effect sizes (differences of width means with bootstrap intervals over
seeds), the same test at accuracy thresholds 0.85 and 0.95, on seeds 0-4 and 5-9 alone, and at
the 5000-step budget.  The test (:func:`trend_outcome`) is shared with the digits claims
(:mod:`.digits`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from checks.claims.sec5.common import (
    AUTHORS_DIFFERENCES,
    MIN_MODELS,
    SHIPPED_GRID,
    describe,
    shipped,
    shipped_result,
)
from checks.registry import Context, Outcome, claim, instances
from theory.errors import ClosenessError
from theory.experiments import GridResult, mean_differences, rank_test, stratified_trend_test, trend_data

__all__ = ["ALPHA", "THRESHOLDS", "check_trend", "trend_outcome", "robustness"]

#: Significance level of the trend test.
ALPHA = 0.05
#: Accuracy thresholds of the robustness report.
THRESHOLDS = (0.85, 0.9, 0.95)


def check_trend(widths: list[int], seeds: list[int], values: dict[str, np.ndarray], alpha: float = ALPHA,
                permutations: int = 20_000) -> Outcome:
    """Every quantity of ``values`` (name → matrix of pair values of the models ``(widths[i], seeds[i])``)
    decreases with width: verified when each seed-stratified model-level test
    (:func:`stratified_trend_test`) gives ``p(decreasing) ≤ alpha``, refuted when one gives
    ``p(increasing) ≤ alpha / len(values)``, undecided otherwise."""
    tests: dict[str, Any] = {}
    for name, d in values.items():
        try:
            tests[name] = stratified_trend_test(widths, seeds, d, permutations=permutations)
        except ClosenessError as err:
            return Outcome.undecided(f"{name}: {err}", **tests, alpha=alpha)
    evidence = {**tests, "alpha": alpha, "refute_below": alpha / len(values),
                "statistic": "Spearman rho(width, value) over the same-width pairs",
                "null": "the kept models of each seed are exchangeable across widths"}
    increasing = {k: t["p_increasing"] for k, t in tests.items() if t["p_increasing"] <= alpha / len(values)}
    if increasing:
        return Outcome.refuted({"p_increasing": increasing, "rho": {k: tests[k]["rho"] for k in increasing}},
                               **evidence)
    if all(t["p_decreasing"] <= alpha for t in tests.values()):
        return Outcome.verified(**evidence)
    weak = [k for k, t in tests.items() if t["p_decreasing"] > alpha]
    return Outcome.undecided(f"no significant decrease at level {alpha} for {', '.join(weak)}", **evidence)


def trend_outcome(result: GridResult, alpha: float = ALPHA, permutations: int = 20_000) -> Outcome:
    """:func:`check_trend` for d_LLV and d_{f,g} on the kept models of ``result`` (whose pairs across
    widths must be evaluated), with the width means, their exact rank test and the effect sizes."""
    widths = result.summarised_widths()
    if len(widths) < 2:
        return Outcome.undecided("fewer than two widths with enough kept models", widths=widths)
    keys = ("d_llv", "d_fg")
    data = {k: trend_data(result, k) for k in keys}
    ws, seeds, _ = data[keys[0]]
    out = check_trend(ws, seeds, {k: data[k][2] for k in keys}, alpha, permutations)
    means = {k: [float(np.mean(result.values(w, k))) for w in widths] for k in keys}
    extra = {"widths": widths, "kept_models": len(ws),
             "kept_per_width": {str(w): len(result.kept(w)) for w in result.grid.widths},
             "width_means": {k: dict(zip(map(str, widths), means[k], strict=True)) for k in keys},
             "means_test_exact": {k: rank_test(widths, means[k]) for k in keys} if len(widths) >= 3 else None,
             "effect_sizes": {k: mean_differences(result, k) for k in keys}}
    return Outcome(out.verdict, {**out.evidence, **extra})


def _brief(out: Outcome) -> dict[str, Any]:
    e = out.evidence
    row: dict[str, Any] = {"verdict": out.verdict, "widths": e.get("widths"), "kept_models": e.get("kept_models")}
    for k in ("d_llv", "d_fg"):
        if isinstance(e.get(k), dict):
            row[k] = {"rho": e[k]["rho"], "p_decreasing": e[k]["p_decreasing"], "p_increasing": e[k]["p_increasing"],
                      "first_vs_last": (e["effect_sizes"][k][-1] if e.get("effect_sizes") else None)}
    if "reason" in e:
        row["reason"] = e["reason"]
    return row


def robustness(name: str = "width", thresholds: tuple[float, ...] = THRESHOLDS, min_models: int = MIN_MODELS,
               permutations: int = 5_000) -> dict[str, Any]:
    """The trend test under the variations of the robustness report (never used for the verdict;
    5000 re-assignments, p-values to about ±0.003 at 0.05)."""
    sh = shipped(name)
    seeds = tuple(sorted({m.seed for m in sh.models}))
    half = len(seeds) // 2
    runs: dict[str, dict[str, Any]] = {}
    for t in thresholds:
        runs[f"accuracy > {t:g}"] = {"min_accuracy": t, "min_models": min_models}
    for part in (seeds[:half], seeds[half:]):
        runs[f"seeds {part[0]}-{part[-1]}, at least 3 kept a width"] = {"seeds": part, "min_models": 3,
                                                                         "min_accuracy": thresholds[1]}
    for b in sh.spec.budgets[:-1]:
        runs[f"{b} steps"] = {"budget": b, "min_accuracy": thresholds[1], "min_models": min_models}
    return {label: _brief(trend_outcome(shipped_result(name=name, **kw), permutations=permutations))
            for label, kw in runs.items()}


TREND = claim(
    "sec5-width-trend",
    "Across seeds, wider networks give smaller d_LLV and d_{f,g} (paper: widths 16-256, 15000 Adam steps "
    f"at lr 1e-4). Checked on the shipped models: the paper's setting at {SHIPPED_GRID}; models with test accuracy "
    "≤ 0.9 dropped and widths with fewer than 5 kept models left out, as in the paper's code. Test: "
    "Spearman rho between width and the same-width pair values, one-sided p-value from re-assigning the "
    "widths among the models of each seed (null: a seed's models are exchangeable across widths; pairs "
    "recomputed from all distances between models of different seeds). Verified if p(decrease) ≤ 0.05 "
    "for both distances, refuted if p(increase) ≤ 0.025 for either, else undecided. Reported, not used "
    "for the verdict: effect sizes with bootstrap intervals over seeds, accuracy thresholds 0.85 and 0.95, "
    "each half of the seeds, the 5000-step budget. " + AUTHORS_DIFFERENCES,
    r"\rho_S(W, d^{\lambda}_{\mathrm{LLV}}) < 0,\ \rho_S(W, d_{\mathbf f,\mathbf g}) < 0",
    "Section 5, Figure 3 (right)",
    "paper",
    depends_on=("sec5-shipped-reproducible",),
)


@TREND.method("numeric")
def _(ctx: Context) -> Outcome:
    sh = shipped()
    out = trend_outcome(shipped_result())
    return Outcome(out.verdict, {**out.evidence, "robustness": robustness(), "models": describe(sh),
                                 "scope": instances(describe(sh))})
