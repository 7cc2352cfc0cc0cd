"""The app's charts: a Plotly figure in a small Streamlit component (``st.components.v2``) that
draws it with plotly.js's *basic* bundle, and plays the race with an animation that moves only
what moves.

Why not ``st.plotly_chart`` (measured in headless Chromium with the DevTools protocol,
bench/bench_page.py; README, Performance):

- its frontend loads plotly.js's full bundle, a 4.7 MB script whose compilation and evaluation
  took ~0.75 s of the main thread on every fresh visit.  Every figure here is ``scatter`` traces
  with a layout image, a colour bar and a legend: plotly.js's basic bundle (scatter, bar, pie;
  1.2 MB, vendored in ``chart_assets/``, npm ``plotly.js-basic-dist-min``, the same plotly.js
  version as plotly.py's) draws them all, in a fifth of the time;
- ▶ Play ran ``Plotly.animate`` per frame: each frame re-validated the whole figure (every
  trace, the 50-stop slider, 200 frames' worth of layout) — ~20–30 ms of main-thread work a
  frame, 30–43 frames per second where the browser idles at 60.  Here the moving traces (each
  run's head with its trail, and its markers on the loss and ‖g‖ curves) are drawn in an SVG
  over the plot during the animation, a few attributes a frame; when it stops, one
  ``Plotly.restyle`` leaves Plotly's own traces at the frame shown (hover, legend, PNG export);
- Play, Pause and the scrubber are HTML controls under the plot (large enough for a thumb),
  not Plotly's slider, whose 50 stops plotly.js measured one by one on every draw.

A figure may bring its layout for the other kind of screen (lab.figures.with_alt): the chart
draws the narrow (phone) layout when its own width is below ``NARROW_BELOW`` and the wide one
from there up, and lays itself out anew when a resize crosses it (lab/screen.py).

The figure builders (lab.figures) still make the frames, the buttons and the slider: the HTML
export (lab.exports) plays with plotly.js's own animation.  ``payload`` turns a figure into
what the component needs: the figure without frames and animation controls, and the animation
as one compact array per moving trace.

A figure with a 3-D scene (lab.figure3d; ``is_3d``) is drawn with plotly.js's gl3d bundle
(vendored beside the basic one, npm ``plotly.js-gl3d-dist-min``, the same version), which
chart.js loads only then: the 2-D pages never fetch it.  ▶ Play moves its markers in the same
overlay, projected with the scene's camera: a frame redraws nothing in WebGL (in software GL a
redraw of the scene cost 50–200 ms).  Moving shapes (arrows, boxes: ``is_shape``) are sent as
their whole polyline per frame.

The component's files are served by Streamlit from ``chart_assets/`` (same origin: the CSP's
``script-src 'self'`` holds, nothing is evaluated from a string).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import weakref
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from .figures import ALT, COMPACT, NARROW_BELOW

NAME = "esl.chart"  # "<project>.<component>", how Streamlit names a component with an asset dir
ASSETS = Path(__file__).with_name("chart_assets")
CONFIG = {"displaylogo": False, "scrollZoom": False, "responsive": False}
_mounts: weakref.WeakKeyDictionary[Any, Callable[..., Any]] = weakref.WeakKeyDictionary()
#: (id(figure), its config) -> (the figure, the payload): a cached figure's, made once
_payloads: dict[tuple[int, str], tuple[weakref.ref, str]] = {}
_lock = threading.Lock()


def _mount() -> Callable[..., Any]:
    """The component's mount function on the running Streamlit (one per runtime: AppTest makes
    one per test).  Its asset directory is declared the way an installed component package
    declares it in its pyproject.toml; the app is not a package, so it is declared here."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    manager = get_bidi_component_manager()
    with _lock:
        mount = _mounts.get(manager)
        if mount is None:
            if manager.get_component_asset_root(NAME) is None:
                project, name = NAME.split(".")
                manifest = ComponentManifest(
                    name=project, version="1",
                    components=[ComponentConfig(name=name, asset_dir=ASSETS.name)],
                )  # fmt: skip
                manager.register_from_manifest(manifest, ASSETS.parent)
            mount = st.components.v2.component(NAME, js="chart.js", isolate_styles=False)
            # the module's URL carries its version (lab.serve lets browsers keep it)
            definition = manager.get(NAME)
            if definition is not None and definition.js_url == "chart.js":
                registry_log = logging.getLogger("streamlit.components.v2.component_registry")
                level = registry_log.level  # (not "overwriting a definition": it is ours)
                registry_log.setLevel(logging.ERROR)
                try:
                    manager.register(replace(definition, js_asset_relative_path=MODULE_URL))
                finally:
                    registry_log.setLevel(level)
            _mounts[manager] = mount
    return mount


PLOTLY_JS = "plotly-basic-4.1.1.min.js"  # chart_assets/; chart.js loads the same file
#: chart.js with its version: the browser may keep it as long as the file is the same
MODULE_URL = "chart.js?v=" + hashlib.sha256((ASSETS / "chart.js").read_bytes()).hexdigest()[:12]
PRELOAD_KEY = "esl_chart_preload"


def preload() -> None:
    """Load plotly.js and the component's module as the first thing a page sends (app.py,
    every page), before the page's script runs: the browser fetches and evaluates them while
    the server computes, instead of after the chart's element has arrived (measured: plotly.js
    was requested ~0.7 s after the chart on a reload, behind the rendering of the sidebar).
    Classic and module ``<script src>`` of the same origin (the CSP's script-src 'self');
    ``st.html`` re-creates script elements only with ``unsafe_allow_javascript`` — these are
    constants, no user text is in them.
    The container is not displayed (no gap)."""
    _mount()  # the files are served once the component is registered
    with st.container(key=PRELOAD_KEY):
        st.html(
            f"<style>.st-key-{PRELOAD_KEY} {{ display: none; }}</style>"
            f'<script src="_stcore/bidi-components/{NAME}/{PLOTLY_JS}" async '
            f'data-esl-plotly="1"></script>'
            f'<script type="module" src="_stcore/bidi-components/{NAME}/{MODULE_URL}"></script>',
            unsafe_allow_javascript=True,
        )  # fmt: skip


def _animate_menu(layout: dict[str, Any]) -> dict[str, Any] | None:
    for menu in layout.get("updatemenus") or []:
        if any(b.get("method") == "animate" for b in menu.get("buttons", [])):
            return menu
    return None


def payload(fig: dict[str, Any], config: dict[str, Any] | None = None) -> str:
    """The component's data for ``fig`` (a figure dict of lab.figures), as a JSON string: the
    figure without its frames and animation controls, and the animation (``anim``) if it has
    frames; a figure with a layout for the other kind of screen (lab.figures.with_alt) brings
    it (``alt``: the layout keys and traces that differ, its config, whether it is the narrow
    one) and the width below which the narrow one is drawn (``narrowBelow``).
    A string, so an unchanged chart is not redrawn on a rerun."""
    frames = fig.get("frames") or []
    layout = dict(fig.get("layout") or {})
    alt = fig.get(ALT)
    config = {**CONFIG, **(config or {})}
    if alt:  # two layouts: a narrow one has no toolbar (it would cover the legend, and touch
        # has no hover to reveal it), a wide one has Plotly's (lab.screen.chart_config)
        config = _toolbar(config, narrow=alt["variant"] != COMPACT)
    out: dict[str, Any] = {"config": config}
    if frames:
        traces = list(frames[0]["traces"])
        data = fig.get("data") or []
        shape = [is_shape(data[i]) if i < len(data) else False for i in traces]
        xs: list[list[Any]] = [[] for _ in traces]
        ys: list[list[Any]] = [[] for _ in traces]
        zs: list[list[Any]] = [[] for _ in traces]  # (a 3-D figure's markers)
        trail = [0] * len(traces)
        for f in frames:
            for n, d in enumerate(f["data"]):
                if "z" in d:
                    zs[n].append((d.get("z") or [None])[-1])
                if shape[n]:  # the whole polyline of this frame (None: a gap between strokes)
                    xs[n].append(list(d.get("x") or []))
                    ys[n].append(list(d.get("y") or []))
                    continue
                x, y = d.get("x") or [None], d.get("y") or [None]
                xs[n].append(x[-1])
                ys[n].append(y[-1])
                trail[n] = max(trail[n], len(x) - 1)
        menu = _animate_menu(layout) or {"buttons": []}
        buttons = menu["buttons"]
        playing = [b for b in buttons if b["args"][0] is None]
        ms = [b["args"][1]["frame"]["duration"] for b in playing] or [10, 30]
        sliders = [
            s
            for s in layout.get("sliders") or []
            if any(step.get("method") == "animate" for step in s.get("steps", []))
        ]
        prefix = sliders[0].get("currentvalue", {}).get("prefix", "t = ") if sliders else "t = "
        labels = [b["label"] for b in buttons]
        out["anim"] = {
            "traces": traces, "names": [f["name"] for f in frames], "x": xs, "y": ys,
            "trail": trail, "shape": shape,
            "labels": {"play": labels[0] if labels else "▶", "slow": labels[1] if len(labels) > 2
                       else "▶ ½", "pause": labels[-1] if labels else "⏸", "prefix": prefix},
            "ms": {"play": ms[0], "slow": ms[1] if len(ms) > 1 else 3 * ms[0]},
        }  # fmt: skip
        if any(zs):
            out["anim"]["z"] = zs
        # The HTML controls replace Plotly's: their room at the bottom is not needed.
        layout["updatemenus"] = [m for m in layout.get("updatemenus") or [] if m is not menu]
        layout["sliders"] = [s for s in layout.get("sliders") or [] if s not in sliders]
        layout["margin"] = _short_bottom(layout.get("margin"))
    out["figure"] = {"data": [_hover_points(tr) for tr in fig.get("data") or []], "layout": layout}
    if is_3d(fig):
        out["gl3d"] = True  # drawn with plotly.js's gl3d bundle (chart.js loads it then)
    if alt:
        other = dict(alt["layout"])
        if frames and other.get("margin"):
            other["margin"] = _short_bottom(other["margin"])
        out["alt"] = {
            "layout": other, "data": alt["data"], "narrow": alt["variant"] == COMPACT,
            "config": _toolbar(config, narrow=alt["variant"] == COMPACT),
        }  # fmt: skip
        out["narrowBelow"] = NARROW_BELOW
    try:
        return json.dumps(out, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN or an infinity: JSON has none (the browser's parser refuses them)
        return json.dumps(_finite(out), separators=(",", ":"), allow_nan=False)


#: ``meta`` of a moving trace that is a whole shape in each frame (an arrow, a box), not a head
#: with a trail: ``{"moving": "shape"}`` on its entry in ``fig["data"]``
SHAPE = "shape"


def is_shape(trace: dict[str, Any]) -> bool:
    """Whether ``trace`` (an entry of a figure's ``data``) moves as a whole polyline per frame
    (``meta: {"moving": "shape"}``): its points in a frame are the whole shape of that frame,
    strokes separated by ``None`` (an arrow's shaft and the two strokes of its head; a box)."""
    meta = trace.get("meta")
    return isinstance(meta, dict) and meta.get("moving") == SHAPE


#: trace types plotly.js's basic bundle does not have, its gl3d bundle does (``GL3D_JS``)
GL3D_TYPES = frozenset(("surface", "scatter3d", "mesh3d", "cone", "streamtube", "isosurface",
                        "volume"))  # fmt: skip
GL3D_JS = "plotly-gl3d-4.1.1.min.js"  # chart_assets/; chart.js loads it for a 3-D figure


def is_3d(fig: dict[str, Any]) -> bool:
    """Whether ``fig`` has a 3-D scene (a trace of ``GL3D_TYPES``): chart.js draws it with
    plotly.js's gl3d bundle, loaded only then, and plays it by moving its markers."""
    return any((tr.get("type") or "scatter") in GL3D_TYPES for tr in fig.get("data") or [])


def _hover_points(trace: dict[str, Any]) -> dict[str, Any]:
    """An invisible markers trace (the race's hover and click grid: 625 points of opacity 0)
    as an invisible line through the same points: plotly.js hovers and clicks on a line's
    points alike, and draws one path instead of styling a node per point (a third of the race
    chart's drawing)."""
    marker = trace.get("marker") or {}
    if trace.get("mode") != "markers" or marker.get("opacity") != 0:
        return trace
    return {**trace, "mode": "lines", "line": {"width": 0, "color": marker.get("color", "#000")}}


def _toolbar(config: dict[str, Any], narrow: bool) -> dict[str, Any]:
    out = {k: v for k, v in config.items() if k != "displayModeBar"}
    return {**out, "displayModeBar": False} if narrow else out


def _short_bottom(margin: dict[str, Any] | None) -> dict[str, Any]:
    """The bottom margin of a figure whose Plotly controls lab.chart replaced: ≤ 70 px."""
    margin = dict(margin or {})
    if margin.get("b", 0) > 70:
        margin["b"] = 70
    return margin


def _finite(v: Any) -> Any:
    """``v`` with every non-finite float made ``None`` (a gap, as plotly.js reads it)."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite(x) for x in v]
    return v


def _figure_dict(fig: Any) -> dict[str, Any]:
    return fig if isinstance(fig, dict) else fig.to_dict()


#: session_state: the pages whose first chart this session has drawn (``waits_for_chart``)
DRAWN = "esl_first_chart_drawn"
#: the start of a chart's data when the page waits for it to be drawn (chart.js says so)
NOTIFY = "drawn?"


def waits_for_chart(page: str) -> bool:
    """Whether this run of ``page`` ends at its first chart (the page calls ``st.stop()``
    there): a browser's first visit of the page in this session.  The browser then draws the
    chart before anything below it and the sidebar's ~50 widgets (whose rendering took longer
    than the chart's drawing: bench/bench_page.py), and the chart, once drawn, reruns the page,
    which sends the rest (the chart itself unchanged: not drawn again).  Not for a session
    without a browser's User-Agent ("Mozilla/…"): a test (AppTest) or a load-test client gets
    the whole page in one run."""
    if page in st.session_state.get(DRAWN, ()):
        return False
    try:
        agent = str(st.context.headers.get("User-Agent", ""))
    except Exception:  # outside a session
        return False
    return agent.startswith("Mozilla/")


def _drawn(page: str) -> None:
    st.session_state[DRAWN] = {*st.session_state.get(DRAWN, ()), page}


def _nothing() -> None:
    return None


def chart(
    fig: Any, *, key: str, on_click: Callable[[], None] | None = None,
    config: dict[str, Any] | None = None, first_of: str | None = None,
) -> Any:  # fmt: skip
    """Draw ``fig`` (a figure dict, or ``lab.figures.prebuilt``'s Figure) full width.
    ``on_click`` runs (as a widget callback) when a point is clicked; ``clicked(key)`` then
    gives it.  ``first_of``: the page this chart is the first chart of (``waits_for_chart``).
    The payload of a cached figure object is made once."""
    slot = (id(fig), json.dumps(config, sort_keys=True) if config else "")
    cached = None if isinstance(fig, dict) else _payloads.get(slot)
    if cached is not None and cached[0]() is fig:
        data = cached[1]
    else:
        data = payload(_figure_dict(fig), config)
        if not isinstance(fig, dict):
            with _lock:
                _payloads[slot] = (weakref.ref(fig), data)
            weakref.finalize(fig, _payloads.pop, slot, None)
    # (the same callbacks on every run: a partial of a module function keeps nothing alive)
    callbacks = {
        "on_click_change": on_click or _nothing,
        "on_drawn_change": partial(_drawn, first_of) if first_of else _nothing,
    }
    if first_of is not None and waits_for_chart(first_of):
        data = NOTIFY + data
    return _mount()(key=key, data=data, width="stretch", height="content", **callbacks)


def clicked(key: str) -> dict[str, Any] | None:
    """The point last clicked on the chart ``key`` ({x, y, curve_number, point_number}), in
    its ``on_click`` callback."""
    result = st.session_state.get(key)
    if result is None:
        return None
    value = result.get("click") if hasattr(result, "get") else getattr(result, "click", None)
    return value if isinstance(value, dict) else None


# -- for tests (streamlit.testing's AppTest) ---------------------------------------------------
def elements(at: Any) -> list[Any]:
    """The charts of this component on an AppTest page (``at.get("plotly_chart")`` before)."""
    return [e for e in at.get("bidi_component") if e.proto.component_name == NAME]


def figure_of(element: Any) -> dict[str, Any]:
    """The figure a chart element draws, its animation as plotly.js frames again (each frame
    the moving traces' points: a head and its trail, or a shape's whole polyline, as
    lab.figures makes them)."""
    data = json.loads(element.proto.json)
    spec = json.loads(data.removeprefix(NOTIFY))
    fig = dict(spec["figure"])
    anim = spec.get("anim")
    if anim:
        frames = []
        for k, name in enumerate(anim["names"]):
            data = []
            shape = anim.get("shape") or [False] * len(anim["trail"])
            for n, trail in enumerate(anim["trail"]):
                if shape[n]:  # the frame's whole polyline
                    data.append({"x": anim["x"][n][k], "y": anim["y"][n][k]})
                    continue
                lo = max(0, k - trail)
                data.append({"x": anim["x"][n][lo : k + 1], "y": anim["y"][n][lo : k + 1]})
                if "z" in anim:
                    data[-1]["z"] = anim["z"][n][lo : k + 1]
            frames.append({"name": name, "data": data, "traces": anim["traces"]})
        fig["frames"] = frames
        fig["anim"] = anim  # with the Play, Slow and Pause buttons' labels
    return fig
