"""Shape-keeping decimation: a short burst late in a long run is never dropped."""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import keep_shape, preset, run
from surfaces import get_surface


def slow_path_with_a_burst(n=100_000, at=90_000, length=30, height=0.5):
    t = np.arange(n)
    x = -1.5 * np.exp(-t / 30_000.0)
    y = 0.01 * np.exp(-t / 30_000.0) * np.cos(t / 3.0)  # small zig-zag
    burst = (t >= at) & (t < at + length)
    y = y + np.where(burst, height * np.sin(np.pi * (t - at) / length), 0.0)
    return np.stack([x, y], axis=-1), burst


@pytest.mark.parametrize("at", [3, 50_000, 90_000, 99_960])
@pytest.mark.parametrize("max_points", [500, 2000])
def test_a_30_update_burst_survives(at, max_points):
    path, burst = slow_path_with_a_burst(at=at)
    idx = keep_shape(path, max_points)
    assert len(idx) <= max_points
    assert idx[0] == 0 and idx[-1] == len(path) - 1
    assert np.all(np.diff(idx) > 0)
    kept = path[idx]
    assert np.any(burst[idx])
    assert kept[:, 1].max() == pytest.approx(path[:, 1].max())  # the burst's peak itself


def test_plain_striding_would_lose_the_burst():
    """Why keep_shape exists (and that the test above can fail): every 200th point misses it."""
    path, _ = slow_path_with_a_burst(at=90_000)
    stride = np.arange(0, len(path), 200)
    assert path[stride, 1].max() < 0.1 * path[:, 1].max()


def test_short_series_are_kept_whole_and_curves_work():
    assert keep_shape(np.arange(10.0), 100).tolist() == list(range(10))
    loss = np.exp(-np.arange(50_000) / 5000.0)
    loss[40_000:40_005] += 3.0  # a spike in a 1-D curve
    idx = keep_shape(loss, 300)
    assert len(idx) <= 300 and loss[idx].max() == loss.max()


def test_decimating_a_real_long_run_keeps_its_extremes():
    s = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    res = run(s, [preset("rms", lr=0.01)], steps=100_000, record=("theta",))
    path = res.theta[0]
    idx = keep_shape(path, 1500)
    for c in range(2):
        assert path[idx, c].min() == path[:, c].min() and path[idx, c].max() == path[:, c].max()
