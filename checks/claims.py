"""Imports every section module so that its claims are registered; ``SECTIONS`` is the paper's order."""

from checks import formal, implementation, sec1, sec2, sec3, sec4, sec5  # noqa: F401

formal.attach()  # the kernel-checked proofs of theory/formal/ (the `formal` method)

SECTIONS = ("sec1", "sec2", "sec3", "sec4", "sec5", "implementation")
