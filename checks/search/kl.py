"""``closeness search kl``: small model pairs with ``d_KL ≤ ε`` and dissimilar representations.

The statement under test is "KL-closeness implies similarity": ``d_KL ≤ ε ⇒ d_{f,g} < τ``
(or ``1 − m_CCA < τ``).  Theorem 3.1 says it is false; the search shows this is not an artefact
of the one construction.  Candidates: ``M ∈ {2, 3}``, ``M+1 ≤ K ≤ 8`` labels with arbitrary unit
directions ``v_k``, 1–3 inputs per class ``f(x) = r(v_k + η)``, a second model that permutes the
classes by any ``σ`` with its own radii and noise ``f'(x) = r'(v_{σ(k)} + η')``, ``g = ρV``,
``g' = ρV_σ``.  For each candidate the smallest ``ρ = 2^j`` with ``max(d_KL(p‖p'), d_KL(p'‖p)) ≤ ε``
is used (``d_{f,g}`` with fixed default sets and ``m_CCA`` do not depend on ρ).  Score
``d_{f,g}/τ``: above 1 is a pair with small KL and dissimilar representations.  The best pairs are
re-verified at ``dps`` and ``2·dps`` digits.

Also here: the search behind the ``search`` method of ``thm3.1-kl-bound``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from checks.cli.options import add_json_option, add_progress_options, emit_json, progress_bar
from checks.evidence import certified_leq
from checks.registry import Outcome
from checks.search import SearchResult, run_search, showing_progress, stage
from theory.counterexample import KLConstruction, kl_bound
from theory.compare import compare
from theory.distances import d_kl
from theory.errors import ClosenessError
from theory.io import atomic_write_text, save_model
from theory.model import Model, log_probs
from theory.precision import FLOAT64, MP, Arithmetic, Ball, require_dps
from theory.selection import default_sets

__all__ = ["Candidate", "candidates", "evaluate", "search_pairs", "search_kl_bound", "phenomenon_outcome",
           "register_target"]

MAX_DOUBLINGS = 14  # ρ up to 2^14


@dataclass(frozen=True)
class Candidate:
    """Unit label directions, per-input class, radii and noise of both models, and ``σ``."""

    v: np.ndarray  # K×M
    per_class: int
    r: np.ndarray
    r2: np.ndarray
    eta: np.ndarray  # n×M
    eta2: np.ndarray
    perm: tuple[int, ...]

    def models(self, rho: float) -> tuple[Model, Model]:
        cls = np.repeat(np.arange(self.v.shape[0]), self.per_class)
        p = np.array(self.perm)
        f = self.r[:, None] * (self.v[cls] + self.eta)
        f2 = self.r2[:, None] * (self.v[p[cls]] + self.eta2)
        return Model(f, rho * self.v), Model(f2, rho * self.v[p])

    def as_json(self) -> dict[str, Any]:
        return {"K": int(self.v.shape[0]), "M": int(self.v.shape[1]), "per_class": self.per_class,
                "perm": list(self.perm)}


@st.composite
def candidates(draw: Any) -> Candidate:
    """Hypothesis strategy for :class:`Candidate` (``M ∈ {2,3}``, ``K ≤ 8``, 1–3 inputs per class)."""
    m_dim = draw(st.integers(2, 3))
    k = draw(st.integers(m_dim + 1, 8))
    per = draw(st.integers(1, 3))
    n = k * per
    unit = st.floats(-1, 1, allow_nan=False, width=64)
    az = draw(hnp.arrays(np.float64, k, elements=st.floats(0.0, 2 * np.pi)))
    el = draw(hnp.arrays(np.float64, k, elements=st.floats(-1.5, 1.5))) if m_dim == 3 else np.zeros(k)
    v = np.stack([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)], axis=1)[:, :m_dim]
    noise = draw(st.floats(0.0, 0.3))
    r = draw(hnp.arrays(np.float64, n, elements=st.floats(1.0, 3.0)))
    r2 = draw(hnp.arrays(np.float64, n, elements=st.floats(1.0, 3.0)))
    eta = noise * draw(hnp.arrays(np.float64, (n, m_dim), elements=unit))
    eta2 = noise * draw(hnp.arrays(np.float64, (n, m_dim), elements=unit))
    perm = tuple(draw(st.permutations(range(k))))
    return Candidate(v, per, r, r2, eta, eta2, perm)


def _kl_max(a: Model, b: Model, P: Arithmetic = FLOAT64) -> Any:
    ell, ell2 = log_probs(a, P), log_probs(b, P)
    x, y = d_kl(ell, ell2, P), d_kl(ell2, ell, P)
    return x if x >= y else y


def smallest_rho(c: Candidate, eps: float) -> float | None:
    """The smallest ``ρ = 2^j`` (``j ≤ 14``) with both KL directions ``≤ ε`` at float64, or None."""
    for j in range(MAX_DOUBLINGS + 1):
        a, b = c.models(float(2**j))
        if float(_kl_max(a, b)) <= eps:
            return float(2**j)
    return None


def evaluate(c: Candidate, rho: float, P: Arithmetic = FLOAT64) -> dict[str, Any] | None:
    """``d_KL`` (both directions), ``d_{f,g}`` and ``m_CCA`` by :func:`theory.compare.compare` with
    its default sets (so ``closeness compare`` on the saved pair reproduces them); None when the
    pair is not diverse enough for those sets (singular L or N, constant coordinates)."""
    a, b = c.models(rho)
    try:
        v = compare(a, b, dps=None if P.kind == "float64" else P.dps).values
    except (ClosenessError, np.linalg.LinAlgError, ZeroDivisionError):
        return None
    cmp_sets = default_sets(a, b)
    return {"d_kl_ab": v["d_kl_ab"], "d_kl_ba": v["d_kl_ba"], "d_fg": v["fg"].value, "m_cca": v["m_cca"],
            "sets": cmp_sets}


def _measure(values: dict[str, Any], measure: str) -> float:
    return float(values["d_fg"]) if measure == "fg" else 1.0 - float(values["m_cca"])


def search_pairs(eps: float, threshold: float, examples: int, seed: int, dps: int = 50,
                 measure: str = "fg", keep: int = 5,
                 shrink: bool = True) -> tuple[SearchResult, list[tuple[Candidate, float]]]:
    """Run the search; return the result (best pairs re-verified at ``dps`` and ``2·dps``) and the
    best candidates with their ρ (for saving).  ``shrink=False`` skips the minimal violating
    example (the search reports scores capped at 1, so none counts as a violation; the best
    pairs keep their true scores) -- for callers that need the best pairs only."""
    if not (eps > 0 and math.isfinite(eps)):
        raise ClosenessError(f"--eps must be a positive number, got {eps}")
    if threshold <= 0:
        raise ClosenessError(f"the threshold τ must be positive, got {threshold}")
    if measure not in ("fg", "cca"):
        raise ClosenessError(f"measure must be 'fg' or 'cca', got {measure!r}")
    seen: list[tuple[float, Candidate, float]] = []
    rhos: dict[int, float] = {}

    def score(c: Candidate) -> float | None:
        rho = smallest_rho(c, eps)
        if rho is None:
            return None
        vals = evaluate(c, rho)
        if vals is None:
            return None
        s = _measure(vals, measure) / threshold
        rhos[id(c)] = rho
        seen.append((s, c, rho))
        return s if shrink else min(s, 1.0)

    def describe(c: Candidate) -> dict[str, Any]:
        rho = rhos[id(c)]
        vals = evaluate(c, rho)
        rec = {**c.as_json(), "rho": rho}
        if vals is not None:
            rec.update({"d_kl": max(float(vals["d_kl_ab"]), float(vals["d_kl_ba"])), "d_fg": float(vals["d_fg"]),
                        "m_cca": float(vals["m_cca"]), "sets": vals["sets"].as_dict()})
        return rec

    def reverify(c: Candidate) -> dict[str, Any] | None:
        rho = rhos.get(id(c)) or smallest_rho(c, eps)
        if rho is None:
            return None
        rec = {**describe_at(c, rho), "high_precision": high_precision(c, rho, eps, threshold, dps, measure)}
        return rec if rec["high_precision"]["confirmed"] else None

    def describe_at(c: Candidate, rho: float) -> dict[str, Any]:
        rhos[id(c)] = rho
        return describe(c)

    result = run_search("kl", candidates(), score, describe, reverify, examples=examples, seed_value=seed,
                        keep=keep, factor=threshold)
    # the best pairs among every candidate scored (exploration and shrinking), each re-verified
    stage("search kl: re-verifying the best pairs at high precision")
    seen.sort(key=lambda t: -t[0])
    best: list[tuple[Candidate, float]] = []
    result.best = []
    signatures: set[tuple[Any, ...]] = set()
    for s, c, rho in seen:
        if len(best) == keep:
            break
        # hypothesis re-draws equal pairs; equal shape, σ, ρ and score count as one
        sig = (c.v.shape, c.per_class, c.perm, rho, round(s, 12))
        if sig in signatures:
            continue
        signatures.add(sig)
        best.append((c, rho))
        result.best.append({"ratio": s, **describe_at(c, rho),
                            "high_precision": high_precision(c, rho, eps, threshold, dps, measure)})
    result.extra.update({"eps": eps, "threshold": threshold, "measure": measure, "dps": dps})
    return result, best


def high_precision(c: Candidate, rho: float, eps: float, threshold: float, dps: int, measure: str) -> dict[str, Any]:
    """``d_KL ≤ ε`` and the measure ``≥ τ`` at ``dps`` and ``2·dps`` digits (and their agreement)."""
    recs = []
    for d in (dps, 2 * dps):
        vals = evaluate(c, rho, MP(d))
        if vals is None:
            return {"confirmed": False, "reason": "undefined at high precision"}
        recs.append(vals)
    lo, hi = recs
    kl = max(lo["d_kl_ab"], lo["d_kl_ba"])
    kl_hi = max(hi["d_kl_ab"], hi["d_kl_ba"])
    meas, meas_hi = _measure(lo, measure), _measure(hi, measure)
    tol = 10.0 ** (-(dps - 5))
    agree = abs(float(kl - kl_hi)) <= tol * float(abs(kl_hi)) and abs(meas - meas_hi) <= max(tol, 1e-13)
    return {"confirmed": bool(kl <= eps and meas >= threshold and agree), "rho": rho, "dps": dps,
            "d_kl": MP(dps).to_str(kl)[:24], "measure": measure, "value": meas, "precisions_agree": bool(agree)}


def phenomenon_outcome(eps: float, threshold: float, examples: int, seed: int, dps: int) -> Outcome:
    """Verified when the search finds a pair with ``d_KL ≤ ε`` and ``d_{f,g} ≥ τ`` that survives
    the high-precision re-check; undecided when it finds none (absence is no disproof)."""
    result, _ = search_pairs(eps, threshold, examples, seed, dps, keep=1, shrink=False)
    confirmed = [b for b in result.best if b["high_precision"]["confirmed"]]
    ev = {"examples": examples, "seed": seed, "eps": eps, "threshold": threshold,
          "best": [{k: b.get(k) for k in ("K", "M", "per_class", "perm", "rho", "d_kl", "d_fg", "m_cca")}
                   for b in result.best[:3]]}
    if confirmed:
        return Outcome.verified(confirmed=len(confirmed), **ev)
    return Outcome.undecided("no pair with small KL and d_fg ≥ τ survived the high-precision check", **ev)


# --------------------------------------------------------------------------------------------
# the search behind thm3.1-kl-bound
# --------------------------------------------------------------------------------------------
@st.composite
def constructions(draw: Any) -> tuple[KLConstruction, float]:
    """A member of the Section 3 family (evenly spaced labels, ``φ_max < π/K``) and a ``ρ``."""
    from fractions import Fraction

    k = draw(st.integers(3, 8))
    per = draw(st.integers(1, 3))
    frac = draw(st.floats(0.0, 0.95))
    jitter = (np.pi / k) * frac * draw(hnp.arrays(np.float64, (k, per), elements=st.floats(-1, 1)))
    radii = draw(hnp.arrays(np.float64, (k, per), elements=st.floats(0.5, 3.0)))
    perm = tuple(draw(st.permutations(range(k))))
    rho = draw(st.floats(0.05, 300.0))
    return KLConstruction(tuple(Fraction(i, k) for i in range(k)), jitter, radii, perm, "search"), rho


Bound = Callable[[KLConstruction, Any, Arithmetic], Any]


def search_kl_bound(examples: int, seed: int, dps: int, bound: Bound = kl_bound) -> Outcome:
    """Maximise ``max d_KL / bound`` over the family; a ratio above 1 is re-checked with balls at
    ``dps`` digits and refutes the bound only if the enclosures prove it."""

    def score(x: tuple[KLConstruction, float]) -> float | None:
        c, rho = x
        a, b = c.models(rho)
        kl, cap = float(_kl_max(a, b)), float(bound(c, rho, FLOAT64))
        if cap == 0.0:  # the bound underflowed float64: a violation if d_KL did not, else no evidence
            return float("inf") if kl > 0 else None
        return kl / cap

    def describe(x: tuple[KLConstruction, float]) -> dict[str, Any]:
        c, rho = x
        return {"K": c.K, "per_class": c.per_class, "perm": list(c.perm), "rho": rho,
                "phi_max": c.phi_max, "r_min": c.r_min, "r_max": c.r_max}

    def reverify(x: tuple[KLConstruction, float]) -> dict[str, Any] | None:
        c, rho = x
        P = Ball(dps)
        with P.active():
            a, b = c.models(rho, P)
            out = certified_leq(_kl_max(a, b, P), bound(c, rho, P))
        return {**describe(x), **out.evidence} if out.verdict == "refuted" else None

    res = run_search("kl-bound", constructions(), score, describe, reverify, examples=examples, seed_value=seed)
    ev = {"examples": examples, "seed": seed, "max_ratio": res.best[0]["ratio"] if res.best else None,
          "unconfirmed_violations": res.dropped}
    if res.violations:
        return Outcome.refuted(witness=res.violations[0], **ev)
    return Outcome.verified(**ev)


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------
def save_pairs(directory: str | Path, best: list[tuple[Candidate, float]], records: list[dict[str, Any]]) -> list[str]:
    """Write each best pair as ``pairN_a.npz``, ``pairN_b.npz`` and ``pairN_sets.json``."""
    out = Path(directory)
    paths = []
    for i, ((c, rho), rec) in enumerate(zip(best, records, strict=True)):
        a, b = c.models(rho)
        pa, pb = save_model(out / f"pair{i}_a.npz", a), save_model(out / f"pair{i}_b.npz", b)
        atomic_write_text(out / f"pair{i}_sets.json", json.dumps(rec.get("sets", {}), indent=2) + "\n")
        paths += [str(pa), str(pb)]
    return paths


def register_target(targets: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = targets.add_parser(
        "kl",
        help="pairs with d_KL ≤ ε and dissimilar representations (Theorem 3.1 beyond its construction)",
        description="Seeded hypothesis search over small model pairs (M ∈ {2,3}, K ≤ 8, 1-3 inputs per "
        "class): maximise d_{f,g} (or 1 − m_CCA) subject to d_KL ≤ ε in both directions. The best pairs are "
        "re-verified at --dps and 2·--dps digits; --save writes them for `closeness compare`.",
    )
    p.add_argument("--eps", type=float, required=True, help="KL budget ε > 0")
    p.add_argument("--examples", type=int, default=100, help="hypothesis examples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.5, help="τ: a pair with measure ≥ τ counts as dissimilar")
    p.add_argument("--measure", choices=("fg", "cca"), default="fg", help="d_{f,g} or 1 − m_CCA")
    p.add_argument("--keep", type=int, default=5, help="how many best pairs to report")
    p.add_argument("--dps", type=int, default=50, help="precision of the re-verification")
    add_json_option(p, "the closeness-search/1 object")
    p.add_argument("--out", dest="save", metavar="DIR", help="write the best pairs as .npz models and their sets")
    p.add_argument("--save", dest="save", help=argparse.SUPPRESS)  # the earlier spelling of --out
    add_progress_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.examples < 1:
        raise ClosenessError(f"--examples must be at least 1, got {args.examples}")
    require_dps(args.dps)
    if args.keep < 1:
        raise ClosenessError(f"--keep must be at least 1, got {args.keep}")
    if not 0 < args.threshold <= 1:
        raise ClosenessError(f"--threshold must lie in (0, 1] (d_fg and 1 − m_CCA are at most 1), got {args.threshold}")
    with progress_bar(args, "search kl", unit="example") as bar, showing_progress(bar):
        result, best = search_pairs(args.eps, args.threshold, args.examples, args.seed, args.dps, args.measure,
                                    args.keep)
    saved = save_pairs(args.save, best, result.best) if args.save else []
    emit_json(args, {**result.as_json(), "saved": saved})
    if args.json == "-":
        return 0
    name = "d_fg" if args.measure == "fg" else "1-m_cca"
    print(f"search kl: ε = {args.eps:g}, τ = {args.threshold:g}, {args.examples} examples, seed {args.seed}")
    print(f"{'#':>2}  {'K':>2} {'M':>2} {'m':>2}  {'rho':>7}  {'d_kl':>10}  {name:>8}  {'m_cca':>7}  high precision")
    for i, b in enumerate(result.best):
        hp = b["high_precision"]
        status = "confirmed" if hp["confirmed"] else f"not confirmed ({hp.get('reason', 'fails')})"
        kl = b.get("d_kl", float("nan"))
        print(f"{i:>2}  {b['K']:>2} {b['M']:>2} {b['per_class']:>2}  {b['rho']:>7g}  {kl:>10.3e}  "
              f"{b['ratio'] * args.threshold:>8.4f}  {b.get('m_cca', float('nan')):>7.4f}  {status}")
    print(f"violations of 'd_KL ≤ ε ⇒ {name} < τ' (shrunk, re-verified): {len(result.violations)}")
    for path in saved:
        print(f"saved {path}")
    return 0
