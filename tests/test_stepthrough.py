"""The step-through panel (lab.stepthrough): update t's numbers are the engine's records of the
race, the formula's check holds where a run fits it and says what a run adds where it does not,
bad requests get a clear message, and the widgets (AppTest of tests/stepthrough_fixture.py) move
t and the numbers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lab import urlstate
from lab.i18n import t as tr
from lab.i18n import tm
from lab.plaintext import md_unliteral
from lab.stepthrough import (
    TOL,
    StepError,
    formula_latex,
    notes,
    table_rows,
    tex_num,
    update_numbers,
)
from optimizers import Schedule, preset, run
from optimizers.optimizer import make_optimizer

FIXTURE = str(Path(__file__).with_name("stepthrough_fixture.py"))
WARMUP = Schedule("warmup", (("warmup", 10.0), ("start_factor", 0.1)))
RUNS = (
    preset("gd", lr=0.001),
    preset("momentum", lr=0.001),
    preset("rmsprop", lr=0.01),
    preset("adam", lr=0.05),
    preset("adamw", lr=0.05, weight_decay=0.1),
    make_optimizer({"preset": "gd", "lr": 0.001, "schedule": WARMUP}),
    preset("newton"),
    preset("lion", lr=0.01),
)
SETTINGS = urlstate.Settings(runs=RUNS, steps=40)


@pytest.fixture(scope="module")
def race():
    """The race as the Playground runs it: every run at once."""
    return run(SETTINGS.surface, SETTINGS.runs, start=SETTINGS.start_point, steps=SETTINGS.steps)


@pytest.mark.parametrize("r", range(len(RUNS)))
@pytest.mark.parametrize("t", [0, 1, 9, 38])
def test_numbers_are_the_races_records(race, r: int, t: int) -> None:
    n = update_numbers(SETTINGS, r, t)
    assert n.t == t
    assert n.theta == tuple(race.theta[r, t]) and n.theta_next == tuple(race.theta[r, t + 1])
    assert n.grad == tuple(race.grad[r, t])
    assert n.m == tuple(race.m[r, t]) and n.sigma == tuple(race.sigma[r, t])
    assert n.eta == race.eta[r, t]
    assert n.loss == race.loss[r, t] and n.loss_next == race.loss[r, t + 1]
    assert n.step == tuple(race.theta[r, t + 1] - race.theta[r, t])
    assert n.eff == tuple(race.eta[r, t] / race.sigma[r, t])
    assert n.predicted == tuple(-race.eta[r, t] / race.sigma[r, t] * race.m[r, t])


@pytest.mark.parametrize("r", [0, 1, 2, 3, 5, 6, 7])
def test_check_holds_where_the_run_fits(r: int) -> None:
    for t in (0, 5, 30):
        n = update_numbers(SETTINGS, r, t)
        assert n.fits and n.rel_err <= TOL
        assert not any(s == 0 for s in n.step)  # a real step, not 0 = 0


def test_gd_and_momentum_by_hand() -> None:
    gd = update_numbers(SETTINGS, 0, 3)
    assert gd.m == gd.grad and gd.sigma == (1.0, 1.0) and gd.eta == 0.001
    assert np.allclose(gd.theta_next, np.subtract(gd.theta, 0.001 * np.array(gd.grad)), rtol=1e-15)
    mom = [update_numbers(SETTINGS, 1, t) for t in (3, 4)]
    assert np.allclose(mom[1].m, 0.9 * np.array(mom[0].m) + np.array(mom[1].grad), rtol=1e-12)


def test_adam_bias_correction_and_rmsprop() -> None:
    a0 = update_numbers(SETTINGS, 3, 0)  # m̂⁰ = g⁰ and σ⁰ = |g⁰| + ε after bias correction
    assert np.allclose(a0.m, a0.grad, rtol=1e-12)
    assert np.allclose(a0.sigma, np.abs(a0.grad) + 1e-8, rtol=1e-12)
    assert np.allclose(np.abs(a0.step), 0.05, rtol=1e-6)  # Adam's first step is η per parameter
    r0 = update_numbers(SETTINGS, 2, 0)  # RMSprop: σ⁰ = √((1 − α)·g²) + ε, α = 0.99
    assert np.allclose(r0.sigma, np.sqrt(0.01) * np.abs(r0.grad) + 1e-8, rtol=1e-12)


def test_adamw_shows_the_decay_apart() -> None:
    for t in (0, 7, 20):
        n = update_numbers(SETTINGS, 4, t)
        assert not n.fits and n.decay == 0.1
        assert np.allclose(n.extra, -n.eta * 0.1 * np.array(n.theta), rtol=1e-9)
        said = notes(RUNS[4], n, "en")
        assert said[0].startswith("Decoupled weight decay λ = 0.1")
        assert "(run:" in formula_latex(n)[0].replace(r"\text{run}", "run")


def test_warmup_schedule() -> None:
    etas = [update_numbers(SETTINGS, 5, t).eta for t in (0, 5, 10, 30)]
    assert etas[0] == pytest.approx(1e-4) and etas[0] < etas[1] < etas[2]
    assert etas[2] == etas[3] == pytest.approx(1e-3)


@pytest.mark.parametrize(("r", "key"), [(6, "step.beyond.newton"), (7, "step.beyond.lion")])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_runs_that_add_to_the_formula_say_so(r: int, key: str, lang: str) -> None:
    n = update_numbers(SETTINGS, r, 4)
    said = notes(RUNS[r], n, lang)
    assert tr(key, lang) in said and said[-1] == tr("step.fits", lang, err=f"{n.rel_err:.1e}")
    if r == 7:
        assert set(n.m) <= {-1.0, 0.0, 1.0}


def test_schedule_free_does_not_fit() -> None:
    s = urlstate.Settings(runs=(preset("schedule_free_sgd"),), steps=20)
    n = update_numbers(s, 0, 5)
    assert not n.fits and n.rel_err > 1e-6
    said = notes(s.runs[0], n, "zh")
    assert tr("step.beyond.schedule_free", "zh") in said and said[-1].startswith("核对：Δθᵗ 不等于")


def _message(req, lang: str = "en") -> str:
    with pytest.raises(StepError) as e:
        req()
    return md_unliteral(tm(e.value.message, lang))


def test_out_of_range_is_a_message() -> None:
    text = _message(lambda: update_numbers(SETTINGS, 0, 40))
    assert "out of range: updates go from 0 to 39" in text
    assert "超出范围" in _message(lambda: update_numbers(SETTINGS, 0, -1), "zh")
    assert "no run 8" in _message(lambda: update_numbers(SETTINGS, 8, 0))
    assert "no run" in _message(lambda: update_numbers(SETTINGS, "<b>1</b>", 0))
    assert "out of range" in _message(lambda: update_numbers(SETTINGS, 0, 2.5))


def test_diverged_and_not_started_runs() -> None:
    s = urlstate.Settings(runs=(preset("gd", lr=0.003),), steps=500)
    full = run(s.surface, s.runs, start=s.start_point, steps=500)
    k = int(full.length[0]) - 1
    assert full.diverged[0] and 2 <= k < 500
    assert update_numbers(s, 0, k - 1).t == k - 1  # the last update with both ends valid
    text = _message(lambda: update_numbers(s, 0, k))
    assert f"stopped at update {k}" in text and f"the last one with numbers is {k - 1}" in text
    assert "停了" in _message(lambda: update_numbers(s, 0, k + 5), "zh")
    log, _ = urlstate.parse({"surface": "custom", "f": "log(x) + y**2", "x": "-1", "y": "1"})
    assert log.surface.key == "custom" and log.start_point == (-1.0, 1.0)
    assert "did not start" in _message(lambda: update_numbers(replace(log, steps=10), 0, 0))


def test_latex_holds_numbers_only() -> None:
    assert tex_num(1.5e-7) == r"1.5 \times 10^{-7}" and tex_num(-2.0) == "-2"
    n = update_numbers(SETTINGS, 3, 2)
    for line in formula_latex(n):
        assert line.startswith(r"\theta_") and "{" in line and "$" not in line
    assert list(table_rows(n)) == ["θᵗ", "gᵗ", "mᵗ", "σᵗ", "ηᵗ", "ηᵗ/σᵗ", "−(ηᵗ/σᵗ)·mᵗ",
                                   "Δθᵗ", "θᵗ⁺¹"]  # fmt: skip


# -- the widgets -----------------------------------------------------------------------------
HOSTILE = "**x** [log in](https://evil.example) $\\href{a}{b}$ :material/warning:"


def _app(lang: str = "en", labels: tuple[str, ...] = ()):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(FIXTURE, default_timeout=120)
    at.query_params["opt"] = ["gd,lr:0.001", "adam,lr:0.05", "gd,lr:0.003"]
    at.query_params["steps"] = "200"
    at.query_params["lang"] = lang
    if labels:
        at.query_params["label"] = list(labels)
    return at.run()


def _theta1(at) -> str:
    return at.latex[0].value


def test_widgets_move_t_and_the_numbers() -> None:
    at = _app(labels=(HOSTILE, "two", "three"))
    assert not at.exception
    assert at.slider[0].value == 0 and at.slider[0].max == 199
    first = _theta1(at)
    assert r"\theta_1^{1} = \theta_1^{0}" in first
    at.button[1].click().run()  # ▶
    assert at.slider[0].value == 1 and r"\theta_1^{2} = \theta_1^{1}" in _theta1(at)
    at.slider[0].set_value(150).run()
    assert r"\theta_1^{151}" in _theta1(at)
    at.button[0].click().run()  # ◀
    assert at.slider[0].value == 149 and r"\theta_1^{150}" in _theta1(at)
    assert at.button[0].proto.shortcut == "left" and at.button[1].proto.shortcut == "right"
    # the label is shown as typed: in the picker as plain text, in the heading escaped
    assert at.selectbox[0].options[0] == HOSTILE
    head = next(m.value for m in at.markdown if "update t = 149" in m.value)
    assert HOSTILE in md_unliteral(head) and "[log in](" not in head and "$\\href" not in head
    assert all(HOSTILE not in x.value for x in at.latex)


def test_widgets_diverged_run_and_chinese() -> None:
    at = _app("zh")
    assert not at.exception and at.markdown[0].value == "**完整地看一次更新**"
    at.selectbox[0].set_value(2).run()  # gd at η = 0.003 leaves the surface
    last = at.slider[0].max
    assert last < 199
    at.slider[0].set_value(last).run()
    assert not at.exception and not at.warning
    assert any(c.value.startswith("核对：Δθᵗ = −(ηᵗ/σᵗ)·mᵗ 成立") for c in at.caption)
    at.button[1].click().run()  # ▶ at the last valid update stays there
    assert at.slider[0].value == last


def test_noisy_run_is_the_races_run_and_says_g_is_the_true_one() -> None:
    from optimizers import Noise

    s = replace(SETTINGS, runs=RUNS[:4], noise=Noise(scale=0.5, seed=7))
    full = run(s.surface, s.runs, start=s.start_point, steps=s.steps, noise=s.noise)
    n = update_numbers(s, 3, 12)  # run 3 alone sees the noise it saw in the race
    assert n.noisy and n.theta_next == tuple(full.theta[3, 13]) and n.m == tuple(full.m[3, 12])
    assert n.grad == tuple(full.grad[3, 12]) and n.fits
    gd = update_numbers(s, 0, 12)
    assert gd.m != gd.grad  # gradient descent's m is the noisy g it saw, not the true g shown
    assert notes(s.runs[0], gd, "en")[0] == tr("step.noisy", "en")


def test_every_preset_fits_or_says_what_it_adds() -> None:
    from optimizers import PRESETS

    s = urlstate.Settings(runs=tuple(preset(k) for k in PRESETS), steps=8)
    for r, o in enumerate(s.runs):
        n = update_numbers(s, r, 1)
        said = notes(o, n, "en")
        assert (
            n.fits
            or n.decay
            or o.m.startswith("schedule_free")
            or (tr(f"preset.{o.preset}.fits", "en") in said)
        ), o.preset
