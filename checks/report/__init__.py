"""The appendix report: every claim with its provenance, methods, verdicts and evidence; Table 1
of the paper; the bound figure (``d_{f,g}`` against ``d_LLV`` with the lines ``2Mε`` and ``2ε²``);
the environment and precision.

``report.md`` is deterministic for a given seed, precision and registry (no timestamps, no
timings: those live only in ``verify.json``, the raw ``closeness-verify/1`` report written beside
it).  Every file is written atomically.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from checks.report.appendix import render_html, render_latex
from checks.registry import VERDICTS, all_claims
from checks.runner import SCHEMA as VERIFY_SCHEMA
from checks.claims.sec3.table1 import table1_row
from theory import __version__
from theory.counterexample import kl_bound, margin, paper_random
from theory.errors import ClosenessError
from theory.families import (
    FIGURE_LABEL_COUNTS,
    TIGHT_LINEAR,
    TIGHT_QUADRATIC,
    Pair,
    bound_figure_family,
    evaluate_bound,
    permutation_flip_pair,
    random_diverse_pair,
    sign_flip_pair,
)
from theory.io import atomic_write, atomic_write_text, check_directory, read_json

__all__ = [
    "BoundPoint",
    "ReportFiles",
    "bound_points",
    "bound_figure",
    "load_verify_json",
    "render",
    "write_report",
    "table1_markdown",
    "CITATION",
    "evidence_line",
    "TABLE1_RHOS",
]

#: How the report cites the paper it verifies.
CITATION = (
    "B. M. G. Nielsen, E. Marconato, A. Dittadi, L. Gresele, *When Does Closeness in Distribution "
    "Imply Representational Similarity? An Identifiability Perspective*, NeurIPS 2025, arXiv:2506.03784."
)

FIGURE_NAME = "bound.png"
#: Right end of the bound figure's linear panel: past 1/√2 every bound exceeds d_fg's range [0, 1].
LINEAR_PANEL_EPS = 0.8


# --------------------------------------------------------------------------------------------
# the bound figure (Section 4)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoundPoint:
    """One model pair of the bound figure: its family, ``K``, ``M``, parameter, ``d_LLV``, ``d_{f,g}``."""

    family: str
    K: int
    M: int
    parameter: float
    d_llv: float
    d_fg: float


def bound_points(seed: int = 0, steps: int = 8, random_pairs: int = 40) -> list[BoundPoint]:
    """``(d^λ_LLV, d_{f,g})`` at float64 with fixed sets (:func:`theory.families.evaluate_bound`) for
    the constructed family of the paper's bound figure (one noise sweep per ``K``), for random
    diverse pairs (``M = 2`` and ``3``, noise drawn log-uniformly in ``[10⁻³, 2]``), and for the
    pairs at which ``d_{f,g} = 2ε²`` (sign flips for ``M = 1``, permutation flips for ``M = 2, 3, 4``)."""
    pairs: list[tuple[str, float, Pair]] = []
    for K in FIGURE_LABEL_COUNTS:
        pairs += [(f"figure family K={K}", noise, p) for noise, p in bound_figure_family(K, steps=steps, seed=seed)]
    rng = np.random.default_rng(seed)
    for M in (2, 3):
        for _ in range(random_pairs):
            closeness = float(10 ** rng.uniform(-3, 0.3))
            pair = random_diverse_pair(rng, n=20, K=M + 3, M=M, closeness=closeness)
            pairs.append((f"random M={M}", closeness, pair))
    for spec in (TIGHT_QUADRATIC, TIGHT_LINEAR):
        pairs.append(("tight pairs (d_fg = 2ε²)", 0.0, sign_flip_pair(*spec)))
    for M in (2, 3, 4):
        pairs.append(("tight pairs (d_fg = 2ε²)", 0.0, permutation_flip_pair(M)))
    points = []
    for family, parameter, pair in pairs:
        sides = evaluate_bound(pair)
        points.append(BoundPoint(family, pair.a.K, pair.M, parameter, float(sides.eps), float(sides.d_fg)))
    return points


def bound_figure(points: list[BoundPoint], path: Path) -> Path:
    """``d_{f,g}`` against ``d^λ_LLV`` (λ = 1e-5) with the paper's ``2Mε`` and the sharper ``2ε²``,
    on linear and on logarithmic axes; a PNG rendered by the Agg backend, written atomically."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ClosenessError("the bound figure needs matplotlib: pip install 'closeness-proofs[plot]'") from err
    fig = Figure(figsize=(10, 5.2), dpi=100)
    FigureCanvasAgg(fig)
    families = _families(points)
    ms = sorted({p.M for p in points})
    xmax = max((p.d_llv for p in points), default=1.0) * 1.05 or 1.0
    # linear axes where the bounds say something (d_fg ≤ 1, and 2ε² ≥ 1 from ε = 1/√2 on)
    lin_max = LINEAR_PANEL_EPS
    beyond = sum(p.d_llv > lin_max for p in points)
    for ax, log in zip(fig.subplots(1, 2), (False, True), strict=True):
        for i, fam in enumerate(families):
            sel = [p for p in points if p.family == fam and (not log or (p.d_llv > 0 and p.d_fg > 0))]
            marker = "*" if fam.startswith("tight") else "x" if fam.startswith("random") else "o"
            dims = _ms_text(sorted({p.M for p in points if p.family == fam}))
            ax.scatter([p.d_llv for p in sel], [p.d_fg for p in sel], s=60 if marker == "*" else 14,
                       label=fam if "M=" in fam else f"{fam} ({dims})",
                       marker=marker, color=f"C{i % 10}")
        lo = 1e-4 if log else 0.0
        hi = xmax if log else lin_max
        eps = np.geomspace(lo, hi, 200) if log else np.linspace(0.0, hi, 400)
        for M, style in zip(ms, ("-.", "--", ":", "-"), strict=False):
            ax.plot(eps, 2 * M * eps, "k" + style, lw=1,
                    label=f"2Mε with M = {M} (the paper's bound)" if not log else None)
        ax.plot(eps, 2 * eps**2, color="crimson", lw=1.2, label="2ε² (sharper, [new]; any M)" if not log else None)
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(1e-8, 2)
            ax.set_title("log–log: every pair")
        else:
            ax.set_xlim(0, lin_max)
            ax.set_ylim(0, 1.05)
            ax.set_title(f"linear, d_LLV ≤ {lin_max:g}" + (f" ({beyond} pairs beyond: see log–log)" if beyond else ""))
        ax.set_xlabel(r"$d^{\lambda}_{\mathrm{LLV}}$ ($\lambda=10^{-5}$)")
        ax.set_ylabel(r"$d_{f,g}$")
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return atomic_write(path, lambda fh: fh.write(buf.getvalue()))


def _ms_text(ms: list[int]) -> str:
    """``M = 2`` or ``M = 1, 2, 3, 4``: the representation dimensions of a family."""
    return "M = " + ", ".join(map(str, ms))


def _families(points: list[BoundPoint]) -> list[str]:
    """Family names in display order: constructed families by K, then the random pairs."""
    first: dict[str, tuple[bool, bool, int, str]] = {}
    for p in points:
        first.setdefault(p.family, (p.family.startswith("random"), p.family.startswith("tight"), p.K, p.family))
    return sorted(first, key=first.__getitem__)


def _tightness(points: list[BoundPoint]) -> str:
    """Per family: the largest ``d_{f,g}/(2Mε)`` and ``d_{f,g}/(2ε²)`` (bounds hold iff ≤ 1)."""
    rows = ["| family | pairs | max d_LLV | max d_fg | max d_fg / (2Mε) | max d_fg / (2ε²) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for fam in _families(points):
        sel = [p for p in points if p.family == fam]
        pos = [p for p in sel if p.d_llv > 0]
        lin = max((p.d_fg / (2 * p.M * p.d_llv) for p in pos), default=float("nan"))
        quad = max((p.d_fg / (2 * p.d_llv**2) for p in pos), default=float("nan"))
        rows.append(f"| {fam} | {len(sel)} | {_g(max(p.d_llv for p in sel))} | {_g(max(p.d_fg for p in sel))} "
                    f"| {_g(lin)} | {_g(quad)} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------------------------
# Table 1 (Section 3)
# --------------------------------------------------------------------------------------------
#: Table 1's rows and the inputs per class of the paper's construction.
TABLE1_RHOS = tuple(range(1, 21))
TABLE1_PER_CLASS = 500
#: Digits of the ball arithmetic Table 1 is computed in (the printed columns need far fewer).
TABLE1_DPS = 20


def table1_markdown(seed: int, rhos: tuple[int, ...] = TABLE1_RHOS, per_class: int = TABLE1_PER_CLASS) -> str:
    """Table 1 of the paper recomputed by :func:`checks.claims.sec3.table1.table1_row` (ball arithmetic at
    :data:`TABLE1_DPS` digits) for the paper's seeded random construction, with the rigorous bound on
    ``d_KL`` beside each row; a clearly marked omission if the rows cannot be computed."""
    try:
        c = paper_random(seed, per_class=per_class)
        rows = [(table1_row(c, rho, TABLE1_DPS, seed), kl_bound(c, rho)) for rho in rhos]
    except ClosenessError as err:
        return f"> **Omitted:** Table 1 could not be recomputed: {err}"
    out = [
        f"The paper's construction `{c.name}` (K = {c.K}, M = 2, n = {c.n}, σ = {list(c.perm)}), the "
        f"paper's selection of sets (seed {seed}), λ = 1e-5, in ball arithmetic at {TABLE1_DPS} digits "
        "(midpoints shown; `closeness table1 --dps 30` prints the same table at 30 digits). "
        "The bound column is `(K−1)e^{−ρΔ}(1 + 2ρ r_max)` with "
        f"Δ = {float(margin(c)):.6g}.",
        "",
        "| ρ | d_KL | bound on d_KL | d_LLV | m_CCA(f, f′) | max d_SVD (f side) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r, bound in rows:
        out.append(f"| {r['rho']} | {float(r['d_kl']):.4e} | {float(bound):.3e} | {float(r['d_llv']):.4f} "
                   f"| {float(r['m_cca_f']):.5f} | {float(r['max_d_svd_f']):.5f} |")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# the claims
# --------------------------------------------------------------------------------------------
def load_verify_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a ``closeness-verify/1`` report, refusing anything else with a one-line message."""
    p = Path(path)
    data = read_json(p, "verify report")  # strict (no NaN, no runaway nesting); a FIFO or device is refused
    if not isinstance(data, dict) or data.get("schema") != VERIFY_SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ClosenessError(f"{p} is not a {VERIFY_SCHEMA} report (schema: {found!r})")
    if not isinstance(data.get("claims"), list) or not isinstance(data.get("environment"), dict):
        raise ClosenessError(f"{p}: a {VERIFY_SCHEMA} report needs 'claims' (a list) and 'environment'")
    for i, c in enumerate(data["claims"]):
        problem = _claim_entry_problem(c)
        if problem:
            raise ClosenessError(f"{p}: claim entry {i} is malformed: {problem}")
    return data


def _claim_entry_problem(c: Any) -> str | None:
    """Why a claim entry of a verify report cannot be reported (``None`` when it can)."""
    if not isinstance(c, dict):
        return f"expected an object, found {type(c).__name__}"
    for key in ("id", "statement", "paper_ref", "provenance", "verdict"):
        if not isinstance(c.get(key), str):
            return f"{key!r} must be a string"
    if c["verdict"] not in VERDICTS:
        return f"unknown verdict {c['verdict']!r} (expected one of {', '.join(VERDICTS)})"
    if not isinstance(c.get("checks"), list):
        return "'checks' must be a list"
    for k in c["checks"]:
        if not isinstance(k, dict) or not isinstance(k.get("method"), str) or k.get("verdict") not in VERDICTS \
                or not isinstance(k.get("evidence"), dict):
            return f"claim {c['id']!r}: each check needs a 'method', a known 'verdict' and an 'evidence' object"
    return None


def _cell(text: Any) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ")


def _g(x: float) -> str:
    return "—" if x != x else f"{x:.4g}"


def evidence_line(evidence: dict[str, Any], width: int = 240) -> str:
    """One line of a check's evidence: the reason, witness, margin, digits, examples or enclosure it
    rests on (the full evidence is in ``verify.json``)."""
    keys = ("reason", "message", "witness", "margin", "digits_agreed", "max_residual", "examples", "enclosure",
            "assumptions", "build")
    parts = [f"{k} = {json.dumps(evidence[k], ensure_ascii=False, sort_keys=True)}" for k in keys if k in evidence]
    if isinstance(evidence.get("hypotheses"), dict):  # a kernel proof's hypotheses, checked on the paper's objects
        met = evidence["hypotheses"]
        parts.append(f"hypotheses = {met.get('check')} ({met.get('verdict')})")
    if not parts:
        parts = [f"{k} = {json.dumps(v, ensure_ascii=False, sort_keys=True)}" for k, v in list(evidence.items())[:3]
                 if k != "scope"]
    text = "; ".join(parts).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


#: The sections of the registry (:attr:`Claim.section`) in the paper's order, with the heading each
#: gets in the report.
SECTIONS = {
    "sec2": "Section 2: identifiability",
    "sec3": "Section 3: KL closeness does not imply similar representations",
    "sec4": "Section 4: a distance whose closeness implies similarity",
    "sec5": "Section 5: experiments",
    "implementation": "The implementation: its paths agree with exact values",
    "followup": "The follow-up paper (the logit distance): beyond the NeurIPS paper",
}
OTHER = "Other claims"


def by_section(claims: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The claims grouped under the paper's sections (the section of the registry), in the paper's
    order; within a section in the order of the report; unknown ids last."""
    section = {cid: c.section for cid, c in all_claims().items()}
    groups: dict[str, list[dict[str, Any]]] = {heading: [] for heading in (*SECTIONS.values(), OTHER)}
    for c in claims:
        groups[SECTIONS.get(section.get(c["id"], ""), OTHER)].append(c)
    return {heading: cs for heading, cs in groups.items() if cs}


def claims_overview(claims: list[dict[str, Any]]) -> str:
    """The verdict table: one row per claim (paper reference, provenance, methods, scope, premises)."""
    rows = ["| claim | paper | provenance | methods | scope | rests on | verdict |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in claims:
        methods = ", ".join(f"{k['method']}: {k['verdict']}" for k in c["checks"])
        verdict = c["verdict"] if c["verdict"] == "verified" else f"**{c['verdict']}**"
        premises = ", ".join(f"`{d}`" for d in c.get("depends_on", [])) or "—"
        rows.append(f"| [`{c['id']}`](#{_anchor(c['id'])}) | {_cell(c['paper_ref'])} | {c['provenance']} "
                    f"| {methods} | {_cell(c.get('scope', 'not recorded'))} | {premises} | {verdict} |")
    return "\n".join(rows)


def dependency_graph(claims: list[dict[str, Any]]) -> str:
    """The premises of every claim as a Mermaid graph (an arrow from a premise to what rests on
    it), each node marked with its verdict; GitHub and most Markdown viewers draw it."""
    ids = {c["id"] for c in claims}
    edges = [(d, c["id"]) for c in claims for d in c.get("depends_on", []) if d in ids]
    if not edges:
        return "> No claim of this report rests on another."
    used = {x for e in edges for x in e}
    node = {cid: f"n{i}" for i, cid in enumerate(sorted(used))}
    verdict = {c["id"]: c["verdict"] for c in claims}
    lines = ["```mermaid", "graph LR"]
    lines += [f'  {node[cid]}["{cid}<br/>{verdict[cid]}"]' for cid in sorted(used)]
    lines += [f"  {node[a]} --> {node[b]}" for a, b in sorted(edges)]
    lines += [f"  class {node[cid]} {verdict[cid]}" for cid in sorted(used) if verdict[cid] != "verified"]
    lines += ["  classDef refuted fill:#f88", "  classDef undecided fill:#fd8", "  classDef error fill:#ccc", "```"]
    return "\n".join(lines)


def _anchor(cid: str) -> str:
    return "claim-" + "".join(ch if ch.isalnum() else "-" for ch in cid.lower())


def claim_details(c: dict[str, Any]) -> str:
    """A claim in a short paragraph: statement, LaTeX, premises, one line per method, and the Coq
    statements of its kernel-checked proof."""
    out = [f'<a id="{_anchor(c["id"])}"></a>', f"#### `{c['id']}`: {c['verdict']}", "",
           f"`[{c['provenance']}]` {c['paper_ref']}. {c['statement']}"]
    if c.get("latex"):
        out += ["", "$$", c["latex"], "$$"]
    out.append("")
    if c.get("premises"):
        out += ["Rests on " + ", ".join(f"`{d}` ({v})" for d, v in c["premises"].items()) + ".", ""]
    for k in c["checks"]:
        out.append(f"- **{k['method']}** ({k.get('scope', 'scope not recorded')}): {k['verdict']}: "
                   f"{_cell(evidence_line(k['evidence']))}")
    for k in c["checks"]:
        statements = k["evidence"].get("coq_statements") if k["method"] == "formal" else None
        if statements:
            out += ["", f"Coq, `{k['evidence'].get('file', 'theory/formal')}`:", "", "```coq",
                    *(" ".join(text.split()) for text in statements.values()), "```"]
    return "\n".join(out)


def _summary(data: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for c in data["claims"]:
        counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
    shown = ("verified", "refuted", "undecided", "error") + (("skipped",) if counts.get("skipped") else ())
    text = ", ".join(f"{counts.get(v, 0)} {v}" for v in shown)
    out = []
    if data.get("complete") is not True:
        out.append("> **INCOMPLETE:** this report comes from an interrupted run; claims that had not "
                   "run are missing and the last claim may lack some of its checks.\n")
    arithmetic = data.get("arithmetic", {})
    if arithmetic.get("ok") is False:
        broken = "; ".join(c["detail"] for c in arithmetic.get("canaries", []) if not c.get("ok"))
        out.append(f"> **BROKEN ARITHMETIC:** {broken}. No numeric, certified or search verdict was given.\n")
    out.append(f"{len(data['claims'])} claims: {text}.")
    for verdict in ("refuted", "undecided", "error"):
        ids = [c["id"] for c in data["claims"] if c["verdict"] == verdict]
        if ids:
            out.append(f"- **{verdict}:** " + ", ".join(f"`{i}`" for i in ids))
    return "\n".join(out)


def environment_section(data: dict[str, Any]) -> str:
    env = data["environment"]
    pkgs = env.get("packages", {})
    rows = ["| item | value |", "| --- | --- |"]
    for key in ("closeness_proofs", "python", "platform"):
        rows.append(f"| {key} | {_cell(env.get(key))} |")
    for name, version in pkgs.items():
        rows.append(f"| {name} | {_cell(version)} |")
    prec = [
        f"- Working precision: mpmath at `dps = {env.get('dps')}` decimal digits; every numeric result is "
        f"re-computed at `check_dps = {env.get('check_dps')}` and the agreement is part of its verdict.",
        "- Certified checks use python-flint `arb` balls: a comparison whose enclosures overlap is "
        "*undecided*, never verified.",
        "- Table 1 and the bound figure are computed at float64.",
        f"- Seed: `{env.get('seed')}`; deep run: `{env.get('deep')}`; hypothesis settings: "
        f"`{json.dumps(env.get('hypothesis'), sort_keys=True)}`.",
    ]
    return "\n".join(rows) + "\n\n" + "\n".join(prec)


# --------------------------------------------------------------------------------------------
# the whole report
# --------------------------------------------------------------------------------------------
def render(data: dict[str, Any], seed: int, table1: str, points: list[BoundPoint], figure: str | None) -> str:
    """The Markdown of the report (pure: same inputs, same text)."""
    env = data["environment"]
    sections = by_section(data["claims"])
    parts = [
        "# Verification report: closeness in distribution and representational similarity",
        "",
        f"Supplementary material for {CITATION}",
        "",
        f"Produced by closeness-proofs {__version__} (`closeness report --seed {seed} --dps {env.get('dps')}`). "
        "Verdicts: *verified* (with evidence), *refuted* (with a witness), *undecided* (with the reason), "
        "*error* (the check crashed). Provenance: `[paper]` stated in the paper, `[paper-code]` as the "
        "paper's experiment code computes it, `[new]` proved or exhibited by this suite.",
        "",
        "## Summary",
        "",
        _summary(data),
        "",
        "## Verdicts",
        "",
        claims_overview([c for cs in sections.values() for c in cs]),
        "",
        "Full evidence (every margin, enclosure, witness and example) is in `verify.json` beside this file.",
        "",
        "## What rests on what",
        "",
        "A `symbolic` verdict stands only when every premise is verified; a `formal` verdict is a "
        "kernel-checked Coq proof that carries its own lemmas.",
        "",
        dependency_graph(data["claims"]),
        "",
        *[f"### {heading}\n\n" + "\n".join(claim_details(c) + "\n" for c in cs) for heading, cs in sections.items()],
        "## Table 1: KL divergence vanishes, representations stay dissimilar (Section 3)",
        "",
        table1,
        "",
        "## The bound of Section 4: d_{f,g} against d_LLV",
        "",
    ]
    if figure is not None:
        parts += [f"![d_fg against d_LLV with the lines 2Mε and 2ε²]({figure})", ""]
    else:
        parts += ["> **Figure omitted:** matplotlib is not installed (`pip install 'closeness-proofs[plot]'`).", ""]
    parts += [
        "Each pair is compared with fixed sets (`theory.families`: pivot label 0 with all other labels, "
        "pivot input 0 with the first M inputs keeping N and N' invertible; the tight pairs with their "
        f"own), λ = 1e-5 in the `max` form, float64, seed {seed}. A point above a line would refute that "
        "bound; the tight pairs (sign flips, M = 1; permutation flips, M = 2, 3, 4) attain `d_fg = 2ε²`. "
        "Largest ratios (≤ 1 means the bound holds on every pair):",
        "",
        _tightness(points) if points else "> No pairs.",
        "",
        "## Environment and precision",
        "",
        environment_section(data),
        "",
    ]
    return "\n".join(parts)


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    report: Path
    figure: Path | None
    verify_json: Path
    html: Path
    latex: Path


def write_report(
    out_dir: str | os.PathLike[str],
    data: dict[str, Any],
    seed: int = 0,
    steps: int = 8,
    random_pairs: int = 40,
    table1_rhos: tuple[int, ...] | None = None,
    table1_per_class: int | None = None,
) -> ReportFiles:
    """Write ``report.md``, ``report.html`` (self-contained), ``appendix.tex`` (a LaTeX fragment),
    ``bound.png`` (when matplotlib is installed) and ``verify.json`` (the reported
    ``closeness-verify/1`` data, timings included) into ``out_dir``; ``steps`` and
    ``random_pairs`` size the bound figure, ``table1_*`` Table 1 (default: :data:`TABLE1_RHOS`,
    :data:`TABLE1_PER_CLASS`, looked up at call time)."""
    out = check_directory(out_dir)
    points = bound_points(seed, steps, random_pairs)
    try:
        figure: Path | None = bound_figure(points, out / FIGURE_NAME)
    except ClosenessError:
        figure = None
    table1 = table1_markdown(seed, TABLE1_RHOS if table1_rhos is None else table1_rhos,
                             TABLE1_PER_CLASS if table1_per_class is None else table1_per_class)
    text = render(data, seed, table1, points, figure.name if figure else None)
    report = atomic_write_text(out / "report.md", text)
    verify = atomic_write_text(out / "verify.json", json.dumps(data, indent=2) + "\n")
    page = atomic_write_text(out / "report.html", render_html(text, figure))
    latex = atomic_write_text(out / "appendix.tex", render_latex(data, seed, __version__))
    return ReportFiles(report, figure, verify, page, latex)
