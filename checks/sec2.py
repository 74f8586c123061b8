"""Claims of Section 2 of the paper (see ../shared/paper/CLAIMS.md §2)."""

from __future__ import annotations
