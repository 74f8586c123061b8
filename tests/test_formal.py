"""The ``formal`` method: Coq proofs verified only when they compile with exactly the declared
assumptions; ``Admitted``, stray axioms and broken proofs never verify; no Coq: skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checks import formal
from checks.formal import PROOFS, Proof, check_proof, coq_sources
from checks.registry import Context, all_claims
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


@needs_coq
def test_the_project_proofs_are_verified() -> None:
    """The Done-when of the formal proofs: every covered claim verified by the kernel."""
    report = run_claims(Context(), ids=list(PROOFS), methods=["formal"])
    verdicts = {c["id"]: c["verdict"] for c in report.claims if c["id"] in PROOFS}
    assert verdicts == dict.fromkeys(PROOFS, "verified"), report.claims
