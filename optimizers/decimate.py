"""Fewer points for drawing, the same picture: shape-keeping decimation.

A 100,000-update run cannot be sent to a browser point by point, and plain striding (every
200th point) drops a burst that lasts 30 updates.  ``keep_shape`` cuts the series into buckets
and keeps, in every bucket, its first and last point, the smallest and largest value of every
channel (x and y of a path, or a curve's value: the M4 rule of line-chart decimation), and the
point farthest from the bucket's chord (for a path the segment between the bucket's ends in the
plane, for a curve the straight line over its updates) — so every excursion survives, whatever
its length, even a small one inside a larger trend.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def keep_shape(values: ArrayLike, max_points: int = 2000) -> NDArray[np.int64]:
    """Sorted indices into ``values`` (shape (n,) or (n, C)), at most ``max_points`` of them,
    always including the first and the last."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    n, c = v.shape[0], v.shape[1]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    per_bucket = 3 + 2 * c  # first, chord-farthest, argmin and argmax per channel (+ last once)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    if max_points < per_bucket + 1:
        raise ValueError(f"max_points must be at least {per_bucket + 1}, got {max_points}")
    buckets = (max_points - 1) // per_bucket
    width = -(-n // buckets)  # ceil
    pad = buckets * width - n
    w = np.concatenate([v, np.repeat(v[-1:], pad, axis=0)]) if pad else v
    w = w.reshape(buckets, width, c)
    base = np.arange(buckets, dtype=np.int64)[:, None] * width
    keep = [base[:, 0], np.array([n - 1])]
    keep.append((base + np.argmin(w, axis=1)).ravel())
    keep.append((base + np.argmax(w, axis=1)).ravel())
    # the point farthest from the straight line between the bucket's ends
    first, last = w[:, :1, :], w[:, -1:, :]
    chord = last - first
    rel = w - first
    if c == 1:  # a curve: its chord is the straight line over the updates (value vs. t)
        proj = np.broadcast_to(np.arange(width) / max(width - 1, 1), rel.shape[:2])
    else:  # a path: the nearest point of the chord in the plane
        length2 = np.sum(chord * chord, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            proj = np.where(length2 > 0, np.sum(rel * chord, axis=-1) / length2, 0.0)
    dist = np.sum((rel - proj[..., None] * chord) ** 2, axis=-1)
    keep.append(base[:, 0] + np.argmax(dist, axis=1))
    idx = np.unique(np.concatenate(keep))
    return idx[idx < n]
