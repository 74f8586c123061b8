"""The ``formal`` method: Coq proofs verified only when they compile with exactly the declared
assumptions; ``Admitted``, stray axioms and broken proofs never verify; no Coq: skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checks import formal
from checks.formal import PROOFS, Proof, check_proof, coq_sources
from checks.registry import Context, Outcome, all_claims
from checks.runner import exit_status, run_claims

needs_coq = pytest.mark.skipif(shutil.which("coqc") is None, reason="Coq is not installed (CI installs it)")


@pytest.fixture(autouse=True)
def private_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Toy developments are compiled into a private cache (the project's proofs use the real one)."""
    if request.node.name != "test_the_project_proofs_are_verified":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


def _development(tmp_path: Path, body: str) -> Path:
    (tmp_path / "_CoqProject").write_text("-R . Closeness\nToy.v\n")
    (tmp_path / "Toy.v").write_text(body)
    return tmp_path


TRUE = "Theorem toy : forall n : nat, n + 0 = n.\nProof. intro n. rewrite <- plus_n_O. reflexivity. Qed.\n"


@needs_coq
def test_a_closed_proof_is_verified_with_its_statement(tmp_path: Path) -> None:
    out = check_proof(Proof("toy", "Toy.v", ("toy",)), _development(tmp_path, TRUE))
    assert out.verdict == "verified", out.evidence
    assert "n + 0 = n" in out.evidence["coq_statements"]["toy"]
    assert out.evidence["assumptions"] == {"toy": []} and out.scope == "general"


@needs_coq
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Theorem toy : forall n : nat, n + 1 = n.\nProof. Admitted.\n", "Admitted"),
        ("Theorem toy : forall n : nat, n + 1 = n.\nProof. intro n. admit. Admitted.\n", "admit"),
        ("Axiom cheat : False.\nTheorem toy : forall n : nat, n + 1 = n.\nProof. destruct cheat. Qed.\n",
         "undeclared assumptions ['cheat']"),
        ("Theorem toy : forall n : nat, n + 1 = n.\nProof. intro n. reflexivity. Qed.\n", "does not compile"),
    ],
    ids=["Admitted", "admit", "stray-axiom", "false-statement"],
)
def test_false_or_unfinished_proofs_never_verify(tmp_path: Path, body: str, reason: str) -> None:
    out = check_proof(Proof("toy", "Toy.v", ("toy",)), _development(tmp_path, body))
    assert out.verdict == "undecided" and reason in out.evidence["reason"]


@needs_coq
def test_a_declared_axiom_that_is_not_used_is_a_stale_declaration(tmp_path: Path) -> None:
    out = check_proof(Proof("toy", "Toy.v", ("toy",), frozenset({"nuclear_norm"})), _development(tmp_path, TRUE))
    assert out.verdict == "undecided" and "stale" in out.evidence["reason"]


@needs_coq
def test_admitted_inside_a_comment_is_not_a_gap(tmp_path: Path) -> None:
    body = "(* no Admitted (* nested admit *) here *)\n" + TRUE
    assert check_proof(Proof("toy", "Toy.v", ("toy",)), _development(tmp_path, body)).verdict == "verified"


def test_without_coq_the_method_is_skipped_and_the_exit_status_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formal.shutil, "which", lambda name: None)
    report = run_claims(Context(), ids=["thm2.2-if"], methods=["numeric", "formal"])
    checks = {k["method"]: k for k in report.claims[0]["checks"]}
    assert checks["formal"]["verdict"] == "skipped"
    assert "apt-get install" in checks["formal"]["evidence"]["reason"]
    assert report.claims[0]["verdict"] == "verified" and exit_status(report) == 0


def test_every_proof_names_a_registered_claim_and_a_file_of_the_project() -> None:
    claims = all_claims()
    files = {p.name for p in coq_sources()}
    for cid, proof in PROOFS.items():
        assert cid in claims and "formal" in claims[cid].methods
        assert proof.file in files
        assert {t.split(".")[0] + ".v" for t in proof.theorems if "." in t} <= files  # qualified: its module


@needs_coq
def test_the_project_proofs_are_verified() -> None:
    """The Done-when of the formal proofs: every covered claim verified by the kernel."""
    report = run_claims(Context(), ids=list(PROOFS), methods=["formal"])
    verdicts = {c["id"]: c["verdict"] for c in report.claims if c["id"] in PROOFS}
    assert verdicts == dict.fromkeys(PROOFS, "verified"), report.claims


def test_the_rational_definitions_agree_with_python() -> None:
    """The Coq definitions are evaluated on exact rationals by the kernel (the Examples of
    Moments.v and Identifiability.v, checked when the development compiles); the Python
    definitions give the same numbers on the same data."""
    from fractions import Fraction

    import numpy as np

    from theory.distances import var
    from theory.identifiability import label_matrix

    moments = (coq_sources()[0].parent / "Moments.v").read_text()
    assert "Definition w_example : 'I_3 -> rat := fun i => nth 0 [:: 1/2; 1/4; 1/4] i." in moments
    assert "Definition u_example : 'I_3 -> rat := fun i => nth 0 [:: 1; 2; 3] i." in moments
    assert "Definition v_example : 'I_3 -> rat := fun i => nth 0 [:: 2; 0; 1] i." in moments
    assert "Example cov_example : cov w_example u_example v_example = - (7%:R / 16%:R)" in moments
    assert "Example var_example : var w_example u_example = 11%:R / 16%:R" in moments
    w = np.array([Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)], dtype=object)
    u = np.array([Fraction(n) for n in (1, 2, 3)], dtype=object)
    v = np.array([Fraction(n) for n in (2, 0, 1)], dtype=object)
    assert var(u, w=w) == Fraction(11, 16)
    assert (var(u + v, w=w) - var(u, w=w) - var(v, w=w)) / 2 == Fraction(-7, 16)  # cov by polarisation

    ident = (coq_sources()[0].parent / "Identifiability.v").read_text()
    assert "mx_of_seqs 2 2 [:: [:: 1; 2]; [:: 3; -1]]" in ident
    assert "mx_of_seqs 3 2 [:: [:: 0; 1]; [:: 2; 1]; [:: 1 / 2%:R; 3%:R]]" in ident
    assert "log_odds F_ex G_ex ord0 (@Ordinal 2 1 isT) (@Ordinal 3 2 isT) = - (1 / 2%:R)" in ident
    assert "L G_ex ord0 ys_ex (@Ordinal 2 0 isT) (@Ordinal 2 1 isT) = 1 / 2%:R" in ident
    F = np.array([[1, 2], [3, -1]], dtype=object)
    G = np.array([[0, 1], [2, 1], [Fraction(1, 2), 3]], dtype=object)
    L = (G[[1, 2]] - G[[0]]).T  # theory.identifiability.label_matrix, in exact rationals
    assert np.array_equal(label_matrix(G.astype(float), 0, (1, 2)), L.astype(float))
    assert L[0, 1] == Fraction(1, 2)
    assert (F @ L)[1, 1] == Fraction(-1, 2)  # (Lᵀ f(x_1))_2 = log-odds of label 2 against label 0


@needs_coq
def test_the_sharp_bound_with_a_smaller_constant_is_not_verified(tmp_path: Path) -> None:
    """A false variant of the project's own theorem: `d_SVD ≤ min(1, ε²)` in place of `2ε²`. The
    unchanged proof script must fail, so the claim is not verified."""
    project = coq_sources()[0].parent
    bound = (project / "Bound.v").read_text()
    true_statement = "d_svd (cross_cov w u u') <= Num.min 1 (2 * eps ^+ 2).\nProof."
    assert bound.count(true_statement) == 1
    (tmp_path / "_CoqProject").write_text("-R . Closeness\nMoments.v\nBound.v\n")
    (tmp_path / "Moments.v").write_text((project / "Moments.v").read_text())
    (tmp_path / "Bound.v").write_text(bound.replace(true_statement, true_statement.replace("(2 * eps", "(eps")))
    out = check_proof(Proof("sec4-bound-sharp", "Bound.v", ("bound_sharp",), frozenset(formal.PROJECT_AXIOMS)),
                      tmp_path)
    assert out.verdict == "undecided" and "Bound.v does not compile" in out.evidence["reason"]


def test_a_theorem_with_hypotheses_is_only_as_good_as_the_check_that_they_hold() -> None:
    """``with_hypotheses``: the kernel proof stands only when the claim's objects meet the theorems'
    hypotheses; general only when that check is general; a failed check refutes nothing."""
    from checks.registry import GENERAL, GIVEN, Outcome, instances

    kernel = Outcome.verified(file="theory/formal/Toy.v").with_scope(GENERAL)
    held = formal.with_hypotheses(kernel, Outcome.verified().with_scope(GENERAL), "m:f")
    assert held.verdict == "verified" and held.scope == GENERAL
    assert held.evidence["hypotheses"]["check"] == "m:f"
    narrow = formal.with_hypotheses(kernel, Outcome.verified().with_scope(instances("K = 3")), "m:f")
    assert narrow.verdict == "verified" and narrow.scope.startswith(GIVEN) and "K = 3" in narrow.scope
    for failed in (Outcome.refuted(witness="gap < Delta"), Outcome.undecided("sympy could not decide")):
        out = formal.with_hypotheses(kernel, failed, "m:f")
        assert out.verdict == "undecided" and "hypotheses" in out.evidence["reason"]


def test_the_kl_bound_hypotheses_hold_and_their_false_variants_are_refuted() -> None:
    """thm3.1-kl-bound's kernel proof takes: every gap ≥ ρΔ (step 4) and |f(x)ᵀg(y)| ≤ ρ r_max."""
    import sympy as sp

    from checks.claims.sec3.kl_bound import kl_bound_hypotheses
    from theory.derivations import kl as dkl

    assert PROOFS["thm3.1-kl-bound"].hypotheses == "checks.claims.sec3.kl_bound:kl_bound_hypotheses"
    assert kl_bound_hypotheses(Context()).verdict == "verified"
    wide = dkl.margin_monotone(alpha_max=2 * sp.pi)  # gaps beyond π: the margin is not monotone there
    assert kl_bound_hypotheses(Context(), margin_cert=wide).verdict == "refuted"
    r, t, a = sp.symbols("r theta a", real=True)
    wrong = {"f^T u - r cos(theta + a)": (r * sp.cos(t - a) - r * sp.cos(t + a), r * sp.cos(t - a) - r * sp.cos(t + a))}
    assert kl_bound_hypotheses(Context(), cosine=wrong).verdict == "refuted"
    alpha = dkl.margin_in_alpha()
    a, amin, pmax = alpha["variables"]
    flipped = {**alpha, "sign_factors": [("sin", (a + amin) / 2 + pmax), *alpha["sign_factors"][1:]]}
    assert kl_bound_hypotheses(Context(), alpha_cert=flipped).verdict == "refuted"  # leaves [0, π]
    closed = dkl.margin_positive()
    x = sp.Symbol("x", real=True)
    from sympy.calculus.util import function_range

    closed = {**closed, "positive": function_range(sp.sin(x), x, sp.Interval(0, sp.pi / 2)).is_subset(
        sp.Interval.open(0, sp.oo))}  # φ_max = α_min/2 allowed: Δ = 0, the limit fails
    assert kl_bound_hypotheses(Context(), positive=closed).verdict == "refuted"


def test_a_proof_citing_a_theorem_as_an_axiom_or_stating_part_of_its_claim_is_general_given() -> None:
    from checks.registry import GENERAL, GIVEN

    plain = Proof("toy", "Toy.v", ("toy",))
    assert formal.proof_scope(plain, set()) == GENERAL
    assert formal.proof_scope(plain, {"nuclear_norm"}) == GENERAL  # a parameter no axiom constrains
    cited = formal.proof_scope(plain, {"nuclear_norm", "nuclear_norm_ge_abs_trace"})
    assert cited.startswith(GIVEN) and "von Neumann" in cited and "project axiom" in cited
    part = formal.proof_scope(Proof("toy", "Toy.v", ("toy",), given="the float64 clause"), set())
    assert part == GIVEN + "the float64 clause"
    kernel = Outcome.verified().with_scope(cited)
    assert formal.with_hypotheses(kernel, Outcome.verified().with_scope(GENERAL), "m:f").scope == cited
