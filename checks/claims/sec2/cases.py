"""Test material for Theorem 2.2 (Section 2): exact pairs over ``Q`` and the seeded search.

Pairs for the "if" direction are built exactly over ``Q``: a random primed model ``(f', g')``
with small rational entries, and ``A = Q_1 diag(s) Q_2`` with ``Q_i`` rational orthogonal (Cayley
transforms) and ``s`` from 1 down to ``1/cond``, so ``cond(A)`` is known exactly; the unprimed
model is ``f = A f'``, ``g(y) = g(y_0) + A⁻ᵀ(g'(y) − g'(y_0))`` with a random ``g(y_0)``.
:func:`search_outcome` runs the hypothesis searches of both directions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from checks.registry import Context, Outcome
from checks.search import run_search
from theory.identifiability import (
    exact_affine_rank,
    exact_matrix,
    inverse_transpose,
)
from theory.precision import MP, Arithmetic


# ---------------------------------------------------------------------------------------------
# test pairs
# ---------------------------------------------------------------------------------------------

Exact = np.ndarray  # object array of Fraction


@dataclass(frozen=True)
class Case:
    """A primed model ``(f', g')``, a matrix ``A``, and ``g(y_0)`` (all exact rationals)."""

    f2: Exact
    g2: Exact
    a: Exact
    g_pivot: Exact
    cond: Fraction | None = None  # exact condition number of A when known

    @property
    def m(self) -> int:
        return int(self.a.shape[0])


def _fractions(x: Any) -> Exact:
    return np.vectorize(lambda v: Fraction(int(v.p), int(v.q)), otypes=[object])(np.asarray(x, dtype=object))


def from_fmpq_mat(m: Any) -> Exact:
    return _fractions(np.array([[m[i, j] for j in range(m.ncols())] for i in range(m.nrows())], dtype=object))


def _cayley(rng: np.random.Generator, m: int) -> Any:
    """A rational orthogonal matrix ``(I − S)(I + S)⁻¹`` from a random rational skew ``S``."""
    import flint

    s = np.zeros((m, m), dtype=object)
    for i in range(m):
        for j in range(i + 1, m):
            v = Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 5)))
            s[i, j], s[j, i] = v, -v
    s_mat = exact_matrix(s)
    eye = flint.fmpq_mat(m, m, [flint.fmpq(int(i == j)) for i in range(m) for j in range(m)])
    return (eye - s_mat) * (eye + s_mat).inv()


def conditioned_matrix(rng: np.random.Generator, m: int, cond: Fraction) -> Exact:
    """``Q_1 diag(s) Q_2`` with exact singular values ``s_i = cond^{-i/(m-1)}`` rounded to powers
    of ten (so the condition number is exactly ``cond`` when ``cond`` is a power of ten)."""
    exponent = round(math.log10(cond))
    s = [Fraction(1, 10 ** round(exponent * i / max(m - 1, 1))) for i in range(m)]
    if m == 1:
        s = [Fraction(1, 10 ** exponent)]
    d = exact_matrix(np.diag(np.array(s, dtype=object)))
    return from_fmpq_mat(_cayley(rng, m) * d * _cayley(rng, m))


def random_case(rng: np.random.Generator, m: int, n: int, k: int, cond: Fraction) -> Case:
    """A seeded random test pair (see the module docstring)."""

    def rational(shape: tuple[int, ...]) -> Exact:
        return np.vectorize(lambda v: Fraction(int(v), 8), otypes=[object])(rng.integers(-24, 25, size=shape))

    return Case(rational((n, m)), rational((k, m)), conditioned_matrix(rng, m, cond), rational((m,)),
                cond if m > 1 else Fraction(1))


def default_cases(seed: int) -> list[Case]:
    """M = 1..4 with cond(A) = 10^4 and 10^8 (M ≥ 2), K = M+2 labels, n = M+3 inputs."""
    rng = np.random.default_rng(seed)
    cases = []
    for m in range(1, 5):
        for cond in (Fraction(10**4), Fraction(10**8)):
            if m == 1 and cond > 10**4:
                continue
            cases.append(random_case(rng, m, m + 3, m + 2, cond))
    return cases


def in_arithmetic(x: Any, P: Arithmetic) -> np.ndarray:
    """Exact rationals (or numbers ``P`` already reads) as an array of ``P``."""
    a = np.asarray(x, dtype=object)

    def conv(v: Any) -> Any:
        if isinstance(v, Fraction):
            return P.scalar(v.numerator) / P.scalar(v.denominator)
        return P.scalar(v)

    with P.active():
        return np.asarray(np.frompyfunc(conv, 1, 1)(a), dtype=object)


DualFn = Callable[[np.ndarray, Arithmetic], np.ndarray]


def dual_inverse_transpose(a: np.ndarray, P: Arithmetic) -> np.ndarray:
    return inverse_transpose(a, P)


def unprimed_model(case: Case, P: Arithmetic, dual: DualFn = dual_inverse_transpose) -> tuple[np.ndarray, np.ndarray]:
    """``F = F'Aᵀ`` and ``G = 1 g(y_0)ᵀ + (G' − 1 g'(y_0)ᵀ) Bᵀ`` with ``B = dual(A)`` (``A⁻ᵀ`` for
    ``~_L``), computed in ``P``."""
    with P.active():
        a = in_arithmetic(case.a, P)
        f2, g2 = in_arithmetic(case.f2, P), in_arithmetic(case.g2, P)
        b = dual(a, P)
        g = in_arithmetic(case.g_pivot, P)[None, :] + (g2 - g2[[0]]) @ b.T
        return f2 @ a.T, g


def exact_inverse_transpose(a: Any) -> Any:
    """``A⁻ᵀ`` of an ``fmpq_mat``, exactly."""
    return a.inv().transpose()


def exact_unprimed_model(case: Case, dual: Callable[[Any], Any] = exact_inverse_transpose) -> tuple[Exact, Exact]:
    """:func:`unprimed_model` exactly over ``Q`` (``dual`` maps an ``fmpq_mat`` A to B)."""
    b = dual(exact_matrix(case.a))
    g2_0 = exact_matrix(np.asarray(case.g2, dtype=object) - np.asarray(case.g2, dtype=object)[[0]])
    g = from_fmpq_mat(g2_0 * b.transpose()) + np.asarray(case.g_pivot, dtype=object)[None, :]
    f = from_fmpq_mat(exact_matrix(case.f2) * exact_matrix(case.a).transpose())
    return f, g


def is_zero(e: Any) -> bool:
    """A sympy scalar or matrix expression that is exactly zero."""
    import sympy as sp

    return e == 0 or isinstance(e, sp.ZeroMatrix)


def matrix_symbol_at_random_point(raw: Any, symbols: tuple[Any, ...], seed: int) -> float:
    """``|raw|`` with random numeric matrices substituted for the MatrixSymbols (mpmath, 60 digits)."""
    import sympy as sp

    rng = np.random.default_rng(seed + 17)
    values = {}
    for s in symbols:
        entries = rng.integers(-30, 31, s.shape[0] * s.shape[1])
        values[s] = sp.Matrix(s.shape[0], s.shape[1], [sp.Rational(int(v), 7) for v in entries])
    out = sp.Matrix(raw.subs(values).doit())
    return float(max(abs(sp.N(v, 60)) for v in out))


# -- hypothesis search -------------------------------------------------------------------------


@st.composite
def searched_case(draw: st.DrawFn) -> Case:
    """A random diverse-sized pair: M ≤ 3, small rational entries, cond(A) = 10^e with e ≤ 8."""
    m = draw(st.integers(1, 3))
    n = m + 1 + draw(st.integers(0, 3))
    k = m + 1 + draw(st.integers(0, 2))
    entries = st.integers(-40, 40).map(lambda v: Fraction(v, 8))

    def matrix(r: int, c: int) -> Exact:
        return np.array(draw(st.lists(entries, min_size=r * c, max_size=r * c)), dtype=object).reshape(r, c)

    exponent = draw(st.integers(0, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return Case(matrix(n, m), matrix(k, m), conditioned_matrix(rng, m, Fraction(10**exponent)),
                matrix(1, m)[0], Fraction(10**exponent) if m > 1 else Fraction(1))


def _describe(case: Case) -> dict[str, Any]:
    return {"M": case.m, "n": int(case.f2.shape[0]), "K": int(case.g2.shape[0]),
            "cond_A": str(case.cond), "f_prime": [[str(v) for v in row] for row in case.f2],
            "g_prime": [[str(v) for v in row] for row in case.g2], "A": [[str(v) for v in row] for row in case.a]}


def exactly_diverse(f: Any, g: Any) -> bool:
    return exact_affine_rank(f) == f.shape[1] and exact_affine_rank(g) == g.shape[1]


def search_outcome(ctx: Context, name: str, score: Callable[[Any, Arithmetic], float | None], examples: int,
                   strategy: st.SearchStrategy[Any] | None = None,
                   describe: Callable[[Any], dict[str, Any]] | None = None) -> Outcome:
    """Run a seeded search maximising ``score`` (``> 1`` is a violation), re-verified at ``check_dps``;
    the examples are ``strategy``'s (default: :func:`searched_case`), shown by ``describe``."""
    lo, hi = MP(ctx.dps), MP(ctx.check_dps)
    tried = {"valid": 0}
    show = describe or _describe

    def counted(example: Any) -> float | None:
        s = score(example, lo)
        if s is not None:
            tried["valid"] += 1
        return s

    def reverify(example: Any) -> dict[str, Any] | None:
        s = score(example, hi)
        return None if s is None or s <= 1 else {"ratio_check_dps": s, **show(example)}

    result = run_search(name, searched_case() if strategy is None else strategy, counted, show, reverify,
                        examples=examples, seed_value=ctx.seed)
    evidence = {"examples": examples, "valid_examples": tried["valid"], "seed": ctx.seed, "dps": ctx.dps,
                "check_dps": ctx.check_dps, "worst_ratio": result.best[0]["ratio"] if result.best else None,
                "unconfirmed_violations": result.dropped, "hypothesis": result.as_json()["hypothesis"]}
    if result.violations:
        return Outcome.refuted(witness=result.violations[0], **evidence)
    if tried["valid"] == 0:
        return Outcome.undecided("no valid example generated", **evidence)
    return Outcome.verified(**evidence)
