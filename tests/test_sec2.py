"""Section 2 (Def 2.1, Theorem 2.2, necessity of diversity): every checker verifies the true
statement and refutes a deliberately false variant."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import flint
import numpy as np
import pytest

from checks.claims.sec2.cases import Case, random_case, search_outcome
from checks.claims.sec2.def21_diversity import (
    Decider,
    check_diversity,
    check_diversity_brute_force,
    diversity_models,
    search_diversity,
)
from checks.claims.sec2.diversity_necessary import WITNESSES, Witness, check_necessity_witness
from checks.claims.sec2.thm22_if import check_if_exact, check_if_numeric, check_if_symbolic, if_score
from checks.claims.sec2.thm22_only_if import (
    Pair,
    check_only_if_exact,
    check_only_if_numeric,
    check_only_if_symbolic,
    describe_pair,
    displaced_log_odds,
    logit_pairs,
    only_if_score,
    searched_pair,
)
from checks.registry import GIVEN, Context, all_claims
from theory.derivations import identifiability as sym
from theory.distances import Sets
from theory.errors import ClosenessError
from theory.identifiability import (
    Diversity,
    diversity,
    embeddings_from_distribution,
    equivalent_model_arrays,
    exact_affine_rank,
    exact_equal_distributions,
    exact_linear_relation,
    exact_matrix,
    input_log_ratios,
    input_matrix,
    inverse_transpose,
    label_log_ratios,
    label_matrix,
    recover_A,
    recover_dual,
    require_invertible,
    unembeddings_from_distribution,
)
from theory.model import Model, log_probs
from theory.precision import MP, Arithmetic, Ball

CTX = Context(dps=30, seed=3)


def a_inverse(a: np.ndarray, P: Arithmetic) -> np.ndarray:
    """The false variant ``A⁻¹`` in place of ``A⁻ᵀ``."""
    return inverse_transpose(a, P).T


def small_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    return [random_case(rng, m, m + 2, m + 1, Fraction(10**6)) for m in (1, 2, 3)]


def singular_case() -> Case:
    """A non-invertible ``A = diag(1, 0)``; the "dual" used with it is its pseudo-inverse (itself)."""
    base = small_cases()[1]
    a = np.array([[Fraction(1), Fraction(0)], [Fraction(0), Fraction(0)]], dtype=object)
    return Case(base.f2, base.g2, a, base.g_pivot, None)


# -- registry -------------------------------------------------------------------------------


def test_section2_claims_are_registered_with_their_provenance() -> None:
    claims = all_claims()
    expected = {
        "thm2.2-if": ("paper", {"symbolic", "numeric", "certified", "search"}),
        "thm2.2-only-if": ("paper", {"symbolic", "numeric", "certified", "search"}),
        "sec2-diversity-necessary": ("new", {"certified"}),
        "def2.1-diversity": ("new", {"certified", "search"}),
    }
    for cid, (prov, methods) in expected.items():
        assert claims[cid].provenance == prov
        assert set(claims[cid].methods) - {"formal"} == methods  # a formal proof may be attached


# -- the theory functions --------------------------------------------------------------------


def test_key_identities_hold_on_log_probabilities(rng: np.random.Generator) -> None:
    f, g = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    lp = log_probs(Model(f, g))
    lab = label_matrix(g, 0, (1, 2, 3))
    nin = input_matrix(f, 0, (1, 2, 3))
    np.testing.assert_allclose(label_log_ratios(lp, 0, (1, 2, 3)), f @ lab, atol=1e-12)
    np.testing.assert_allclose(input_log_ratios(lp, 0, 0, (1, 2, 3)), (g - g[[0]]) @ nin, atol=1e-12)


def test_recovery_from_distributions_at_high_precision(rng: np.random.Generator) -> None:
    f, g = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    a = np.array([[2.0, 1.0], [0.5, -1.0]])
    f2, g2 = equivalent_model_arrays(f, g, a, shift=np.array([0.25, -3.0]), P=MP(40))
    P = MP(40)
    lp, lp2 = log_probs(Model(f, g), P), log_probs(Model(f2, g2), P)
    sets = Sets(0, (1, 2), 0, (1, 2))
    n, n2 = input_matrix(f, 0, (1, 2), P), input_matrix(f2, 0, (1, 2), P)
    lab, lab2 = label_matrix(g, 0, (1, 2), P), label_matrix(g2, 0, (1, 2), P)
    assert np.max(np.abs(recover_A(lp, lp2, sets, n, n2, P) - P.array(a))) < 1e-30
    b = recover_dual(lp, lp2, sets, lab, lab2, P)
    assert np.max(np.abs(P.array(a).T @ b - P.array(np.eye(2)))) < 1e-30
    assert np.max(np.abs(embeddings_from_distribution(lp, sets, n, P) - P.array(f))) < 1e-30
    assert np.max(np.abs(unembeddings_from_distribution(lp, sets, lab, P) - (P.array(g) - P.array(g)[[0]]))) < 1e-30


def test_recovery_in_ball_arithmetic_encloses_A() -> None:
    f = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 2.0]])
    g = np.array([[0.0, 0.0], [1.0, 0.5], [-0.5, 1.0]])
    a = np.array([[2.0, 1.0], [0.0, 1.0]])
    f2, g2 = equivalent_model_arrays(f, g, a)
    B = Ball(40)
    lp, lp2 = log_probs(Model(f, g), B), log_probs(Model(f2, g2), B)
    sets = Sets(0, (1, 2), 0, (1, 2))
    with B.active():
        rec = recover_A(lp, lp2, sets, input_matrix(f, 0, (1, 2), B), input_matrix(f2, 0, (1, 2), B), B)
    assert all(rec[i, j].contains(a[i, j]) and rec[i, j].rad() < 1e-25 for i in range(2) for j in range(2))


def test_exact_helpers() -> None:
    assert exact_affine_rank([[1, 1], [2, 2], [3, 3]]) == 1  # on a line not through 0: linear rank 1 too
    assert exact_affine_rank([[1, 0], [0, 1]]) == 1  # two points: a line, though linearly independent
    f, g = [[1, 0], [0, 1], [1, 1]], [[0, 0], [1, 0], [0, 1]]
    equal, where = exact_equal_distributions(f, g, f, [[5, 5], [6, 5], [5, 6]])  # common shift of g
    assert equal and where is None
    assert exact_equal_distributions(f, g, f, [[0, 0], [2, 0], [0, 1]])[0] is False
    rel = exact_linear_relation(f, g, f, g)
    assert rel.related is True and rel.a == flint.fmpq_mat([[1, 0], [0, 1]])


def test_diversity_result_is_the_dataclass() -> None:
    d = diversity(np.eye(3, 2), np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    assert isinstance(d, Diversity) and d.holds


# -- Theorem 2.2, "if" ------------------------------------------------------------------------


def test_if_symbolic_verified_and_refuted() -> None:
    ok = check_if_symbolic(dims=((1, 2), (2, 3)))
    assert ok.verdict == "verified"
    bad = check_if_symbolic(dims=((2, 3),), dual=sym.inverse, matrix_symbol_dual=lambda a: a.I)
    assert bad.verdict == "refuted"
    assert bad.evidence["explicit_M2_K3"]["verdict"] == "refuted"
    assert bad.evidence["matrix_symbol_M2"]["verdict"] == "refuted"
    assert bad.evidence["general_M_K"]["verdict"] == "refuted"
    assert ok.evidence["scope"] == "general"


def test_if_matrix_symbol_alone_is_refuted_for_inverse() -> None:
    bad = check_if_symbolic(dims=((2, 3),), matrix_symbol_dual=lambda a: a.I)
    assert bad.evidence["matrix_symbol_M2"]["verdict"] == "refuted"
    assert bad.evidence["explicit_M2_K3"]["verdict"] == "verified"


def test_if_numeric_verified() -> None:
    out = check_if_numeric(CTX, small_cases())
    assert out.verdict == "verified" and out.evidence["dps"] == 30 and out.evidence["check_dps"] == 60


def test_if_numeric_refutes_inverse_instead_of_inverse_transpose() -> None:
    assert check_if_numeric(CTX, small_cases(), dual=a_inverse).verdict == "refuted"


def test_if_numeric_refutes_a_singular_A() -> None:
    out = check_if_numeric(CTX, [singular_case()], dual=lambda a, P: a)
    assert out.verdict == "refuted"


def test_if_exact_verified_and_refuted() -> None:
    assert check_if_exact(small_cases()).verdict == "verified"
    assert check_if_exact(small_cases(), dual=lambda a: a.inv()).verdict == "refuted"
    assert check_if_exact([singular_case()], dual=lambda a: a).verdict == "refuted"


def test_if_search_finds_nothing_for_the_theorem_and_breaks_the_false_variant() -> None:
    ok = search_outcome(CTX, "if", if_score(), 8)
    assert ok.verdict == "verified" and ok.evidence["examples"] == 8 and ok.evidence["seed"] == 3

    bad = search_outcome(CTX, "if", if_score(dual=a_inverse), 8)
    assert bad.verdict == "refuted" and bad.evidence["witness"]["ratio_check_dps"] > 1


# -- Theorem 2.2, "only if" -------------------------------------------------------------------


def test_only_if_symbolic_verified() -> None:
    out = check_only_if_symbolic(dims=(1, 2), identity_dims=(1, 2), matrix_symbol_dims=(1, 2, 3))
    # general given what the symbolic M takes (L', N' invertible, solutions explicit at small M only)
    assert out.verdict == "verified" and out.evidence["scope"].startswith(GIVEN)
    assert "invertible" in out.evidence["scope"]
    assert out.evidence["matrix_symbol_general_M"]["M"] == "symbolic"


@pytest.mark.parametrize(
    ("kwargs", "part"),
    [
        ({"formula_A": lambda lab, lab2: lab.inv() * lab2.T}, "linear_algebra_M2"),  # L⁻¹ for L⁻ᵀ
        ({"formula_dual": lambda n, n2: n.inv() * n2.T}, "linear_algebra_M2"),  # N⁻¹ for N⁻ᵀ
        ({"subtract_pivot_input": False}, "key_identities_M2"),  # N without −f(x_0)
    ],
)
def test_only_if_symbolic_refutes_false_formulas(kwargs: dict[str, Any], part: str) -> None:
    out = check_only_if_symbolic(dims=(2,), identity_dims=(2,), matrix_symbol_dims=(), **kwargs)
    assert out.verdict == "refuted" and out.evidence[part]["verdict"] == "refuted"


def small_pairs() -> list[Pair]:
    return logit_pairs(7, dims=(1, 2, 3), per_m=1)


def test_logit_pairs_are_not_built_from_a_matrix() -> None:
    """Equal distributions (equal displaced log-odds), diverse, and two different factorisations."""
    for pair in logit_pairs(0):
        assert displaced_log_odds(pair.f, pair.g) == displaced_log_odds(pair.f2, pair.g2)
        assert exact_affine_rank(pair.f) == pair.m and exact_affine_rank(pair.g) == pair.m
        assert pair.m == 1 or (pair.f != pair.f2).any()


def _perturbed(pair: Pair) -> Pair:
    g2 = pair.g2.copy()
    g2[1, 0] += Fraction(1, 3)
    return Pair(pair.f, pair.g, pair.f2, g2)


def test_only_if_needs_equal_distributions_before_any_verdict() -> None:
    pairs = [_perturbed(small_pairs()[1])]
    assert check_only_if_exact(pairs).verdict == "undecided"
    assert check_only_if_numeric(CTX, pairs).verdict == "undecided"


def test_only_if_numeric_verified_and_reports_what_it_uses() -> None:
    out = check_only_if_numeric(CTX, small_pairs())
    assert out.verdict == "verified" and "log-probability" in out.evidence["uses"]


def test_only_if_numeric_refutes_inverse_instead_of_inverse_transpose() -> None:
    assert check_only_if_numeric(CTX, small_pairs()[1:], claimed_dual=a_inverse).verdict == "refuted"


def test_only_if_numeric_refutes_a_wrong_formula_for_A() -> None:
    def transposed(*args: Any) -> np.ndarray:
        return recover_A(*args).T  # L'L⁻¹ instead of L⁻ᵀL'ᵀ

    assert check_only_if_numeric(CTX, small_pairs()[1:], formula_A=transposed).verdict == "refuted"


def test_only_if_search_breaks_the_false_variant() -> None:
    pairs = {"strategy": searched_pair(), "describe": describe_pair}
    ok = search_outcome(CTX, "only-if", only_if_score(), 6, **pairs)
    assert ok.verdict == "verified"
    bad = search_outcome(CTX, "only-if", only_if_score(claimed_dual=a_inverse), 12, **pairs)
    assert bad.verdict == "refuted"


# -- [new] diversity is necessary ---------------------------------------------------------------


@pytest.mark.parametrize("witness", WITNESSES, ids=lambda w: w.name)
def test_necessity_witnesses_are_certified(witness: Witness) -> None:
    out = check_necessity_witness(witness)
    assert out.verdict == "verified" and out.evidence["augmented_rank"] > out.evidence["system_rank"]


def test_necessity_refutes_perturbed_witnesses() -> None:
    w1, w2 = WITNESSES
    related = Witness("related", w2.f, w2.g, w2.f2, [[0, 0], [1, 0], [0, 1], [1, 1]])
    assert check_necessity_witness(related).evidence["witness"]["why"] == "an invertible A relates them"
    differ = Witness("differ", w1.f, w1.g, w1.f2, [[0, 0], [1, 0], [3, 0]])
    out = check_necessity_witness(differ)
    assert out.verdict == "refuted" and out.evidence["witness"]["why"] == "distributions differ"
    diverse = Witness("diverse", w1.f, [[0, 0], [1, 0], [0, 1]], w1.f2, [[0, 0], [1, 0], [0, 1]])
    out = check_necessity_witness(diverse)
    assert out.verdict == "refuted" and out.evidence["witness"]["why"] == "model (f,g) is diverse"


def test_necessity_witness_defeats_only_if_recovery() -> None:
    """On the witness the recovery of Theorem 2.2 is undefined: L is singular for every choice."""
    w1 = WITNESSES[0]
    g = np.array(w1.g, dtype=float)
    with pytest.raises(ClosenessError):
        require_invertible(label_matrix(g, 0, (1, 2)), "L")


# -- Def 2.1 ------------------------------------------------------------------------------------


def _linear_rank_decider(f: np.ndarray, g: np.ndarray) -> bool:
    """False variant: linear instead of affine rank."""
    m = f.shape[1]
    return bool(np.linalg.matrix_rank(f) == m and np.linalg.matrix_rank(g) == m)


def _labels_only_decider(f: np.ndarray, g: np.ndarray) -> bool:
    """False variant: forgets the input side of Def 2.1."""
    return bool(np.linalg.matrix_rank(g[1:] - g[:1]) == g.shape[1])


def test_diversity_certified_verified() -> None:
    out = check_diversity(diversity_models(np.random.default_rng(0)))
    assert out.verdict == "verified" and out.evidence["models"] > 30


@pytest.mark.parametrize("decider", [_linear_rank_decider, _labels_only_decider])
def test_diversity_false_deciders_refuted(decider: Decider) -> None:
    out = check_diversity(diversity_models(np.random.default_rng(0)), decider)
    assert out.verdict == "refuted"


def test_diversity_brute_force_verified() -> None:
    out = check_diversity_brute_force()
    assert out.verdict == "verified" and out.evidence["point_sets"] > 1000


def test_diversity_brute_force_refutes_a_linear_rank_rule() -> None:
    """Linear rank instead of affine rank: two equal nonzero points have linear rank 1, affine 0."""
    out = check_diversity_brute_force(rank_rule=lambda p: exact_matrix(p).rank())
    assert out.verdict == "refuted" and out.evidence["witness"]["M"] == 1


def test_diversity_brute_force_refutes_a_definition_without_the_pivot() -> None:
    no_pivot = (("no pivot", lambda pts, pivot, rest: pts[list(rest)].T),)
    assert check_diversity_brute_force(sides=no_pivot).verdict == "refuted"


def test_diversity_search_refutes_false_decider() -> None:
    assert search_diversity(CTX, diversity, examples=30).verdict == "verified"
    assert search_diversity(CTX, _linear_rank_decider, examples=60).verdict == "refuted"


def test_section2_default_run_is_all_verified() -> None:
    from checks.runner import exit_status, run_claims

    report = run_claims(Context(dps=30), ids=["sec2-", "def2.1-", "thm2.2-if"], methods=["certified", "numeric"])
    assert exit_status(report) == 0 and len(report.claims) == 3



def test_exact_helpers_reject_mismatched_models() -> None:
    with pytest.raises(ClosenessError, match="do not match"):
        exact_linear_relation([[1, 0]], [[0, 0], [1, 1]], [[1, 0], [0, 1]], [[0, 0], [1, 1]])
    with pytest.raises(ClosenessError, match="do not match"):
        exact_equal_distributions([[1, 0]], [[0, 0], [1, 1]], [[1, 0]], [[0, 0, 1], [1, 1, 1]])


def test_only_if_exact_verified_and_refuted() -> None:
    assert check_only_if_exact(small_pairs()).verdict == "verified"
    out = check_only_if_exact(small_pairs()[1:], formula_A=lambda lab, lab2: lab.inv() * lab2.transpose())
    assert out.verdict == "refuted" and out.evidence["witness"]["why"] == "f != A f' or g_0 != A^{-T} g'_0"


def test_only_if_exact_is_undecided_without_diversity() -> None:
    pair = small_pairs()[1]
    on_a_line = np.array([[Fraction(i), Fraction(2 * i)] for i in range(pair.f.shape[0])], dtype=object)
    g_line = np.array([[Fraction(i), Fraction(2 * i)] for i in range(pair.g.shape[0])], dtype=object)
    out = check_only_if_exact([Pair(on_a_line, g_line, on_a_line, g_line)])
    assert out.verdict == "undecided"


def test_only_if_score_skips_pairs_with_different_distributions() -> None:
    assert only_if_score()(_perturbed(small_pairs()[1]), MP(30)) is None
    assert only_if_score()(small_pairs()[1], MP(30)) < 1


def test_section2_claims_state_premises() -> None:
    claims = all_claims()
    assert "sec4-bound-logratio" in claims["thm2.2-only-if"].depends_on
    assert claims["sec2-diversity-necessary"].depends_on == ("def2.1-diversity",)
