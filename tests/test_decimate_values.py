"""keep_shape, rule by rule: what each of its kept points is there for.

In every bucket it keeps the first point, each channel's smallest and largest value, and the
point farthest from the bucket's chord.  The cases below are built so that exactly one rule
keeps the point that matters: a small excursion inside a larger trend is neither a minimum nor
a maximum of its bucket, only the chord rule keeps it."""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import keep_shape

N, MAX_POINTS = 10_000, 201  # 1-D: 40 buckets of 250; 2-D: 28 buckets of 358


def _bucket_of(i: int, n: int, max_points: int, channels: int) -> range:
    buckets = (max_points - 1) // (3 + 2 * channels)
    width = -(-n // buckets)
    start = (i // width) * width
    return range(start, min(start + width, n))


@pytest.mark.parametrize("j", [1125, 5070, 9_800])
@pytest.mark.parametrize("d", [2.0, -2.0])
def test_a_small_sideways_step_off_a_straight_diagonal_path_is_kept(j, d):
    """The path walks the diagonal x = y; at update j it steps d sideways, (x+d, y−d), and
    back.  In its bucket that point is no extreme of x or of y (the walk covers far more than
    d), so only the chord rule keeps it."""
    t = np.arange(N, dtype=float)
    path = np.stack([t, t], axis=-1)
    path[j] += (d, -d)
    b = _bucket_of(j, N, MAX_POINTS, 2)
    for c in range(2):  # the construction: j is no extreme of its bucket
        assert j not in (b.start + np.argmin(path[b, c]), b.start + np.argmax(path[b, c]))
    idx = keep_shape(path, MAX_POINTS)
    assert j in idx
    assert len(idx) <= MAX_POINTS and idx[0] == 0 and idx[-1] == N - 1


def test_a_bend_inside_a_bucket_is_kept_at_its_corner():
    """An L-shaped turn (right, then up) inside one bucket: the corner is farthest from the
    chord and is no extreme of either coordinate of that bucket."""
    t = np.arange(N, dtype=float)
    corner = 1125  # bucket [1074, 1432)
    x = np.where(t < corner, t, corner + 0.25 * (t - corner))
    y = np.where(t < corner, 0.25 * t, 0.25 * corner + (t - corner))
    path = np.stack([x, y], axis=-1)
    idx = keep_shape(path, MAX_POINTS)
    assert corner in idx


@pytest.mark.parametrize(("peak", "trough"), [(5.0, -6.0), (6.0, -5.0)])
def test_interior_peak_and_trough_of_a_curve_are_both_kept(peak, trough):
    """A 1-D curve, one bucket holding a peak and a trough that are not at its ends: both the
    largest and the smallest value must be kept.  The chord rule keeps the larger of the two
    excursions, so each order catches one of argmax and argmin going wrong."""
    v = np.zeros(N)
    v[1100], v[1200] = peak, trough  # both inside the bucket [1000, 1250)
    idx = keep_shape(v, MAX_POINTS)
    assert 1100 in idx and 1200 in idx
    assert v[idx].max() == peak and v[idx].min() == trough


def test_a_short_burst_on_a_steep_descent_of_a_curve_is_kept():
    """A loss curve that falls steeply, with a 5-update burst of +3 in the middle of a bucket:
    the burst is no extreme of its bucket (the fall is 250 per bucket) but it must survive."""
    v = 10_000.0 - np.arange(N, dtype=float)
    v[1120:1125] += 3.0
    idx = keep_shape(v, MAX_POINTS)
    assert np.any((idx >= 1120) & (idx < 1125))


@pytest.mark.parametrize("channels", [1, 2])
def test_the_count_of_kept_points_and_the_ends(channels):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(N, channels))
    idx = keep_shape(v, MAX_POINTS)
    assert idx.dtype == np.int64 and len(idx) <= MAX_POINTS
    assert idx[0] == 0 and idx[-1] == N - 1 and np.all(np.diff(idx) > 0)
    per_bucket = 3 + 2 * channels
    assert len(idx) > 0.6 * ((MAX_POINTS - 1) // per_bucket) * (per_bucket - 1)
    assert keep_shape(v[:MAX_POINTS], MAX_POINTS).tolist() == list(range(MAX_POINTS))
    with pytest.raises(ValueError, match="at least"):
        keep_shape(v, per_bucket)
