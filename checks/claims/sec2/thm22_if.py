"""Theorem 2.2, "if" (claim ``thm2.2-if``): ``(f,g) ~_L (f',g')`` implies ``p_{f,g} = p_{f',g'}``.

Symbolic, numeric (float64 and mpmath), exact (over ``Q``) and search checks; the tests feed them
``A⁻¹`` in place of ``A⁻ᵀ`` and a singular ``A``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from checks.claims.sec2.cases import (
    Case,
    DualFn,
    default_cases,
    dual_inverse_transpose,
    exact_inverse_transpose,
    exact_unprimed_model,
    in_arithmetic,
    is_zero,
    matrix_symbol_at_random_point,
    search_outcome,
    unprimed_model,
)
from checks.evidence import numeric_zero
from checks.registry import GENERAL, Context, Outcome, claim, instances
from theory.derivations import identifiability as sym
from theory.identifiability import (
    exact_equal_distributions,
)
from theory.model import Model, log_probs
from theory.precision import Arithmetic


# ---------------------------------------------------------------------------------------------
# Theorem 2.2, "if"
# ---------------------------------------------------------------------------------------------

THM22_IF = claim(
    "thm2.2-if",
    "If (f,g) ~_L (f',g') (f = A f', g_0 = A^{-T} g'_0, A invertible) then p_{f,g} = p_{f',g'}; "
    "no diversity needed.",
    r"(f,g)\sim_L(f',g') \Rightarrow p_{f,g}=p_{f',g'}",
    "Theorem 2.2",
    "paper",
)


def check_if_symbolic(
    dims: Sequence[tuple[int, int]] = ((1, 2), (2, 3), (3, 4), (4, 5)),
    dual: sym.Dual = sym.inverse_transpose,
    matrix_symbol_dual: Callable[[Any], Any] | None = None,
    seed: int = 0,
) -> Outcome:
    """The "if" direction for symbolic M and K (:func:`theory.derivations.identifiability.if_direction_general`),
    cross-checked on explicit symbolic matrices (M, K) and in MatrixSymbol form at fixed M.

    Every symbolic zero is cross-checked at a random rational point; ``definition`` (log-softmax
    straight from its definition) is checked numerically only.  Scope: general.
    """
    parts: dict[str, Outcome] = {}
    lemma = sym.log_softmax_shift_lemma(max(k for _, k in dims))
    bad = sym.nonzero(lemma, seed)
    parts["log_softmax_depends_on_differences"] = (
        Outcome.verified(labels=len(lemma)) if not bad else Outcome.refuted(witness=str(lemma[bad[0]])[:200])
    )
    for m, k in dims:
        res = sym.if_direction_explicit(m, k, dual)
        failing = {key: sym.nonzero(v, seed) for key, v in res.items() if key != "definition"}
        values = sym.at_random_point(res["definition"], seed)
        worst = max(abs(v) for v in values)
        ok = not any(failing.values()) and worst < 1e-40
        evidence = {"M": m, "K": k, "residuals": sum(len(v) for v in res.values()),
                    "definition_at_random_point": f"{float(worst):.3g}"}
        parts[f"explicit_M{m}_K{k}"] = (
            Outcome.verified(**evidence) if ok
            else Outcome.refuted(witness={key: str(res[key][v[0]])[:160] for key, v in failing.items() if v},
                                 **evidence)
        )
    general = sym.if_direction_general(matrix_symbol_dual)
    shown = {k: str(v)[:120] for k, v in general.items()}
    parts["general_M_K"] = (Outcome.verified(residuals=shown) if all(is_zero(v) for v in general.values())
                            else Outcome.refuted(witness=shown))
    for m in sorted({m for m, _ in dims}):
        ms = sym.if_direction_matrix_symbol(m, matrix_symbol_dual)
        raw_value = matrix_symbol_at_random_point(ms["raw"], ms["symbols"], seed)
        agree = ms["simplified"] == 0 and ms["explicit"] == 0 and raw_value < 1e-40
        evidence = {"M": m, "simplified": str(ms["simplified"])[:80], "explicit_zero": ms["explicit"] == 0,
                    "numeric_at_random_point": f"{raw_value:.3g}"}
        parts[f"matrix_symbol_M{m}"] = Outcome.verified(**evidence) if agree else Outcome.refuted(
            witness=str(ms["simplified"])[:200], **evidence)
    return Outcome.combine(parts).with_scope(GENERAL)


@THM22_IF.method("symbolic")
def _(ctx: Context) -> Outcome:
    return check_if_symbolic(seed=ctx.seed)


def check_if_numeric(
    ctx: Context, cases: Sequence[Case], dual: DualFn = dual_inverse_transpose, guard: int = 16
) -> Outcome:
    """``max |ℓ(y|x) − ℓ'(y|x)|`` over all cases at ``ctx.dps`` and ``ctx.check_dps``.

    The pair is built in the working precision (``A⁻ᵀ`` is computed there), so the residual
    measures rounding amplified by cond(A) ≤ 1e8; ``guard`` = 16 digits leave room for it (the
    observed residual at 50 digits is ~1e-42 against the tolerance 1e-34).
    """

    def residuals(P: Arithmetic) -> list[Any]:
        out: list[Any] = []
        for case in cases:
            f, g = unprimed_model(case, P, dual)
            lp = log_probs(Model(f, g), P)
            lp2 = log_probs(Model(in_arithmetic(case.f2, P), in_arithmetic(case.g2, P)), P)
            out.extend(np.asarray(lp - lp2, dtype=object).ravel())
        return out

    outcome = numeric_zero(residuals, ctx, guard=guard)
    extra = {"pairs": len(cases), "M": sorted({c.m for c in cases}),
             "max_cond_A": f"{float(max(c.cond or 0 for c in cases)):.0e}"}
    return Outcome(outcome.verdict, {**outcome.evidence, **extra})


#: What the "if" instances are (the scope of its numeric, certified and search checks).
IF_CASES = "pairs f = Af', g_0 = A^{-T}g'_0 with rational A, cond(A) = 1e4, 1e8, M = 1..4"


@THM22_IF.method("numeric")
def _(ctx: Context) -> Outcome:
    return check_if_numeric(ctx, default_cases(ctx.seed)).with_scope(instances(IF_CASES))


def check_if_exact(cases: Sequence[Case], dual: Callable[[Any], Any] = exact_inverse_transpose) -> Outcome:
    """Exactly over ``Q``: the unprimed model built with ``B = A⁻ᵀ`` (or the false ``A⁻¹``) has
    logits whose difference to the primed logits is constant in ``y`` for every input, which
    is equality of the conditionals (softmax is injective modulo constants)."""
    for i, case in enumerate(cases):
        f, g = exact_unprimed_model(case, dual)
        equal, where = exact_equal_distributions(f, g, case.f2, case.g2)
        if not equal:
            return Outcome.refuted(witness={"case": i, "M": case.m, "input_label": where},
                                   reason="logit difference not constant in y: the conditionals differ")
    return Outcome.verified(pairs=len(cases), exact=True, arithmetic="fmpq (python-flint)",
                            M=sorted({c.m for c in cases}),
                            cond_A=sorted({str(c.cond) for c in cases}, key=Fraction))


@THM22_IF.method("certified")
def _(ctx: Context) -> Outcome:
    return check_if_exact(default_cases(ctx.seed)).with_scope(instances(IF_CASES))


def if_score(dual: DualFn = dual_inverse_transpose, guard: int = 16) -> Callable[[Case, Arithmetic], float | None]:
    """``max |ℓ − ℓ'| / 10^{-(dps − guard)}`` for a generated pair (> 1: the "if" direction fails)."""

    def score(case: Case, P: Arithmetic) -> float | None:
        f, g = unprimed_model(case, P, dual)
        lp = log_probs(Model(f, g), P)
        lp2 = log_probs(Model(in_arithmetic(case.f2, P), in_arithmetic(case.g2, P)), P)
        worst = max(abs(v) for v in np.asarray(lp - lp2, dtype=object).ravel())
        return float(worst * P.scalar(10) ** (P.dps - guard))

    return score


@THM22_IF.method("search")
def _(ctx: Context) -> Outcome:
    out = search_outcome(ctx, "thm2.2-if", if_score(), ctx.examples(40, 1000))
    return out.with_scope(instances("searched pairs, M <= 3, cond(A) <= 1e8"))
