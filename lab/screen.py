"""Which screen a page is drawn for — a phone, a laptop or tablet, the projector — and what the
projector's page ("present mode", ``present=1`` in the link) changes.

How a chart is laid out for its width.  Streamlit 1.67's ``st.context`` gives the request's
headers, cookies, locale, time zone and URL, not the viewport's width, so the server guesses:
a phone says what it is in its User-Agent ("iPhone", "Android … Mobile", "Mobi") and Chromium
also in the ``Sec-CH-UA-Mobile: ?1`` client hint; it gets the COMPACT figures (everything
stacked, thumb-size buttons, no toolbar), everything else the WIDE ones (laid out to hold from
a 730 px wide chart, a tablet upright, up) or the projector's.  Each figure brings its other
layout along (lab.figures.with_alt, only what differs), and the chart component, which runs in
the page (lab.chart: no script of our own, nothing for the CSP to refuse), draws the one that
fits the width it has (``NARROW_BELOW``) and changes when it changes: a desktop browser made
narrow, a phone turned sideways, a tablet whose browser says "Mobile".  The server's guess is
drawn first only when the width cannot be read, so a phone gets its layout on the first draw
either way; it still decides what is not a chart (no Present button on a phone).

The projector's height is not known on the server either: in present mode the page puts the
chart into a container (``big_chart``) inside which CSS makes the plot as tall as the window
less the summary row and the Play controls, and the PRESENT figure has no height of its own
(plotly.js's autosize takes the height the plot's element has: lab.chart).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from surfaces.formula import formula_of

from .figures import COMPACT, PRESENT, WIDE, Fig, fmt, fmt_lr, with_alt
from .i18n import msg, tm

#: a phone's User-Agent (tablets' — iPad, Android without "Mobile" — do not match)
PHONE_UA = re.compile(r"iPhone|iPod|Android.*Mobile|Windows Phone|Opera Mini|IEMobile|Mobi",
                      re.IGNORECASE)  # fmt: skip
#: the key prefix of the containers that CSS stretches to the window's height in present mode
BIG = "esl_big_"
#: what is not the plot in present mode (the summary row above, the Play controls under it),
#: and the least height the plot gets
AROUND_CHART_PX = 172
MIN_CHART_PX = 400

PRESENT_CSS = f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"] {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 0.6rem 1.4rem 1rem 1.4rem !important;
  max-width: none !important; }}
[data-testid="stMain"] .stMarkdown p, [data-testid="stMain"] .stMarkdown li,
[data-testid="stMain"] [data-testid="stCaptionContainer"] p {{ font-size: 1.3rem; }}
[data-testid="stMain"] button p {{ font-size: 1.2rem; }}
[data-testid="stMain"] h1 {{ font-size: 2.4rem; padding-top: 0; }}
[data-testid="stMain"] h2, [data-testid="stMain"] h3 {{ font-size: 2rem; }}
div[class*="st-key-{BIG}"] .esl-chart:not(.esl-narrow) > .esl-plot > div:first-child {{
  height: max({MIN_CHART_PX}px, calc(100vh - {AROUND_CHART_PX}px)); }}
div[class*="st-key-{BIG}"] .esl-controls {{ font-size: 1.35rem; }}
div[class*="st-key-{BIG}"] .esl-controls button {{ min-height: 3rem; }}
</style>"""


def is_phone(headers: Mapping[str, str] | None = None) -> bool:
    """Whether the request comes from a phone (``headers``: the request's; default: this
    session's, from ``st.context``; none, as in AppTest: not a phone)."""
    if headers is None:
        try:
            headers = st.context.headers
        except Exception:  # outside a session
            return False
    if str(headers.get("Sec-Ch-Ua-Mobile", "")).strip() == "?1":
        return True
    return bool(PHONE_UA.search(str(headers.get("User-Agent", ""))))


def chart_variant(present: bool, headers: Mapping[str, str] | None = None) -> str:
    """The race figure's layout for this screen: a phone's (even in present mode: a student
    who got the projector's link), the projector's, or the wide one."""
    if is_phone(headers):
        return COMPACT
    return PRESENT if present else WIDE


def chart_config(variant: str) -> dict[str, Any]:
    """st.plotly_chart's config: no toolbar on a phone (it would cover the legend, and touch
    has no hover to reveal it), no scroll zoom anywhere (the page must scroll)."""
    config: dict[str, Any] = {"displaylogo": False, "scrollZoom": False}
    if variant == COMPACT:
        config["displayModeBar"] = False
    return config


def for_screens(fig: Fig, narrow: dict[str, Any], headers: Mapping[str, str] | None = None) -> Fig:
    """``fig`` (drawn wide) with ``narrow``, its layout for a narrow chart: the layout the
    request suggests (``is_phone``) is sent as the figure's, the other one with it; the chart
    draws the one that fits its width (lab.chart)."""
    if is_phone(headers):
        return with_alt({**fig, "layout": narrow}, WIDE, fig["layout"])
    return with_alt(dict(fig), COMPACT, narrow)


#: tabs that do not fit the width go on a second row, not off the screen (a phone's 390 px hold
#: three of the Playground's four)
TABS_CSS = """<style>[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; }</style>"""


def wrapping_tabs() -> None:
    """The page's tabs wrap onto more rows when the screen is narrow (``TABS_CSS``)."""
    st.html(TABS_CSS)


def present_style() -> None:
    """The projector's page: no sidebar (nor its » button) and no header, larger type, the
    width of the screen; containers from ``big_chart`` as tall as the window."""
    st.html(PRESENT_CSS)


def big_chart(name: str) -> Any:
    """A container for one chart (lab.chart) that present mode's CSS makes as tall as the
    window allows, with larger Play controls."""
    return st.container(key=BIG + name, border=False)


def summary(settings: Any, labels: tuple[str, ...], lang: str, steps: int | None = None) -> str:
    """The settings in one line, as Markdown that shows every value literally: the surface
    (a typed formula as typed), each run with its η, the updates and the start."""
    s = settings.surface
    params = ""
    if s.key == "custom":
        surface = msg("pg.summary_formula", formula=formula_of(s) or s.name)
    else:
        defaults = {p.name: p.default for p in s.kind.params}
        changed = [f"{k} = {v:g}" for k, v in s.values.items() if v != defaults[k]]
        surface = msg(f"surface.{s.key}.name")
        params = f" ({', '.join(changed)})" if changed else ""
    runs = " · ".join(label if "η =" in label else f"{label} η = {fmt_lr(o.lr)}"
                      for label, o in zip(labels, settings.runs, strict=True))  # fmt: skip
    x, y = settings.start_point
    return tm(msg("pg.summary", surface=surface, params=params, runs=runs,
                  steps=f"{steps if steps is not None else settings.steps:,}",
                  x=fmt(x), y=fmt(y)), lang)  # fmt: skip
