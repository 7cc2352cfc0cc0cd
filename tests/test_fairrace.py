"""The fair race's tuning (lab/fairrace.py): each optimizer's η is the one its own sweep row
reports best (read here off the sweep's table), ties go to the smaller η, an optimizer that
diverges at every η is left out, and the budget cuts the tuning's updates, never silently."""

from __future__ import annotations

import numpy as np
import pytest

from lab import budget
from lab.fairrace import TUNE_LRS, caption, fair_race, picked, tune_plan
from lab.i18n import tm
from lab.plaintext import md_unliteral
from lab.sweep import sweep
from lab.urlstate import LR_OPTIONS
from optimizers import OptimizerError, preset
from surfaces import get_surface

ELLIPSE = get_surface("ellipse", ratio=1000.0)
THREE = (preset("gd"), preset("momentum"), preset("adam"))


@pytest.fixture(scope="module")
def by_loss():
    return fair_race(ELLIPSE, THREE, steps=500, objective="loss")


@pytest.fixture(scope="module")
def by_updates():
    return fair_race(ELLIPSE, THREE, steps=5000, objective="updates", tol=1e-3)


def test_the_grid_is_the_playground_slider():
    np.testing.assert_array_equal(TUNE_LRS, np.array(LR_OPTIONS))


def test_loss_pick_is_the_argmin_of_the_sweeps_own_table(by_loss):
    res = by_loss.sweep
    assert res.steps == 500 and res.lrs.size == len(LR_OPTIONS)
    for i, p in enumerate(by_loss.picks):
        row = np.where(res.diverged[i], np.inf, res.final_loss[i])
        j = int(np.argmin(row))  # numpy: the first (smallest η) of exact ties
        assert p.column == j == int(res.best[i]), (i, p)
        assert p.optimizer.lr == res.lrs[j] == by_loss.sweep.best_lr[i]
        assert p.value == res.final_loss[i, j]
        assert p.optimizer.with_(lr=THREE[i].lr) == THREE[i]  # only η changed
        assert p.optimizer.lr in LR_OPTIONS  # settable on the Playground's slider


def test_the_pick_equals_a_separate_sweep_of_the_same_settings(by_loss):
    again = sweep(ELLIPSE, THREE, steps=500, lrs=TUNE_LRS)
    assert tuple(p.optimizer.lr for p in by_loss.picks) == again.best_lr


def test_updates_pick_is_the_fewest_updates_on_the_sweeps_table(by_updates):
    res = by_updates.sweep
    assert by_updates.target == pytest.approx(1e-3)
    for i, p in enumerate(by_updates.picks):
        ok = (res.hit[i] >= 0) & ~res.diverged[i]
        assert ok.any()
        j = int(np.argmin(np.where(ok, res.hit[i], np.iinfo(np.int64).max)))
        assert p.column == j == int(res.fastest[i])
        assert p.value == res.hit[i, j] and p.why in ("best", "tie")
    text = md_unliteral(tm(caption(by_updates)[0], "en"))
    assert "0.001" in text and "5,000" in text


def test_the_racers_race_at_their_picks(by_loss):
    assert by_loss.racers == tuple(p.optimizer for p in by_loss.picks)
    assert len({o.lr for o in by_loss.racers}) > 1  # one η cannot fit all
    lines = [tm(m, "en") for m in picked(by_loss)]
    assert len(lines) == 3 and lines[0].startswith("GD: η = ")


def test_all_diverged_is_left_out_and_explained():
    fr = fair_race(ELLIPSE, (preset("gd"), preset("adam")), steps=200, lrs=(3.0, 10.0))
    gd, adam = fr.picks
    assert fr.sweep.diverged[0].all()
    assert gd.why == "all_diverged" and gd.lr is None and not gd.races and gd.value is None
    assert gd.optimizer == preset("gd")
    assert adam.races and fr.racers == (adam.optimizer,)  # Adam's steps stay ≈ η: bounded
    msgs = [m[0] for m in caption(fr)]
    assert "fairrace.all_diverged" in msgs
    assert any("GD" in tm(m, "en") and "diverged at every" in tm(m, "en") for m in caption(fr))


def test_none_reaching_the_target_races_at_its_least_loss_and_says_so():
    fr = fair_race(ELLIPSE, (preset("gd"),), steps=10, objective="updates", tol=1e-8)
    (p,) = fr.picks
    res = fr.sweep
    assert not res.reached.any()
    assert p.why == "none_reached" and p.column == int(res.best[0])
    assert p.value == res.final_loss[0, p.column]
    assert "fairrace.none_reached" in [m[0] for m in caption(fr)]


def test_ties_go_to_the_smallest_eta_and_are_explained():
    # from a minimum every η stays there: the same loss at every η
    fr = fair_race(get_surface("himmelblau"), (preset("adam"),), start=(3.0, 2.0), steps=50)
    (p,) = fr.picks
    res = fr.sweep
    assert np.ptp(res.final_loss[0]) == 0.0
    assert p.column == 0 and p.optimizer.lr == LR_OPTIONS[0]
    assert p.why == "tie" and p.ties == len(LR_OPTIONS)
    notes = [tm(m, "en") for m in caption(fr)]
    assert any(f"{len(LR_OPTIONS)} learning rates tie" in n for n in notes)


def test_budget_cuts_the_tuning_updates_and_says_so():
    fr = fair_race(ELLIPSE, THREE, steps=100_000)
    plan = tune_plan(ELLIPSE, 3, 100_000)
    assert fr.cut and fr.sweep.steps == plan.steps < 100_000 and plan.steps > 0
    assert budget.sweep_cost(ELLIPSE, 3, TUNE_LRS.size, fr.sweep.steps) <= budget.LIMIT
    msgs = caption(fr)
    assert msgs[1][0] == "fairrace.budget"
    assert "100,000" in tm(msgs[0], "en") and "100,000" in tm(msgs[1], "en")
    short = fair_race(ELLIPSE, THREE, steps=500)
    assert not short.cut and "fairrace.budget" not in [m[0] for m in caption(short)]


def test_nothing_runs_when_not_even_the_fewest_updates_fit():
    with pytest.raises(budget.OverBudget):
        fair_race(ELLIPSE, THREE, steps=500, limit=1e-6)


@pytest.mark.parametrize("bad", [{"objective": "speed"}, {"tol": -1.0}, {"tol": float("nan")}])
def test_bad_arguments_are_refused(bad):
    with pytest.raises(OptimizerError):
        fair_race(ELLIPSE, THREE, steps=100, **bad)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_caption_reads_without_placeholders(lang, by_loss, by_updates):
    fr = fair_race(ELLIPSE, (preset("gd"),), steps=10, objective="updates", tol=1e-8)
    for race in (by_loss, by_updates, fr):
        for m in caption(race) + picked(race):
            text = tm(m, lang)
            assert text and "{" not in text and "fairrace." not in text, text


def test_from_playground_settings_to_the_tuned_race_and_its_link():
    from lab.fairrace import race_from_key, race_key, tuned
    from lab.urlstate import Settings, parse, to_query

    s = Settings(
        surface=ELLIPSE,
        runs=(preset("gd", lr=0.05), preset("adam", lr=0.05)),
        steps=500,
        start=(-1.5, 1.0),
        lang="zh",
        present=True,
    )
    key = race_key(s, "loss")
    assert (
        race_key(Settings(surface=ELLIPSE, runs=s.runs, steps=500, start=(-1.5, 1.0)), "loss")
        == key
    )  # the language and present mode do not change it
    fr = race_from_key(key)
    direct = fair_race(ELLIPSE, s.runs, (-1.5, 1.0), 500, "loss")
    assert [p.column for p in fr.picks] == [p.column for p in direct.picks]
    t = tuned(s, fr)
    assert [o.lr for o in t.runs] == [p.optimizer.lr for p in fr.picks]
    assert t.runs[0].with_(lr=0.05) == s.runs[0] and t.start == s.start and t.steps == 500
    back, warnings = parse(to_query(t))  # the tuned race is a Playground link as it is
    assert not warnings and back.runs == t.runs
    assert fr.sweep.start == (-1.5, 1.0)


def test_with_noise_the_tuning_averages_over_seeds_and_says_so():
    """A noisy Playground link: each η is tried with TUNE_SEEDS seeds, the pick is the argmin of
    their mean (the sweep's own table with the same noise and seeds), the caption says so."""
    from lab import urlstate
    from lab.fairrace import TUNE_SEEDS, race_from_key, race_key

    s, _ = urlstate.parse({"surface": "ellipse", "opt": ["gd", "adam"], "steps": "200",
                           "noise": "0.5", "seed": "4"})  # fmt: skip
    fr = race_from_key(race_key(s))
    assert fr.sweep.seeds == TUNE_SEEDS
    res = sweep(s.surface, s.runs, start=s.start_point, steps=200, lrs=TUNE_LRS,
                noise=s.noise, seeds=TUNE_SEEDS)  # fmt: skip
    assert [p.column for p in fr.picks] == res.best.tolist()
    assert any("4 seeds" in tm(m, "en") for m in caption(fr))
    exact, _ = urlstate.parse({"surface": "ellipse", "opt": ["gd", "adam"], "steps": "200"})
    assert race_from_key(race_key(exact)).sweep.seeds == 1
