"""Mini-batches on the Playground (a data surface's B of N points per update): the link's
``batch`` shows in the widget and drives the race; B = N is the exact run; other surfaces
have no such widget and a link's ``batch`` there is refused with a warning; the cost bound
counts the points each update reads."""

from __future__ import annotations

import numpy as np
from pagetest import playground, qp

from lab import urlstate
from lab.budget import noise_factor, race_plan
from lab.compute import build_race

LINREG = {"surface": "linreg", "opt": ["gd,lr:0.01"], "steps": "200"}


def path(query: dict) -> np.ndarray:
    s, warnings = urlstate.parse(query)
    assert not warnings
    return build_race(s)[0].runs[0].frame_theta


def test_the_links_batch_is_shown_kept_and_full_batch_is_exact():
    at = playground({**LINREG, "batch": "4", "seed": "3"})
    assert at.number_input(key="noise_batch").value == 4
    assert (qp(at, "batch"), qp(at, "seed")) == ("4", "3")
    at.number_input(key="noise_batch").set_value(40).run()  # N: the full batch
    assert qp(at, "batch") is None and qp(at, "seed") is None
    assert not at.warning


def test_mini_batch_paths_depend_on_the_seed_and_full_batch_is_the_exact_run():
    exact = path(LINREG)
    a = path({**LINREG, "batch": "4", "seed": "1"})
    assert np.array_equal(a, path({**LINREG, "batch": "4", "seed": "1"}))
    assert not np.array_equal(a, path({**LINREG, "batch": "4", "seed": "2"}))
    assert np.abs(a - exact).max() > 1e-3
    s, _ = urlstate.parse({**LINREG, "batch": "40"})
    assert s.noise is None  # B = N is no noise at all: the same settings as the exact run


def test_other_surfaces_have_no_batch_widget_and_refuse_it_in_a_link():
    at = playground({"surface": "ellipse", "batch": "4"})
    assert not [n for n in at.number_input if n.key == "noise_batch"]
    assert any("data points" in w.value for w in at.warning)
    assert qp(at, "batch") is None


def test_the_cost_bound_counts_the_points_each_update_reads():
    exact, _ = urlstate.parse(LINREG)
    small, _ = urlstate.parse({**LINREG, "batch": "2"})
    big, _ = urlstate.parse({**LINREG, "batch": "39"})
    assert noise_factor(exact.surface, exact.noise) == 1
    assert noise_factor(big.surface, big.noise) > 1
    assert race_plan(exact).cost < race_plan(small).cost <= race_plan(big).cost
