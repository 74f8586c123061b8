"""Imports every section module so that its claims are registered; ``SECTIONS`` is the paper's order."""

from checks import sec1, sec2, sec3, sec4, sec5  # noqa: F401

SECTIONS = ("sec1", "sec2", "sec3", "sec4", "sec5")
