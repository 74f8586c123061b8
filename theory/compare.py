"""Every distance of the paper between two models, in one call (used by ``closeness compare``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from typing import Any

import numpy as np

from theory import __version__
from theory.distances import (
    MAX_SUBSETS, FGResult, Sets, d_fg, d_kl_pair, d_llv, label_log_odds, label_subsets, llv_terms, m_cca,
)
from theory.errors import ClosenessError
from theory.logit import DRep, d_logit_clr, rep_for_compare, stream_d_logit_sq
from theory.model import Model, check_pair, input_weights, log_probs_and_probs
from theory.precision import FLOAT64, Arithmetic, arithmetic
from theory.selection import default_sets, paper_sets, require_invertible_sets, require_paper_selection
from theory.streaming import Progress, default_chunk, stream_distances

__all__ = [
    "Comparison", "compare", "check_sets", "in_memory_values", "at_precision", "decide_leq", "enclosure",
    "SCHEMA", "STREAM_ENTRIES", "PRECISE_ENTRIES", "CERTIFIED_DPS", "HOLDS", "FAILS", "UNDECIDED",
]

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

    @property
    def certified(self) -> bool:
        """Whether every number is an arb ball (a certified enclosure)."""
        return self.arith.kind == "arb"

    def number(self, x: Any) -> Any:
        """A JSON number at float64; a decimal string carrying every digit at mpmath precision;
        ``{"lower", "upper"}`` decimal strings enclosing the ball when certified."""
        if self.certified:
            return enclosure(x, self.arith.dps)
        return float(x) if self.arith.kind == "float64" else self.arith.to_str(x)

    def bounds(self) -> dict[str, tuple[Any, str]]:
        """Certified only: the enclosures of ``2Mε`` and ``2ε²`` (``ε = d_LLV``), each with the
        verdict of ``d_{f,g} ≤ bound`` (:func:`decide_leq`), keyed ``"2Meps"`` and ``"2eps2"``."""
        if not self.certified:
            raise ClosenessError("bound verdicts are decided on certified enclosures only (--certified)")
        eps, d = self.values["d_llv"], self.values["fg"].value
        m = len(self.sets.inputs)  # |S_X| = M
        with self.arith.active():
            found = {"2Meps": 2 * m * eps, "2eps2": 2 * eps * eps}
            return {key: (bound, decide_leq(d, bound)) for key, bound in found.items()}

    def rep_json(self, rep: DRep | str) -> dict[str, Any]:
        """``d²_rep`` as JSON: its value (a float64 estimate when sampled), the number of (pivot, set)
        terms it averages and of all of them, and the standard error of a sample; or why it is absent."""
        if isinstance(rep, str):
            return {"value": None, "reason": rep}
        value = self.number(rep.value) if rep.exact else float(rep.value)
        return {"value": value, "terms": rep.count, "of": rep.total, "exact": rep.exact, "stderr": rep.stderr}

    def as_json(self) -> dict[str, Any]:
        v, num = self.values, self.number
        t = v["terms"]
        out = {
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
        if "d_logit" in v:  # the follow-up paper's distances (theory.logit)
            out["d_logit"] = num(v["d_logit"])
            out["d_rep"] = self.rep_json(v["d_rep"])
        if self.certified:
            out["bounds"] = {key: {"bound": num(bound), "verdict": verdict}
                             for key, (bound, verdict) in self.bounds().items()}
        return out


#: Above this many log-probabilities (n·K) ``compare`` streams at float64 (theory.streaming):
#: the in-memory path would hold several n×K arrays (10⁷ entries are 80 MB each).
STREAM_ENTRIES = 10_000_000

#: Largest ``n·K`` compared at high precision (mpmath object arrays: a number of ``d`` digits takes
#: about ``100 + d/2`` bytes, and the comparison holds about a dozen n×K arrays at once).
PRECISE_ENTRIES = 200_000


def precise_memory(entries: int, dps: int) -> float:
    """Rough peak memory (bytes) of a comparison of ``entries = n·K`` at ``dps`` digits."""
    return 12 * entries * (100 + dps / 2)


#: Digits of a certified comparison (``compare(..., certified=True)``) when no ``dps`` is given.
CERTIFIED_DPS = 30

#: The three verdicts of :func:`decide_leq`.
HOLDS, FAILS, UNDECIDED = "certainly holds", "certainly fails", "undecided at this precision"


def decide_leq(lhs: Any, rhs: Any) -> str:
    """``lhs ≤ rhs`` for arb balls: :data:`HOLDS` when every point of ``lhs`` is ≤ every point of
    ``rhs``, :data:`FAILS` when every point of ``lhs`` exceeds every point of ``rhs``, otherwise
    (overlapping or non-finite enclosures) :data:`UNDECIDED` -- never "holds" on an overlap."""
    if not (lhs.is_finite() and rhs.is_finite()):
        return UNDECIDED
    (lhs_lo, lhs_hi), (rhs_lo, rhs_hi) = _ends(lhs), _ends(rhs)
    if lhs_hi <= rhs_lo:
        return HOLDS
    if lhs_lo > rhs_hi:
        return FAILS
    return UNDECIDED


def enclosure(x: Any, digits: int) -> dict[str, str]:
    """``{"lower", "upper"}``: decimal strings of ``digits`` significant digits, rounded outward,
    so the interval they bound contains the arb ball ``x`` (a non-finite ball is refused)."""
    if not x.is_finite():
        raise ClosenessError(f"an enclosure is not finite at {digits} digits; raise the precision (--dps)")
    lo, hi = _ends(x)
    return {"lower": _decimal(lo, ROUND_FLOOR, digits), "upper": _decimal(hi, ROUND_CEILING, digits)}


def _ends(x: Any) -> tuple[Fraction, Fraction]:
    """The exact ends ``mid ∓ rad`` of a finite arb ball, as rationals (no rounding, no global precision)."""
    mid, rad = (Fraction(int(m)) * Fraction(2) ** int(e) for m, e in (x.mid().man_exp(), x.rad().man_exp()))
    return mid - rad, mid + rad


def _decimal(q: Fraction, rounding: str, digits: int) -> str:
    """``q`` as a decimal string of ``digits`` significant digits, rounded in the direction ``rounding``."""
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = digits, rounding
        value = Decimal(q.numerator) / Decimal(q.denominator)
    return str(value).replace("E", "e")


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
    certified: bool = False,
    max_subsets: int = MAX_SUBSETS,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """All distances between models ``a`` and ``b`` at float64 (``dps=None``) or ``dps`` digits.

    ``certified=True`` evaluates the same formulas in arb ball arithmetic at ``dps`` digits (default
    :data:`CERTIFIED_DPS`): every value is then a certified enclosure (:meth:`Comparison.bounds`).

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
    if certified and dps is None:
        dps = CERTIFIED_DPS
    flag = "--certified" if certified else "--dps"
    entries = a.n * a.K
    stream = chunk is not None or (entries > STREAM_ENTRIES and select == "fixed" and dps is None)
    if stream and dps is not None:
        raise ClosenessError(f"the streamed path (--chunk) is float64 only; drop {flag} or --chunk")
    if stream and select == "paper":
        raise ClosenessError("--select paper needs the whole n×K log-probability matrices and cannot be "
                             "streamed; drop --chunk or pass fixed sets")
    if dps is not None and entries > PRECISE_ENTRIES:
        raise ClosenessError(
            f"high precision holds all n·K = {entries} log-probabilities as {dps}-digit numbers, about "
            f"{precise_memory(entries, dps) / 2**30:.1f} GiB (limit n·K = {PRECISE_ENTRIES}); use float64 "
            f"(drop {flag}), which streams, or fewer inputs"
        )
    if select == "paper":
        if sets is not None:
            raise ClosenessError("give either explicit sets or --select paper, not both")
        require_paper_selection(a.K, a.M, max_subsets)  # before any n×K work (and before selecting)
        P = arithmetic(dps, ball=certified)
        pa, pb = at_precision(a, P), at_precision(b, P)
        (ell, p), (ell2, p2) = log_probs_and_probs(pa, P.bulk), log_probs_and_probs(pb, P.bulk)
        sets = paper_sets(a, b, P.bulk.midpoint(ell), P.bulk.midpoint(ell2), samples, seed, input_weights(a))  # float64
        check_sets(a, b, sets, max_subsets)
        return Comparison(P, sets, lam, mode, in_memory_values(pa, pb, sets, P, ell, ell2, lam, mode, max_subsets,
                                                               probs=(p, p2)))
    if sets is None:
        label_subsets(tuple(range(1, a.K)), a.M, max_subsets)  # the default S_Y: refuse before choosing S_X
        sets = default_sets(a, b)
    check_sets(a, b, sets, max_subsets)
    if stream:
        size = chunk if chunk is not None else default_chunk(a.K)
        values = stream_distances(a, b, sets, chunk=size, lam=lam, mode=mode, limit=max_subsets,
                                  progress=progress)
        values.update(d_logit=stream_d_logit_sq(a, b) ** 0.5, d_rep=rep_for_compare(a, b, FLOAT64, seed))
        return Comparison(FLOAT64, sets, lam, mode, values, chunk=size)
    P = arithmetic(dps, ball=certified)
    a, b = at_precision(a, P), at_precision(b, P)
    (ell, p), (ell2, p2) = log_probs_and_probs(a, P.bulk), log_probs_and_probs(b, P.bulk)
    return Comparison(P, sets, lam, mode, in_memory_values(a, b, sets, P, ell, ell2, lam, mode, max_subsets,
                                                           probs=(p, p2)))


def at_precision(model: Model, P: Arithmetic) -> Model:
    """``model`` with ``f`` and ``g`` converted to ``P.bulk`` once (exactly, for float entries), so
    that the distances, which each convert their arguments, find them converted; as it is at float64."""
    B = P.bulk
    if B is FLOAT64:
        return model
    return Model(B.array(model.f), B.array(model.g), model.weights)


def _reported(values: dict[str, Any], P: Arithmetic) -> dict[str, Any]:
    """The values of :func:`in_memory_values` converted from ``P.bulk`` to ``P`` (a few numbers)."""
    t, fg = values["terms"], values["fg"]
    arrays = {k: P.array(getattr(t, k)) for k in ("sigma", "sigma2", "s", "s2", "a", "b", "c", "e")}
    scalars = {k: P.scalar(getattr(t, k)) for k in ("T1", "T2", "T3", "T4")}
    return {
        **{k: P.scalar(values[k]) for k in ("d_kl_ab", "d_kl_ba", "d_llv", "m_cca", "d_logit")},
        "d_rep": values["d_rep"] if isinstance(values["d_rep"], str) or not values["d_rep"].exact
        else replace(values["d_rep"], value=P.scalar(values["d_rep"].value)),
        "terms": replace(t, **arrays, **scalars, arith=P),
        "fg": FGResult([(lab, P.scalar(d)) for lab, d in fg.f_side], P.scalar(fg.g_side), P.scalar(fg.value)),
    }


def check_sets(a: Model, b: Model, sets: Sets, max_subsets: int = MAX_SUBSETS) -> None:
    """The sets fit the models, the subsets of ``d_{f,g}`` are few enough, every ``L``, ``N`` is
    invertible: checked before any n×K work, so a refusal comes at once."""
    sets.validate(a.n, a.K, a.M)
    require_invertible_sets(a, b, sets, max_subsets)


def in_memory_values(
    a: Model, b: Model, sets: Sets, P: Arithmetic, ell: np.ndarray, ell2: np.ndarray,
    lam: float, mode: str, max_subsets: int = MAX_SUBSETS, *, probs: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """Every distance from the n×K log-probability matrices ``ell``, ``ell2`` at precision ``P`` and
    their probabilities ``probs`` (:func:`theory.model.log_probs_and_probs`: ``d_KL`` takes no
    exponential; both directions and ``d_logit`` share the one difference ``ℓ − ℓ'``).

    The formulas are evaluated in ``P.bulk`` (``ell``, ``ell2`` are in it too): at mpmath precision
    that is flint ``arb`` at the same working precision with midpoints reported
    (:class:`theory.precision.Midpoints`), and the few results are converted to ``mpf`` here.

    A matrix that is singular at this precision (a near-singular covariance) is a clear error; in
    ball arithmetic every such refusal means "not separated from zero by the enclosures", so the
    error says that a higher precision may resolve it."""
    B = P.bulk
    w = input_weights(a, B)
    try:
        odds = (label_log_odds(ell, sets.pivot_label, sets.labels, B, w),
                label_log_odds(ell2, sets.pivot_label, sets.labels, B, w))  # d_LLV's σ and d_{f,g}'s f side
        terms = llv_terms(ell, ell2, sets, B, w, odds=odds)
        kl_ab, kl_ba, diff = d_kl_pair(ell, ell2, probs, B, w)
        values = {
            "d_kl_ab": kl_ab,
            "d_kl_ba": kl_ba,
            "terms": terms,
            "d_llv": d_llv(terms, lam, mode),
            "fg": d_fg(a.f, a.g, b.f, b.g, sets, B, w, max_subsets, odds),
            "m_cca": m_cca(a.f, b.f, B, w),
            "d_logit": d_logit_clr(ell, ell2, B, w, diff=diff),
            "d_rep": rep_for_compare(a, b, B),
        }
        return values if B is P else _reported(values, P)
    except ZeroDivisionError as err:  # raised by flint's and mpmath's solvers on a singular matrix
        raise ClosenessError(f"a matrix is singular at {P.kind} precision, {P.dps} digits ({err}); "
                             "rerun at a higher precision (--dps)") from err
    except ClosenessError as err:
        if P.kind != "arb":
            raise
        raise ClosenessError(f"{err} (decided on enclosures at {P.dps} digits: a higher --dps may resolve it)") from err
