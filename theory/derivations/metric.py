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
* :func:`zero_forces_equality` -- identity of indiscernibles for ``λ > 0`` when at most one label
  is outside ``S_Y ∪ {y_0}``: ``T3 = T4 = 0`` gives ``σ = σ'``, ``s = s'`` (so ``r = 1`` in the chain
  above); the rows ``{x_0} ∪ S_X`` agree on every label (normalisation), so ``δ ≡ 0`` on the
  covered labels, and one left-out label is fixed by normalisation.  With two or more left out
  it fails (:func:`left_out_witness`: ``T1..T4 = 0`` exactly, ``p ≠ p'``).  The domain is the set
  of models with every ``σ_y``, ``s_x`` positive (the terms are undefined otherwise).
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
    "left_out_witness",
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


def zero_forces_equality(K: int = 4, left_out: int = 0) -> Certificate:
    """Identity of indiscernibles for ``λ > 0``: ``T1 = T2 = T3 = T4 = 0`` forces ``p = p'`` when at
    most one label is outside ``S_Y ∪ {y_0}`` (``left_out ≤ 1``), and not when two or more are.

    * rows ``x ∈ {x_0} ∪ S_X``: ``c_x = e_x = 0`` with ``s = s'`` give ``ℓ'(·|x) = ℓ(·|x) + k_x`` on
      every label (moments over y run over all of Y), and ``Σ_y p' = e^{k_x} Σ_y p = 1`` forces ``k_x = 0``;
    * covered labels: ``a_y = b_y = 0`` with ``σ = σ'`` give ``δ(y, ·) = ℓ(y|·) − ℓ'(y|·) ≡ α_y``
      (:func:`zero_terms_chain`), and ``δ(y, x_0) = 0`` from the rows step forces ``α_y = 0``;
    * any other input: the ``left_out`` unknown ``p'(y|x)`` of the labels outside ``S_Y ∪ {y_0}``
      satisfy one equation (normalisation: their sum is ``Σ_{left out} p(y|x)``), so they are
      determined iff ``left_out ≤ 1``.  With ``left_out ≥ 2`` :func:`left_out_witness` gives exact
      conditionals with ``T1..T4 = 0`` and ``p ≠ p'``.
    """
    k = sp.Symbol("k", real=True)
    rows = sp.solveset(sp.Eq(sp.exp(k) * 1, 1), k, domain=sp.S.Reals) == sp.FiniteSet(0)
    alpha = sp.Symbol("alpha", real=True)
    pinned = sp.linsolve([alpha - 0], [alpha]) == sp.FiniteSet((0,))
    q = sp.symbols(f"q0:{left_out}", positive=True)  # p'(y|x) of the left-out labels
    mass = sp.Symbol("m", positive=True)  # Σ_{left out} p(y|x) = 1 − Σ_{covered} p(y|x) = the same for p'
    sols = sp.linsolve([sp.Add(*q) - mass], list(q)) if q else sp.FiniteSet(())
    free = sols.free_symbols & set(q) if q else set()
    determined = not free
    checks: dict[str, Any] = {"K": K, "left_out": left_out, "rows_pinned": rows, "covered_pinned": pinned,
                              "left_out_solutions": str(sols), "left_out_determined": determined}
    if not determined:
        checks["witness"] = {key: str(v) for key, v in left_out_witness(left_out).items()}
    return Certificate("d_LLV = 0 forces p = p'", rows and pinned and determined, checks)


def left_out_witness(left_out: int = 2) -> dict[str, Any]:
    """Exact conditionals with ``left_out ≥ 2`` labels outside ``S_Y ∪ {y_0}`` (pivots ``y_0 = 0``,
    ``x_0 = 0``, ``S_Y = {1}``, ``S_X = {1}``, ``K = 2 + left_out``, ``n = 3``), equal at ``x_0`` and
    ``x_1`` and on the covered labels everywhere, but with two left-out labels' probabilities
    swapped at input 2: ``T1 = T2 = T3 = T4 = 0`` exactly while ``p ≠ p'``."""
    if left_out < 2:
        raise ValueError("a witness needs at least two left-out labels")
    K = 2 + left_out
    rest = [sp.Rational(1, 2 * left_out)] * left_out
    tail = [sp.Rational(1, 8) / (left_out - 1)] * (left_out - 1)
    p = sp.Matrix([[sp.Rational(1, K)] * K,
                   [sp.Rational(1, 2), sp.Rational(1, 4), *[r / 2 for r in rest]],
                   [sp.Rational(1, 8), sp.Rational(1, 4), sp.Rational(1, 2), *tail]])
    p2 = p.copy()
    p2[2, 2], p2[2, 3] = p[2, 3], p[2, 2]
    ell, ell2 = p.applyfunc(sp.log), p2.applyfunc(sp.log)
    terms = _exact_terms(ell, ell2, 0, (1,), 0, (1,))
    sums = all(sum(m.row(i)) == 1 for m in (p, p2) for i in range(3))
    return {**terms, "p_differs": p != p2, "rows_sum_to_one": sums, "p": p.tolist(), "p2": p2.tolist()}


def _exact_terms(ell: sp.Matrix, ell2: sp.Matrix, y0: int, labels: tuple[int, ...], x0: int,
                 inputs: tuple[int, ...]) -> dict[str, sp.Expr]:
    """Exact ``T1..T4`` (Section 4, uniform moments) of two log-probability matrices, and whether
    every ``σ_y``, ``σ'_y``, ``s_x``, ``s'_x`` is positive (the domain of ``d_LLV``)."""
    n, k = ell.rows, ell.cols

    def col(m: sp.Matrix, j: int) -> list[sp.Expr]:
        return [m[i, j] for i in range(n)]

    def row(m: sp.Matrix, i: int) -> list[sp.Expr]:
        return [m[i, j] for j in range(k)]

    def sd(v: list[sp.Expr]) -> sp.Expr:
        return sp.sqrt(sp.simplify(sp.expand(_var(v))))

    scales: list[sp.Expr] = []

    def side(get: Any, pivot: int, members: tuple[int, ...]) -> tuple[list[sp.Expr], list[sp.Expr]]:
        terms, gaps = [], []
        for y in members:
            s1 = sd([p - q for p, q in zip(get(ell, y), get(ell, pivot), strict=True)])
            s2 = sd([p - q for p, q in zip(get(ell2, y), get(ell2, pivot), strict=True)])
            scales.extend((s1, s2))
            for j in (y, pivot):
                terms.append(sd([p / s1 - q / s2 for p, q in zip(get(ell, j), get(ell2, j), strict=True)]))
            gaps.append(sp.Abs(s1 - s2))
        return terms, gaps

    ab, t3 = side(col, y0, labels)
    ce, t4 = side(row, x0, inputs)
    return {"T1": sp.simplify(sp.Max(*ab)), "T2": sp.simplify(sp.Max(*ce)),
            "T3": sp.simplify(sp.Max(*t3)), "T4": sp.simplify(sp.Max(*t4)),
            "scales_positive": all(bool(x.is_positive) or bool(sp.N(x, 30) > 0) for x in scales)}


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
    t = _exact_terms(ell, ell2, 0, (1, 2), 0, (1, 2))

    def power_sum(i: int) -> sp.Expr:
        return sp.Add(*[sp.exp(r * ell[i, y]) for y in range(k)])

    lam = sp.nsimplify(lam)
    diff = sp.simplify(ell[0, 0] - ell2[0, 0])
    return {
        **t,
        "d_llv": sp.Max(t["T1"], t["T2"], lam * t["T3"], lam * t["T4"]),
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

