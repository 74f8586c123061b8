"""Section 4: ``d^λ_LLV`` with fixed pivots and sets is a metric -- and what the λ terms are for.

Proof, in three lemmas checked here with sympy:

* :func:`seminorm_lemmas` -- every term of ``d_LLV`` is a seminorm of a difference of *feature maps*
  of one model: ``a_y = SD_x[φ_y(p) − φ_y(p')]`` with ``φ_y(p) = ℓ(y|·)/σ_y(p)`` (likewise ``b_y``,
  ``c_x``, ``e_x``), and ``T3``, ``T4`` are absolute differences of numbers.  A seminorm of a
  difference is symmetric (``SD(−u) = SD(u)``) and satisfies the triangle inequality
  (``u − w = (u − v) − (w − v)`` plus Minkowski, :func:`theory.derivations.bound.lagrange_identity`);
  a maximum (or a non-negative combination) of pseudometrics is a pseudometric.
* :func:`zero_terms_chain` -- the reasoning from vanishing terms to a power of ``p``: a weighted
  variance is ``½ Σ_{i,j} w_i w_j (v_i − v_j)²``, so ``SD = 0`` means constant; ``a_y = 0`` gives
  ``ℓ'(y|·) = r_y ℓ(y|·) + α_y`` with ``r_y = σ'_y/σ_y > 0``; ``b_y = 0`` for two labels and a
  non-constant ``ℓ(y_0|·)`` force one common ``r``; ``T2 = 0`` at ``x_1`` (``s_{x_1} > 0``) then forces
  ``ℓ' = rℓ + κ`` on every label (when ``S_Y ∪ {y_0} = Y``); normalisation gives
  ``Σ_y p(y|x)^r = e^{−κ}`` for every ``x``.
* :func:`zero_forces_equality` -- identity of indiscernibles for ``λ > 0`` and
  ``S_Y ∪ {y_0} = Y``: ``T3 = T4 = 0`` gives ``σ = σ'``, ``s = s'`` (so ``r = 1`` in the chain
  above); ``δ(y, x) = ℓ(y|x) − ℓ'(y|x) ≡ κ`` and normalisation ``Σ_y p = Σ_y p' = 1`` forces
  ``κ = 0``.  The domain is the set of models with every ``σ_y``, ``s_x`` positive (the terms are
  undefined otherwise).
* :func:`power_family_terms` -- the converse: ``p' = p^r / Σ_y p^r`` with ``r > 0`` and
  ``Σ_y p(y|x)^r`` independent of ``x`` has ``T1 = T2 = 0`` (for ``r < 0`` it fails: ``σ' = |r|σ``
  and ``ℓ'/σ' = −ℓ/σ + const``).
* :func:`temperature_terms` -- the λ terms are needed: for the cyclic model of
  :func:`theory.families.cyclic_model` and its temperature-scaled copy ``p' ∝ p^r``,
  ``T1 = T2 = 0`` *exactly* while ``p ≠ p'`` (``T3 = |1 − r|σ > 0``).  Together: when
  ``S_Y ∪ {y_0} = Y``, every ``σ_y, s_x > 0`` and ``ℓ(y_0|·)`` is not constant, ``T1 = T2 = 0`` iff
  ``p' = p^r / Σ_y p^r`` for some ``r > 0`` with ``Σ_y p(y|x)^r`` independent of ``x`` -- so
  ``T1``, ``T2`` alone separate points only on domains where no such ``r ≠ 1`` exists.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from theory.derivations.bound import Certificate, _centre, _var, _zero, lagrange_identity, log_probs_symbolic

__all__ = [
    "seminorm_lemmas",
    "zero_terms_chain",
    "zero_forces_equality",
    "power_family_terms",
    "temperature_terms",
    "tie_perturbation_scale",
    "equivalence_keeps_log_probs",
]


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


def zero_terms_chain(K: int = 3, pivot_varies: bool = True, input_varies: bool = True,
                     cover_all_labels: bool = True, scales_equal: bool = False) -> Certificate:
    """The steps from ``T1 = T2 = 0`` to ``ℓ' = rℓ + κ`` (see the module docstring), each checked:

    * ``variance_pairs``: ``Var_w(v) = ½ Σ_{i,j} w_i w_j (v_i − v_j)²`` for weights summing to 1
      (symbolic, ``n = 3``), so with positive weights ``SD(v) = 0`` iff ``v`` is constant;
    * ``rescale``: ``ℓ/σ − ℓ'/σ' = α`` solved for ``ℓ'`` is ``(σ'/σ)ℓ − σ'α``;
    * ``common_ratio``: ``(r_y − r_{y'})ℓ(y_0|x) + (β_y − β_{y'}) = 0`` at two inputs has only the
      zero solution iff ``ℓ(y_0|x) ≠ ℓ(y_0|x')`` (``pivot_varies=False`` makes them equal: refuted);
    * ``input_step``: with ``ℓ'(y|x) = rℓ(y|x) + κ_y`` on every label and ``T2 = 0`` at ``x_1``
      (``ℓ'(·|x_1) = tℓ(·|x_1) + k``, ``ℓ'(·|x_0) = tℓ(·|x_0) + k'``) the linear system has only
      ``t = r``, ``k' = k``, ``κ_y = k`` -- when ``ℓ(·|x_1) − ℓ(·|x_0)`` is not constant, i.e.
      ``s_{x_1} > 0`` (``input_varies=False`` breaks it);  ``cover_all_labels=False`` leaves the
      last label's ``κ`` out of ``T1``'s reach, and the solution is no longer unique;
    * ``normalisation``: ``Σ_y e^{rℓ(y|x) + κ} = 1`` gives ``Σ_y p(y|x)^r = e^{−κ}``.

    ``scales_equal=True`` is the metric case (``T3 = T4 = 0``): ``σ' = σ`` and ``s' = s`` fix
    ``r_y = t = 1`` directly, the common-ratio step is not needed, and the input step leaves
    ``δ = ℓ − ℓ' ≡ κ`` (then :func:`zero_forces_equality` gives ``κ = 0``).

    Each linear system is solved for symbolic entries and again on a rational instance.
    """
    checks: dict[str, Any] = {"K": K}
    # variance as a sum of pairwise squares
    v = list(sp.symbols("v0:3", real=True))
    w0, w1 = sp.symbols("w0 w1", positive=True)
    w = [w0, w1, 1 - w0 - w1]
    pairs = sp.Rational(1, 2) * sp.Add(*[w[i] * w[j] * (v[i] - v[j]) ** 2 for i in range(3) for j in range(3)])
    checks["variance_pairs"] = _zero(_var(v, w) - pairs)
    # a_y = 0: solve for ℓ'
    ell, ell2, s1, s2, alpha = sp.symbols("ell ell2 sigma sigma2 alpha", real=True)
    sol = sp.solve(sp.Eq(ell / s1 - ell2 / s2, alpha), ell2)
    checks["rescale"] = len(sol) == 1 and _zero(sol[0] - (s2 / s1 * ell - s2 * alpha))
    # b_y = 0 for two labels: the two ratios agree
    dr, db, p0, p1 = sp.symbols("d_r d_beta p0 p1", real=True)
    inst = {p0: sp.Rational(-3, 2), p1: sp.Rational(-1, 4) if pivot_varies else sp.Rational(-3, 2)}
    eqs = [dr * p0 + db, dr * (p1 if pivot_varies else p0) + db]
    checks["common_ratio"] = {
        "symbolic": sp.linsolve(eqs, [dr, db]) == sp.FiniteSet((0, 0)),
        "instance": sp.linsolve([e.subs(inst) for e in eqs], [dr, db]) == sp.FiniteSet((0, 0)),
    }
    # T2 = 0 at x_1 with ℓ' = rℓ + κ_y on the labels T1 reaches
    l1 = list(sp.symbols(f"l1_0:{K}", real=True))
    l0 = list(sp.symbols(f"l0_0:{K}", real=True))
    if not input_varies:
        l1 = [x + 5 for x in l0]  # ℓ(·|x_1) − ℓ(·|x_0) constant: s_{x_1} = 0
    r, t, k, k2 = sp.symbols("r t k k2", real=True)
    kap = list(sp.symbols(f"kappa0:{K}", real=True))
    reach = K if cover_all_labels else K - 1
    eqs = []
    for y in range(K):
        if y < reach:
            eqs += [r * l1[y] + kap[y] - t * l1[y] - k, r * l0[y] + kap[y] - t * l0[y] - k2]
        else:  # the left-out label: only T2's own relation between its two rows
            eqs += [kap[y] - (t - r) * l1[y] - k - (kap[y] - (t - r) * l0[y] - k2)]
    unknowns, want = [*kap, t, k2], sp.FiniteSet((*([k] * K), r, k))
    if scales_equal:
        eqs = [e.subs({r: 1, t: 1}) for e in eqs]
        unknowns, want = [*kap, k2], sp.FiniteSet((*([k] * K), k))
        checks["common_ratio"] = {"not needed": True}
    rat = {x: sp.Rational(3 * j + 1, j + 2) - j for j, x in enumerate([*l0, *[x for x in l1 if x.is_Symbol]])}
    checks["input_step"] = {
        "symbolic": sp.linsolve(eqs, unknowns) == want,
        "instance": sp.linsolve([e.subs(rat) for e in eqs], unknowns) == want,
    }
    # normalisation
    ps = sp.symbols(f"p0:{K}", positive=True)
    kappa = sp.Symbol("kappa", real=True)
    total = sp.solve(sp.Eq(sp.exp(kappa) * sp.Symbol("S_r", positive=True), 1), sp.Symbol("S_r", positive=True))
    checks["normalisation"] = total == [sp.exp(-kappa)] and _zero(
        sp.Add(*[sp.exp(r * sp.log(x) + kappa) for x in ps]) - sp.exp(kappa) * sp.Add(*[x**r for x in ps]))
    flat = [checks["variance_pairs"], checks["rescale"], *checks["common_ratio"].values(),
            *checks["input_step"].values(), checks["normalisation"]]
    checks.update({"pivot_varies": pivot_varies, "input_varies": input_varies, "cover_all_labels": cover_all_labels,
                   "scales_equal": scales_equal})
    return Certificate("T1 = T2 = 0 forces ℓ' = rℓ + κ", all(bool(x) for x in flat), checks)


def power_family_terms(r_sign: int = 1, K: int = 3, n: int = 3) -> Certificate:
    """The "if" direction: ``ℓ' = rℓ − log Z`` (``Z`` constant in ``x``, ``r`` a symbol of sign
    ``r_sign``) makes the centred arguments of ``a_y``, ``b_y``, ``c_x``, ``e_x`` vanish
    identically -- for ``r > 0``.  For ``r < 0`` (``r_sign = −1``) they do not: ``σ' = |r|σ``.
    Checked for a symbolic ``n × K`` log-probability matrix and on a rational instance (``r = 2``
    or ``−1``)."""
    r = sp.Symbol("r", positive=True) if r_sign > 0 else sp.Symbol("r", negative=True)
    log_z = sp.Symbol("logZ", real=True)
    ell = sp.Matrix(n, K, lambda i, j: sp.Symbol(f"l{i}_{j}", real=True))

    def residuals(m: sp.Matrix, rr: sp.Expr) -> list[sp.Expr]:
        m2 = rr * m - log_z * sp.ones(n, K)
        out = []
        col, row = (lambda a, j: list(a[:, j])), (lambda a, i: list(a[i, :]))
        for y in range(1, K):  # label terms, pivot y_0 = 0, moments over x
            s1 = sp.sqrt(sp.factor(_var([p - q for p, q in zip(col(m, y), col(m, 0), strict=True)])))
            s2 = sp.sqrt(sp.factor(_var([p - q for p, q in zip(col(m2, y), col(m2, 0), strict=True)])))
            for j in (y, 0):
                out += _centre([p / s1 - q / s2 for p, q in zip(col(m, j), col(m2, j), strict=True)])
        for x in range(1, n):  # input terms, pivot x_0 = 0, moments over y
            s1 = sp.sqrt(sp.factor(_var([p - q for p, q in zip(row(m, x), row(m, 0), strict=True)])))
            s2 = sp.sqrt(sp.factor(_var([p - q for p, q in zip(row(m2, x), row(m2, 0), strict=True)])))
            for i in (x, 0):
                out += _centre([p / s1 - q / s2 for p, q in zip(row(m, i), row(m2, i), strict=True)])
        return out

    symbolic = all(_zero(e) for e in residuals(ell, r))
    inst = sp.Matrix(n, K, lambda i, j: sp.Rational((3 * i + 5 * j * j) % 7 - 3, 1 + (i + j) % 2))
    instance_r = 2 if r_sign > 0 else -1
    instance = all(_zero(e) for e in residuals(inst, sp.Integer(instance_r)))
    return Certificate("p' ∝ p^r with constant normaliser has T1 = T2 = 0", symbolic and instance,
                       {"r_sign": r_sign, "symbolic": symbolic, "rational_instance": instance,
                        "instance_r": instance_r})


def equivalence_keeps_log_probs(M: int = 2, K: int = 3, n: int = 2,
                                transform: str = "inverse-transpose") -> Certificate:
    """Invariance under ``~_L`` (Section 2): ``F' = F A⁻ᵀ``, ``G' = G A + 1bᵀ`` give logits
    ``Z' = Z + (F A⁻ᵀ b) 1ᵀ``, a shift constant within each row, and log-softmax ignores such a
    shift; so ``ℓ' = ℓ`` and every distance written in ``ℓ`` alone (``d_KL`` in both directions,
    ``d^λ_LLV``, and ``d_{f,g}`` through the log-ratio identities) is unchanged when either model
    is replaced.  Symbolic ``F``, ``G``, ``A``, ``b`` and an integer instance.
    ``transform="plain"`` uses ``F' = F A`` instead (not an equivalence): refuted.
    """
    def logit_shift_rows_constant(f: sp.Matrix, g: sp.Matrix, a: sp.Matrix, b: sp.Matrix) -> bool:
        f2 = f * a.inv().T if transform == "inverse-transpose" else f * a
        g2 = g * a + sp.ones(K, 1) * b.T
        d = f2 * g2.T - f * g.T
        return all(_zero(sp.together(d[i, j] - d[i, 0])) for i in range(n) for j in range(1, K))

    f = sp.Matrix(n, M, lambda i, j: sp.Symbol(f"f{i}_{j}", real=True))
    g = sp.Matrix(K, M, lambda i, j: sp.Symbol(f"g{i}_{j}", real=True))
    a = sp.Matrix(M, M, lambda i, j: sp.Symbol(f"A{i}_{j}", real=True))
    b = sp.Matrix(M, 1, lambda i, j: sp.Symbol(f"b{i}", real=True))
    symbolic = logit_shift_rows_constant(f, g, a, b)
    fi = sp.Matrix(n, M, lambda i, j: (3 * i + 2 * j) % 5 - 2)
    gi = sp.Matrix(K, M, lambda i, j: (i * i + 3 * j) % 7 - 3)
    ai = sp.Matrix(M, M, lambda i, j: 2 if i == j else (1 if j > i else -1))
    bi = sp.Matrix(M, 1, lambda i, j: i + 1)
    instance = logit_shift_rows_constant(fi, gi, ai, bi)
    z = list(sp.symbols(f"z0:{K}", real=True))
    c = sp.Symbol("c", real=True)
    row, row_c = log_probs_symbolic(sp.Matrix([z])), log_probs_symbolic(sp.Matrix([[x + c for x in z]]))
    # ℓ(z + c) − ℓ(z) is real and its exponential is 1 (Σe^{z+c} = e^c Σe^z), so it is 0
    shift = _zero(sp.expand(sp.Add(*[sp.exp(x + c) for x in z]) - sp.exp(c) * sp.Add(*[sp.exp(x) for x in z]))) and all(
        sp.simplify(sp.exp(row_c[0, j] - row[0, j])) == 1 for j in range(K))
    return Certificate("~_L keeps ℓ", symbolic and instance and shift,
                       {"transform": transform, "row_constant_shift_symbolic": symbolic,
                        "row_constant_shift_instance": instance, "log_softmax_shift_invariant": shift})

