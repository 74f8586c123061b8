"""Claims of Section 2 of the paper: Def 2.1, Theorem 2.2,
and the necessity of diversity.

Each method is a thin wrapper around a parameterised checker (``check_…``) that the tests feed
deliberately false variants (``A⁻¹`` in place of ``A⁻ᵀ``, a singular ``A``, a perturbed witness).

Test pairs for the "if" direction are built exactly over ``Q``: a random primed model ``(f', g')``
with small rational entries, and ``A = Q_1 diag(s) Q_2`` with ``Q_i`` rational orthogonal (Cayley
transforms) and ``s`` from 1 down to ``1/cond``, so ``cond(A)`` is known exactly; the unprimed
model is ``f = A f'``, ``g(y) = g(y_0) + A⁻ᵀ(g'(y) − g'(y_0))`` with a random ``g(y_0)``.

Pairs for the "only if" direction are built without any ``A`` (:func:`logit_pair`): one random
rank-M logit matrix, a per-input constant added for the second model, and two independent exact
factorisations of the displaced logits; ``p = p'`` is certified before any verdict.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from checks.evidence import numeric_zero
from checks.registry import GENERAL, Context, Outcome, claim, instances
from checks.search import run_search
from theory.derivations import identifiability as sym
from theory.distances import Sets
from theory.identifiability import (
    diversity,
    exact_affine_rank,
    exact_equal_distributions,
    exact_linear_relation,
    exact_matrix,
    greedy_affine_basis,
    input_matrix,
    inverse_transpose,
    is_singular,
    label_matrix,
    recover_A,
    recover_dual,
    relation_residuals,
)
from theory.model import Model, log_probs
from theory.precision import FLOAT64, MP, Arithmetic



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


def _from_fmpq_mat(m: Any) -> Exact:
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
    return _from_fmpq_mat(_cayley(rng, m) * d * _cayley(rng, m))


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


def _inverse_transpose(a: np.ndarray, P: Arithmetic) -> np.ndarray:
    return inverse_transpose(a, P)


def unprimed_model(case: Case, P: Arithmetic, dual: DualFn = _inverse_transpose) -> tuple[np.ndarray, np.ndarray]:
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
    g = _from_fmpq_mat(g2_0 * b.transpose()) + np.asarray(case.g_pivot, dtype=object)[None, :]
    f = _from_fmpq_mat(exact_matrix(case.f2) * exact_matrix(case.a).transpose())
    return f, g


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
    parts["general_M_K"] = (Outcome.verified(residuals=shown) if all(_is_zero(v) for v in general.values())
                            else Outcome.refuted(witness=shown))
    for m in sorted({m for m, _ in dims}):
        ms = sym.if_direction_matrix_symbol(m, matrix_symbol_dual)
        raw_value = _matrix_symbol_at_random_point(ms["raw"], ms["symbols"], seed)
        agree = ms["simplified"] == 0 and ms["explicit"] == 0 and raw_value < 1e-40
        evidence = {"M": m, "simplified": str(ms["simplified"])[:80], "explicit_zero": ms["explicit"] == 0,
                    "numeric_at_random_point": f"{raw_value:.3g}"}
        parts[f"matrix_symbol_M{m}"] = Outcome.verified(**evidence) if agree else Outcome.refuted(
            witness=str(ms["simplified"])[:200], **evidence)
    return Outcome.combine(parts).with_scope(GENERAL)


def _is_zero(e: Any) -> bool:
    """A sympy scalar or matrix expression that is exactly zero."""
    import sympy as sp

    return e == 0 or isinstance(e, sp.ZeroMatrix)


def _matrix_symbol_at_random_point(raw: Any, symbols: tuple[Any, ...], seed: int) -> float:
    """``|raw|`` with random numeric matrices substituted for the MatrixSymbols (mpmath, 60 digits)."""
    import sympy as sp

    rng = np.random.default_rng(seed + 17)
    values = {}
    for s in symbols:
        entries = rng.integers(-30, 31, s.shape[0] * s.shape[1])
        values[s] = sp.Matrix(s.shape[0], s.shape[1], [sp.Rational(int(v), 7) for v in entries])
    out = sp.Matrix(raw.subs(values).doit())
    return float(max(abs(sp.N(v, 60)) for v in out))


@THM22_IF.method("symbolic")
def _(ctx: Context) -> Outcome:
    return check_if_symbolic(seed=ctx.seed)


def check_if_numeric(
    ctx: Context, cases: Sequence[Case], dual: DualFn = _inverse_transpose, guard: int = 16
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


def _diverse(f: Any, g: Any) -> bool:
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


def if_score(dual: DualFn = _inverse_transpose, guard: int = 16) -> Callable[[Case, Arithmetic], float | None]:
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


# ---------------------------------------------------------------------------------------------
# Theorem 2.2, "only if"
# ---------------------------------------------------------------------------------------------

THM22_ONLY_IF = claim(
    "thm2.2-only-if",
    "If (f,g) is diverse and p_{f,g} = p_{f',g'}, then (f,g) ~_L (f',g') with A = L^{-T} L'^T and "
    "A^{-T} = N^{-T} N'^T; L' and N' are then invertible too.",
    r"p_{f,g}=p_{f',g'} \Rightarrow f = Af',\ g_0 = A^{-\top}g'_0,\ A=L^{-\top}L'^{\top},\ "
    r"A^{-\top}=N^{-\top}N'^{\top}",
    "Theorem 2.2",
    "paper",
    depends_on=("sec4-bound-logratio", "def2.1-diversity"),
)

FormulaA = Callable[[Any, Any], Any]


def check_only_if_symbolic(
    dims: Sequence[int] = (1, 2),
    identity_dims: Sequence[int] = (1, 2, 3),
    matrix_symbol_dims: Sequence[int] = (1, 2, 3, 4),
    formula_A: FormulaA = sym.paper_A,
    formula_dual: FormulaA = sym.paper_dual,
    subtract_pivot_input: bool = True,
    seed: int = 0,
) -> Outcome:
    """The derivation: key identities (``identity_dims``, K = n = M+2), the unique solutions
    ``A = L⁻ᵀL'ᵀ`` and ``A⁻ᵀ = N⁻ᵀN'ᵀ``, their consistency and the invertibility of ``L', N'``
    (explicit, ``dims``; M = 3 takes ~10 s and runs with ``--deep``), and the consistency in
    MatrixSymbol form for symbolic M (with ``det(L'ᵀN') = det(LᵀN)``) and at ``matrix_symbol_dims``
    (cross-checked on explicit matrices and numerically).  Scope: general (the key identities are
    the premise ``sec4-bound-logratio``)."""
    parts: dict[str, Outcome] = {}
    work = [("key_identities", m, lambda m=m: sym.key_identities_explicit(m, m + 2, m + 2, subtract_pivot_input))
            for m in identity_dims]
    work += [("linear_algebra", m, lambda m=m: sym.only_if_explicit(m, formula_A, formula_dual)) for m in dims]
    for name, m, derive in work:
        res = derive()
        failing = {key: sym.nonzero(v, seed) for key, v in res.items()}
        evidence = {"M": m, "residuals": {key: len(v) for key, v in res.items()}}
        parts[f"{name}_M{m}"] = Outcome.verified(**evidence) if not any(failing.values()) else Outcome.refuted(
            witness={key: str(res[key][v[0]])[:160] for key, v in failing.items() if v}, **evidence)
    for m in matrix_symbol_dims:
        ms = sym.only_if_matrix_symbol(m)
        raw_value = _matrix_symbol_at_random_point(ms["raw"], ms["symbols"], seed)
        ok = ms["simplified_zero"] and not sym.nonzero(ms["explicit"], seed) and raw_value < 1e-40
        evidence = {"M": m, "simplified_zero": ms["simplified_zero"], "numeric_at_random_point": f"{raw_value:.3g}"}
        parts[f"matrix_symbol_M{m}"] = Outcome.verified(**evidence) if ok else Outcome.refuted(
            witness="N^{-T}N'^T != (L^{-T}L'^T)^{-T} under L^T N = L'^T N'", **evidence)
    general = sym.only_if_matrix_symbol(sym.DIM)
    ok = general["simplified_zero"] and _is_zero(general["determinants"])
    evidence = {"M": "symbolic", "simplified_zero": general["simplified_zero"],
                "det(L'^T N') - det(L^T N)": str(general["determinants"])}
    parts["matrix_symbol_general_M"] = Outcome.verified(**evidence) if ok else Outcome.refuted(
        witness="the consistency or the determinant identity fails for symbolic M", **evidence)
    out = Outcome.combine(parts)
    out.evidence["not encoded"] = ("the key identities for symbolic M (the premise sec4-bound-logratio; "
                                   "explicit here at M in identity_dims)")
    return out.with_scope(GENERAL)


@THM22_ONLY_IF.method("symbolic")
def _(ctx: Context) -> Outcome:
    return check_only_if_symbolic(dims=(1, 2, 3) if ctx.deep else (1, 2), seed=ctx.seed)


def _anchor_sets(f: np.ndarray, g: np.ndarray, pivot_label: int = 0, pivot_input: int = 0) -> Sets | None:
    """Labels ``y_0..y_M`` and inputs ``x_0..x_M`` witnessing diversity of ``(f, g)`` (Def 2.1)."""
    m = f.shape[1]
    ys = greedy_affine_basis([FLOAT64.midpoint(g)], m, pivot_label, tol=1e-13)
    xs = greedy_affine_basis([FLOAT64.midpoint(f)], m, pivot_input, tol=1e-13)
    if ys is None or xs is None:
        return None
    return Sets(pivot_label, ys, pivot_input, xs)


# -- pairs with equal distributions, built from logits (no matrix A is planted) ----------------


@dataclass(frozen=True)
class Pair:
    """Two models ``(F, G)``, ``(F', G')`` (exact rationals) meant to have equal distributions."""

    f: Exact
    g: Exact
    f2: Exact
    g2: Exact

    @property
    def m(self) -> int:
        return int(self.f.shape[1])


def _independent_subset(rng: np.random.Generator, count: int, m: int, ok: Callable[[list[int]], bool],
                        start: int = 0) -> list[int] | None:
    """A random ``m``-subset of ``start..count−1`` with ``ok(subset)`` (tried in a random order)."""
    for _ in range(50):
        subset = sorted(int(i) for i in rng.choice(np.arange(start, count), size=m, replace=False))
        if ok(subset):
            return subset
    return None


def logit_pair(rng: np.random.Generator, m: int, n: int, k: int) -> Pair | None:
    """Equal-distribution models from a random logit matrix, independently of any ``A``.

    A random integer logit matrix ``Z = UVᵀ`` of rank M (n×K); the second model's logits are
    ``Z + c1ᵀ`` with a random per-input constant ``c``.  Each is displaced by label 0
    (``D = Z − Z[:, 0]1ᵀ``, the log-odds) and factorised on its own: model 1 through M independent
    columns (``F = D[:, J]``, ``G_0ᵀ = F[I]⁻¹ D[I, :]``), model 2 through M independent rows
    (``G'_0ᵀ = D'[I', :]``, ``F' = D'[:, J'] D'[I', J']⁻¹``), each with its own random ``g(y_0)``.
    None when the draw is not diverse (the theorem's hypothesis).
    """
    import flint

    def rational(shape: tuple[int, ...]) -> Exact:
        return np.vectorize(lambda v: Fraction(int(v), 4), otypes=[object])(rng.integers(-12, 13, size=shape))

    z = exact_matrix(rng.integers(-4, 5, size=(n, m))) * exact_matrix(rng.integers(-4, 5, size=(k, m))).transpose()
    shift = exact_matrix(rational((n, 1))) * exact_matrix(np.ones((1, k), dtype=object))
    z2 = z + shift

    def displaced(x: Any) -> Any:
        return x - flint.fmpq_mat(n, 1, [x[i, 0] for i in range(n)]) * exact_matrix(np.ones((1, k), dtype=object))

    def sub(x: Any, rows: list[int], cols: list[int]) -> Any:
        return flint.fmpq_mat(len(rows), len(cols), [x[i, j] for i in rows for j in cols])

    d1, d2 = displaced(z), displaced(z2)
    if d1.rank() != m:
        return None
    everything = list(range(max(n, k)))
    cols = _independent_subset(rng, k, m, lambda c: sub(d1, list(range(n)), c).rank() == m, start=1)
    if cols is None:
        return None
    f = sub(d1, list(range(n)), cols)
    rows = _independent_subset(rng, n, m, lambda r: sub(f, r, list(range(m))).det() != 0)
    rows2 = _independent_subset(rng, n, m, lambda r: sub(d2, r, everything[:k]).rank() == m)
    if rows is None or rows2 is None:
        return None
    g0 = (sub(f, rows, list(range(m))).inv() * sub(d1, rows, everything[:k])).transpose()
    cols2 = _independent_subset(rng, k, m, lambda c: sub(d2, rows2, c).det() != 0, start=1)
    if cols2 is None:
        return None
    g20 = sub(d2, rows2, everything[:k]).transpose()
    f2 = sub(d2, list(range(n)), cols2) * sub(d2, rows2, cols2).inv()
    ones = exact_matrix(np.ones((k, 1), dtype=object))
    g = g0 + ones * exact_matrix(rational((1, m)))
    g2 = g20 + ones * exact_matrix(rational((1, m)))
    pair = Pair(*(_from_fmpq_mat(x) for x in (f, g, f2, g2)))
    return pair if _diverse(pair.f, pair.g) else None


def logit_pairs(seed: int, dims: Sequence[int] = (1, 2, 3, 4), per_m: int = 2) -> list[Pair]:
    """``per_m`` diverse logit pairs (:func:`logit_pair`) for each M in ``dims``: K = M+2, n = M+3."""
    rng = np.random.default_rng(seed)
    out: list[Pair] = []
    for m in dims:
        made = 0
        while made < per_m:
            pair = logit_pair(rng, m, m + 3, m + 2)
            if pair is not None:
                out.append(pair)
                made += 1
    return out


def displaced_log_odds(f: Any, g: Any) -> Any:
    """``ℓ(y|x) − ℓ(y_0|x) = f(x)ᵀ(g(y) − g(y_0))`` for all x, y (pivot label 0), exactly: two
    models have equal conditionals iff these matrices are equal."""
    gg = np.asarray(g, dtype=object)
    return exact_matrix(f) * exact_matrix(gg - gg[[0]]).transpose()


def only_if_residuals(
    pair: Pair,
    P: Arithmetic,
    formula_A: Callable[..., np.ndarray] = recover_A,
    claimed_dual: DualFn = _inverse_transpose,
) -> dict[str, Any]:
    """Recover ``A`` from the two distributions and check the conclusion of Theorem 2.2.

    What is used: the log-probability tables ``ℓ, ℓ'`` (n×K), and the anchors of Def 2.1 —
    the embeddings at ``x_0..x_M`` (``N, N'``) for ``A = N D⁻¹D'N'⁻¹`` (= ``L⁻ᵀL'ᵀ``) and the
    unembeddings at ``y_0..y_M`` (``L, L'``) for ``B = L D⁻ᵀD'ᵀL'⁻¹`` (= ``N⁻ᵀN'ᵀ``), with
    ``D = LᵀN`` read off ``ℓ``.  The full ``F, G, F', G'`` are used only to measure the residuals
    (relative to the largest entry of each block):
    ``f − Af'`` over all x, ``g_0 − Bg'_0`` over all y, ``B − claimed_dual(A)``, ``A`` against
    the exact solution of ``F = F'Aᵀ``, ``G_0 A = G'_0`` and against the paper's ``L⁻ᵀL'ᵀ``, ``B``
    against ``N⁻ᵀN'ᵀ``.  Also reports whether ``L'`` and ``N'`` are invertible.
    """
    rel = exact_linear_relation(pair.f, pair.g, pair.f2, pair.g2)
    if rel.a is None:
        raise ValueError("the pair has no unique A: not a diverse pair with equal distributions")
    with P.active():
        f, g, f2, g2 = (in_arithmetic(x, P) for x in (pair.f, pair.g, pair.f2, pair.g2))
        sets = _anchor_sets(f, g)
        if sets is None:
            raise ValueError("the generated model is not diverse")
        lp, lp2 = log_probs(Model(f, g), P), log_probs(Model(f2, g2), P)
        y0, ys, x0, xs = sets.pivot_label, sets.labels, sets.pivot_input, sets.inputs
        n, n2 = input_matrix(f, x0, xs, P), input_matrix(f2, x0, xs, P)
        lab, lab2 = label_matrix(g, y0, ys, P), label_matrix(g2, y0, ys, P)
        a = formula_A(lp, lp2, sets, n, n2, P)
        b = recover_dual(lp, lp2, sets, lab, lab2, P)
        rf, rg = relation_residuals(f, g, f2, g2, a, y0, dual=b, P=P)

        def rel_res(r: np.ndarray, *scale: np.ndarray) -> list[Any]:
            big = max([P.scalar(1)] + [abs(v) for s in scale for v in np.asarray(s, dtype=object).ravel()])
            return [abs(v) / big for v in np.asarray(r, dtype=object).ravel()]

        g0 = g - g[[y0]]
        paper_a = P.solve(lab.T, lab2.T)  # L⁻ᵀL'ᵀ
        paper_b = P.solve(n.T, n2.T)  # N⁻ᵀN'ᵀ
        exact_a = in_arithmetic(_from_fmpq_mat(rel.a), P)
        return {
            "f_minus_Af'": rel_res(rf, f),
            "g0_minus_Bg'0": rel_res(rg, g0),
            "B_minus_dual(A)": rel_res(b - claimed_dual(a, P), b),
            "A_minus_exact_solution": rel_res(a - exact_a, a),
            "A_minus_L^-T_L'^T": rel_res(a - paper_a, a),
            "B_minus_N^-T_N'^T": rel_res(b - paper_b, b),
            "L'_N'_invertible": not is_singular(lab2, P) and not is_singular(n2, P),
            "sets": sets.as_dict(),
        }


RESIDUALS = ("f_minus_Af'", "g0_minus_Bg'0", "B_minus_dual(A)", "A_minus_exact_solution", "A_minus_L^-T_L'^T",
             "B_minus_N^-T_N'^T")

#: What the only-if instances are (the scope of its numeric, certified and search checks).
ONLY_IF_PAIRS = "pairs from random rank-M logits, factorised independently, M = 1..4"


def check_only_if_numeric(
    ctx: Context,
    pairs: Sequence[Pair],
    formula_A: Callable[..., np.ndarray] = recover_A,
    claimed_dual: DualFn = _inverse_transpose,
    guard: int = 16,
) -> Outcome:
    """Recovery of ``A`` from the distributions (see :func:`only_if_residuals`) on every pair, at
    ``ctx.dps`` and re-checked at ``ctx.check_dps``; ``p = p'`` is first certified exactly (equal
    displaced log-odds) and ``L'``, ``N'`` must be invertible."""
    for i, pair in enumerate(pairs):
        if displaced_log_odds(pair.f, pair.g) != displaced_log_odds(pair.f2, pair.g2):
            return Outcome.undecided(f"pair {i}: p != p' (displaced log-odds differ), not an instance")
    singular: list[int] = []

    def residuals(P: Arithmetic) -> list[Any]:
        out: list[Any] = []
        for i, pair in enumerate(pairs):
            r = only_if_residuals(pair, P, formula_A, claimed_dual)
            if not r["L'_N'_invertible"] and i not in singular:
                singular.append(i)
            for key in RESIDUALS:
                out.extend(r[key])
        return out

    outcome = numeric_zero(residuals, ctx, guard=guard)
    evidence = {**outcome.evidence, "pairs": len(pairs), "M": sorted({p.m for p in pairs}),
                "instances": ONLY_IF_PAIRS,
                "uses": "log-probability tables, f at x_0..x_M (N, N'), g at y_0..y_M (L, L')"}
    if singular:
        return Outcome.refuted(witness={"pairs_with_singular_L'_or_N'": singular}, **evidence)
    return Outcome(outcome.verdict, evidence)


@THM22_ONLY_IF.method("numeric")
def _(ctx: Context) -> Outcome:
    return check_only_if_numeric(ctx, logit_pairs(ctx.seed)).with_scope(instances(ONLY_IF_PAIRS))


def _paper_A(lab: Any, lab2: Any) -> Any:
    """``A = L⁻ᵀL'ᵀ`` (Theorem 2.2) for ``fmpq_mat`` L, L'."""
    return lab.transpose().inv() * lab2.transpose()


def check_only_if_exact(pairs: Sequence[Pair], formula_A: FormulaA = _paper_A) -> Outcome:
    """Theorem 2.2 "only if" on logit pairs, exactly over ``Q`` (python-flint ``fmpq``).

    For each pair, before any verdict: ``p_{f,g} = p_{f',g'}`` (equal displaced log-odds matrices)
    and ``(f,g)`` diverse (exact affine ranks), else undecided.  Then ``L'``, ``N'`` must be
    invertible, ``A = formula_A(L, L')`` (default ``L⁻ᵀL'ᵀ``) must satisfy ``F = F'Aᵀ`` and
    ``G_0 = G'_0 A⁻¹`` (i.e. ``g_0 = A⁻ᵀg'_0``) on every input and label, ``A⁻ᵀ = N⁻ᵀN'ᵀ``, and
    the linear system for ``A`` solved on its own must have exactly this unique solution.
    """
    for i, pair in enumerate(pairs):
        f, g, f2, g2 = (np.asarray(x, dtype=object) for x in (pair.f, pair.g, pair.f2, pair.g2))
        if displaced_log_odds(f, g) != displaced_log_odds(f2, g2):
            return Outcome.undecided(f"pair {i}: p != p' (displaced log-odds differ), not an instance")
        if not _diverse(f, g):
            return Outcome.undecided(f"pair {i}: (f, g) is not diverse, not an instance")
        sets = _anchor_sets(FLOAT64.midpoint(f), FLOAT64.midpoint(g))
        if sets is None:
            return Outcome.undecided(f"pair {i}: no anchors found at float64")
        ys, xs = [sets.pivot_label, *sets.labels], [sets.pivot_input, *sets.inputs]
        lab, lab2 = (exact_matrix((h[ys[1:]] - h[[ys[0]]]).T) for h in (g, g2))
        nin, nin2 = (exact_matrix((h[xs[1:]] - h[[xs[0]]]).T) for h in (f, f2))
        if lab2.det() == 0 or nin2.det() == 0:
            return Outcome.refuted(witness={"pair": i, "why": "L' or N' is singular"})
        a = formula_A(lab, lab2)
        if a.det() == 0:
            return Outcome.refuted(witness={"pair": i, "why": "A is singular", "A": str(a)})
        g_0, g2_0 = exact_matrix(g - g[[0]]), exact_matrix(g2 - g2[[0]])
        if exact_matrix(f) != exact_matrix(f2) * a.transpose() or g_0 != g2_0 * a.inv():
            return Outcome.refuted(witness={"pair": i, "why": "f != A f' or g_0 != A^{-T} g'_0", "A": str(a)})
        if exact_inverse_transpose(a) != nin.transpose().inv() * nin2.transpose():
            return Outcome.refuted(witness={"pair": i, "why": "A^{-T} differs from N^{-T} N'^T"})
        rel = exact_linear_relation(f, g, f2, g2)
        if rel.related is not True or rel.a != a:
            return Outcome.refuted(witness={"pair": i, "why": "the linear system's solution is not A",
                                            "rank": rel.rank, "augmented_rank": rel.augmented_rank})
    return Outcome.verified(pairs=len(pairs), exact=True, arithmetic="fmpq (python-flint)",
                            M=sorted({p.m for p in pairs}), instances=ONLY_IF_PAIRS,
                            uses="exact F, G, F', G' of pairs with certified p = p'")


@THM22_ONLY_IF.method("certified")
def _(ctx: Context) -> Outcome:
    return check_only_if_exact(logit_pairs(ctx.seed)).with_scope(instances(ONLY_IF_PAIRS))


@st.composite
def searched_pair(draw: st.DrawFn) -> Pair:
    """A diverse logit pair (:func:`logit_pair`): M ≤ 3, n ≤ M+4 inputs, K ≤ M+3 labels."""
    m = draw(st.integers(1, 3))
    n = m + 1 + draw(st.integers(0, 3))
    k = m + 1 + draw(st.integers(0, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pair = None
    while pair is None:
        pair = logit_pair(rng, m, n, k)
    return pair


def describe_pair(pair: Pair) -> dict[str, Any]:
    return {"M": pair.m, **{name: [[str(v) for v in row] for row in x]
                            for name, x in (("f", pair.f), ("g", pair.g), ("f_prime", pair.f2), ("g_prime", pair.g2))}}


def only_if_score(
    claimed_dual: DualFn = _inverse_transpose, guard: int = 16
) -> Callable[[Pair, Arithmetic], float | None]:
    """Largest relative recovery residual / ``10^{-(dps − guard)}``; None (not an instance) unless
    ``p = p'`` is certified first (equal displaced log-odds)."""

    def score(pair: Pair, P: Arithmetic) -> float | None:
        if displaced_log_odds(pair.f, pair.g) != displaced_log_odds(pair.f2, pair.g2):
            return None
        r = only_if_residuals(pair, P, claimed_dual=claimed_dual)
        if not r["L'_N'_invertible"]:
            return math.inf
        worst = max(max(r[k]) for k in RESIDUALS)
        return float(worst * P.scalar(10) ** (P.dps - guard))

    return score


@THM22_ONLY_IF.method("search")
def _(ctx: Context) -> Outcome:
    out = search_outcome(ctx, "thm2.2-only-if", only_if_score(), ctx.examples(30, 1000),
                         strategy=searched_pair(), describe=describe_pair)
    return out.with_scope(instances(ONLY_IF_PAIRS))


# ---------------------------------------------------------------------------------------------
# [new] diversity is necessary
# ---------------------------------------------------------------------------------------------

NECESSITY = claim(
    "sec2-diversity-necessary",
    "Without diversity the 'only if' of Theorem 2.2 fails: there are models with equal distributions "
    "that are not ~_L related (unembeddings on a line; embeddings on a line).",
    r"\exists (f,g),(f',g'):\ p_{f,g}=p_{f',g'},\ (f,g)\not\sim_L(f',g')",
    "Theorem 2.2 (necessity of Def 2.1)",
    "new",
    depends_on=("def2.1-diversity",),
)


@dataclass(frozen=True)
class Witness:
    """Two models (integer entries), meant to have equal distributions and not be ``~_L``."""

    name: str
    f: list[list[int]]
    g: list[list[int]]
    f2: list[list[int]]
    g2: list[list[int]]


WITNESSES = (
    # labels on a line (L singular for every choice); the embeddings are diverse
    Witness("unembeddings on a line", f=[[1, 0], [0, 1], [1, 1]], g=[[0, 0], [1, 0], [2, 0]],
            f2=[[1, 0], [0, 1], [1, 2]], g2=[[0, 0], [1, 0], [2, 0]]),
    # inputs on a line through 0 (N singular); the unembeddings are diverse
    Witness("embeddings on a line", f=[[0, 0], [1, 0], [2, 0]], g=[[0, 0], [1, 0], [0, 1], [1, 1]],
            f2=[[0, 0], [1, 0], [2, 0]], g2=[[0, 0], [1, 0], [0, 1], [1, 3]]),
)


def check_necessity_witness(w: Witness) -> Outcome:
    """Exactly over ``Q``: (i) ``(f,g)`` is not diverse (affine rank of the rows of ``F`` or ``G``
    below M); (ii) ``p_{f,g} = p_{f',g'}`` (logit difference constant in y); (iii) no matrix ``A``
    at all satisfies ``F = F'Aᵀ`` and ``G_0 A = G'_0`` (rank of the linear system below the rank of
    its augmented matrix), so a fortiori no invertible one: not ``~_L``."""
    m = len(w.f[0])
    ranks = {"affine_rank_f": exact_affine_rank(w.f), "affine_rank_g": exact_affine_rank(w.g), "M": m}
    equal, where = exact_equal_distributions(w.f, w.g, w.f2, w.g2)
    rel = exact_linear_relation(w.f, w.g, w.f2, w.g2)
    evidence = {"name": w.name, "exact": True, **ranks, "equal_distributions": equal,
                "system_rank": rel.rank, "augmented_rank": rel.augmented_rank, "unknowns": rel.unknowns}
    if min(ranks["affine_rank_f"], ranks["affine_rank_g"]) == m:
        return Outcome.refuted(witness={"name": w.name, "why": "model (f,g) is diverse"}, **evidence)
    if not equal:
        return Outcome.refuted(witness={"name": w.name, "why": "distributions differ", "input_label": where},
                               **evidence)
    if rel.related is not False:
        why = "an invertible A relates them" if rel.related else "the linear system for A is consistent"
        return Outcome.refuted(witness={"name": w.name, "why": why, "A": str(rel.a)}, **evidence)
    return Outcome.verified(**evidence)


@NECESSITY.method("certified")
def _(ctx: Context) -> Outcome:
    out = Outcome.combine({w.name: check_necessity_witness(w) for w in WITNESSES})
    return out.with_scope(instances("two exact witnesses, M = 2"))


# ---------------------------------------------------------------------------------------------
# Def 2.1: the diversity decision
# ---------------------------------------------------------------------------------------------

DIVERSITY = claim(
    "def2.1-diversity",
    "Def 2.1 holds iff the unembeddings and the embeddings each span an M-dimensional affine space "
    "(checked by exact brute force: every pivot and M-tuple enumerated, against exact ranks, for all "
    "small integer models in a box, M = 1, 2, 3); the suite's float64 diversity test decides exactly as "
    "an exact rank computation on integer models (random and planted affine degeneracies), and its "
    "witnessing L, N are invertible.",
    r"\exists y_0..y_M: \det L\neq 0 \ \wedge\ \exists x_0..x_M: \det N \neq 0"
    r"\iff \operatorname{aff\,rank} g = \operatorname{aff\,rank} f = M",
    "Definition 2.1",
    "new",
)

Decider = Callable[[np.ndarray, np.ndarray], Any]


def degenerate_rows(rng: np.random.Generator, count: int, m: int, dim: int, through_origin: bool) -> np.ndarray:
    """``count`` integer points in an affine subspace of dimension ``dim`` (< M possibly), not
    through the origin unless asked (so that linear and affine rank differ)."""
    base = np.zeros(m, dtype=np.int64) if through_origin else rng.integers(-5, 6, size=m)
    if not through_origin and not base.any():
        base[0] = 1
    directions = rng.integers(-4, 5, size=(dim, m))
    coeffs = rng.integers(-3, 4, size=(count, dim))
    return base[None, :] + coeffs @ directions


def diversity_models(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Integer models, M = 1..4: random ones and ones with ``F`` or ``G`` in a lower-dimensional
    affine (or linear) subspace."""
    out = []
    for m in range(1, 5):
        n, k = m + 3, m + 2
        out += [(rng.integers(-6, 7, size=(n, m)), rng.integers(-6, 7, size=(k, m))) for _ in range(4)]
        for dim in range(m):
            for origin in (False, True):
                out.append((degenerate_rows(rng, n, m, dim, origin), rng.integers(-6, 7, size=(k, m))))
                out.append((rng.integers(-6, 7, size=(n, m)), degenerate_rows(rng, k, m, dim, origin)))
    return out


def _decide(decider: Decider, f: np.ndarray, g: np.ndarray) -> tuple[bool, Any]:
    d = decider(f, g)
    return (bool(d.holds), d) if hasattr(d, "holds") else (bool(d), None)


def check_diversity(models: Sequence[tuple[np.ndarray, np.ndarray]], decider: Decider = diversity) -> Outcome:
    """Compare ``decider`` with the exact rule (affine ranks of the rows of ``F`` and ``G`` equal M)
    and, when it returns witnessing indices, check ``det L ≠ 0`` and ``det N ≠ 0`` exactly."""
    holds_count = 0
    for i, (f, g) in enumerate(models):
        m = f.shape[1]
        exact = exact_affine_rank(f) == m and exact_affine_rank(g) == m
        decided, d = _decide(decider, f.astype(float), g.astype(float))
        holds_count += exact
        if decided != exact:
            return Outcome.refuted(witness={"model": i, "f": f.tolist(), "g": g.tolist(), "decided": decided,
                                            "exact": exact})
        if decided and d is not None and d.labels is not None and d.inputs is not None:
            lab = label_matrix(g.astype(float), d.labels[0], d.labels[1:])  # small integers: exact
            nin = input_matrix(f.astype(float), d.inputs[0], d.inputs[1:])
            dets = [exact_matrix(x).det() for x in (lab, nin)]
            if any(v == 0 for v in dets):
                return Outcome.refuted(witness={"model": i, "labels": d.labels, "inputs": d.inputs,
                                                "why": "witnessing L or N is singular"})
    return Outcome.verified(models=len(models), diverse=holds_count, exact=True)


def _int_det(rows: list[list[int]]) -> int:
    """Determinant of a small integer matrix, exactly (Laplace expansion along the first row)."""
    if len(rows) == 1:
        return rows[0][0]
    return sum((-1) ** j * rows[0][j] * _int_det([r[:j] + r[j + 1:] for r in rows[1:]]) for j in range(len(rows)))


SideMatrix = Callable[[np.ndarray, int, tuple[int, ...]], np.ndarray]


def definition_by_enumeration(points: np.ndarray, matrix_of: SideMatrix) -> bool:
    """One side of Def 2.1 as defined: some pivot row and M other rows give an invertible
    ``matrix_of(points, pivot, rows)`` (``label_matrix`` for L, ``input_matrix`` for N)."""
    count, m = points.shape
    for pivot in range(count):
        for rest in itertools.combinations([i for i in range(count) if i != pivot], m):
            mat = np.asarray(matrix_of(points, pivot, rest))
            if _int_det([[int(v) for v in row] for row in mat]) != 0:
                return True
    return False


#: The exhaustive boxes: (M, entries, numbers of rows); every multiset of rows is tried.
BRUTE_FORCE_BOXES = ((1, (-2, -1, 0, 1, 2), (2, 3, 4)), (2, (-1, 0, 1), (3, 4)), (3, (0, 1), (4,)))


def check_diversity_brute_force(
    boxes: Sequence[tuple[int, Sequence[int], Sequence[int]]] = BRUTE_FORCE_BOXES,
    rank_rule: Callable[[np.ndarray], int] = exact_affine_rank,
    sides: Sequence[tuple[str, SideMatrix]] = (("L (labels)", label_matrix), ("N (inputs)", input_matrix)),
) -> Outcome:
    """Def 2.1 ⇔ affine ranks, by exact brute force: for every multiset of integer rows in each box
    and each side, the definition (an invertible ``L``, resp. ``N``, found by enumerating all
    pivots and M-tuples) holds iff ``rank_rule(rows) = M`` (default: exact affine rank).  Def 2.1
    is the conjunction of the two sides and the rank rule the conjunction of the two ranks, so this
    decides the iff for every model whose ``G`` and ``F`` are rows from a box."""
    checked = 0
    for m, entries, counts in boxes:
        box = [np.array(p) for p in itertools.product(entries, repeat=m)]
        for count in counts:
            for rows in itertools.combinations_with_replacement(range(len(box)), count):
                pts = np.array([box[i] for i in rows])
                by_rank = rank_rule(pts) == m
                for name, matrix_of in sides:
                    checked += 1
                    if definition_by_enumeration(pts, matrix_of) != by_rank:
                        return Outcome.refuted(witness={"M": m, "rows": pts.tolist(), "side": name,
                                                        "rank_rule_says": by_rank})
    return Outcome.verified(point_sets=checked, exact=True,
                            boxes=[{"M": m, "entries": list(e), "rows": list(c)} for m, e, c in boxes])


#: The scope of the Def 2.1 checks.
DIVERSITY_SCOPE = ("every multiset of integer rows: M = 1 in [-2, 2] (2-4 rows), M = 2 in [-1, 1] (3-4 rows), "
                   "M = 3 in {0, 1} (4 rows); and 56 random/degenerate integer models, M = 1..4")


@DIVERSITY.method("certified")
def _(ctx: Context) -> Outcome:
    out = Outcome.combine({
        "Def 2.1 <=> affine ranks (brute force)": check_diversity_brute_force(),
        "float64 decider = exact rank rule": check_diversity(diversity_models(np.random.default_rng(ctx.seed))),
    })
    return out.with_scope(instances(DIVERSITY_SCOPE))


@DIVERSITY.method("search")
def _(ctx: Context) -> Outcome:
    return search_diversity(ctx, diversity).with_scope(instances("searched integer models, M = 1..4"))


def search_diversity(ctx: Context, decider: Decider, examples: int | None = None) -> Outcome:
    """Hypothesis search over integer models with a planted subspace dimension; a violation is a
    model on which ``decider`` and the exact rank rule disagree (score 2, else 0)."""

    @st.composite
    def model(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
        m = draw(st.integers(1, 4))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        n, k = m + 1 + draw(st.integers(0, 3)), m + 1 + draw(st.integers(0, 2))
        which = draw(st.sampled_from(["none", "f", "g"]))
        dim = draw(st.integers(0, m - 1)) if m > 1 else 0
        origin = draw(st.booleans())
        f = degenerate_rows(rng, n, m, dim, origin) if which == "f" else rng.integers(-6, 7, size=(n, m))
        g = degenerate_rows(rng, k, m, dim, origin) if which == "g" else rng.integers(-6, 7, size=(k, m))
        return f, g

    def score(x: tuple[np.ndarray, np.ndarray]) -> float:
        return 0.0 if check_diversity([x], decider).verdict == "verified" else 2.0

    def describe(x: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
        return {"f": x[0].tolist(), "g": x[1].tolist()}

    def reverify(x: tuple[np.ndarray, np.ndarray]) -> dict[str, Any] | None:
        return None if score(x) <= 1 else describe(x)

    count = examples or ctx.examples(150, 3000)
    result = run_search("def2.1-diversity", model(), score, describe, reverify, examples=count, seed_value=ctx.seed)
    evidence = {"examples": count, "seed": ctx.seed, "hypothesis": result.as_json()["hypothesis"]}
    if result.violations:
        return Outcome.refuted(witness=result.violations[0], **evidence)
    return Outcome.verified(**evidence)
