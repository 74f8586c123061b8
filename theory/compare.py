"""Every distance of the paper between two models, in one call (used by ``closeness compare``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theory import __version__
from theory.distances import MAX_SUBSETS, Sets, d_fg, d_kl, d_llv, label_subsets, llv_terms, m_cca
from theory.errors import ClosenessError
from theory.model import Model, check_pair, input_weights, log_probs
from theory.precision import FLOAT64, Arithmetic, arithmetic
from theory.selection import default_sets, paper_sets, require_invertible_sets, require_paper_selection
from theory.streaming import Progress, default_chunk, stream_distances

__all__ = ["Comparison", "compare", "check_sets", "in_memory_values", "SCHEMA", "STREAM_ENTRIES", "PRECISE_ENTRIES"]

SCHEMA = "closeness-compare/1"


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`; ``as_json`` gives the ``closeness-compare/1`` object."""

    arith: Arithmetic
    sets: Sets
    lam: float
    mode: str
    values: dict[str, Any]
    chunk: int | None = None  # inputs per block when the float64 path was streamed

    def number(self, x: Any) -> Any:
        """A JSON number at float64; a decimal string carrying every digit otherwise."""
        return float(x) if self.arith.kind == "float64" else self.arith.to_str(x)

    def as_json(self) -> dict[str, Any]:
        v, num = self.values, self.number
        t = v["terms"]
        return {
            "schema": SCHEMA,
            "version": __version__,
            "precision": {"kind": self.arith.kind, "dps": self.arith.dps},
            "sets": self.sets.as_dict(),
            "lambda": self.lam,
            "mode": self.mode,
            "d_kl": {"ab": num(v["d_kl_ab"]), "ba": num(v["d_kl_ba"])},
            "terms": {
                "T1": num(t.T1), "T2": num(t.T2), "T3": num(t.T3), "T4": num(t.T4),
                "argmax": t.argmax,
                "sigma": [num(x) for x in t.sigma], "sigma2": [num(x) for x in t.sigma2],
                "s": [num(x) for x in t.s], "s2": [num(x) for x in t.s2],
                "a": [num(x) for x in t.a], "b": [num(x) for x in t.b],
                "c": [num(x) for x in t.c], "e": [num(x) for x in t.e],
            },
            "d_llv": num(v["d_llv"]),
            "d_svd_f": [{"labels": list(lab), "d_svd": num(d)} for lab, d in v["fg"].f_side],
            "d_svd_g": num(v["fg"].g_side),
            "d_fg": num(v["fg"].value),
            "m_cca": num(v["m_cca"]),
        }


#: Above this many log-probabilities (n·K) ``compare`` streams at float64 (theory.streaming):
#: the in-memory path would hold several n×K arrays (10⁷ entries are 80 MB each).
STREAM_ENTRIES = 10_000_000

#: Largest ``n·K`` compared at high precision (mpmath object arrays: a number of ``d`` digits takes
#: about ``100 + d/2`` bytes, and the comparison holds about a dozen n×K arrays at once).
PRECISE_ENTRIES = 200_000


def precise_memory(entries: int, dps: int) -> float:
    """Rough peak memory (bytes) of a comparison of ``entries = n·K`` at ``dps`` digits."""
    return 12 * entries * (100 + dps / 2)


def compare(
    a: Model,
    b: Model,
    sets: Sets | None = None,
    *,
    select: str = "fixed",
    samples: int = 100,
    seed: int = 0,
    lam: float = 1e-5,
    mode: str = "max",
    dps: int | None = None,
    max_subsets: int = MAX_SUBSETS,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """All distances between models ``a`` and ``b`` at float64 (``dps=None``) or ``dps`` digits.

    ``select="fixed"`` uses ``sets`` or :func:`theory.selection.default_sets`; ``"paper"`` runs the
    selection of the paper's experiments (seeded by ``seed`` over ``samples`` input subsets).
    With fixed sets at float64, inputs with ``n·K > STREAM_ENTRIES`` (or any ``chunk``) are
    streamed in blocks of ``chunk`` inputs (:mod:`theory.streaming`), never holding the n×K
    log-probabilities; ``progress(done, n)`` is then called after each block.
    """
    check_pair(a, b)
    if not 0 <= lam < float("inf"):
        raise ClosenessError(f"λ must be a finite non-negative number, got {lam}")
    if mode not in ("max", "sum"):
        raise ClosenessError(f"mode must be 'max' or 'sum', got {mode!r}")
    if select not in ("fixed", "paper"):
        raise ClosenessError(f"select must be 'fixed' or 'paper', got {select!r}")
    entries = a.n * a.K
    stream = chunk is not None or (entries > STREAM_ENTRIES and select == "fixed" and dps is None)
    if stream and dps is not None:
        raise ClosenessError("the streamed path (--chunk) is float64 only; drop --dps or --chunk")
    if stream and select == "paper":
        raise ClosenessError("--select paper needs the whole n×K log-probability matrices and cannot be "
                             "streamed; drop --chunk or pass fixed sets")
    if dps is not None and entries > PRECISE_ENTRIES:
        raise ClosenessError(
            f"high precision holds all n·K = {entries} log-probabilities as {dps}-digit numbers, about "
            f"{precise_memory(entries, dps) / 2**30:.1f} GiB (limit n·K = {PRECISE_ENTRIES}); use float64 "
            "(drop --dps), which streams, or fewer inputs"
        )
    if select == "paper":
        if sets is not None:
            raise ClosenessError("give either explicit sets or --select paper, not both")
        require_paper_selection(a.K)  # before any n×K work
        P = arithmetic(dps)
        ell, ell2 = log_probs(a, P), log_probs(b, P)
        mid = arithmetic(None)
        sets = paper_sets(a, b, mid.array(ell), mid.array(ell2), samples, seed, input_weights(a))
        check_sets(a, b, sets, max_subsets)
        return Comparison(P, sets, lam, mode, in_memory_values(a, b, sets, P, ell, ell2, lam, mode, max_subsets))
    if sets is None:
        label_subsets(tuple(range(1, a.K)), a.M, max_subsets)  # the default S_Y: refuse before choosing S_X
        sets = default_sets(a, b)
    check_sets(a, b, sets, max_subsets)
    if stream:
        size = chunk if chunk is not None else default_chunk(a.K)
        values = stream_distances(a, b, sets, chunk=size, lam=lam, mode=mode, limit=max_subsets,
                                  progress=progress)
        return Comparison(FLOAT64, sets, lam, mode, values, chunk=size)
    P = arithmetic(dps)
    ell, ell2 = log_probs(a, P), log_probs(b, P)
    return Comparison(P, sets, lam, mode, in_memory_values(a, b, sets, P, ell, ell2, lam, mode, max_subsets))


def check_sets(a: Model, b: Model, sets: Sets, max_subsets: int = MAX_SUBSETS) -> None:
    """The sets fit the models, the subsets of ``d_{f,g}`` are few enough, every ``L``, ``N`` is
    invertible: checked before any n×K work, so a refusal comes at once."""
    sets.validate(a.n, a.K, a.M)
    require_invertible_sets(a, b, sets, max_subsets)


def in_memory_values(
    a: Model, b: Model, sets: Sets, P: Arithmetic, ell: np.ndarray, ell2: np.ndarray,
    lam: float, mode: str, max_subsets: int = MAX_SUBSETS,
) -> dict[str, Any]:
    """Every distance from the n×K log-probability matrices ``ell``, ``ell2`` at precision ``P``."""
    w = input_weights(a, P)
    terms = llv_terms(ell, ell2, sets, P, w)
    return {
        "d_kl_ab": d_kl(ell, ell2, P, w),
        "d_kl_ba": d_kl(ell2, ell, P, w),
        "terms": terms,
        "d_llv": d_llv(terms, lam, mode),
        "fg": d_fg(a.f, a.g, b.f, b.g, sets, P, w, max_subsets),
        "m_cca": m_cca(a.f, b.f, P, w),
    }
