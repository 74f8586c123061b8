"""Theorem 2.2, "only if" (claim ``thm2.2-only-if``): a diverse model with the same distribution
as another is ``~_L`` related to it, with ``A = L^{-T} L'^T``.

Pairs are built without any ``A`` (:func:`logit_pair`): one random rank-M logit matrix, a
per-input constant added for the second model, and two independent exact factorisations of the
displaced logits; ``p = p'`` is certified before any verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from checks.claims.sec2.cases import (
    DualFn,
    Exact,
    dual_inverse_transpose,
    exact_inverse_transpose,
    exactly_diverse,
    from_fmpq_mat,
    in_arithmetic,
    is_zero,
    matrix_symbol_at_random_point,
    search_outcome,
)
from checks.evidence import numeric_zero
from checks.registry import Context, Outcome, claim, general_given, instances
from theory.derivations import identifiability as sym
from theory.distances import Sets
from theory.identifiability import (
    exact_linear_relation,
    exact_matrix,
    greedy_affine_basis,
    input_matrix,
    is_singular,
    label_matrix,
    recover_A,
    recover_dual,
    relation_residuals,
)
from theory.model import Model, log_probs
from theory.precision import FLOAT64, Arithmetic


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
        raw_value = matrix_symbol_at_random_point(ms["raw"], ms["symbols"], seed)
        ok = ms["simplified_zero"] and not sym.nonzero(ms["explicit"], seed) and raw_value < 1e-40
        evidence = {"M": m, "simplified_zero": ms["simplified_zero"], "numeric_at_random_point": f"{raw_value:.3g}"}
        parts[f"matrix_symbol_M{m}"] = Outcome.verified(**evidence) if ok else Outcome.refuted(
            witness="N^{-T}N'^T != (L^{-T}L'^T)^{-T} under L^T N = L'^T N'", **evidence)
    general = sym.only_if_matrix_symbol(sym.DIM)
    ok = general["simplified_zero"] and is_zero(general["determinants"])
    evidence = {"M": "symbolic", "simplified_zero": general["simplified_zero"],
                "det(L'^T N') - det(L^T N)": str(general["determinants"])}
    parts["matrix_symbol_general_M"] = Outcome.verified(**evidence) if ok else Outcome.refuted(
        witness="the consistency or the determinant identity fails for symbolic M", **evidence)
    out = Outcome.combine(parts)
    out.evidence["from premises"] = ("the key identities for symbolic M (the premise sec4-bound-logratio, "
                                     "kernel-checked; explicit here at M in identity_dims)")
    return out.with_scope(general_given(
        "L', N' invertible and the solutions f = Af', g_0 = A^{-T}g'_0 for a symbolic M (explicit at the M of "
        "identity_dims only; the symbolic M builds N' from an invertible L'); kernel-checked in Identifiability.v"))


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
    pair = Pair(*(from_fmpq_mat(x) for x in (f, g, f2, g2)))
    return pair if exactly_diverse(pair.f, pair.g) else None


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
    claimed_dual: DualFn = dual_inverse_transpose,
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
        exact_a = in_arithmetic(from_fmpq_mat(rel.a), P)
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
    claimed_dual: DualFn = dual_inverse_transpose,
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
        if not exactly_diverse(f, g):
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
    claimed_dual: DualFn = dual_inverse_transpose, guard: int = 16
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
