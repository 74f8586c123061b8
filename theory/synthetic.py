"""The synthetic "radial classification" task of the paper's width experiment (Section 5).

Inputs are drawn from ``N(0, 3² I₂)``; the label of ``x`` is the angle of ``x`` folded into
``[0, π)`` (``x`` and ``−x`` share a label) and cut into ``K`` equal wedges.  The paper's code
uses 20000 training points and a test set of a tenth of that size drawn with the next seed; the
defaults here follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.errors import ClosenessError

__all__ = ["RadialData", "radial_labels", "radial_sample", "radial_data", "INPUT_SD"]

#: Standard deviation of each input coordinate.
INPUT_SD = 3.0


def radial_labels(x: np.ndarray, classes: int) -> np.ndarray:
    """Wedge index in ``0..K−1`` of the folded angle ``atan2(x₂, x₁) mod π`` of each row of ``x``."""
    if classes < 2:
        raise ClosenessError(f"the radial task needs at least 2 classes, got {classes}")
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ClosenessError(f"radial inputs must be an n×2 array, got shape {x.shape}")
    angle = np.mod(np.arctan2(x[:, 1], x[:, 0]), np.pi)
    return np.minimum((angle * (classes / np.pi)).astype(np.int64), classes - 1)


def radial_sample(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded inputs from ``N(0, 3² I₂)`` and their labels."""
    if n < 1:
        raise ClosenessError(f"the sample size must be positive, got {n}")
    x = np.random.default_rng(seed).normal(0.0, INPUT_SD, size=(n, 2))
    return x, radial_labels(x, classes)


@dataclass(frozen=True)
class RadialData:
    """Train and test splits of the radial task (inputs n×2, integer labels)."""

    classes: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    seed: int

    def describe(self) -> dict[str, int]:
        return {"classes": self.classes, "train": len(self.y_train), "test": len(self.y_test),
                "data_seed": self.seed}


def radial_data(classes: int, train: int = 20_000, test: int | None = None, seed: int = 0) -> RadialData:
    """Seeded splits: the training set from ``seed``, the test set (default ``train // 10``) from
    ``seed + 1``, as in the paper's experiments."""
    test = train // 10 if test is None else test
    xtr, ytr = radial_sample(train, classes, seed)
    xte, yte = radial_sample(test, classes, seed + 1)
    return RadialData(classes, xtr, ytr, xte, yte, seed)
