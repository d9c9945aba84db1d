"""Executors for sampling beyond one core or one machine.

The streaming sampler (:mod:`pgproof.numeric.streaming`) accepts any
:class:`concurrent.futures.Executor`: work is split into jobs of consecutive batches, each
batch seeded by its own child of the run's SeedSequence, and results are merged in batch
order — so a fixed seed gives identical numbers whatever the executor or worker count.

:func:`make_executor` builds the executors ``pgproof verify`` offers:

* ``serial``     no executor (the caller's thread),
* ``threads``    :class:`~concurrent.futures.ThreadPoolExecutor` (NumPy releases the GIL in
                 most of the work),
* ``processes``  :class:`~concurrent.futures.ProcessPoolExecutor` (spawned workers),
* ``dask``       Dask's distributed scheduler, through ``Client.get_executor()``: a
                 scheduler at ``address`` (``--scheduler tcp://host:8786``), or a
                 ``LocalCluster`` of ``workers`` processes.  ``distributed`` is an optional
                 extra (``pip install 'pgproof[distributed]'``), imported only here, only then.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

EXECUTORS = ("serial", "threads", "processes", "dask")


class ExecutorError(ValueError):
    """The requested executor cannot be built (e.g. distributed is not installed)."""


def is_cloudpickle_executor(executor: object) -> bool:
    """Executors that serialise with cloudpickle (Dask) can ship lambdas and local functions."""
    return type(executor).__module__.startswith("distributed")


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ExecutorError(
            "the dask executor needs the optional dependency 'distributed' "
            "(pip install 'pgproof[distributed]')"
        ) from None
    return distributed


@contextlib.contextmanager
def make_executor(
    kind: str = "serial", workers: int | None = None, address: str | None = None
) -> Iterator[Executor | None]:
    """Context manager yielding the executor (None for ``serial``) and shutting it down."""
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r} (choose from {', '.join(EXECUTORS)})")
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers must be positive, got {workers}")
    if address is not None and kind != "dask":
        raise ExecutorError("a scheduler address needs the dask executor")
    if kind == "serial":
        yield None
    elif kind == "threads":
        with ThreadPoolExecutor(max_workers=workers or 2) as executor:
            yield executor
    elif kind == "processes":
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers or 2, mp_context=context) as executor:
            yield executor
    else:
        distributed = _import_distributed()
        if address is not None:
            try:
                client = distributed.Client(address, timeout="10s")
            except (OSError, TimeoutError) as error:
                raise ExecutorError(
                    f"cannot reach the Dask scheduler at {address}: {error}"
                ) from None
            with client:
                yield client.get_executor()
        else:
            with (
                distributed.LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                yield client.get_executor()


def worker_count(executor: Executor | None) -> int:
    """How many jobs the executor runs at once (a guess for Dask: its worker threads)."""
    if executor is None:
        return 1
    count = getattr(executor, "_max_workers", None)
    if count:
        return int(count)
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # a scheduler that does not answer: assume two
            return 2
    return 2
