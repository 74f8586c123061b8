"""The ``formal`` method: kernel-checked Coq proofs in ``theory/formal/``.

For each covered claim the runner compiles the Coq development (once per process, in a private
copy, in the order of ``_CoqProject``), asks Coq for the statement (``Check``) and the assumptions
(``Print Assumptions``) of every theorem the claim rests on, and verifies the claim only when

* every file compiles, no source contains ``Admitted`` or ``admit``, and
* the assumptions are the declared ones: the library axioms of :data:`LIBRARY_AXIOMS` (classical
  reasoning of mathcomp-analysis, each named below) and exactly the project axioms the claim
  declares (none, except where a textbook fact about singular values enters, see ``Bound.v``).

A proof that does not compile, or that uses an undeclared axiom, is *undecided* (a missing proof
refutes nothing).  Without ``coqc`` the method is *skipped* with the install command, and the
claim's verdict rests on its other methods.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import theory
from checks.registry import GENERAL, GIVEN, REGISTRY, RESTS_ON, Context, Outcome, general_given

__all__ = [
    "FORMAL_DIR",
    "LIBRARY_AXIOMS",
    "PROOFS",
    "Proof",
    "Build",
    "build",
    "check_proof",
    "with_hypotheses",
    "coq_sources",
    "INSTALL",
]

FORMAL_DIR = Path(theory.__file__).resolve().parent / "formal"

INSTALL = ("apt-get update && apt-get install -y coq libcoq-mathcomp-algebra libcoq-mathcomp-analysis "
           "libcoq-interval")

#: Axioms of the libraries the proofs build on, each accepted with its reason.  mathcomp-analysis
#: works in classical logic: its ``boolp`` module postulates these standard, mutually consistent
#: principles (consistent with Coq's logic; see the mathcomp-analysis documentation).
LIBRARY_AXIOMS: dict[str, str] = {
    "functional_extensionality_dep": "functions equal pointwise are equal (mathcomp-analysis, boolp)",
    "propositional_extensionality": "equivalent propositions are equal (mathcomp-analysis, boolp)",
    "constructive_indefinite_description": "choice from an existence proof (mathcomp-analysis, boolp)",
}

#: Project axioms, each a textbook fact out of reach of mathcomp 1.15 (no singular values there).
#: They are consistent: ``C ↦ |tr C|`` satisfies them, and so does the true nuclear norm.
PROJECT_AXIOMS: dict[str, str] = {
    "nuclear_norm": "the nuclear norm ‖C‖_* = Σ_k σ_k(C) of a square matrix, a parameter "
                    "(singular values are not in mathcomp)",
    "nuclear_norm_ge_abs_trace": "|tr C| ≤ ‖C‖_* (von Neumann's trace inequality with the identity; "
                                 "Horn & Johnson, Matrix Analysis, Thm 7.4.1.1)",
    "nuclear_norm_psd": "‖XᵀWX‖_* = tr(XᵀWX) for W = diag(w), w ≥ 0: a positive semi-definite matrix's "
                        "singular values are its eigenvalues (spectral theorem; Horn & Johnson, Thm 7.3.2)",
}

#: The axioms of the bound's proofs (``Bound.v``): the nuclear norm and von Neumann's inequality.
BOUND_AXIOMS = frozenset({"nuclear_norm", "nuclear_norm_ge_abs_trace"})


@dataclass(frozen=True)
class Proof:
    """The Coq theorems behind one claim and the project axioms they may rest on: theorems of
    ``file``, or of a file it builds on, named with its module (``Bound.bound_sharp``).

    ``hypotheses``: for theorems stated for any objects meeting some hypotheses (a margin, a bound on
    the logits), the check (``"module:function"``, Context → Outcome) that the claim's objects meet
    them; the claim is verified only when that check is too, and is general only when it is.

    ``given``: the clause of the claim the theorems do not state (checked by the claim's other
    methods, on instances): the proof's scope is then ``general, given: <that clause>``.

    ``rests_on``: the clause of the claim that its premises (``depends_on``) state; the runner then
    composes this verdict with theirs, as it does a symbolic derivation's
    (:func:`checks.runner.compose_with_premises`)."""

    claim_id: str
    file: str
    theorems: tuple[str, ...]
    axioms: frozenset[str] = frozenset()
    hypotheses: str | None = None
    given: str | None = None
    rests_on: str | None = None


#: Claim id → its kernel-checked proof.
PROOFS: dict[str, Proof] = {
    p.claim_id: p
    for p in (
        Proof("def2.1-diversity", "Diversity.v",
              ("def2_1", "def2_1_labels", "def2_1_inputs", "rank_displaced_pivot", "rank_full_rowsub"),
              given="the implementation clause, the float64 test deciding as exact ranks with invertible "
                    "witnesses (numeric and search methods, on instances)"),
        Proof("thm2.2-if", "Identifiability.v", ("thm2_2_if",)),
        Proof("thm2.2-only-if", "Identifiability.v", ("log_odds_eq", "thm2_2_only_if", "thm2_2")),
        Proof("sec2-diversity-necessary", "Diversity.v", ("diversity_necessary",),
              given="the second witness, embeddings on a line (checked exactly by the symbolic method)"),
        Proof("sec4-bound-logratio", "Identifiability.v",
              ("L_tr_emb", "N_tr_unemb0", "L_tr_emb_log_probs", "N_tr_unemb_log_probs")),
        Proof("sec4-bound-cov-identity", "Bound.v", ("cov_identity",)),
        Proof("sec4-bound-sd-difference", "Bound.v", ("sd_difference",)),
        Proof("sec4-bound-implies-paper", "Bound.v", ("min_le_sqrt2", "bound_implies_paper"),
              given="√2 being the best constant (the symbolic method)"),
        Proof("sec4-bound-sharp", "BoundLLV.v",
              ("Bound.bound_sharp", "Bound.bound_llv", "Bound.bound_input_side", "Bound.d_fg_bound",
               "d_fg_bound_terms", "d_fg_bound_llv", "d_fg_bound_llv_sum", "d_fg_subsets_bound_llv",
               "d_fg_subsets_bound_llv_sum"), BOUND_AXIOMS),
        Proof("sec4-bound", "BoundLLV.v",
              ("Bound.bound", "Bound.d_fg_bound", "d_fg_bound_llv", "d_fg_bound_llv_sum", "d_fg_subsets_bound_llv",
               "d_fg_subsets_bound_llv_sum"), BOUND_AXIOMS),
        Proof("followup-logit-moment-form", "Logit.v", ("sum_sq_trace", "trace_cross", "moment_form"),
              given="the clauses on centred moments and on the float64 streamed path (on instances)"),
        Proof("followup-logit-metric", "Logit.v",
              ("clr_log_probs", "d2_direct_clr", "d_logit_ge0", "d_logit_sym", "d_logit_triangle", "d_logit_zero"),
              given="inputs of weight 0 (the theorems take every weight positive; such inputs do not enter d_logit)"),
        Proof("sec4-llv-metric", "Metric.v",
              ("d_llv_ge0", "d_llv_sym", "d_llv_self", "d_llv_triangle", "d_llv_zero_iff",
               "d_llv_sum_triangle", "d_llv_sum_zero_iff", "d_llv_zero_two_left_out_counterexample")),
        Proof("sec1-ddof-invariance", "Ddof.v",
              ("sd_c_scale", "llv_a_ddof", "llv_b_ddof", "cross_cov_ddof", "sigma_dist_ddof", "T1_ddof",
               "T2_ddof", "T3_ddof", "T4_ddof", "cross_cov_ddof_input", "var_ddof1", "ddof1_invariance")),
        Proof("thm3.1-kl-bound", "KLBound.v",
              ("lpE", "kl_margin", "kl_uniform_margin", "d_kl_bound", "d_kl_bound_both", "d_kl_modelE",
               "kl_construction"), hypotheses="checks.claims.sec3.kl_bound:kl_bound_hypotheses"),
        Proof("cor3.2-nll", "KLBound.v", ("nll_margin", "nll_bound", "log_probs_lp", "nll_construction", "nll_limit"),
              hypotheses="checks.claims.sec3.kl_bound:kl_bound_hypotheses",
              rests_on="staying dissimilar: thm3.1-small-kl-dissimilar"),
        Proof("thm3.1-kl-bound-sharp", "KLBound.v",
              ("Tm_perm", "d_kl_sharp", "d_kl_sharp_both", "sharp_swap", "sharp_le_plain", "kl_construction_sharp"),
              hypotheses="checks.claims.sec3.kl_bound:kl_bound_hypotheses"),
        Proof("sec4-invariance", "Invariance.v",
              ("d_llv_equiv_replace", "d_kl_equiv_replace", "d_fg_equiv_replace", "d_fg_log_probs", "d_kl_prob",
               "d_llv_equiv_zero", "d_llv_sum_equiv_zero", "d_kl_equiv_zero", "d_fg_equiv_zero"),
              frozenset({"nuclear_norm", "nuclear_norm_psd"}),
              given="inputs of weight 0 (the zero theorems take every weight positive; such inputs do not enter "
                    "the distances)"),
        Proof("sec3-scale-invariance", "Scale.v",
              ("standardise_affine", "std_coord_label_scale", "std_coord_input_scale", "label_C_scale",
               "input_C_scale")),
    )
}


def coq_sources(directory: Path = FORMAL_DIR) -> list[Path]:
    """The ``.v`` files in ``_CoqProject`` order (those present)."""
    project = (directory / "_CoqProject").read_text().split()
    return [directory / name for name in project if name.endswith(".v") and (directory / name).exists()]


@dataclass(frozen=True)
class Build:
    """The outcome of compiling the development: where, and the first failure (if any)."""

    root: Path | None
    failure: str | None
    coqc: str | None
    files: tuple[str, ...]
    seconds: float


def _run(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


FORBIDDEN = re.compile(r"\b(Admitted|admit)\b")


def _strip_comments(text: str) -> str:
    """Coq source without its (possibly nested) comments."""
    out, depth, i = [], 0, 0
    while i < len(text):
        if text.startswith("(*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*)", i) and depth:
            depth, i = depth - 1, i + 2
        else:
            if not depth:
                out.append(text[i])
            i += 1
    return "".join(out)


def cache_dir() -> Path:
    """Where compiled developments are kept between runs (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "closeness-proofs" / "coq"


def build(directory: Path = FORMAL_DIR) -> Build:
    """Compile the development in a private copy, in ``_CoqProject`` order.  A successful build is
    kept under :func:`cache_dir`, keyed by the sources and the Coq version, so later runs reuse it."""
    coqc = shutil.which("coqc")
    sources = coq_sources(directory)
    names = tuple(p.name for p in sources)
    if coqc is None:
        return Build(None, None, None, names, 0.0)
    for src in sources:
        found = FORBIDDEN.search(_strip_comments(src.read_text()))
        if found:
            return Build(None, f"{src.name} contains `{found.group(1)}`", coqc, names, 0.0)
    version = _run([coqc, "--version"], directory).stdout
    digest = hashlib.sha256(
        version.encode() + b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in sources)
    ).hexdigest()[:24]
    cached = cache_dir() / digest
    if (cached / "BUILT").exists():
        return Build(cached, None, coqc, names, 0.0)
    start = time.perf_counter()
    cached.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{digest}.", dir=cached.parent))
    for src in sources:
        shutil.copy2(src, work / src.name)
    for src in sources:
        done = _run([coqc, "-q", "-R", ".", "Closeness", src.name], work)
        if done.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            msg = (done.stderr or done.stdout).strip().splitlines()
            return Build(None, f"{src.name} does not compile: {' '.join(msg[-6:])}", coqc, names,
                         time.perf_counter() - start)
    seconds = time.perf_counter() - start
    (work / "BUILT").write_text(f"{seconds:.1f}\n")
    try:
        os.replace(work, cached)
    except OSError:  # another process finished the same build first: use it
        shutil.rmtree(work, ignore_errors=True)
    return Build(cached, None, coqc, names, seconds)


def query(b: Build, module: str, theorems: tuple[str, ...]) -> dict[str, tuple[str, list[str]]]:
    """``Check`` and ``Print Assumptions`` of theorems of one module (or, qualified, of a module it
    builds on), in one Coq run for all the module's theorems in :data:`PROOFS` (answers kept beside
    the build): each theorem's statement and the names of the axioms it rests on."""
    assert b.root is not None and b.coqc is not None
    answers: dict[str, tuple[str, list[str]]] = {}
    wanted = dict.fromkeys([*theorems, *(t for p in PROOFS.values() if p.file == f"{module}.v" for t in p.theorems)])
    missing = [t for t in wanted if not (b.root / f"assume_{module}_{t}.out").exists()]
    if missing:
        probe = f"Probe_{module}_{hashlib.sha256(' '.join(missing).encode()).hexdigest()[:12]}.v"
        lines = [f"From Closeness Require Import {module}.", "Set Printing Width 100."]
        for t in missing:
            ref = t if "." in t else f"{module}.{t}"
            lines += [f'Redirect "check_{module}_{t}" Check {ref}.',
                      f'Redirect "assume_{module}_{t}" Print Assumptions {ref}.']
        (b.root / probe).write_text("\n".join(lines) + "\n")
        done = _run([b.coqc, "-q", "-R", ".", "Closeness", probe], b.root)
        if done.returncode != 0:
            raise RuntimeError(f"Coq could not query {module}: {(done.stderr or done.stdout).strip()[:300]}")
    for t in theorems:
        statement = " ".join((b.root / f"check_{module}_{t}.out").read_text().split())
        assumed = (b.root / f"assume_{module}_{t}.out").read_text()
        block = assumed.split("Axioms:", 1)[-1]  # one axiom per unindented line, its type indented below
        axioms = [line.split()[0].rsplit(".", 1)[-1] for line in block.splitlines() if line[:1].strip()]
        answers[t] = (statement, [] if "Closed under the global context" in assumed else axioms)
    return answers


def check_proof(proof: Proof, directory: Path = FORMAL_DIR) -> Outcome:
    """The ``formal`` verdict of one claim (see the module docstring)."""
    b = build(directory)
    where = {"file": f"theory/formal/{proof.file}", "theorems": list(proof.theorems)}
    if b.coqc is None:
        return Outcome.skipped(f"not run: Coq not installed ({INSTALL})", **where)
    if b.failure is not None:
        return Outcome.undecided(b.failure, **where)
    if proof.file not in b.files:
        return Outcome.undecided(f"{proof.file} is not part of the Coq development", **where)
    module = proof.file.removesuffix(".v")
    answers = query(b, module, proof.theorems)
    statements = {t: answers[t][0] for t in proof.theorems}
    assumptions = {t: answers[t][1] for t in proof.theorems}
    used = {a for axs in assumptions.values() for a in axs}
    project_used = used - set(LIBRARY_AXIOMS)
    evidence = {
        **where,
        "coq_statements": statements,
        "assumptions": assumptions,
        "library_axioms": {a: LIBRARY_AXIOMS[a] for a in sorted(used & set(LIBRARY_AXIOMS))},
        "project_axioms": {a: PROJECT_AXIOMS.get(a, "undeclared") for a in sorted(project_used)},
        "build": f"compiled in {b.seconds:.1f} s" if b.seconds else f"reused from {b.root}",
        "scope": proof_scope(proof, project_used),
    }
    if proof.rests_on:
        evidence[RESTS_ON] = proof.rests_on
    if project_used != proof.axioms:
        extra, missing = sorted(project_used - proof.axioms), sorted(proof.axioms - project_used)
        why = []
        if extra:
            why.append(f"undeclared assumptions {extra}")
        if missing:
            why.append(f"declared axioms not used {missing} (the declaration is stale)")
        return Outcome.undecided("the proof's assumptions are not the declared ones: " + "; ".join(why), **evidence)
    return Outcome.verified(**evidence)


def proof_scope(proof: Proof, project_used: set[str]) -> str:
    """``general`` for a kernel-checked proof that rests on no project axiom and covers its whole
    claim; else ``general, given: …`` naming the cited theorems taken as axioms (:data:`PROJECT_AXIOMS`,
    the parameter ``nuclear_norm`` aside, which no theorem constrains beyond them) and the clause of
    the claim the proof leaves to other methods (:attr:`Proof.given`)."""
    cited = [PROJECT_AXIOMS[a] for a in sorted(project_used) if a in PROJECT_AXIOMS and a != "nuclear_norm"]
    steps = [f"{text} (cited, a project axiom)" for text in cited]
    if proof.given:
        steps.append(proof.given)
    return general_given("; ".join(steps)) if steps else GENERAL


def attach() -> None:
    """Give every claim of :data:`PROOFS` its ``formal`` method."""
    for claim_id, proof in PROOFS.items():
        REGISTRY[claim_id].method("formal")(functools.partial(_formal, proof))


def _formal(proof: Proof, ctx: Context) -> Outcome:
    out = check_proof(proof)
    if proof.hypotheses is None or out.verdict != "verified":
        return out
    module, _, name = proof.hypotheses.partition(":")
    met = getattr(importlib.import_module(module), name)(ctx)
    return with_hypotheses(out, met, proof.hypotheses)


def with_hypotheses(kernel: Outcome, met: Outcome, source: str) -> Outcome:
    """A verified kernel proof of theorems with hypotheses, and ``met``, the check that the claim's
    objects meet them: verified only when ``met`` is (else undecided: the theorems do not apply, which
    refutes nothing), with ``met``'s evidence under ``"hypotheses"``; general only when ``met`` is."""
    evidence = {**kernel.evidence, "hypotheses": {"check": source, "verdict": met.verdict, **met.evidence}}
    if met.verdict != "verified":
        return Outcome.undecided(f"the theorems' hypotheses are not established for the claim ({met.verdict})",
                                 **evidence)
    steps = [] if kernel.scope == GENERAL else [kernel.scope.removeprefix(GIVEN)]
    if met.scope != GENERAL:
        steps.append(f"the theorems' hypotheses ({met.scope})")
    return Outcome.verified(**evidence).with_scope(general_given("; ".join(steps)) if steps else GENERAL)
