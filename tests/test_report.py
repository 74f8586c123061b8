"""``closeness report`` and the citation metadata (CITATION.cff, CFF 1.2.0)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from checks import report as rep
from checks.cli import main
from theory import __version__

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------
# CITATION.cff
# --------------------------------------------------------------------------------------------
#: The paper: authors in order (family, given), the arXiv identifier, the year.
PAPER_AUTHORS = [("Nielsen", "Beatrix M. G."), ("Marconato", "Emanuele"), ("Dittadi", "Andrea"), ("Gresele", "Luigi")]
PAPER_TITLE = ("When Does Closeness in Distribution Imply Representational Similarity? "
               "An Identifiability Perspective")
#: Reference types of CFF 1.2.0 this file may use for the paper.
PAPER_TYPES = {"conference-paper", "article", "conference", "generic"}


def cff_problems(data: Any) -> list[str]:
    """What makes ``data`` an invalid CFF 1.2.0 file for this suite (empty list: valid).

    The CFF 1.2.0 schema requires ``cff-version``, ``message``, ``title`` and ``authors`` at the top
    level, and ``type``, ``title``, ``authors`` in a reference (``preferred-citation``); every author
    is a person (``family-names`` or ``given-names``) or an entity (``name``).
    """
    if not isinstance(data, dict):
        return ["not a mapping"]
    problems = []
    if data.get("cff-version") != "1.2.0":
        problems.append(f"cff-version is {data.get('cff-version')!r}, not '1.2.0'")
    for key in ("message", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(f"missing or empty {key!r}")
    problems += _author_problems(data.get("authors"), "authors")
    if data.get("type", "software") not in ("software", "dataset"):
        problems.append(f"type must be software or dataset, got {data.get('type')!r}")
    if str(data.get("version")) != __version__:
        problems.append(f"version {data.get('version')!r} differs from theory.__version__ {__version__!r}")
    pc = data.get("preferred-citation")
    if not isinstance(pc, dict):
        return [*problems, "no preferred-citation"]
    if pc.get("type") not in PAPER_TYPES:
        problems.append(f"preferred-citation type {pc.get('type')!r} is not a paper type")
    if pc.get("title") != PAPER_TITLE:
        problems.append(f"preferred-citation title is {pc.get('title')!r}")
    problems += _author_problems(pc.get("authors"), "preferred-citation authors")
    names = [(a.get("family-names"), a.get("given-names")) for a in pc.get("authors") or [] if isinstance(a, dict)]
    if names != PAPER_AUTHORS:
        problems.append(f"preferred-citation authors are {names}, expected {PAPER_AUTHORS}")
    if pc.get("year") != 2025:
        problems.append(f"preferred-citation year is {pc.get('year')!r}, not 2025")
    ids = [i.get("value") for i in pc.get("identifiers") or [] if isinstance(i, dict)]
    if "arXiv:2506.03784" not in ids:
        problems.append("preferred-citation lacks the identifier arXiv:2506.03784")
    for i in pc.get("identifiers") or []:
        if not isinstance(i, dict) or i.get("type") not in ("doi", "url", "swh", "other"):
            problems.append(f"identifier {i!r} has no valid type")
    if "NeurIPS 2025" not in json.dumps(pc, ensure_ascii=False):
        problems.append("preferred-citation does not name NeurIPS 2025")
    return problems


def _author_problems(authors: Any, where: str) -> list[str]:
    if not isinstance(authors, list) or not authors:
        return [f"{where}: must be a non-empty list"]
    out = []
    for a in authors:
        if not isinstance(a, dict) or not (a.get("family-names") or a.get("given-names") or a.get("name")):
            out.append(f"{where}: {a!r} is neither a person nor an entity")
    return out


def _citation() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_cff_is_valid() -> None:
    assert cff_problems(_citation()) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.update({"cff-version": "1.1.0"}),
        lambda d: d.pop("message"),
        lambda d: d.update({"authors": []}),
        lambda d: d.update({"authors": [{"affiliation": "nobody"}]}),
        lambda d: d["preferred-citation"]["authors"].reverse(),
        lambda d: d["preferred-citation"].update({"year": 2024}),
        lambda d: d["preferred-citation"].update({"identifiers": [{"type": "other", "value": "arXiv:2506.00000"}]}),
        lambda d: d.pop("preferred-citation"),
        lambda d: d.update({"version": "0.0.0"}),
    ],
    ids=["version", "message", "no-authors", "bad-author", "author-order", "year", "arxiv", "no-paper", "sw-version"],
)
def test_citation_check_catches_a_broken_file(break_it: Any) -> None:
    data = _citation()
    break_it(data)
    assert cff_problems(data)


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------
def _verify_json(seconds: float = 123.456) -> dict[str, Any]:
    """A small closeness-verify/1 report with every verdict and one long evidence block."""

    def chk(method: str, verdict: str, evidence: dict[str, Any]) -> dict[str, Any]:
        return {"method": method, "verdict": verdict, "scope": "instances (toy)", "evidence": evidence,
                "seconds": seconds}

    claims = [
        ("zz-true", "paper", "Theorem 2.2 | Def 2.1", "verified",
         [chk("numeric", "verified", {"margin": "0.5", "dps": 50})]),
        ("zz-false", "new", "Section 4", "refuted",
         [chk("certified", "refuted", {"witness": {"ratio": 2.5}}), chk("symbolic", "verified", {})]),
        ("zz-open", "paper-code", "Table 1", "undecided",
         [chk("search", "undecided", {"reason": "enclosures overlap", "rows": list(range(200))})]),
        ("zz-crash", "new", "Corollary 3.2", "error", [chk("numeric", "error", {"message": "ValueError: boom"})]),
    ]
    return {
        "schema": "closeness-verify/1",
        "complete": True,
        "environment": {"closeness_proofs": __version__, "python": "3.x", "platform": "test",
                        "packages": {"numpy": "2"}, "dps": 50, "check_dps": 100, "seed": 0, "deep": False,
                        "hypothesis": {"database": None}},
        "claims": [
            {"id": i, "statement": f"statement of {i} | with a bar", "latex": r"a \le b", "paper_ref": ref,
             "provenance": prov, "section": "zz", "verdict": verdict, "checks": checks}
            for i, prov, ref, verdict, checks in claims
        ],
        "summary": {},
    }


SMALL: dict[str, Any] = {"steps": 2, "random_pairs": 3, "table1_rhos": (1, 20), "table1_per_class": 5}


@pytest.fixture
def small_table1(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command-line tests compute Table 1 at 5 inputs per class (the paper's 500 take minutes)."""
    monkeypatch.setattr(rep, "TABLE1_PER_CLASS", 5)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> rep.ReportFiles:
    return rep.write_report(tmp_path_factory.mktemp("report"), _verify_json(), seed=0, **SMALL)


def test_report_has_every_claim_with_its_fields(written: rep.ReportFiles) -> None:
    text = written.report.read_text(encoding="utf-8")
    for c in _verify_json()["claims"]:
        assert f"`{c['id']}`" in text
        assert f"`[{c['provenance']}]`" in text
        assert c["paper_ref"] in text
        assert c["statement"] in text
        for k in c["checks"]:
            assert f"- **{k['method']}** ({k['scope']}): {k['verdict']}" in text
    assert r"| Theorem 2.2 \| Def 2.1 | paper |" in text  # escaped inside the verdict table
    assert "4 claims: 1 verified, 1 refuted, 1 undecided, 1 error." in text
    assert "### Other claims" in text  # ids the registry does not know are kept, under their own heading
    assert "- **refuted:** `zz-false`" in text
    assert '"ratio": 2.5' in text  # the witness is shown
    assert "list(range(200))" not in text and len(text.splitlines()) < 200  # one line per check, not JSON dumps
    assert json.loads(written.verify_json.read_text())["claims"][2]["checks"][0]["evidence"]["rows"][-1] == 199


def test_the_html_page_is_self_contained_and_the_latex_fragment_well_formed(written: rep.ReportFiles) -> None:
    page = written.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page and 'src="bound.png"' not in page
    assert "<table>" in page and "zz-false" in page
    tex = written.latex.read_text(encoding="utf-8")
    assert tex.count(r"\begin{closenessclaim}") == tex.count(r"\end{closenessclaim}") == 4
    body = re.sub(r"\\[{}$%&#_]", "", tex)  # escaped specials
    assert body.count("{") == body.count("}")
    assert all(ord(ch) < 128 for ch in tex), "pdflatex-safe: every Unicode character mapped"
    assert r"statement of zz-true \textbar{}" in tex or r"statement of zz-true |" in tex


def test_report_has_table1_the_figure_and_the_environment(written: rep.ReportFiles) -> None:
    text = written.report.read_text(encoding="utf-8")
    assert "| ρ | d_KL | bound on d_KL | d_LLV | m_CCA(f, f′) | max d_SVD (f side) |" in text
    assert "| 1 | " in text and "| 20 | " in text
    assert "![d_fg against d_LLV" in text and written.figure is not None
    assert written.figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## Environment and precision" in text and "check_dps = 100" in text
    assert "Omitted" not in text


def test_report_is_deterministic_and_has_no_timings(tmp_path: Path, written: rep.ReportFiles) -> None:
    again = rep.write_report(tmp_path / "again", _verify_json(seconds=0.001), seed=0, **SMALL)
    assert again.report.read_text() == written.report.read_text()
    assert again.figure is not None and written.figure is not None
    assert again.figure.read_bytes() == written.figure.read_bytes()
    assert "123.456" not in written.report.read_text()
    other = rep.write_report(tmp_path / "other", _verify_json(), seed=1, **SMALL)
    assert other.report.read_text() != written.report.read_text()


def test_bound_points_lie_below_both_bounds_and_reach_the_sharp_one() -> None:
    points = rep.bound_points(seed=0, steps=2, random_pairs=5)
    assert {p.family for p in points} >= {"figure family K=4", "random M=2", "random M=3", "tight pairs (d_fg = 2ε²)"}
    for p in points:
        assert p.d_fg <= 2 * p.d_llv**2 * (1 + 1e-9) + 1e-12
        assert p.d_fg <= 2 * p.M * p.d_llv * (1 + 1e-9) + 1e-12
    tight = [p for p in points if p.family == "tight pairs (d_fg = 2ε²)"]
    assert sorted(p.M for p in tight) == [1, 1, 2, 3, 4]
    assert all(abs(p.d_fg / (2 * p.d_llv**2) - 1) < 1e-12 for p in tight)


def test_tightness_table_shows_a_violation_above_one() -> None:
    fake = [rep.BoundPoint("made up", 3, 1, 0.0, 0.1, 0.5)]  # d_fg = 0.5 > 2Mε = 0.2 and > 2ε² = 0.02
    row = rep._tightness(fake).splitlines()[-1]
    assert row == "| made up | 1 | 0.1 | 0.5 | 2.5 | 25 |"


def test_cli_report_from_json(small_table1: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "verify.json"
    src.write_text(json.dumps(_verify_json()))
    out = tmp_path / "out"
    assert main(["report", "--out", str(out), "--from-json", str(src)]) == 0  # written: the verdicts are in it
    assert (out / "report.md").exists() and (out / "bound.png").exists()
    assert "report written to" in capsys.readouterr().out
    assert main(["report", "--out", str(out), "--from-json", str(src), "--strict"]) == 1  # something is refuted


def test_an_interrupted_run_is_reported_incomplete(small_table1: None, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = _verify_json()
    data["complete"] = False
    data["claims"] = [c for c in data["claims"] if c["verdict"] == "verified"]
    src = tmp_path / "verify.json"
    src.write_text(json.dumps(data))
    out = tmp_path / "out"
    assert main(["report", "--out", str(out), "--from-json", str(src), "--strict"]) == 3
    assert "**INCOMPLETE:**" in (out / "report.md").read_text()
    assert "incomplete" in capsys.readouterr().err


def test_cli_report_runs_the_registry(small_table1: None, tmp_path: Path) -> None:
    status = main(["report", "--out", str(tmp_path), "--claim", "sec4-bound-implies-paper", "--dps", "30"])
    assert status == 0
    data = json.loads((tmp_path / "verify.json").read_text())
    assert [c["id"] for c in data["claims"]] == ["sec4-bound-implies-paper"]
    assert data["environment"]["dps"] == 30
    text = (tmp_path / "report.md").read_text()
    assert "### Section 4: a distance whose closeness implies similarity" in text
    assert "#### `sec4-bound-implies-paper`: verified" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "verify report not found"),
        ("not json", "cannot read verify report"),
        (json.dumps({"schema": "closeness-compare/1"}), "is not a closeness-verify/1 report"),
        (json.dumps({"schema": "closeness-verify/1", "claims": {}}), "needs 'claims'"),
        (json.dumps({"schema": "closeness-verify/1", "environment": {}, "claims": [7]}), "expected an object"),
        (json.dumps({"schema": "closeness-verify/1", "environment": {}, "claims": [
            {"id": "x", "statement": "s", "paper_ref": "r", "provenance": "new", "verdict": "bogus", "checks": []}]}),
         "unknown verdict 'bogus'"),
        (json.dumps({"schema": "closeness-verify/1", "environment": {}, "claims": [
            {"id": "x", "statement": "s", "paper_ref": "r", "provenance": "new", "verdict": "verified",
             "checks": [{"method": "numeric"}]}]}), "each check needs"),
    ],
)
def test_cli_report_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None,
                                      message: str) -> None:
    src = tmp_path / "in.json"
    if content is not None:
        src.write_text(content)
    assert main(["report", "--out", str(tmp_path / "out"), "--from-json", str(src)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_report_refuses_a_file_as_out_dir_and_low_precision(tmp_path: Path) -> None:
    src = tmp_path / "verify.json"
    src.write_text(json.dumps(_verify_json()))
    (tmp_path / "file").write_text("")
    assert main(["report", "--out", str(tmp_path / "file"), "--from-json", str(src)]) == 2
    assert main(["report", "--out", str(tmp_path / "o"), "--dps", "10"]) == 2
    assert main(["report", "--out", str(tmp_path / "o"), "--from-json", str(src), "--claim", "x"]) == 2
    assert main(["report", "--out", str(tmp_path / "o"), "--from-json", str(src), "--seed", "3"]) == 2


def test_report_without_matplotlib_marks_the_figure_omitted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)  # import fails as if not installed
    files = rep.write_report(tmp_path, _verify_json(), seed=0, **SMALL)
    text = files.report.read_text()
    assert files.figure is None and not (tmp_path / "bound.png").exists()
    assert "> **Figure omitted:** matplotlib is not installed" in text
    assert "| tight pairs (d_fg = 2ε²) | 5 |" in text  # the numbers behind the figure are still reported


def test_bound_figure_linear_panel_is_readable_and_the_legend_names_each_m(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    drawn: list[Figure] = []
    original = Figure.savefig

    def keep(self: Figure, *args: object, **kwargs: object) -> None:
        drawn.append(self)
        original(self, *args, **kwargs)

    points = [rep.BoundPoint("figure family K=4", 4, 2, 0.1, 0.3, 0.05),
              rep.BoundPoint("random M=3", 6, 3, 1.0, 5.0, 0.6),
              rep.BoundPoint("tight pairs (d_fg = 2ε²)", 2, 1, 0.0, 0.5, 0.5),
              rep.BoundPoint("tight pairs (d_fg = 2ε²)", 4, 2, 0.0, 0.4, 0.32)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", keep)
        rep.bound_figure(points, tmp_path / "bound.png")
    linear = drawn[0].axes[0]
    assert linear.get_xlim()[1] <= 1.0  # not squeezed by a pair far out at d_LLV = 5
    labels = [t.get_text() for t in drawn[0].legends[0].get_texts()]
    assert "figure family K=4 (M = 2)" in labels and "tight pairs (d_fg = 2ε²) (M = 1, 2)" in labels
    assert any("2Mε with M = 3" in t for t in labels)


def test_a_formal_proofs_hypotheses_check_is_in_its_evidence_line() -> None:
    from checks.report import evidence_line

    line = evidence_line({"assumptions": {"t": []}, "hypotheses": {"check": "m:f", "verdict": "verified", "x": 1}})
    assert "hypotheses = m:f (verified)" in line


def test_raw_html_in_the_report_text_is_escaped_and_anchors_kept() -> None:
    from checks.report.appendix import render_html

    page = render_html('<a id="claim-thm3-1"></a>\n\nstatement: <script>alert(1)</script> `x < y`\n', None)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert '<a id="claim-thm3-1"></a>' in page


def test_every_character_of_the_statements_and_formal_scopes_has_latex() -> None:
    """The appendix never falls back to ``[U+XXXX]`` for what the registry states: claim statements,
    the clauses kernel proofs leave to other methods and the project axioms' texts (both enter scopes),
    and the symbols the derivations' scopes use."""
    from checks.formal import PROJECT_AXIOMS, PROOFS
    from checks.registry import all_claims
    from checks.report.appendix import latex_text

    texts = [c.statement for c in all_claims().values()] + [p.given or "" for p in PROOFS.values()]
    texts += [*PROJECT_AXIOMS.values(), "(α_i + β_i)(4ε − α_i − β_i) ≥ 0; Ĝ₁ᵀĜ₂Σ₂₁; L⁻¹; τ; λ↓; 5↔6; ⇒ ⇔ ∫"]
    assert not [t for t in texts if "[U+" in latex_text(t)]
