"""The README is checked against the registry, not hand-copied: every claim appears in the claim
map and nothing else does, the Coq column matches the proofs, the scope column is the scope
`closeness verify` reports, the count is right, and the README sends no reader outside the
repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checks.formal import PROOFS
from checks.registry import all_claims

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _claim_map() -> list[list[str]]:
    start = README.index("| Paper | Claim ids | Check it | Kernel-checked (Coq) | Scope | Explore it |")
    rows = README[start:].split("\n\n", 1)[0].splitlines()[2:]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def _ids(cell: str) -> list[str]:
    return re.findall(r"`([a-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9])`", cell)


def test_the_claim_map_lists_exactly_the_registered_claims() -> None:
    registered = set(all_claims())
    listed = {i for row in _claim_map() for i in _ids(row[1])}
    assert listed == registered, (sorted(registered - listed), sorted(listed - registered))


def test_the_coq_column_matches_the_proofs() -> None:
    for row in _claim_map():
        proved = [i for i in _ids(row[1]) if i in PROOFS]
        named = [i for i in _ids(row[3]) if not i.endswith(".v")]
        assert named == proved, row[0]


def test_the_scope_column_names_every_claim_once_and_coq_proofs_general() -> None:
    """Each claim has one scope; a kernel-checked claim is general, or general given what its proof
    cites (a project axiom) or leaves to other methods, never instances."""
    def general(kind: str) -> bool:
        return kind == "general" or kind.startswith("general, given")

    for row in _claim_map():
        ids = _ids(row[1])
        scope = row[4]
        if ";" not in scope and ":" not in scope:  # one scope for the whole row
            assert scope in ("general", "instances", "not verified") or general(scope), row[0]
            if not general(scope):
                assert not [i for i in ids if i in PROOFS], f"{row[0]}: a kernel-checked claim is general"
            continue
        named = {}
        for part in scope.split(";"):
            kind, _, listed = part.partition(":")
            named.update(dict.fromkeys(_ids(listed), kind.strip()))
        assert set(named) == set(ids), row[0]
        assert all(general(named[i]) for i in ids if i in PROOFS), row[0]


def test_the_claim_count_is_the_registrys() -> None:
    counts = {int(n) for n in re.findall(r"runs all (\d+) registered claims", README)}
    assert counts == {len(all_claims())}


def test_the_readme_sends_no_reader_outside_the_repository() -> None:
    assert "CLAIMS.md" not in README and "shared/" not in README


def test_the_code_sends_no_reader_outside_the_repository() -> None:
    root = Path(__file__).resolve().parent.parent
    for path in [*root.glob("checks/**/*.py"), *root.glob("theory/**/*.py"), *root.glob("theory/formal/*.v")]:
        text = path.read_text(encoding="utf-8")
        assert "CLAIMS.md" not in text and "shared/paper" not in text, path.name


def test_the_mutant_count_is_the_catalogues() -> None:
    from checks.selftest import CATALOGUE

    counts = {int(n) for n in re.findall(r"all (\d+) mutants are killed", README)}
    assert counts == {len(CATALOGUE)}
    assert f"({len(CATALOGUE)}/{len(CATALOGUE)})" in README


def _readme_scope_kinds() -> dict[str, str]:
    """Each claim's scope in the claim map: ``general``, ``given`` (``general, given …``),
    ``instances`` or ``not verified``."""
    kinds: dict[str, str] = {}
    for row in _claim_map():
        ids, scope = _ids(row[1]), row[4]
        parts = [scope] if ";" not in scope and ":" not in scope else scope.split(";")
        for part in parts:
            kind, _, listed = part.partition(":")
            kind = "given" if kind.strip().startswith("general, given") else kind.strip()
            kinds.update(dict.fromkeys(_ids(listed) if listed else ids, kind))
    return kinds


def test_the_scope_column_is_what_verify_reports() -> None:
    """The claim map's scope of every claim is the one a default ``closeness verify`` gives it
    (general, general given steps on trust, instances, or not verified)."""
    import os

    from checks.registry import GIVEN, Context
    from checks.runner import run_claims

    report = run_claims(Context(), jobs=min(2, os.cpu_count() or 1))
    if any(k["verdict"] == "skipped" for c in report.claims for k in c["checks"]):
        pytest.skip("a method could not run here (Coq missing?): scopes would differ from the default run")

    def kind(c: dict[str, str]) -> str:
        if c["verdict"] != "verified":
            return "not verified"
        return "general" if c["scope"] == "general" else "given" if c["scope"].startswith(GIVEN) else "instances"

    assert {c["id"]: kind(c) for c in report.claims} == _readme_scope_kinds()
