"""Claims of Section 3 of the paper (see ../shared/paper/CLAIMS.md §3)."""

from __future__ import annotations
