"""Claims of Section 5 of the paper (see ../shared/paper/CLAIMS.md §5)."""

from __future__ import annotations
