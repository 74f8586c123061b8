"""BLAS threads, held in one place (threadpoolctl).

numpy's BLAS spreads each product over every core.  Where the work is already spread over the cores
(the streamed path's threads, ``closeness verify --jobs`` workers, the batched Section 5 pair table)
or the products are small (training: batch 128 × width ≤ 256), one BLAS thread per call is as fast,
and two thread pools sharing two cores slow each other down badly.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import ThreadpoolController

__all__ = ["blas_threads", "single_threaded_blas"]


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    """The BLAS libraries loaded in this process (found once; numpy's is loaded by then)."""
    return ThreadpoolController()


def blas_threads(limit: int) -> AbstractContextManager[Any]:
    """Within the block, BLAS runs each call on at most ``limit`` threads; the previous setting is
    restored on exit.  Without a BLAS that threadpoolctl knows, the block runs unchanged."""
    return _controller().limit(limits=limit, user_api="blas")


def single_threaded_blas() -> AbstractContextManager[Any]:
    """``blas_threads(1)``."""
    return blas_threads(1)
