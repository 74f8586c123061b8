"""The one exception type for bad input: the CLI prints its message and exits with status 2."""

from __future__ import annotations


class ClosenessError(ValueError):
    """Invalid input or an undefined quantity (wrong shapes, singular L/N, zero variance, ...)."""
