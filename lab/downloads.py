"""The Playground's slide downloads (lab.slides: GIF, MP4, PNG), rendered when the button is
clicked, inside the same per-session CPU guard as the engine's calls (lab.fairness).

A download button's data callable runs in a worker thread of Streamlit's server (its
"deferred file" request), outside the script's run, so the session is named explicitly: the
page passes its session id into the ``partial``, and ``slide_bytes`` runs the rendering with
``fairness.run_gated(session, …)`` and a ``fairness.slot()`` around Pillow and ffmpeg — the
rendering counts to the session's recent CPU use, waits its turn when that session is over its
allowance while others use the server, and never runs beside another engine call of the same
session.  The sizes and lengths are bounded by lab.slides (SIZES, MAX_SECONDS; ffmpeg has a
time limit); a few renderings are cached, so a class that downloads the same default GIF has it
drawn once.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from . import fairness
from .compute import race
from .slides import SIZES, gif_bytes, mp4_bytes, png_bytes

KINDS = ("gif", "mp4", "png")
MIME = {"gif": "image/gif", "mp4": "video/mp4", "png": "image/png"}


def session_id() -> str | None:
    """The running script's session (None outside one)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else ctx.session_id


@st.cache_resource(max_entries=6, ttl=600, show_spinner=False)
def _render(key: str, kind: str, size: str, seconds: float, frame: int, lang: str) -> bytes:
    """The file (cached: a few, for ten minutes).  The race comes from the engine's cache
    (its own slot on a miss); the drawing takes a slot of its own."""
    traj = race(key)[0]
    wh = SIZES[size]
    with fairness.slot():
        if kind == "gif":
            return gif_bytes(traj, wh, seconds, lang=lang)
        if kind == "mp4":
            out = mp4_bytes(traj, wh, seconds, lang=lang)
            if out is None:
                raise RuntimeError("ffmpeg is missing or failed")
            return out
        return png_bytes(traj, frame, wh, lang=lang)


def slide_bytes(session: str | None, key: str, kind: str, size: str, seconds: float,
                frame: int, lang: str) -> bytes:  # fmt: skip
    """A download button's data: the race ``key`` (lab.compute.query_key) as ``kind`` at
    ``size`` (a key of SIZES), ``seconds`` long (GIF, MP4) or at frame index ``frame`` (PNG),
    with ``lang``'s labels; in ``session``'s turn."""
    if kind not in KINDS or size not in SIZES:
        raise ValueError(f"no such slide download: {kind} {size}")
    args: tuple[Any, ...] = (key, kind, size, float(seconds), int(frame), lang)
    if session is None:
        return _render(*args)
    return fairness.run_gated(session, _render, *args)
