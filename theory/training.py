"""Training the model family ``p(y|x) ∝ exp(f(x)ᵀg(y))`` on the radial task, in numpy only.

``f`` (inputs → R^M) and ``g`` (one-hot labels → R^M) are MLPs with three hidden layers of width
``W`` and leaky-ReLU activations (slope 0.01); the output layer has no bias, as in the paper's
code.  The loss is the mean negative log-likelihood of a batch; gradients are written out by
hand (backpropagation through :func:`mlp_forward`) and checked against finite differences in
the tests.  The optimiser is Adam (lr 1e-4, β = (0.9, 0.999), eps 1e-8, no weight decay) on
batches of 128 drawn without replacement from a fresh seeded permutation of the training set in
each epoch (the incomplete last batch of an epoch is skipped).  Initialisation is uniform on
``±1/√fan_in`` for weights and biases (the default of common frameworks).

Everything is float64 and determined by the seed: the same seed gives bit-identical models on
the same machine and BLAS.  A run can keep snapshots of its parameters at earlier steps; the
snapshot at step ``s`` equals the model of a run of ``s`` steps (Adam has no schedule that depends
on the total), so one run gives the models of several training budgets (Section 5).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from theory.blas import single_threaded_blas
from theory.errors import ClosenessError
from theory.model import Model, log_softmax

__all__ = [
    "TRAINER_VERSION",
    "TrainSettings",
    "TrainingData",
    "Params",
    "Trained",
    "LEAKY_SLOPE",
    "mlp_sizes",
    "init_params",
    "mlp_forward",
    "mlp_backward",
    "nll_and_grads",
    "Adam",
    "train",
    "embed",
    "unembed",
    "trained_model",
    "accuracy",
]

#: Version of the trainer's numerics: bump it whenever a change can alter a trained model, so that
#: shipped and cached models trained by an older trainer are recognised as such.
TRAINER_VERSION = 1

#: Negative slope of the leaky ReLU.
LEAKY_SLOPE = 0.01

Progress = Callable[[int, float], None]


class TrainingData(Protocol):
    """What the trainer reads: ``K`` and the training split (inputs n×d, integer labels)."""

    @property
    def classes(self) -> int: ...

    @property
    def x_train(self) -> np.ndarray: ...

    @property
    def y_train(self) -> np.ndarray: ...


@dataclass(frozen=True)
class TrainSettings:
    """One training run: network width, seed and the optimiser's settings (the paper's defaults)."""

    width: int
    seed: int
    steps: int = 15_000
    dim: int = 2  # M
    lr: float = 1e-4
    batch: int = 128
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def validate(self, n_train: int) -> None:
        for name in ("width", "steps", "dim", "batch"):
            if getattr(self, name) < 1:
                raise ClosenessError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if not (self.lr > 0 and np.isfinite(self.lr)):
            raise ClosenessError(f"the learning rate must be a positive number, got {self.lr}")
        if self.batch > n_train:
            raise ClosenessError(f"batch size {self.batch} exceeds the {n_train} training points")

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class Params:
    """The parameters of one MLP as views into a single flat vector (so Adam is one update).

    ``layers[i] = (weight (in×out), bias (out,) or None)``.
    """

    def __init__(self, sizes: list[int], flat: np.ndarray | None = None) -> None:
        self.sizes = list(sizes)
        shapes: list[tuple[tuple[int, int], int | None]] = []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            shapes.append(((a, b), b if i < len(sizes) - 2 else None))
        total = sum(a * b + (nb or 0) for (a, b), nb in shapes)
        self.flat = np.zeros(total) if flat is None else flat
        if self.flat.shape != (total,):
            raise ClosenessError(f"parameter vector has shape {self.flat.shape}, expected ({total},)")
        self.layers: list[tuple[np.ndarray, np.ndarray | None]] = []
        pos = 0
        for (a, b), nb in shapes:
            w = self.flat[pos:pos + a * b].reshape(a, b)
            pos += a * b
            bias = None
            if nb is not None:
                bias = self.flat[pos:pos + nb]
                pos += nb
            self.layers.append((w, bias))


def mlp_sizes(inputs: int, width: int, dim: int) -> list[int]:
    """``[inputs, W, W, W, M]``: three hidden layers of width ``W``."""
    return [inputs, width, width, width, dim]


def init_params(sizes: list[int], rng: np.random.Generator) -> Params:
    """Uniform on ``±1/√fan_in`` for every weight and bias."""
    p = Params(sizes)
    for w, b in p.layers:
        bound = 1.0 / np.sqrt(w.shape[0])
        w[...] = rng.uniform(-bound, bound, size=w.shape)
        if b is not None:
            b[...] = rng.uniform(-bound, bound, size=b.shape)
    return p


def mlp_forward(p: Params, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output of the MLP on the rows of ``x`` and the cache (layer inputs, pre-activations)."""
    cache: list[np.ndarray] = []
    h = x
    last = len(p.layers) - 1
    for i, (w, b) in enumerate(p.layers):
        cache.append(h)
        a = h @ w
        if b is not None:
            a += b
        if i < last:
            cache.append(a)
            h = np.where(a > 0, a, LEAKY_SLOPE * a)
        else:
            h = a
    return h, cache


def mlp_backward(p: Params, cache: list[np.ndarray], dout: np.ndarray, grads: Params) -> None:
    """Write ``∂loss/∂θ`` into ``grads`` given ``dout = ∂loss/∂output``."""
    d = dout
    pos = len(cache)
    for i in range(len(p.layers) - 1, -1, -1):
        w, _ = p.layers[i]
        gw, gb = grads.layers[i]
        if i < len(p.layers) - 1:
            pre = cache[pos - 1]
            d = d * np.where(pre > 0, 1.0, LEAKY_SLOPE)
            pos -= 1
        h = cache[pos - 1]
        pos -= 1
        np.matmul(h.T, d, out=gw)
        if gb is not None:
            np.sum(d, axis=0, out=gb)
        if i > 0:
            d = d @ w.T


def nll_and_grads(
    pf: Params, pg: Params, x: np.ndarray, y: np.ndarray, classes: int,
    gf: Params | None = None, gg: Params | None = None,
) -> float:
    """Mean ``−log p(y|x)`` of the batch; writes the gradients into ``gf``, ``gg`` when given.

    With ``z = F Gᵀ`` the batch logits, ``∂loss/∂z = (softmax(z) − onehot(y)) / B``, so
    ``∂loss/∂F = (∂loss/∂z) G`` and ``∂loss/∂G = (∂loss/∂z)ᵀ F``.
    """
    f, cache_f = mlp_forward(pf, x)
    g, cache_g = mlp_forward(pg, np.eye(classes))
    ell = log_softmax(f @ g.T)
    rows = np.arange(len(y))
    loss = -float(np.mean(ell[rows, y]))
    if gf is not None and gg is not None:
        dz = np.exp(ell)
        dz[rows, y] -= 1.0
        dz /= len(y)
        mlp_backward(pf, cache_f, dz @ g, gf)
        mlp_backward(pg, cache_g, dz.T @ f, gg)
    return loss


class Adam:
    """Adam on a flat parameter vector (bias-corrected moments, as in Kingma & Ba)."""

    def __init__(self, size: int, lr: float, beta1: float, beta2: float, eps: float) -> None:
        self.m = np.zeros(size)
        self.v = np.zeros(size)
        self._tmp = np.zeros(size)
        self.t = 0
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """``θ ← θ − lr·m̂/(√v̂ + eps)``, in place (no temporaries of the parameter size)."""
        self.t += 1
        tmp = self._tmp
        np.multiply(grad, 1 - self.beta1, out=tmp)
        self.m *= self.beta1
        self.m += tmp
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - self.beta2
        self.v *= self.beta2
        self.v += tmp
        np.sqrt(self.v, out=tmp)
        tmp *= 1 / np.sqrt(1 - self.beta2 ** self.t)
        tmp += self.eps
        np.divide(self.m, tmp, out=tmp)
        tmp *= self.lr / (1 - self.beta1 ** self.t)
        theta -= tmp


@dataclass
class Trained:
    """A trained pair of networks with its settings and a short history of the training loss."""

    settings: TrainSettings
    classes: int
    f: Params
    g: Params
    history: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    #: step → copy of the flat parameter vector (``f`` then ``g``) after that many steps.
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)

    def at(self, step: int) -> Trained:
        """The networks as they were after ``step`` steps (a snapshot, or the final ones)."""
        if step == self.settings.steps:
            return self
        if step not in self.snapshots:
            raise ClosenessError(f"no snapshot at step {step}; have {sorted(self.snapshots)}")
        theta = self.snapshots[step].copy()
        nf = self.f.flat.size
        return Trained(replace(self.settings, steps=step), self.classes, Params(self.f.sizes, theta[:nf]),
                       Params(self.g.sizes, theta[nf:]), [h for h in self.history if h[0] <= step])


def train(data: TrainingData, settings: TrainSettings, progress: Progress | None = None,
          every: int = 100, snapshots: Collection[int] = ()) -> Trained:
    """Train ``f`` and ``g`` on ``data`` with ``settings``; ``progress(step, loss)`` every ``every`` steps;
    the parameters after each step count in ``snapshots`` are kept (:meth:`Trained.at`).

    The seed fixes the initialisation of ``f``, of ``g`` and the batch order (three independent
    streams spawned from it), so a run is reproducible and independent of the other seeds.
    """
    n = len(data.y_train)
    settings.validate(n)
    wanted = set(snapshots)
    if any(not 1 <= s <= settings.steps for s in wanted):
        raise ClosenessError(f"snapshot steps must lie in 1..{settings.steps}, got {sorted(snapshots)}")
    kept: dict[int, np.ndarray] = {}
    k = data.classes
    init_f, init_g, order = (np.random.default_rng(s) for s in np.random.SeedSequence(settings.seed).spawn(3))
    sizes_f = mlp_sizes(data.x_train.shape[1], settings.width, settings.dim)
    sizes_g = mlp_sizes(k, settings.width, settings.dim)
    theta = np.concatenate([init_params(sizes_f, init_f).flat, init_params(sizes_g, init_g).flat])
    grad = np.zeros_like(theta)
    nf = theta.size - Params(sizes_g).flat.size
    pf, pg = Params(sizes_f, theta[:nf]), Params(sizes_g, theta[nf:])
    gf, gg = Params(sizes_f, grad[:nf]), Params(sizes_g, grad[nf:])
    opt = Adam(theta.size, settings.lr, settings.beta1, settings.beta2, settings.eps)
    per_epoch = n // settings.batch
    history: list[tuple[int, float]] = []
    start = time.perf_counter()
    perm = np.empty(0, dtype=np.int64)
    running = 0.0
    with single_threaded_blas():
        for step in range(settings.steps):
            j = step % per_epoch
            if j == 0:
                perm = order.permutation(n)
            idx = perm[j * settings.batch:(j + 1) * settings.batch]
            loss = nll_and_grads(pf, pg, data.x_train[idx], data.y_train[idx], k, gf, gg)
            if not np.isfinite(loss):
                raise ClosenessError(f"training diverged at step {step} (loss {loss})")
            opt.step(theta, grad)
            if step + 1 in wanted:
                kept[step + 1] = theta.copy()
            running += loss
            if (step + 1) % every == 0 or step + 1 == settings.steps:
                count = (step % every) + 1
                history.append((step + 1, running / count))
                running = 0.0
                if progress is not None:
                    progress(step + 1, history[-1][1])
    return Trained(settings, k, pf, pg, history, time.perf_counter() - start, kept)


def embed(t: Trained, x: np.ndarray) -> np.ndarray:
    """``f(x)`` for the rows of ``x`` (n×M)."""
    return mlp_forward(t.f, np.asarray(x, dtype=float))[0]


def unembed(t: Trained) -> np.ndarray:
    """``g(y)`` for the K labels (K×M)."""
    return mlp_forward(t.g, np.eye(t.classes))[0]


def trained_model(t: Trained, x: np.ndarray) -> Model:
    """The trained networks as a :class:`Model` on inputs ``x``: ``F = f(x)``, ``G = g(labels)``."""
    return Model(embed(t, x), unembed(t))


def accuracy(model: Model, y: np.ndarray) -> float:
    """Fraction of inputs whose most probable label (largest logit) is ``y``."""
    z = np.asarray(model.f, dtype=float) @ np.asarray(model.g, dtype=float).T
    return float(np.mean(np.argmax(z, axis=1) == np.asarray(y)))
