"""Runs advanced many at once (kernel._lanes) give the numbers of runs advanced one after
another, to the bit: every record, every stop, with noise, weight decay and shared β tables."""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import Noise, Optimizer, Schedule, preset, run
from optimizers.kernel import LANES
from surfaces import custom_surface, get_surface

RECORDS = ("theta", "loss", "grad", "eta", "sigma", "m")
LANE_PRESETS = ("gd", "momentum", "nesterov", "adagrad", "rms", "rmsprop_lecture", "rmsprop",
                "adam", "adamw")  # fmt: skip


def same_bits(a, b):
    if a is None or b is None:
        return a is b
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == np.float64:
        return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))
    return np.array_equal(a, b)


def assert_same(x, y):
    for k in (*RECORDS, "final_theta", "final_loss", "length", "stop", "hit"):
        assert same_bits(getattr(x, k), getattr(y, k)), k


def mixed_batch(rng, n):
    opts = []
    for i in range(n):
        name = LANE_PRESETS[i % len(LANE_PRESETS)]
        kw = {"lr": float(10 ** rng.uniform(-4, 0.5))}
        if i % 7 == 3:
            kw["weight_decay"] = 0.01
        if name == "adam" and i % 5 == 0:
            kw["beta2"] = 0.99  # a second β₂ row in the shared table
        if name in ("momentum", "nesterov") and i % 4 == 1:
            kw["momentum"] = 0.5
        opts.append(preset(name, **kw))
    return opts


@pytest.mark.parametrize("surface", ["himmelblau", "ellipse", "rosenbrock", "wall", "saddle"])
def test_lanes_equal_one_after_another(surface):
    s = get_surface(surface)
    rng = np.random.default_rng(abs(hash(surface)) % 2**32)
    n = 2 * LANES + 17  # several full groups, a partial one
    opts = mixed_batch(rng, n)
    starts = np.clip(np.array(s.default_start) + rng.normal(0, 0.5, (n, 2)), -s.bound, s.bound)
    noise = [Noise(float(rng.uniform(0, 1)), bool(i % 2), i) if i % 3 == 0 else None
             for i in range(n)]  # fmt: skip
    fast = run(s, opts, start=starts, steps=600, noise=noise, target=1e-3)
    slow = run(s, opts, start=starts, steps=600, noise=noise, target=1e-3, lanes=False)
    assert_same(fast, slow)


def test_stops_and_records_held_after_them():
    """Runs that overflow, leave the surface or start off it, among runs that do not."""
    s = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    opts = [preset("gd", lr=lr) for lr in (1e-3, 0.5, 10.0, 1e3)] + [preset("adam", lr=5.0)]
    starts = [(-1.6, 1.2)] * 5
    fast = run(s, opts, start=starts, steps=300)
    slow = run(s, opts, start=starts, steps=300, lanes=False)
    assert fast.diverged.sum() >= 2
    assert_same(fast, slow)
    log = custom_surface("log(x) + y**2", (-1.0, 3.0, -2.0, 2.0))
    opts = [preset("gd", lr=0.1), preset("adam", lr=0.5), preset("rmsprop", lr=1.0)]
    starts = [(-0.5, 0.0), (1.0, 1.0), (0.3, 0.2)]  # the first has no loss at its start
    fast = run(log, opts, start=starts, steps=200)
    slow = run(log, opts, start=starts, steps=200, lanes=False)
    assert not fast.started[0]
    assert_same(fast, slow)


def test_partial_records_and_mixed_with_other_parts():
    """Lane runs beside runs the loop advances one by one (other parts, reduce-on-plateau)."""
    s = get_surface("himmelblau")
    plateau = Schedule.make({"kind": "plateau", "factor": 0.5, "patience": 5})
    opts = [preset("adam", lr=0.05), preset("sophia", lr=0.05), preset("gd", lr=0.01),
            Optimizer(m="adam", sigma="adam", lr=0.05, schedule=plateau), preset("prodigy"),
            preset("rms", lr=0.1), preset("lion", lr=0.01)]  # fmt: skip
    for record in ((), ("loss",), ("theta", "sigma"), "all"):
        fast = run(s, opts, steps=400, record=record)
        slow = run(s, opts, steps=400, record=record, lanes=False)
        assert_same(fast, slow)


def test_a_lane_run_alone_and_in_a_full_group():
    s = get_surface("rosenbrock")
    opts = [preset("adam", lr=float(lr)) for lr in np.logspace(-4, -1, LANES)]
    batch = run(s, opts, steps=500)
    for r in (0, LANES // 2, LANES - 1):
        alone = run(s, [opts[r]], steps=500)
        for k in RECORDS:
            assert same_bits(getattr(alone, k)[0], getattr(batch, k)[r]), (r, k)


def test_shared_powers_are_the_loops_own_bits_and_capped():
    """β^s from the batch's table (runner._power_rows) equals the pow of a run alone, for more
    shared values than the table holds (the rest computed in the loop), and NAdam's 0.96^(sψ)."""
    from optimizers.runner import MAX_POWER_ROWS, _power_rows

    s = get_surface("rosenbrock")
    n_values = MAX_POWER_ROWS + 6
    b2 = np.linspace(0.9, 0.9999, n_values)
    opts = [preset("adam", lr=1e-3, beta2=float(v)) for v in b2 for _ in range(2)]
    opts += [preset("nadam", lr=1e-3, momentum_decay=0.004)] * 2
    pw, ipw = _power_rows(opts, 300)
    assert pw.shape == (MAX_POWER_ROWS, 301)
    assert (ipw[:, 1] < 0).sum() >= 2 * (n_values + 1 - MAX_POWER_ROWS)  # past the cap: none
    batch = run(s, opts, steps=300, record=("theta", "sigma", "m"))
    for r in (0, 1, 2 * MAX_POWER_ROWS - 2, 2 * n_values - 1, len(opts) - 1):
        alone = run(s, [opts[r]], steps=300, record=("theta", "sigma", "m"))
        for k in ("theta", "sigma", "m"):
            assert same_bits(getattr(alone, k)[0], getattr(batch, k)[r]), (r, k)


def test_lanes_path_is_the_kernels_choice():
    """runner.lanes_path (which runs share η^t rows; what lab.budget prices) agrees with the
    kernel's own test for every preset, with and without reduce-on-plateau."""
    from optimizers import PRESETS
    from optimizers.kernel import _in_lanes
    from optimizers.parts import M_CODE, S_CODE
    from optimizers.runner import lanes_path

    plateau = Schedule.make({"kind": "plateau"})
    seen = set()
    for name in PRESETS:
        for o in (preset(name), Optimizer(m=preset(name).m, sigma=preset(name).sigma,
                                          schedule=plateau)):  # fmt: skip
            on = o.schedule.kind == "plateau"
            assert lanes_path(o) == _in_lanes(M_CODE[o.m], S_CODE[o.sigma], on), (name, on)
            seen.add(lanes_path(o))
    assert seen == {True, False}
    assert {n for n in PRESETS if lanes_path(preset(n))} == set(LANE_PRESETS)


def test_one_optimizer_for_many_runs_shares_its_eta_row():
    """The basin page's call: one Optimizer object for every run.  Lane runs read one η^t row;
    runs whose η^t the loop writes (reduce-on-plateau, Prodigy, Rprop, Adafactor) keep a row each:
    the numbers (η recorded too) are those of distinct objects and of runs one after another."""
    from optimizers import runner

    s = get_surface("himmelblau")
    plateau = Schedule.make({"kind": "plateau", "factor": 0.5, "patience": 3})
    shared = [preset("adam", lr=0.05), preset("gd", lr=0.01), preset("prodigy"),
              Optimizer(m="adam", sigma="adam", lr=0.05, schedule=plateau),
              preset("rprop", lr=0.01), preset("adafactor")]  # fmt: skip
    opts = [shared[i % len(shared)] for i in range(3 * LANES)]
    rng = np.random.default_rng(5)
    starts = rng.uniform(-4.0, 4.0, (len(opts), 2))
    same_obj = run(s, opts, start=starts, steps=300)
    copies = [Optimizer(**{f: getattr(o, f) for f in o.__dataclass_fields__}) for o in opts]
    distinct = run(s, copies, start=starts, steps=300)
    slow = run(s, opts, start=starts, steps=300, lanes=False)
    assert_same(same_obj, distinct)
    assert_same(same_obj, slow)
    assert same_obj.d is not None and np.any(same_obj.d[2 :: len(shared)] != 1.0)  # Prodigy's d
    # the table the kernel got: one row per lane optimizer, one per other run
    uniq, inv, counts = runner._distinct(opts)
    assert len(uniq) == len(shared) and sum(counts) == len(opts)
    laned = np.array([runner.lanes_path(o) for o in uniq])[inv]
    eta, ieta = runner._eta_rows(uniq, inv, 300, laned)
    assert eta.shape[0] == 2 + int((~laned).sum())
    assert len(set(ieta[~laned].tolist())) == int((~laned).sum())
    assert np.array_equal(eta[ieta], runner._eta_table(opts, 300))
