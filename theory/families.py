"""Model pairs for Section 4: the bound figure's family, random diverse pairs, ``~_L``-equivalent
pairs, and exact constructions at which the sharper bound ``d_{f,g} ≤ 2ε²`` is attained.

Every constructor returns :class:`Pair` (two models and the fixed sets to compare them with);
every random one takes a seed or a ``numpy.random.Generator`` so that it is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from theory.distances import FGResult, LLVTerms, Sets, d_fg, d_kl, d_llv, llv_terms
from theory.errors import ClosenessError
from theory.identifiability import equivalent_model_arrays, greedy_affine_basis
from theory.model import Model, input_weights, log_probs
from theory.precision import FLOAT64, Arithmetic
from theory.selection import default_sets, paper_sets

__all__ = [
    "Pair",
    "FIGURE_LABEL_COUNTS",
    "bound_figure_family",
    "random_diverse_pair",
    "equivalent_pair",
    "sign_flip_pair",
    "TIGHT_QUADRATIC",
    "TIGHT_LINEAR",
    "near_tight_pair",
    "singular_label_pair",
    "temperature_pair",
    "cyclic_model",
    "BoundSides",
    "evaluate_bound",
    "common_sets",
    "llv_between",
    "kl_between",
    "terms_between",
    "LAMBDA",
    "tie_perturbation_pair",
    "flip_embedding",
    "flip_root",
    "flip_root_enclosure",
    "permutation_flip_pair",
]

#: The paper's weight of the scale terms ``T3``, ``T4`` (read as the exact decimal).
LAMBDA = "1e-5"

#: The label counts K of the paper's bound figure.
FIGURE_LABEL_COUNTS = (4, 5, 6, 10, 18)


@dataclass(frozen=True)
class Pair:
    """Two models on the same inputs and labels, the fixed sets to use, and a short description."""

    a: Model
    b: Model
    sets: Sets
    note: str = ""

    @property
    def M(self) -> int:
        return self.a.M

    def _replace_b(self, b: Model) -> Pair:
        return Pair(self.a, b, self.sets, self.note)


def _pair(a: Model, b: Model, note: str, sets: Sets | None = None) -> Pair:
    return Pair(a, b, sets if sets is not None else default_sets(a, b), note)


def bound_figure_family(
    K: int,
    steps: int = 8,
    n: int = 100,
    seed: int = 0,
    unembedding_norm: float = 20.0,
    embedding_norm: float = 5.0,
    max_noise: float = 4.0,
) -> list[tuple[float, Pair]]:
    """The family of the paper's bound figure, ``M = 2``.

    Unembeddings ``g(y_k)`` of norm ``unembedding_norm`` at angles ``2πk/K``; embeddings of norm
    about ``embedding_norm`` (``embedding_norm·(1 + 0.1·N(0,1))`` at uniform angles).  Model 2
    shares ``g`` and adds Gaussian noise of standard deviation ``t`` to every embedding, for
    ``t`` in ``steps + 1`` equal steps from 0 to ``max_noise`` (``t = 0`` is model 1 itself).
    """
    if K < 3:
        raise ClosenessError(f"the bound figure family needs K ≥ 3, got {K}")
    if steps < 1 or n < 3:
        raise ClosenessError(f"need steps ≥ 1 and n ≥ 3, got steps={steps}, n={n}")
    rng = np.random.default_rng(seed)
    theta = 2 * np.pi * np.arange(K) / K
    g = unembedding_norm * np.column_stack([np.cos(theta), np.sin(theta)])
    phi = rng.uniform(0, 2 * np.pi, n)
    radius = embedding_norm * (1 + 0.1 * rng.standard_normal(n))
    f = radius[:, None] * np.column_stack([np.cos(phi), np.sin(phi)])
    noise = rng.standard_normal((n, 2))
    a = Model(f, g)
    out = []
    for t in np.linspace(0.0, max_noise, steps + 1):
        b = Model(f + t * noise, g)
        out.append((float(t), _pair(a, b, f"bound figure K={K}, noise {t:g}")))
    return out


def random_diverse_pair(
    rng: np.random.Generator,
    n: int = 12,
    K: int = 4,
    M: int = 2,
    closeness: float = 0.3,
) -> Pair:
    """Model 1 with standard normal ``f``, ``g``; model 2 = model 1 plus noise of size ``closeness``
    in both ``f`` and ``g`` (``closeness = 1`` or more: nearly independent models)."""
    f = rng.standard_normal((n, M))
    g = rng.standard_normal((K, M))
    f2 = f + closeness * rng.standard_normal((n, M))
    g2 = g + closeness * rng.standard_normal((K, M))
    return _pair(Model(f, g), Model(f2, g2), f"random diverse pair n={n} K={K} M={M} δ={closeness:g}")


def equivalent_pair(
    rng: np.random.Generator, n: int = 12, K: int = 4, M: int = 2, P: Arithmetic = FLOAT64,
) -> Pair:
    """``(f, g) ~_L (f', g')``: ``f' = A⁻¹ f`` and ``g' = Aᵀ g + b`` with a random well-conditioned
    ``A`` and shift ``b`` (Section 2, relation ``~_L``), the second model computed at precision
    ``P`` (object arrays for mpmath/arb, so the pair is equivalent to that precision)."""
    f = rng.standard_normal((n, M))
    g = rng.standard_normal((K, M))
    q, _ = np.linalg.qr(rng.standard_normal((M, M)))
    a_mat = q @ np.diag(rng.uniform(0.5, 2.0, M))
    f2, g2 = equivalent_model_arrays(f, g, a_mat, rng.standard_normal(M), P)
    a = Model(f, g)
    b = Model(f2, g2)
    return _pair(a, Model(np.asarray(f2, float), np.asarray(g2, float)), "~_L-equivalent pair")._replace_b(b)


def sign_flip_pair(z: list[Any], signs: list[int], pivot_input: int, input_: int) -> Pair:
    """``M = 1``, ``K = 2``, ``g = (0, 1)``: model 1 has ``f(x_i) = z_i``, model 2 ``f'(x_i) = s_i z_i``.

    The log-odds are ``z`` and ``s·z``.  Because ``softplus(z) − softplus(−z) = z``, flipping a sign
    moves ``ℓ(y_1|x)`` and ``ℓ(y_0|x)`` by opposite amounts, so the two terms ``a_y``, ``b_y`` are
    exactly anti-aligned: when ``SD(z) = SD(s·z)`` they are equal and the chain of the 2ε² bound
    holds with equality as soon as ``Corr(z, s·z) ≥ 0``.  The pivot input and the input must have
    ``s = +1`` and different ``z`` (then ``T2 = T4 = 0``).
    """
    zz = np.array([[float(Fraction(v))] for v in z])
    ss = np.array(signs, dtype=float)
    if len(z) != len(signs) or not set(signs) <= {1, -1}:
        raise ClosenessError("sign_flip_pair needs one sign ±1 per value of z")
    g = np.array([[0.0], [1.0]])
    a, b = Model(zz, g), Model(ss[:, None] * zz, g)
    return Pair(a, b, Sets(0, (1,), pivot_input, (input_,)), f"sign-flip pair z={z}, s={signs}")


#: ``z = (−2, −1, 1, 2)``, ``s = (+, −, −, +)``: ``ε = 1/√5`` and ``d_{f,g} = 2/5 = 2ε²`` exactly.
TIGHT_QUADRATIC = (["-2", "-1", "1", "2"], [1, -1, -1, 1], 0, 3)
#: ``z = (−1, 1, −1, 1)``, ``s = (+, −, −, +)``: ``ε = 1/√2`` and ``d_{f,g} = 1 = √2·ε`` exactly.
TIGHT_LINEAR = (["-1", "1", "-1", "1"], [1, -1, -1, 1], 0, 3)


def near_tight_pair(delta: float, z: tuple[float, ...] = (-2.0, -1.0, 1.0, 2.0),
                    signs: tuple[int, ...] = (1, -1, -1, 1)) -> Pair:
    """The sign-flip pair with model 2's log-odds moved by ``delta`` at one flipped input: the exact
    anti-alignment is broken, so ``d_{f,g}`` is just below ``2ε²`` (a float verdict near the line)."""
    zz = np.array(z, dtype=float)
    z2 = np.array(signs, dtype=float) * zz
    z2[1] += delta
    g = np.array([[0.0], [1.0]])
    a, b = Model(zz[:, None], g), Model(z2[:, None], g)
    return Pair(a, b, Sets(0, (1,), 0, (len(z) - 1,)), f"near-tight sign-flip pair δ={delta:g}")


def singular_label_pair(rng: np.random.Generator, n: int = 12, closeness: float = 0.3) -> Pair:
    """``M = 2``, ``K = 3`` with ``g_0(y_1) ∥ g_0(y_2)`` in both models, so ``L`` and ``L'`` are
    singular while every ``σ_y`` is positive: the bound's hypotheses minus invertibility of ``L``."""
    f = rng.standard_normal((n, 2))
    f2 = f + closeness * rng.standard_normal((n, 2))
    g = np.array([[0.0, 0.0], [1.0, 0.5], [-2.0, -1.0]])
    g2 = np.array([[0.0, 0.0], [1.5, 0.25], [-0.75, -0.125]])  # dyadic: det L' = 0 exactly
    a, b = Model(f, g), Model(f2, g2)
    return Pair(a, b, default_sets(a, b), "singular L and L'")


def cyclic_model(scale: Any = 1) -> tuple[np.ndarray, np.ndarray]:
    """``M = 2``, ``K = 3``, ``n = 3``: ``g = (1,0), (0,1), (−1,−1)`` and ``f(x_j) = (Pᵀ)^j (2, 1)``
    with the label rotation ``P g_k = g_{k+1}``: the logit rows are the cyclic shifts of
    ``(2, 1, −3)·scale``, so all three conditionals are permutations of each other.
    Integer arrays (object dtype when ``scale`` is not an int)."""
    f = np.array([[2, 1], [1, -3], [-3, 2]], dtype=object) * scale
    g = np.array([[1, 0], [0, 1], [-1, -1]], dtype=object)
    return f, g


def temperature_pair(r: Any = 2, scale: Any = 1) -> Pair:
    """The cyclic model and its temperature-scaled copy ``f' = r·f`` (``p' ∝ p^r``).

    On these inputs ``Σ_y p(y|x)^r`` does not depend on ``x``, so ``T1 = T2 = 0`` exactly while
    ``p ≠ p'`` for ``r ≠ 1``: only ``T3``, ``T4`` (the λ terms) see the difference.
    """
    f, g = cyclic_model(scale)
    a = Model(np.asarray(f, float), np.asarray(g, float))
    b = Model(np.asarray(f * r, float), np.asarray(g, float))
    return Pair(a, b, Sets(0, (1, 2), 0, (1, 2)), f"temperature pair r={r}")


# --------------------------------------------------------------------------------------------
# evaluating the two sides of the bound, and d_LLV between models
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoundSides:
    """``ε = d^λ_LLV`` and ``d_{f,g}`` of a pair at one precision, with their parts."""

    eps: Any
    terms: LLVTerms
    fg: FGResult
    M: int

    @property
    def d_fg(self) -> Any:
        return self.fg.value


def evaluate_bound(pair: Pair, P: Arithmetic = FLOAT64, lam: str = LAMBDA, mode: str = "max") -> BoundSides:
    """Both sides of the Section 4 bound for ``pair`` with its fixed sets, at precision ``P``.

    Invertibility of ``L``, ``N`` is deliberately not required here (the bound does not use it);
    the terms themselves refuse a zero ``σ_y`` or ``s_x``.
    """
    pair.sets.validate(pair.a.n, pair.a.K, pair.a.M)
    ell, ell2 = log_probs(pair.a, P), log_probs(pair.b, P)
    w = input_weights(pair.a, P)
    terms = llv_terms(ell, ell2, pair.sets, P, w)
    fg = d_fg(pair.a.f, pair.a.g, pair.b.f, pair.b.g, pair.sets, P, w)
    return BoundSides(d_llv(terms, lam, mode), terms, fg, pair.a.M)


def common_sets(*models: Model) -> Sets:
    """Fixed sets shared by several models: pivot label 0 with all other labels, pivot input 0 with
    the first M inputs keeping every ``N`` invertible (a metric needs one set for all points)."""
    inputs = greedy_affine_basis([m.f for m in models], models[0].M, 0)
    if inputs is None:
        raise ClosenessError("no common input set keeps N invertible for every model")
    return Sets(0, tuple(range(1, models[0].K)), 0, inputs)


def llv_between(
    a: Model, b: Model, sets: Sets | None = None, P: Arithmetic = FLOAT64, lam: str = LAMBDA,
    selection: str = "fixed", samples: int = 20, seed: int = 0,
) -> Any:
    """``d^λ_LLV(p_a, p_b)`` with the given fixed ``sets``, or (``selection="paper"``) with the sets
    the paper's per-pair procedure picks for this pair (chosen at float64)."""
    ell, ell2 = log_probs(a, P), log_probs(b, P)
    if selection == "paper":
        mid = FLOAT64
        sets = paper_sets(a, b, mid.array(ell), mid.array(ell2), samples, seed, input_weights(a))
    elif sets is None:
        raise ClosenessError("fixed selection needs explicit sets")
    return d_llv(llv_terms(ell, ell2, sets, P, input_weights(a, P)), lam)


def terms_between(a: Model, b: Model, sets: Sets, P: Arithmetic = FLOAT64) -> LLVTerms:
    """``T1..T4`` (and their parts) of ``p_a`` versus ``p_b`` with fixed ``sets``: λ-free."""
    return llv_terms(log_probs(a, P), log_probs(b, P), sets, P, input_weights(a, P))


def kl_between(a: Model, b: Model, P: Arithmetic = FLOAT64) -> Any:
    """``d_KL(p_a, p_b)`` (direction a → b, as the paper's code)."""
    return d_kl(log_probs(a, P), log_probs(b, P), P, input_weights(a, P))


def flip_embedding(f: np.ndarray, P: Arithmetic = FLOAT64) -> np.ndarray:
    """``φ(f) = f − 2·log Σ_j e^{f_j} · 1`` row by row: the M-dimensional sign flip.

    For ``g = (0, e_1, …, e_M)`` (pivot label 0) it moves ``ℓ(y_0|x)`` by ``+log S`` and every
    ``ℓ(y_i|x)`` by ``−log S`` (``S = Σ_j e^{f_j}``), the anti-alignment that makes ``a_y = b_y``
    and ``SD(ũ_i − ũ'_i) = a + b`` exact; for ``M = 1`` it is ``f ↦ −f``.
    """
    with P.active():
        ff = P.array(f)
        lse = P.log(P.exp(ff).sum(axis=1))
        return ff - (P.scalar(2) * lse)[:, None]


def flip_root(M: int, kappa: Any, dps: int = 60) -> str:
    """``t > 0`` with ``log(e^t + M − 1) − t/M = κ`` (needs ``κ > log M``), as a decimal string."""
    import mpmath

    if M < 2 or float(kappa) <= float(np.log(M)):
        raise ClosenessError(f"need M ≥ 2 and κ > log M; got M = {M}, κ = {kappa}")
    ctx = mpmath.MPContext()
    ctx.dps = dps
    k = ctx.mpf(str(kappa))
    hi = ctx.mpf(M) / (M - 1) * (k + 1)  # the left side grows like t(1 − 1/M): a sign change on [0, hi]
    t = ctx.findroot(lambda t: ctx.log(ctx.exp(t) + M - 1) - t / M - k, (0, hi), solver="illinois")
    return ctx.nstr(t, dps)


def flip_root_enclosure(M: int, kappa: Any, dps: int) -> Any:
    """An ``arb`` ball certainly containing the root ``t*`` of ``h(t) = log(e^t + M − 1) − t/M − κ``.

    ``h(0) = log M − κ < 0`` and ``h' = (M−1)(e^t − 1)/(M(e^t + M − 1)) > 0`` for ``t > 0`` (see
    :func:`theory.derivations.bound.flip_root_monotone`), so the positive root is unique; around
    the mpmath approximation the endpoints ``t̃ ∓ 10^{−(dps+5)}`` are exact dyadic numbers, and ball
    evaluations proving ``h(lo) < 0 < h(hi)`` put ``t*`` in ``[lo, hi]``.  Raises
    :class:`ClosenessError` when the signs cannot be certified.
    """
    import flint

    approx = flip_root(M, kappa, dps + 20)
    saved = flint.ctx.prec
    flint.ctx.dps = dps + 20
    try:
        mid = flint.arb(approx).mid()
        delta = flint.arb(10) ** (-(dps + 5))
        lo, hi = (mid - delta).mid(), (mid + delta).mid()  # exact endpoints

        def h(t: Any) -> Any:
            return (t.exp() + (M - 1)).log() - t / M - flint.arb(str(kappa))

        if not (h(lo) < 0 and h(hi) > 0):
            raise ClosenessError(f"could not certify the sign change of the flip root (M = {M}, κ = {kappa})")
        return lo.union(hi)
    finally:
        flint.ctx.prec = saved


def permutation_flip_pair(
    M: int, kappa: Any = 2, shift: Any = -2, P: Arithmetic = FLOAT64,
) -> Pair:
    """A pair attaining ``d_{f,g} = 2ε²`` in dimension ``M`` (``K = M + 1``, ``g = (0, e_1, …, e_M)``).

    Inputs: the base ``0`` and ``−κ(1 + e_i)`` (kept by model 2; they are the pivot and input
    sets, so ``T2 = T4 = 0``), and the orbit ``s·1 + t·e_i`` (``s`` = ``shift``), which model 2
    flips with :func:`flip_embedding`.  Every orbit point has ``log S − mean = κ`` when ``t`` is
    :func:`flip_root`; then the flip shifts the orbit by ``−2 log S`` and, because the base has
    mean ``−κ`` per coordinate, leaves every coordinate's variance unchanged (``σ = σ'``,
    ``T3 = 0``).  Permutation symmetry makes all ``a_i = b_i`` equal and ``C`` symmetric; for the
    shifts used here ``C`` is positive semi-definite, so ``‖C‖_* = tr C`` and the chain is an
    equality.  ``P`` fixes the precision of the flip: for mpmath and float64 ``t`` is a decimal of
    ``P.dps + 20`` digits, for balls it is the certified enclosure :func:`flip_root_enclosure`, so
    every ball computed from the pair encloses the value for the exact root.
    """
    t = flip_root_enclosure(M, kappa, P.dps) if P.kind == "arb" else flip_root(M, kappa, max(P.dps, 15) + 20)
    with P.active():
        kap, s, tt = P.scalar(str(kappa)), P.scalar(str(shift)), P.scalar(t)
        eye = np.eye(M, dtype=int)
        base = [np.full(M, P.scalar(0), dtype=object)] + [-kap * (1 + eye[i]) for i in range(M)]
        orbit = [s + tt * eye[i] for i in range(M)]
        f = np.array(base + orbit, dtype=object)
        f2 = np.concatenate([f[: M + 1], flip_embedding(f[M + 1:], P)])
        if P.kind == "float64":
            f, f2 = f.astype(float), np.asarray(f2, dtype=float)
    g = np.vstack([np.zeros(M), np.eye(M)])
    sets = Sets(0, tuple(range(1, M + 1)), 0, tuple(range(1, M + 1)))
    return Pair(Model(f, g), Model(f2, g), sets, f"permutation-flip pair M={M} κ={kappa} s={shift}")


def tie_perturbation_pair(scale: Any, c: Any = 1, P: Arithmetic = FLOAT64) -> Pair:
    """``M = 1``, ``K = 2``: log-odds ``z = scale·(−2, −1, 0, 0, 1, 2)``; model 2 adds
    ``δ = (0, β, c, −c, −β, 0)`` with ``β = c²/(scale + √(scale² − c²))`` (needs ``scale > c``).

    ``β`` solves ``β² − 2·scale·β + c² = 0``, i.e. ``2Cov(z, δ) + Var(δ) = 0``, so
    ``SD(z + δ) = SD(z)`` exactly (``T3 = 0``); ``δ = 0`` at the pivot input 0 and the input 5
    (``T2 = T4 = 0``).  The two tied inputs (``z = 0``) keep ``d_KL`` near a constant while
    ``d_LLV = T1 = O(c/scale) → 0``: ``d_KL`` is not bounded by any function of ``d^λ_LLV``.
    """
    if not float(scale) > float(c) > 0:
        raise ClosenessError(f"need scale > c > 0, got scale = {scale}, c = {c}")
    with P.active():
        sc, cc = P.scalar(str(scale)), P.scalar(str(c))
        beta = cc * cc / (sc + P.sqrt(P.array([sc * sc - cc * cc]))[0])
        z = np.array([sc * P.scalar(v) for v in (-2, -1, 0, 0, 1, 2)], dtype=object)
        d = np.array([P.scalar(0), beta, cc, -cc, -beta, P.scalar(0)], dtype=object)
        f, f2 = z[:, None], (z + d)[:, None]
        if P.kind == "float64":
            f, f2 = f.astype(float), f2.astype(float)
    g = np.array([[0.0], [1.0]])
    return Pair(Model(f, g), Model(f2, g), Sets(0, (1,), 0, (5,)), f"tie-perturbation pair scale={scale}")
