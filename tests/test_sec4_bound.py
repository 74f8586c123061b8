"""Section 4 bound: every step verifies, and every deliberately false variant is refuted."""

from __future__ import annotations

import numpy as np
import pytest

from checks.claims.sec4.bound import (
    check_dfg_exact,
    check_implies_symbolic,
    check_no_invertibility,
    exact_d_svd_sides,
    exact_fg_pair,
)
from checks.claims.sec4.bound_steps import (
    check_cov_numeric,
    check_cov_symbolic,
    check_logratio_numeric,
    check_logratio_symbolic,
    check_msvd_certified,
    check_nuclear_certified,
    check_nuclear_symbolic,
    check_sd_difference_numeric,
    check_sd_difference_symbolic,
)
from checks.claims.sec4.common import (
    check_bound,
    check_bound_certified,
    check_sides_sharp,
    check_zero_sides,
    near_tight_pairs,
    random_pairs,
    weighted_pairs,
)
from checks.claims.sec4.tightness import check_tight_certified, check_tight_every_m, check_tight_symbolic
from checks.registry import Context
from theory.derivations import bound as dbound
from theory.families import (
    TIGHT_LINEAR,
    TIGHT_QUADRATIC,
    bound_figure_family,
    evaluate_bound,
    near_tight_pair,
    sign_flip_pair,
)
from theory.precision import FLOAT64

CTX = Context(dps=30)


# -- step 1 -------------------------------------------------------------------------------------
def test_logratio_verified_and_dropped_pivot_refuted() -> None:
    assert check_logratio_symbolic((1, 2)).verdict == "verified"
    assert check_logratio_symbolic((1, 2), pivot_term=False).verdict == "refuted"
    assert check_logratio_numeric(CTX).verdict == "verified"
    assert check_logratio_numeric(CTX, pivot_term=False).verdict == "refuted"


# -- step 2 -------------------------------------------------------------------------------------
def test_sd_difference_needs_the_pivot_term() -> None:
    assert check_sd_difference_symbolic().verdict == "verified"
    assert check_sd_difference_symbolic(pivot_term=False).verdict == "refuted"
    pairs = random_pairs(0, 6) + near_tight_pairs()
    assert check_sd_difference_numeric(pairs, CTX).verdict == "verified"
    # without b_y the near-tight pairs break it: SD(ũ − ũ') ≈ 2ε but a ≈ ε
    assert check_sd_difference_numeric(pairs, CTX, pivot_term=False).verdict == "refuted"


def test_lagrange_identity_is_a_real_identity() -> None:
    assert dbound.lagrange_identity(3, True).holds
    assert dbound.lagrange_identity(4, False).holds


# -- step 3 -------------------------------------------------------------------------------------
def test_cov_identity_and_wrong_standardisation() -> None:
    assert check_cov_symbolic().verdict == "verified"
    assert check_cov_symbolic(ddof=1).verdict == "refuted"
    assert check_cov_numeric(CTX).verdict == "verified"
    assert check_cov_numeric(CTX, ddof=1).verdict == "refuted"


# -- step 4 and m_SVD ----------------------------------------------------------------------------
def test_nuclear_norm_trace() -> None:
    for m in (1, 2, 3):
        assert dbound.nuclear_norm_trace(m).holds
    assert check_nuclear_symbolic().verdict == "verified"
    assert check_nuclear_symbolic((3, 4), factor="3/2").verdict == "refuted"  # U = V = I breaks it
    pairs = [p for p in random_pairs(0, 12) if p.M >= 2]
    assert check_nuclear_certified(pairs, 30).verdict == "verified"
    # close pairs have C ≈ I, so Σσ ≈ tr C < 1.5 tr C
    assert check_nuclear_certified(pairs, 30, factor=1.5).verdict == "refuted"


def test_msvd_range_and_a_singular_value_above_one() -> None:
    cert = dbound.msvd_range()
    assert cert.holds and cert.checks["exhibit_singular_values"] == ["2", "0"]
    pairs = [p for p in random_pairs(0, 12) if p.M >= 2]
    assert check_msvd_certified(pairs, 30).verdict == "verified"
    assert check_msvd_certified(pairs, 30, upper="0.5").verdict == "refuted"


# -- step 5: the sharper bound --------------------------------------------------------------------
@pytest.mark.parametrize("m", [1, 2, 3])
def test_side_bound_constant(m: int) -> None:
    assert dbound.sharp_side_bound(m, 2).holds
    bad = dbound.sharp_side_bound(m, "19/10")
    assert not bad.holds and bad.checks["witness"] is not None


def test_sharp_bound_numeric_and_wrong_constant() -> None:
    pairs = random_pairs(1, 9) + near_tight_pairs()
    assert check_bound(pairs, CTX, "2eps2", 2).verdict == "verified"
    assert check_bound(pairs, CTX, "2eps2", "1.9").verdict == "refuted"
    assert check_sides_sharp(pairs, CTX, 2).verdict == "verified"
    assert check_sides_sharp(pairs, CTX, "1.5").verdict == "refuted"
    assert check_bound_certified(pairs, 30, "2eps2", 2).verdict == "verified"
    assert check_bound_certified(pairs, 30, "2eps2", "1.9").verdict == "refuted"


# -- step 6 -------------------------------------------------------------------------------------
def test_linear_bound_constant() -> None:
    assert check_implies_symbolic((1, 2, 3)).verdict == "verified"
    assert dbound.linear_from_quadratic(1, "sqrt(2)").holds
    assert check_implies_symbolic((1,), constant="1.4").verdict == "refuted"


# -- the paper's bound ---------------------------------------------------------------------------
def test_paper_bound_on_figure_family_and_wrong_constant() -> None:
    pairs = [p for t, p in bound_figure_family(5, 3, 40) if t > 0] + [sign_flip_pair(*TIGHT_LINEAR)]
    assert check_bound(pairs, CTX, "2Meps", 2).verdict == "verified"
    assert check_bound(pairs, CTX, "2Meps", "0.5").verdict == "refuted"
    assert check_bound_certified(pairs, 30, "2Meps", "0.5").verdict == "refuted"


def test_figure_family_shape() -> None:
    fam = bound_figure_family(10, 4, 30)
    assert [t for t, _ in fam] == [0.0, 1.0, 2.0, 3.0, 4.0]
    p = fam[0][1]
    assert p.a.K == 10 and p.M == 2
    assert np.allclose(np.linalg.norm(np.asarray(p.a.g), axis=1), 20.0)
    eps = [float(evaluate_bound(q, FLOAT64).eps) for _, q in fam]
    assert eps[0] < 1e-12 and eps[-1] > eps[1] > 0


def test_equivalent_pairs_have_both_sides_zero() -> None:
    assert check_zero_sides(CTX).verdict == "verified"


def test_invertibility_not_needed_and_wrong_constant_refuted() -> None:
    assert check_no_invertibility(CTX).verdict == "verified"
    assert check_no_invertibility(CTX, constant="0.01").verdict == "refuted"


# -- tightness -----------------------------------------------------------------------------------
def test_tight_pairs_attain_the_bounds() -> None:
    quad = dbound.tight_sign_flip(*TIGHT_QUADRATIC[:2])
    assert quad.holds and quad.checks["epsilon"] == "sqrt(5)/5" and quad.checks["d_svd"] == "2/5"
    lin = dbound.tight_sign_flip(*TIGHT_LINEAR[:2])
    assert lin.holds and lin.checks["d_svd"] == "1"
    assert check_tight_symbolic(constant="1.9").verdict == "refuted"
    assert check_tight_certified(30).verdict == "verified"
    assert check_tight_certified(30, constant="1.9").verdict == "refuted"


def test_near_tight_pair_is_just_below_the_line() -> None:
    s = evaluate_bound(near_tight_pair(1e-3))
    assert 0.999 < float(s.d_fg) / (2 * float(s.eps) ** 2) < 1


def test_every_dimension_attains_two_eps_squared() -> None:
    from theory.families import permutation_flip_pair

    assert dbound.flip_identities(2).holds and dbound.flip_identities(3).holds
    assert not dbound.flip_identities(2, factor=1).holds  # a half flip is not anti-aligned
    for m in (2, 3, 4):
        s = evaluate_bound(permutation_flip_pair(m, 2, -2))
        assert abs(float(s.d_fg) / (2 * float(s.eps) ** 2) - 1) < 1e-12 and float(s.eps) > 0.1
    assert check_tight_every_m(30).verdict == "verified"
    assert check_tight_every_m(30, constant="1.9").verdict == "refuted"
    assert check_tight_every_m(30, eps_upper="0.3").verdict == "refuted"  # ε ≈ 0.479 for M = 2
    assert check_tight_every_m(30, dims=(2,), flipped_input=True).verdict == "refuted"


def test_flip_root_is_enclosed_and_unique() -> None:
    import flint

    from theory.families import flip_root_enclosure

    for m in (2, 3, 4):
        assert dbound.flip_root_monotone(m).holds
        t = flip_root_enclosure(m, 2, 40)
        h = (t.exp() + (m - 1)).log() - t / m - 2
        assert h.contains(0) and float(t.rad()) < 1e-40
    assert not dbound.flip_root_monotone(1).holds  # M = 1: h' = 0, no unique root
    assert flint.ctx.prec == 53  # the enclosure restores the working precision


def test_tight_ratio_bound_for_higher_dimensions() -> None:
    assert check_tight_symbolic().verdict == "verified"
    assert check_tight_symbolic(ratio_constant="1.4").verdict == "refuted"


def test_nuclear_trace_imposes_orthogonal_factors() -> None:
    import sympy as sp

    general = dbound.von_neumann_general(1)
    assert general.holds and general.checks["Q orthogonal"] and general.checks["trace identity"]
    assert not dbound.von_neumann_general(sp.Rational(3, 2)).holds
    out = check_nuclear_symbolic((3,))
    assert out.verdict == "verified" and out.evidence["scope"] == "instances (M = 3)"
    scope = check_nuclear_symbolic().evidence["scope"]  # general given the SVD's existence (cited)
    assert scope.startswith("general, given:") and "SVD" in scope
    # a shear is not orthogonal: C = U diag(s) Vᵀ is then no SVD and the certificate must not hold
    shear = sp.Matrix([[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    bad = check_nuclear_symbolic((3,), factors=[(shear, sp.eye(3))])
    assert bad.verdict == "refuted"
    inst = bad.evidence["witness"]["M=3"]["checks"]["orthogonal_factor_instances"][0]
    assert not inst["U orthogonal"] and not inst["singular values are s"]


def test_weighted_inputs_are_exercised() -> None:
    pairs = weighted_pairs(0)
    assert all(p.a.weights is not None and len(set(p.a.weights.tolist())) > 1 for p in pairs)
    assert check_bound(pairs, CTX, "2eps2", 2).verdict == "verified"
    assert check_bound(pairs, CTX, "2eps2", "0.05").verdict == "refuted"
    out = check_bound_certified(random_pairs(0, 6), 30, "2eps2", 2, top=1, always=pairs[:1])
    assert out.verdict == "verified" and any("weighted" in k for k in out.evidence)
    assert check_sd_difference_numeric(pairs, CTX).verdict == "verified"
    # the weights matter: the same pairs evaluated with uniform moments give other values
    from theory.families import Pair
    from theory.model import Model

    p = pairs[1]
    uniform = Pair(Model(p.a.f, p.a.g), Model(p.b.f, p.b.g), p.sets)
    assert abs(float(evaluate_bound(p, FLOAT64).d_fg) - float(evaluate_bound(uniform, FLOAT64).d_fg)) > 1e-6


def test_d_fg_is_the_maximum_over_label_subsets(monkeypatch: pytest.MonkeyPatch) -> None:
    from theory import families
    from theory.distances import FGResult

    sides = exact_d_svd_sides(exact_fg_pair())
    f_side = [float(x) for x in sides[:-1]]
    assert max(f_side) - min(f_side) > 0.3 and max(f_side) > float(sides[-1])  # the subsets decide
    assert check_dfg_exact(30).verdict == "verified"
    real = families.d_fg

    def min_over_subsets(*args: object, **kwargs: object) -> FGResult:
        r = real(*args, **kwargs)  # type: ignore[arg-type]
        P = args[5] if len(args) > 5 else kwargs.get("P", FLOAT64)
        low = min((d for _, d in r.f_side), key=float)
        return FGResult(r.f_side, r.g_side, P.max(np.array([low, r.g_side], dtype=object)))  # type: ignore[union-attr]

    monkeypatch.setattr(families, "d_fg", min_over_subsets)
    assert check_dfg_exact(30).verdict == "refuted"
    from checks.registry import all_claims

    assert all_claims()["sec4-bound"].methods["certified"](CTX).verdict == "refuted"


def test_the_sharp_certificates_summands_are_shown_non_negative() -> None:
    """Step 5's certificate needs (α + β)(4ε − α − β) ≥ 0 on 0 ≤ α, β ≤ ε: computed, and a false
    variant (ε − α − β, negative at α = β = ε) does not hold."""
    assert dbound.summand_nonnegative().holds
    assert not dbound.summand_nonnegative(1).holds
