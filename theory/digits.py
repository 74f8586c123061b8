"""Real data for the experiment of Section 5: the handwritten digits scikit-learn ships with the package.

``sklearn.datasets.load_digits``: 1797 images of 8×8 pixels (values 0-16), 10 classes; no
download.  Pixels are divided by 16; a seeded permutation splits off the test set.  The paper's
own real-data experiment is CIFAR-10 (Figure 3, left); these digits are a small real dataset the
numpy trainer can fit in seconds.  scikit-learn is needed only to (re)train: the shipped digits
models make the default run independent of it (``pip install closeness-proofs[digits]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.errors import ClosenessError

__all__ = ["DigitsData", "digits_data", "DIGITS_SOURCE"]

#: How the inputs are made (recorded in every shipped model's configuration).
DIGITS_SOURCE = "sklearn.datasets.load_digits, pixels / 16"


@dataclass(frozen=True)
class DigitsData:
    """Train and test splits of the digits (inputs n×64 in [0, 1], labels 0-9)."""

    classes: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    seed: int


def digits_data(test: int = 450, seed: int = 0) -> DigitsData:
    """The digits split by a permutation seeded with ``seed``: the first ``test`` images are the test set."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ClosenessError(
            "the digits experiment needs scikit-learn: pip install 'closeness-proofs[digits]'"
        ) from err
    d = load_digits()
    x, y = np.asarray(d.data, dtype=np.float64) / 16.0, np.asarray(d.target, dtype=np.int64)
    if not 0 < test < len(y):
        raise ClosenessError(f"the test set must hold 1..{len(y) - 1} of the {len(y)} images, got {test}")
    order = np.random.default_rng(seed).permutation(len(y))
    te, tr = order[:test], order[test:]
    return DigitsData(10, x[tr], y[tr], x[te], y[te], seed)
