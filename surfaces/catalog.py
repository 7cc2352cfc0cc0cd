"""The surfaces the app offers.  Each is a formula ``fn(x, y, p) -> (loss, dL/dx, dL/dy)``
(see ``surfaces.base``) plus what is known about it.  Keep formulas branch-free: they run
both in NumPy over arrays and compiled by Numba over two floats."""

from __future__ import annotations

import numpy as np

from .base import Param, SurfaceKind

LOG2 = float(np.log(2.0))

# Helpers called from a formula would have to be compiled by Numba too: inline them instead
# (``SurfaceKind.jit`` compiles the formula alone, and Numba cannot call a plain Python
# function from compiled code).


# --- convex --------------------------------------------------------------------------------
def ellipse(x, y, p):
    """½(a·u² + c·v²), c = a·ratio, (u, v) = (x − cx, y − cy) rotated by the tilt."""
    a, ratio, tilt, cx, cy = p[0], p[1], p[2], p[3], p[4]
    co = np.cos(tilt)
    si = np.sin(tilt)
    dx = x - cx
    dy = y - cy
    u = co * dx + si * dy
    v = co * dy - si * dx
    au = a * u
    cv = a * ratio * v
    return 0.5 * (au * u + cv * v), co * au - si * cv, si * au + co * cv


def ellipse_hess(x, y, p):
    """Rᵀ·diag(a, c)·R: eigenvalues a and c at every point, eigenvectors rotated by the tilt."""
    a, ratio, tilt = p[0], p[1], p[2]
    co = np.cos(tilt)
    si = np.sin(tilt)
    c = a * ratio
    return a * co * co + c * si * si, (a - c) * co * si, a * si * si + c * co * co


def booth(x, y, p):
    """(x + 2y − 7)² + (2x + y − 5)²."""
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return a * a + b * b, 2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b


def booth_hess(x, y, p):
    """Constant: [[10, 8], [8, 10]] (eigenvalues 18 and 2)."""
    return 10.0, 8.0, 10.0


def matyas(x, y, p):
    """0.26·(x² + y²) − 0.48·x·y."""
    return 0.26 * (x * x + y * y) - 0.48 * x * y, 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x


def matyas_hess(x, y, p):
    """Constant: [[0.52, −0.48], [−0.48, 0.52]] (eigenvalues 1 and 0.04)."""
    return 0.52, -0.48, 0.52


# --- valleys -------------------------------------------------------------------------------
def rosenbrock(x, y, p):
    """(1 − x)² + b·(y − x²)²."""
    b = p[0]
    d = y - x * x
    return (1.0 - x) ** 2 + b * d * d, -2.0 * (1.0 - x) - 4.0 * b * x * d, 2.0 * b * d


def rosenbrock_hess(x, y, p):
    """[[2 − 4b(y − x²) + 8b·x², −4b·x], [−4b·x, 2b]]."""
    b = p[0]
    return 2.0 - 4.0 * b * (y - x * x) + 8.0 * b * x * x, -4.0 * b * x, 2.0 * b


def ravine(x, y, p):
    """½·a·x² + k·w·logcosh(y / w): a gentle floor between two walls of slope ±k.

    Near the floor the walls have curvature k/w; far from it their gradient is ±k whatever
    the distance, so gradient descent with η·k/w > 2 settles into bouncing from wall to wall
    at a fixed height: the loss stops falling while the gradient norm stays near k."""
    a, k, w = p[0], p[1], p[2]
    z = y / w
    az = np.abs(z)
    logcosh = az + np.log1p(np.exp(-2.0 * az)) - LOG2  # log cosh z, without overflow
    return 0.5 * a * x * x + k * w * logcosh, a * x, k * np.tanh(z)


def ravine_hess(x, y, p):
    """diag(a, (k/w)·sech²(y/w)); sech² z = 4e/(1 + e)², e = exp(−2|z|), without overflow."""
    a, k, w = p[0], p[1], p[2]
    e = np.exp(-2.0 * np.abs(y / w))
    return a, 0.0, (k / w) * 4.0 * e / ((1.0 + e) * (1.0 + e))


def wall(x, y, p):
    """A·w·(logcosh(x/w − z₀) − logcosh z₀) + B·x + ½y², A = (k + g)/2, B = (k − g)/2,
    z₀ = ½·ln(k/g): slope −g left of the minimum at (0, 0), +k right of it.

    Walking down the gentle slope, a run reaches the foot of the wall and the gradient jumps
    from g to k within the corner width w: how fast σ_i^t follows that jump is RMSProp's α."""
    g, k, w = p[0], p[1], p[2]
    big = 0.5 * (k + g)
    z0 = 0.5 * np.log(k / g)
    z = x / w - z0
    az = np.abs(z)
    logcosh = az + np.log1p(np.exp(-2.0 * az)) - LOG2  # log cosh z, without overflow
    logcosh0 = z0 + np.log1p(np.exp(-2.0 * z0)) - LOG2  # z0 >= 0
    loss = big * w * (logcosh - logcosh0) + 0.5 * (k - g) * x + 0.5 * y * y
    return loss, big * np.tanh(z) + 0.5 * (k - g), y


def wall_hess(x, y, p):
    """diag((A/w)·sech²(x/w − z₀), 1)."""
    g, k, w = p[0], p[1], p[2]
    big = 0.5 * (k + g)
    z0 = 0.5 * np.log(k / g)
    e = np.exp(-2.0 * np.abs(x / w - z0))
    return (big / w) * 4.0 * e / ((1.0 + e) * (1.0 + e)), 0.0, 1.0


def canyon(x, y, p):
    """h·(1 − exp(−x²/s²)) + A·w·(logcosh(y/w − z₀) − logcosh z₀) + B·y, A = (k + g)/2,
    B = (k − g)/2, z₀ = ½·ln(k/g): a ravine with a steep wall (slope k, y > 0) and a gentle
    one (slope g, y < 0), its floor a plateau at height h that drops into a well at (0, 0).

    Far from the well the floor is flat: gradient descent makes no progress along it and
    bounces between the walls — one big step down the steep wall throws it onto the gentle
    one, a few small steps bring it back — so the loss stays flat at h while ‖g‖ jumps
    between about k and g (and dips where a step lands in the corner)."""
    h, s, k, g, w = p[0], p[1], p[2], p[3], p[4]
    e = np.exp(-(x * x) / (s * s))
    big = 0.5 * (k + g)
    z0 = 0.5 * np.log(k / g)
    z = y / w - z0
    az = np.abs(z)
    az0 = np.abs(z0)
    logcosh = az + np.log1p(np.exp(-2.0 * az)) - LOG2  # log cosh z, without overflow
    logcosh0 = az0 + np.log1p(np.exp(-2.0 * az0)) - LOG2
    loss = h * (1.0 - e) + big * w * (logcosh - logcosh0) + 0.5 * (k - g) * y
    return loss, 2.0 * h * x * e / (s * s), big * np.tanh(z) + 0.5 * (k - g)


def canyon_hess(x, y, p):
    """diag((2h/s²)·e·(1 − 2x²/s²), (A/w)·sech²(y/w − z₀)), e = exp(−x²/s²)."""
    h, s, k, g, w = p[0], p[1], p[2], p[3], p[4]
    s2 = s * s
    e = np.exp(-(x * x) / s2)
    big = 0.5 * (k + g)
    z0 = 0.5 * np.log(k / g)
    q = np.exp(-2.0 * np.abs(y / w - z0))
    hyy = (big / w) * 4.0 * q / ((1.0 + q) * (1.0 + q))
    return 2.0 * h * e / s2 * (1.0 - 2.0 * x * x / s2), 0.0, hyy


# --- saddles -------------------------------------------------------------------------------
def saddle(x, y, p):
    """x² − y²."""
    return x * x - y * y, 2.0 * x, -2.0 * y


def saddle_hess(x, y, p):
    """Constant: diag(2, −2)."""
    return 2.0, 0.0, -2.0


def bounded_saddle(x, y, p):
    """½x² − ½y² + ¼y⁴."""
    y2 = y * y
    return 0.5 * x * x - 0.5 * y2 + 0.25 * y2 * y2, x, y * (y2 - 1.0)


def bounded_saddle_hess(x, y, p):
    """diag(1, 3y² − 1)."""
    return 1.0, 0.0, 3.0 * y * y - 1.0


def monkey_saddle(x, y, p):
    """x³ − 3·x·y²."""
    x2 = x * x
    y2 = y * y
    return x * (x2 - 3.0 * y2), 3.0 * (x2 - y2), -6.0 * x * y


def monkey_saddle_hess(x, y, p):
    """[[6x, −6y], [−6y, −6x]]: zero at the saddle."""
    return 6.0 * x, -6.0 * y, -6.0 * x


# --- classic test functions ----------------------------------------------------------------
def himmelblau(x, y, p):
    """(x² + y − 11)² + (x + y² − 7)²."""
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b, 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


def himmelblau_hess(x, y, p):
    """[[12x² + 4y − 42, 4(x + y)], [4(x + y), 4x + 12y² − 26]]."""
    return 12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 4.0 * x + 12.0 * y * y - 26.0


def beale(x, y, p):
    """(1.5 − x + x·y)² + (2.25 − x + x·y²)² + (2.625 − x + x·y³)²."""
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return t1 * t1 + t2 * t2 + t3 * t3, gx, gy


def beale_hess(x, y, p):
    """Σ 2·(∇tᵢ ∇tᵢᵀ + tᵢ ∇²tᵢ), tᵢ = cᵢ − x + x·yⁱ."""
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    a1 = y - 1.0
    a2 = y2 - 1.0
    a3 = y3 - 1.0
    hxx = 2.0 * (a1 * a1 + a2 * a2 + a3 * a3)
    hxy = 2.0 * (t1 + x * a1 + 2.0 * y * t2 + 2.0 * x * y * a2 + 3.0 * y2 * t3 + 3.0 * x * y2 * a3)
    hyy = 2.0 * x * (x + 2.0 * t2 + 4.0 * x * y2 + 6.0 * y * t3 + 9.0 * x * y2 * y2)
    return hxx, hxy, hyy


def rastrigin(x, y, p):
    """2A + x² + y² − A·(cos 2πx + cos 2πy)."""
    a = p[0]
    w = 2.0 * np.pi
    loss = 2.0 * a + x * x + y * y - a * (np.cos(w * x) + np.cos(w * y))
    return loss, 2.0 * x + w * a * np.sin(w * x), 2.0 * y + w * a * np.sin(w * y)


def rastrigin_hess(x, y, p):
    """diag(2 + (2π)²A·cos 2πx, 2 + (2π)²A·cos 2πy)."""
    a = p[0]
    w = 2.0 * np.pi
    return 2.0 + w * w * a * np.cos(w * x), 0.0, 2.0 + w * w * a * np.cos(w * y)


def six_hump_camel(x, y, p):
    """(4 − 2.1x² + x⁴/3)·x² + x·y + (4y² − 4)·y²."""
    x2 = x * x
    y2 = y * y
    loss = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2
    gx = x * (8.0 - 8.4 * x2 + 2.0 * x2 * x2) + y
    gy = x + y * (16.0 * y2 - 8.0)
    return loss, gx, gy


def six_hump_camel_hess(x, y, p):
    """[[8 − 25.2x² + 10x⁴, 1], [1, 48y² − 8]]."""
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0, 48.0 * y * y - 8.0


def plateau(x, y, p):
    """1 − exp(−(x² + y²)/s²): a round well of width s in a flat plain at height 1."""
    s2 = p[0] * p[0]
    e = np.exp(-(x * x + y * y) / s2)
    c = 2.0 * e / s2
    return 1.0 - e, c * x, c * y


def plateau_hess(x, y, p):
    """c·(I − 2·(x, y)(x, y)ᵀ/s²), c = 2·exp(−(x² + y²)/s²)/s²."""
    s2 = p[0] * p[0]
    e = np.exp(-(x * x + y * y) / s2)
    c = 2.0 * e / s2
    return c * (1.0 - 2.0 * x * x / s2), -2.0 * c * x * y / s2, c * (1.0 - 2.0 * y * y / s2)


# Critical points without a closed form: Newton's method on the analytic gradient, converged
# to the last few ulps (|∇L| < 1e-13 there).
HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644036),
)
HIMMELBLAU_SADDLES = (
    (3.385154183607021, 0.07385187983774928),
    (0.08667750455539634, 2.884254701174776),
    (-3.0730257507643897, -0.08135304428796751),
    (-0.12796134673068005, -1.9537149802445766),
)  # and a local maximum at (−0.2708445906673476, −0.9230385564799815)
BEALE_SADDLES = ((0.0, 1.0), (0.10053793732415835, -2.644513585023125))
SIX_HUMP_CAMEL_MINIMA = (
    (0.08984201310031807, -0.7126564030207396),  # global, L = −1.0316284534898774
    (-0.08984201310031807, 0.7126564030207396),  # global
    (1.7036067149699807, -0.7960835686726252),  # L = −0.2154638243837
    (-1.7036067149699807, 0.7960835686726252),
    (1.607104752920197, 0.5686514548841315),  # L = 2.1042503103
    (-1.607104752920197, -0.5686514548841315),
)
SIX_HUMP_CAMEL_SADDLES = (
    (0.0, 0.0),
    (1.1092053368047863, -0.7682680925095398),
    (-1.1092053368047863, 0.7682680925095398),
    (1.6380679841897787, 0.2286740690443941),
    (-1.6380679841897787, -0.2286740690443941),
    (1.2960702671671092, 0.6050843880386585),
    (-1.2960702671671092, -0.6050843880386585),
)  # and local maxima at ±(1.2302298765166526, 0.16233458445899496)


SURFACE_KINDS: tuple[SurfaceKind, ...] = (
    SurfaceKind(
        key="ellipse",
        name="Convex ellipse",
        description="A long narrow bowl: one direction steep, the other flat (lecture §2, §4).",
        fn=ellipse,
        hess_fn=ellipse_hess,
        params=(
            Param("a", 1.0, 1e-3, 1e3, log=True, label="curvature a (flat direction)"),
            Param("ratio", 100.0, 1.0, 1e4, log=True, label="curvature ratio c/a"),
            Param("tilt", 0.1, -1.5707963267948966, 1.5707963267948966, label="tilt (rad)"),
            Param("cx", 0.0, -10.0, 10.0, label="centre x"),
            Param("cy", 0.0, -10.0, 10.0, label="centre y"),
        ),
        view=lambda p: (p[3] - 2.0, p[3] + 2.0, p[4] - 2.0, p[4] + 2.0),
        minima=lambda p: ((p[3], p[4]),),
        start=lambda p: (p[3] - 1.6, p[4] + 1.2),
        group="convex",
    ),
    SurfaceKind(
        key="booth",
        name="Booth",
        description="A tilted quadratic bowl, curvatures 18 and 2 (condition number 9); "
        "minimum at (1, 3).",
        fn=booth,
        hess_fn=booth_hess,
        view=lambda p: (-4.0, 6.0, -2.0, 8.0),
        minima=lambda p: ((1.0, 3.0),),
        start=lambda p: (-3.0, 5.0),
        group="convex",
    ),
    SurfaceKind(
        key="matyas",
        name="Matyas",
        description="A bowl stretched along the diagonal, curvatures 1 and 0.04 (condition "
        "number 25): slow along the valley floor; minimum at (0, 0).",
        fn=matyas,
        hess_fn=matyas_hess,
        view=lambda p: (-10.0, 10.0, -10.0, 10.0),
        minima=lambda p: ((0.0, 0.0),),
        start=lambda p: (-8.0, -4.0),
        group="convex",
    ),
    SurfaceKind(
        key="rosenbrock",
        name="Rosenbrock valley",
        description="A curved banana-shaped valley with a flat floor; minimum at (1, 1).",
        fn=rosenbrock,
        hess_fn=rosenbrock_hess,
        params=(Param("b", 100.0, 1.0, 1000.0, log=True, label="valley steepness b"),),
        view=lambda p: (-2.0, 2.0, -1.0, 3.0),
        minima=lambda p: ((1.0, 1.0),),
        start=lambda p: (-1.5, 2.0),
        group="valley",
    ),
    SurfaceKind(
        key="ravine",
        name="Log-cosh ravine",
        description="A convex ravine with steep straight walls: gradient descent bounces "
        "between them in a steady 2-cycle, loss flat, gradient large and constant (the canyon "
        "of lecture §1 makes it jump).",
        fn=ravine,
        hess_fn=ravine_hess,
        params=(
            Param("a", 0.05, 1e-3, 10.0, log=True, label="floor curvature a"),
            Param("k", 10.0, 0.1, 100.0, log=True, label="wall slope k"),
            Param("w", 0.2, 0.01, 5.0, log=True, label="floor width w"),
        ),
        view=lambda p: (-4.0, 4.0, -2.0, 2.0),
        minima=lambda p: ((0.0, 0.0),),
        start=lambda p: (-3.5, 1.5),
        group="valley",
    ),
    SurfaceKind(
        key="wall",
        name="Gentle slope, steep wall",
        description="A gentle slope (gradient g) that ends in a steep wall (gradient k), the "
        "minimum at its foot: the gradient jumps from g to k in one step (lecture §3.2: how "
        "fast σ reacts).",
        fn=wall,
        hess_fn=wall_hess,
        params=(
            Param("g", 0.1, 1e-3, 1.0, log=True, label="gentle slope g"),
            Param("k", 10.0, 1.0, 100.0, log=True, label="wall slope k"),
            Param("w", 1e-3, 1e-3, 0.5, log=True, label="corner width w"),
        ),
        view=lambda p: (-2.0, 0.5, -1.0, 1.0),
        minima=lambda p: ((0.0, 0.0),),
        start=lambda p: (-1.75, 0.6),
        group="convex",
    ),
    SurfaceKind(
        key="canyon",
        name="Lopsided canyon",
        description="A ravine with one steep and one gentle wall, cut into a plateau that "
        "drops into a well at (0, 0): far from the well gradient descent bounces between the "
        "walls, loss flat, gradient norm jumping (lecture §1).",
        fn=canyon,
        hess_fn=canyon_hess,
        params=(
            Param("h", 3.0, 0.1, 10.0, log=True, label="plateau height h"),
            Param("s", 1.0, 0.2, 3.0, log=True, label="well width s"),
            Param("k", 8.0, 0.1, 50.0, log=True, label="steep wall slope k"),
            Param("g", 0.3, 0.01, 10.0, log=True, label="gentle wall slope g"),
            Param("w", 0.01, 0.005, 1.0, log=True, label="corner width w"),
        ),
        view=lambda p: (-4.0, 4.0, -1.0, 2.0),
        minima=lambda p: ((0.0, 0.0),),
        start=lambda p: (-3.0, 1.8),
        group="valley",
    ),
    SurfaceKind(
        key="saddle",
        name="Saddle",
        description="x² − y²: a saddle point at (0, 0), unbounded below along y; a run "
        "started near the ridge stalls at the saddle before it escapes.",
        fn=saddle,
        hess_fn=saddle_hess,
        view=lambda p: (-2.0, 2.0, -2.0, 2.0),
        saddles=lambda p: ((0.0, 0.0),),
        start=lambda p: (-1.8, 0.02),
        group="saddle",
        unbounded_below=True,
    ),
    SurfaceKind(
        key="bounded_saddle",
        name="Bounded saddle",
        description="½x² − ½y² + ¼y⁴: a saddle at (0, 0) between two minima at (0, ±1).",
        fn=bounded_saddle,
        hess_fn=bounded_saddle_hess,
        view=lambda p: (-2.0, 2.0, -2.0, 2.0),
        minima=lambda p: ((0.0, 1.0), (0.0, -1.0)),
        saddles=lambda p: ((0.0, 0.0),),
        start=lambda p: (-1.8, 0.02),
        group="saddle",
    ),
    SurfaceKind(
        key="monkey_saddle",
        name="Monkey saddle",
        description="x³ − 3xy²: a flat, degenerate saddle at (0, 0) (the gradient and the "
        "curvature both vanish there) with three ways down; unbounded below.",
        fn=monkey_saddle,
        hess_fn=monkey_saddle_hess,
        view=lambda p: (-2.0, 2.0, -2.0, 2.0),
        saddles=lambda p: ((0.0, 0.0),),
        start=lambda p: (1.6, 0.05),
        group="saddle",
        unbounded_below=True,
    ),
    SurfaceKind(
        key="himmelblau",
        name="Himmelblau",
        description="Four equally deep minima (loss 0), four saddles and a hilltop: where a "
        "run ends depends on the optimizer and the start.",
        fn=himmelblau,
        hess_fn=himmelblau_hess,
        view=lambda p: (-5.0, 5.0, -5.0, 5.0),
        minima=lambda p: HIMMELBLAU_MINIMA,
        saddles=lambda p: HIMMELBLAU_SADDLES,
        start=lambda p: (-0.5, -4.5),
        group="classic",
    ),
    SurfaceKind(
        key="beale",
        name="Beale",
        description="Flat valleys between very steep walls (loss up to ~10⁵ in the corners); "
        "minimum at (3, 0.5).",
        fn=beale,
        hess_fn=beale_hess,
        view=lambda p: (-4.5, 4.5, -4.5, 4.5),
        minima=lambda p: ((3.0, 0.5),),
        saddles=lambda p: BEALE_SADDLES,
        start=lambda p: (1.0, 1.5),
        group="classic",
    ),
    SurfaceKind(
        key="rastrigin",
        name="Rastrigin",
        description="A bowl covered in ripples: a local minimum near every integer point, "
        "the global one at (0, 0).",
        fn=rastrigin,
        hess_fn=rastrigin_hess,
        params=(Param("A", 10.0, 0.0, 50.0, label="ripple height A"),),
        view=lambda p: (-5.12, 5.12, -5.12, 5.12),
        minima=lambda p: ((0.0, 0.0),),
        start=lambda p: (-4.2, 3.7),
        group="classic",
    ),
    SurfaceKind(
        key="six_hump_camel",
        name="Six-hump camel",
        description="Two global minima at ±(0.0898, −0.7127) (loss −1.0316), four shallower "
        "local minima and seven saddles.",
        fn=six_hump_camel,
        hess_fn=six_hump_camel_hess,
        view=lambda p: (-2.0, 2.0, -1.1, 1.1),
        minima=lambda p: SIX_HUMP_CAMEL_MINIMA,
        saddles=lambda p: SIX_HUMP_CAMEL_SADDLES,
        start=lambda p: (-1.9, -0.9),
        group="classic",
    ),
    SurfaceKind(
        key="plateau",
        name="Plateau with a well",
        description="A flat plain with one round well: far from the well the gradient is "
        "almost zero, so plain gradient descent barely moves while Adam or RMSprop walk on.",
        fn=plateau,
        hess_fn=plateau_hess,
        params=(Param("s", 1.0, 0.2, 3.0, log=True, label="well width s"),),
        view=lambda p: (-3.0, 3.0, -3.0, 3.0),
        minima=lambda p: ((0.0, 0.0),),
        start=lambda p: (-2.5, 2.0),
        group="classic",
    ),
)
