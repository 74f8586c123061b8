"""Claims about the definitions themselves (the moments): the choice of moments.

This suite fixes population moments (``ddof = 0``) while the paper's code uses ``ddof = 1``; every
quantity of Section 4 except the scale terms ``T3``, ``T4`` is the same under both.  The reason is
two facts about ``SD_d(v) = √(Σ(v − v̄)²/(n − d))``:
``SD_d = κ_d · SD_0`` with ``κ_d = √(n/(n − d))``, and ``SD_0(v/κ) = SD_0(v)/κ`` for ``κ > 0``;
so ``a_d = κ SD_0(ℓ/(κσ) − ℓ'/(κσ')) = a_0`` (likewise ``b, c, e``), the standardised vectors are
``ũ_d = ũ_0/κ`` and ``Cov_d(ũ_d, ṽ_d) = Σ ũ_0 ṽ_0 /(κ²(n − d)) = Cov_0(ũ_0, ṽ_0)``, while
``|σ_d − σ'_d| = κ |σ_0 − σ'_0|``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy as sp

from checks.evidence import numeric_zero
from checks.registry import Context, Outcome, claim, general_given, instances
from theory.distances import Sets, label_subsets, llv_terms, m_svd
from theory.identifiability import input_matrix, label_matrix
from theory.model import Model, log_probs
from theory.precision import Arithmetic
from theory.selection import default_sets

__all__ = ["DDOF", "INVARIANT", "check_ddof_numeric", "check_ddof_symbolic", "ddof_lemmas", "ddof_lemmas_general"]

#: The quantities the claim says are unchanged by ``ddof``; ``T3``, ``T4`` scale by ``κ``.
INVARIANT = ("a", "b", "c", "e", "T1", "T2", "m_svd")

DDOF = claim(
    "sec1-ddof-invariance",
    "Every Section 4 quantity except the scale terms T3, T4 is the same with population moments "
    "(ddof 0, as defined here) and with the paper code's ddof 1: a_y, b_y, c_x, e_x, T1, T2, m_SVD "
    "and d_{f,g}; T3 and T4 are multiplied by √(n/(n−1)) and √(K/(K−1)).",
    r"a^{(1)} = a^{(0)},\ \dots,\ d_{f,g}^{(1)} = d_{f,g}^{(0)},\quad "
    r"T_3^{(1)} = \sqrt{\tfrac{n}{n-1}}\,T_3^{(0)},\ T_4^{(1)} = \sqrt{\tfrac{K}{K-1}}\,T_4^{(0)}",
    "Definitions (moments); Section 4 definitions",
    "new",
)


def _kappa_squared(n: int | sp.Symbol) -> Any:
    """``κ² = n/(n − 1)``, the ratio of the ddof-1 to the ddof-0 variance."""
    return sp.sympify(n) / (n - 1)


def ddof_lemmas_general(kappa_squared: Callable[[Any], Any] = _kappa_squared) -> dict[str, sp.Expr]:
    """The two lemmas for a symbolic sample size n (``IndexedBase``, ``Sum``): residuals
    ``Var_1(v) − κ²·Var_0(v)`` and ``κ²·Var_0(v/κ) − Var_0(v)`` (both must be 0)."""
    n = sp.Symbol("n", integer=True, positive=True)
    kappa = sp.Symbol("kappa", positive=True)
    j, k = sp.symbols("j k", integer=True)
    v = sp.IndexedBase("v", real=True)

    def var(w: Callable[[Any], Any], d: int) -> Any:
        mean = sp.Sum(w(k), (k, 0, n - 1)) / n
        return sp.Sum((w(j) - mean) ** 2, (j, 0, n - 1)) / (n - d)

    return {
        "Var_1 = n/(n-1) Var_0": sp.simplify(var(lambda i: v[i], 1) - kappa_squared(n) * var(lambda i: v[i], 0)),
        "κ² Var_0(v/κ) = Var_0(v)": sp.factor_terms(sp.expand(kappa**2 * var(lambda i: v[i] / kappa, 0)
                                                               - var(lambda i: v[i], 0))),
    }


def ddof_lemmas(
    sizes: Sequence[int] = (2, 3, 4), kappa_squared: Callable[[Any], Any] = _kappa_squared
) -> dict[str, Any]:
    """The two lemmas as polynomial identities in symbolic vectors (squared, so no branch of √):
    ``Var_d(v) − n/(n−d)·Var_0(v) = 0`` and ``κ²·Var_0(v/κ) − Var_0(v) = 0``; each also evaluated
    at a random rational point, since a simplification to 0 alone is not trusted."""
    kappa = sp.symbols("kappa", positive=True)
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    for n in sizes:
        v = sp.symbols(f"v0:{n}", real=True)
        mean = sum(v) / n

        def var(x: Sequence[Any], d: int, m: Any, n: int = n) -> Any:
            return sum((xi - m) ** 2 for xi in x) / (n - d)

        lemma1 = sp.expand(var(v, 1, mean) - kappa_squared(n) * var(v, 0, mean))
        scaled = [vi / kappa for vi in v]
        lemma2 = sp.simplify(kappa**2 * var(scaled, 0, sum(scaled) / n) - var(v, 0, mean))
        point = {vi: sp.Rational(int(rng.integers(-50, 50)), int(rng.integers(1, 9))) for vi in v}
        point[kappa] = sp.Rational(7, 3)
        out[f"n={n}"] = {
            "Var_1 = n/(n-1) Var_0": str(lemma1),
            "κ² Var_0(v/κ) = Var_0(v)": str(lemma2),
            "at a rational point": [str(lemma1.subs(point)), str(lemma2.subs(point))],
        }
    return out


def check_ddof_symbolic(
    sizes: Sequence[int] = (2, 3, 4), kappa_squared: Callable[[Any], Any] = _kappa_squared
) -> Outcome:
    """Verified when both lemmas reduce to 0 for a symbolic n and, as a cross-check of sympy's
    Sum calculus, for every n in ``sizes`` symbolically and at a rational point.  Scope: general,
    given how each quantity follows from the lemmas (the module docstring's argument, not encoded
    here; the formal method proves the whole claim)."""
    general = {k: str(v) for k, v in ddof_lemmas_general(kappa_squared).items()}
    lemmas = ddof_lemmas(sizes, kappa_squared)
    bad: dict[str, Any] = {n: r for n, r in lemmas.items()
                           if any(s != "0" for s in [*list(r.values())[:2], *r["at a rational point"]])}
    if any(v != "0" for v in general.values()):
        bad["symbolic n"] = general
    step = "the step from the lemmas to a, b, c, e, T1..T4, m_SVD (module docstring)"
    evidence = {"symbolic_n": general, "lemmas": lemmas, "sizes": list(sizes), "scope": general_given(step),
                "not encoded": step}
    if bad:
        return Outcome.refuted(witness=bad, **evidence)
    return Outcome.verified(**evidence)


def _pair(seed: int, n: int = 12, k: int = 5, m: int = 2) -> tuple[Model, Model, Sets]:
    rng = np.random.default_rng(seed)
    f, g = rng.normal(size=(n, m)), 2 * rng.normal(size=(k, m))
    a = Model(f, g)
    b = Model(f + 0.3 * rng.normal(size=f.shape), g + 0.3 * rng.normal(size=g.shape))
    return a, b, default_sets(a, b)


def ddof_values(a: Model, b: Model, sets: Sets, P: Arithmetic, ddof: int) -> dict[str, Any]:
    """Every Section 4 quantity at ``ddof``: the ``d_LLV`` terms and the ``m_SVD`` of every side of
    ``d_{f,g}`` (each f-side M-subset of ``S_Y`` over inputs, the g side over labels)."""
    t = llv_terms(log_probs(a, P), log_probs(b, P), sets, P, ddof=ddof)
    ff, gg, ff2, gg2 = (P.array(x) for x in (a.f, a.g, b.f, b.g))
    sides = [
        (ff @ label_matrix(gg, sets.pivot_label, s, P), ff2 @ label_matrix(gg2, sets.pivot_label, s, P))
        for s in label_subsets(sets.labels, a.M)
    ]
    nn, nn2 = (input_matrix(x, sets.pivot_input, sets.inputs, P) for x in (ff, ff2))
    sides.append((gg @ nn, gg2 @ nn2))
    return {"a": t.a, "b": t.b, "c": t.c, "e": t.e, "T1": t.T1, "T2": t.T2, "T3": t.T3, "T4": t.T4,
            "m_svd": np.array([m_svd(u, v, P, ddof=ddof) for u, v in sides], dtype=object)}


def check_ddof_numeric(ctx: Context, invariant: Sequence[str] = INVARIANT, seeds: Sequence[int] = (0, 1, 2)) -> Outcome:
    """Residuals ``q(ddof=1) − q(ddof=0)`` for the ``invariant`` quantities, and of the scale factors
    of ``T3``, ``T4``, at ``ctx.dps`` and re-checked at ``ctx.check_dps``.  (``d_{f,g}`` is the
    largest ``1 − m_SVD`` over its sides, so it is invariant when every side's ``m_SVD`` is.)"""

    def residuals(P: Arithmetic) -> list[Any]:
        out: list[Any] = []
        for seed in seeds:
            a, b, sets = _pair(seed)
            v0, v1 = ddof_values(a, b, sets, P, 0), ddof_values(a, b, sets, P, 1)
            kn = P.sqrt(np.array([P.scalar(a.n) / P.scalar(a.n - 1)], dtype=object))[0]
            kk = P.sqrt(np.array([P.scalar(a.K) / P.scalar(a.K - 1)], dtype=object))[0]
            for q in invariant:
                out.extend(np.ravel(np.asarray(v1[q] - v0[q], dtype=object)))
            out += [v1["T3"] - kn * v0["T3"], v1["T4"] - kk * v0["T4"]]
        return out

    outcome = numeric_zero(residuals, ctx)
    return Outcome(outcome.verdict, {**outcome.evidence, "pairs": len(seeds), "invariant": list(invariant),
                                     "scope": instances(f"{len(seeds)} random pairs, n = 12, K = 5, M = 2")})


DDOF.method("symbolic")(lambda ctx: check_ddof_symbolic())
DDOF.method("numeric")(check_ddof_numeric)
