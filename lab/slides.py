"""Slides: the race as an animated GIF or MP4, or one frame as a PNG, drawn on the server.

Teachers paste animations into their slides.  These are drawn with Pillow from what the page
already has — the surface picture (``figures.surface_picture``, the same colour bands) and the
decimated paths of ``simulate.Trajectories`` — without a browser: the surface, each run's path
growing, its head moving, minima ★, the start ○, a legend and the update counter.

The GIF is drawn in palette mode: the static picture (surface, axes, legend) is quantised once,
the run colours get palette entries of their own, and each frame only draws the paths' new
segments and the heads onto a copy, so a 1280 × 720, 6-second GIF of six runs takes a fraction
of a second (``bench/bench_slides.py``).  MP4 needs an ``ffmpeg`` binary (the system's, or the
one the ``imageio-ffmpeg`` package ships); without one the page offers GIF and PNG only.

Bounds (a request must not cost the class server much): at most ``MAX_SECONDS`` of animation
at ``FPS`` frames per second, sizes from ``SIZES`` only, and frames that never hold more than
one copy of the picture at a time besides the encoder's output.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .figures import fmt, surface_picture
from .i18n import DEFAULT, t
from .simulate import Trajectories

#: the sizes offered (width, height)
SIZES: dict[str, tuple[int, int]] = {
    "640 × 360": (640, 360),
    "1280 × 720": (1280, 720),
    "1920 × 1080": (1920, 1080),
}
DEFAULT_SIZE = (1280, 720)
FPS = 20
DEFAULT_SECONDS = 6.0
MIN_SECONDS = 1.0
MAX_SECONDS = 10.0
#: ffmpeg may take this long for the largest MP4 before the request is given up
FFMPEG_TIMEOUT_S = 20.0

BACKGROUND = (255, 255, 255)
INK = (31, 41, 51)
FRAME_INK = (120, 120, 120)
STAR = (255, 215, 0)

_FONTS = (  # the first that exists: CJK first (Chinese labels), then Latin
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def check_request(size: tuple[int, int], seconds: float) -> tuple[tuple[int, int], float]:
    """A size from SIZES and a length within bounds (ValueError otherwise)."""
    if tuple(size) not in SIZES.values():
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    if not MIN_SECONDS <= float(seconds) <= MAX_SECONDS:
        raise ValueError(f"length must be {MIN_SECONDS:g} to {MAX_SECONDS:g} s")
    return (int(size[0]), int(size[1])), float(seconds)


@dataclass(frozen=True)
class _Canvas:
    """Where things go: the plot area in pixels, the map from θ to pixels, and the places of
    what changes from frame to frame (the counter, each run's loss)."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    box: tuple[float, float, float, float]
    counter_at: tuple[int, int]
    loss_at: tuple[tuple[int, int], ...]

    def px(self, pts: np.ndarray) -> np.ndarray:
        """θ (n, 2) → pixel (n, 2), clipped well outside the canvas (a diverged run's 1e30
        must not reach Pillow)."""
        x0, x1, y0, y1 = self.box
        u = self.left + (pts[:, 0] - x0) / (x1 - x0) * (self.right - self.left)
        v = self.bottom - (pts[:, 1] - y0) / (y1 - y0) * (self.bottom - self.top)
        lim = 4 * max(self.width, self.height)
        out = np.column_stack([u, v])
        return np.clip(np.nan_to_num(out, nan=-lim, posinf=lim, neginf=-lim), -lim, lim)


def _wrap(d: ImageDraw.ImageDraw, text: str, font: object, width: float, lines: int) -> list[str]:
    """``text`` broken into at most ``lines`` lines of at most ``width`` pixels (by character:
    formulas and Chinese have few spaces), the last one shortened with … if need be."""
    out: list[str] = []
    cur = ""
    for ch in text:
        if d.textlength(cur + ch, font=font) > width:  # type: ignore[arg-type]
            out.append(cur)
            cur = ch.lstrip()
        else:
            cur += ch
    out.append(cur)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:-1] + "…"
    return out


def _theta(d: ImageDraw.ImageDraw, xy: tuple[float, float], i: int, font: object,
           small: object, anchor_right: bool) -> None:  # fmt: skip
    """θ with subscript i (fonts with CJK often lack the subscript digits ₁ ₂)."""
    w = d.textlength("θ", font=font) + d.textlength(str(i), font=small)  # type: ignore[arg-type]
    x, y = xy
    x = x - w if anchor_right else x
    d.text((x, y), "θ", font=font, fill=INK, anchor="lm")  # type: ignore[arg-type]
    d.text(
        (x + d.textlength("θ", font=font), y + 0.35 * font.size),
        str(i),  # type: ignore
        font=small,
        fill=INK,
        anchor="lm",
    )  # type: ignore[arg-type]


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    a = np.pi / 2 + np.arange(10) * np.pi / 5
    rr = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
    return list(zip((cx + rr * np.cos(a)).tolist(), (cy - rr * np.sin(a)).tolist(), strict=True))


def _layout(traj: Trajectories, size: tuple[int, int], lang: str) -> tuple[_Canvas, Image.Image]:
    """The static picture (RGB): the surface with its axes, minima and start on the left; on
    the right the surface's name and the legend (each run's loss goes under its name)."""
    w, h = size
    scale = h / 720
    f_title, f_text = _font(max(12, round(26 * scale))), _font(max(10, round(21 * scale)))
    f_small = _font(max(9, round(17 * scale)))
    img = Image.new("RGB", size, BACKGROUND)
    d = ImageDraw.Draw(img)
    pad = round(18 * scale)
    # the plot: as large as the left ~60 % allows, with the view box's aspect ratio
    x0, x1, y0, y1 = surface_picture(traj.surface)["box"]
    left, top, bottom = round(78 * scale), pad, h - round(56 * scale)
    avail_w, avail_h = round(0.62 * w) - left, bottom - top
    aspect = (x1 - x0) / (y1 - y0)
    pw, ph = (avail_w, round(avail_w / aspect)) if avail_w / avail_h < aspect else (
        round(avail_h * aspect), avail_h)  # fmt: skip
    right = left + pw
    top = bottom - ph
    pic = _surface_image(traj).resize((pw, ph), Image.Resampling.NEAREST)
    img.paste(pic.convert("RGB"), (left, top), pic.getchannel("A"))
    d.rectangle([left, top, right, bottom], outline=FRAME_INK, width=1)
    for frac in (0.0, 0.5, 1.0):  # three ticks per axis
        xv, yv = x0 + frac * (x1 - x0), y0 + frac * (y1 - y0)
        u = left + frac * (right - left)
        v = bottom - frac * (bottom - top)
        d.text((u, bottom + round(6 * scale)), fmt(xv), font=f_small, fill=INK, anchor="mt")
        d.text((left - round(8 * scale), v), fmt(yv), font=f_small, fill=INK, anchor="rm")
    _theta(d, ((left + right) / 2, bottom + round(38 * scale)), 1, f_text, f_small, False)
    _theta(d, (round(8 * scale), (top + bottom) / 2), 2, f_text, f_small, False)
    # the right panel: name, then one legend row per run with its loss below
    px0 = right + round(36 * scale)
    pwidth = w - pad - px0
    y = pad
    for line in _wrap(d, _title(traj, lang), f_title, pwidth, 3):
        d.text((px0, y), line, font=f_title, fill=INK)
        y += round(34 * scale)
    y += round(16 * scale)
    sw = round(30 * scale)
    loss_at = []
    for r in traj.runs:
        d.line([(px0, y + round(12 * scale)), (px0 + sw, y + round(12 * scale))],
               fill=_rgb(r.color), width=max(3, round(6 * scale)))  # fmt: skip
        label = _wrap(d, r.label, f_text, pwidth - sw - round(10 * scale), 1)[0]
        d.text((px0 + sw + round(10 * scale), y), label, font=f_text, fill=INK)
        loss_at.append((px0 + sw + round(10 * scale), y + round(28 * scale)))
        y += round(62 * scale)
    # the minima ★ and the start ○
    star = max(7, round(13 * scale))
    for mx, my in canvas_px((left, top, right, bottom), (x0, x1, y0, y1), traj.surface.minima):
        d.polygon(_star(mx, my, star), fill=STAR, outline=INK)
    ((sx, sy),) = canvas_px((left, top, right, bottom), (x0, x1, y0, y1), (traj.start,))
    rr = max(5, round(10 * scale))
    d.ellipse([sx - rr, sy - rr, sx + rr, sy + rr], outline=INK, width=max(2, round(2 * scale)))
    canvas = _Canvas(w, h, left, top, right, bottom, (x0, x1, y0, y1),
                     counter_at=(px0, h - round(56 * scale)), loss_at=tuple(loss_at))  # fmt: skip
    return canvas, img


def canvas_px(rect: tuple[int, int, int, int], box: tuple[float, float, float, float],
              pts: object) -> list[tuple[float, float]]:  # fmt: skip
    """Points θ inside the plot rectangle, in pixels (for the static marks)."""
    left, top, right, bottom = rect
    x0, x1, y0, y1 = box
    a = np.asarray(pts, dtype=float).reshape(-1, 2)
    u = left + (a[:, 0] - x0) / (x1 - x0) * (right - left)
    v = bottom - (a[:, 1] - y0) / (y1 - y0) * (bottom - top)
    return list(zip(u.tolist(), v.tolist(), strict=True))


def _title(traj: Trajectories, lang: str) -> str:
    """The surface's name in the page's language (a typed one: f(x, y) = its formula)."""
    s = traj.surface
    return s.name if s.key == "custom" else t(f"surface.{s.key}.name", lang)


def _surface_image(traj: Trajectories) -> Image.Image:
    uri = surface_picture(traj.surface)["uri"]
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA")


def _frame_times(traj: Trajectories, n: int) -> np.ndarray:
    """Indices into ``traj.frame_t`` for ``n`` frames, evenly over the run."""
    k = len(traj.frame_t)
    return np.unique(np.round(np.linspace(0, k - 1, min(n, k))).astype(np.int64))


def _frames(traj: Trajectories, size: tuple[int, int], ks: np.ndarray, lang: str,
            mode: str) -> Iterator[Image.Image]:  # fmt: skip
    """The frames at indices ``ks`` (increasing) of ``traj.frame_t``, in palette mode ("P",
    for GIF) or RGB (for MP4 and PNG)."""
    canvas, static = _layout(traj, size, lang)
    scale = size[1] / 720
    colors = [_rgb(r.color) for r in traj.runs]
    if mode == "P":
        base = static.quantize(colors=256 - len(colors) - 2, method=Image.Quantize.FASTOCTREE,
                               dither=Image.Dither.NONE)  # fmt: skip
        pal = base.getpalette() or []
        pal = pal[: 3 * (256 - len(colors) - 2)]
        pal += [c for rgb in colors for c in rgb] + [*INK, 255, 255, 255]
        base.putpalette(pal)
        first = 256 - len(colors) - 2
        ink_run = list(range(first, first + len(colors)))
        ink, white = first + len(colors), first + len(colors) + 1
    else:
        base = static
        ink_run, ink, white = colors, INK, (255, 255, 255)  # type: ignore[assignment]
    paths = base.copy()  # the decimated paths so far: each frame adds its new vertices
    dp = ImageDraw.Draw(paths)
    width = max(2, round(3 * scale))
    head = max(5, round(9 * scale))
    f_count = _font(max(11, round(24 * scale)))
    f_loss = _font(max(9, round(18 * scale)))
    path_px = [canvas.px(r.path) for r in traj.runs]
    drawn = [1] * len(traj.runs)  # vertices of each path drawn so far (the start counts)
    for k in ks:
        t_frame = int(traj.frame_t[k])
        reached = [max(1, int(np.searchsorted(r.path_t, t_frame, side="right")))
                   for r in traj.runs]  # fmt: skip
        for i in range(len(traj.runs)):
            if reached[i] > drawn[i]:
                seg = path_px[i][drawn[i] - 1 : reached[i]]
                dp.line([tuple(q) for q in seg], fill=ink_run[i], width=width, joint="curve")
                drawn[i] = reached[i]
        frame = paths.copy()
        d = ImageDraw.Draw(frame)
        for i, r in enumerate(traj.runs):
            hx, hy = canvas.px(r.frame_theta[k : k + 1])[0]
            lx, ly = path_px[i][reached[i] - 1]
            d.line([(lx, ly), (hx, hy)], fill=ink_run[i], width=width)  # last vertex → head
            d.ellipse([hx - head, hy - head, hx + head, hy + head], fill=ink_run[i],
                      outline=white, width=max(1, round(2 * scale)))  # fmt: skip
        for i, r in enumerate(traj.runs):
            what = t("fig.diverged", lang) if r.diverged and t_frame >= r.length - 1 else (
                f"{t('fig.loss', lang)} {fmt(float(r.frame_loss[k]))}")  # fmt: skip
            d.text(canvas.loss_at[i], what, font=f_loss, fill=ink)
        label = f"{t('fig.update_t', lang)}{t_frame:,} / {traj.steps:,}"
        d.text(canvas.counter_at, label, font=f_count, fill=ink)
        yield frame


def gif_bytes(traj: Trajectories, size: tuple[int, int] = DEFAULT_SIZE,
              seconds: float = DEFAULT_SECONDS, lang: str = DEFAULT) -> bytes:  # fmt: skip
    """The race as an animated GIF that loops, ``seconds`` long at FPS frames per second
    (ending on the last frame for a second)."""
    size, seconds = check_request(size, seconds)
    frames = list(_frames(traj, size, _frame_times(traj, round(seconds * FPS)), lang, "P"))
    durations = [round(1000 / FPS)] * (len(frames) - 1) + [1000]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=durations,
                   loop=0, optimize=False, disposal=1)  # fmt: skip
    return buf.getvalue()


def png_bytes(traj: Trajectories, frame: int | None = None, size: tuple[int, int] = DEFAULT_SIZE,
              lang: str = DEFAULT) -> bytes:  # fmt: skip
    """One frame (index into ``traj.frame_t``; default the last) as a PNG, in full colour."""
    size, _ = check_request(size, MIN_SECONDS)
    k = len(traj.frame_t) - 1 if frame is None else int(np.clip(frame, 0, len(traj.frame_t) - 1))
    (img,) = _frames(traj, size, np.array([k]), lang, "RGB")
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def ffmpeg_binary() -> str | None:
    """An ffmpeg to encode MP4 with: the system's, or the one imageio-ffmpeg ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return None


def mp4_bytes(traj: Trajectories, size: tuple[int, int] = DEFAULT_SIZE,
              seconds: float = DEFAULT_SECONDS, lang: str = DEFAULT) -> bytes | None:  # fmt: skip
    """The race as an H.264 MP4 (None when there is no ffmpeg).  Frames are piped to ffmpeg
    one at a time; it runs with one thread and a time limit."""
    exe = ffmpeg_binary()
    if exe is None:
        return None
    size, seconds = check_request(size, seconds)
    w, h = size
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "race.mp4"
        cmd = [exe, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset",
               "ultrafast", "-pix_fmt", "yuv420p", "-threads", "1", "-movflags", "+faststart",
               str(out)]  # fmt: skip
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)  # fmt: skip
        assert proc.stdin is not None
        try:
            ks = _frame_times(traj, round(seconds * FPS))
            for frame in _frames(traj, size, ks, lang, "RGB"):
                proc.stdin.write(frame.tobytes())
            proc.stdin.close()
            proc.wait(FFMPEG_TIMEOUT_S)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
            return None
        if proc.returncode != 0 or not out.exists():
            return None
        return out.read_bytes()
