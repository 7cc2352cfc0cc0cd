"""Slides: the race as GIF, MP4 and PNG, drawn on the server (lab/slides.py).

Each file must decode, have the frames and size asked for, and show the race: in the first
frame every run's head sits on the start, in the last frame on the run's final position.
"""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lab import urlstate
from lab.compute import run_labels
from lab.simulate import simulate
from lab.slides import (
    FPS,
    SIZES,
    _layout,
    ffmpeg_binary,
    gif_bytes,
    mp4_bytes,
    png_bytes,
)
from optimizers import preset
from surfaces import custom_surface, get_surface


def race(query: dict | None = None, lang: str = "en"):
    s, warnings = urlstate.parse(query or {})
    assert not warnings
    return simulate(s.surface, s.runs, s.start_point, s.steps, labels=run_labels(s.runs, lang))


def heads(traj, size, k):
    """Pixel position of each run's head at frame index k."""
    canvas, _ = _layout(traj, size, "en")
    return [canvas.px(r.frame_theta[k : k + 1])[0] for r in traj.runs]


def assert_heads(traj, frame, size, k):
    """Each run's head is drawn where the run is at frame k (in its colour, or in the colour of
    a later run whose head covers it: all runs start at the same point)."""
    pts = heads(traj, size, k)
    for i, p in enumerate(pts):
        on_top = max(j for j, q in enumerate(pts) if np.hypot(*(q - p)) < 12)
        want = hex_rgb(traj.runs[on_top].color)
        assert near(frame.getpixel((round(p[0]), round(p[1]))), want), traj.runs[i].label


def near(color, rgb, tol=40):
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(color, rgb, strict=False))


def hex_rgb(h):
    return tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))


def frames_of(gif: bytes) -> list[Image.Image]:
    im = Image.open(io.BytesIO(gif))
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(im.convert("RGB"))
    return out


def test_gif_has_the_frames_and_size_asked_for_and_shows_the_race():
    traj = race()
    size = SIZES["640 × 360"]
    gif = gif_bytes(traj, size=size, seconds=3.0)
    frames = frames_of(gif)
    assert len(frames) == 3 * FPS
    assert all(f.size == size for f in frames)
    first, last = frames[0], frames[-1]
    k_last = len(traj.frame_t) - 1
    for frame, k in ((first, 0), (last, k_last)):
        assert_heads(traj, frame, size, k)
    assert all(np.allclose(r.frame_theta[0], traj.start) for r in traj.runs)
    # the runs moved: the last frame differs from the first where the heads went
    assert first.tobytes() != last.tobytes()
    assert Image.open(io.BytesIO(gif)).info.get("loop") == 0


def test_paths_grow_frame_by_frame():
    traj = race()
    frames = frames_of(gif_bytes(traj, size=SIZES["640 × 360"], seconds=2.0))
    drawn = []
    for r in traj.runs:
        rgb = np.array(hex_rgb(r.color))
        counts = [int((np.abs(np.asarray(f, dtype=int) - rgb).sum(axis=2) < 30).sum())
                  for f in frames]  # fmt: skip
        drawn.append(counts)
        assert counts[-1] > counts[0]
        assert all(b >= a - 200 for a, b in itertools.pairwise(counts))  # head moves
    assert len(drawn) == 2


def test_png_is_one_frame_in_full_colour():
    traj = race()
    for name, size in SIZES.items():
        img = Image.open(io.BytesIO(png_bytes(traj, size=size)))
        assert img.size == size and img.mode == "RGB", name
    k = 10
    img = Image.open(io.BytesIO(png_bytes(traj, frame=k, size=(1280, 720)))).convert("RGB")
    assert_heads(traj, img, (1280, 720), k)


def test_labels_in_both_languages():
    en = png_bytes(race(lang="en"), size=(640, 360), lang="en")
    zh = png_bytes(race(lang="zh"), size=(640, 360), lang="zh")
    assert en != zh


@pytest.mark.parametrize(("size", "seconds"), [((1000, 1000), 3), ((640, 360), 0.5),
                                               ((640, 360), 11), ((640, 360), float("nan")),
                                               ((10**6, 10**6), 3)])  # fmt: skip
def test_requests_out_of_bounds_are_refused(size, seconds):
    with pytest.raises(ValueError):
        gif_bytes(race(), size=size, seconds=seconds)


def test_diverged_and_typed_runs_draw():
    """A run that leaves for 1e300 and a typed formula with a gap: drawn, no error."""
    s = get_surface("ellipse")
    traj = simulate(s, (preset("gd", lr=5.0), preset("adam", lr=0.05)), s.default_start, 300)
    assert traj.runs[0].diverged
    assert len(frames_of(gif_bytes(traj, size=(640, 360), seconds=1.0))) == FPS
    c = custom_surface("log(x) + y**2", (0.01, 3, -2, 2))
    traj = simulate(c, (preset("gd", lr=0.5),), c.default_start, 200)
    assert Image.open(io.BytesIO(png_bytes(traj, size=(640, 360)))).size == (640, 360)


def test_mp4_decodes_with_the_frames_asked_for():
    exe = ffmpeg_binary()
    assert exe is not None  # imageio-ffmpeg is a requirement
    mp4 = mp4_bytes(race(), size=(640, 360), seconds=2.0)
    assert mp4 is not None and mp4[4:8] == b"ftyp"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.mp4"
        path.write_bytes(mp4)
        out = subprocess.run([exe, "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                             capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    frames = re.findall(r"frame=\s*(\d+)", out.stderr)
    assert frames and int(frames[-1]) == 2 * FPS, out.stderr[-500:]
    assert re.search(r"640x360", out.stderr)
