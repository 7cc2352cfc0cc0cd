"""The one cached engine call behind every race chart (Playground and Lecture pages).

Keyed by the canonical URL query of the settings (JSON), so the same view asked by sixty
students, or by two pages, runs the engine once.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from . import urlstate
from .figures import adaptive_figure, prebuilt, race_figure
from .i18n import t
from .simulate import Trajectories, simulate


def run_label(o: Any, lang: str) -> str:
    """A run's name as the user reads it: its preset's, or its parts'."""
    if o.preset:
        return t(f"preset.{o.preset}.label", lang)
    return f"{t(f'm.{o.m}', lang)} / {t(f'sigma.{o.sigma}', lang)}"


def query_key(settings: urlstate.Settings, labels: tuple[str, ...] | None = None) -> str:
    q: dict[str, Any] = dict(urlstate.to_query(settings))
    if labels:
        q["labels"] = list(labels)
    return json.dumps(q, sort_keys=True)


@st.cache_resource(max_entries=48, ttl=3600, show_spinner=False)
def race(key: str) -> tuple[Trajectories, Any, Any]:
    """One engine run and its two figures per distinct settings.
    Bounded: 48 entries of at most ~1.5 MB each, dropped after an hour unused."""
    q = json.loads(key)
    labels = q.pop("labels", None)
    s, _ = urlstate.parse(q)
    labels = tuple(labels) if labels else tuple(run_label(o, s.lang) for o in s.runs)
    traj = simulate(s.surface, s.runs, s.start_point, s.steps, labels=labels)
    fig = prebuilt(race_figure(traj, log_y=s.log_y, lang=s.lang))
    return traj, fig, prebuilt(adaptive_figure(traj, lang=s.lang))
