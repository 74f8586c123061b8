"""``closeness search TARGET``: the hypothesis searches, one target per module.

Each target module exposes ``register_target(targets)`` adding its own sub-parser to the
``search`` command; see :mod:`checks.search` for the machinery they share.
"""

from __future__ import annotations

import argparse
import importlib

from checks.cli.options import needs_choice

#: Modules providing search targets.
TARGET_MODULES = ("checks.search.kl", "checks.search.sec4")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "search",
        help="hypothesis searches for violations and extreme cases",
        description="Reproducible searches (seeded, no example database). Violations are shrunk, "
        "re-verified at high precision and can be saved for `closeness compare`.",
    )
    targets = p.add_subparsers(dest="target", metavar="TARGET", parser_class=type(p))
    for name in TARGET_MODULES:
        importlib.import_module(name).register_target(targets)
    p.set_defaults(func=needs_choice(p, "a target", "kl, bound, metric or order"))
