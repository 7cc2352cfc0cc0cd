"""The board's figures: pure functions from submissions to Plotly figure dicts.

- ``trajectories_figure``: every submitted trajectory on the experiment's surface (the
  Playground's surface picture, ``lab.figures.surface_picture``), one colour per optimizer,
  each run's end marked (✕ where it diverged), and ▶ Play moving every run's head along the
  shared frame times.
- ``outcome_figure``: the class's η (log) against final loss (or updates to the target), one
  point per student, over the engine's own sweep curves for the same settings
  (``lab.sweep.sweep_figure``); diverged runs are ✕ in the strip above the plot.

Every name a student gave goes through ``lab.plaintext.plotly_literal``; ``layout.uirevision``
is constant, so a redraw of the same mounted chart keeps the teacher's zoom.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from surfaces import Surface

from ..colors import PRESET_COLORS
from ..figures import FONT, LOG, fmt, fmt_lr, surface_picture
from ..i18n import t
from ..plaintext import plotly_literal
from ..sweep import LRS, SweepResult, sweep_figure
from .experiment import optimizer_name

Fig = dict[str, Any]
FRAME_MS = 40


def color_of(key: str) -> str:
    return PRESET_COLORS.get(key if key != "custom" else "", PRESET_COLORS[""])


def _groups(subs: Sequence[Any]) -> dict[str, list[int]]:
    """Submission indices per optimizer, the most used optimizer first."""
    counts = Counter(s.optimizer for s in subs)
    out: dict[str, list[int]] = {}
    for key, _ in counts.most_common():
        out[key] = [i for i, s in enumerate(subs) if s.optimizer == key]
    return out


def _hover(s: Any, name: str, lang: str) -> str:
    parts = [plotly_literal(name), f"η = {fmt_lr(s.lr)}"]
    if s.diverged_at >= 0:
        parts.append(t("class.hover_diverged", lang, k=f"{s.diverged_at:,}"))
    else:
        parts.append(f"{t('fig.loss', lang)} = {fmt(s.final_loss)}")
    if s.hit >= 0:
        parts.append(t("class.hover_hit", lang, n=f"{s.hit:,}"))
    return "<br>".join(parts)


def trajectories_figure(
    surface: Surface,
    start: tuple[float, float],
    subs: Sequence[Any],
    names: Sequence[str],
    *,
    lang: str = "en",
    height: int = 620,
) -> Fig:
    """All submitted trajectories on one surface, coloured by optimizer, with ▶ Play."""
    pic = surface_picture(surface)
    x0, x1, y0, y1 = pic["box"]
    groups = _groups(subs)
    min_word, start_word = t("fig.minimum", lang), t("fig.start", lang)
    data: list[dict[str, Any]] = [
        {"type": "scatter", "name": min_word, "mode": "markers",
         "x": [p[0] for p in surface.minima], "y": [p[1] for p in surface.minima],
         "marker": {"symbol": "star", "size": 16, "color": "#FFD700",
                    "line": {"color": "#333", "width": 1.5}},
         "hovertemplate": f"{min_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>"},
        {"type": "scatter", "name": start_word, "mode": "markers",
         "x": [start[0]], "y": [start[1]],
         "marker": {"symbol": "circle-open", "size": 16, "color": "#111", "line": {"width": 2}},
         "hovertemplate": f"{start_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>"},
    ]  # fmt: skip
    for key, idx in groups.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        for i in idx:
            for x, y in subs[i].path.get("xy", []):
                xs.append(x)
                ys.append(y)
            xs.append(None)
            ys.append(None)
        color = color_of(key)
        label = f"{optimizer_name(key, lang)} ({len(idx)})"
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "name": label,
                "legendgroup": key,
                "line": {"color": color, "width": 1.6},
                "opacity": 0.45,
                "hoverinfo": "skip",
                "meta": {"role": "paths"},
            }
        )
        ends = [subs[i].path.get("xy", [[None, None]])[-1] for i in idx]
        data.append({
            "type": "scatter", "x": [e[0] for e in ends], "y": [e[1] for e in ends],
            "mode": "markers", "name": label, "legendgroup": key, "showlegend": False,
            "text": [_hover(subs[i], names[i], lang) for i in idx],
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {"color": color, "size": 9,
                       "symbol": ["x" if subs[i].diverged_at >= 0 else "circle" for i in idx],
                       "line": {"color": "white", "width": 1}},
            "meta": {"role": "ends"},
        })  # fmt: skip
    first_head = len(data)
    frame_t = next((s.path.get("frame_t") for s in subs if s.path.get("frame_t")), [0])
    for key, idx in groups.items():
        data.append({"type": "scatter", "mode": "markers", "legendgroup": key,
                     "showlegend": False, "hoverinfo": "skip", "meta": {"role": "heads"},
                     "marker": {"color": color_of(key), "size": 12,
                                "line": {"color": "white", "width": 1.5}},
                     **_heads(subs, idx, 0)})  # fmt: skip
    heads = list(range(first_head, len(data)))
    frames = [
        {"name": str(ft), "traces": heads,
         "data": [_heads(subs, idx, k) for idx in groups.values()]}
        for k, ft in enumerate(frame_t)
    ]  # fmt: skip
    play = {"frame": {"duration": FRAME_MS, "redraw": False}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}  # fmt: skip
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
             "transition": {"duration": 0}}  # fmt: skip
    layout = {
        "height": height, "font": FONT, "margin": {"l": 50, "r": 10, "t": 40, "b": 110},
        "plot_bgcolor": "#f2f2f2", "paper_bgcolor": "white", "hovermode": "closest",
        "dragmode": "pan", "uirevision": "class-board",
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "xaxis": {"range": [x0, x1], "title": {"text": "θ₁"}, "constrain": "domain",
                  "showgrid": False, "zeroline": False},
        "yaxis": {"range": [y0, y1], "title": {"text": "θ₂"}, "scaleanchor": "x",
                  "scaleratio": 1, "constrain": "domain", "showgrid": False, "zeroline": False},
        "images": [{"source": pic["uri"], "xref": "x", "yref": "y", "x": x0, "y": y1,
                    "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch", "layer": "below"}],
        "updatemenus": [{
            "type": "buttons", "direction": "left", "x": 0, "y": -0.08, "xanchor": "left",
            "yanchor": "top", "pad": {"t": 20, "r": 10}, "showactive": False,
            "buttons": [
                {"label": t("fig.play", lang), "method": "animate", "args": [None, play]},
                {"label": t("fig.pause", lang), "method": "animate", "args": [[None], still]},
            ],
        }],
        "sliders": [{
            "active": 0, "x": 0.28, "len": 0.72, "y": -0.08, "yanchor": "top", "pad": {"t": 20},
            "currentvalue": {"prefix": t("fig.update_t", lang), "font": {"size": 14}},
            "steps": [{"label": str(ft), "method": "animate", "args": [[str(ft)], still]}
                      for ft in frame_t],
        }],
        "meta": {"submissions": len(subs)},
    }  # fmt: skip
    return {"data": data, "layout": layout, "frames": frames}


def _heads(subs: Sequence[Any], idx: list[int], k: int) -> dict[str, Any]:
    xs, ys = [], []
    for i in idx:
        f = subs[i].path.get("frames") or subs[i].path.get("xy") or [[None, None]]
        x, y = f[min(k, len(f) - 1)]
        xs.append(x)
        ys.append(y)
    return {"x": xs, "y": ys}


# -- η against the outcome -----------------------------------------------------------------------
def _value(s: Any, metric: str, shift: float) -> float | None:
    """Where a submission sits on the y axis (None: in the strip: diverged / not reached)."""
    if s.diverged_at >= 0:
        return None
    if metric == "updates":
        return float(s.hit) if s.hit >= 0 else None
    return s.final_loss - shift


def _jitter(i: int) -> float:
    """Points at the same η side by side: a small spread in log η (±6 %)."""
    return 10 ** (0.025 * (((i * 7) % 11) - 5) / 5)


def outcome_figure(
    subs: Sequence[Any],
    names: Sequence[str],
    metric: str,
    *,
    sweep: SweepResult | None,
    lang: str = "en",
    height: int = 560,
) -> Fig:
    """η against final loss (or updates to the target): the class's runs over the sweep."""
    if sweep is not None:
        fig = sweep_figure(sweep, lang=lang, metric=metric, height=height)
        for tr in fig["data"]:  # the engine's curves behind the class's points
            if (tr.get("meta") or {}).get("role") == "curve":
                tr["opacity"] = 0.5
                tr["marker"] = {**tr.get("marker", {}), "size": 4}
        swept = [o.preset or "custom" for o in sweep.optimizers]
        meta = fig["layout"]["meta"]
        shift, floor, log_y = meta["shift"], meta["floor"], meta["log_y"]
        n_rows = len(swept)
    else:
        fig = _empty_outcome(metric, lang, height)
        swept, shift, floor, log_y, n_rows = [], 0.0, None, True, 1
    layout = fig["layout"]
    layout["uirevision"] = "class-outcome"
    values = [_value(s, metric, shift) for s in subs]
    positive = [v for v in values if v is not None and v > 0]
    low = floor if floor is not None else (min(positive) / 10 if positive else 1e-12)
    for key, idx in _groups(subs).items():
        color = color_of(key)
        label = t("class.class_runs", lang, name=optimizer_name(key, lang), n=len(idx))
        on_plot = [i for i in idx if values[i] is not None]
        ys = [max(values[i], low) if log_y else values[i] for i in on_plot]  # type: ignore[type-var]
        fig["data"].append({
            "type": "scatter", "mode": "markers", "name": label, "legendgroup": f"class-{key}",
            "x": [subs[i].lr * _jitter(i) for i in on_plot], "y": ys,
            "text": [_hover(subs[i], names[i], lang) for i in on_plot],
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {"color": color, "size": 12, "symbol": "diamond",
                       "line": {"color": "#111", "width": 1}},
            "meta": {"role": "class", "optimizer": key},
        })  # fmt: skip
        off = [i for i in idx if values[i] is None]
        row = n_rows - 1 - swept.index(key) if key in swept else n_rows - 1
        fig["data"].append({
            "type": "scatter", "mode": "markers", "name": f"{label} ✕", "showlegend": False,
            "legendgroup": f"class-{key}", "xaxis": "x", "yaxis": "y2",
            "x": [subs[i].lr * _jitter(i) for i in off], "y": [row] * len(off),
            "text": [_hover(subs[i], names[i], lang) for i in off],
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {"color": color, "size": 13,
                       "symbol": ["x" if subs[i].diverged_at >= 0 else "triangle-up"
                                  for i in off], "line": {"color": "#111", "width": 1}},
            "meta": {"role": "class_strip", "optimizer": key},
        })  # fmt: skip
    return fig


def _empty_outcome(metric: str, lang: str, height: int) -> Fig:
    """The axes of ``outcome_figure`` without a sweep (it did not fit the cost bound)."""
    lo, hi = math.log10(float(LRS[0])), math.log10(float(LRS[-1]))
    title = t("class.y_updates", lang) if metric == "updates" else t("class.y_loss", lang)
    return {
        "data": [],
        "layout": {
            "height": height, "font": FONT, "margin": {"l": 90, "r": 20, "t": 60, "b": 60},
            "plot_bgcolor": "#f7f7f7", "paper_bgcolor": "white", "hovermode": "closest",
            "legend": {"orientation": "h", "x": 0, "y": 1.01, "yanchor": "bottom"},
            "xaxis": {**LOG, "range": [lo - 0.3, hi + 0.3], "dtick": 1, "anchor": "y",
                      "title": {"text": t("sweep.x_title", lang)}},
            "yaxis": {**LOG, "domain": [0, 0.9], "title": {"text": title}},
            "yaxis2": {"domain": [0.92, 1], "anchor": "x", "range": [-0.7, 0.3],
                       "showticklabels": False, "showgrid": False, "zeroline": False,
                       "fixedrange": True},
            "meta": {"metric": metric, "log_y": True, "shift": 0.0, "floor": None},
        },
    }  # fmt: skip
