"""Every distance of the paper between two models, in one call (used by ``closeness compare``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from theory import __version__
from theory.distances import MAX_SUBSETS, Sets, d_fg, d_kl, d_llv, label_subsets, llv_terms, m_cca
from theory.errors import ClosenessError
from theory.identifiability import input_matrix, label_matrix, require_invertible
from theory.model import Model, check_pair, input_weights, log_probs
from theory.precision import Arithmetic, arithmetic
from theory.selection import default_sets, paper_sets

__all__ = ["Comparison", "compare", "SCHEMA"]

SCHEMA = "closeness-compare/1"


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`; ``as_json`` gives the ``closeness-compare/1`` object."""

    arith: Arithmetic
    sets: Sets
    lam: float
    mode: str
    values: dict[str, Any]

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
) -> Comparison:
    """All distances between models ``a`` and ``b`` at float64 (``dps=None``) or ``dps`` digits.

    ``select="fixed"`` uses ``sets`` or :func:`theory.selection.default_sets`; ``"paper"`` runs the
    selection of the paper's experiments (seeded by ``seed`` over ``samples`` input subsets).
    """
    check_pair(a, b)
    if lam < 0:
        raise ClosenessError(f"λ must be non-negative, got {lam}")
    if mode not in ("max", "sum"):
        raise ClosenessError(f"mode must be 'max' or 'sum', got {mode!r}")
    P = arithmetic(dps)
    ell, ell2 = log_probs(a, P), log_probs(b, P)
    w = input_weights(a, P)
    if select == "paper":
        if sets is not None:
            raise ClosenessError("give either explicit sets or --select paper, not both")
        mid = arithmetic(None)
        sets = paper_sets(a, b, mid.array(ell), mid.array(ell2), samples, seed, input_weights(a))
    elif select == "fixed":
        sets = sets if sets is not None else default_sets(a, b)
    else:
        raise ClosenessError(f"select must be 'fixed' or 'paper', got {select!r}")
    sets.validate(a.n, a.K, a.M)
    for subset in label_subsets(sets.labels, a.M, max_subsets):
        require_invertible(label_matrix(a.g, sets.pivot_label, subset), f"L for labels {list(subset)}")
        require_invertible(label_matrix(b.g, sets.pivot_label, subset), f"L' for labels {list(subset)}")
    require_invertible(input_matrix(a.f, sets.pivot_input, sets.inputs), "N")
    require_invertible(input_matrix(b.f, sets.pivot_input, sets.inputs), "N'")
    terms = llv_terms(ell, ell2, sets, P, w)
    values = {
        "d_kl_ab": d_kl(ell, ell2, P, w),
        "d_kl_ba": d_kl(ell2, ell, P, w),
        "terms": terms,
        "d_llv": d_llv(terms, lam, mode),
        "fg": d_fg(a.f, a.g, b.f, b.g, sets, P, w, max_subsets),
        "m_cca": m_cca(a.f, b.f, P, w),
    }
    return Comparison(P, sets, lam, mode, values)
