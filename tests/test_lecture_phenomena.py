"""Each phenomenon of LECTURE.md §1–§5, asserted on the engine's numbers of exactly the preset
the Lecture page shows (lab.lecture).  If a preset stops showing its phenomenon, a test here
fails: change the preset, not the threshold.  The measured values are in the comments.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from lab import lecture, urlstate
from lab.lecture import EXPERIMENTS, SECTIONS, Experiment, build, builder_settings, with_alpha
from optimizers import RunResult, run
from surfaces import get_surface

#: RMSProp α values a slider may offer (§3)
ALPHAS = (0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999)


@cache
def result(key: str) -> RunResult:
    s = EXPERIMENTS[key].settings
    return run(s.surface, s.runs, start=s.start_point, steps=s.steps)


def first(mask: np.ndarray) -> int:
    """The first index where ``mask`` holds, or −1."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else -1


def step_lengths(theta: np.ndarray) -> np.ndarray:
    return np.hypot(*np.diff(theta, axis=0).T)


def sign_flips(values: np.ndarray) -> float:
    """The fraction of consecutive pairs whose signs differ."""
    s = np.sign(values)
    return float(np.mean(s[:-1] != s[1:]))


def ellipse_coordinates(theta: np.ndarray, surface) -> tuple[np.ndarray, np.ndarray]:
    """(u, v): θ − centre along the flat and the steep axis of the ellipse."""
    v = surface.values
    co, si = np.cos(v["tilt"]), np.sin(v["tilt"])
    dx, dy = theta[..., 0] - v["cx"], theta[..., 1] - v["cy"]
    return co * dx + si * dy, co * dy - si * dx


def ellipse_hessian(surface) -> np.ndarray:
    v = surface.values
    co, si = np.cos(v["tilt"]), np.sin(v["tilt"])
    rot = np.array([[co, si], [-si, co]])
    return rot.T @ np.diag([v["a"], v["a"] * v["ratio"]]) @ rot


# --- the presets are exact Playground links ------------------------------------------------
def test_sections_are_the_lectures_five():
    assert tuple(SECTIONS) == ("s1", "s2", "s3", "s4", "s5")
    assert len(EXPERIMENTS) == sum(len(e) for e in SECTIONS.values())  # keys are unique
    assert set(lecture.FORMULAS) == set(SECTIONS)


@pytest.mark.parametrize("key", list(EXPERIMENTS))
def test_every_experiment_is_an_exact_playground_link(key):
    exp: Experiment = EXPERIMENTS[key]
    s = exp.settings
    parsed, warnings = urlstate.parse(urlstate.to_query(s))
    assert warnings == []
    assert parsed == s
    assert s.steps in urlstate.STEP_OPTIONS
    assert 1 <= len(s.runs) <= urlstate.MAX_RUNS
    assert all(o.lr in urlstate.LR_OPTIONS for o in s.runs)
    x0, x1, y0, y1 = s.surface.view
    assert x0 < s.start_point[0] < x1 and y0 < s.start_point[1] < y1
    assert all(x0 <= mx <= x1 and y0 <= my <= y1 for mx, my in s.surface.minima)
    assert exp.labels is None or len(exp.labels) == len(s.runs)
    assert exp.knob in (None, "alpha", "builder")


@pytest.mark.parametrize("key", list(EXPERIMENTS))
def test_every_chart_can_use_log_axes(key):
    """The race chart draws loss and ‖g‖ on log axes only if every value is positive: a run
    that lands exactly on the minimum (loss 0.0 in float64) turns all of them linear."""
    r = result(key)
    for i in range(r.n_runs):
        n = int(r.length[i])
        assert np.all(r.loss[i, :n] > 0) and np.all(r.grad_norm[i, :n] > 0), (key, i)


# --- §1 training stuck ≠ small gradient ----------------------------------------------------
def test_s1_loss_flat_while_the_gradient_norm_jumps():
    """Canyon h = 3, k = 8, g = 0.3, w = 0.01; GD η = 0.1; 500 updates (LECTURE.md §1: "loss
    flattens out ... the gradient norm does not go to zero: it keeps jumping").

    In a symmetric valley the bounce settles into a 2-cycle θ → θ' → θ, whose two gradients
    are opposite (θ' − θ = −η∇L(θ) = η∇L(θ')), so ‖g‖ would be flat.  Here the walls differ:
    a step down the steep wall (‖g‖ up to k) throws the run onto the gentle one (‖g‖ = g), a
    few small steps bring it back, and where a step lands in the corner ‖g‖ dips: ‖g‖ jumps up
    and down while the canyon's floor, a plateau far from the minimum, keeps the loss flat."""
    s = EXPERIMENTS["s1_valley"].settings
    v = s.surface.values
    r = result("s1_valley")
    loss, gnorm, grad, theta = r.loss[0], r.grad_norm[0], r.grad[0], r.theta[0]
    window = slice(s.steps // 2, None)  # the plateau: the last 250 updates
    lw, gw = loss[window], gnorm[window]
    assert not r.diverged[0]
    # the loss fell, then went flat: over the plateau it moves by < 5 % (measured 3.4 %)
    assert loss[-1] < 0.3 * loss[0]  # 17.3 → 3.04
    assert np.ptp(lw) < 0.05 * np.median(lw)  # 3.00 … 3.10
    # ...far above the minimum (loss 0): the run never leaves the plateau for the well at x = 0
    assert lw.min() > 0.95 * v["h"]  # 3.00
    assert np.abs(theta[:, 0]).min() > 2.5 * v["s"]  # x ≤ −2.83
    # ‖g‖ keeps jumping: it changes by more than 2× from one update to the next at 65 of the
    # 250 updates, as often up (32) as down (33), spanning a factor 187 (p95/p5: 9.7)
    jumps = np.diff(np.log(gw))
    assert np.sum(jumps > np.log(2)) >= 25 and np.sum(jumps < -np.log(2)) >= 25
    assert gw.max() > 50 * gw.min()  # 3.63 / 0.0195
    assert np.percentile(gw, 95) > 5 * np.percentile(gw, 5)
    # ...and never goes to zero: it sits at the gentle wall's slope (median 0.30003 ≈ g), and
    # in every 30 updates it jumps above 5·g at least once (the least such maximum: 2.10)
    assert np.median(gw) > 0.9 * v["g"]
    assert min(gw[i : i + 30].max() for i in range(gw.size - 29)) > 5 * v["g"]
    # not a critical point: the run bounces between the walls, on both sides of the floor
    # (14 % of the updates above it), the cross-canyon component of g flipping sign at 29 %
    assert sign_flips(grad[window, 1]) > 0.2
    assert 0.05 < np.mean(theta[window, 1] > 0) < 0.5
    # the asymmetry makes the jumps: the same run in the same canyon with both walls of slope
    # k settles into the 2-cycle: loss flat and ‖g‖ flat too, ≈ k to 5e-7 (the old §1 picture)
    sym = run(get_surface("canyon", **{**v, "g": v["k"]}), s.runs, start=s.start_point,
              steps=s.steps).grad_norm[0, window]  # fmt: skip
    assert np.ptp(sym) < 1e-5 * sym.max() and sym.min() > 0.99 * v["k"]


# --- §2 one learning rate cannot fit all ---------------------------------------------------
def test_s2_large_eta_zigzags_small_eta_crawls():
    """Ellipse a = 0.2, c/a = 1000 (c = 200), tilt 0.1; GD η = 1e-2 and 1e-7; 100,000 updates.

    On a quadratic the steep component is multiplied by 1 − η·c at every update: η = 1e-2 sits
    exactly on η·c = 2, the one value where it neither dies out (c < 200: the zig-zag fades
    within ~1/(2 − η·c) updates) nor grows (c > 200: the run leaves the screen)."""
    s = EXPERIMENTS["s2_one_lr"].settings
    r = result("s2_one_lr")
    assert not r.diverged.any()
    assert np.abs(r.theta).max() <= 2.0  # both stay on screen
    u, v = ellipse_coordinates(r.theta, s.surface)
    dist = np.hypot(u, v)
    big, tiny = 0, 1
    # η = 1e-2: η·c = 2, the steep coordinate bounces from wall to wall at every update and
    # keeps its height: the loss never gets low (183.5 → 183.3), and the run ends 1.354 from
    # the minimum (its start was 2.0 away)
    assert sign_flips(np.diff(v[big])) == 1.0
    assert abs(v[big, -1]) > 0.999 * abs(v[big, 0])
    assert r.loss[big, -1] > 0.99 * r.loss[big, 0]
    assert dist[big, -1] > 0.65 * dist[big, 0]
    # η = 1e-7: no zig-zag; most of the way down to the floor (|v| 1.354 → 0.183, loss 183 →
    # 3.6), but along the floor it has not gone 1 % of the way (u −1.472 → −1.469): it ends
    # 1.48 from the minimum
    assert sign_flips(np.diff(v[tiny])) == 0.0
    assert abs(v[tiny, -1]) < 0.2 * abs(v[tiny, 0])
    assert r.loss[tiny, -1] < 0.05 * r.loss[tiny, 0]
    assert abs(u[tiny, -1]) > 0.99 * abs(u[tiny, 0])
    assert dist[tiny, -1] > 0.7 * dist[tiny, 0]
    # the one that zig-zags stays 50× higher than the one that crawls
    assert r.loss[big, -1] > 40 * r.loss[tiny, -1]


# --- §3 η/σ_i^t: the root mean square against RMSProp --------------------------------------
def wall_hit(r: RunResult, i: int, k: float) -> int:
    """The first update whose θ₁-gradient is the wall's (≥ k/2)."""
    return first(r.grad[i, :-1, 0] >= 0.5 * k)


def test_s3_rmsprop_brakes_at_the_wall_the_root_mean_square_does_not():
    """Wall g = 0.1, k = 10, w = 0.001; RMS and RMSProp (lecture, α = 0.9), η = 0.02."""
    s = EXPERIMENTS["s3_rms_vs_rmsprop"].settings
    g, k = s.surface.values["g"], s.surface.values["k"]
    r = result("s3_rms_vs_rmsprop")
    lr = s.runs[0].lr
    rms, rmsprop = 0, 1
    hit = wall_hit(r, rms, k)
    # 88 gentle updates, the same in θ₁ for both (σ₁ = g, a step of η), then the wall
    assert hit == wall_hit(r, rmsprop, k) and hit >= 80
    np.testing.assert_allclose(r.theta[rms, : hit + 1, 0], r.theta[rmsprop, : hit + 1, 0])
    np.testing.assert_allclose(r.sigma[:, hit - 1, 0], g, rtol=1e-9)
    jump = r.sigma[:, hit, 0] / r.sigma[:, hit - 1, 0]
    back = -np.diff(r.theta[:, :, 0], axis=1)  # steps back up the slope (> 0)
    # RMSProp's σ₁ follows the gradient at once: ×31.6 in one update; its step back from the
    # wall is η·|g|/σ = 3.16 η.  The root mean square averages the jump with ~90 gentle
    # gradients: σ₁ × 10.6 only, and the wall throws the run 9.4 η back up the slope.
    assert jump[rmsprop] > 30 and jump[rms] < 12
    assert back[rmsprop, hit] < 3.3 * lr and back[rms, hit] > 9 * lr
    # ...0.178 up the slope (RMSProp: 0.060), and again and again later (9 times > 5η)
    assert -r.theta[rms, hit:, 0].min() > 0.15 and -r.theta[rmsprop, hit:, 0].min() < 0.07
    assert np.sum(back[rms] > 5 * lr) >= 5 and np.sum(back[rmsprop] > 5 * lr) == 0


def test_s3_the_smaller_alpha_the_harder_rmsprop_brakes():
    """The page's α slider: the step back from the wall is η/√(1 − α + α(g/k)²) (σ² jumps from
    g² to α g² + (1 − α) k²): 1.05 η at α = 0.1 … 3.16 η at 0.9 … 30 η at 0.999."""
    exp = EXPERIMENTS["s3_rms_vs_rmsprop"]
    g, k = exp.settings.surface.values["g"], exp.settings.surface.values["k"]
    backs = []
    for alpha in ALPHAS:
        s = with_alpha(exp.settings, alpha)
        assert s.runs[1].alpha == alpha and s.runs[0] == exp.settings.runs[0]
        r = run(s.surface, s.runs, start=s.start_point, steps=200)
        hit = wall_hit(r, 1, k)
        back = (r.theta[1, hit, 0] - r.theta[1, hit + 1, 0]) / s.runs[1].lr
        assert back == pytest.approx(1 / np.sqrt(1 - alpha + alpha * (g / k) ** 2), rel=0.01)
        backs.append(back)
    assert np.all(np.diff(backs) > 0)
    # up to α = 0.95 RMSProp brakes harder than the root mean square (9.4 η): a memory of
    # 1/(1 − α) updates is shorter than the 88 gentle updates RMS averages over (α = 0.99:
    # 9.95 η, a little longer)
    r = result("s3_rms_vs_rmsprop")
    hit = wall_hit(r, 0, k)
    rms_back = (r.theta[0, hit, 0] - r.theta[0, hit + 1, 0]) / exp.settings.runs[0].lr
    assert all(b < rms_back for a, b in zip(ALPHAS, backs, strict=True) if a <= 0.95)


# --- §4 scheduling: late bursts, decay, warm-up, RAdam -------------------------------------
#: a step longer than this is a burst: 2.5 % of the view's width, while the steps of a settled
#: run are ~1e-10 (the median step after update 10,000 of the constant-η run)
BURST_STEP = 0.1


def bursts(theta: np.ndarray, after: int = 10_000, gap: int = 100) -> list[tuple[int, float]]:
    """(first update, longest step) of every burst after ``after``: updates with a step longer
    than BURST_STEP, those fewer than ``gap`` updates apart counted as one."""
    st = step_lengths(theta)
    out: list[list[int]] = []
    for t in np.flatnonzero(st > BURST_STEP):
        if t < after:
            continue
        if out and t - out[-1][-1] < gap:
            out[-1].append(int(t))
        else:
            out.append([int(t)])
    return [(ts[0], float(st[ts].max())) for ts in out]


def stability(effective_step: np.ndarray, hess: np.ndarray) -> float:
    """The largest eigenvalue of diag(η^t/σ^t)·H: above 2, a step along it grows (a quadratic
    has H constant, so this is the whole story)."""
    return float(np.linalg.eigvals(np.diag(effective_step) @ hess).real.max())


def test_s4_constant_eta_bursts_decay_and_warmup_do_not():
    """Ellipse a = 0.2, c/a = 1000, tilt 0.1; root mean square σ, η = 0.1: constant, η/√(t+1),
    warm-up (1,000 updates from η/100) then η/√(t'+1); 100,000 updates."""
    s = EXPERIMENTS["s4_bursts"].settings
    r = result("s4_bursts")
    hess = ellipse_hessian(s.surface)
    constant, decay, warmup = 0, 1, 2
    assert not r.diverged.any() and np.abs(r.theta).max() <= 2.0
    # constant η: 26 bursts after update 10,000 (the first at 11,551), each a jump of ≥ 0.99
    # (up to 1.41) out of a minimum the run had settled in (loss down to 6e-44, up to 30 in
    # a burst)
    found = bursts(r.theta[constant])
    assert len(found) >= 20
    assert min(size for _, size in found) > 0.9
    late = slice(10_000, None)
    assert r.loss[constant, late].min() < 1e-30 and r.loss[constant, late].max() > 1.0
    # why: σ shrinks while the gradients are tiny, η/σ grows until the steep direction is
    # unstable — the largest eigenvalue of diag(η/σ)·H passes 2 (1.09 at update 1,000, 2.10
    # just before the first burst) — and the burst's big gradients raise σ again
    eff = r.effective_step
    assert stability(eff[constant, 1000], hess) < 1.5
    assert stability(eff[constant, found[0][0] - 1], hess) > 2.0
    # η^t = η/√(t+1), alone or after the warm-up: no burst (longest late step 1.1e-5, 4.9e-6):
    # η^t shrinks as fast as σ does, and η^t/σ stays far below the limit (stability ≤ 0.02)
    for i in (decay, warmup):
        assert bursts(r.theta[i]) == []
        assert step_lengths(r.theta[i])[late].max() < 1e-3
        assert max(stability(eff[i, t], hess) for t in range(10_000, s.steps, 1000)) < 0.1
    # ...and both still get low (loss 4.8e-18 and 7.3e-10)
    assert r.loss[decay, -1] < 1e-12 and r.loss[warmup, -1] < 1e-8


def test_s4_radam_is_adam_with_a_built_in_warmup():
    """Ellipse a = 0.001, c/a = 1000, tilt 0.1; Adam and RAdam, η = 0.1; 2,000 updates."""
    r = result("s4_radam")
    adam, radam = 0, 1
    st = [step_lengths(r.theta[i]) for i in (adam, radam)]
    # RAdam's first five updates take no σ (ρ_t ≤ 5: σ = 1, a plain momentum step η·m)...
    np.testing.assert_array_equal(r.sigma[radam, :5], 1.0)
    assert np.all(r.sigma[radam, 5] > 1.0) and np.all(r.sigma[adam, :5] != 1.0)
    # ...then its rectified steps start at 2.6 % of Adam's and grow: ≤ 10 % for updates 5–13
    ratio = st[1][5:14] / st[0][5:14]
    assert ratio.max() < 0.1 and np.all(np.diff(ratio) > 0)
    # so RAdam lags (0.85 from the minimum at update 100, Adam 0.30) and gets within 0.01
    # later (update 1,329 against 633); both reach the minimum (8e-6 and 4e-14 away)
    dist = np.hypot(r.theta[..., 0], r.theta[..., 1])
    assert dist[radam, 100] > 2 * dist[adam, 100]
    t_adam, t_radam = first(dist[adam] < 0.01), first(dist[radam] < 0.01)
    assert 0 < t_adam < t_radam
    assert dist[:, -1].max() < 1e-4


# --- §5 one formula, three parts -----------------------------------------------------------
def test_s5_each_part_does_its_job():
    """Ellipse a = 0.2, c/a = 1000, tilt 0.1; η = 0.1 for every rung; 2,000 updates."""
    s = EXPERIMENTS["s5_builder"].settings
    r = result("s5_builder")
    gd, mom, sig, mom_sig, mom_sig_sched, yours = range(6)
    d0 = float(np.hypot(*s.start_point))  # 2.0 from the start to the minimum

    def t_low(i: int) -> int:
        return first(r.loss[i] < 1e-3)

    def farthest(i: int) -> float:
        th = r.theta[i, : r.length[i]]
        return float(np.hypot(*(th - th[0]).T).max()) / d0

    def path(i: int) -> float:
        return float(step_lengths(r.theta[i, : r.length[i]]).sum()) / d0

    # without σ, η = 0.1 is 10× too large for the steep direction (η·c = 20): GD and
    # momentum leave the surface within 10 updates (both stop at update 4)
    assert r.diverged[gd] and r.diverged[mom] and r.length[[gd, mom]].max() <= 10
    # σ (root mean square) makes the same η work: straight to the minimum (path 1.05× the
    # distance), loss < 1e-3 at update 360
    assert not r.diverged[[sig, mom_sig, mom_sig_sched, yours]].any()
    assert t_low(sig) > 0 and path(sig) < 1.1 and r.loss[sig, -1] < 1e-12
    # + m (momentum): 4× sooner below 1e-3 (update 92), but it overshoots the minimum
    # (up to 1.52× the start's distance away from the start, path 5.1×)
    assert 0 < t_low(mom_sig) < t_low(sig) / 3
    assert farthest(mom_sig) > 1.4 and path(mom_sig) > 4
    # + η^t (warm-up then decay): no overshoot (farthest 1.00, path 1.25), below 1e-3 at 346
    assert farthest(mom_sig_sched) < 1.01 and path(mom_sig_sched) < 1.3
    assert 0 < t_low(mom_sig_sched) < s.steps
    # "yours" is the page's default build: momentum + root mean square, constant η = 0.05
    assert s.runs[yours] == build("momentum", "rms", "constant", 0.05)
    assert 0 < t_low(yours) < s.steps


def test_the_builder_replaces_only_the_last_run_and_every_build_is_a_link():
    exp = EXPERIMENTS["s5_builder"]
    assert builder_settings(exp.settings, "momentum", "rms", "constant", 0.05) == exp.settings
    for m in ("gradient", "momentum", "nesterov", "adam"):
        for sigma in ("none", "rms", "rmsprop_lecture", "adam", "radam"):
            for sched in lecture.BUILDER_SCHEDULES:
                s = builder_settings(exp.settings, m, sigma, sched, 0.02)
                assert s.runs[:-1] == exp.settings.runs[:-1]
                o = s.runs[-1]
                assert (o.m, o.sigma, o.lr) == (m, sigma, 0.02)
                assert o.schedule == lecture.BUILDER_SCHEDULES[sched]
                assert urlstate.parse(urlstate.to_query(s)) == (s, [])


def test_with_alpha_touches_only_runs_that_have_an_alpha():
    s = EXPERIMENTS["s4_bursts"].settings
    assert with_alpha(s, 0.5) == s  # root mean square has no α
    original = EXPERIMENTS["s3_rms_vs_rmsprop"].settings
    s3 = with_alpha(original, 0.5)
    assert s3.runs[0] == original.runs[0] and s3.runs[1] == original.runs[1].with_(alpha=0.5)
    assert urlstate.parse(urlstate.to_query(s3)) == (s3, [])


# --- the §3 surface --------------------------------------------------------------------------
def test_the_wall_is_a_gentle_slope_then_a_steep_wall():
    s = get_surface("wall")
    g, k, w = s.values["g"], s.values["k"], s.values["w"]
    assert s.loss([0.0, 0.0]) == 0.0 and np.all(s.grad([0.0, 0.0]) == pytest.approx(0, abs=1e-14))
    # ten corner widths either side of the minimum the slope is already −g or +k
    left, right = s.grad([[-10 * w, 0.0], [-1.5, 0.0]]), s.grad([[10 * w, 0.0], [0.4, 0.0]])
    np.testing.assert_allclose(left[:, 0], -g, rtol=1e-6)
    np.testing.assert_allclose(right[:, 0], k, rtol=1e-6)
    # the gradient is the loss's derivative across the corner too (central differences)
    pts = np.column_stack([np.linspace(-5 * w, 5 * w, 41), np.full(41, 0.3)])
    dx = np.array([1e-7, 0.0])
    fd = (s.loss(pts + dx) - s.loss(pts - dx)) / 2e-7
    np.testing.assert_allclose(fd, s.grad(pts)[:, 0], rtol=1e-5, atol=1e-6)
    # and it is convex with its minimum where it is listed, for any slopes
    for values in ({"g": 1e-3, "k": 100.0, "w": 0.5}, {"g": 1.0, "k": 1.0, "w": 1e-3}):
        t = get_surface("wall", **values)
        assert np.abs(t.grad(t.minima[0])).max() < 1e-12
        xs = np.linspace(-2, 0.5, 2001)
        slope = t.grad(np.column_stack([xs, xs * 0]))[:, 0]
        assert np.all(np.diff(slope) >= -1e-12)


# --- §3's limit: a diagonal σ cannot undo a tilted ellipse ----------------------------------
def test_s3_tilted_ellipse_slows_the_diagonal_methods_only():
    from lab.lecture import S3_TILTED
    from optimizers.comparisons import TILT_PAIR, comparison_settings

    s = S3_TILTED.settings
    assert s.surface.values["tilt"] == pytest.approx(0.785)

    def hits(surface):
        res = run(surface, s.runs, start=s.start_point, steps=s.steps, record=(),
                  target=TILT_PAIR.target)  # fmt: skip
        assert (res.hit > 0).all(), res.hit  # every run arrives within the updates drawn
        return res.hit

    tilted = hits(s.surface)
    flat = hits(get_surface("ellipse", **comparison_settings(TILT_PAIR, 0.0)))
    rmsprop, adam, full = tilted
    assert min(rmsprop, adam) > 8 * full  # at 45°: the full matrix ≫ the diagonal σ
    assert rmsprop > 3 * flat[0] and adam > 3 * flat[1]  # the diagonal ones slow with the tilt
    assert full <= 1.5 * flat[2]  # the full-matrix one does not
