""" "Tune each η: a fair race" on the Playground (lab.fairrace does the tuning, pure).

A popover under the race chart: what "best η" means (least final loss, or fewest updates to
the target), and a button.  The button's callback tunes every racing optimizer's η with the
same budget and objective (one cached sweep), puts each at its own best η on its slider
(``controls.load``: the link follows), and keeps what the chart must state, shown while the
Playground still holds those settings.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from . import urlstate
from .budget import OverBudget
from .compute import fair_race
from .controls import load
from .fairrace import OBJECTIVES, caption, picked, race_key, tuned
from .i18n import t, tm

#: what the last tuning said, and the settings it produced: (query, messages) or a refusal
DONE = "pg_fair"
OBJECTIVE = "pg_tune_objective"


def _tune(settings: urlstate.Settings) -> None:
    objective = st.session_state.get(OBJECTIVE) or OBJECTIVES[0]
    try:
        race = fair_race(race_key(settings, objective))
    except OverBudget as e:
        st.session_state[DONE] = (None, e.plan)
        return
    new = tuned(settings, race)
    load(new)
    st.session_state[DONE] = (urlstate.to_query(new), caption(race) + picked(race))


def tune_each_eta(settings: urlstate.Settings, query: dict[str, Any], lang: str) -> None:
    """The popover, and what the last tuning said while the page still shows its result."""
    with st.popover(t("fairrace.tune", lang), icon=":material/tune:"):
        st.radio(t("fairrace.objective", lang), OBJECTIVES, key=OBJECTIVE,
                 format_func=lambda k: t(f"fairrace.objective_{k}", lang))  # fmt: skip
        st.button(t("fairrace.tune", lang), key="pg_tune", help=t("fairrace.tune_help", lang),
                  on_click=_tune, args=(settings,), type="primary")  # fmt: skip
    done = st.session_state.get(DONE)
    if done is None:
        return
    tuned_query, said = done
    if tuned_query is None:  # over the bound: nothing was tuned
        st.warning(said.message(lang), icon=":material/hourglass_empty:")
        st.session_state.pop(DONE, None)
    elif tuned_query == query:
        st.caption("\n\n".join(tm(m, lang) for m in said))
    else:  # the settings changed since: what it said no longer applies
        st.session_state.pop(DONE, None)
