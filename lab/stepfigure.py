"""The step-through panel's picture: one update of one run drawn on the surface (lab.stepthrough).

``step_figure(traj, r, nums, lang, zoom)``: the surface, run ``r``'s path, the point θ^t and
θ^{t+1}, and update t's arrows — g^t, m^t, Δθ^t — and σ^t's bars (lab.arrows), all from the
engine's numbers of that update (``StepNumbers``), at the scales the race uses for that run's
arrows (stated in the legend).  ``zoom``: a close-up of the step at true scale — the view
2·‖Δθ^t‖ around θ^t (its own picture of the surface there), g and m scaled to ``ZOOM_ARROW`` of
the half-width and σ's bars to ``ZOOM_BOX`` (their scales in the legend).
"""

from __future__ import annotations

import math
from typing import Any

from .arrows import (
    KINDS,
    STYLES,
    Scales,
    arrow,
    bars,
    legend_names,
    nice_below,
    scales,
    side_of,
)
from .colors import ARROW_COLORS
from .figures import FONT, _path_style, _r, box_picture, surface_picture
from .i18n import t
from .plaintext import plotly_literal
from .simulate import Trajectories

Fig = dict[str, Any]
#: the close-up: its half-width is ZOOM_STEPS × ‖Δθ^t‖ (ZOOM_STILL of the view's side when the
#: run did not move); g, m and σ's bars scaled to these fractions of it
ZOOM_STEPS, ZOOM_STILL, ZOOM_ARROW, ZOOM_BOX = 2.0, 0.05, 0.45, 0.3


def step_shapes(nums: Any, sc: Any, side: float) -> dict[str, tuple[list, list]]:
    """The polylines of update ``nums`` (lab.stepthrough.StepNumbers) at scales ``sc``."""
    x, y = nums.theta
    return {
        "sigma": bars(x, y, sc.sigma * abs(nums.sigma[0]), sc.sigma * abs(nums.sigma[1]), side),
        "g": arrow(x, y, sc.vec * nums.grad[0], sc.vec * nums.grad[1], side),
        "m": arrow(x, y, sc.vec * nums.m[0], sc.vec * nums.m[1], side),
        "step": arrow(x, y, sc.step * nums.step[0], sc.step * nums.step[1], side),
    }


def zoom_view(nums: Any, side: float) -> tuple[float, Scales]:
    """The close-up's half-width and scales (Δθ at true scale)."""
    step = math.hypot(*nums.step)
    half = ZOOM_STEPS * step if math.isfinite(step) and step > 0 else ZOOM_STILL * side
    tiny = max(1e-9 * side, 1e-12 * max(abs(nums.theta[0]), abs(nums.theta[1])))
    half = min(max(half, tiny), side)  # (a step longer than the view: zoomed out to see it)
    longest = max(math.hypot(*nums.grad), math.hypot(*nums.m))
    sig = max(abs(nums.sigma[0]), abs(nums.sigma[1]))
    ok = math.isfinite(longest) and longest > 0
    vec = nice_below(ZOOM_ARROW * half / longest) if ok else 1.0
    sigma = nice_below(ZOOM_BOX * half / sig) if math.isfinite(sig) and sig > 0 else 1.0
    return half, Scales(vec=vec, step=1.0, sigma=sigma)


def step_figure(traj: Trajectories, r: int, nums: Any, lang: str, zoom: bool = False,
                height: int = 520) -> Fig:  # fmt: skip
    """Update ``nums.t`` of run ``r`` of ``traj`` on the surface."""
    rv = traj.runs[r]
    side = side_of(traj)
    pic = surface_picture(traj.surface)
    x0, x1, y0, y1 = pic["box"]
    xr, yr = [x0, x1], [y0, y1]
    if zoom:
        half, sc = zoom_view(nums, side)
        xr = [nums.theta[0] - half, nums.theta[0] + half]
        yr = [nums.theta[1] - half, nums.theta[1] + half]
        pic = box_picture(traj.surface, (xr[0], xr[1], yr[0], yr[1]))
        x0, x1, y0, y1 = pic["box"]
    else:
        sc = scales([rv], side)
    names = legend_names(sc, lang)
    label = plotly_literal(rv.label)
    shapes = step_shapes(nums, sc, xr[1] - xr[0])  # (heads and caps sized to the view shown)
    data: list[dict[str, Any]] = [{
        "type": "scatter", "mode": "lines", "x": _r(rv.path[:, 0], xr[1] - xr[0]),
        "y": _r(rv.path[:, 1], xr[1] - xr[0]), "name": label, "hoverinfo": "skip",
        **_path_style(rv.path, rv.color),
    }]  # fmt: skip
    for kind in KINDS:
        xs, ys = shapes[kind]
        data.append({
            "type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": names[kind],
            "hoverinfo": "skip", "line": {"color": ARROW_COLORS[kind], **STYLES[kind]},
            "meta": {"role": f"arrow.{kind}"},
        })  # fmt: skip
    theta_word = t("fig.theta_t", lang, t=nums.t)
    data.append({
        "type": "scatter", "mode": "markers", "name": theta_word,
        "x": [nums.theta[0], nums.theta_next[0]], "y": [nums.theta[1], nums.theta_next[1]],
        "marker": {"color": [rv.color, "white"], "size": [13, 9],
                   "line": {"color": [ "white", rv.color], "width": 2}},
        "customdata": [nums.t, nums.t + 1], "showlegend": False,
        "hovertemplate": "θ^%{customdata} = (%{x:.6g}, %{y:.6g})<extra></extra>",
    })  # fmt: skip
    layout = {
        "height": height, "font": FONT, "margin": {"l": 60, "r": 10, "t": 70, "b": 50},
        "plot_bgcolor": "#f2f2f2", "paper_bgcolor": "white", "dragmode": "pan",
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom",
                   "font": {"size": 14}},
        "xaxis": {"range": xr, "title": {"text": "θ₁"}, "constrain": "domain",
                  "showgrid": False, "zeroline": False},
        "yaxis": {"range": yr, "title": {"text": "θ₂"}, "scaleanchor": "x", "scaleratio": 1,
                  "constrain": "domain", "showgrid": False, "zeroline": False},
        "images": [{
            "source": pic["uri"], "xref": "x", "yref": "y", "x": x0, "y": y1,
            "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch", "layer": "below",
        }],
    }  # fmt: skip
    return {"data": data, "layout": layout}
