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
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from checks.registry import GENERAL, REGISTRY, Context, Outcome

__all__ = [
    "FORMAL_DIR",
    "LIBRARY_AXIOMS",
    "PROOFS",
    "Proof",
    "Build",
    "build",
    "check_proof",
    "coq_sources",
    "INSTALL",
]

FORMAL_DIR = Path(__file__).resolve().parent.parent / "theory" / "formal"

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
PROJECT_AXIOMS: dict[str, str] = {
    "nuclear_norm": "the nuclear norm ‖C‖_* = Σ_k σ_k(C) of a square matrix (singular values are not in mathcomp)",
    "nuclear_norm_ge_trace": "tr C ≤ ‖C‖_* (von Neumann's trace inequality with the identity; "
                             "Horn & Johnson, Matrix Analysis, Thm 7.4.1.1)",
    "nuclear_norm_ge0": "‖C‖_* ≥ 0 (singular values are non-negative)",
}


@dataclass(frozen=True)
class Proof:
    """The Coq theorems behind one claim and the project axioms they may rest on."""

    claim_id: str
    file: str
    theorems: tuple[str, ...]
    axioms: frozenset[str] = frozenset()


#: Claim id → its kernel-checked proof.
PROOFS: dict[str, Proof] = {
    p.claim_id: p
    for p in (
        Proof("thm2.2-if", "Identifiability.v", ("thm2_2_if",)),
        Proof("thm2.2-only-if", "Identifiability.v", ("log_odds_eq", "thm2_2_only_if")),
        Proof("sec4-bound-cov-identity", "Bound.v", ("cov_identity",)),
        Proof("sec4-bound-sd-difference", "Bound.v", ("sd_difference",)),
        Proof("sec4-bound-implies-paper", "Bound.v", ("bound_implies_paper",)),
        Proof("sec4-bound-sharp", "Bound.v", ("bound_sharp", "d_fg_bound"),
              frozenset(PROJECT_AXIOMS)),
        Proof("sec4-bound", "Bound.v", ("bound", "d_fg_bound"), frozenset(PROJECT_AXIOMS)),
        Proof("sec4-llv-metric", "Metric.v",
              ("d_llv_ge0", "d_llv_sym", "d_llv_self", "d_llv_triangle", "d_llv_zero_iff")),
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


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
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


@functools.lru_cache(maxsize=4)
def _build_cached(digest: str, directory: str) -> Build:
    coqc = shutil.which("coqc")
    sources = coq_sources(Path(directory))
    names = tuple(p.name for p in sources)
    if coqc is None:
        return Build(None, None, None, names, 0.0)
    start = time.perf_counter()
    for src in sources:
        found = FORBIDDEN.search(_strip_comments(src.read_text()))
        if found:
            return Build(None, f"{src.name} contains `{found.group(1)}`", coqc, names, 0.0)
    root = Path(tempfile.mkdtemp(prefix="closeness-coq-"))
    for src in sources:
        shutil.copy2(src, root / src.name)
    for src in sources:
        done = _run([coqc, "-q", "-R", ".", "Closeness", src.name], root)
        if done.returncode != 0:
            msg = (done.stderr or done.stdout).strip().splitlines()
            return Build(None, f"{src.name} does not compile: {' '.join(msg[-6:])}", coqc, names,
                         time.perf_counter() - start)
    return Build(root, None, coqc, names, time.perf_counter() - start)


def build(directory: Path = FORMAL_DIR) -> Build:
    """Compile the development once per process (keyed by the sources' hash)."""
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in coq_sources(directory))).hexdigest()
    return _build_cached(digest, str(directory))


_AXIOM_LINE = re.compile(r"^([A-Za-z_][\w.']*) :", re.MULTILINE)


def query(b: Build, module: str, theorem: str) -> tuple[str, list[str]]:
    """``Check`` and ``Print Assumptions`` of one theorem: its statement and its axioms' names."""
    assert b.root is not None and b.coqc is not None
    probe = b.root / f"Probe_{theorem}.v"
    probe.write_text(
        f"From Closeness Require Import {module}.\nSet Printing Width 100.\n"
        f"Check {module}.{theorem}.\nPrint Assumptions {module}.{theorem}.\n"
    )
    done = _run([b.coqc, "-q", "-R", ".", "Closeness", probe.name], b.root, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"Coq could not query {module}.{theorem}: {done.stderr.strip()[:300]}")
    text = done.stdout
    split = text.find("Axioms:") if "Axioms:" in text else text.find("Closed under the global context")
    statement = " ".join(text[:split].split()) if split >= 0 else " ".join(text.split())
    axioms = [m.group(1).rsplit(".", 1)[-1] for m in _AXIOM_LINE.finditer(text[split:])] if split >= 0 else []
    return statement, axioms


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
    statements: dict[str, str] = {}
    assumptions: dict[str, list[str]] = {}
    for thm in proof.theorems:
        statements[thm], assumptions[thm] = query(b, module, thm)
    used = {a for axs in assumptions.values() for a in axs}
    project_used = used - set(LIBRARY_AXIOMS)
    evidence = {
        **where,
        "coq_statements": statements,
        "assumptions": assumptions,
        "library_axioms": {a: LIBRARY_AXIOMS[a] for a in sorted(used & set(LIBRARY_AXIOMS))},
        "project_axioms": {a: PROJECT_AXIOMS.get(a, "undeclared") for a in sorted(project_used)},
        "compile_seconds": round(b.seconds, 2),
        "scope": GENERAL,
    }
    if project_used != proof.axioms:
        extra, missing = sorted(project_used - proof.axioms), sorted(proof.axioms - project_used)
        why = []
        if extra:
            why.append(f"undeclared assumptions {extra}")
        if missing:
            why.append(f"declared axioms not used {missing} (the declaration is stale)")
        return Outcome.undecided("the proof's assumptions are not the declared ones: " + "; ".join(why), **evidence)
    return Outcome.verified(**evidence)


def attach() -> None:
    """Give every claim of :data:`PROOFS` its ``formal`` method."""
    for claim_id, proof in PROOFS.items():
        REGISTRY[claim_id].method("formal")(functools.partial(_formal, proof))


def _formal(proof: Proof, ctx: Context) -> Outcome:
    return check_proof(proof)
