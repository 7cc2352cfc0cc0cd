"""The runner: batches, what it records, divergence, and the inputs it refuses."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from optimizers import (
    HYPERS,
    M_PARTS,
    MAX_RUNS,
    MAX_STEPS,
    MAX_WORK,
    PRESETS,
    SIGMA_PARTS,
    Optimizer,
    OptimizerError,
    Schedule,
    preset,
    run,
)
from surfaces import SurfaceError, get_surface

ELLIPSE = get_surface("ellipse", ratio=1000.0, tilt=0.1)


def all_finite(res):
    arrays = [res.theta, res.loss, res.grad, res.eta, res.sigma, res.m, res.grad_norm,
              res.effective_step, res.final_theta, res.final_loss]  # fmt: skip
    return all(np.all(np.isfinite(a)) for a in arrays if a is not None)


def test_shapes_of_every_record():
    res = run(ELLIPSE, ["adam", "rms", "gd"], steps=50)
    assert res.theta.shape == (3, 51, 2) and res.loss.shape == (3, 51)
    assert res.grad.shape == (3, 51, 2) and res.grad_norm.shape == (3, 51)
    assert res.eta.shape == (3, 50) and res.sigma.shape == (3, 50, 2) and res.m.shape == (3, 50, 2)
    assert res.effective_step.shape == (3, 50, 2)
    np.testing.assert_allclose(res.loss, ELLIPSE.loss(res.theta), rtol=1e-14)
    np.testing.assert_allclose(res.grad, ELLIPSE.grad(res.theta), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(res.grad_norm, np.linalg.norm(res.grad, axis=-1), rtol=1e-14)
    assert res.theta[0, 0].tolist() == list(ELLIPSE.default_start)


def test_a_batch_equals_its_runs_one_by_one():
    opts = [preset(k) for k in PRESETS]
    starts = np.array([[-1.5 + 0.1 * i, 1.0] for i in range(len(opts))])
    batch = run(ELLIPSE, opts, start=starts, steps=300)
    for i, o in enumerate(opts):
        one = run(ELLIPSE, o, start=starts[i], steps=300)
        np.testing.assert_array_equal(batch.theta[i], one.theta[0])
        np.testing.assert_array_equal(batch.sigma[i], one.sigma[0])
        assert batch.length[i] == one.length[0]


def test_record_only_what_is_asked():
    full = run(ELLIPSE, ["adam", "rmsprop"], steps=400)
    lean = run(ELLIPSE, ["adam", "rmsprop"], steps=400, record=("loss",))
    assert lean.theta is None and lean.sigma is None and lean.m is None and lean.eta is None
    assert lean.effective_step is None and lean.grad_norm is None
    np.testing.assert_array_equal(lean.loss, full.loss)
    np.testing.assert_array_equal(lean.final_loss, full.final_loss)
    none = run(ELLIPSE, ["adam"], steps=400, record=())
    np.testing.assert_array_equal(none.final_theta, full.final_theta[:1])
    np.testing.assert_array_equal(none.final_loss, full.final_loss[:1])


def test_target_reports_the_first_update_below_it():
    res = run(ELLIPSE, [preset("adam", lr=0.05), preset("gd", lr=1e-7)], steps=2000, target=1e-3)
    first = int(np.argmax(res.loss[0] <= 1e-3))
    assert res.hit[0] == first > 0
    assert res.hit[1] == -1


def test_a_diverging_run_stops_and_the_others_go_on():
    opts = [preset("gd", lr=0.05), preset("adam", lr=0.01)]  # η·c = 50 on the steep side
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(ELLIPSE, opts, steps=500)
    assert res.diverged.tolist() == [True, False]
    k = int(res.diverged_at[0])
    assert 0 < k < 20 and res.diverged_at[1] == -1
    assert res.stop_reason(0) == "left the surface"
    assert np.all(np.abs(res.theta[0, :k]) <= ELLIPSE.bound)
    # after the stop, the records hold the last valid position
    np.testing.assert_array_equal(
        res.theta[0, k:], np.broadcast_to(res.theta[0, k - 1], (501 - k, 2))
    )
    np.testing.assert_array_equal(res.final_theta[0], res.theta[0, k - 1])
    assert all_finite(res)
    assert res.length[1] == 501


def test_overflow_is_caught_without_a_numpy_warning():
    ros = get_surface("rosenbrock", b=1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(ros, [preset("momentum", lr=1.0), preset("gd", lr=1e-5)], start=(-1.5, 2.0),
                  steps=1000)  # fmt: skip
    assert res.diverged.tolist() == [True, False]
    assert res.stop_reason(0) in ("overflow", "left the surface")
    assert all_finite(res)


def test_lecture_rms_with_a_gradient_that_is_always_zero_does_not_move_that_coordinate():
    """Axis-aligned ellipse started on the x axis: g_y = 0 for ever, σ_y = 0 in the lecture's
    form (no ε).  The step 0/0 must be 0, not NaN."""
    flat = get_surface("ellipse", tilt=0.0)
    res = run(flat, [preset("rms"), preset("rmsprop_lecture")], start=(1.5, 0.0), steps=100)
    assert not res.diverged.any()
    assert np.all(res.theta[:, :, 1] == 0.0)
    assert all_finite(res)


BAD = [
    (dict(surface="nope"), SurfaceError, "unknown surface 'nope'"),
    (dict(optimizers=["sgd9"]), OptimizerError, "unknown optimizer preset 'sgd9'"),
    (
        dict(optimizers=[{"preset": "adam", "lr": 0.0}]),
        OptimizerError,
        r"lr must be in \(0, 1000\]",
    ),
    (dict(optimizers=[{"preset": "adam", "lr": -1}]), OptimizerError, "lr must be"),
    (dict(optimizers=[{"preset": "adam", "lr": float("nan")}]), OptimizerError, "lr must be"),
    (dict(optimizers=[{"preset": "adam", "lr": "fast"}]), OptimizerError, "lr must be a number"),
    (
        dict(optimizers=[{"preset": "adam", "beta1": 1.0}]),
        OptimizerError,
        r"beta1 must be in \[0, 1\)",
    ),
    (
        dict(optimizers=[{"preset": "adam", "beta2": -0.1}]),
        OptimizerError,
        r"beta2 must be in \[0, 1\)",
    ),
    (
        dict(optimizers=[{"preset": "momentum", "momentum": 1.5}]),
        OptimizerError,
        "momentum must be in",
    ),
    (
        dict(optimizers=[{"preset": "rmsprop", "alpha": 1.0}]),
        OptimizerError,
        r"alpha must be in \[0, 1\)",
    ),
    (dict(optimizers=[{"preset": "adam", "warp": 1}]), OptimizerError, "unknown setting 'warp'"),
    (dict(optimizers=[{"m": "teleport"}]), OptimizerError, "m must be one of"),
    (dict(optimizers=[{"sigma": "max"}]), OptimizerError, "sigma must be one of"),
    (dict(optimizers=[{"schedule": "sawtooth"}]), OptimizerError, "schedule must be one of"),
    (
        dict(optimizers=[{"schedule": {"kind": "step", "gamma": 2}}]),
        OptimizerError,
        r"step.gamma must be",
    ),
    (
        dict(optimizers=[{"schedule": {"kind": "cosine", "t_max": 1.5}}]),
        OptimizerError,
        "whole number",
    ),
    (
        dict(optimizers=[{"schedule": {"kind": "warmup", "then": {"kind": "warmup"}}}]),
        OptimizerError,
        "followed by a decay",
    ),
    (dict(optimizers=[]), OptimizerError, "number of runs must be between 1"),
    (dict(optimizers=["gd"] * (MAX_RUNS + 1)), OptimizerError, "number of runs must be between 1"),
    (dict(steps=0), OptimizerError, "steps must be a whole number from 1 to 1,000,000"),
    (dict(steps=MAX_STEPS + 1), OptimizerError, "steps must be a whole number from 1"),
    (dict(steps=10.5), OptimizerError, "steps must be a whole number"),
    (dict(steps=True), OptimizerError, "steps must be a whole number"),
    (
        dict(optimizers=["gd"] * 20, steps=MAX_WORK // 10),
        OptimizerError,
        "runs × steps must be at most",
    ),
    (dict(steps=1_000_000, record=(), optimizers=["gd"] * 11), OptimizerError, "runs × steps"),
    (dict(steps=1_000_000, optimizers=["gd"] * 4), OptimizerError, "MiB"),
    (dict(start=(1.0,)), OptimizerError, "start must be two numbers"),
    (dict(start=(1.0, float("nan"))), OptimizerError, "start must be two finite numbers"),
    (dict(start=(1.0, float("inf"))), OptimizerError, "start must be two finite numbers"),
    (dict(start=("a", "b")), OptimizerError, "start must be two finite numbers"),
    (dict(start=(1e30, 0.0)), OptimizerError, "start must be within"),
    (dict(record=("theta", "colour")), OptimizerError, "record must be 'all' or names"),
    (dict(target=float("nan")), OptimizerError, "target must be a finite loss"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), BAD)
def test_bad_input_is_refused_with_a_message_naming_it(kwargs, error, message):
    args = dict(surface=ELLIPSE, optimizers=["adam"], steps=10) | kwargs
    with pytest.raises(error, match=message):
        run(**args)


def test_errors_are_value_errors():
    assert issubclass(OptimizerError, ValueError) and issubclass(SurfaceError, ValueError)


def test_surface_parameters_are_checked():
    with pytest.raises(SurfaceError, match=r"ellipse.ratio must be between 1 and 10000"):
        get_surface("ellipse", ratio=1e5)
    with pytest.raises(SurfaceError, match="has no parameter 'colour'"):
        get_surface("ellipse", colour=1)


def test_optimizer_specs_round_trip_through_dicts():
    opt = preset(
        "adam", lr=0.05, schedule=Schedule("warmup", (("warmup", 10),), Schedule("cosine"))
    )
    d = opt.to_dict()
    assert d["preset"] == "adam" and d["lr"] == 0.05 and d["schedule"]["kind"] == "warmup"
    from optimizers import make_optimizer

    assert make_optimizer(d) == opt
    custom = Optimizer(m="momentum", sigma="rms", lr=0.1)
    assert make_optimizer(custom.to_dict()) == custom
    assert hash(opt) == hash(make_optimizer(d))  # usable as a cache key


def test_hypers_used_lists_only_what_the_parts_read():
    assert preset("gd").hypers_used == ("lr", "weight_decay")
    assert set(preset("adam").hypers_used) == {"lr", "beta1", "beta2", "eps", "weight_decay"}
    assert set(preset("rms").hypers_used) == {"lr", "weight_decay"}


def test_parts_that_change_eta_show_it_in_the_eta_records():
    """Adagrad's lr_decay and ASGD's decay are η^t (runner, vectorised); Rprop reads η once;
    Adafactor's relative step is its η^t (written back by the compiled loop)."""
    s = get_surface("ellipse")
    t = np.arange(200.0)
    runs = [
        preset("adagrad", lr=0.3, lr_decay=0.01),
        preset("asgd", lr=0.01, lambd=0.1),
        preset("rprop", lr=0.01, schedule="inv_sqrt"),
        preset("adafactor", lr=0.01),
    ]
    res = run(s, runs, steps=200)
    np.testing.assert_allclose(res.eta[0], 0.3 / (1 + 0.01 * t), rtol=1e-15)
    np.testing.assert_allclose(res.eta[1, 1:], 0.01 / (1 + 0.1 * 0.01 * t[1:]) ** 0.75, rtol=1e-15)
    assert np.all(res.eta[2] == 0.01)  # torch's Rprop ignores a schedule after its first step
    rms_theta = np.sqrt((res.theta[3, :-1] ** 2).mean(axis=1))
    rho = np.minimum(0.01, 1 / np.sqrt(t + 1))
    assert np.all(res.eta[3] <= np.maximum(1e-3, rms_theta) * rho * (1 + 1e-12))
    assert np.all(res.effective_step > 0)


def test_a_new_part_needs_only_its_entry_and_its_branch():
    """The engine's tables come from the registry: codes and hyperparameter columns follow
    optimizers.parts, so the kernel's constants and the runner cannot drift apart."""
    from optimizers import kernel as K
    from optimizers.parts import COLUMNS, M_CODE, S_CODE

    assert len(COLUMNS) == K.N_HYPER and COLUMNS[: len(HYPERS)] == tuple(HYPERS)
    assert sorted(M_CODE.values()) == list(range(len(M_PARTS)))
    assert sorted(S_CODE.values()) == list(range(len(SIGMA_PARTS)))
    for name in HYPERS:
        assert hasattr(Optimizer(), name), name
