"""Search targets added by a later issue."""

from __future__ import annotations

import argparse


def register_target(targets: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """No targets yet."""
