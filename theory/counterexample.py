"""Section 3: two models with ``d_KL → 0`` whose representations stay far from linearly related.

The family (Theorem 3.1, Table 1).  ``M = 2``; ``K`` labels at angles
``θ_k = 2π t_k`` (``t_k`` exact rationals; evenly spaced ``t_k = k/K`` in the paper) with
``g(y_k) = ρ u(θ_k)``, ``u(θ) = (cos θ, sin θ)``.  Class ``k`` has ``m`` inputs; input ``(k, j)``
has jitter ``φ_{k,j}`` and radius ``r_{k,j}``:

* model 1: ``f(x_{k,j}) = r_{k,j} u(θ_k + φ_{k,j})``;
* model 2 permutes the classes by ``σ``: ``g'(y_k) = ρ u(θ_{σ(k)})`` and
  ``f'(x_{k,j}) = r_{k,j} u(θ_{σ(k)} + φ_{σ(k),j})`` (the jitter class ``σ(k)`` had in model 1,
  its own radius) -- exactly how the paper's code builds the pair.

Jitters and radii are floats and are taken as exact binary numbers, angles ``2π t_k`` exactly, so a
construction has one mathematical meaning that :meth:`KLConstruction.models` evaluates at float64,
mpmath or arb precision.  Inputs are ordered class by class (``i = k·m + j``), as in the paper.

Two instances: :func:`paper_random` (seeded, drawn in the order of the paper's code) and
:func:`grid` (deterministic, the same jitter and radius pattern in every class).  Closed-form
bounds on ``d_KL`` and on the expected negative log-likelihood, and ``ρ(ε)``, are derived in
:mod:`theory.derivations.kl`; they are evaluated here at any precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from theory.errors import ClosenessError
from theory.model import Model
from theory.precision import FLOAT64, MP, Arithmetic, Ball, Float

__all__ = [
    "PAPER_PERMUTATION",
    "KLConstruction",
    "paper_random",
    "grid",
    "affine_permutation",
    "exact",
    "cos_sin",
    "true_class_nll",
    "margin",
    "kl_bound",
    "nll_bound",
    "rho_for_eps",
    "rho_star",
]

#: The paper's permutation of the 7 classes, ``σ(k) = 2k + 5 mod 7``.
PAPER_PERMUTATION = (5, 0, 2, 4, 6, 1, 3)


def affine_permutation(a: int, b: int, K: int) -> tuple[int, ...]:
    """``σ(k) = a k + b mod K`` (a permutation iff ``gcd(a, K) = 1``)."""
    perm = tuple((a * k + b) % K for k in range(K))
    if len(set(perm)) != K:
        raise ClosenessError(f"σ(k) = {a}k + {b} mod {K} is not a permutation (gcd({a}, {K}) ≠ 1)")
    return perm


def exact(P: Arithmetic, x: Any) -> Any:
    """``x`` (int, float, decimal string or :class:`~fractions.Fraction`) as a number of ``P``.

    Floats are exact binary numbers; a Fraction is exact in arb up to the ball's rounding.
    """
    if isinstance(x, Fraction):
        if isinstance(P, Ball):
            with P.active():
                return P.flint.arb(P.flint.fmpq(x.numerator, x.denominator))
        if isinstance(P, MP):
            return P.ctx.mpf(x.numerator) / x.denominator
        return P.scalar(float(x))
    if isinstance(P, Ball):
        with P.active():
            return P.scalar(x)
    return P.scalar(x)


def cos_sin(P: Arithmetic, turns: Any, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cos`` and ``sin`` of ``2π·turns + offset`` (offset in radians, floats) in arithmetic ``P``.

    ``turns`` is a Fraction or an array of them broadcast against ``offset``.
    """
    off = np.asarray(offset, dtype=float)
    t = np.broadcast_to(np.asarray(turns, dtype=object), off.shape)
    if isinstance(P, Float):
        a = 2 * np.pi * np.vectorize(float, otypes=[float])(t) + off
        return np.cos(a), np.sin(a)
    if isinstance(P, MP):
        ctx = P.ctx
        ang = np.frompyfunc(lambda q, o: 2 * ctx.pi * ctx.mpf(q.numerator) / q.denominator + ctx.mpf(o), 2, 1)(t, off)
        return np.frompyfunc(ctx.cos, 1, 1)(ang).astype(object), np.frompyfunc(ctx.sin, 1, 1)(ang).astype(object)
    if isinstance(P, Ball):
        fl = P.flint
        with P.active():
            two_pi = 2 * fl.arb.pi()
            angle = np.frompyfunc(lambda q, o: two_pi * fl.fmpq(q.numerator, q.denominator) + fl.arb(float(o)), 2, 1)
            ang = angle(t, off)
            c = np.frompyfunc(lambda v: v.cos(), 1, 1)(ang).astype(object)
            s = np.frompyfunc(lambda v: v.sin(), 1, 1)(ang).astype(object)
        return c, s
    raise ClosenessError(f"no trigonometric functions for arithmetic {P.kind}")


@dataclass(frozen=True)
class KLConstruction:
    """The Section 3 family: label angles ``2π·turns``, per-class jitters and radii, permutation ``σ``."""

    turns: tuple[Fraction, ...]
    jitter: np.ndarray  # (K, m) radians
    radii: np.ndarray  # (K, m)
    perm: tuple[int, ...]
    name: str = "custom"

    def __post_init__(self) -> None:
        K = len(self.turns)
        jit = np.asarray(self.jitter, dtype=float)
        rad = np.asarray(self.radii, dtype=float)
        if K < 3:
            raise ClosenessError(f"the construction needs K ≥ 3 labels (M = 2), got K = {K}")
        if jit.ndim != 2 or jit.shape[0] != K or rad.shape != jit.shape or jit.shape[1] < 1:
            raise ClosenessError(
                f"jitter and radii must both be K×m with K = {K}, m ≥ 1: got {jit.shape} and {rad.shape}"
            )
        if not (np.all(np.isfinite(jit)) and np.all(np.isfinite(rad))) or np.any(rad <= 0):
            raise ClosenessError("jitters must be finite and radii finite and positive")
        if sorted(self.perm) != list(range(K)):
            raise ClosenessError(f"σ must be a permutation of 0..{K - 1}, got {list(self.perm)}")
        t = [Fraction(x) % 1 for x in self.turns]
        if len(set(t)) != K:
            raise ClosenessError("the label angles must be distinct modulo 2π")
        object.__setattr__(self, "turns", tuple(t))
        object.__setattr__(self, "jitter", jit)
        object.__setattr__(self, "radii", rad)
        object.__setattr__(self, "perm", tuple(int(s) for s in self.perm))

    # -- shape ------------------------------------------------------------------------------
    @property
    def K(self) -> int:
        return len(self.turns)

    @property
    def per_class(self) -> int:
        return int(self.jitter.shape[1])

    @property
    def n(self) -> int:
        return self.K * self.per_class

    @property
    def classes(self) -> np.ndarray:
        """The true class of every input (class-major order)."""
        return np.repeat(np.arange(self.K), self.per_class)

    @property
    def phi_max(self) -> float:
        return float(np.max(np.abs(self.jitter)))

    @property
    def r_min(self) -> float:
        return float(np.min(self.radii))

    @property
    def r_max(self) -> float:
        return float(np.max(self.radii))

    def with_perm(self, perm: tuple[int, ...]) -> KLConstruction:
        """The same geometry with another permutation (e.g. the identity: equivalent models)."""
        return KLConstruction(self.turns, self.jitter, self.radii, perm, self.name)

    def gaps(self) -> np.ndarray:
        """``α_{k,l}``: angular distance (radians, in ``[0, π]``) between labels k and l, as floats
        for inspection; exact values are formed from ``turns`` where precision matters."""
        t = np.array([float(x) for x in self.turns])
        d = np.abs(t[:, None] - t[None, :]) % 1.0
        return 2 * np.pi * np.minimum(d, 1 - d)

    def _gap_turns(self) -> list[list[Fraction]]:
        """``α_{k,l}/(2π)`` exactly: the distance of ``t_k − t_l`` to the nearest integer."""
        out = []
        for tk in self.turns:
            row = []
            for tl in self.turns:
                d = (tk - tl) % 1
                row.append(min(d, 1 - d))
            out.append(row)
        return out

    def separated(self) -> bool:
        """Every input is strictly nearer (in angle) to its own label: ``φ_max < min α / 2``."""
        g = self.gaps()
        return self.phi_max < float(np.min(g[~np.eye(self.K, dtype=bool)])) / 2

    # -- the two models ---------------------------------------------------------------------
    def arrays(self, rho: Any, P: Arithmetic = FLOAT64) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(F, G, F', G')`` at precision ``P`` for unembedding length ``ρ``."""
        if float(rho) <= 0:
            raise ClosenessError(f"ρ must be positive, got {rho}")
        K, m = self.K, self.per_class
        turns = np.array(self.turns, dtype=object)
        perm = np.array(self.perm)
        with P.active():
            rr = self._radii(P)
            c1, s1 = cos_sin(P, turns[:, None], self.jitter)
            c2, s2 = cos_sin(P, turns[perm][:, None], self.jitter[perm])
            f = np.stack([(rr * c1).ravel(), (rr * s1).ravel()], axis=1)
            f2 = np.stack([(rr * c2).ravel(), (rr * s2).ravel()], axis=1)
            rp = exact(P, rho)
            gc, gs = cos_sin(P, turns, np.zeros(K))
            g = np.stack([rp * gc, rp * gs], axis=1)
            g2 = g[perm]
        if f.shape != (K * m, 2):
            raise ClosenessError(f"internal shape error: F is {f.shape}, expected {(K * m, 2)}")
        return f, g, f2, g2

    def _radii(self, P: Arithmetic) -> np.ndarray:
        if isinstance(P, Float):
            return self.radii.copy()
        with P.active():
            return P.array(self.radii)

    def models(self, rho: Any, P: Arithmetic = FLOAT64) -> tuple[Model, Model]:
        """The pair ``(f, g)``, ``(f', g')`` at precision ``P``."""
        f, g, f2, g2 = self.arrays(rho, P)
        return Model(f, g), Model(f2, g2)


# --------------------------------------------------------------------------------------------
# the two instances
# --------------------------------------------------------------------------------------------
def _even_turns(K: int) -> tuple[Fraction, ...]:
    return tuple(Fraction(k, K) for k in range(K))


def paper_random(
    seed: int = 0, per_class: int = 500, K: int = 7, perm: tuple[int, ...] | None = None,
    r_min: float = 2.0,
) -> KLConstruction:
    """The paper's random version: ``φ ~ U(−π/64, π/64)``, ``r = r_min + |0.01·N(0,1)|``.

    Drawn with ``numpy.random.default_rng(seed)`` in the paper's order: all K×m jitters
    (uniform), then all K×m radii (standard normal).
    """
    if per_class < 1:
        raise ClosenessError(f"per_class must be at least 1, got {per_class}")
    perm = PAPER_PERMUTATION if perm is None and K == 7 else perm
    if perm is None:
        raise ClosenessError("give a permutation σ for K ≠ 7")
    rng = np.random.default_rng(seed)
    jitter = rng.uniform(-np.pi / 64, np.pi / 64, (K, per_class))
    radii = np.abs(0.01 * rng.standard_normal((K, per_class))) + r_min
    return KLConstruction(_even_turns(K), jitter, radii, tuple(perm), f"random(seed={seed}, m={per_class})")


def grid(
    per_class: int = 5, K: int = 7, perm: tuple[int, ...] | None = None,
    r_min: float = 2.0, r_spread: float = 0.02,
) -> KLConstruction:
    """Deterministic version with the paper's geometry: in every class the same ``m`` jitters
    ``φ_j = (π/64)(2j/(m−1) − 1)`` and radii ``r_j = r_min + r_spread·j/(m−1)``."""
    if per_class < 1:
        raise ClosenessError(f"per_class must be at least 1, got {per_class}")
    perm = PAPER_PERMUTATION if perm is None and K == 7 else perm
    if perm is None:
        raise ClosenessError("give a permutation σ for K ≠ 7")
    m = per_class
    t = np.linspace(-1.0, 1.0, m) if m > 1 else np.zeros(1)
    s = np.linspace(0.0, 1.0, m) if m > 1 else np.zeros(1)
    jitter = np.tile(np.pi / 64 * t, (K, 1))
    radii = np.tile(r_min + r_spread * s, (K, 1))
    return KLConstruction(_even_turns(K), jitter, radii, tuple(perm), f"grid(m={per_class})")


# --------------------------------------------------------------------------------------------
# likelihood and the closed-form bounds (derived in theory.derivations.kl)
# --------------------------------------------------------------------------------------------
def true_class_nll(ell: np.ndarray, classes: np.ndarray, P: Arithmetic = FLOAT64) -> Any:
    """Expected negative log-likelihood of the true class, ``E_x[−ℓ(y(x)|x)]`` (Corollary 3.2)."""
    with P.active():
        picked = ell[np.arange(ell.shape[0]), classes]
        return -picked.sum() / P.scalar(ell.shape[0])


def _tail_sums(c: KLConstruction, rho: Any, P: Arithmetic, sharp: bool) -> np.ndarray:
    """Per class k an upper bound ``T_k ≥ Σ_{l≠k} e^{−ρ a_l}`` on every input of class k.

    Each margin ``a_l = r(cos φ − cos(θ_l − θ_k − φ)) ≥ δ_{kl} = r_min(cos φ_max − cos(α_{kl} − φ_max))``;
    ``sharp=False`` replaces every ``δ_{kl}`` by ``Δ = min δ_{kl}``: ``T_k = (K−1)e^{−ρΔ}``.
    """
    with P.active():
        rp = exact(P, rho)
        rmin = exact(P, c.r_min)
        cphi = cos_sin(P, Fraction(0), np.array([c.phi_max]))[0][0]
        gaps = c._gap_turns()
        deltas = [[None] * c.K for _ in range(c.K)]
        for k in range(c.K):
            for l in range(c.K):
                if l != k:
                    ang = cos_sin(P, gaps[k][l], np.array([-c.phi_max]))[0][0]
                    deltas[k][l] = rmin * (cphi - ang)
        flat = [d for row in deltas for d in row if d is not None]
        if float(min(P.midpoint(np.array(flat, dtype=object)))) <= 0:
            raise ClosenessError(
                "the clusters are not separated (φ_max ≥ half the smallest label gap): no margin Δ > 0"
            )
        if not sharp:
            big_delta = _min(P, flat)
            tail = (c.K - 1) * _exp(P, -rp * big_delta)
            return np.array([tail] * c.K, dtype=object)
        return np.array(
            [sum((_exp(P, -rp * deltas[k][l]) for l in range(c.K) if l != k), P.scalar(0)) for k in range(c.K)],
            dtype=object,
        )


def _exp(P: Arithmetic, x: Any) -> Any:
    return P.exp(np.array([x], dtype=float if isinstance(P, Float) else object))[0]


def _log(P: Arithmetic, x: Any) -> Any:
    return P.log(np.array([x], dtype=float if isinstance(P, Float) else object))[0]


def _min(P: Arithmetic, values: list[Any]) -> Any:
    if isinstance(P, Ball):
        out = values[0]
        for v in values[1:]:
            out = out.min(v)
        return out
    return min(values)


def margin(c: KLConstruction, P: Arithmetic = FLOAT64) -> Any:
    """``Δ = r_min (cos φ_max − cos(α_min − φ_max))``: every logit gap to the true class is ``≥ ρΔ``."""
    with P.active():
        rmin = exact(P, c.r_min)
        cphi = cos_sin(P, Fraction(0), np.array([c.phi_max]))[0][0]
        gaps = c._gap_turns()
        amin = min(gaps[k][l] for k in range(c.K) for l in range(c.K) if l != k)
        return rmin * (cphi - cos_sin(P, amin, np.array([-c.phi_max]))[0][0])


def kl_bound(c: KLConstruction, rho: Any, P: Arithmetic = FLOAT64, sharp: bool = False) -> Any:
    """Upper bound on ``d_KL(p, p')`` (either direction) of the pair at length ``ρ``.

    Per input of class k: ``KL ≤ S' + 2ρ r_max S`` with ``S ≤ T_k``, ``S' ≤ T_{σ(k)}``, so
    ``d_KL ≤ (1/K) Σ_k (T_{σ(k)} + 2ρ r_max T_k)``; with ``sharp=False`` this is
    ``(K−1) e^{−ρΔ} (1 + 2ρ r_max)``.
    """
    tails = _tail_sums(c, rho, P, sharp)
    with P.active():
        rp, rmax = exact(P, rho), exact(P, c.r_max)
        total = sum((tails[c.perm[k]] + 2 * rp * rmax * tails[k] for k in range(c.K)), P.scalar(0))
        return total / P.scalar(c.K)


def nll_bound(c: KLConstruction, rho: Any, P: Arithmetic = FLOAT64, sharp: bool = False) -> Any:
    """Upper bound on the expected true-class NLL of either model: ``E log(1+S) ≤ (1/K) Σ_k T_k``."""
    tails = _tail_sums(c, rho, P, sharp)
    with P.active():
        return tails.sum() / P.scalar(c.K)


def rho_for_eps(eps: Any, K: int, delta: Any, r_max: Any, P: Arithmetic) -> Any:
    """A closed-form ``ρ(ε)`` with ``(K−1)e^{−ρΔ}(1+2ρ r_max) ≤ ε`` for every ``ρ ≥ ρ(ε)``:

    ``ρ(ε) = (2/Δ) log((K−1)(1 + 4 r_max/(eΔ))/ε)`` (from ``1 + cu ≤ (1 + c/e)e^u``, ``u = ρΔ/2``),
    or 0 when that is negative.
    """
    with P.active():
        d, r, ee = (exact(P, v) if not _is_num(P, v) else v for v in (delta, r_max, eps))
        arg = (K - 1) * (1 + 4 * r / (_exp(P, P.scalar(1)) * d)) / ee
        val = 2 / d * _log(P, arg)
        return val if float(val) > 0 else P.scalar(0)


def rho_star(eps: Any, K: int, delta: Any, r_max: Any, P: Arithmetic) -> Any:
    """The largest root of ``(K−1)e^{−ρΔ}(1+2ρ r_max) = ε`` (Lambert ``W_{−1}``); beyond it the
    bound is below ``ε``.  With ``b = Δ/(2r_max)``: ``ρ* = (t − 1)/(2 r_max)``,
    ``t = −W_{−1}(−b ε e^{−b}/(K−1))/b``.  Needs the argument ``≥ −1/e``; raises otherwise."""
    with P.active():
        d, r, ee = (exact(P, v) if not _is_num(P, v) else v for v in (delta, r_max, eps))
        b = d / (2 * r)
        if isinstance(P, Ball):
            z = -b * ee * (-b).exp() / (K - 1)
            if not (z + (-P.scalar(1)).exp()).lower() > 0:
                raise ClosenessError("ε is too large for the W_{-1} branch: the bound never exceeds it")
            t = -z.lambertw(-1) / b
        else:
            mp = P.ctx if isinstance(P, MP) else mpmath.mp
            z = -mp.mpf(b) * mp.mpf(ee) * mp.exp(-mp.mpf(b)) / (K - 1)
            if z < -1 / mp.e:
                raise ClosenessError("ε is too large for the W_{-1} branch: the bound never exceeds it")
            t = -mp.lambertw(z, -1).real / mp.mpf(b)
            t = P.scalar(t)
        return (t - 1) / (2 * r)


def _is_num(P: Arithmetic, v: Any) -> bool:
    """Already a number of ``P`` (not a Python float/int/str/Fraction to convert)."""
    return not isinstance(v, (int, float, str, Fraction, np.floating, np.integer))
