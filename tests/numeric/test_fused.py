"""The fused sweep (both DP recursions, K read once per step) against BLAS and enumeration.

numba is in the test extra, so these run (never skip) wherever the test suite runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pgproof.numeric.dp as dp
from pgproof.numeric import fused
from pgproof.numeric.enumeration import exact_gradient_enumeration, exact_objective

from .conftest import make_problem


def _by_blas(kernel: np.ndarray, steps: int, first_row: np.ndarray, first_column: np.ndarray):
    """The two recursions as separate matrix-vector products, rows in time order."""
    forward, backward = [first_row], [first_column]
    for _ in range(steps - 1):
        forward.append(forward[-1] @ kernel)
        backward.append(kernel @ backward[-1])
    return np.array(forward), np.array(backward)


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 16, 23, 64, 201])
@pytest.mark.parametrize("steps", [1, 2, 13])
def test_the_sweep_equals_two_matrix_vector_products_per_step(n, steps):
    """Every row size (multiples of 8, remainders, fewer than 8 rows) and short chains."""
    rng = np.random.default_rng(n * 100 + steps)
    kernel = rng.standard_normal((n, n)) / np.sqrt(n)
    ahead, behind = np.full((steps, n), np.nan), np.full((steps, n), np.nan)
    ahead[-1], behind[0] = rng.standard_normal(n), rng.standard_normal(n)
    expected_forward, expected_backward = _by_blas(kernel, steps, ahead[-1].copy(), behind[0])
    fused.krylov_pair(kernel, ahead, behind)
    scale = max(np.abs(expected_forward).max(), np.abs(expected_backward).max())
    np.testing.assert_allclose(ahead[::-1], expected_forward, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(behind, expected_backward, rtol=0, atol=1e-13 * scale)


def test_the_sweep_refuses_arrays_it_would_misread():
    square, rows = np.zeros((4, 4)), np.zeros((3, 4))
    with pytest.raises(ValueError, match="C-contiguous float64"):
        fused.krylov_pair(np.asfortranarray(np.arange(16.0).reshape(4, 4)), rows, rows.copy())
    with pytest.raises(ValueError, match="C-contiguous float64"):
        fused.krylov_pair(square.astype(np.float32), rows, rows.copy())
    with pytest.raises(ValueError, match="do not match"):
        fused.krylov_pair(square, rows, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="do not match"):
        fused.krylov_pair(np.zeros((4, 5)), rows, rows.copy())
    with pytest.raises(ValueError, match="overlap"):
        fused.krylov_pair(square, rows, rows)
    frozen = rows.copy()
    frozen.setflags(write=False)
    with pytest.raises(ValueError, match="writeable"):
        fused.krylov_pair(square, frozen, rows)


@pytest.fixture
def sweeps(monkeypatch):
    """Count the calls of the fused sweep made by the DP."""
    calls = []
    original = fused.krylov_pair

    def counted(*args):
        calls.append(args[0].shape)
        original(*args)

    monkeypatch.setattr(fused, "krylov_pair", counted)
    return calls


@pytest.mark.parametrize("kind", ["tabular", "linear"])
@pytest.mark.parametrize("discount", [1.0, 0.6])
def test_the_dp_through_the_sweep_agrees_with_enumeration(monkeypatch, sweeps, kind, discount):
    """Forced onto the fused path at sizes small enough to enumerate every trajectory."""
    monkeypatch.setattr(fused, "MIN_STATES", 1)
    for shape in [(1, 2, 3), (3, 2, 4), (2, 3, 5)]:
        mdp, policy, theta = make_problem(kind, seed=3, shape=shape, discount=discount)
        value, gradient = dp.exact_value_and_gradient_dp(mdp, policy, theta)
        np.testing.assert_allclose(
            gradient, exact_gradient_enumeration(mdp, policy, theta), rtol=0, atol=1e-10
        )
        assert abs(value - exact_objective(mdp, policy, theta)) < 1e-10
    assert len(sweeps) == 3


@pytest.mark.parametrize("shape", [(16, 3, 9), (71, 4, 30), (130, 2, 12)])
def test_the_dp_takes_the_sweep_from_min_states_on_and_matches_blas(monkeypatch, sweeps, shape):
    mdp, policy, theta = make_problem("tabular", seed=8, shape=shape, discount=0.95)
    value, gradient = dp.exact_value_and_gradient_dp(mdp, policy, theta)
    assert sweeps == [(shape[0] + 1, shape[0] + 1)]
    monkeypatch.setattr(fused, "_available", False)  # as without numba: the BLAS loop
    blas_value, blas_gradient = dp.exact_value_and_gradient_dp(mdp, policy, theta)
    assert len(sweeps) == 1
    scale = np.abs(blas_gradient).max()
    np.testing.assert_allclose(gradient, blas_gradient, rtol=0, atol=1e-12 * scale)
    assert abs(value - blas_value) <= 1e-12 * abs(blas_value)


def test_a_batch_takes_the_sweep_theta_by_theta_and_matches_blas(monkeypatch, sweeps):
    mdp, policy, theta = make_problem("linear", seed=2, shape=(24, 3, 11), discount=0.9)
    thetas = np.stack([theta, -theta, 2 * theta])
    gradients = dp.exact_gradient_dp_batch(mdp, policy, thetas)
    values = dp.exact_objective_dp_batch(mdp, policy, thetas)  # the forward recursion alone
    assert sweeps == [(25, 25)] * 3
    monkeypatch.setattr(fused, "_available", False)
    for row, value, gradient in zip(thetas, values, gradients, strict=True):
        blas_value, blas_gradient = dp.exact_value_and_gradient_dp(mdp, policy, row)
        np.testing.assert_allclose(gradient, blas_gradient, rtol=0, atol=1e-13)
        assert abs(value - blas_value) < 1e-13
    assert len(sweeps) == 3


def test_small_problems_objectives_and_time_dependent_policies_keep_blas(sweeps):
    assert fused.MIN_STATES == 16
    mdp, policy, theta = make_problem("tabular", seed=1, shape=(15, 3, 20))
    dp.exact_gradient_dp(mdp, policy, theta)
    dp.exact_gradient_dp_batch(mdp, policy, np.stack([theta, theta]))
    mdp, policy, theta = make_problem("tabular", seed=1, shape=(20, 3, 6))
    dp.exact_objective_dp(mdp, policy, theta)
    mdp, policy, theta = make_problem("time_dependent", seed=1, shape=(20, 3, 6))
    dp.exact_gradient_dp(mdp, policy, theta)
    assert sweeps == []


def _user_cache(monkeypatch, folder: Path) -> None:
    """The user's cache folder is ``folder`` (and no NUMBA_CACHE_DIR of theirs)."""
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))


def _small_sweep() -> None:
    kernel, ahead, behind = np.eye(9) * 2.0, np.zeros((3, 9)), np.zeros((3, 9))
    ahead[-1], behind[0] = 1.0, 1.0
    fused.krylov_pair(kernel, ahead, behind)
    np.testing.assert_array_equal(ahead[0], 4.0)
    np.testing.assert_array_equal(behind[2], 4.0)


def test_the_compiled_sweep_is_cached_in_the_user_cache_folder(monkeypatch, tmp_path: Path):
    """Never beside the module (the source tree, or site-packages)."""
    from numba.core import config

    _user_cache(monkeypatch, tmp_path)
    assert fused.cache_folder() == tmp_path / "pgproof" / "numba"
    in_tree = Path(fused.__file__).parent / "__pycache__"

    def beside_the_module() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in in_tree.glob("fused._sweep*")}

    setting, there = config.CACHE_DIR, beside_the_module()
    monkeypatch.setattr(fused, "_compiled", None)
    _small_sweep()
    assert setting == config.CACHE_DIR  # the user's numba setting is left as it was
    cached = sorted(p.name for p in (tmp_path / "pgproof" / "numba").rglob("*"))
    assert any(n.startswith("fused._sweep") and n.endswith(".nbi") for n in cached), cached
    assert any(n.startswith("fused._sweep") and n.endswith(".nbc") for n in cached), cached
    assert beside_the_module() == there  # nothing written (or rewritten) beside the module


def test_numba_cache_dir_set_by_the_user_is_respected(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert fused.cache_folder() == tmp_path / "mine"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert fused.cache_folder() == tmp_path / "xdg" / "pgproof" / "numba"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as XDG says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert fused.cache_folder() == tmp_path / "home" / ".cache" / "pgproof" / "numba"


def test_an_unwritable_cache_folder_means_compiling_in_the_process(monkeypatch, tmp_path: Path):
    import numba

    (tmp_path / "a file").write_text("not a folder", encoding="utf-8")
    _user_cache(monkeypatch, tmp_path / "a file")
    assert fused.cache_folder() is None
    real_njit, asked = numba.njit, []

    def njit(cache: bool, **options):
        asked.append(cache)
        return real_njit(cache=cache, **options)

    monkeypatch.setattr(numba, "njit", njit)
    monkeypatch.setattr(fused, "_compiled", None)
    _small_sweep()
    assert asked == [False]


def test_without_a_writable_cache_the_sweep_is_compiled_in_the_process(monkeypatch, tmp_path):
    import numba

    _user_cache(monkeypatch, tmp_path)
    real_njit, asked = numba.njit, []

    def njit(cache: bool, **options):
        asked.append(cache)
        if cache:
            raise RuntimeError("cannot cache function '_sweep': no locator available")
        return real_njit(cache=cache, **options)

    monkeypatch.setattr(numba, "njit", njit)
    monkeypatch.setattr(fused, "_compiled", None)
    kernel, ahead, behind = np.eye(9) * 2.0, np.zeros((3, 9)), np.zeros((3, 9))
    ahead[-1], behind[0] = 1.0, 1.0
    fused.krylov_pair(kernel, ahead, behind)
    assert asked == [True, False]
    np.testing.assert_array_equal(ahead[0], 4.0)
    np.testing.assert_array_equal(behind[2], 4.0)


def test_a_numba_that_fails_to_import_counts_as_absent(monkeypatch, sweeps):
    """Installed but broken (built for another NumPy, say): the DP keeps its BLAS loop."""
    import builtins

    real_import = builtins.__import__

    def refuse_numba(name, *args, **kwargs):
        if name == "numba":
            raise ImportError("Numba needs NumPy 2.2 or less")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse_numba)
    monkeypatch.setattr(fused, "_compiled", None)
    monkeypatch.setattr(fused, "_available", True)
    mdp, policy, theta = make_problem("tabular", seed=6, shape=(20, 2, 5), discount=0.9)
    gradient = dp.exact_gradient_dp(mdp, policy, theta)
    assert sweeps == [] and fused._available is False
    monkeypatch.undo()
    np.testing.assert_allclose(gradient, dp.exact_gradient_dp(mdp, policy, theta), atol=1e-13)
