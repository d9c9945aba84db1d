"""Estimator plots (issue 14, item 3): running-mean error against m with its band and the
gradient's scale, and total variance, written as PNG, SVG or PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import TabularSoftmax
from pgproof.plots import PlotError, estimator_traces, plot_bytes, save_plot


@pytest.fixture(scope="module")
def traces():
    rng = np.random.default_rng(3)
    mdp = random_mdp(2, 2, 3, rng, 0.9)
    policy = TabularSoftmax(2, 2)
    theta = policy.random_theta(rng)
    names = ["reinforce", "state_baseline", "action_baseline"]
    return estimator_traces(
        mdp, policy, theta, [ESTIMATORS[n] for n in names], samples=5000, seed=1,
        problem="test MDP",
    )  # fmt: skip


def test_the_traces_tell_biased_from_unbiased(traces) -> None:
    by_name = {t.name: t for t in traces.traces}
    for name in ("reinforce", "state_baseline"):
        trace = by_name[name]
        assert trace.exact and trace.bias < 1e-9 and trace.expected_unbiased
        inside = (trace.errors <= trace.band).mean()
        assert inside > 0.9  # an unbiased mean stays (pointwise) in its band
    biased = by_name["action_baseline"]
    assert biased.expected_unbiased is False and biased.bias > 0.01
    assert biased.errors[-1] > biased.band[-1]  # it leaves its band
    assert by_name["state_baseline"].variance < by_name["reinforce"].variance
    assert np.all(np.diff(traces.traces[0].counts) > 0) and traces.traces[0].counts[-1] == 5000
    text = traces.text()
    assert "tr Cov(ĝ)" in text and "action_baseline" in text


FORMATS = [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")]


@pytest.mark.extra("plots")
@pytest.mark.parametrize(("suffix", "magic"), FORMATS)
def test_plots_are_written_in_each_format(traces, tmp_path: Path, suffix: str, magic: bytes):
    path = save_plot(traces, tmp_path / f"plot.{suffix}")
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 5000
    assert plot_bytes(traces, suffix) == data  # the same numbers give the same file


def test_an_unknown_format_is_refused(traces, tmp_path: Path) -> None:
    with pytest.raises(PlotError, match="unknown plot format 'gif'"):
        save_plot(traces, tmp_path / "plot.gif")
