"""Section 4: ``d^λ_LLV`` with fixed pivots and sets is a metric -- and what the λ terms are for.

Proof, in three lemmas checked here with sympy:

* :func:`seminorm_lemmas` -- every term of ``d_LLV`` is a seminorm of a difference of *feature maps*
  of one model: ``a_y = SD_x[φ_y(p) − φ_y(p')]`` with ``φ_y(p) = ℓ(y|·)/σ_y(p)`` (likewise ``b_y``,
  ``c_x``, ``e_x``), and ``T3``, ``T4`` are absolute differences of numbers.  A seminorm of a
  difference is symmetric (``SD(−u) = SD(u)``) and satisfies the triangle inequality
  (``u − w = (u − v) − (w − v)`` plus Minkowski, :func:`theory.derivations.bound.lagrange_identity`);
  a maximum (or a non-negative combination) of pseudometrics is a pseudometric.
* :func:`zero_forces_equality` -- identity of indiscernibles for ``λ > 0`` and
  ``S_Y ∪ {y_0} = Y``: ``T3 = T4 = 0`` gives ``σ = σ'``, ``s = s'``; then ``T1 = 0`` makes
  ``δ(y, x) = ℓ(y|x) − ℓ'(y|x)`` constant in ``x`` for every label, ``T2 = 0`` makes it constant
  in ``y`` at ``x_1 ∈ S_X``, so ``δ ≡ κ``; normalisation ``Σ_y p = Σ_y p' = 1`` forces ``κ = 0``.
  The domain is the set of models with every ``σ_y``, ``s_x`` positive (the terms are undefined
  otherwise).
* :func:`temperature_terms` -- the λ terms are needed: for the cyclic model of
  :func:`theory.families.cyclic_model` and its temperature-scaled copy ``p' ∝ p^r``,
  ``T1 = T2 = 0`` *exactly* while ``p ≠ p'`` (``T3 = |1 − r|σ > 0``).  In general, when
  ``ℓ(y_0|·)`` is not constant, ``T1 = T2 = 0`` holds iff ``p' = p^r / Σ_y p^r`` for some
  ``r > 0`` with ``Σ_y p(y|x)^r`` independent of ``x`` -- so ``T1``, ``T2`` alone separate
  points only on domains where no such ``r ≠ 1`` exists.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from theory.derivations.bound import Certificate, _var, _zero, lagrange_identity, log_probs_symbolic

__all__ = ["seminorm_lemmas", "zero_forces_equality", "temperature_terms", "tie_perturbation_scale"]


def seminorm_lemmas(n: int = 3, triangle_constant: sp.Expr = 1) -> Certificate:
    """Symmetry and triangle inequality of ``SD`` of differences (see the module docstring).

    ``triangle_constant < 1`` (``SD(u − w) ≤ k(SD(u − v) + SD(v − w))``) is the broken variant:
    its witness ``v = (u + w)/2`` gives ``SD(u − w) = 2·SD(u − v)`` against ``k·2·SD(u − v)``.
    """
    u = list(sp.symbols(f"u0:{n}", real=True))
    v = list(sp.symbols(f"v0:{n}", real=True))
    w = list(sp.symbols(f"w0:{n}", real=True))
    diff = [x - y for x, y in zip(u, v, strict=True)]
    symmetry = _zero(_var(diff) - _var([-d for d in diff]))
    split = all(_zero((x - z) - ((x - y) - (z - y))) for x, y, z in zip(u, v, w, strict=False))
    minkowski = lagrange_identity(n, weighted=False).holds
    k = sp.nsimplify(triangle_constant)
    # the midpoint witness: the triangle inequality is tight there, so k < 1 fails
    inst = {**dict(zip(u, range(n), strict=False)), **dict(zip(w, [j * j for j in range(n)], strict=False))}
    mid = [(x + z) / 2 for x, z in zip(u, w, strict=False)]
    lhs = sp.sqrt(_var([(x - z).subs(inst) for x, z in zip(u, w, strict=False)]))
    rhs = k * 2 * sp.sqrt(_var([(x - y).subs(inst) for x, y in zip(u, mid, strict=False)]))
    constant_ok = bool(sp.nsimplify(rhs - lhs) >= 0)
    holds = symmetry and split and minkowski and constant_ok
    return Certificate("SD of differences is a pseudometric", holds,
                       {"n": n, "symmetry": symmetry, "difference_split": split, "minkowski": minkowski,
                        "triangle_constant": str(k), "midpoint_witness": {"lhs": str(lhs), "rhs": str(rhs)}})


def zero_forces_equality(K: int = 3, n: int = 3, cover_all_labels: bool = True) -> Certificate:
    """``δ(y,x) = κ`` for all labels of ``S_Y ∪ {y_0}`` and all inputs, and ``Σ_y p = Σ_y p' = 1``,
    force ``κ = 0`` when ``S_Y ∪ {y_0} = Y``; with a label left out (``cover_all_labels=False``)
    normalisation no longer pins ``κ`` down (the solution set is a whole interval).
    """
    kappa = sp.Symbol("kappa", real=True)
    q = sp.symbols(f"q0:{K}", positive=True)  # p'(y|x) at one input
    covered = K if cover_all_labels else K - 1
    # p(y|x) = e^κ p'(y|x) on covered labels; the left-out label takes whatever mass remains
    mass = sp.exp(kappa) * sp.Add(*q[:covered])
    total_p = mass + (0 if cover_all_labels else 1 - mass)
    constraint = sp.Eq(total_p.subs(q[-1], 1 - sp.Add(*q[:-1])), 1)
    sols = sp.solveset(constraint, kappa, domain=sp.S.Reals)
    unique_zero = sols == sp.FiniteSet(0)
    return Certificate("d_LLV = 0 forces p = p'", unique_zero,
                       {"K": K, "all_labels_covered": cover_all_labels, "solutions_for_kappa": str(sols)})


def temperature_terms(r: Any = 2, scale: Any = 1, lam: Any = 0) -> dict[str, Any]:
    """Exact ``T1..T4`` (and ``d_LLV`` with weight ``lam``) of the cyclic model vs its temperature
    copy ``f' = r·f`` with pivots ``y_0 = 0``, ``x_0 = 0`` and ``S_Y = S_X = {1, 2}``; also whether
    ``p ≠ p'`` (exactly: a difference of log-probabilities that is not 0).
    """
    from theory.families import cyclic_model  # local: families imports the numeric core only

    f, g = cyclic_model(sp.nsimplify(scale))
    z = sp.Matrix(f.tolist()) * sp.Matrix(g.tolist()).T
    r = sp.nsimplify(r)
    ell, ell2 = log_probs_symbolic(z), log_probs_symbolic(r * z)
    n, k = z.rows, z.cols

    def col(m: sp.Matrix, j: int) -> list[sp.Expr]:
        return [m[i, j] for i in range(n)]

    def row(m: sp.Matrix, i: int) -> list[sp.Expr]:
        return [m[i, j] for j in range(k)]

    def sd(v: list[sp.Expr]) -> sp.Expr:
        return sp.sqrt(sp.simplify(sp.expand(_var(v))))

    a, b, c, e, t3, t4 = [], [], [], [], [], []
    for y in (1, 2):
        s1 = sd([p - q for p, q in zip(col(ell, y), col(ell, 0), strict=False)])
        s2 = sd([p - q for p, q in zip(col(ell2, y), col(ell2, 0), strict=False)])
        a.append(sd([p / s1 - q / s2 for p, q in zip(col(ell, y), col(ell2, y), strict=False)]))
        b.append(sd([p / s1 - q / s2 for p, q in zip(col(ell, 0), col(ell2, 0), strict=False)]))
        t3.append(sp.Abs(s1 - s2))
    for x in (1, 2):
        s1 = sd([p - q for p, q in zip(row(ell, x), row(ell, 0), strict=False)])
        s2 = sd([p - q for p, q in zip(row(ell2, x), row(ell2, 0), strict=False)])
        c.append(sd([p / s1 - q / s2 for p, q in zip(row(ell, x), row(ell2, x), strict=False)]))
        e.append(sd([p / s1 - q / s2 for p, q in zip(row(ell, 0), row(ell2, 0), strict=False)]))
        t4.append(sp.Abs(s1 - s2))
    def power_sum(i: int) -> sp.Expr:
        return sp.Add(*[sp.exp(r * ell[i, y]) for y in range(k)])

    t1, t2 = sp.Max(*a, *b), sp.Max(*c, *e)
    t3v, t4v = sp.Max(*t3), sp.Max(*t4)
    lam = sp.nsimplify(lam)
    diff = sp.simplify(ell[0, 0] - ell2[0, 0])
    return {
        "T1": sp.simplify(t1), "T2": sp.simplify(t2), "T3": sp.simplify(t3v), "T4": sp.simplify(t4v),
        "d_llv": sp.Max(t1, t2, lam * t3v, lam * t4v),
        "log_prob_difference": diff,
        "distributions_differ": bool(diff != 0 and sp.N(diff, 30) != 0),
        # Σ_y p(y|x)^r is the same for every input: the normaliser of p^r is constant
        "normaliser_constant": all(_zero(power_sum(i) - power_sum(0)) for i in range(n)),
    }


def tie_perturbation_scale(root_sign: int = -1) -> Certificate:
    """For :func:`theory.families.tie_perturbation_pair`: with ``β = s + root_sign·√(s² − c²)``,
    ``Var(z + δ) = Var(z)`` exactly (so ``T3 = 0`` for every ``s > c > 0``), and ``β → 0`` as
    ``s → ∞`` for the chosen root ``root_sign = −1`` (the other root grows like ``2s``)."""
    s, c = sp.symbols("s c", positive=True)
    beta = s + root_sign * sp.sqrt(s**2 - c**2)
    z = [s * v for v in (-2, -1, 0, 0, 1, 2)]
    d = [0, beta, c, -c, -beta, 0]
    same_var = _zero(sp.expand(_var([a + b for a, b in zip(z, d, strict=True)]) - _var(z)))
    limit = sp.limit(beta, s, sp.oo)
    return Certificate("tie perturbation keeps σ", same_var and limit == 0,
                       {"variance_kept": same_var, "beta_limit": str(limit), "root_sign": root_sign})
