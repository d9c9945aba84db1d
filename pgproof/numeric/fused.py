"""Both Krylov recursions of the DP in one sweep over the kernel: K read once per step.

The time-invariant DP (:mod:`pgproof.numeric.dp`) runs two independent recursions with
the same augmented kernel K [n, n]:

    forward   f_{t+1} = f_t K        (a row vector times K: the visitation side)
    backward  b_{t+1} = K b_t        (K times a column vector: the value side).

As two BLAS matrix-vector products per step, K is streamed from cache twice, and at
n ≈ 200 each product runs at the cache's bandwidth.  Here eight rows i..i+7 of K are
loaded once and serve both, per column j:

    b_{t+1}[i+r] += K[i+r, j] b_t[j]          (r = 0..7: eight running sums)
    f_{t+1}[j]   += Σ_{r<8} f_t[i+r] K[i+r, j],

which halves the traffic and turns the step into multiply-adds on data already loaded.
The sums are the same as BLAS's up to the order of the additions (agreement to a few
units in the last place; the tests hold it to 1e-13 relative).

The loop is compiled by numba (the optional extra ``pgproof[fast]``), only for the
additions' reassociation and contraction into FMAs (no other fast-math assumption).
numba is imported, and the kernel compiled or loaded from an on-disk cache, on the first
call that needs it: a DP with fewer than :data:`MIN_STATES` states, and every process
that runs none, never pays for it.  Without numba the DP keeps its BLAS loop.  The cache
is the user's (:func:`cache_folder`), never the folder pgproof is installed in or its
source tree; where it cannot be written the sweep is compiled in the process.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: Smallest number of states for which the DP uses the fused sweep.  The sweep is faster
#: from S = 8 on (0.026 against 0.041 ms at S=8, A=4, T=50), but numba's import and
#: cache load (≈0.4 s once per process) would then fall on the small problems of every
#: numeric step check; those draw at most a handful of states.
MIN_STATES = 16

_compiled: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None = None
_available: bool | None = None


def available() -> bool:
    """Whether numba can be imported (checked once, without importing it)."""
    global _available
    if _available is None:
        _available = importlib.util.find_spec("numba") is not None
    return _available


def use_fused(n_states: int) -> bool:
    """Whether the DP on ``n_states`` states should run :func:`krylov_pair`.

    The first time this says yes, numba is imported and the sweep compiled; a numba that
    is installed but fails to import (say, built for another NumPy) counts as absent.
    """
    global _available
    if n_states < MIN_STATES or not available():
        return False
    try:
        _compile()
    except ImportError:
        _available = False
        return False
    return True


def _sweep(kernel: np.ndarray, ahead: np.ndarray, behind: np.ndarray) -> None:
    """ahead[m-1-t] = ahead[m-t] K and behind[t] = K behind[t-1] for t = 1..m-1 (in place).

    ``ahead`` holds the forward rows last-first (its row m-1 is f_0), ``behind`` the
    backward rows in order (row 0 is b_0); both are C-contiguous [m, n].
    """
    steps, n = behind.shape
    full = n - n % 8
    for t in range(1, steps):
        f_old, f_new = ahead[steps - t], ahead[steps - 1 - t]
        b_old, b_new = behind[t - 1], behind[t]
        for j in range(n):
            f_new[j] = 0.0
        for i in range(0, full, 8):
            k0, k1, k2, k3 = kernel[i], kernel[i + 1], kernel[i + 2], kernel[i + 3]
            k4, k5, k6, k7 = kernel[i + 4], kernel[i + 5], kernel[i + 6], kernel[i + 7]
            w0, w1, w2, w3 = f_old[i], f_old[i + 1], f_old[i + 2], f_old[i + 3]
            w4, w5, w6, w7 = f_old[i + 4], f_old[i + 5], f_old[i + 6], f_old[i + 7]
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            for j in range(n):
                v = b_old[j]
                s0 += k0[j] * v
                s1 += k1[j] * v
                s2 += k2[j] * v
                s3 += k3[j] * v
                s4 += k4[j] * v
                s5 += k5[j] * v
                s6 += k6[j] * v
                s7 += k7[j] * v
                f_new[j] += (w0 * k0[j] + w1 * k1[j] + w2 * k2[j] + w3 * k3[j]) + (
                    w4 * k4[j] + w5 * k5[j] + w6 * k6[j] + w7 * k7[j]
                )
            b_new[i], b_new[i + 1], b_new[i + 2], b_new[i + 3] = s0, s1, s2, s3
            b_new[i + 4], b_new[i + 5], b_new[i + 6], b_new[i + 7] = s4, s5, s6, s7
        for i in range(full, n):
            row, w, s = kernel[i], f_old[i], 0.0
            for j in range(n):
                s += row[j] * b_old[j]
                f_new[j] += w * row[j]
            b_new[i] = s


def cache_folder() -> Path | None:
    """Where numba caches the compiled sweep, or None if no such folder can be written.

    ``NUMBA_CACHE_DIR`` if the user set it, else ``$XDG_CACHE_HOME/pgproof/numba`` (an
    absolute ``XDG_CACHE_HOME``), else ``~/.cache/pgproof/numba``; created if needed, and
    tried with a temporary file as numba itself does.
    """
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if not chosen:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            try:
                base = str(Path.home() / ".cache")
            except (RuntimeError, KeyError):  # no home folder to be found
                return None
        chosen = os.path.join(base, "pgproof", "numba")
    try:
        os.makedirs(chosen, exist_ok=True)
        tempfile.TemporaryFile(dir=chosen).close()
    except OSError:
        return None
    return Path(chosen)


def _compile() -> Callable[[np.ndarray, np.ndarray, np.ndarray], None]:
    """The numba-compiled :func:`_sweep`, compiled once per process.

    numba keeps the machine code in :func:`cache_folder`.  numba picks a function's cache
    location when the function is decorated, from ``numba.config.CACHE_DIR`` (which it
    reads from ``NUMBA_CACHE_DIR`` when it is imported), and would fall back on the
    ``__pycache__`` beside this module; so that setting points at the user's folder for
    this one decoration and is restored at once (the user's own numba functions cache
    where they did), and without a writable folder, or where numba refuses ``cache``
    (a RuntimeError), each process compiles the sweep afresh (about 1 s).
    """
    global _compiled
    if _compiled is None:
        import numba
        from numba.core import config

        options = {
            "boundscheck": False,
            "fastmath": {"reassoc", "contract"},
            "error_model": "numpy",
        }
        folder = cache_folder()
        compiled = None
        if folder is not None:
            saved = config.CACHE_DIR
            config.CACHE_DIR = str(folder)
            try:
                compiled = numba.njit(cache=True, **options)(_sweep)
            except RuntimeError:  # numba found no cache location after all
                compiled = None
            finally:
                config.CACHE_DIR = saved
        if compiled is None:
            compiled = numba.njit(cache=False, **options)(_sweep)
        _compiled = compiled
    return _compiled


def krylov_pair(kernel: np.ndarray, ahead: np.ndarray, behind: np.ndarray) -> None:
    """Both recursions for m = ``len(behind)`` rows, K read once per step (see module).

    ``kernel`` [n, n], ``ahead`` and ``behind`` [m, n]: float64, C-contiguous; ``ahead``
    holds f_0 in its last row and receives f_t in row m-1-t, ``behind`` holds b_0 in
    row 0 and receives b_t in row t.
    """
    for name, array in (("kernel", kernel), ("ahead", ahead), ("behind", behind)):
        if array.dtype != np.float64 or not array.flags.c_contiguous:
            raise ValueError(f"{name} must be a C-contiguous float64 array")
    if not (ahead.flags.writeable and behind.flags.writeable):
        raise ValueError("ahead and behind must be writeable")
    pairs = ((ahead, behind), (ahead, kernel), (behind, kernel))
    if any(np.may_share_memory(a, b) for a, b in pairs):
        raise ValueError("kernel, ahead and behind must not overlap in memory")
    n = kernel.shape[0]
    if kernel.shape != (n, n) or ahead.shape != behind.shape or ahead.shape[1:] != (n,):
        raise ValueError(
            f"shapes kernel {kernel.shape}, ahead {ahead.shape}, behind {behind.shape} "
            "do not match [n, n], [m, n], [m, n]"
        )
    _compile()(kernel, ahead, behind)
