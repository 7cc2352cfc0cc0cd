"""The basin page's figure (lab.basins computes it): the cells as a picture under the axes
(plotly.js's basic bundle has no heatmap; lab.chart) with the surface's contour lines, the
minima ★ and saddles ✕, a legend entry per basin, and an invisible marker per cell for hover and
click (``meta.role`` "cells"); coloured by the basin each start reached, or by the updates it
needed.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from surfaces import Surface

from .basins import DIVERGED, MAX_LEGEND, NONE, OTHER, UNDEFINED, BasinResult
from .colors import BASIN_COLORS, ISOLINE_DARKEN, SPARE_COLORS
from .figures import FONT, fmt, short
from .i18n import t
from .plaintext import plotly_literal

Array = NDArray[np.float64]
Fig = dict[str, Any]

SPECIAL_COLORS = {DIVERGED: "#262626", NONE: "#d4d4d4", OTHER: SPARE_COLORS[-1],
                  UNDEFINED: "#ffffff"}  # fmt: skip
#: the cells are mixed this much with white, so contour lines and markers stay readable
PALE = 0.25
#: the picture is at least this many pixels a side (each cell a square of pixels; the browser
#: stretches it to the plot, a little blurred between cells)
PICTURE_PX = 256


# -- the figure ------------------------------------------------------------------------------------
def _rgb(color: str) -> Array:
    c = color.lstrip("#")
    return np.array([int(c[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


def _hex(rgb: Array) -> str:
    return "#" + "".join(f"{round(v):02x}" for v in rgb)


def class_color(res: BasinResult, c: int) -> str:
    """The colour a class of cells is drawn in (pale: mixed with white)."""
    base = SPECIAL_COLORS[c] if c < 0 else BASIN_COLORS[res.basins[c].color]
    if c in (DIVERGED, UNDEFINED):
        return base
    return _hex(_rgb(base) * (1 - PALE) + 255 * PALE)


#: updates to the target: a sequential scale (few updates dark, many light), Okabe–Ito's blue
UPDATES_SCALE = ((0.0, "#08306b"), (0.35, "#2b7bba"), (0.7, "#89bedc"), (1.0, "#e8f1fa"))


def _scale_rgb(u: Array) -> Array:
    stops = np.array([s for s, _ in UPDATES_SCALE])
    cols = np.array([_rgb(c) for _, c in UPDATES_SCALE])
    return np.stack([np.interp(u, stops, cols[:, k]) for k in range(3)], axis=-1)


def _updates_range(res: BasinResult) -> tuple[float, float]:
    """log10(1 + updates) over the cells that reached the target: the colour scale's ends."""
    h = res.hit[res.hit >= 0]
    if not h.size:
        return 0.0, 1.0
    lo, hi = math.log10(1 + int(h.min())), math.log10(1 + int(h.max()))
    return lo, max(hi, lo + 1e-9)


def cell_rgb(res: BasinResult, color_by: str) -> Array:
    """The colour of every cell (n, n, 3), what the picture shows."""
    rgb = np.empty((res.n, res.n, 3))
    codes = np.unique(res.cls)
    for c in codes.tolist():
        rgb[res.cls == c] = _rgb(class_color(res, c))
    if color_by == "updates":
        lo, hi = _updates_range(res)
        reached = res.hit >= 0
        u = (np.log10(1 + np.maximum(res.hit, 0)) - lo) / (hi - lo)
        rgb[reached] = _scale_rgb(np.clip(u[reached], 0, 1))
        rgb[~reached & (res.cls >= 0)] = _rgb(class_color(res, NONE))
    return rgb


def _contour_edges(surface: Surface, size: int, levels: int = 14) -> NDArray[np.bool_]:
    """Pixels (size, size) [iy, ix] on a boundary between log-spaced loss bands (as the
    Playground's picture draws its lines)."""
    x0, x1, y0, y1 = surface.view
    px = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    py = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
    gx, gy = np.meshgrid(px, py)
    loss = surface.loss(np.stack([gx, gy], axis=-1))
    finite = np.isfinite(loss)
    if not finite.any():
        return np.zeros((size, size), dtype=bool)
    lo, hi = float(loss[finite].min()), float(np.quantile(loss[finite], 0.98))
    span = max(hi - lo, 1e-300)
    delta = span * 1e-4
    with np.errstate(all="ignore"):
        z = np.log10(np.where(finite, loss - lo, 0.0) + delta)
    frac = np.clip((z - math.log10(delta)) / max(math.log10(span + delta) - math.log10(delta),
                                                 1e-12), 0, 1)  # fmt: skip
    band = np.minimum((frac * levels).astype(np.int64), levels - 1)
    edge = np.zeros_like(band, dtype=bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    return edge & finite


def picture(res: BasinResult, color_by: str) -> str:
    """The cells as a PNG (data URI), each a square of pixels, with the contour lines."""
    k = max(1, -(-PICTURE_PX // res.n))
    size = res.n * k
    rgb = np.repeat(np.repeat(cell_rgb(res, color_by), k, axis=0), k, axis=1)
    edge = _contour_edges(res.surface, size)
    rgb[edge] *= ISOLINE_DARKEN
    alpha = np.where(np.repeat(np.repeat(res.cls == UNDEFINED, k, 0), k, 1), 0, 255)
    img = np.dstack([rgb.astype(np.uint8), alpha.astype(np.uint8)])[::-1]  # row 0: y max
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(img), "RGBA").save(buf, "PNG", compress_level=4)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def class_name(res: BasinResult, c: int, lang: str) -> str:
    """What a class of cells is called in the legend and the hover."""
    if c >= 0:
        b = res.basins[c]
        key = "basins.known" if b.known else "basins.found"
        x0, x1, y0, y1 = res.surface.view
        tiny = 1e-6 * max(x1 - x0, y1 - y0)  # (round-off of 0 reads as 0)
        x, y = (0.0 if abs(v) < tiny else v for v in b.point)
        return t(key, lang, x=fmt(x), y=fmt(y), loss=fmt(b.loss))
    words = {DIVERGED: "basins.diverged", NONE: "basins.none", OTHER: "basins.other",
             UNDEFINED: "basins.undefined"}  # fmt: skip
    return t(words[c], lang, steps=f"{res.steps:,}")


def _sig4(a: Array) -> list[float]:
    """Four significant figures, vectorised (a cell's loss in the hover: short JSON)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(all="ignore"):
        mag = 10.0 ** (np.floor(np.log10(np.abs(a))) - 3)
        out = np.where((a != 0) & np.isfinite(mag), np.round(a / mag) * mag, a)
    return np.round(out, 12).tolist()


def _round(a: Array, box: float) -> list[float]:
    decimals = int(max(0, 4 - np.floor(np.log10(max(box, 1e-12)))))
    return np.round(np.asarray(a, dtype=np.float64), decimals).tolist()


def basin_figure(
    res: BasinResult,
    *,
    lang: str = "en",
    color_by: str = "minimum",
    pick: tuple[float, float] | None = None,
    height: int = 640,
    compact: bool = False,
) -> Fig:
    """The basins picture: cells coloured by the minimum reached (``color_by="minimum"``) or
    by the updates to the target (``"updates"``) over the view box, contour lines, minima ★,
    saddles ✕, a legend entry per class, the picked start ◯.  A plotly figure dict.

    ``layout.meta``: ``n``, ``color_by``, ``z`` (n rows of n, row 0 the lowest y: the class of
    each cell, or the updates it needed, −1 where it did not reach the target), ``classes``
    (the class codes in the legend's order).  Every trace carries ``meta.role``: "cells" (one
    per class, an invisible marker per cell: hover and click), "legend", "minimum", "saddle",
    "pick", "scale"."""
    if color_by not in ("minimum", "updates"):
        raise ValueError(f"color_by must be 'minimum' or 'updates', got {color_by!r}")
    s = res.surface
    x0, x1, y0, y1 = s.view
    box = max(x1 - x0, y1 - y0)
    gx, gy = np.meshgrid(res.xs, res.ys)
    codes = [c for c in (*range(len(res.basins)), OTHER, NONE, DIVERGED, UNDEFINED)
             if np.any(res.cls == c)]  # fmt: skip
    loss_word, start_word = t("fig.loss", lang), t("fig.start", lang)
    data: list[dict[str, Any]] = []
    for c in codes:
        cells = res.cls == c
        name = plotly_literal(class_name(res, c, lang))
        hit = res.hit[cells]
        custom = list(zip(_sig4(res.final_loss[cells]),
                          np.where(hit >= 0, np.char.mod("%d", hit), "—").tolist(),
                          strict=True))  # fmt: skip
        updates = t("basins.hover_updates", lang, n="%{customdata[1]}")
        data.append({
            "type": "scatter", "x": _round(gx[cells], box), "y": _round(gy[cells], box),
            "customdata": custom, "mode": "markers", "name": name, "showlegend": False,
            "marker": {"size": 10, "opacity": 0, "color": "#000"},
            "hovertemplate": f"<b>{name}</b><br>{start_word} (%{{x:.3g}}, %{{y:.3g}})<br>"
                             + (f"{loss_word} = %{{customdata[0]:.4g}}<br>{updates}"
                                if c >= NONE else "")
                             + "<extra></extra>",
            "meta": {"role": "cells", "class": c},
        })  # fmt: skip
    named = [c for c in codes if c >= 0][:MAX_LEGEND]
    more = sum(1 for c in codes if c >= 0) - len(named)
    legend = [*named, *(c for c in codes if c < 0)] if color_by == "minimum" else [
        c for c in codes if c < 0]  # fmt: skip
    for c in legend:
        name = class_name(res, c, lang)
        data.append({
            "type": "scatter", "x": [None], "y": [None], "mode": "markers",
            "name": plotly_literal(name), "hoverinfo": "skip",
            "marker": {"symbol": "square", "size": 14, "color": class_color(res, c),
                       "line": {"color": "#555", "width": 1}},
            "meta": {"role": "legend", "class": c},
        })  # fmt: skip
    if more and color_by == "minimum":
        data.append({
            "type": "scatter", "x": [None], "y": [None], "mode": "markers",
            "name": t("basins.more", lang, k=more), "hoverinfo": "skip",
            "marker": {"symbol": "square", "size": 14, "color": "#ffffff",
                       "line": {"color": "#555", "width": 1}},
            "meta": {"role": "legend", "class": None},
        })  # fmt: skip
    if color_by == "updates":
        if np.any((res.cls >= 0) & (res.hit < 0)):  # a minimum reached, not the target
            data.append({
                "type": "scatter", "x": [None], "y": [None], "mode": "markers",
                "name": t("basins.not_reached", lang, target=fmt(res.target),
                          steps=f"{res.steps:,}"), "hoverinfo": "skip",
                "marker": {"symbol": "square", "size": 14, "color": class_color(res, NONE),
                           "line": {"color": "#555", "width": 1}},
                "meta": {"role": "legend", "class": "not_reached"},
            })  # fmt: skip
        data.append(_scale_trace(res, lang, compact))
    minima = [b.point for b in res.basins if b.known] or list(s.minima)
    found = [b.point for b in res.basins if not b.known]
    min_word, saddle_word = t("fig.minimum", lang), t("fig.saddle", lang)
    for pts, size, role in (
        (minima, 16, "minimum"),
        (found, 11 if len(found) < 20 else 7, "minimum"),
    ):
        data.append({
            "type": "scatter", "name": min_word, "mode": "markers", "showlegend": False,
            "x": [p[0] for p in pts], "y": [p[1] for p in pts],
            "marker": {"symbol": "star", "size": size, "color": "#FFD700",
                       "line": {"color": "#333", "width": 1.5}},
            "hovertemplate": f"{min_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            "meta": {"role": role},
        })  # fmt: skip
    data.append({
        "type": "scatter", "name": saddle_word, "mode": "markers", "showlegend": False,
        "x": [p[0] for p in s.saddles], "y": [p[1] for p in s.saddles],
        "marker": {"symbol": "x-thin", "size": 12, "color": "#333", "line": {"width": 3}},
        "hovertemplate": f"{saddle_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        "meta": {"role": "saddle"},
    })  # fmt: skip
    if pick is not None:
        data.append(pick_trace(pick, lang))
    z = res.cls if color_by == "minimum" else res.hit
    legend_box: dict[str, Any] = {"orientation": "v", "x": 1.02, "y": 1, "xanchor": "left",
                                  "font": {"size": 14}}  # fmt: skip
    margin = {"l": 60, "r": 20, "t": 40, "b": 50}  # (t: the toolbar's room above the legend)
    if color_by == "updates":  # the few entries above the plot, the colour bar beside it
        legend_box = {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom",
                      "font": {"size": 14}}  # fmt: skip
        margin["t"] = 70
    # a view box wider than tall: a lower chart (the plot keeps the box's aspect)
    height = min(height, max(400, int((height - 90) * (y1 - y0) / (x1 - x0)) + 130))
    if compact:  # a phone: the plot the screen's width, the legend under it, the scale above
        rows = len([d for d in data if d["meta"]["role"] == "legend"])
        plot_px = 300 * (y1 - y0) / (x1 - x0)  # (about: a phone's plot is ~300 px wide)
        legend_box = {"orientation": "h", "x": 0, "y": -80 / plot_px, "yanchor": "top",
                      "font": {"size": 12}}  # fmt: skip
        scale = 60 if color_by == "updates" else 10
        margin = {"l": 45, "r": 10, "t": scale, "b": 90 + 22 * rows}
        height = int(plot_px) + margin["t"] + margin["b"]
    return {
        "data": data,
        "layout": {
            "height": height, "font": FONT, "hovermode": "closest", "dragmode": "pan",
            "margin": margin,
            "plot_bgcolor": "#f2f2f2", "paper_bgcolor": "white",
            "legend": legend_box,
            "xaxis": {"range": [x0, x1], "title": {"text": "θ₁"}, "constrain": "domain",
                      "showgrid": False, "zeroline": False},
            "yaxis": {"range": [y0, y1], "title": {"text": "θ₂"}, "scaleanchor": "x",
                      "scaleratio": 1, "constrain": "domain", "showgrid": False,
                      "zeroline": False},
            "images": [{"source": picture(res, color_by), "xref": "x", "yref": "y", "x": x0,
                        "y": y1, "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch",
                        "layer": "below"}],
            "uirevision": f"{s.kind.ident or s.key}:{res.n}",
            "meta": {"n": res.n, "color_by": color_by, "z": z.tolist(), "classes": codes},
        },
    }  # fmt: skip


def pick_trace(pick: tuple[float, float], lang: str) -> dict[str, Any]:
    """The picked start (◯), whose run the page opens in the Playground."""
    return {
        "type": "scatter", "name": t("fig.start", lang), "mode": "markers",
        "showlegend": False, "x": [float(pick[0])], "y": [float(pick[1])], "hoverinfo": "skip",
        "marker": {"symbol": "circle-open", "size": 18, "color": "#111", "line": {"width": 3}},
        "meta": {"role": "pick"},
    }  # fmt: skip


def _scale_trace(res: BasinResult, lang: str, compact: bool = False) -> dict[str, Any]:
    """The colour bar of the updates (an invisible marker that carries it): beside the plot,
    or on a phone across the top."""
    lo, hi = _updates_range(res)
    ticks = np.linspace(lo, hi, 5)
    bar: dict[str, Any] = {"thickness": 12, "len": 0.6, "y": 0.3, "x": 1.02, "xanchor": "left"}
    if compact:
        bar = {"orientation": "h", "thickness": 10, "len": 1, "x": 0, "xanchor": "left",
               "y": 1.02, "yanchor": "bottom"}  # fmt: skip
    return {
        "type": "scatter", "x": [None], "y": [None], "mode": "markers", "showlegend": False,
        "hoverinfo": "skip", "name": "updates scale",
        "marker": {"color": [lo, hi], "cmin": lo, "cmax": hi, "showscale": True,
                   "colorscale": [[s, c] for s, c in UPDATES_SCALE],
                   "colorbar": {"title": {"text": t("basins.scale", lang),
                                          "side": "right" if compact else "top"},
                                **bar, "tickvals": ticks.tolist(),
                                "ticktext": [short(10**v - 1) for v in ticks.tolist()]}},
        "meta": {"role": "scale"},
    }  # fmt: skip


def cell_outcome(res: BasinResult, iy: int, ix: int, lang: str) -> str:
    """One cell in words: where its run ended and how fast (plain text, no user input)."""
    c = int(res.cls[iy, ix])
    x, y = res.start(iy, ix)
    head = t("basins.cell", lang, x=fmt(x), y=fmt(y), what=class_name(res, c, lang))
    h = int(res.hit[iy, ix])
    if h >= 0:
        head += " " + t("basins.cell_hit", lang, n=f"{h:,}", target=fmt(res.target))
    return head


__all__ = [
    "PALE",
    "SPECIAL_COLORS",
    "basin_figure",
    "cell_outcome",
    "class_color",
    "class_name",
    "pick_trace",
    "picture",
]
