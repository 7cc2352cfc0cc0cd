"""The Playground's sidebar: widgets in, ``Settings`` out.

Widgets are seeded from the canonical settings kept in ``st.session_state["pg_settings"]``
(first from the URL), so a widget that was hidden (another preset, another surface) or a page
that was left and re-entered comes back with the user's values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from optimizers import (
    HYPERS,
    M_PARTS,
    PRESETS,
    SCHEDULE_KINDS,
    SIGMA_PARTS,
    Optimizer,
    Schedule,
    preset,
)
from optimizers.noise import MAX_SCALE as MAX_NOISE
from optimizers.noise import Noise
from optimizers.schedules import DECAY_KINDS, schedule_settings
from surfaces import SURFACES, Param, Surface, get_surface
from surfaces.formula import (
    DEFAULT_VIEW,
    FUNCTIONS,
    MAX_CANONICAL_CHARS,
    FormulaError,
    custom_surface,
    formula_of,
)

from .basins import EXAMPLES as BASIN_EXAMPLES
from .chart import clicked
from .colors import run_colors
from .compute import run_label, run_labels
from .curvature_panel import eta_limit_note
from .figures import fmt_lr
from .i18n import msg, t, tm
from .page import current_lang
from .plaintext import visible
from .sweep import seeds_that_fit
from .urlstate import (
    BASIN_COLOR_BY,
    BASIN_GRID_OPTIONS,
    LR_OPTIONS,
    MAX_RUNS,
    STEP_OPTIONS,
    SWEEP_MAX_SEEDS,
    SWEEP_METRICS,
    SWEEP_STEP_OPTIONS,
    TOL_OPTIONS,
    VIEW3D,
    BasinsState,
    Settings,
    SweepState,
    arrows_value,
    dataset_size,
    nearest,
)
from .urlstate import (
    CUSTOM as CUSTOM_SURFACE,
)

STATE = "pg_settings"
CUSTOM = "custom"


def _seed(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def log_options(lo: float, hi: float, *extra: float) -> list[float]:
    import math

    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    out = {float(f"{m}e{e}") for e in decades for m in (1, 2, 3, 5)}
    out |= set(extra)
    return sorted(v for v in out if lo <= v <= hi)


def _clear(prefix: str) -> None:
    for k in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[k]


# -- callbacks (run before the script, so they may change widget state) ----------------------
def _remove_run(i: int) -> None:
    s: Settings = st.session_state[STATE]
    runs = list(s.runs)
    if len(runs) > 1:
        del runs[i]
    st.session_state[STATE] = replace(s, runs=tuple(runs))
    _clear("run")


def _add_run() -> None:
    s: Settings = st.session_state[STATE]
    used = {o.preset for o in s.runs}
    name = next((p for p in ("adam", "rms", "rmsprop", "momentum", "gd", "adagrad", "radam")
                 if p not in used), "adam")  # fmt: skip
    lr = s.runs[-1].lr if s.runs else 0.05
    st.session_state[STATE] = replace(s, runs=(*s.runs, preset(name, lr=lr))[:MAX_RUNS])
    _clear("run")


#: the formula a new "your own f(x, y)" starts with (lecture §1's valley, but typed)
EXAMPLE_FORMULA = "x**2 + 10*sin(y)"


def chosen_surface(prefix: str) -> Surface:
    """The surface just picked in the ``<prefix>surface`` box (a callback's view): a catalog
    surface at its defaults, or the typed formula in ``<prefix>formula`` (the example when that
    one is refused, and the box shows the example)."""
    key = st.session_state[f"{prefix}surface"]
    if key != CUSTOM_SURFACE:
        return get_surface(key)
    try:
        return custom_surface(st.session_state.get(f"{prefix}formula") or EXAMPLE_FORMULA)
    except FormulaError:
        st.session_state[f"{prefix}formula"] = EXAMPLE_FORMULA
        return custom_surface(EXAMPLE_FORMULA)


def _surface_changed() -> None:
    """A new surface: its own parameters and its own default start."""
    _clear("start_")
    s: Settings = st.session_state[STATE]
    st.session_state[STATE] = replace(s, surface=chosen_surface(""), start=None)


def set_start_from_click(chart_key: str) -> None:
    """on_click of the surface chart (lab.chart): a click on the surface moves the start there."""
    from .chart import clicked

    point = clicked(chart_key)
    event = st.session_state.get(chart_key)
    points = [point] if point else (event or {}).get("selection", {}).get("points", [])
    if not points:
        return
    p = points[0]
    if "x" in p and "y" in p and p.get("curve_number", p.get("curveNumber", 0)) == 0:
        st.session_state["start_x"] = float(p["x"])
        st.session_state["start_y"] = float(p["y"])


def load(settings: Settings) -> None:
    """Show ``settings`` (from a link, or the defaults): every widget is seeded anew."""
    _clear("run")
    _clear("sp_")
    _clear("start_")
    _clear("view_")
    for k in ("surface", "formula", "steps", "log_y", *NOISE_KEYS, *VIEW_KEYS):
        st.session_state.pop(k, None)
    st.session_state[STATE] = settings


def reset() -> None:
    load(Settings())


# -- the sidebar -----------------------------------------------------------------------------
class Unseen:
    """A stand-in for ``st.sidebar`` that draws nothing: each widget call returns the value its
    key holds in the session state.  ``sidebar(…, ui=Unseen())`` gives the settings the
    widgets will show *before* they are drawn, so the page can send its chart first: the
    browser draws the chart before it renders the sidebar's ~50 widgets (bench/bench_page.py)."""

    def columns(self, spec: Any, **_: Any) -> list[Unseen]:
        return [self] * (spec if isinstance(spec, int) else len(spec))

    def expander(self, *_: Any, **__: Any) -> Unseen:
        return self

    def __getattr__(self, name: str) -> Any:
        def widget(*_: Any, key: str | None = None, **__: Any) -> Any:
            return st.session_state.get(key) if key is not None else None

        return widget


def sidebar(initial: Settings, ui: Any = None) -> Settings:
    """Draw every control in the sidebar (in ``ui``: ``st.sidebar`` unless told otherwise) and
    return the settings they show."""
    _seed(STATE, initial)
    canon: Settings = st.session_state[STATE]
    lang = current_lang()
    sb = ui if ui is not None else st.sidebar
    sb.header(t("ctl.surface_header", lang))
    keys = [*SURFACES, CUSTOM_SURFACE]
    _seed("surface", canon.surface.key)
    key = sb.selectbox(t("ctl.surface", lang), keys,
                       format_func=lambda k: t("ctl.custom_surface", lang)
                       if k == CUSTOM_SURFACE else t(f"surface.{k}.name", lang),
                       key="surface", on_change=_surface_changed,
                       help=t("ctl.surface_help", lang))  # fmt: skip
    same = canon.surface.key == key
    if key == CUSTOM_SURFACE:
        surface = _formula_widgets(sb, canon.surface, lang)
        same = surface == canon.surface
    else:
        surface = _catalog_surface(sb, key, canon.surface, "sp_", lang)

    sb.header(t("ctl.optimizers_header", lang))
    runs = []
    colors = run_colors([o.preset for o in canon.runs])
    # the η slider's note: gradient descent's limit 2/λ_max here (one cached 2 × 2 Hessian)
    note = eta_limit_note(surface, canon.start_point if same else surface.default_start, lang)
    for i, o in enumerate(canon.runs):
        runs.append(_run_widgets(sb, i, o, colors[i], len(canon.runs), lang, note))
    if len(canon.runs) < MAX_RUNS:
        sb.button(t("ctl.add", lang), on_click=_add_run, width="stretch")

    sb.header(t("ctl.run_header", lang))
    _seed("steps", canon.steps)
    steps = sb.select_slider(t("ctl.steps", lang), STEP_OPTIONS, key="steps",
                             format_func=lambda v: f"{v:,}")  # fmt: skip
    x, y = _start_widgets(sb, canon.start_point if same else surface.default_start,
                          surface.bound, "", lang)  # fmt: skip
    sb.caption(t("ctl.click_hint", lang))
    _seed("log_y", canon.log_y)
    log_y = sb.checkbox(t("ctl.log_y", lang), key="log_y")
    arrows, view3d = view_widgets(sb, canon, lang)
    noise = _noise_widgets(sb, canon.noise if same else None, lang,
                           data_n=dataset_size(surface))  # fmt: skip
    sb.button(t("ctl.reset", lang), on_click=reset)
    start_pt = (float(x), float(y))
    settings = Settings(
        surface=surface,
        runs=tuple(runs),
        steps=int(steps),
        start=None if start_pt == surface.default_start else start_pt,
        log_y=bool(log_y),
        lang=lang,
        present=canon.present,
        noise=noise,
        arrows=tuple(i for i in arrows if i < len(runs)),
        arrow_kinds=canon.arrow_kinds if arrows else (),  # (a link's choice of parts, kept)
        view3d=view3d,
    )
    st.session_state[STATE] = settings
    return settings


#: the view widgets' keys (controls.load drops them so that a link's view is shown)
VIEW_KEYS = ("arrows", "view3d")


def view_widgets(ui: Any, canon: Settings, lang: str) -> tuple[tuple[int, ...], str]:
    """How the race is drawn: the runs with arrows on the surface (none, all, or one; a link's
    other choice of runs is kept as an option of its own), and 2-D or 3-D."""
    n = len(canon.runs)
    labels = run_labels(canon.runs, lang)
    options = ["", *(["all"] if n > 1 else []), *(str(i + 1) for i in range(n))]
    shown = tuple(i for i in canon.arrows if i < n)  # (the link's runs; its parts are kept)
    current = arrows_value(replace(canon, arrows=shown, arrow_kinds=())) if shown else ""
    if current not in options:
        options.append(current)
    if st.session_state.get("arrows") not in options:  # (a run was removed)
        st.session_state["arrows"] = current if current in options else ""
    _seed("arrows", current)

    def name(v: str) -> str:
        if not v:
            return t("arrows.none", lang)
        if v == "all":
            return t("arrows.all", lang)
        return " + ".join(visible(labels[int(i) - 1]) for i in v.split(","))

    value = ui.selectbox(t("arrows.control", lang), options, key="arrows", format_func=name,
                         help=t("arrows.control_help", lang))  # fmt: skip
    value = value if value in options else ""
    arrows = tuple(range(n)) if value == "all" else tuple(int(i) - 1 for i in value.split(",")
                                                          if i)  # fmt: skip
    _seed("view3d", canon.view3d if canon.view3d in VIEW3D else "")
    view3d = ui.selectbox(t("view3d.control", lang), VIEW3D, key="view3d",
                          format_func=lambda v: t(f"view3d.{v or 'off'}", lang),
                          help=t("view3d.help", lang))  # fmt: skip
    return arrows, view3d if view3d in VIEW3D else ""


#: the noise widgets' keys (controls.load drops them so that a link's noise is shown)
NOISE_KEYS = ("noise_scale", "noise_rel", "noise_seed", "noise_batch")
#: the largest seed the widget takes (a link may hold any up to 2**63 − 1)
MAX_WIDGET_SEED = 2**31 - 1


def _noise_widgets(sb: Any, noise: Noise | None, lang: str, prefix: str = "",
                   data_n: int | None = None) -> Noise | None:  # fmt: skip
    """Gradient noise for every run (optimizers.noise): g̃ = g + ξ, ξ Gaussian of the scale
    given (times ‖g‖ when relative), the same draws for the same seed.  Scale 0: exact.
    ``prefix`` goes before the widgets' keys (the Sweep page's "sw_"); ``data_n``: a data
    surface's N, which adds the mini-batch size B (1 … N)."""
    now = noise or Noise()
    box = sb.expander(t("ctl.noise_header", lang), expanded=noise is not None)
    p = prefix
    _seed(f"{p}noise_scale", now.scale)
    _seed(f"{p}noise_rel", now.relative)
    _seed(f"{p}noise_seed", min(now.seed, MAX_WIDGET_SEED))
    scale = box.number_input(t("ctl.noise_scale", lang), 0.0, MAX_NOISE, key=f"{p}noise_scale",
                             step=0.05, format="%.4g", help=t("ctl.noise_help", lang))  # fmt: skip
    relative = box.toggle(t("ctl.noise_rel", lang), key=f"{p}noise_rel")
    seed = box.number_input(t("ctl.noise_seed", lang), 0, MAX_WIDGET_SEED, key=f"{p}noise_seed",
                            step=1, help=t("ctl.noise_seed_help", lang))  # fmt: skip
    batch = 0
    if data_n:  # a data surface: its mini-batches, B of its N points per update (N: exact)
        _seed(f"{p}noise_batch", now.batch or data_n)
        b = int(
            box.number_input(
                t("ctl.noise_batch", lang, n=data_n),
                1,
                data_n,
                step=1,
                key=f"{p}noise_batch",
                help=t("ctl.noise_batch_help", lang),
            )
        )
        batch = 0 if b == data_n else b
    out = Noise(float(scale), bool(relative), int(seed), batch)
    return out if out.on else None


def set_present(on: bool) -> None:
    """The ▣ Present / Exit buttons: the projector's page on or off (kept in the link)."""
    st.session_state[STATE] = replace(st.session_state[STATE], present=on)


def present_controls(ui: Any) -> None:
    """Present mode's settings, in ``ui`` (a popover above the chart; the sidebar is hidden):
    the surface, and each run's optimizer and η.  The same keys as the sidebar's widgets,
    which are not drawn in present mode, so ``sidebar(…, ui=Unseen())`` reads them alike."""
    canon: Settings = st.session_state[STATE]
    lang = current_lang()
    _seed("surface", canon.surface.key)
    key = ui.selectbox(t("ctl.surface", lang), [*SURFACES, CUSTOM_SURFACE],
                       format_func=lambda k: t("ctl.custom_surface", lang)
                       if k == CUSTOM_SURFACE else t(f"surface.{k}.name", lang),
                       key="surface", on_change=_surface_changed)  # fmt: skip
    if key == CUSTOM_SURFACE:
        _formula_widgets(ui, canon.surface, lang)
    for i, o in enumerate(canon.runs):
        p = f"run{i}_"
        c1, c2 = ui.columns([3, 2], vertical_alignment="bottom")
        _seed(p + "preset", o.preset or CUSTOM)
        c1.selectbox(
            f"{t('ctl.optimizer', lang)} {i + 1}", [*PRESETS, CUSTOM], key=p + "preset",
            format_func=lambda k: t("ctl.custom", lang) if k == CUSTOM else
            t(f"preset.{k}.label", lang),
        )  # fmt: skip
        _seed(p + "lr", nearest(o.lr, LR_OPTIONS))
        c2.select_slider(t("ctl.lr", lang), LR_OPTIONS, key=p + "lr", format_func=fmt_lr)
    if len(canon.runs) < MAX_RUNS:
        ui.button(t("ctl.add", lang), on_click=_add_run, key="present_add")
    view_widgets(ui, canon, lang)


def _start_widgets(
    sb: Any, start: tuple[float, float], bound: float, prefix: str, lang: str
) -> tuple[float, float]:
    """θ₁ and θ₂ of the start, side by side (keys ``<prefix>start_x`` and ``…_y``)."""
    _seed(f"{prefix}start_x", float(start[0]))
    _seed(f"{prefix}start_y", float(start[1]))
    c1, c2 = sb.columns(2)
    x = c1.number_input(t("ctl.start_x", lang), -bound, bound, key=f"{prefix}start_x",
                        format="%.4g", step=0.1)  # fmt: skip
    y = c2.number_input(t("ctl.start_y", lang), -bound, bound, key=f"{prefix}start_y",
                        format="%.4g", step=0.1)  # fmt: skip
    return x, y


def _catalog_surface(sb: Any, key: str, previous: Surface, prefix: str, lang: str) -> Surface:
    """A catalog surface: its description and a slider per parameter (keys ``<prefix>…``)."""
    kind = SURFACES[key]
    sb.caption(t(f"surface.{key}.description", lang))
    same = previous.key == key
    values = {
        q.name: _param_widget(sb, key, q, previous.values[q.name] if same else q.default,
                              t(f"surface.{key}.{q.name}", lang), prefix=prefix)
        for q in kind.params
    }  # fmt: skip
    return get_surface(key, **values)


def _formula_widgets(sb: Any, previous: Surface, lang: str, prefix: str = "") -> Surface:
    """The typed surface: its formula and view box (keys ``<prefix>formula``,
    ``<prefix>view_…``).  A formula that is refused is explained under the field, and the last
    one that worked stays drawn."""
    prev = previous if formula_of(previous) is not None else None
    _seed(f"{prefix}formula", formula_of(prev) if prev else EXAMPLE_FORMULA)
    text = sb.text_input(
        t("ctl.formula", lang), key=f"{prefix}formula", max_chars=MAX_CANONICAL_CHARS,
        help=t("ctl.formula_help", lang, functions=", ".join(FUNCTIONS)),
    )  # fmt: skip
    box = prev.view if prev else DEFAULT_VIEW
    sb.caption(t("ctl.view", lang))
    cols = sb.columns(2) + sb.columns(2)
    view = []
    for i, (name, col) in enumerate(zip(("x0", "x1", "y0", "y1"), cols, strict=True)):
        _seed(f"{prefix}view_{name}", float(box[i]))
        view.append(col.number_input(t(f"ctl.view_{name}", lang), key=f"{prefix}view_{name}",
                                     format="%.4g", step=0.5))  # fmt: skip
    try:
        surface = custom_surface(text, tuple(view))  # type: ignore[arg-type]
    except FormulaError as e:
        sb.error(f"{tm((e.key, e.values), lang)}\n\n{t('ctl.formula_kept', lang)}",
                 icon=":material/function:")  # fmt: skip
        return previous
    sb.caption(tm(msg("ctl.custom_description", formula=formula_of(surface)), lang))
    return surface


def _param_widget(
    sb: Any, surface_key: str, q: Param, value: float, label: str, prefix: str = "sp_"
) -> float:
    key = f"{prefix}{surface_key}_{q.name}"
    if q.log:
        opts = log_options(q.lo, q.hi, q.default, value)
        _seed(key, nearest(value, opts))
        return float(sb.select_slider(label, opts, key=key, format_func=lambda v: f"{v:g}"))
    _seed(key, float(value))
    step = (q.hi - q.lo) / 200
    return float(sb.slider(label, float(q.lo), float(q.hi), key=key, step=step, format="%.3g"))


def _run_widgets(sb: Any, i: int, o: Optimizer, color: str, n: int, lang: str,
                 note: str = "") -> Optimizer:  # fmt: skip
    p = f"run{i}_"
    name = o.preset or CUSTOM
    title = f"{i + 1}. {run_label(o, lang)}  ·  η = {fmt_lr(o.lr)}"
    box = sb.expander(title, expanded=i < 2)
    box.markdown(f"<span style='color:{color};font-size:1.4em'>●</span> {t('ctl.colour', lang)}",
                 unsafe_allow_html=True)  # fmt: skip
    options = [*PRESETS, CUSTOM]
    _seed(p + "preset", name)
    chosen = box.selectbox(
        t("ctl.optimizer", lang), options, key=p + "preset",
        format_func=lambda k: t("ctl.custom", lang) if k == CUSTOM else
        t(f"preset.{k}.label", lang), help=t("ctl.optimizer_help", lang),
    )  # fmt: skip
    base = preset(chosen) if chosen != CUSTOM else Optimizer(m=o.m, sigma=o.sigma)
    own = chosen == name  # the canonical values belong to this choice
    src = o if own else base
    if chosen != CUSTOM:
        box.caption(t(f"preset.{chosen}.about", lang))
        box.caption(t(f"preset.{chosen}.fits", lang))  # how it fits θ − (η^t/σ)·m, or not
        m, sigma = base.m, base.sigma
    else:
        _seed(p + "m", src.m)
        _seed(p + "sigma", src.sigma)
        c1, c2 = box.columns(2)
        m = c1.selectbox(t("ctl.m", lang), list(M_PARTS), key=p + "m",
                         format_func=lambda k: t(f"m.{k}", lang))  # fmt: skip
        sigma = c2.selectbox(t("ctl.sigma", lang), list(SIGMA_PARTS), key=p + "sigma",
                             format_func=lambda k: t(f"sigma.{k}", lang))  # fmt: skip
    _seed(p + "lr", nearest(o.lr, LR_OPTIONS))
    lr = box.select_slider(t("ctl.lr", lang), LR_OPTIONS, key=p + "lr", format_func=fmt_lr,
                           help=note or None)  # fmt: skip
    if note and m == "gradient" and sigma == "none":  # plain gradient descent: in plain view
        box.caption(note)
    probe = Optimizer(m=m, sigma=sigma)
    hypers: dict[str, Any] = {}
    for h in probe.hypers_used:
        if h == "lr":
            continue
        spec = HYPERS[h]
        k = f"{p}{chosen}_{h}"
        _seed(k, int(getattr(src, h)) if spec.integer else float(getattr(src, h)))
        hi = spec.hi - (1e-4 if spec.hi_open else 0.0)
        lo = spec.lo + (1e-4 if spec.lo_open else 0.0)  # Rprop's η₊ > 1, η₋ > 0
        label = f"{t(f'hyper.{h}', lang)} {spec.symbol}"
        if spec.integer:  # a count (Sophia's period k): whole numbers only
            hypers[h] = float(box.number_input(label, int(lo), int(hi), key=k, step=1))
            continue
        hypers[h] = box.number_input(label, float(lo), float(hi), key=k,
                                     step=0.01 if h != "eps" else 1e-8,
                                     format="%.4g" if h != "eps" else "%.1e")  # fmt: skip
    switches = _switch_widgets(box, f"{p}{chosen}_", probe, src, lang)
    sched = _schedule_widgets(box, p + chosen + "_", src.schedule, lang)
    if n > 1:
        box.button(t("ctl.remove", lang), key=p + "remove", on_click=_remove_run, args=(i,))
    fixed = {k: v for k, v in base.to_dict().items() if k not in ("preset", "schedule")}
    if chosen == CUSTOM:
        return Optimizer(m=m, sigma=sigma, lr=lr, schedule=sched, **hypers, **switches)
    return preset(chosen, **{**fixed, "lr": lr, **hypers, **switches, "schedule": sched})


def _switch_widgets(box: Any, p: str, probe: Optimizer, src: Optimizer, lang: str
                    ) -> dict[str, bool]:  # fmt: skip
    """The on/off settings this run's parts have: decoupled weight decay (with a decay to
    decouple), the cautious mask (m parts whose reference offers it: parts.Part.cautious)."""
    out = {}
    if "weight_decay" in probe.hypers_used:
        out["decoupled"] = src.decoupled
    if M_PARTS[probe.m].cautious:
        out["cautious"] = src.cautious
    for name, value in out.items():
        _seed(p + name, value)
        out[name] = bool(box.toggle(t(f"ctl.{name}", lang), key=p + name,
                                    help=t(f"ctl.{name}_help", lang)))  # fmt: skip
    return out


def _schedule_widgets(box: Any, p: str, sched: Schedule, lang: str) -> Schedule:
    _seed(p + "sched", sched.kind)
    kind = box.selectbox(t("ctl.schedule", lang), SCHEDULE_KINDS, key=p + "sched",
                         format_func=lambda k: t(f"sched.{k}", lang))  # fmt: skip
    settings = _settings_widgets(box, p + "sched_", kind, sched if sched.kind == kind else None,
                                 lang)  # fmt: skip
    then = None
    if kind == "warmup":
        old_then = sched.then if sched.kind == "warmup" and sched.then else Schedule()
        _seed(p + "then", old_then.kind)
        then_kind = box.selectbox(t("ctl.then", lang), DECAY_KINDS, key=p + "then",
                                  format_func=lambda k: t(f"sched.{k}", lang))  # fmt: skip
        then = Schedule(
            then_kind,
            _settings_widgets(
                box, p + "then_", then_kind, old_then if old_then.kind == then_kind else None, lang
            ),
        )
    return Schedule(kind, settings, then)


def _settings_widgets(
    box: Any, p: str, kind: str, current: Schedule | None, lang: str
) -> tuple[tuple[str, float], ...]:
    values = dict(current.settings) if current else {}
    out = []
    for s in schedule_settings(kind):
        k = f"{p}{kind}_{s.name}"
        v = values.get(s.name, s.default)
        label = t(f"sched.setting.{s.name}", lang)
        if s.integer:
            _seed(k, int(v))
            out.append((s.name, float(box.number_input(label, int(s.lo), int(s.hi), key=k))))
        else:
            _seed(k, float(v))
            out.append((s.name, float(box.number_input(label, float(s.lo), float(s.hi), key=k,
                                                       format="%.4g"))))  # fmt: skip
    return tuple(out)


# -- the Sweep page's sidebar ----------------------------------------------------------------
SWEEP = "sw_state"


def _sweep_surface_changed() -> None:
    _clear("sw_start_")
    s: SweepState = st.session_state[SWEEP]
    st.session_state[SWEEP] = replace(s, surface=chosen_surface("sw_"), start=None)


def sweep_sidebar(initial: SweepState, ui: Any = None) -> SweepState:
    """The Sweep page's controls (keys ``sw_…``, apart from the Playground's), in ``ui``
    (``st.sidebar`` unless told otherwise: ``Unseen()`` reads them before they are drawn)."""
    _seed(SWEEP, initial)
    canon: SweepState = st.session_state[SWEEP]
    lang = current_lang()
    sb = ui if ui is not None else st.sidebar
    sb.header(t("ctl.surface_header", lang))
    _seed("sw_surface", canon.surface.key)
    key = sb.selectbox(t("ctl.surface", lang), [*SURFACES, CUSTOM_SURFACE], key="sw_surface",
                       format_func=lambda k: t("ctl.custom_surface", lang)
                       if k == CUSTOM_SURFACE else t(f"surface.{k}.name", lang),
                       on_change=_sweep_surface_changed)  # fmt: skip
    same = canon.surface.key == key
    if key == CUSTOM_SURFACE:
        surface = _formula_widgets(sb, canon.surface, lang, prefix="sw_")
    else:
        surface = _catalog_surface(sb, key, canon.surface, "sw_sp_", lang)
    sb.header(t("ctl.optimizers_header", lang))
    _seed("sw_presets", list(canon.presets))
    presets = sb.multiselect(t("sweep.pick", lang), list(PRESETS), key="sw_presets",
                             max_selections=MAX_RUNS,
                             format_func=lambda k: t(f"preset.{k}.label", lang))  # fmt: skip
    sb.header(t("ctl.run_header", lang))
    _seed("sw_steps", canon.steps)
    steps = sb.select_slider(t("ctl.steps", lang), SWEEP_STEP_OPTIONS, key="sw_steps",
                             format_func=lambda v: f"{v:,}")  # fmt: skip
    x, y = _start_widgets(sb, canon.start_point if same else surface.default_start,
                          surface.bound, "sw_", lang)  # fmt: skip
    _seed("sw_metric", canon.metric)
    metric = sb.radio(t("sweep.metric", lang), SWEEP_METRICS, key="sw_metric",
                      format_func=lambda k: t(f"sweep.metric_{k}", lang))  # fmt: skip
    tol = canon.tol
    if metric == "updates":
        _seed("sw_tol", canon.tol)
        tol = sb.select_slider(t("sweep.tol", lang), TOL_OPTIONS, key="sw_tol",
                               format_func=lambda v: f"{v:g}",
                               help=t("sweep.tol_help", lang))  # fmt: skip
    noise = _noise_widgets(sb, canon.noise, lang, prefix="sw_")
    k = 1
    if noise is not None:  # the seeds to average over: only noise makes them differ
        most = seeds_that_fit(len(presets) or len(canon.presets), int(steps))
        _seed("sw_noise_k", canon.k)
        if st.session_state.get("sw_noise_k", 1) > most:  # fewer fit with these optimizers
            st.session_state["sw_noise_k"] = most
        if most > 1:
            k = sb.slider(t("ctl.noise_k", lang), 1, most, key="sw_noise_k",
                          help=t("ctl.noise_k_help", lang))  # fmt: skip
        if most < SWEEP_MAX_SEEDS:
            sb.caption(t("ctl.noise_k_most", lang, k=most))
    start_pt = (float(x), float(y))
    state = SweepState(
        surface=surface,
        presets=tuple(presets) or canon.presets,
        steps=int(steps),
        start=None if start_pt == surface.default_start else start_pt,
        metric=str(metric),
        tol=float(tol),
        noise=noise,
        k=int(k),
    )
    st.session_state[SWEEP] = state
    return state


# -- the Basins page's sidebar ---------------------------------------------------------------
BASINS = "bs_state"


def basins_example() -> None:
    """The example pills: that example's surface, optimizer and η (lab.basins.EXAMPLES)."""
    name = st.session_state.get("bs_examples")
    if name not in BASIN_EXAMPLES:
        return
    surface, opt, lr = BASIN_EXAMPLES[name]
    for k in [k for k in st.session_state if isinstance(k, str) and k.startswith("bs_")]:
        if k not in (BASINS, "bs_warnings"):
            del st.session_state[k]
    s: BasinsState = st.session_state[BASINS]
    st.session_state[BASINS] = replace(s, surface=get_surface(surface),
                                      optimizer=preset(opt, lr=lr), pick=None)  # fmt: skip


def _basins_surface_changed() -> None:
    s: BasinsState = st.session_state[BASINS]
    st.session_state[BASINS] = replace(s, surface=chosen_surface("bs_"), pick=None)
    for k in ("bs_pick_x", "bs_pick_y"):
        st.session_state.pop(k, None)


def basins_pick_from_click(chart_key: str) -> None:
    """A click (tap) on the basin chart ``chart_key`` picks that cell's start."""
    p = clicked(chart_key)
    if p and isinstance(p.get("x"), (int, float)) and isinstance(p.get("y"), (int, float)):
        st.session_state["bs_pick_x"] = float(p["x"])
        st.session_state["bs_pick_y"] = float(p["y"])


def basins_sidebar(canon: BasinsState) -> BasinsState:
    """The Basins page's sidebar: the surface, one optimizer and its η, the updates, the grid,
    the colouring (and the tolerance for "updates")."""
    lang = current_lang()
    sb = st.sidebar
    sb.header(t("ctl.surface_header", lang))
    _seed("bs_surface", canon.surface.key)
    key = sb.selectbox(
        t("ctl.surface", lang), [*SURFACES, CUSTOM_SURFACE], key="bs_surface",
        format_func=lambda k: t("ctl.custom_surface", lang) if k == CUSTOM_SURFACE
        else t(f"surface.{k}.name", lang), on_change=_basins_surface_changed,
    )  # fmt: skip
    if key == CUSTOM_SURFACE:
        surface = _formula_widgets(sb, canon.surface, lang, prefix="bs_")
    else:
        surface = _catalog_surface(sb, key, canon.surface, "bs_sp_", lang)
    sb.header(t("basins.optimizer_header", lang))
    o = canon.optimizer
    _seed("bs_preset", o.preset)
    name = sb.selectbox(t("ctl.optimizer", lang), list(PRESETS), key="bs_preset",
                        format_func=lambda k: t(f"preset.{k}.label", lang))  # fmt: skip
    _seed("bs_lr", nearest(o.lr, LR_OPTIONS))
    lr = float(sb.select_slider(t("ctl.lr", lang), LR_OPTIONS, key="bs_lr",
                                format_func=fmt_lr))  # fmt: skip
    optimizer = o.with_(lr=lr) if name == o.preset else preset(name, lr=lr)
    sb.header(t("ctl.run_header", lang))
    _seed("bs_steps", canon.steps)
    steps = sb.select_slider(t("ctl.steps", lang), SWEEP_STEP_OPTIONS, key="bs_steps",
                             format_func=lambda v: f"{v:,}")  # fmt: skip
    _seed("bs_n", canon.n)
    n = sb.select_slider(
        t("basins.grid", lang),
        BASIN_GRID_OPTIONS,
        key="bs_n",
        format_func=lambda v: f"{v} × {v}",
        help=t("basins.grid_help", lang),
    )
    _seed("bs_color", canon.color_by)
    color_by = sb.radio(t("basins.color_by", lang), BASIN_COLOR_BY, key="bs_color",
                        format_func=lambda k: t(f"basins.color_{k}", lang))  # fmt: skip
    tol = canon.tol
    if color_by == "updates":
        _seed("bs_tol", canon.tol)
        tol = sb.select_slider(
            t("sweep.tol", lang),
            TOL_OPTIONS,
            key="bs_tol",
            format_func=lambda v: f"{v:g}",
            help=t("sweep.tol_help", lang),
        )
    return BasinsState(surface, optimizer, int(steps), int(n), str(color_by),
                                float(tol), canon.pick)  # fmt: skip
