"""Symbolic derivations for Theorem 2.2 (sympy), on explicit matrices and in MatrixSymbol form.

Every function returns the *residuals* of an identity (sympy expressions that must be 0), so the
caller decides the verdict and a wrong variant (a different ``dual`` map, a different formula for
``A``) visibly yields non-zero residuals.  The explicit forms are polynomial identities after
clearing ``det``: ``A⁻¹ = adj(A)/det(A)``, so no rational simplification can hide a term.

* "if": with ``f = A f'`` and ``g_0 = A⁻ᵀ g'_0`` the logit differences ``z(x,y) − z(x,y_0)`` of
  the two models agree, and ``ℓ(y|x) = −log Σ_{y'} exp(z(x,y') − z(x,y))`` depends only on them.
* "only if": the key identities ``(Lᵀf(x))_i = ℓ(y_i|x) − ℓ(y_0|x)`` and
  ``(Nᵀg(y))_i = ℓ(y|x_i) − ℓ(y|x_0) + c_i``; equal distributions give ``Lᵀf = L'ᵀf'``,
  ``Nᵀg_0 = N'ᵀg'_0`` and ``LᵀN = L'ᵀN'``, whose unique solutions are ``A = L⁻ᵀL'ᵀ`` and
  ``N⁻ᵀN'ᵀ = A⁻ᵀ``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

__all__ = [
    "general_matrix",
    "inverse_transpose",
    "inverse",
    "log_softmax",
    "log_softmax_shift_lemma",
    "if_direction_explicit",
    "if_direction_matrix_symbol",
    "key_identities_explicit",
    "only_if_explicit",
    "only_if_matrix_symbol",
    "if_direction_general",
    "DIM",
    "LABELS",
    "paper_A",
    "paper_dual",
    "nonzero",
    "at_random_point",
]

#: ``dual(A) = (numerator, denominator)`` with ``g_0 = (numerator/denominator) g'_0``.
Dual = Callable[[sp.Matrix], tuple[sp.Matrix, sp.Expr]]


def general_matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    """A matrix of independent real symbols ``name_ij``."""
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


def inverse_transpose(a: sp.Matrix) -> tuple[sp.Matrix, sp.Expr]:
    """``A⁻ᵀ = adj(A)ᵀ / det(A)`` (the map of ``~_L``)."""
    return a.adjugate().T, a.det()


def inverse(a: sp.Matrix) -> tuple[sp.Matrix, sp.Expr]:
    """``A⁻¹ = adj(A) / det(A)`` (a false variant of the relation, for refutation tests)."""
    return a.adjugate(), a.det()


def log_softmax(z: list[sp.Expr]) -> list[sp.Expr]:
    """``ℓ_k = z_k − log Σ_j exp(z_j)``, the definition (paper, Section 2)."""
    s = sum(sp.exp(v) for v in z)
    return [v - sp.log(s) for v in z]


def log_softmax_shift_lemma(k: int) -> list[sp.Expr]:
    """Residuals of ``exp(z_j − log Σ exp z) · Σ_{j'} exp(z_{j'} − z_j) = 1`` for K = k labels:
    log-softmax is a function of the logit differences only."""
    z = sp.symbols(f"z0:{k}", real=True)
    out = []
    for j, lj in enumerate(log_softmax(list(z))):
        # exp(ℓ_j) · Σ_{j'} exp(z_{j'} − z_j) − 1, expanded: exp(−log S) = 1/S and the sum is S e^{−z_j}
        out.append(sp.cancel(sp.expand(sp.exp(lj) * sum(sp.exp(v - z[j]) for v in z))) - 1)
    return out


def _from_differences(d: list[sp.Expr]) -> list[sp.Expr]:
    """``ℓ_k = −log Σ_j exp(d_j − d_k)`` from the differences ``d_j = z_j − z_0`` (by the lemma)."""
    return [-sp.log(sum(sp.exp(sp.expand(dj - dk)) for dj in d)) for dk in d]


def if_direction_explicit(m: int, k: int, dual: Dual = inverse_transpose) -> dict[str, list[sp.Expr]]:
    """Theorem 2.2 "if" on explicit symbolic matrices: M = m, K = k labels, one input.

    ``f = A f'`` and ``g(y) = g(y_0) + B(g'(y) − g'(y_0))`` with ``B = dual(A)`` and arbitrary
    ``g(y_0)``.  Residuals: ``det(A)·[(z_k − z_0) − (z'_k − z'_0)] = f'ᵀ(Aᵀ·num − det A·I)(g'(y_k) − g'(y_0))``
    with ``num = det(A)·B`` (polynomials; ``Aᵀ·num − det A·I`` is expanded first) and
    ``ℓ_k − ℓ'_k`` written through the lemma.  All are 0 for ``B = A⁻ᵀ``.  ``definition`` is
    ``ℓ_k − ℓ'_k`` straight from the definition of ``ℓ``, to be evaluated numerically only.
    """
    a = general_matrix("a", m, m)
    f2 = general_matrix("fp", m, 1)
    g2 = general_matrix("gp", m, k)  # column j is g'(y_j)
    g0 = general_matrix("g0", m, 1)  # g(y_0): free
    num, det = dual(a)
    f = a * f2
    # det·g(y_j) = det·g(y_0) + num (g'(y_j) − g'(y_0)); the g(y_0) terms cancel structurally in
    # det·(z_j − z_0) = fᵀ(det·g(y_j) − det·g(y_0)) = f'ᵀ (Aᵀ num) (g'(y_j) − g'(y_0))
    dg = [det * g0 + num * (g2[:, j] - g2[:, 0]) for j in range(k)]
    if any(v != 0 for v in (dg[0] - det * g0)):
        raise ArithmeticError("g(y_0) did not cancel")
    w = (a.T * num).expand() - sp.expand(det) * sp.eye(m)  # the polynomial identity Aᵀ adj(A)ᵀ = det(A) I
    z2 = [(f2.T * g2[:, j])[0, 0] for j in range(k)]
    diffs = [sp.expand((f2.T * w * (g2[:, j] - g2[:, 0]))[0, 0]) for j in range(k)]
    dz = [(f.T * dg[j])[0, 0] for j in range(k)]
    # exactly z_j − z_0 = (z'_j − z'_0) + diffs_j / det; log-softmax through the lemma
    d2 = [sp.expand(z2[j] - z2[0]) for j in range(k)]
    lp = _from_differences([v + r / det for v, r in zip(d2, diffs, strict=True)])
    lp2 = _from_differences(d2)
    # the same from the definition (no lemma, no clearing of det): for a numeric cross-check only
    z = [v / det for v in dz]
    definition = [u - v for u, v in zip(log_softmax(z), log_softmax(z2), strict=True)]
    return {"logit_differences": diffs, "log_probs": [u - v for u, v in zip(lp, lp2, strict=True)],
            "definition": definition}


def at_random_point(exprs: list[sp.Expr], seed: int) -> list[sp.Float]:
    """Evaluate at a seeded random rational point (60 digits): a cross-check of a symbolic zero."""
    import random

    rnd = random.Random(seed)
    symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
    point = {s: sp.Rational(rnd.randint(-40, 40), rnd.randint(1, 9)) for s in symbols}
    return [sp.N(e.xreplace(point), 60) for e in exprs]


def nonzero(exprs: list[sp.Expr], seed: int = 0) -> list[int]:
    """Indices of residuals not proved 0: not structurally 0 after expansion, or not 0 at a seeded
    random rational point (the numeric cross-check of every symbolic zero)."""
    bad = [i for i, e in enumerate(exprs) if sp.expand(e) != 0]
    values = at_random_point(exprs, seed) if exprs else []
    bad += [i for i, v in enumerate(values) if abs(v) > sp.Float(10) ** -40 and i not in bad]
    return sorted(bad)


def if_direction_matrix_symbol(
    m: int, dual: Callable[[sp.MatrixExpr], sp.MatrixExpr] | None = None
) -> dict[str, Any]:
    """The "if" logit identity in MatrixSymbol form, cross-checked on explicit matrices.

    Returns the residual ``(A f')ᵀ B (u) − f'ᵀu`` (``u = g'(y) − g'(y_0)``) simplified by sympy's
    matrix calculus, the same residual with explicit entries substituted, and the unsimplified
    residual (for a numeric cross-check by the caller).
    """
    a = sp.MatrixSymbol("A", m, m)
    f2 = sp.MatrixSymbol("fp", m, 1)
    u = sp.MatrixSymbol("u", m, 1)
    b = a.I.T if dual is None else dual(a)
    raw = (a * f2).T * (b * u) - f2.T * u
    simplified = sp.simplify(raw)
    ea, ef, eu = general_matrix("a", m, m), general_matrix("fp", m, 1), general_matrix("u", m, 1)
    explicit = raw.subs({a: ea, f2: ef, u: eu}).doit()
    explicit = sp.Matrix(explicit)
    explicit_residual = sp.expand(sp.cancel(ea.det() * explicit[0, 0]))
    if isinstance(simplified, sp.MatrixExpr):
        simplified = sp.Matrix(simplified.as_explicit())[0, 0]
    return {"simplified": sp.simplify(simplified), "explicit": explicit_residual, "raw": raw,
            "symbols": (a, f2, u)}


def key_identities_explicit(m: int, k: int, n: int, subtract_pivot_input: bool = True) -> dict[str, list[sp.Expr]]:
    """The two key identities of the proof of Theorem 2.2 on a symbolic model (n inputs, K = k).

    * ``(Lᵀf(x))_i − [ℓ(y_i|x) − ℓ(y_0|x)]`` for all x, i (must be 0);
    * ``c_i(y) = (Nᵀg(y))_i − [ℓ(y|x_i) − ℓ(y|x_0)]``: ``c_i(y) − c_i(y_0)`` (must be 0, i.e. ``c_i``
      is constant in y) and ``c_i − (log Σ_y e^{z(x_i,y)} − log Σ_y e^{z(x_0,y)})`` (must be 0).

    With ``subtract_pivot_input=False`` the false variant ``N = [f(x_1) … f(x_M)]`` is used.
    Labels y_0..y_M are 0..m, inputs x_0..x_M are 0..m (needs n, k ≥ m+1).
    """
    f = general_matrix("f", n, m)  # row = f(x)
    g = general_matrix("g", k, m)  # row = g(y)
    z = f * g.T
    lp = [log_softmax([z[x, y] for y in range(k)]) for x in range(n)]
    lab = sp.Matrix.hstack(*[(g[i, :] - g[0, :]).T for i in range(1, m + 1)])
    base = f[0, :] if subtract_pivot_input else sp.zeros(1, m)
    nin = sp.Matrix.hstack(*[(f[i, :] - base).T for i in range(1, m + 1)])
    first = [sp.expand((lab.T * f[x, :].T)[i, 0] - (lp[x][i + 1] - lp[x][0])) for x in range(n) for i in range(m)]
    c = [[sp.expand((nin.T * g[y, :].T)[i, 0] - (lp[i + 1][y] - lp[0][y])) for y in range(k)] for i in range(m)]
    constant = [sp.expand(c[i][y] - c[i][0]) for i in range(m) for y in range(1, k)]
    lse = [sp.log(sum(sp.exp(z[x, y]) for y in range(k))) for x in range(n)]
    value = [sp.expand(c[i][0] - (lse[i + 1] - lse[0])) for i in range(m)]
    return {"label_identity": first, "c_constant_in_y": constant, "c_value": value}


def paper_A(lab: sp.Matrix, lab2: sp.Matrix) -> sp.Matrix:
    """``A = L⁻ᵀ L'ᵀ`` (Theorem 2.2)."""
    return lab.inv().T * lab2.T


def paper_dual(nin: sp.Matrix, nin2: sp.Matrix) -> sp.Matrix:
    """``A⁻ᵀ = N⁻ᵀ N'ᵀ`` (Theorem 2.2)."""
    return nin.inv().T * nin2.T


def only_if_explicit(
    m: int,
    formula_A: Callable[[sp.Matrix, sp.Matrix], sp.Matrix] = paper_A,
    formula_dual: Callable[[sp.Matrix, sp.Matrix], sp.Matrix] = paper_dual,
) -> dict[str, list[sp.Expr]]:
    """Theorem 2.2 "only if", linear-algebra part, on explicit M×M symbols.

    Equal distributions and the key identities give, for every x and y,
    ``Lᵀf(x) = L'ᵀf'(x)`` and ``Nᵀg_0(y) = N'ᵀg'_0(y)``, and at the inputs ``x_1..x_M``
    ``LᵀN = L'ᵀN'``.  Residuals (all must be 0):

    * ``unique_f``: the unique solution ``f`` of ``Lᵀf = L'ᵀf'`` (sympy ``linsolve``, L invertible)
      minus ``formula_A(L, L') f'``;
    * ``unique_g0``: the unique solution of ``Nᵀg_0 = N'ᵀg'_0`` minus ``formula_dual(N, N') g'_0``;
    * ``dual_is_inverse_transpose``: ``formula_dual(N, N') − formula_A(L, L')⁻ᵀ`` once ``N'`` is
      eliminated by ``LᵀN = L'ᵀN'`` (times ``det L det N``, expanded);
    * ``det_product``: ``det(L'ᵀN') − det L' det N'``, so ``det L' det N' = det L det N ≠ 0``:
      ``L'`` and ``N'`` are invertible whenever ``L`` and ``N`` are.
    """
    lab, lab2 = general_matrix("L", m, m), general_matrix("Lp", m, m)
    nin, nin2 = general_matrix("N", m, m), general_matrix("Np", m, m)
    f2, g20 = general_matrix("fp", m, 1), general_matrix("gp", m, 1)
    fs, gs = sp.symbols(f"f0:{m}"), sp.symbols(f"h0:{m}")
    (sol_f,) = sp.linsolve(list(lab.T * sp.Matrix(fs) - lab2.T * f2), fs)
    (sol_g,) = sp.linsolve(list(nin.T * sp.Matrix(gs) - nin2.T * g20), gs)
    a = formula_A(lab, lab2)
    unique_f = [sp.cancel(u - v) for u, v in zip(sol_f, a * f2, strict=True)]
    unique_g = [sp.cancel(u - v) for u, v in zip(sol_g, formula_dual(nin, nin2) * g20, strict=True)]
    nin2_elim = lab2.inv().T * lab.T * nin  # from LᵀN = L'ᵀN'
    diff = formula_dual(nin, nin2_elim) - a.inv().T
    scale = lab.det() * nin.det() * lab2.det()
    dual_res = [sp.expand(sp.cancel(scale * v)) for v in diff]
    det_res = [sp.expand((lab2.T * nin2).det() - lab2.det() * nin2.det())]
    return {"unique_f": unique_f, "unique_g0": unique_g, "dual_is_inverse_transpose": dual_res,
            "det_product": det_res}


#: A symbolic dimension M: derivations with it hold for every M.
DIM = sp.Symbol("M", integer=True, positive=True)
#: A symbolic number of labels K.
LABELS = sp.Symbol("K", integer=True, positive=True)


def if_direction_general(dual: Callable[[sp.MatrixExpr], sp.MatrixExpr] | None = None) -> dict[str, sp.Expr]:
    """Theorem 2.2 "if" for symbolic M and K (sympy's matrix and Sum calculus):

    * ``(A f')ᵀ B u − f'ᵀu`` simplified, ``B = dual(A)`` (default ``A⁻ᵀ``), ``u = g'_0(y)``, A of size
      M×M: the displaced logits agree, so the logits differ by a per-input constant;
    * ``ℓ_j(z + c) − ℓ_j(z)`` with ``ℓ_j(z) = z_j − log Σ_{k<K} e^{z_k}``: log-softmax ignores a
      per-input constant.
    Both must be 0; the caller cross-checks on explicit matrices (matrix calculus can err)."""
    a = sp.MatrixSymbol("A", DIM, DIM)
    f2, u = sp.MatrixSymbol("fp", DIM, 1), sp.MatrixSymbol("u", DIM, 1)
    b = a.I.T if dual is None else dual(a)
    logits = sp.simplify((a * f2).T * (b * u) - f2.T * u)
    k, j = sp.symbols("k j", integer=True)
    z, c = sp.IndexedBase("z", real=True), sp.Symbol("c", real=True)
    total = sp.Sum(sp.exp(z[k]), (k, 0, LABELS - 1))
    shifted = sp.factor_terms(sp.Sum(sp.expand(sp.exp(z[k] + c)), (k, 0, LABELS - 1)))
    shift = sp.simplify((z[j] + c - sp.expand_log(sp.log(shifted), force=True)) - (z[j] - sp.log(total)))
    return {"logit_identity": logits, "log_softmax_shift": shift}


def only_if_matrix_symbol(m: int | sp.Symbol) -> dict[str, Any]:
    """MatrixSymbol form of ``N⁻ᵀN'ᵀ = (L⁻ᵀL'ᵀ)⁻ᵀ`` under ``N' = L'⁻ᵀLᵀN``, with its explicit twin
    for an integer ``m``; for a symbolic ``m`` (e.g. :data:`DIM`) also ``det(L'ᵀN') − det(LᵀN)``
    (``= 0``: ``L'``, ``N'`` are invertible when ``L``, ``N`` are) and no explicit twin."""
    lab, lab2, nin = (sp.MatrixSymbol(s, m, m) for s in ("L", "Lp", "N"))
    nin2 = lab2.I.T * lab.T * nin
    raw = nin.I.T * nin2.T - (lab.I.T * lab2.T).I.T
    simplified = sp.simplify(raw)
    if not isinstance(m, int):
        dets = sp.simplify(sp.det(lab2.T * nin2) - sp.det(lab.T * nin))
        zero = simplified == 0 or isinstance(simplified, sp.ZeroMatrix)
        return {"simplified_zero": zero, "determinants": dets, "raw": raw, "symbols": (lab, lab2, nin)}
    el, el2, en = general_matrix("L", m, m), general_matrix("Lp", m, m), general_matrix("N", m, m)
    explicit = sp.Matrix(raw.subs({lab: el, lab2: el2, nin: en}).doit())
    scale = el.det() * en.det() * el2.det()
    explicit_res = [sp.expand(sp.cancel(scale * v)) for v in explicit]
    simplified_zero = simplified == 0 or (isinstance(simplified, sp.MatrixExpr) and
                                          sp.Matrix(simplified.as_explicit()).is_zero_matrix is True)
    return {"simplified_zero": simplified_zero, "explicit": explicit_res, "raw": raw,
            "symbols": (lab, lab2, nin)}
