"""keep_shape, by value, where mutation testing (scripts/mutate.sh) found a rule unpinned: the
exact points of a series that stands still (the bucket count uses the whole budget), the edges (empty,
one point, the smallest allowed budget, the default budget), paths that stand still or loop,
curves below zero, small coordinates, and excursions in several buckets at once."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optimizers import keep_shape

N = 10_000


def _bucket_starts(n: int, max_points: int, channels: int) -> list[int]:
    """A series that stands still keeps exactly its buckets' first points and its last: as many
    buckets as fit the budget (first, chord-farthest, min and max per channel each, and the
    end once), all of one width."""
    buckets = (max_points - 1) // (3 + 2 * channels)
    width = -(-n // buckets)
    return sorted({k * width for k in range(buckets) if k * width < n} | {n - 1})


@pytest.mark.parametrize("max_points", [201, 204, 300, 2000])
@pytest.mark.parametrize("n", [2001, 2004, N])  # 2004: buckets of 6, one would start at n
def test_a_series_that_stands_still_keeps_exactly_its_bucket_starts(n, max_points):
    assert keep_shape(np.full(n, 3.0), max_points).tolist() == _bucket_starts(n, max_points, 1)
    path = np.full((n, 2), 3.0)
    assert keep_shape(path, max_points).tolist() == _bucket_starts(n, max_points, 2)


def test_the_edges():
    empty = keep_shape([])
    assert empty.dtype == np.int64 and empty.shape == (0,)
    assert keep_shape([5.0]).tolist() == [0]
    whole = keep_shape(np.zeros(7))
    assert whole.dtype == np.int64 and whole.tolist() == list(range(7))
    # the smallest budget: one bucket of 5 (a curve) or 7 (a path) and the end
    assert len(keep_shape(np.arange(N, dtype=float), 6)) <= 6
    assert len(keep_shape(np.zeros((N, 2)), 8)) <= 8
    with pytest.raises(ValueError, match=r"^max_points must be at least 6, got 5$"):
        keep_shape(np.arange(N, dtype=float), 5)
    with pytest.raises(ValueError, match=r"^max_points must be at least 8, got 7$"):
        keep_shape(np.zeros((N, 2)), 7)


def test_the_default_budget_is_2000_points():
    assert keep_shape(np.arange(2000.0)).tolist() == list(range(2000))
    for n in (2001, 50_000):
        idx = keep_shape(np.arange(float(n)))
        assert len(idx) <= 2000 and idx[0] == 0 and idx[-1] == n - 1
    assert keep_shape(np.ones(2001)).tolist() == _bucket_starts(2001, 2000, 1)


def test_a_path_that_stands_still_decimates_silently():
    """A run that has converged stands still: its buckets have no chord.  No NumPy warning (the
    suite turns RuntimeWarning into an error) and the ends are kept."""
    path = np.zeros((N, 2))
    path[:500] = np.linspace(1.0, 0.0, 500)[:, None]
    idx = keep_shape(path, 201)
    assert idx[0] == 0 and idx[-1] == N - 1 and len(idx) <= 201


def test_a_loop_back_to_the_buckets_start_keeps_its_far_corner():
    """An orbit that comes back to where its bucket began (no chord): the kept point is the one
    farthest from that start, here the corner (6, 6), which is no extreme of x or of y."""
    corners = np.array([(0.0, 0.0), (7.0, 0.0), (6.0, 6.0), (0.0, 7.0), (0.0, 0.0)])
    loop = [np.linspace(a, b, 89, endpoint=False) for a, b in itertools.pairwise(corners)]
    loop = np.concatenate([*loop, corners[-1:]])  # 357 points, back at (0, 0)
    # a path (2 channels) of 10,000 points in 201: 28 buckets of 358; the loop fills the third
    # bucket but its last point, the rest of the path rests at (0, 0)
    path = np.zeros((N, 2))
    start = 2 * 358
    path[start : start + len(loop)] = loop
    corner = start + 2 * 89
    assert tuple(path[corner]) == (6.0, 6.0)
    assert corner in keep_shape(path, 201)


def test_a_burst_on_a_curve_below_zero_is_kept():
    """Losses can be negative (a saddle): a short burst on a falling curve below zero."""
    v = -np.arange(N, dtype=float)
    v[1120:1125] += 3.0
    idx = keep_shape(v, 201)
    assert np.any((idx >= 1120) & (idx < 1125))


def test_a_small_burst_is_measured_from_the_exact_chord():
    """A burst of 0.3 on a fall of 249 per bucket: only the exact straight line over the
    bucket's updates tells it from the fall."""
    v = 10_000.0 - np.arange(N, dtype=float)
    v[1125] += 0.3  # bucket [1000, 1250), in its middle
    assert 1125 in keep_shape(v, 201)


def test_a_sidestep_of_a_path_in_small_coordinates_is_kept():
    """The diagonal walk with its sidestep, scaled down 10,000 times: the chord is shorter than
    1 but still a chord."""
    t = np.arange(N, dtype=float) * 1e-4
    path = np.stack([t, t], axis=-1)
    path[1125] += (2e-4, -2e-4)
    assert 1125 in keep_shape(path, 201)


def test_each_buckets_own_excursions_are_kept():
    """Peaks, troughs and sidesteps in several buckets at once: each bucket keeps its own."""
    v = np.zeros(N)
    peaks = [1100, 3110, 6120, 9130]
    for p in peaks:
        v[p], v[p + 60] = 5.0, -6.0  # the trough is the bigger excursion: the chord keeps it
    idx = set(keep_shape(v, 201).tolist())
    assert all(p in idx and p + 60 in idx for p in peaks)
    t = np.arange(N, dtype=float)
    path = np.stack([t, t], axis=-1)
    steps = [1125, 5070, 9800]
    for j in steps:
        path[j] += (2.0, -2.0)
    idx = set(keep_shape(path, 201).tolist())
    assert all(j in idx for j in steps)
