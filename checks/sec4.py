"""Claims of Section 4 of the paper (see ../shared/paper/CLAIMS.md §4)."""

from __future__ import annotations
