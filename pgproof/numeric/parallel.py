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
import re
import socket
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

EXECUTORS = ("serial", "threads", "processes", "dask")
#: a scheduler that does not accept a TCP connection within this time is refused
CONNECT_SECONDS = 1.5
#: ``tcp://host:port`` or ``host:port``; host a name, an IPv4 address or [IPv6]
_ADDRESS = re.compile(r"^(?:([a-z][a-z0-9+.-]*)://)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")
_OTHER_SCHEMES = {
    "tls": "tls:// needs certificates (a Dask security configuration), which pgproof does not take",
    "ucx": "ucx:// needs the UCX transport (ucx-py and a UCX build), which pgproof does not set up",
    "inproc": "inproc:// addresses exist only inside the process that created the scheduler",
    "ws": "ws:// (websocket) schedulers are not supported",
    "wss": "wss:// (websocket) schedulers are not supported",
}


class ExecutorError(ValueError):
    """The requested executor cannot be built (e.g. distributed is not installed)."""


def scheduler_endpoint(address: str) -> tuple[str, int]:
    """(host, port) of a Dask scheduler given as ``tcp://host:port`` or ``host:port``.

    Any other scheme (tls://, ucx://, inproc://, …), a missing or out-of-range port, or
    anything else is refused with an :class:`ExecutorError` that says what is accepted.
    Checked before any work and before ``distributed`` is imported.
    """
    shown = ascii(address if len(address) <= 80 else address[:77] + "...")
    match = _ADDRESS.match(address.strip()) if len(address) <= 300 else None
    scheme = address.split("://", 1)[0].lower() if "://" in address[:40] else None
    if scheme is not None and scheme != "tcp":
        reason = _OTHER_SCHEMES.get(
            scheme, f"{ascii(scheme + '://')} is not a scheduler protocol pgproof uses"
        )
        raise ExecutorError(f"--scheduler {shown}: {reason}; give tcp://HOST:PORT")
    if match is None:
        raise ExecutorError(f"--scheduler {shown} is not an address: give tcp://HOST:PORT")
    host, port = match.group(2).strip("[]"), int(match.group(3))
    if not 0 < port < 65536:
        raise ExecutorError(f"--scheduler {shown}: port {port} is not in 1..65535")
    return host, port


def check_reachable(address: str, seconds: float = CONNECT_SECONDS) -> None:
    """Refuse a scheduler address that does not accept a TCP connection within ``seconds``.

    Distributed's own client retries for its whole timeout (10 s); a closed port answers a
    connection attempt at once, and an unroutable host is given up on after ``seconds``.
    """
    host, port = scheduler_endpoint(address)
    try:
        with socket.create_connection((host, port), timeout=seconds):
            pass
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else (error.strerror or str(error))
        raise ExecutorError(
            f"cannot reach the Dask scheduler at {ascii(address)}: {reason}"
        ) from None


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


def notes_for_warnings() -> None:
    """A worker's start: its Python warnings are one ``pgproof: note:`` line each, as the
    command's own are (no source file, line or code)."""
    import warnings

    from pgproof.output import WarningNotes

    warnings.showwarning = WarningNotes()


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
        with ProcessPoolExecutor(
            max_workers=workers or 2, mp_context=context, initializer=notes_for_warnings
        ) as executor:
            yield executor
    else:
        if address is not None:
            check_reachable(address)
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
