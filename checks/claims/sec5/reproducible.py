"""Reproducibility of the shipped models (claim ``sec5-shipped-reproducible``, new): retraining a
shipped model with this trainer gives its shipped outputs to 1e-10.

The default run checks every file against its SHA-256 and configuration hash and retrains one
model (the cheapest) to its first budget; ``--deep`` retrains every shipped model in full.
"""

from __future__ import annotations

import time
from dataclasses import replace

from checks.claims.sec5.common import DIGITS_SETS, shipped
from checks.registry import Context, Outcome, claim, instances
from theory.errors import ClosenessError
from theory.shipped import ShippedModel, max_difference, train_model

__all__ = ["REPRODUCE_TOL", "check_reproduced"]

#: Largest difference between shipped and retrained outputs that counts as reproduced.
REPRODUCE_TOL = 1e-10


def check_reproduced(pairs: list[tuple[ShippedModel, ShippedModel]], tol: float = REPRODUCE_TOL) -> Outcome:
    """Shipped and retrained models agree to ``tol`` at every
    budget they share: verified if every pair does, refuted by the first that does not."""
    rows = []
    for old, new in pairs:
        budgets = sorted(set(old.models) & set(new.models))
        if not budgets:
            raise ClosenessError(f"width {old.width} seed {old.seed}: no common training budget")
        diff = max_difference(_restrict(old, budgets), _restrict(new, budgets))
        acc = {b: [old.accuracy[b], new.accuracy[b]] for b in budgets}
        rows.append({"width": old.width, "seed": old.seed, "steps": budgets, "max_abs_difference": diff,
                     "test_accuracy_shipped_retrained": acc})
        if not diff <= tol:
            return Outcome.refuted(rows[-1], tolerance=tol, checked=rows)
    return Outcome.verified(tolerance=tol, checked=rows)


def _restrict(m: ShippedModel, budgets: list[int]) -> ShippedModel:
    return replace(m, models={b: m.models[b] for b in budgets})


REPRO = claim(
    "sec5-shipped-reproducible",
    "Retraining a shipped model of the width experiment with this project's trainer (same seed, "
    "settings and data; trainer version and configuration hash as recorded) gives its shipped outputs "
    "f(x_test) and g(labels) to 1e-10 at every shipped budget. By default every shipped file is "
    "checked against its SHA-256 and configuration hash and one model of the width experiment (the "
    "narrowest, seed 0) is retrained to its first budget (5000 steps); with --deep every shipped model, "
    "of the width and the digits experiments, is retrained in full (the digits need scikit-learn).",
    r"\max |F_{\text{retrained}} - F_{\text{shipped}}|,\ \max |G_{\text{retrained}} - G_{\text{shipped}}| \le 10^{-10}",
    "Section 5 (the trained models this project checks the paper's experiment on)",
    "new",
)


def _reproduce(name: str, deep: bool) -> Outcome:
    """Retrain the shipped models of ``name``: all in full (``deep``), else the first one to its
    first budget."""
    sh = shipped(name)
    if deep:
        todo, spec = [(m.width, m.seed) for m in sh.models], sh.spec
    else:
        first = min(sh.models, key=lambda m: (m.width, m.seed))
        todo = [(first.width, first.seed)]
        spec = replace(sh.spec, widths=(first.width,), seeds=(first.seed,), budgets=(sh.spec.budgets[0],))
    data = sh.spec.data()
    out = check_reproduced([(sh.get(w, s), train_model(spec, w, s, data)) for w, s in todo])
    what = "every model in full" if deep else f"width {todo[0][0]} seed {todo[0][1]} to {spec.steps} steps"
    return Outcome(out.verdict, {**out.evidence, "retrained": what, "files_checked": len(sh.models),
                                 "shipped_environment": sh.environment})


@REPRO.method("numeric")
def _(ctx: Context) -> Outcome:
    start = time.perf_counter()
    parts = {"width": _reproduce("width", ctx.deep)}
    for name in DIGITS_SETS:
        if ctx.deep:
            try:
                parts[name] = _reproduce(name, True)
            except ClosenessError as err:  # scikit-learn missing: the digits cannot be loaded
                parts[name] = Outcome.undecided(str(err))
        else:
            shipped(name)  # every file checked against its SHA-256 and configuration hash
    out = Outcome.combine(parts)
    retrained = sum(len(o.evidence.get("checked", [])) for o in parts.values())
    total = sum(len(shipped(n).models) for n in ("width", *DIGITS_SETS))
    return Outcome(out.verdict, {**out.evidence, "seconds": time.perf_counter() - start,
                                 "scope": instances(f"{retrained} of {total} shipped models retrained")})
