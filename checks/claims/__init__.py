"""The claims, one module per section of the paper (``sec1`` … ``sec5``) plus the suite's own
``implementation`` claims. Importing :func:`load` registers all of them; ``SECTIONS`` is the
paper's order."""

from __future__ import annotations

import importlib

SECTIONS = ("sec1", "sec2", "sec3", "sec4", "sec5", "implementation", "followup")


_loaded: list[bool] = []  # a flag, not a functools cache: the self-test empties those between mutants


def load() -> None:
    """Import every section module (registering its claims) and attach the kernel-checked proofs
    (once per process)."""
    if _loaded:
        return
    _loaded.append(True)
    for name in SECTIONS:
        importlib.import_module(f"{__name__}.{name}")
    from checks import formal

    formal.attach()  # the kernel-checked proofs of theory/formal/ (the `formal` method)
