"""The one cached engine call behind every race chart (Playground and Lecture pages).

Keyed by the canonical URL query of the settings (JSON), so the same view asked by sixty
students, or by two pages, runs the engine once.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from . import urlstate
from .figures import adaptive_figure, fmt_lr, prebuilt, race_figure
from .i18n import t
from .simulate import Trajectories, simulate


def run_label(o: Any, lang: str) -> str:
    """A run's name as the user reads it: its preset's, or its parts'."""
    if o.preset:
        return t(f"preset.{o.preset}.label", lang)
    return f"{t(f'm.{o.m}', lang)} / {t(f'sigma.{o.sigma}', lang)}"


def run_labels(runs: Any, lang: str) -> tuple[str, ...]:
    """Every run's name, told apart: a schedule other than constant is named, and runs that
    would still share a name get their η."""
    names = []
    for o in runs:
        name = run_label(o, lang)
        if o.schedule.kind != "constant":
            name += f" · {t(f'sched.{o.schedule.kind}', lang)}"
        names.append(name)
    counts = {n: names.count(n) for n in names}
    names = [f"{n} · η = {fmt_lr(o.lr)}" if counts[n] > 1 else n
             for n, o in zip(names, runs, strict=True)]  # fmt: skip
    counts = {n: names.count(n) for n in names}
    return tuple(f"{n} ({i + 1})" if counts[n] > 1 else n for i, n in enumerate(names))


def query_key(settings: urlstate.Settings, labels: tuple[str, ...] | None = None) -> str:
    q: dict[str, Any] = dict(urlstate.to_query(settings))
    if labels:
        q["labels"] = list(labels)
    return json.dumps(q, sort_keys=True)


@st.cache_resource(max_entries=48, ttl=3600, show_spinner=False)
def race(key: str) -> tuple[Trajectories, Any, Any]:
    """One engine run and its two figures per distinct settings.
    Bounded: 48 entries of at most ~3 MB each (6 runs × 100,000 updates), dropped after an
    hour unused (docs/HOSTING.md)."""
    q = json.loads(key)
    labels = q.pop("labels", None)
    s, _ = urlstate.parse(q)
    labels = tuple(labels) if labels else run_labels(s.runs, s.lang)
    traj = simulate(s.surface, s.runs, s.start_point, s.steps, labels=labels)
    fig = prebuilt(race_figure(traj, log_y=s.log_y, lang=s.lang))
    return traj, fig, prebuilt(adaptive_figure(traj, lang=s.lang))
