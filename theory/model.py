"""The model family ``p_{f,g}(y|x) = exp(f(x)ᵀg(y)) / Σ_{y'} exp(f(x)ᵀg(y'))`` (paper, Section 2).

A model on a finite sample is a pair of matrices: embeddings ``F`` (n×M, row i is ``f(x_i)``)
and unembeddings ``G`` (K×M, row k is ``g(y_k)``), with optional input weights (the data
distribution ``p_D``; uniform by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theory.errors import ClosenessError
from theory.precision import FLOAT64, Arithmetic

__all__ = ["Model", "logits", "log_probs", "log_probs_and_probs", "log_softmax", "log_softmax_and_probs",
           "check_pair", "input_weights"]


@dataclass(frozen=True)
class Model:
    """Embeddings ``f`` (n×M), unembeddings ``g`` (K×M), optional weights over the n inputs.

    Entries may be floats or exact/high-precision numbers (an object array of ``mpf``, ``arb``
    or decimal strings); they are converted to the working precision when used.
    """

    f: np.ndarray
    g: np.ndarray
    weights: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        f = _as_matrix(self.f, "f")
        g = _as_matrix(self.g, "g")
        if f.shape[1] != g.shape[1]:
            raise ClosenessError(
                f"f and g must have the same representation dimension M: "
                f"f is {f.shape[0]}×{f.shape[1]}, g is {g.shape[0]}×{g.shape[1]}"
            )
        m = f.shape[1]
        if g.shape[0] < m + 1:
            raise ClosenessError(
                f"the model needs K ≥ M+1 labels: K = {g.shape[0]}, M = {m}"
            )
        if f.shape[0] < 2:
            raise ClosenessError(f"the model needs at least 2 inputs, got n = {f.shape[0]}")
        object.__setattr__(self, "f", f)
        object.__setattr__(self, "g", g)
        if self.weights is not None:
            w = np.asarray(self.weights)
            if w.shape != (f.shape[0],):
                raise ClosenessError(
                    f"weights must have one entry per input: shape {w.shape}, n = {f.shape[0]}"
                )
            wf = _real(w, "weights")
            with np.errstate(over="ignore"):
                total = wf.sum()
            if not np.all(np.isfinite(wf)) or np.any(wf < 0) or total <= 0:
                raise ClosenessError("weights must be finite, non-negative and not all zero")
            if not np.isfinite(total):
                raise ClosenessError("the weights' sum overflows float64; rescale them")
            object.__setattr__(self, "weights", w)

    @property
    def n(self) -> int:
        return int(self.f.shape[0])

    @property
    def K(self) -> int:
        return int(self.g.shape[0])

    @property
    def M(self) -> int:
        return int(self.f.shape[1])


def _as_matrix(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 2:
        raise ClosenessError(f"{name} must be a 2-d array, got shape {a.shape}")
    if a.shape[1] < 1:
        raise ClosenessError(f"{name} must have at least one column, got shape {a.shape}")
    if not np.all(np.isfinite(_real(a, name))):
        raise ClosenessError(f"{name} contains non-finite values (NaN or infinity)")
    return a


def _real(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` at float64, if it holds real numbers: an object array of exact or high-precision
    numbers, or a real numeric dtype (not bool, complex, timedelta, string or bytes)."""
    if a.dtype == object:
        return np.asarray(FLOAT64.midpoint(a), dtype=float)
    if (np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.complexfloating)
            and not np.issubdtype(a.dtype, np.timedelta64)):
        return a.astype(np.float64, copy=False)
    raise ClosenessError(f"{name} must hold real numbers, got dtype {a.dtype}")


def check_pair(a: Model, b: Model) -> None:
    """Two models are compared on the same inputs and labels, at the same dimension."""
    if (a.n, a.K, a.M) != (b.n, b.K, b.M):
        raise ClosenessError(
            f"the two models do not match: (n, K, M) = {(a.n, a.K, a.M)} vs {(b.n, b.K, b.M)}"
        )
    if (a.weights is None) != (b.weights is None) or (
        a.weights is not None
        and b.weights is not None
        and not np.array_equal(FLOAT64.midpoint(a.weights), FLOAT64.midpoint(b.weights))
    ):
        raise ClosenessError("the two models must use the same input weights p_D")


def input_weights(model: Model, P: Arithmetic = FLOAT64) -> np.ndarray | None:
    """The data distribution ``p_D`` as normalised weights, or None for uniform."""
    if model.weights is None:
        return None
    w = P.array(model.weights)
    return w / w.sum()


def logits(model: Model, P: Arithmetic = FLOAT64) -> np.ndarray:
    """``f(x_i)ᵀ g(y_k)``: the n×K matrix of logits."""
    return P.matmul(P.array(model.f), P.array(model.g).T)


def _shifted(z: np.ndarray, P: Arithmetic) -> tuple[np.ndarray, np.ndarray, Any]:
    """``d = z − z_{k*}`` (zero at each row's largest logit ``k*``, exactly), ``e = e^d`` with zero at
    ``k*``, and the index ``(rows, k*)`` of those maxima: what :func:`log_softmax` and
    :func:`log_softmax_and_probs` share."""
    rows = np.arange(z.shape[0])
    top = P.argmax(z, axis=1)
    d = z - z[rows, top][:, None]
    zero = P.scalar(0)
    d[rows, top] = zero  # exact: z_{k*} − z_{k*}
    e = P.exp(d)
    e[rows, top] = zero
    return d, e, (rows, top)


def log_softmax(z: np.ndarray, P: Arithmetic = FLOAT64) -> np.ndarray:
    """Row-wise log-softmax, stable at every precision.

    With ``k*`` the row's largest logit, ``ℓ_k = (z_k − z_{k*}) − log1p(Σ_{k≠k*} e^{z_k − z_{k*}})``:
    no overflow, and the log-probability of a dominant label keeps full relative accuracy even
    when it is ``−1e-100`` (the regime of the Section 3 counterexample).
    """
    d, e, _ = _shifted(z, P)
    return d - P.log1p(e.sum(axis=1))[:, None]


def log_softmax_and_probs(z: np.ndarray, P: Arithmetic = FLOAT64) -> tuple[np.ndarray, np.ndarray]:
    """``(ℓ, p)``: :func:`log_softmax` and the probabilities ``p = e^ℓ`` from the same exponentials,
    ``p_k = e^{z_k − z_{k*}} / (1 + Σ_{k≠k*} e^{z_k − z_{k*}})`` (one division a row, one product an
    entry, where ``P.exp(ℓ)`` would take a second exponential an entry)."""
    d, e, peaks = _shifted(z, P)
    s = e.sum(axis=1)
    r = P.scalar(1) / (P.scalar(1) + s)
    p = e * r[:, None]
    p[peaks] = r
    return d - P.log1p(s)[:, None], p


def log_probs(model: Model, P: Arithmetic = FLOAT64) -> np.ndarray:
    """``ℓ(y_k|x_i) = log p_{f,g}(y_k|x_i)``: the n×K matrix of log-probabilities."""
    with P.active():
        ell = log_softmax(logits(model, P), P)
        P.require_finite(ell, "the log-probabilities")
        return ell


def log_probs_and_probs(model: Model, P: Arithmetic = FLOAT64) -> tuple[np.ndarray, np.ndarray]:
    """``(ℓ, p)``: :func:`log_probs` and the probabilities ``p(y_k|x_i)`` (:func:`log_softmax_and_probs`)."""
    with P.active():
        ell, p = log_softmax_and_probs(logits(model, P), P)
        P.require_finite(ell, "the log-probabilities")
        return ell, p
