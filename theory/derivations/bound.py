"""Section 4, the bound ``d_{f,g} ≤ 2Mε``, derived one step at a time with sympy.

The chain (each function below is one step and returns a :class:`Certificate`):

1. :func:`log_ratio_identities` -- ``(Lᵀf(x))_i = ℓ(y_i|x) − ℓ(y_0|x)`` and
   ``(Nᵀg(y))_i = ℓ(y|x_i) − ℓ(y|x_0) + c_i`` with ``c_i`` constant in ``y``;
2. :func:`standardised_difference` -- after standardising, ``ũ_i − ũ'_i`` is the difference of
   the two centred functions whose SDs are ``a_{y_i}`` and ``b_{y_i}`` (``c_x``, ``e_x`` on the g
   side), hence ``SD(ũ_i − ũ'_i) ≤ a_{y_i} + b_{y_i}`` by Minkowski (:func:`lagrange_identity`);
3. :func:`covariance_identity` -- ``Cov(ũ_i, ũ'_i) = 1 − Var(ũ_i − ũ'_i)/2``;
4. :func:`nuclear_norm_trace` -- ``Σ_k σ_k(C) ≥ tr C``;
5. :func:`sharp_side_bound` -- ``d_SVD ≤ 1 − tr C/M ≤ (1/2M) Σ_i (a_i + b_i)² ≤ 2ε²``;
6. :func:`linear_from_quadratic` -- ``min(1, 2ε²) ≤ √2·ε ≤ 2Mε`` for every ``ε ≥ 0``.

Also :func:`msvd_range` (``0 ≤ m_SVD ≤ 1``, yet ``σ_1(C) = 2`` is possible) and
:func:`tight_sign_flip` (an exact pair attaining ``d_{f,g} = 2ε²``).

Identities are checked twice: by simplification of the symbolic residual, and on explicit
integer or rational instances evaluated exactly (sympy's ``MatrixSymbol`` calculus is never
used, so nothing can silently collapse to 0).  Inequalities are reduced to identities plus
the sign of explicit factors (a certificate).  Every function has parameters that break the
step on purpose (a wrong constant, a dropped pivot term, a wrong standardisation) so that the
tests can watch it fail.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any

import sympy as sp

__all__ = [
    "Certificate",
    "log_probs_symbolic",
    "lagrange_identity",
    "log_ratio_identities",
    "standardised_difference",
    "covariance_identity",
    "nuclear_norm_trace",
    "von_neumann_general",
    "sharp_side_bound",
    "linear_from_quadratic",
    "msvd_range",
    "tight_sign_flip",
    "flip_identities",
    "flip_root_monotone",
    "sharp_side_bound_general",
]


@dataclass(frozen=True)
class Certificate:
    """The outcome of one derivation step: whether it holds, and what was checked."""

    step: str
    holds: bool
    checks: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "holds": self.holds, "checks": self.checks}


def _zero(expr: sp.Expr) -> bool:
    """Whether ``expr`` simplifies to exactly 0 (expansion first, full simplification if needed)."""
    e = sp.expand(expr)
    return e == 0 or sp.simplify(e) == 0


# --------------------------------------------------------------------------------------------
# moments over a finite index set (uniform, or weights summing to 1)
# --------------------------------------------------------------------------------------------
def _mean(v: list[sp.Expr], w: list[sp.Expr] | None) -> sp.Expr:
    if w is None:
        return sp.Add(*v) / len(v)
    return sp.Add(*[wi * vi for wi, vi in zip(w, v, strict=False)])


def _centre(v: list[sp.Expr], w: list[sp.Expr] | None = None) -> list[sp.Expr]:
    m = _mean(v, w)
    return [vi - m for vi in v]


def _cov(u: list[sp.Expr], v: list[sp.Expr], w: list[sp.Expr] | None = None) -> sp.Expr:
    cu, cv = _centre(u, w), _centre(v, w)
    return _mean([a * b for a, b in zip(cu, cv, strict=False)], w)


def _var(u: list[sp.Expr], w: list[sp.Expr] | None = None) -> sp.Expr:
    return _cov(u, u, w)


def log_probs_symbolic(z: sp.Matrix) -> sp.Matrix:
    """``ℓ = z − log Σ_k e^{z_k}`` row by row (rows are inputs, columns labels)."""
    out = sp.zeros(z.rows, z.cols)
    for i in range(z.rows):
        log_z = sp.log(sp.Add(*[sp.exp(z[i, k]) for k in range(z.cols)]))
        for k in range(z.cols):
            out[i, k] = z[i, k] - log_z
    return out


# --------------------------------------------------------------------------------------------
# Cauchy–Schwarz / Minkowski certificate
# --------------------------------------------------------------------------------------------
@functools.cache
def lagrange_identity(n: int, weighted: bool = True) -> Certificate:
    """``(Σ w x²)(Σ w y²) − (Σ w x y)² = ½ Σ_{i,j} w_i w_j (x_i y_j − x_j y_i)²`` for all vectors.

    Applied to the centred ``Ã``, ``B̃`` (weights ``p_D`` summing to 1) the left side is
    ``Var(A)Var(B) − Cov(A,B)²`` and the right side a sum of squares, so ``|Cov| ≤ SD·SD`` and
    ``(SD A + SD B)² − Var(A − B) = 2(SD A·SD B + Cov(A, B)) ≥ 0``: Minkowski's inequality
    ``SD(A − B) ≤ SD(A) + SD(B)``.  Checked for symbolic vectors of length ``n`` with symbolic
    weights (``weighted``) or uniform ones, together with the expansion of ``Var(A − B)``.
    """
    x = list(sp.symbols(f"x0:{n}", real=True))
    y = list(sp.symbols(f"y0:{n}", real=True))
    w = list(sp.symbols(f"w0:{n}", positive=True)) if weighted else [sp.Integer(1)] * n

    def dot(u: list[sp.Expr], v: list[sp.Expr]) -> sp.Expr:
        return sp.Add(*[wi * a * b for wi, a, b in zip(w, u, v, strict=True)])

    lhs = dot(x, x) * dot(y, y) - dot(x, y) ** 2
    rhs = sp.Rational(1, 2) * sp.Add(
        *[w[i] * w[j] * (x[i] * y[j] - x[j] * y[i]) ** 2 for i in range(n) for j in range(n)]
    )
    uniform = [sp.Rational(1, n)] * n
    expansion = _var([a - b for a, b in zip(x, y, strict=True)], uniform) - (
        _var(x, uniform) + _var(y, uniform) - 2 * _cov(x, y, uniform))
    checks = {"lagrange": _zero(lhs - rhs), "var_of_difference": _zero(expansion), "n": n, "weighted": weighted}
    holds = bool(checks["lagrange"] and checks["var_of_difference"])
    return Certificate("Minkowski for SD (Lagrange identity)", holds, checks)


# --------------------------------------------------------------------------------------------
# step 1: log-ratio identities
# --------------------------------------------------------------------------------------------
def _model_symbols(n: int, K: int, M: int) -> tuple[sp.Matrix, sp.Matrix]:
    f = sp.Matrix(n, M, lambda i, j: sp.Symbol(f"f{i}_{j}", real=True))
    g = sp.Matrix(K, M, lambda k, j: sp.Symbol(f"g{k}_{j}", real=True))
    return f, g


def _explicit_model(n: int, K: int, M: int, seed: int) -> tuple[sp.Matrix, sp.Matrix]:
    """Small integer matrices (a fixed pseudo-random pattern) for exact instance checks."""
    vals = itertools.cycle([*[2, -1, 3, 0, -2, 1, 1, -3, 2, -1, 0, 4][seed % 12:], 1, -2, 3])
    f = sp.Matrix(n, M, lambda i, j: sp.Integer(next(vals)))
    g = sp.Matrix(K, M, lambda k, j: sp.Integer(next(vals)))
    return f, g


def log_ratio_identities(M: int, pivot_term: bool = True) -> Certificate:
    """Step 1 for ``K = M + 1`` labels and ``n = M + 1`` inputs, symbolic and on an integer instance.

    ``pivot_term=False`` drops ``ℓ(y_0|x)`` from the label identity (and ``ℓ(y|x_0)`` from the input
    identity): the broken variant the tests refute.
    """
    K, n = M + 1, M + 1
    checks: dict[str, Any] = {"M": M}
    for name, (f, g) in (("symbolic", _model_symbols(n, K, M)), ("integer instance", _explicit_model(n, K, M, M))):
        ell = log_probs_symbolic(f * g.T)
        lab = sp.Matrix.hstack(*[(g.row(i) - g.row(0)).T for i in range(1, M + 1)])  # L, pivot y_0 = 0
        inp = sp.Matrix.hstack(*[(f.row(i) - f.row(0)).T for i in range(1, M + 1)])  # N, pivot x_0 = 0
        label_ok = all(
            _zero((lab.T * f.row(x).T)[i] - (ell[x, i + 1] - (ell[x, 0] if pivot_term else 0)))
            for x in range(n) for i in range(M)
        )
        # (Nᵀg(y))_i − [ℓ(y|x_i) − ℓ(y|x_0)] must not depend on y: it is c_i = log Z(x_i) − log Z(x_0).
        input_ok = True
        for i in range(M):
            c = [(inp.T * g.row(y).T)[i] - (ell[i + 1, y] - (ell[0, y] if pivot_term else 0)) for y in range(K)]
            input_ok &= all(_zero(c[y] - c[0]) for y in range(1, K))
        checks[name] = {"label_identity": label_ok, "input_identity": input_ok}
    holds = all(v["label_identity"] and v["input_identity"] for k, v in checks.items() if k != "M")
    return Certificate("log-ratio identities", holds, checks)


# --------------------------------------------------------------------------------------------
# step 2: the standardised coordinate difference
# --------------------------------------------------------------------------------------------
def standardised_difference(n: int = 3, pivot_term: bool = True, side: str = "f") -> Certificate:
    """Step 2: with ``u = ℓ(y_i|·) − ℓ(y_0|·)``, ``ũ = (u − E u)/σ``, and likewise ``ũ'`` with ``σ'``,
    ``ũ − ũ' = (A − E A) − (B − E B)`` where ``A = ℓ(y_i|·)/σ − ℓ'(y_i|·)/σ'`` (``SD A = a_{y_i}``) and
    ``B = ℓ(y_0|·)/σ − ℓ'(y_0|·)/σ'`` (``SD B = b_{y_i}``); Minkowski then gives
    ``SD(ũ − ũ') ≤ a + b``.  On the g side (``side="g"``) the coordinates are
    ``(Nᵀg(y))_i = ℓ(y|x_i) − ℓ(y|x_0) + c_i``: the constant ``c_i`` vanishes on centring, and the
    two SDs are ``c_{x_i}``, ``e_{x_i}``.  ``pivot_term=False`` uses ``B = 0`` (the dropped ``b_y``).
    """
    l1 = list(sp.symbols(f"l1_0:{n}", real=True))  # ℓ(y_i|x) over the index set (or ℓ(y|x_i))
    l0 = list(sp.symbols(f"l0_0:{n}", real=True))  # ℓ(y_0|x) (or ℓ(y|x_0))
    m1 = list(sp.symbols(f"m1_0:{n}", real=True))  # primed
    m0 = list(sp.symbols(f"m0_0:{n}", real=True))
    s, s2, c, c2 = sp.symbols("sigma sigma2 c c2", positive=True)
    shift, shift2 = (c, c2) if side == "g" else (0, 0)
    u = [x - y + shift for x, y in zip(l1, l0, strict=False)]
    v = [x - y + shift2 for x, y in zip(m1, m0, strict=False)]
    lhs = [p / s - q / s2 for p, q in zip(_centre(u), _centre(v), strict=False)]
    big_a = [x / s - y / s2 for x, y in zip(l1, m1, strict=False)]
    big_b = [x / s - y / s2 for x, y in zip(l0, m0, strict=False)] if pivot_term else [sp.Integer(0)] * n
    rhs = [p - q for p, q in zip(_centre(big_a), _centre(big_b), strict=False)]
    identity = all(_zero(p - q) for p, q in zip(lhs, rhs, strict=False))
    # an exact rational instance, with σ = SD(u) so that ũ really is standardised
    inst = dict(zip(l1 + l0 + m1 + m0, [sp.Rational(k % 7 - 3, k % 3 + 1) for k in range(4 * n)], strict=False))
    ui, vi = [x.subs(inst).subs({c: 5, c2: 2}) for x in u], [x.subs(inst).subs({c: 5, c2: 2}) for x in v]
    sd_u, sd_v = sp.sqrt(_var(ui)), sp.sqrt(_var(vi))
    sub = {**inst, s: sd_u, s2: sd_v, c: 5, c2: 2}
    inst_ok = all(_zero(p.subs(sub) - q.subs(sub)) for p, q in zip(lhs, rhs, strict=False))
    unit = _zero(_var([p.subs(sub) for p in _centre(u)]) / sd_u**2 - 1)
    minkowski = lagrange_identity(min(n, 3), weighted=True)
    checks = {"n": n, "side": side, "identity": identity, "rational_instance": inst_ok,
              "instance_unit_variance": unit, "minkowski": minkowski.holds}
    return Certificate("standardised difference, SD ≤ a + b", identity and inst_ok and unit and minkowski.holds, checks)


# --------------------------------------------------------------------------------------------
# step 3: covariance of standardised coordinates
# --------------------------------------------------------------------------------------------
def covariance_identity(n: int = 3, ddof: int = 0) -> Certificate:
    """Step 3: ``Cov(ũ, ṽ) = 1 − Var(ũ − ṽ)/2`` for standardised ``ũ``, ``ṽ``.

    ``ddof = 1`` standardises by the sample SD while the moments stay population ones: the wrong
    standardisation the tests refute (then ``Var ũ ≠ 1`` and the identity fails).
    """
    u = list(sp.symbols(f"u0:{n}", real=True))
    v = list(sp.symbols(f"v0:{n}", real=True))
    factor = sp.Rational(n, n - ddof)
    su = [x / sp.sqrt(_var(u) * factor) for x in _centre(u)]
    sv = [x / sp.sqrt(_var(v) * factor) for x in _centre(v)]
    residual = _cov(su, sv) - (1 - _var([a - b for a, b in zip(su, sv, strict=False)]) / 2)
    inst = {**dict(zip(u, [1, 4, -2, 3, 0][:n], strict=False)), **dict(zip(v, [2, -1, 5, 1, 1][:n], strict=False))}
    symbolic = _zero(residual)
    instance = _zero(residual.subs(inst))
    return Certificate("Cov(ũ,ṽ) = 1 − Var(ũ−ṽ)/2", symbolic and instance,
                       {"n": n, "ddof": ddof, "symbolic": symbolic, "integer_instance": instance})


# --------------------------------------------------------------------------------------------
# step 4: nuclear norm ≥ trace
# --------------------------------------------------------------------------------------------
def nuclear_norm_trace(M: int, factor: Any = 1,
                       factors: Sequence[tuple[sp.Matrix, sp.Matrix]] | None = None) -> Certificate:
    """Step 4: ``Σ_k σ_k(C) ≥ factor·tr C`` (the claim is ``factor = 1``; it holds iff ``|factor| ≤ 1``).

    ``M = 1``: ``|c| ≥ c``.  ``M = 2``: ``σ_1², σ_2²`` are the roots of the characteristic polynomial
    of ``CᵀC``, so ``(σ_1 + σ_2)² = ‖C‖_F² + 2|det C|``, and
    ``(σ_1 + σ_2)² − (tr C)² = (c_12 − c_21)² + 2(|det C| − det C)``, a sum of non-negative terms.
    ``M ≥ 3``: von Neumann's argument, stated for a symbolic dimension ``n``
    (:func:`von_neumann_general`): with an SVD ``C = U diag(σ) Vᵀ``, ``UᵀU = VᵀV = I``,
    ``tr C = Σ_k σ_k Q_kk`` for ``Q = VᵀU``; ``Q`` is orthogonal, so ``|Q_kk| ≤ 1`` and
    ``Σσ_k − factor·tr C = Σ_k σ_k(1 − factor·Q_kk) ≥ 0``.  Cross-checked at ``n = M`` on explicit
    matrices and on exact instances ``C = U diag(s) Vᵀ`` whose factors (``factors``; by default
    products of rational Householder reflections, Cayley transforms, and ``U = V = I``, where
    ``factor > 1`` fails) must satisfy ``UᵀU = VᵀV = I`` exactly and give ``CᵀC`` the
    characteristic polynomial ``Π(t − s_k²)`` (so ``s`` really are the singular values).
    Non-orthogonal factors do not verify.
    """
    checks: dict[str, Any] = {"M": M, "factor": str(factor)}
    k_f = sp.nsimplify(factor)
    if M == 1:
        c = sp.Symbol("c", positive=True)
        # |c| − c ≥ 0 on both signs of a 1×1 "matrix" c (zero included as the limit of either)
        checks["c_positive"] = bool((sp.Abs(c) - k_f * c).is_nonnegative) or _zero(sp.Abs(c) - k_f * c)
        checks["c_negative"] = bool((sp.Abs(-c) - k_f * (-c)).is_nonnegative)
        holds = checks["c_positive"] and checks["c_negative"]
        return Certificate("nuclear norm ≥ trace", holds, checks)
    if M == 2:
        c11, c12, c21, c22, t = sp.symbols("c11 c12 c21 c22 t", real=True)
        c = sp.Matrix([[c11, c12], [c21, c22]])
        gram = c.T * c
        charpoly = (t * sp.eye(2) - gram).det()
        checks["charpoly"] = _zero(charpoly - (t**2 - gram.trace() * t + c.det() ** 2))
        fro2 = sum(x**2 for x in c)
        checks["sos"] = _zero(fro2 + 2 * c.det() - c.trace() ** 2 - (c12 - c21) ** 2)
        # explicit instances with det < 0, det > 0 and C = I: exact singular values from the Gram matrix
        inst_ok = True
        for m in (sp.Matrix([[1, 2], [3, -1]]), sp.Matrix([[2, -1], [1, 3]]), sp.Matrix([[0, 1], [-1, 0]]), sp.eye(2)):
            sv = [sp.sqrt(e) for e in (m.T * m).eigenvals(multiple=True)]
            inst_ok &= bool(sp.nsimplify(sp.Add(*sv) - k_f * m.trace()) >= 0)
            inst_ok &= _zero(sp.Add(*sv) ** 2 - (sum(x**2 for x in m) + 2 * abs(m.det())))
        checks["instances"] = inst_ok
        return Certificate("nuclear norm ≥ trace", checks["charpoly"] and checks["sos"] and inst_ok, checks)
    general = von_neumann_general(k_f)
    checks["general_n"] = general.checks
    checks["explicit_M"] = _von_neumann_explicit(M)
    eye = sp.eye(M)
    pairs = list(factors) if factors is not None else (
        [(_householder(M, k), _cayley(M, k + 5)) for k in range(3)] + [(eye, eye)])
    t = sp.Symbol("t")
    instances = []
    for j, (uu, vv) in enumerate(pairs):
        s = [sp.Rational(i + 1 + j, 2) for i in range(M)]
        c = uu * sp.diag(*s) * vv.T
        q = vv.T * uu
        inst = {
            "U orthogonal": uu.T * uu == eye,
            "V orthogonal": vv.T * vv == eye,
            "singular values are s": sp.expand((c.T * c).charpoly(t).as_expr() - sp.Mul(*[t - x**2 for x in s])) == 0,
            "|Q_kk| <= 1": all(abs(x) <= 1 for x in q.diagonal()),
            "sum s >= factor tr C": bool(sp.Add(*s) - k_f * c.trace() >= 0),
        }
        instances.append({k: bool(v) for k, v in inst.items()})
    checks["orthogonal_factor_instances"] = instances
    inst_ok = all(all(d.values()) for d in instances)
    holds = general.holds and all(checks["explicit_M"].values()) and inst_ok
    return Certificate("nuclear norm ≥ trace", holds, checks)


@functools.cache
def von_neumann_general(factor: sp.Expr = 1) -> Certificate:
    """Von Neumann's argument for a symbolic dimension ``n`` (sympy ``Sum`` / ``IndexedBase`` and
    ``MatrixSymbol``):

    * ``VᵀV = I ⇒ VVᵀ = I``: ``VVᵀ = (VVᵀV)V⁻¹`` (structural) and ``VVᵀV = V(VᵀV) = V``;
    * ``QᵀQ = I`` for ``Q = VᵀU``: ``QᵀQ = UᵀVVᵀU``, then ``VVᵀ = I`` and ``UᵀU = I``;
    * trace identity: ``tr(U diag(s) Vᵀ) = Σ_i Σ_k U_ik s_k V_ik = Σ_k s_k Σ_i V_ik U_ik = Σ_k s_k Q_kk``;
    * unit columns: ``(QᵀQ)_kk = Σ_i Q_ik² = Q_kk² + Σ_i (1 − δ_ik) Q_ik²``, so ``QᵀQ = I`` gives
      ``Q_kk² ≤ 1``;
    * conclusion: ``Σ_k s_k − factor·Σ_k s_k Q_kk = Σ_k s_k(1 − factor·Q_kk)``, every term ``≥ 0``
      for ``s_k ≥ 0``, ``|Q_kk| ≤ 1`` iff ``|factor| ≤ 1``.
    """
    n = sp.Symbol("n", integer=True, positive=True)
    u_m, v_m = sp.MatrixSymbol("U", n, n), sp.MatrixSymbol("V", n, n)
    ident = sp.Identity(n)
    checks: dict[str, Any] = {"factor": str(factor)}
    structural = sp.MatMul(v_m, v_m.T, v_m, v_m.I).doit() == v_m * v_m.T
    checks["VtV = I => VVt = I"] = bool(structural and sp.MatMul(v_m, ident, v_m.I).doit() == ident)
    q_m = v_m.T * u_m
    gram = (q_m.T * q_m).doit()
    checks["Q orthogonal"] = bool(gram == u_m.T * v_m * v_m.T * u_m
                                  and gram.subs(v_m * v_m.T, ident).subs(u_m.T * u_m, ident) == ident)
    i, k = sp.symbols("i k", integer=True)
    u, v, s, q = (sp.IndexedBase(x) for x in ("U", "V", "s", "Q"))
    trace_c = sp.Sum(sp.Sum(u[i, k] * s[k] * v[i, k], (k, 1, n)), (i, 1, n))
    by_columns = sp.Sum(sp.Sum(s[k] * v[i, k] * u[i, k], (i, 1, n)), (k, 1, n))
    checks["trace identity"] = bool(sp.simplify(trace_c.reorder((0, 1)) - by_columns) == 0)
    diag_part = sp.Sum(sp.KroneckerDelta(i, k) * q[i, k] ** 2, (i, 1, n)).doit()
    checks["unit column"] = bool(isinstance(diag_part, sp.Piecewise)
                                 and diag_part.args[0].expr == q[k, k] ** 2
                                 and diag_part.args[0].cond == sp.And(k >= 1, k <= n))
    residual = sp.Sum(sp.expand(s[k] - factor * s[k] * q[k, k] - s[k] * (1 - factor * q[k, k])), (k, 1, n)).doit()
    checks["conclusion"] = bool(residual == 0 and abs(factor) <= 1)
    return Certificate("von Neumann: Σσ_k ≥ factor·tr C (symbolic n)", all(checks[x] for x in checks if x != "factor"),
                       checks)


def _von_neumann_explicit(M: int) -> dict[str, bool]:
    """The general statements at ``n = M`` against explicit symbolic ``M×M`` matrices (sympy's
    ``Sum``/``MatrixSymbol`` calculus could silently return 0; explicit matrices cannot)."""
    u = sp.Matrix(M, M, lambda i, j: sp.Symbol(f"u{i}_{j}", real=True))
    v = sp.Matrix(M, M, lambda i, j: sp.Symbol(f"v{i}_{j}", real=True))
    sig = sp.symbols(f"s0:{M}", nonnegative=True)
    q = v.T * u
    trace_c = (u * sp.diag(*sig) * v.T).trace()
    i, k = sp.symbols("i k", integer=True)
    ui, vi, si = sp.IndexedBase("U"), sp.IndexedBase("V"), sp.IndexedBase("s")
    general = sp.Sum(sp.Sum(ui[i, k] * si[k] * vi[i, k], (k, 1, M)), (i, 1, M)).doit()
    sub = {ui[a + 1, b + 1]: u[a, b] for a in range(M) for b in range(M)}
    sub |= {vi[a + 1, b + 1]: v[a, b] for a in range(M) for b in range(M)}
    sub |= {si[b + 1]: sig[b] for b in range(M)}
    gram_q = q.T * q
    return {
        "trace identity": _zero(trace_c - sp.Add(*[sig[j] * q[j, j] for j in range(M)])),
        "general formula at n = M": _zero(general.xreplace(sub) - trace_c),
        "unit column": all(_zero(gram_q[j, j] - q[j, j] ** 2 - sp.Add(*[q[r, j] ** 2 for r in range(M) if r != j]))
                           for j in range(M)),
        "Q orthogonal for orthogonal U, V": (_householder(M, 0).T * _cayley(M, 1)).T * (_householder(M, 0).T
                                                                                    * _cayley(M, 1)) == sp.eye(M),
    }


def _householder(m: int, seed: int) -> sp.Matrix:
    """A rational orthogonal matrix: the product of two Householder reflections ``I − 2wwᵀ/wᵀw``
    with integer vectors ``w``."""
    out = sp.eye(m)
    for r in range(2):
        w = sp.Matrix([((seed + 2 * r + 1) * (j + 1) + r) % 5 - 2 or 1 for j in range(m)])
        out = out * (sp.eye(m) - 2 * w * w.T / (w.T * w)[0, 0])
    return out


def _cayley(m: int, seed: int) -> sp.Matrix:
    """A rational orthogonal matrix ``(I − S)(I + S)⁻¹`` from a skew-symmetric integer ``S``."""
    s = sp.zeros(m, m)
    vals = itertools.cycle([*[1, -2, 3, 1, 2, -1, 1][seed % 7:], 2, 1])
    for i in range(m):
        for j in range(i + 1, m):
            s[i, j] = next(vals)
            s[j, i] = -s[i, j]
    eye = sp.eye(m)
    return (eye - s) * (eye + s).inv()


# --------------------------------------------------------------------------------------------
# step 5: each side d_SVD ≤ 2ε²
# --------------------------------------------------------------------------------------------
def sharp_side_bound(M: int, constant: sp.Expr = 2) -> Certificate:
    """Step 5: with ``0 ≤ a_i, b_i ≤ ε``,
    ``d_SVD = 1 − ‖C‖_*/M ≤ 1 − tr C/M = (1/2M) Σ_i Var(ũ_i − ũ'_i) ≤ (1/2M) Σ_i (a_i + b_i)² ≤ constant·ε²``.

    Certificate for the last step: with ``a_i = ε − α_i``, ``b_i = ε − β_i`` (``0 ≤ α_i, β_i ≤ ε``),
    ``constant·ε² − (1/2M) Σ (a_i + b_i)² = (1/2M) Σ (α_i + β_i)(4ε − α_i − β_i) + (constant − 2)ε²``;
    every product is non-negative, so the step holds iff ``constant ≥ 2`` (``a_i = b_i = ε`` is the
    witness otherwise).  The equality ``1 − tr C/M = (1/2M) Σ Var(ũ_i − ũ'_i)`` is step 3 summed.
    """
    constant = sp.nsimplify(constant)
    eps = sp.Symbol("epsilon", nonnegative=True)
    al = sp.symbols(f"alpha0:{M}", nonnegative=True)
    be = sp.symbols(f"beta0:{M}", nonnegative=True)
    a = [eps - x for x in al]
    b = [eps - x for x in be]
    gap = constant * eps**2 - sp.Add(*[(x + y) ** 2 for x, y in zip(a, b, strict=False)]) / (2 * M)
    products = sp.Add(*[(x + y) * (4 * eps - x - y) for x, y in zip(al, be, strict=True)])
    cert = products / (2 * M) + (constant - 2) * eps**2
    identity = _zero(gap - cert)
    # the trace step: 1 − (1/M) Σ (1 − V_i/2) = (1/2M) Σ V_i
    v = sp.symbols(f"V0:{M}", nonnegative=True)
    trace_step = _zero(1 - sp.Add(*[1 - x / 2 for x in v]) / M - sp.Add(*v) / (2 * M))
    holds = identity and trace_step and bool(constant >= 2)
    at_equal = sp.simplify(gap.subs({x: 0 for x in al + be}))
    witness = None if holds else {"a_i = b_i = epsilon": True, "gap": str(at_equal)}
    return Certificate("d_SVD ≤ 2ε² on each side", holds,
                       {"M": M, "constant": str(constant), "identity": identity, "trace_step": trace_step,
                        "witness": witness})


def summand_nonnegative(coefficient: sp.Expr = 4) -> Certificate:
    """Each summand ``(α + β)(4ε − α − β)`` of step 5's certificate is ``≥ 0`` for ``0 ≤ α, β ≤ ε``
    (``a = ε − α``, ``b = ε − β`` are SDs at most ``ε``): with ``α = εs``, ``β = εt`` (``s, t ≥ 0``) the
    first factor is ``ε(s + t)``; with ``α = ε(1 − s')``, ``β = ε(1 − t')`` (``s', t' ≥ 0``) the second is
    ``ε(2 + s' + t')``; sympy decides both signs from the symbols' assumptions (``coefficient``
    replaces the 4: a false variant, ``1``, must not hold)."""
    eps, s, t, s1, t1 = sp.symbols("epsilon s t s' t'", nonnegative=True)
    al, be = sp.symbols("alpha beta", real=True)
    first = sp.expand((al + be).subs({al: eps * s, be: eps * t}))
    second = sp.expand((coefficient * eps - al - be).subs({al: eps * (1 - s1), be: eps * (1 - t1)}))
    signs = {"alpha + beta": first.is_nonnegative, "4 epsilon - alpha - beta": second.is_nonnegative}
    return Certificate("(α + β)(4ε − α − β) ≥ 0 for 0 ≤ α, β ≤ ε", all(v is True for v in signs.values()),
                       {"alpha + beta": str(first), "4 epsilon - alpha - beta": str(second), "signs": signs})


@functools.cache
def sharp_side_bound_general(constant: sp.Expr = 2) -> Certificate:
    """Step 5 for a symbolic dimension ``M`` (sympy ``Sum`` over ``IndexedBase`` α, β, V): the
    certificate identity of :func:`sharp_side_bound`,
    ``constant·ε² − (1/2M) Σ_{i≤M} (a_i + b_i)² = (1/2M) Σ_{i≤M} (α_i + β_i)(4ε − α_i − β_i) + (constant − 2)ε²``
    (the two sums combined into one by linearity, its summand expanded, then summed), and the trace
    step ``1 − (1/M) Σ (1 − V_i/2) = (1/2M) Σ V_i``.  Holds iff ``constant ≥ 2``."""
    constant = sp.nsimplify(constant)
    m = sp.Symbol("M", integer=True, positive=True)
    i = sp.Symbol("i", integer=True)
    al, be, v = sp.IndexedBase("alpha"), sp.IndexedBase("beta"), sp.IndexedBase("V")
    eps = sp.Symbol("epsilon", nonnegative=True)
    a_i, b_i = eps - al[i], eps - be[i]
    summand = -(a_i + b_i) ** 2 / (2 * m) - (al[i] + be[i]) * (4 * eps - al[i] - be[i]) / (2 * m)
    identity = _zero(constant * eps**2 - (constant - 2) * eps**2 + sp.Sum(sp.expand(summand), (i, 1, m)).doit())
    trace_step = _zero(1 - sp.Sum(1 - v[i] / 2, (i, 1, m)).doit() / m - sp.Sum(v[i], (i, 1, m)).doit() / (2 * m))
    return Certificate("d_SVD ≤ 2ε² on each side (symbolic M)", identity and trace_step and bool(constant >= 2),
                       {"constant": str(constant), "identity": identity, "trace_step": trace_step})


# --------------------------------------------------------------------------------------------
# step 6: the paper's linear bound follows for every ε ≥ 0
# --------------------------------------------------------------------------------------------
def linear_from_quadratic(M: int, constant: sp.Expr | None = None) -> Certificate:
    """Step 6: ``min(1, 2ε²) ≤ constant·ε`` for all ``ε ≥ 0``; default ``constant = 2M``.

    Certificate: for ``0 ≤ ε ≤ 1/√2``, ``√2ε − 2ε² = √2ε(1 − √2ε) ≥ 0``; for ``ε ≥ 1/√2``,
    ``√2ε − 1 ≥ 0``; and ``2Mε − √2ε = (2M − √2)ε ≥ 0``.  So the step holds iff
    ``constant ≥ √2`` -- the best linear constant, attained at ``ε = 1/√2``.  Cross-checked with
    sympy's inequality solver: the set of ``ε ≥ 0`` violating it must be empty.
    """
    eps = sp.Symbol("epsilon", nonnegative=True)
    k = sp.nsimplify(2 * M if constant is None else constant)
    r2 = sp.sqrt(2)
    low = _zero(r2 * eps - 2 * eps**2 - r2 * eps * (1 - r2 * eps))
    tail = bool(sp.simplify(r2 * (1 / r2) - 1) == 0)
    compare = bool(k - r2 >= 0)
    viol_low = sp.solve_univariate_inequality(2 * eps**2 > k * eps, eps, relational=False).intersect(
        sp.Interval(0, 1 / r2))
    viol_high = sp.solve_univariate_inequality(1 > k * eps, eps, relational=False).intersect(
        sp.Interval(1 / r2, sp.oo))
    violations = sp.Union(viol_low, viol_high)
    empty = violations == sp.EmptySet
    holds = low and tail and compare and empty
    return Certificate("min(1, 2ε²) ≤ 2Mε", holds,
                       {"M": M, "constant": str(k), "certificate_low": low, "violating_epsilons": str(violations),
                        "solver_empty": empty})


def best_linear_constant() -> Certificate:
    """√2 is the best ``c`` with ``min(1, 2ε²) ≤ cε`` for all ``ε ≥ 0``: it works
    (:func:`linear_from_quadratic`), and at ``ε = 1/√2``, where ``min(1, 2ε²) = 1``, every positive
    ``c`` with ``1 ≤ c/√2`` is at least √2 (sympy's solver, ``c`` symbolic)."""
    c = sp.Symbol("c", positive=True)
    e0 = 1 / sp.sqrt(2)
    at = sp.Min(1, 2 * e0**2)
    works = sp.solve_univariate_inequality(at <= c * e0, c, relational=False)
    best = works == sp.Interval(sp.sqrt(2), sp.oo)
    return Certificate("√2 is the best linear constant", bool(_zero(at - 1) and best),
                       {"min(1, 2eps^2) at eps = 1/sqrt(2)": str(at), "constants c > 0 that work there": str(works)})


# --------------------------------------------------------------------------------------------
# 0 ≤ m_SVD ≤ 1 and a singular value above 1
# --------------------------------------------------------------------------------------------
def msvd_range(n: int = 3, M: int = 2) -> Certificate:
    """``0 ≤ m_SVD ≤ 1`` (Hölder / Cauchy–Schwarz), although ``σ_1(C)`` can exceed 1.

    ``‖C‖_* = max_Q tr(QᵀC)`` over orthogonal ``Q``, and ``tr(QᵀC) = E[ṽᵀQᵀũ] ≤ (E|ũ|²)^{1/2}
    (E|Qṽ|²)^{1/2} = M`` because every standardised coordinate has unit variance (checked here
    symbolically: ``E|ũ|² = M``) and ``Q`` preserves norms (checked for a symbolic rotation).
    The Cauchy–Schwarz step is the Lagrange identity.  Exhibit: ``ũ = ṽ = (z, z)`` gives
    ``C = [[1, 1], [1, 1]]`` with singular values ``2, 0``: ``σ_1 = 2 > 1`` and ``m_SVD = 1``.
    """
    u = [list(sp.symbols(f"u{j}_0:{n}", real=True)) for j in range(M)]
    su = [[x / sp.sqrt(_var(col)) for x in _centre(col)] for col in u]
    second_moment = sp.Add(*[_mean([x**2 for x in col], None) for col in su])
    unit = _zero(second_moment - M)
    th = sp.Symbol("theta", real=True)
    q = sp.Matrix([[sp.cos(th), -sp.sin(th)], [sp.sin(th), sp.cos(th)]])
    x = sp.Matrix(sp.symbols("x0 x1", real=True))
    isometry = _zero((q * x).dot(q * x) - x.dot(x))
    cs = lagrange_identity(n, weighted=False).holds
    z = [sp.Integer(v) for v in (-1, 0, 1)]
    sz = [v / sp.sqrt(_var(z)) for v in _centre(z)]
    c = sp.Matrix(2, 2, lambda i, j: _mean([v * v for v in sz], None))
    sv = sorted((sp.sqrt(e) for e in (c.T * c).eigenvals(multiple=True)), reverse=True)
    exhibit = sv == [2, 0]
    holds = unit and isometry and cs and exhibit
    return Certificate("0 ≤ m_SVD ≤ 1; σ_1 may exceed 1", holds,
                       {"unit_second_moment": unit, "rotation_isometry": isometry, "cauchy_schwarz": cs,
                        "exhibit_C": str(c.tolist()), "exhibit_singular_values": [str(s) for s in sv]})


# --------------------------------------------------------------------------------------------
# an exact pair attaining 2ε²
# --------------------------------------------------------------------------------------------
def tight_sign_flip(z: list[Any], signs: list[int], constant: sp.Expr = 2) -> Certificate:
    """``M = 1``, ``K = 2``: log-odds ``z`` (model 1) and ``s·z`` (model 2), exactly.

    With ``softplus(t) − softplus(−t) = t`` (checked symbolically), a sign flip moves
    ``ℓ(y_1|x)`` by ``+z`` and ``ℓ(y_0|x)`` by ``−z`` (both relative to model 1), so with
    ``σ = σ' = SD(z)``: ``A = (z − s z)/(2σ)``, ``B = −A``; ``a = b = ε = SD(z − s z)/(2σ)`` and
    ``d_SVD = 1 − |Corr(z, s z)|``.  Returns ``ε``, ``d_SVD`` and whether
    ``d_SVD = constant·ε²`` holds exactly.
    """
    t = sp.Symbol("t", real=True)
    softplus = sp.log(1 + sp.exp(t))
    flip = _zero(sp.expand_log(softplus - softplus.subs(t, -t), force=True) - t) or _zero(
        sp.simplify(sp.exp(softplus - softplus.subs(t, -t))) - sp.exp(t))
    zz = [sp.nsimplify(v) for v in z]
    zs = [s * v for s, v in zip(signs, zz, strict=False)]
    sd_z, sd_zs = sp.sqrt(_var(zz)), sp.sqrt(_var(zs))
    same_scale = _zero(sd_z - sd_zs)
    big_a = [(x - y) / (2 * sd_z) for x, y in zip(zz, zs, strict=False)]
    eps = sp.sqrt(_var(big_a))
    corr = _cov(zz, zs) / (sd_z * sd_zs)
    d_svd = sp.nsimplify(1 - sp.Abs(corr))
    equality = _zero(d_svd - sp.nsimplify(constant) * eps**2)
    return Certificate("d_SVD = 2ε² attained", flip and same_scale and equality,
                       {"softplus_flip": flip, "same_scale": same_scale, "epsilon": str(sp.nsimplify(eps)),
                        "d_svd": str(d_svd), "corr": str(sp.nsimplify(corr)), "equality": equality})


def flip_identities(M: int, factor: int = 2) -> Certificate:
    """The M-dimensional flip ``f' = f − factor·log S·1`` (``S = Σ_j e^{f_j}``, ``g = (0, e_1..e_M)``):
    with ``factor = 2``, ``ℓ'(y_0|x) − ℓ(y_0|x) = log S`` and ``ℓ'(y_i|x) − ℓ(y_i|x) = −log S``
    (exactly opposite moves: ``A_i = −B_i``, hence ``a = b`` and ``SD(ũ_i − ũ'_i) = a + b``).
    Also the variance step of :func:`theory.families.permutation_flip_pair`: shifting a group of
    mean ``m_F`` by ``−2L`` keeps the between-group term iff ``L = m_F − m_B``."""
    f = sp.Matrix(1, M, lambda i, j: sp.Symbol(f"f{j}", real=True))
    g = sp.Matrix.vstack(sp.zeros(1, M), sp.eye(M))
    big_s = sp.Add(*[sp.exp(v) for v in f])
    f2 = f - factor * sp.log(big_s) * sp.ones(1, M)
    ell, ell2 = log_probs_symbolic(f * g.T), log_probs_symbolic(f2 * g.T)

    def is_zero_via_exp(e: sp.Expr) -> bool:
        return sp.simplify(sp.exp(e)) == 1

    pivot = is_zero_via_exp(ell2[0, 0] - ell[0, 0] - sp.log(big_s))
    labels = all(is_zero_via_exp(ell2[0, i] - ell[0, i] + sp.log(big_s)) for i in range(1, M + 1))
    m_f, m_b = sp.symbols("m_F m_B", real=True)
    variance = _zero((m_f - 2 * (m_f - m_b) - m_b) ** 2 - (m_f - m_b) ** 2)
    return Certificate("M-dimensional flip identities", pivot and labels and variance,
                       {"M": M, "factor": factor, "pivot_moves_by_log_S": pivot, "labels_move_by_minus_log_S": labels,
                        "between_group_variance_kept": variance})


def flip_root_monotone(M: int) -> Certificate:
    """For :func:`theory.families.flip_root_enclosure`: ``h(t) = log(e^t + M − 1) − t/M − κ`` has
    ``h' = (M−1)(e^t − 1)/(M(e^t + M − 1))`` (positive for ``t > 0``, ``M ≥ 2``: a unique root) and
    ``h(0) = log M − κ``; and ``h(t) = 0`` is exactly the condition ``L = m_F − m_B`` of
    :func:`flip_identities` for the orbit ``s·1 + t e_i`` (``L = log S = s + log(e^t + M − 1)``,
    ``m_F = s + t/M``, base mean ``m_B = −κ``), which keeps every ``σ_y`` (``T3 = 0``)."""
    t, kappa, s = sp.symbols("t kappa s", real=True)
    h = sp.log(sp.exp(t) + M - 1) - t / M - kappa
    deriv = _zero(sp.together(sp.diff(h, t) - (M - 1) * (sp.exp(t) - 1) / (M * (sp.exp(t) + M - 1))))
    at_zero = _zero(h.subs(t, 0) - (sp.log(M) - kappa))
    link = _zero((s + sp.log(sp.exp(t) + M - 1)) - ((s + t / M) - (-kappa)) - h)
    return Certificate("flip root unique; root ⇔ σ kept", deriv and at_zero and link and M >= 2,
                       {"M": M, "derivative": deriv, "h(0) = log M - kappa": at_zero,
                        "root_is_variance_condition": link})
