"""The Lecture page's experiments, as data: one Playground ``Settings`` each (LECTURE.md §1–§5).

Every experiment is an exact Playground link (its settings survive ``urlstate.to_query`` and
``urlstate.parse`` unchanged), chosen so that its phenomenon is plain on screen.
tests/test_lecture_phenomena.py checks each phenomenon on the engine's numbers of exactly
these settings; change a preset here and that test says whether the picture still holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from optimizers import M_PARTS, SCHEDULE_KINDS, SIGMA_PARTS, Optimizer, Schedule, preset
from optimizers.comparisons import TILT_PAIR, comparison_settings
from optimizers.noise import Noise
from optimizers.schedules import schedule_latex
from surfaces import get_surface

from . import theory
from .urlstate import Settings, to_query

#: the ellipse of §2, §4 and §5: c = a·ratio = 200, so gradient descent with η = 10⁻² has
#: η·c = 2 exactly along the steep axis and bounces between the walls for ever (tilt 0.1 rad)
ELLIPSE = get_surface("ellipse", a=0.2, ratio=1000.0, tilt=0.1)
#: the lecture's warm-up: η^t grows linearly from η/100 over 1,000 updates, then decays as
#: η/√(t' + 1), t' counted from the end of the warm-up
WARMUP = Schedule.make({"kind": "warmup", "warmup": 1000, "then": {"kind": "inv_sqrt"}})
#: the §5 builder's schedules by name: the lecture's three, then every other kind at its defaults
BUILDER_SCHEDULES = {"constant": Schedule(), "inv_sqrt": Schedule("inv_sqrt"), "warmup": WARMUP}
BUILDER_SCHEDULES |= {k: Schedule(k) for k in SCHEDULE_KINDS if k not in BUILDER_SCHEDULES}


@dataclass(frozen=True)
class Experiment:
    key: str
    settings: Settings
    #: one key per run for its label (the page's ``lecture.run.<key>``), or None: preset labels
    labels: tuple[str, ...] | None = None
    #: also draw σ_i^t and the effective step η^t/σ_i^t
    adaptive: bool = False
    #: a control the page adds: "alpha" (§3, see ``with_alpha``) or "builder" (§5, see
    #: ``builder_settings``)
    knob: str | None = None


def build(m: str, sigma: str, sched: str, lr: float) -> Optimizer:
    """An optimizer from the three parts of θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t."""
    return Optimizer(m=m, sigma=sigma, schedule=BUILDER_SCHEDULES[sched], lr=lr)


def builder_settings(settings: Settings, m: str, sigma: str, sched: str, lr: float) -> Settings:
    """The §5 experiment with its last run ("yours") built from the given parts."""
    return replace(settings, runs=(*settings.runs[:-1], build(m, sigma, sched, lr)))


def with_alpha(settings: Settings, alpha: float) -> Settings:
    """The same experiment with RMSProp's α set to ``alpha`` in every run that has one."""
    runs = tuple(
        o.with_(alpha=alpha) if "alpha" in SIGMA_PARTS[o.sigma].hypers else o for o in settings.runs
    )
    return replace(settings, runs=runs)


# §1 gradient descent bounces between a steep (k = 8) and a gentle (g = 0.3) wall of a canyon
# whose floor is a plateau far from the minimum: one step down the steep wall throws it onto
# the gentle one, a few small steps bring it back, so ‖g‖ jumps up and down (between 0.02
# and 3.6, by more than 2× at 65 of the last 250 updates) while the loss stays flat at the
# plateau's height (3.00 to 3.10)
S1_VALLEY = Experiment(
    "s1_valley",
    Settings(get_surface("canyon"), (preset("gd", lr=0.1),), steps=500),
)

# §2 η = 10⁻² zig-zags across the valley for ever (η·c = 2); η = 10⁻⁷ gets most of the way
# down to the floor and has not moved along it after 100,000 updates (η·a·T = 0.002)
S2_ONE_LR = Experiment(
    "s2_one_lr",
    Settings(ELLIPSE, (preset("gd", lr=1e-2), preset("gd", lr=1e-7)), steps=100_000),
    labels=("lr_1e-2", "lr_1e-7"),
)

# §3 a gentle slope (g = 0.1) ends in a wall (k = 10): at the wall RMSProp's σ jumps with the
# gradient while the root mean square, an average over ~90 gentle updates, barely moves
S3_RMS_VS_RMSPROP = Experiment(
    "s3_rms_vs_rmsprop",
    Settings(
        get_surface("wall"),
        (preset("rms", lr=0.02), preset("rmsprop_lecture", lr=0.02)),
        1000,
        arrows=(0, 1),
        arrow_kinds=("sigma",),
    ),  # (σ as two bars on each run: RMSProp's along θ₁ grows at the wall, the RMS's hardly)
    adaptive=True,
    knob="alpha",
)

# §3, its limit: σ_i is one number per coordinate, so it can stretch the coordinate axes only.
# On the ellipse tilted by 45° every coordinate mixes the steep and the flat direction: the
# diagonal methods slow down, a full 2 × 2 preconditioner turns with the ellipse and does not
# (optimizers/comparisons.py; tests/test_second_order.py checks the slowing along the tilt)
S3_TILTED = Experiment(
    "s3_tilted",
    Settings(
        get_surface(TILT_PAIR.surface, **comparison_settings(TILT_PAIR, TILT_PAIR.checked[-1])),
        TILT_PAIR.runs[:3],
        TILT_PAIR.steps,
        start=(-1.9, 0.0),
    ),  # (Newton left out here: it reaches the minimum exactly, and the loss axis must be log)
)

# §4.1–4.2 root mean square with a constant η bursts out of the minimum again and again late
# in training; η^t = η/√(t+1), alone or after a warm-up, does not
S4_BURSTS = Experiment(
    "s4_bursts",
    Settings(
        ELLIPSE,
        (
            preset("rms", lr=0.1),
            preset("rms", lr=0.1, schedule=Schedule("inv_sqrt")),
            preset("rms", lr=0.1, schedule=WARMUP),
        ),
        steps=100_000,
    ),
    labels=("constant", "decay", "warmup"),
    adaptive=True,
)

# §4 under gradient noise (a mini-batch's gradient, optimizers.noise; scale 1 per coordinate,
# seed 0): over the last 5,000 of the 100,000 updates the constant-η run's loss keeps jumping
# (median 0.14, up to 3.0) while η/√(t+1) settles (median 2·10⁻⁵, at most 3·10⁻⁴) and the
# warm-up run too (1·10⁻⁵); the §4 note (lecture.s4.text) links to it on the Playground
S4_NOISE = Noise(1.0)


def s4_noise_link(lang: str = "en") -> str:
    """The §4 note's link: the Playground with §4's three runs and S4_NOISE on (relative to the
    Lecture page's address, as the note's Markdown has it)."""
    settings = replace(S4_BURSTS.settings, noise=S4_NOISE, lang=lang)
    return "playground?" + urlencode(to_query(settings), doseq=True)


# §4.2 RAdam = Adam with a built-in warm-up.  The ellipse is the same shape, 200 times
# flatter: RAdam's first five updates are plain momentum steps η·m (no σ yet), which on the
# steep ellipse (gradients ~270) would throw it off the screen.
S4_RADAM = Experiment(
    "s4_radam",
    Settings(
        get_surface("ellipse", a=0.001, ratio=1000.0, tilt=0.1),
        (preset("adam", lr=0.1), preset("radam", lr=0.1)),
        steps=2000,
    ),
    adaptive=True,
)

# §5 one formula, one part at a time, one η (0.1) — and "yours", rebuilt by the page
S5_BUILDER = Experiment(
    "s5_builder",
    Settings(
        ELLIPSE,
        (
            preset("gd", lr=0.1),
            preset("momentum", lr=0.1),
            preset("rms", lr=0.1),
            Optimizer(m="momentum", sigma="rms", lr=0.1),
            Optimizer(m="momentum", sigma="rms", lr=0.1, schedule=WARMUP),
            build("momentum", "rms", "constant", 0.05),
        ),
        steps=2000,
        arrows=(5,),  # (yours: its three parts as arrows g, m, Δθ and σ's box)
    ),
    labels=("gd", "momentum", "rms", "momentum_rms", "momentum_rms_warmup", "yours"),
    adaptive=True,
    knob="builder",
)

SECTIONS: dict[str, tuple[Experiment, ...]] = {
    "s1": (S1_VALLEY,),
    "s2": (S2_ONE_LR,),
    "s3": (S3_RMS_VS_RMSPROP, S3_TILTED),
    "s4": (S4_BURSTS, S4_RADAM),
    "s5": (S5_BUILDER,),
}
EXPERIMENTS: dict[str, Experiment] = {e.key: e for exps in SECTIONS.values() for e in exps}


def _tex(v: float) -> str:
    """A number for LaTeX: a power of ten as 10^{k}, others to 3 significant figures."""
    k = round(math.log10(v)) if v > 0 else 0
    return f"10^{{{k}}}" if v > 0 and math.isclose(v, 10.0**k, rel_tol=1e-9) else f"{v:.3g}"


def s2_limit(exp: Experiment = S2_ONE_LR) -> str:
    """§2's stability limit in numbers, from its own ellipse and its first run's η (LaTeX):
    gradient descent is stable only for η < 2/c (c = λ_max, the steep curvature), and
    η = 10⁻² sits on it, |1 − η·c| = 1: the zig-zag neither grows nor shrinks."""
    s = exp.settings
    c = theory.curvature(s.surface, s.start_point).eigenvalues[1]
    eta = s.runs[0].lr
    return (rf"\eta < \frac{{2}}{{c}} = \frac{{2}}{{{c:.4g}}} = {_tex(2.0 / c)}"
            rf"\qquad \eta = {_tex(eta)}:\ \ \eta\, c = {eta * c:.3g},\ \ "
            rf"|1 - \eta\, c| = {abs(1.0 - eta * c):.3g}")  # fmt: skip


_STEP = r"\theta_i^{t+1} = \theta_i^t - "
FORMULAS: dict[str, tuple[str, ...]] = {
    "s1": (r"\theta^{t+1} = \theta^t - \eta\, g^t", r"\|g^t\| = \sqrt{(g_1^t)^2 + (g_2^t)^2}"),
    "s2": (_STEP + r"\eta\, g_i^t", s2_limit()),
    "s3": (
        _STEP + r"\frac{\eta}{\sigma_i^t}\, g_i^t",
        SIGMA_PARTS["rms"].latex,
        SIGMA_PARTS["rmsprop_lecture"].latex,
    ),
    "s4": (
        _STEP + r"\frac{\eta^t}{\sigma_i^t}\, g_i^t",
        schedule_latex("inv_sqrt"),
        schedule_latex("transformer"),
    ),
    "s5": (_STEP + r"\frac{\eta^t}{\sigma_i^t}\, m_i^t", M_PARTS["momentum"].latex),
}

__all__ = [
    "BUILDER_SCHEDULES",
    "ELLIPSE",
    "EXPERIMENTS",
    "FORMULAS",
    "S4_NOISE",
    "SECTIONS",
    "WARMUP",
    "Experiment",
    "build",
    "builder_settings",
    "s2_limit",
    "s4_noise_link",
    "with_alpha",
]
