"""Gradient noise on the Playground: the link's noise shows in the widgets and drives the race;
the same seed gives the same paths, another seed other paths; scale 0 is the exact race."""

from __future__ import annotations

import numpy as np
from pagetest import playground, qp
from streamlit.testing.v1 import AppTest

QUERY = {"surface": "ellipse", "opt": ["gd,lr:0.01"], "steps": "200"}


def race_of(at: AppTest):
    """The race the page's link stands for, as lab.compute builds it (uncached)."""
    from lab import urlstate
    from lab.compute import build_race

    q = {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}
    s, warnings = urlstate.parse(q)
    assert not warnings
    return build_race(s)[0].runs[0].frame_theta


def test_the_links_noise_is_shown_and_kept():
    at = playground({**QUERY, "noise": "0.5,rel:1", "seed": "7"})
    assert at.number_input(key="noise_scale").value == 0.5
    assert at.toggle(key="noise_rel").value is True
    assert at.number_input(key="noise_seed").value == 7
    assert (qp(at, "noise"), qp(at, "seed")) == ("0.5,rel:1", "7")


def test_widgets_write_the_noise_into_the_link_and_zero_removes_it():
    at = playground(QUERY)
    assert qp(at, "noise") is None
    at.number_input(key="noise_scale").set_value(0.2).run()
    at.number_input(key="noise_seed").set_value(3).run()
    assert (qp(at, "noise"), qp(at, "seed")) == ("0.2", "3")
    at.number_input(key="noise_scale").set_value(0.0).run()
    assert qp(at, "noise") is None and qp(at, "seed") is None


def test_the_same_seed_gives_the_same_paths_and_another_seed_others():
    at = playground({**QUERY, "noise": "0.3", "seed": "1"})
    first = race_of(at)
    assert np.array_equal(first, race_of(playground({**QUERY, "noise": "0.3", "seed": "1"})))
    at.number_input(key="noise_seed").set_value(2).run()
    other = race_of(at)
    exact = race_of(playground(QUERY))
    assert not np.array_equal(first, other) and not np.array_equal(first, exact)
    assert np.abs(first - exact).max() > 1e-3  # noise of 0.3 moves the path visibly
