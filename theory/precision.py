"""The one place that knows float64, mpmath and ball arithmetic.

Every formula of the paper is written once, against the small interface of
:class:`Arithmetic`, and evaluated by one of its three implementations:

* :class:`Float` -- numpy at float64 (or float32, to mimic low-precision code), vectorised;
* :class:`MP` -- mpmath at a chosen number of decimal digits (object arrays of ``mpf``);
* :class:`Ball` -- python-flint ``arb`` balls: every result is a certified enclosure.

Arrays are always numpy arrays (``dtype=object`` for the two arbitrary-precision kinds), so the
formulas use ordinary numpy indexing, broadcasting, ``sum`` and ``@``.  On object arrays of
``arb`` these loops run in C (numpy's object loops calling flint): about 0.1 µs an entry at 53
bits, 0.2-0.5 µs at 50 digits (169 bits, three limbs, so every mantissa is a heap allocation) and
1-2 µs an ``exp``; on ``mpf`` they run mpmath's Python code, about 5 µs an entry.  At 50 digits the
cost is that arithmetic and its memory management, not Python: flint's ``arb_mat`` products pay the
same per entry (converting an n×K array into one costs about as much as summing it), so they are used
only where they replace a product over a long inner dimension.  So bulk work -- formulas over all
n×K log-probabilities -- is evaluated in :attr:`Arithmetic.bulk`: the arithmetic itself for
float64 and balls, and for mpmath :class:`Midpoints`, flint ``arb`` numbers at the mpmath
context's own working precision whose decisions and reported values are midpoints (not a
certificate: like every mpmath result, re-checked at a higher precision).  Its few results are
converted back to ``mpf`` by :meth:`Arithmetic.array` / :meth:`Arithmetic.scalar`.
"""

from __future__ import annotations

import functools
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from theory.errors import ClosenessError

__all__ = [
    "Arithmetic",
    "Ball",
    "Float",
    "MP",
    "Midpoints",
    "PrecisionSpec",
    "arithmetic",
    "require_dps",
    "MAX_DPS",
    "FLOAT64",
]


@dataclass(frozen=True)
class PrecisionSpec:
    """What a number was computed with: ``kind`` in {float64, float32, mpmath, arb}, digits."""

    kind: str
    dps: int

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dps": self.dps}


class Arithmetic(ABC):
    """Elementwise functions, reductions and small dense linear algebra at one precision."""

    kind: str
    dps: int

    @property
    def spec(self) -> PrecisionSpec:
        return PrecisionSpec(self.kind, self.dps)

    # -- conversion -----------------------------------------------------------------------
    @abstractmethod
    def array(self, x: Any) -> np.ndarray:
        """Convert numbers (floats, ints, decimal strings, mpf, arb) to this arithmetic."""

    @abstractmethod
    def scalar(self, x: Any) -> Any:
        """Convert one number to this arithmetic."""

    @property
    def bulk(self) -> Arithmetic:
        """The arithmetic in which formulas over many entries (n×K log-probabilities, moments over
        inputs) are evaluated at this precision: the arithmetic itself, except for mpmath."""
        return self

    def midpoint(self, x: Any) -> np.ndarray:
        """Float64 approximation (ball midpoints); used only to pick pivots and argmaxima."""
        return np.asarray(np.vectorize(float, otypes=[float])(np.asarray(x, dtype=object)))

    def magnitude(self, x: Any) -> float:
        """``max |x|`` as a float: the scale of a relative test (:meth:`is_zero`), never a result."""
        return float(np.max(np.abs(self.midpoint(np.asarray(x)))))

    def to_str(self, x: Any) -> str:
        """Decimal string carrying every digit of this precision."""
        return repr(float(x))

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this precision the working one (needed only where the backend has global state)."""
        yield

    # -- elementwise ----------------------------------------------------------------------
    @abstractmethod
    def exp(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def log(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def log1p(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def sqrt(self, x: np.ndarray) -> np.ndarray:
        """Square root of a quantity known to be non-negative (a variance, a squared norm)."""

    def abs(self, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    # -- reductions -----------------------------------------------------------------------
    def max(self, x: np.ndarray) -> Any:
        """The largest entry (for balls: an enclosure of the maximum)."""
        return np.max(np.asarray(x))

    def argmax(self, x: np.ndarray, axis: int | None = None) -> Any:
        """Index of the largest entry, decided on midpoints."""
        return np.argmax(self.midpoint(x), axis=axis)

    def is_zero(self, x: Any, scale: Any = 1.0) -> bool:
        """Whether ``|x|`` is negligible next to ``|scale|`` at this precision (a ball: contains 0).

        Purely relative, so a rescaled problem gets the same answer."""
        return bool(abs(float(x)) <= 64 * 10.0 ** (-self.dps) * abs(float(scale)))

    def require_finite(self, values: Any, what: str) -> None:
        """Refuse a non-finite result (float overflow, a ball that lost all accuracy) with a clear error."""
        mids = np.asarray(self.midpoint(np.asarray(values, dtype=object).ravel()), dtype=float)
        if not np.all(np.isfinite(mids)):
            raise ClosenessError(
                f"{what} is not finite at {self.kind} precision (overflow or loss of accuracy); "
                "rerun at a higher precision (--dps) or with rescaled models"
            )

    def divide(self, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        """``x / s`` with the few scales ``s`` broadcast over the many entries of ``x`` (a row of column
        scales, or a column of row scales): a true division at float64."""
        return x / s

    # -- bulk products ------------------------------------------------------------------------
    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The matrix product ``a @ b`` (BLAS at float64)."""
        return np.asarray(a) @ np.asarray(b)

    def cross(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``aᵀb`` for two tall matrices with the same rows: sums over the rows (inputs) into a small
        matrix of moments; ``b is a`` gives the Gram matrix ``aᵀa``."""
        return np.asarray(a).T @ np.asarray(b)

    def solve_many(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a[t]⁻¹ b[t]`` for a stack of square matrices ``a`` (T×m×m) and ``b`` (T×m×k)."""
        return np.array([self.solve(x, y) for x, y in zip(a, b, strict=True)], dtype=object).reshape(np.shape(b))

    # -- linear algebra (small matrices) ----------------------------------------------------
    @abstractmethod
    def svdvals(self, a: np.ndarray) -> np.ndarray:
        """Singular values of a square matrix."""

    def nuclear_norm(self, a: np.ndarray) -> Any:
        """``‖a‖_* = Σ_k σ_k(a)``, the sum of the singular values."""
        return self.svdvals(a).sum()

    @abstractmethod
    def solve(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a⁻¹ b`` for square ``a``."""

    @abstractmethod
    def det(self, a: np.ndarray) -> Any: ...

    def cholesky(self, a: np.ndarray) -> np.ndarray:
        """Lower-triangular ``R`` with ``R Rᵀ = a`` (symmetric positive definite ``a``)."""
        m = a.shape[0]
        r = np.full((m, m), self.scalar(0), dtype=object)
        for j in range(m):
            d = a[j, j] - sum((r[j, k] ** 2 for k in range(j)), self.scalar(0))
            if self.midpoint(np.array([d]))[0] <= 0:
                raise ClosenessError("covariance matrix is not positive definite")
            r[j, j] = self.sqrt(np.array([d], dtype=object))[0]
            for i in range(j + 1, m):
                s = a[i, j] - sum((r[i, k] * r[j, k] for k in range(j)), self.scalar(0))
                r[i, j] = s / r[j, j]
        return r


class Float(Arithmetic):
    """numpy at float64 (the default) or float32."""

    def __init__(self, dtype: type = np.float64) -> None:
        self.dtype = np.dtype(dtype)
        self.kind = self.dtype.name
        self.dps = 15 if self.dtype == np.float64 else 6

    def array(self, x: Any) -> np.ndarray:
        return np.asarray(self.midpoint(x) if _is_object(x) else x, dtype=self.dtype)

    def scalar(self, x: Any) -> Any:
        return self.dtype.type(float(x))

    def midpoint(self, x: Any) -> np.ndarray:
        if _is_object(x):
            return super().midpoint(x)
        return np.asarray(x, dtype=np.float64)

    def to_str(self, x: Any) -> str:
        return repr(float(x))

    def magnitude(self, x: Any) -> float:
        return float(np.max(np.abs(x)))

    @property
    def zero_tolerance(self) -> float:
        """``64·eps``: :meth:`is_zero`'s relative threshold (vectorised float paths compare with it)."""
        return 64 * float(np.finfo(self.dtype).eps)

    def is_zero(self, x: Any, scale: Any = 1.0) -> bool:
        return bool(abs(float(x)) <= self.zero_tolerance * abs(float(scale)))

    @contextmanager
    def active(self) -> Iterator[None]:
        """Overflow produces inf/NaN quietly; :meth:`require_finite` then refuses the result."""
        with np.errstate(over="ignore", invalid="ignore"):
            yield

    def require_finite(self, values: Any, what: str) -> None:
        if not np.all(np.isfinite(np.asarray(values, dtype=np.float64))):
            raise ClosenessError(
                f"{what} is not finite at {self.kind} (overflow); rerun at a higher precision (--dps) "
                "or with rescaled models"
            )

    def exp(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def log(self, x: np.ndarray) -> np.ndarray:
        return np.log(x)

    def log1p(self, x: np.ndarray) -> np.ndarray:
        return np.log1p(x)

    def sqrt(self, x: np.ndarray) -> np.ndarray:
        return np.sqrt(np.maximum(x, 0))

    def argmax(self, x: np.ndarray, axis: int | None = None) -> Any:
        return np.argmax(x, axis=axis)

    def svdvals(self, a: np.ndarray) -> np.ndarray:
        return np.linalg.svd(np.asarray(a, dtype=np.float64), compute_uv=False).astype(self.dtype)

    def solve(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.linalg.solve(a, b)

    def solve_many(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.linalg.solve(a, b)

    def det(self, a: np.ndarray) -> Any:
        return np.linalg.det(a)

    def cholesky(self, a: np.ndarray) -> np.ndarray:
        try:
            return np.linalg.cholesky(a)
        except np.linalg.LinAlgError as err:
            raise ClosenessError("covariance matrix is not positive definite") from err


class _ObjectArithmetic(Arithmetic):
    """Shared machinery for the two arbitrary-precision kinds (object arrays of numbers)."""

    def _map(self, fn: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
        out = np.frompyfunc(fn, 1, 1)(np.asarray(x, dtype=object))
        return np.asarray(out, dtype=object)

    def array(self, x: Any) -> np.ndarray:
        return self._map(self.scalar, np.asarray(x, dtype=object))

    def divide(self, x: np.ndarray, s: np.ndarray) -> np.ndarray:
        """``x`` times the reciprocals of the scales ``s``: one division a scale, then a product an
        entry, which costs half a division (a ball product of enclosures of ``x`` and ``1/s`` encloses
        ``x/s``)."""
        s = np.asarray(s, dtype=object)
        return x * (np.full(s.shape, self.scalar(1), dtype=object) / s)


class MP(_ObjectArithmetic):
    """mpmath at ``dps`` significant decimal digits, in a private context (no global state).

    Bulk formulas run in :attr:`bulk` (:class:`Midpoints`: flint ``arb`` at this context's working
    precision, ``ctx.prec`` bits, so that whatever precision the context really has, the bulk work
    has too); their results come back here as ``mpf`` midpoints through :meth:`scalar`."""

    kind = "mpmath"

    def __init__(self, dps: int) -> None:
        require_dps(dps)
        self.dps = int(dps)
        self.ctx = mpmath.MPContext()
        self.ctx.dps = self.dps

    def scalar(self, x: Any) -> Any:
        if isinstance(x, (np.floating, np.integer)):
            x = x.item()
        if isinstance(x, mpmath.mpf) or type(x).__name__ == "mpf":
            return self.ctx.mpf(x)
        if type(x).__name__ == "arb":  # the midpoint, exactly (then rounded to this context)
            return self.ctx.mpf(x._mpf_)
        return self.ctx.mpf(x)

    @property
    def bulk(self) -> Arithmetic:
        return Midpoints(self)

    def to_str(self, x: Any) -> str:
        return str(self.ctx.nstr(self.scalar(x), self.dps, strip_zeros=False))

    def exp(self, x: np.ndarray) -> np.ndarray:
        return self._map(self.ctx.exp, x)

    def log(self, x: np.ndarray) -> np.ndarray:
        return self._map(self.ctx.log, x)

    def log1p(self, x: np.ndarray) -> np.ndarray:
        return self._map(self.ctx.log1p, x)

    def sqrt(self, x: np.ndarray) -> np.ndarray:
        return self._map(lambda v: self.ctx.sqrt(v) if v > 0 else self.ctx.zero, x)

    def abs(self, x: np.ndarray) -> np.ndarray:
        return self._map(abs, x)

    def _matrix(self, a: np.ndarray) -> Any:
        return self.ctx.matrix([[self.scalar(v) for v in row] for row in np.atleast_2d(a)])

    def _from_matrix(self, m: Any) -> np.ndarray:
        return np.array(m.tolist(), dtype=object)

    def svdvals(self, a: np.ndarray) -> np.ndarray:
        s = self.ctx.svd_r(self._matrix(a), compute_uv=False)
        return np.array([s[i] for i in range(s.rows)], dtype=object)

    def solve(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = self.ctx.inverse(self._matrix(a)) * self._matrix(b.reshape(b.shape[0], -1))
        return self._from_matrix(out).reshape(b.shape)

    def det(self, a: np.ndarray) -> Any:
        return self.ctx.det(self._matrix(a))


class Ball(_ObjectArithmetic):
    """python-flint ``arb`` balls at ``dps`` digits: every number is a certified enclosure.

    ``is_zero`` means *the ball contains zero*; comparisons that overlap must be reported as
    undecided by the caller (see ``checks.certify``).
    """

    kind = "arb"

    def __init__(self, dps: int) -> None:
        import flint

        require_dps(dps)
        self.flint = flint
        self.dps = int(dps)
        saved = flint.ctx.prec
        flint.ctx.dps = self.dps
        self.prec = flint.ctx.prec  # working bits: those flint gives ``dps`` digits
        flint.ctx.prec = saved

    @contextmanager
    def active(self) -> Iterator[None]:
        ctx = self.flint.ctx
        saved = ctx.prec
        ctx.prec = self.prec
        try:
            yield
        finally:
            ctx.prec = saved

    def array(self, x: Any) -> np.ndarray:
        """Floats and integers are converted exactly in one pass (flint's ``arb`` of a Python number)."""
        a = np.asarray(x)
        if a.dtype.kind == "f":
            return self._map(self.flint.arb, a.astype(np.float64))
        if a.dtype.kind in "iub":
            return self._map(self.flint.arb, a.astype(object))
        if self._all_balls(a):
            return a.copy()
        return super().array(a)

    def _all_balls(self, a: np.ndarray) -> bool:
        return _only(self.flint.arb, a.ravel().tolist())

    def scalar(self, x: Any) -> Any:
        arb = self.flint.arb
        if isinstance(x, arb):
            return x
        if isinstance(x, (np.floating, np.integer)):
            x = x.item()
        if isinstance(x, (int, float, str)):
            return arb(x)
        if type(x).__name__ == "mpf":
            sign, man, exp, _ = x._mpf_  # exact binary data: the ball encloses the mpf itself
            if not man and exp:  # ±inf or nan (mpmath's special values have a zero mantissa)
                return arb(str(x))
            return arb((-int(man) if sign else int(man), int(exp)))
        if type(x).__name__ == "fmpq":
            return arb(x)
        return arb(x)

    def midpoint(self, x: Any) -> np.ndarray:
        return np.asarray(x).astype(np.float64)  # float() of an arb is its midpoint (numpy's C loop)

    def to_str(self, x: Any) -> str:
        return self.scalar(x).str(self.dps, radius=True)

    def is_zero(self, x: Any, scale: Any = 1.0) -> bool:
        return bool(self.scalar(x).contains(0))

    def require_finite(self, values: Any, what: str) -> None:
        if not np.all(self._apply(self.flint.arb.is_finite, np.ravel(values)).astype(bool)):
            raise ClosenessError(f"{what}: an enclosure is not finite at {self.dps} digits; raise the precision")

    def exp(self, x: np.ndarray) -> np.ndarray:
        return self._apply(self.flint.arb.exp, x)

    def log(self, x: np.ndarray) -> np.ndarray:
        return self._apply(self.flint.arb.log, x)

    def log1p(self, x: np.ndarray) -> np.ndarray:
        return self._apply(self.flint.arb.log1p, x)

    def _apply(self, method: Callable[[Any], Any], x: Any) -> np.ndarray:
        """flint's ``arb.method`` on every entry (in numpy's C loop; entries that are not balls yet,
        which the unbound method refuses, are converted first)."""
        a = np.asarray(x, dtype=object)
        try:
            return self._map(method, a)
        except TypeError:
            return self._map(method, self.array(a))

    def sqrt(self, x: np.ndarray) -> np.ndarray:
        return self._map(lambda v: v.nonnegative_part().sqrt(), x)

    def abs(self, x: np.ndarray) -> np.ndarray:
        return self._map(abs, x)

    def max(self, x: np.ndarray) -> Any:
        return functools.reduce(lambda u, v: u.max(v), np.asarray(x, dtype=object).ravel())

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a @ b``; a product over a long inner dimension into a small result is flint's ``arb_mat``
        product, in C (moments over inputs go through :meth:`cross`)."""
        a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
        if a.ndim == 2 and b.ndim == 2 and a.shape[1] >= 64 and a.shape[0] * b.shape[1] <= 4096:
            return np.array((self._matrix(a) * self._matrix(b)).tolist(), dtype=object)
        return a @ b

    def cross(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``aᵀb`` as flint's ``arb_mat`` product, in C, each operand converted once (``b is a``: once in all)."""
        ma = self._matrix(a)
        mb = ma if b is a else self._matrix(b)
        return np.array((ma.transpose() * mb).tolist(), dtype=object)

    def _matrix(self, a: np.ndarray) -> Any:
        """``a`` as a flint ``arb_mat`` (balls are copied in as they are, other numbers converted first)."""
        a = np.atleast_2d(np.asarray(a))
        entries = a.ravel().tolist()
        if a.dtype != object or not _only(self.flint.arb, entries):
            entries = self.array(a).ravel().tolist()
        return self.flint.arb_mat(a.shape[0], a.shape[1], entries)

    def svdvals(self, a: np.ndarray) -> np.ndarray:
        """Enclosures of the singular values: square roots of the eigenvalues of ``aᵀa``.

        ``aᵀa`` is symmetric positive semi-definite, so its true eigenvalues are real and
        non-negative; the real parts of the complex enclosures, cut at zero, enclose them.
        """
        m = self._matrix(a)
        gram = m.transpose() * m
        ctx = self.flint.ctx
        base = ctx.prec
        try:
            for boost in (1, 2, 4):  # clustered eigenvalues may need more working bits to isolate
                ctx.prec = base * boost
                eig = self.flint.acb_mat(gram).eig(multiple=True, nonstop=True)
                if all(e.real.is_finite() for e in eig):
                    return np.array([e.real.nonnegative_part().sqrt() for e in eig], dtype=object)
        finally:
            ctx.prec = base
        # Not isolated: every singular value lies in [0, ‖a‖_F] -- wide but true, never NaN.
        frob = sum((v**2 for v in np.asarray(self.array(a)).ravel()), self.scalar(0)).sqrt()
        return np.array([self.scalar(0).union(frob)] * gram.nrows(), dtype=object)

    def nuclear_norm(self, a: np.ndarray) -> Any:
        """For 1×1 and 2×2 matrices in closed form, which stays sharp when the singular values
        cluster (``C ≈ I``): ``(σ_1 + σ_2)² = ‖a‖_F² + 2|det a|``.  Larger: eigenvalue enclosures."""
        if a.shape == (1, 1):
            return abs(self.scalar(a[0, 0]))
        if a.shape == (2, 2):
            frob = sum((self.scalar(v) ** 2 for v in np.asarray(a).ravel()), self.scalar(0))
            det = self.scalar(a[0, 0]) * self.scalar(a[1, 1]) - self.scalar(a[0, 1]) * self.scalar(a[1, 0])
            return (frob + 2 * abs(det)).nonnegative_part().sqrt()
        return super().nuclear_norm(a)

    def solve(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        bb = b.reshape(b.shape[0], -1)
        out = self._matrix(a).solve(self._matrix(bb))
        return np.array(out.tolist(), dtype=object).reshape(b.shape)

    def det(self, a: np.ndarray) -> Any:
        return self._matrix(a).det()


class Midpoints(Ball):
    """The bulk arithmetic of :class:`MP`: flint ``arb`` numbers at the mpmath context's working
    precision (``owner.ctx.prec`` bits), used as floating-point numbers.

    The balls' radii are carried but certify nothing here: every decision is made on midpoints with
    mpmath's rules (:meth:`is_zero` relative to a scale, a maximum is the entry with the largest
    midpoint, a square root of a negative rounding residue is 0); the small dense linear algebra
    is flint's on the midpoints, except singular values beyond 2×2, which come from mpmath's SVD
    (flint has none); the reported values are the midpoints.  So a
    result is an mpmath-precision number, as accurate as the same formula in mpmath and no more
    trusted: a numeric check re-computes it at a higher precision.  For certified enclosures use
    :class:`Ball`.
    """

    kind = "arb-midpoint"

    def __init__(self, owner: MP) -> None:
        import flint

        self.flint = flint
        self.owner = owner
        self.dps = owner.dps
        self.prec = int(owner.ctx.prec)

    def is_zero(self, x: Any, scale: Any = 1.0) -> bool:
        return Arithmetic.is_zero(self, x, scale)

    def require_finite(self, values: Any, what: str) -> None:
        if not np.all(self._apply(self.flint.arb.is_finite, np.ravel(values)).astype(bool)):
            raise ClosenessError(
                f"{what} is not finite at {self.dps} digits (overflow or loss of accuracy); "
                "rerun at a higher precision (--dps) or with rescaled models"
            )

    def sqrt(self, x: np.ndarray) -> np.ndarray:
        zero = self.flint.arb(0)
        return self._map(lambda v: v.mid().sqrt() if v.mid() > 0 else zero, self._apply(self.flint.arb.mid, x))

    def max(self, x: np.ndarray) -> Any:
        flat = np.asarray(x, dtype=object).ravel()
        return self.scalar(flat[int(np.argmax(self.midpoint(flat)))])

    def _mids(self, a: np.ndarray) -> Any:
        """``a``'s midpoints as an exact flint matrix."""
        return self._matrix(a).mid()

    def svdvals(self, a: np.ndarray) -> np.ndarray:
        """1×1: ``|a|``; 2×2 in closed form: with ``p = (a₀₀ + a₁₁)/2``, ``q = (a₀₀ − a₁₁)/2``,
        ``r = (a₁₀ − a₀₁)/2``, ``s = (a₀₁ + a₁₀)/2``, ``σ = √(p² + r²) ± √(q² + s²)`` (sums of squares, so
        the error is that of a backward-stable SVD, ``~ε‖a‖``); larger: mpmath's SVD of the midpoints."""
        a = np.asarray(a, dtype=object)
        if a.shape == (1, 1):
            return self.abs(self.array(a)).ravel()
        if a.shape == (2, 2):
            x = self.array(a)
            half = self.flint.arb(0.5)
            p, q = (x[0, 0] + x[1, 1]) * half, (x[0, 0] - x[1, 1]) * half
            r, s = (x[1, 0] - x[0, 1]) * half, (x[0, 1] + x[1, 0]) * half
            u, v = self.sqrt(np.array([p * p + r * r, q * q + s * s], dtype=object))
            return np.array([u + v, self.abs(np.array([u - v], dtype=object))[0]], dtype=object)
        return self.array(self.owner.svdvals(self.owner.array(a)))

    def solve(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """flint's solver on the midpoints (a matrix singular within their rounding is refused)."""
        bb = np.asarray(b, dtype=object).reshape(b.shape[0], -1)
        out = self._mids(a).solve(self._mids(bb)).mid()
        return np.array(out.tolist(), dtype=object).reshape(b.shape)

    def det(self, a: np.ndarray) -> Any:
        return self._mids(a).det().mid()


#: Highest precision accepted (beyond it the object-array arithmetic takes hours).
MAX_DPS = 5000

# Decimal strings of up to MAX_DPS digits are parsed (mpmath goes through int(str)); Python refuses
# integer strings over 4300 digits unless told otherwise.
if hasattr(sys, "set_int_max_str_digits") and 0 < sys.get_int_max_str_digits() < 2 * MAX_DPS:
    sys.set_int_max_str_digits(2 * MAX_DPS)


def require_dps(dps: Any) -> None:
    """Refuse a working precision outside ``15 … MAX_DPS`` digits (a usage error, before any work)."""
    if not isinstance(dps, (int, np.integer)) or isinstance(dps, bool):
        raise ClosenessError(f"precision must be a whole number of digits, got {dps!r}")
    if not 15 <= dps <= MAX_DPS:
        raise ClosenessError(f"precision must be between 15 and {MAX_DPS} digits, got {dps}")


def _is_object(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == object


def _only(kind: type, items: list[Any]) -> bool:
    """Whether every item is exactly of type ``kind`` (one pass in C)."""
    return set(map(type, items)) <= {kind}


FLOAT64 = Float()


def arithmetic(dps: int | None = None, *, ball: bool = False) -> Arithmetic:
    """float64 when ``dps`` is None, else mpmath (or arb balls) at ``dps`` digits."""
    if dps is None:
        if ball:
            raise ClosenessError("ball arithmetic needs an explicit precision (dps)")
        return FLOAT64
    return Ball(dps) if ball else MP(dps)
