"""Run BLAS-bound kernels on one BLAS thread, without the caller having to ask.

The DP kernels are chains of T small matrix-vector products in sequence.  OpenBLAS
splits each product over its threads and pays a wake-up and a join per call, which such
chains feel on every step; and the timings pgproof states (benchmarks/bench_numeric.py)
are single-thread ones.  So the kernels pin BLAS to one thread for their duration (the
previous limit is restored on exit).

``threadpoolctl`` is imported on first use, and its library scan runs once per process
(a fresh ``threadpool_limits(1)`` context costs ~0.2 ms, which would dominate a small DP);
afterwards entering and leaving :data:`one_blas_thread` costs a few microseconds, and
nothing for problems too small for OpenBLAS to thread (:func:`pinned`).  BLAS
libraries loaded after the first use are not seen.  The limit is process-wide, as every
BLAS thread setting is: another Python thread running BLAS at the same time is pinned too.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

#: OpenBLAS keeps a matrix-vector product with fewer than 2304·4 matrix entries, and a
#: matrix product with at most 65536·4 multiply-adds m·n·k, on one thread by itself.
GEMV_THREADED = 2304 * 4
GEMM_THREADED = 65536 * 4

_libraries: list[Any] | None = None


def blas_libraries() -> list[Any]:
    """threadpoolctl controllers of the BLAS libraries loaded in this process (cached)."""
    global _libraries
    if _libraries is None:
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        _libraries = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
    return _libraries


class SingleBlasThread(AbstractContextManager):
    """Context manager: BLAS limited to one thread inside, previous limits restored after.

    Re-entrant and shared between Python threads (a counter under a lock: the limit is
    set by the first entry and restored by the last exit), and cheap:
    ``get/set_num_threads`` through the cached controllers, only on libraries not already
    at one thread.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._restore: list[tuple[Any, int]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SingleBlasThread:
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                restore = []
                for library in blas_libraries():
                    threads = library.get_num_threads()
                    if threads != 1:
                        library.set_num_threads(1)
                        restore.append((library, threads))
                self._restore = restore
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for library, threads in self._restore:
                    library.set_num_threads(threads)
                self._restore = []


#: The shared instance the numeric kernels use.
one_blas_thread = SingleBlasThread()
_NOTHING = nullcontext()


def pinned(gemv: int, gemm: int = 0) -> AbstractContextManager:
    """:data:`one_blas_thread` if OpenBLAS could thread the largest products, else a no-op.

    ``gemv`` is the largest matrix (entries) multiplied with a vector, ``gemm`` the most
    multiply-adds m·n·k in one matrix product.
    """
    if gemv >= GEMV_THREADED or gemm > GEMM_THREADED:
        return one_blas_thread
    return _NOTHING
