"""Imports every section module so that its claims are registered (in this order)."""

from checks import sec2, sec3, sec4, sec5  # noqa: F401
