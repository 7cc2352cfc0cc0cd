"""Exact Hessians: every catalog surface's ``hess_fn`` is the derivative of its gradient, the
closed forms hold (the ellipse's eigen-pairs, Rosenbrock's matrix, the bowls' curvatures),
listed minima and saddles have the curvature they claim, the compiled Hessian equals the NumPy
one, and a typed formula's Hessian program is exact, made only when asked for, compiles
nothing and is bounded like its gradient program.

Parametrized over ``surfaces.SURFACES``: a surface added to the catalog is covered at once.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_formula import HOSTILE, refuse

from surfaces import SURFACES, FormulaError, SurfaceError, SurfaceKind, custom_surface, get_surface
from surfaces.formula import check_program, parse_formula, program_size
from surfaces.formula.evaluate import (
    MAX_REGISTERS,
    SELF_CHECK,
    compile_hessian,
    compile_program,
    compiled_eval,
    eval_cost,
)
from surfaces.formula.surface import CACHE_SIZE, hessian_program_of

KEYS = sorted(SURFACES)
#: |Hessian − finite differences of the gradient| / max(1, |H|, |∇L|/length), per point
FD_RTOL = 1e-6
#: the compiled Hessian against the NumPy one, relative to max(1, |H|)
JIT_RTOL = 1e-12
#: each surface is checked at at least this many points (or the test fails)
MIN_POINTS = 300


# --- helpers -------------------------------------------------------------------------------
def rng_for(key: str, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([sum(map(ord, key)), len(key), salt])


def settings(kind: SurfaceKind, n_random: int = 4, salt: int = 0):
    """The surface at its defaults, then at random parameter values inside each range."""
    rng = rng_for(kind.key, salt)
    out = [kind()]
    for _ in range(n_random if kind.params else 0):
        vals = {}
        for q in kind.params:
            if q.log:
                vals[q.name] = float(np.exp(rng.uniform(np.log(q.lo), np.log(q.hi))))
            else:
                vals[q.name] = float(rng.uniform(q.lo, q.hi))
        out.append(kind(**vals))
    return out


def length_of(s) -> float:
    """The shortest length over which the curvature changes (the finite-difference scale)."""
    x0, x1, y0, y1 = s.view
    scale = max(x1 - x0, y1 - y0)
    if s.key == "rastrigin":
        return 1.0 / (2.0 * math.pi)
    # corner widths (ravine, wall, canyon) and well widths (plateau, canyon)
    return min([scale, *(s.values[q] for q in ("w", "s") if q in s.values)])


def check_points(s, rng: np.random.Generator, n: int = 60) -> np.ndarray:
    """Points in the view, the start, and points within a few lengths of every listed minimum
    and saddle (where the wall's corner and the ravine's floor are)."""
    x0, x1, y0, y1 = s.view
    ell = length_of(s)
    pts = [np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]), [s.default_start]]
    for c in (*s.minima, *s.saddles):
        pts.append(np.asarray(c) + 2.0 * ell * rng.standard_normal((8, 2)))
    return np.vstack(pts)


def fd_hessian(s, pts: np.ndarray, h: float) -> np.ndarray:
    """Central differences of the gradient, Richardson-extrapolated (error O(h⁴))."""

    def central(step: float) -> np.ndarray:
        cols = []
        for e in ([step, 0.0], [0.0, step]):
            cols.append((s.grad(pts + e) - s.grad(pts - e)) / (2.0 * step))
        return np.stack(cols, axis=-2)  # [..., i, j] = ∂g_j/∂θ_i (symmetric when exact)

    return (4.0 * central(h / 2.0) - central(h)) / 3.0


def fd_errors(s, pts: np.ndarray) -> np.ndarray:
    """Per point: the largest entry of |H − FD| relative to the point's scale."""
    ell = length_of(s)
    H = s.hess(pts)
    fd = fd_hessian(s, pts, 1e-3 * ell)
    g = np.abs(s.grad(pts)).max(axis=-1)
    ref = np.maximum.reduce([np.ones(len(pts)), np.abs(H).max(axis=(-2, -1)), g / ell])
    return np.abs(H - fd).max(axis=(-2, -1)) / ref


# --- every catalog surface -----------------------------------------------------------------
def test_every_catalog_surface_has_a_hessian():
    for key in KEYS:
        assert SURFACES[key].hess_fn is not None, key


@pytest.mark.parametrize("key", KEYS)
def test_hessian_matches_finite_differences_of_the_gradient(key):
    kind = SURFACES[key]
    rng = rng_for(key, 1)
    checked = 0
    for s in settings(kind):
        pts = check_points(s, rng, n=60 if kind.params else 300)
        ok = np.all(np.isfinite(s.grad(pts)), axis=-1)
        err = fd_errors(s, pts[ok])
        worst = int(np.argmax(err))
        assert err[worst] < FD_RTOL, (key, s.values, pts[ok][worst], float(err[worst]))
        checked += int(ok.sum())
    assert checked >= MIN_POINTS, f"{key}: only {checked} points checked"


def test_the_hessian_check_catches_wrong_hessians():
    """The check above can fail: a 0.1 % error, a dropped term, a wrong sign are all caught."""
    rosen = SURFACES["rosenbrock"]

    def scaled(x, y, p):
        hxx, hxy, hyy = rosen.hess_fn(x, y, p)
        return hxx * 1.001, hxy, hyy

    def dropped(x, y, p):  # the 2 of (1 − x)² forgotten
        hxx, hxy, hyy = rosen.hess_fn(x, y, p)
        return hxx - 2.0, hxy, hyy

    def flipped(x, y, p):
        hxx, hxy, hyy = rosen.hess_fn(x, y, p)
        return hxx, -hxy, hyy

    pts = check_points(rosen(), rng_for("wrong"))
    assert fd_errors(rosen(), pts).max() < FD_RTOL
    for wrong in (scaled, dropped, flipped):
        bad = SurfaceKind(key="rosenbrock", name="", description="", fn=rosen.fn,
                          params=rosen.params, view=rosen.view, hess_fn=wrong)  # fmt: skip
        assert fd_errors(bad(), pts).max() > 10 * FD_RTOL, wrong.__name__


@pytest.mark.parametrize("key", KEYS)
def test_compiled_hessian_equals_numpy(key):
    kind = SURFACES[key]
    f = kind.hess_jit
    rng = rng_for(key, 2)
    for s in settings(kind, n_random=2):
        pts = check_points(s, rng, n=20)
        H = s.hess(pts)
        for (x, y), h in zip(pts, H, strict=True):
            out = f(float(x), float(y), s.hess_params)
            assert len(out) == 3 and all(isinstance(v, float) for v in out), out
            want = np.array([h[0, 0], h[0, 1], h[1, 1]])
            tol = JIT_RTOL * max(1.0, float(np.abs(want).max()))
            assert np.abs(np.array(out) - want).max() <= tol, (key, s.values, x, y, out, want)


@pytest.mark.parametrize("key", KEYS)
def test_listed_minima_and_saddles_have_the_curvature_they_claim(key):
    for s in settings(SURFACES[key]):
        for m in s.minima:
            lam = np.linalg.eigvalsh(s.hess(m))
            assert lam[0] >= -1e-9 * max(1.0, lam[1]), (key, s.values, m, lam)
        for q in s.saddles:
            lam = np.linalg.eigvalsh(s.hess(q))
            if key == "monkey_saddle":  # degenerate: the curvature vanishes too
                np.testing.assert_array_equal(s.hess(q), np.zeros((2, 2)))
            else:
                assert lam[0] < 0.0 < lam[1], (key, s.values, q, lam)


def test_batch_shapes_symmetry_and_refusals():
    s = get_surface("himmelblau")
    pts = rng_for("shape").uniform(-4, 4, (3, 4, 2))
    H = s.hess(pts)
    assert H.shape == (3, 4, 2, 2) and H.dtype == np.float64
    np.testing.assert_array_equal(H, np.swapaxes(H, -1, -2))
    np.testing.assert_array_equal(H[1, 2], s.hess(pts[1, 2]))
    assert s.hess([0.0, 0.0]).shape == (2, 2)
    const = get_surface("booth").hess(np.zeros((5, 2)))  # a constant Hessian keeps the batch
    assert const.shape == (5, 2, 2) and np.all(const == [[10.0, 8.0], [8.0, 10.0]])
    with pytest.raises(SurfaceError, match="shape"):
        s.hess(np.zeros((4, 3)))
    plane = SurfaceKind(key="plane", name="Plane", description="",
                        fn=lambda x, y, p: (x + y, 1.0, 1.0))  # fmt: skip
    with pytest.raises(SurfaceError, match="no Hessian"):
        plane().hess([0.0, 0.0])
    with pytest.raises(SurfaceError, match="no Hessian"):
        _ = plane.hess_jit


# --- closed forms --------------------------------------------------------------------------
@pytest.mark.parametrize("tilt", [-1.5707963267948966, -0.7, 0.0, 0.1, 0.5, 1.2])
@pytest.mark.parametrize(("a", "ratio"), [(1.0, 100.0), (0.01, 1e4), (3.0, 1.0), (500.0, 7.0)])
def test_ellipse_eigenpairs_in_closed_form(a, ratio, tilt):
    """Eigenvalues a and a·ratio at every point; eigenvectors (cos t, sin t), (−sin t, cos t)."""
    s = get_surface("ellipse", a=a, ratio=ratio, tilt=tilt, cx=1.5, cy=-2.0)
    pts = check_points(s, rng_for("ellipse", int(1000 * (tilt + 2))), n=10)
    H = s.hess(pts)
    c = a * ratio
    u = np.array([math.cos(tilt), math.sin(tilt)])  # the flat direction (curvature a)
    v = np.array([-math.sin(tilt), math.cos(tilt)])  # the steep one (curvature c)
    for h in H:
        np.testing.assert_allclose(h @ u, a * u, rtol=0, atol=1e-12 * c)
        np.testing.assert_allclose(h @ v, c * v, rtol=0, atol=1e-12 * c)
        lam = np.linalg.eigvalsh(h)
        np.testing.assert_allclose(lam, [a, c] if ratio >= 1 else [c, a], rtol=1e-12, atol=0)
    np.testing.assert_allclose(H, np.broadcast_to(H[0], H.shape), rtol=0, atol=1e-12 * c)


@pytest.mark.parametrize("b", [1.0, 100.0, 1000.0])
def test_rosenbrock_in_closed_form(b):
    s = get_surface("rosenbrock", b=b)
    for x, y in [(1.0, 1.0), (0.0, 0.0), (-1.5, 2.0), (0.3, -0.7)]:
        want = [[2 - 4 * b * y + 12 * b * x * x, -4 * b * x], [-4 * b * x, 2 * b]]
        np.testing.assert_allclose(s.hess([x, y]), want, rtol=1e-14, atol=1e-12)
    # at the minimum: [[2 + 8b, −4b], [−4b, 2b]], determinant 4b, so λ₁λ₂ = 4b
    lam = np.linalg.eigvalsh(s.hess([1.0, 1.0]))
    assert math.isclose(lam[0] * lam[1], 4 * b, rel_tol=1e-9)
    assert math.isclose(lam[0] + lam[1], 2 + 10 * b, rel_tol=1e-12)


def test_the_bowls_have_the_curvatures_their_descriptions_state():
    rng = rng_for("bowls")
    for key, want in [("booth", [2.0, 18.0]), ("matyas", [0.04, 1.0]), ("saddle", [-2.0, 2.0])]:
        s = get_surface(key)
        for h in s.hess(rng.uniform(-5, 5, (10, 2))):
            np.testing.assert_allclose(np.linalg.eigvalsh(h), want, rtol=1e-12, atol=1e-15)
    # the ravine's floor curvature is k/w, its walls far from the floor are flat
    r = get_surface("ravine", a=0.05, k=10.0, w=0.2)
    np.testing.assert_allclose(r.hess([0.7, 0.0]), [[0.05, 0.0], [0.0, 50.0]], rtol=1e-14)
    assert r.hess([0.0, 1.9])[1, 1] < 50.0 * 1e-7
    # the plateau: 2/s² at the centre, curvature → 0 far out on the plain
    p = get_surface("plateau", s=0.5)
    np.testing.assert_allclose(p.hess([0.0, 0.0]), [[8.0, 0.0], [0.0, 8.0]], rtol=1e-14)
    assert np.abs(p.hess([2.9, 2.9])).max() < 1e-10


# --- typed formulas ------------------------------------------------------------------------
TYPED = [
    "(1 - x)**2 + 100*(y - x**2)**2",
    "x**2 + 10*sin(y)",
    "sin(x)*exp(y) + abs(x - y)**3 + x/(y + 5) + 2**x + sqrt(x*x + y*y + 1)",
    "tan(x*y/8) + arctanh(y/4) + log(4 + x) + log10(4 + y) + log2(9 + x*y) + log1p(x + 4)",
    "arcsin(x/4) + arccos(y/4) + arctan(x*y) + sinh(x) + cosh(y) + tanh(x - y)",
    "arcsinh(x*y) + arccosh(5 + x) + expm1(y/2) + (x**2 + y**2 + 1)**-1.5 + (x + 9)**0.5",
    "x**3 - 3*x*y**2 + (x*y)**2/(1 + x**2)",
]


@pytest.mark.parametrize("text", TYPED)
def test_typed_hessian_matches_finite_differences(text):
    s = custom_surface(text)
    pts = rng_for(text).uniform(-2.9, 2.9, (400, 2))
    ok = np.all(np.isfinite(s.grad(pts)), axis=-1) & np.all(np.isfinite(s.hess(pts)), axis=(1, 2))
    ok &= np.abs(pts[:, 0] - pts[:, 1]) > 1e-2  # abs(x − y)³: its third derivative jumps there
    assert ok.sum() >= MIN_POINTS, f"only {ok.sum()} points checked"
    err = fd_errors(s, pts[ok])
    assert err.max() < FD_RTOL, (text, pts[ok][np.argmax(err)], err.max())


def test_self_check_formula_hessian_numpy_equals_compiled():
    """Every operation, through both evaluators (and the Hessian of a typed Rosenbrock is the
    catalog's)."""
    s = custom_surface(SELF_CHECK, (0.1, 0.9, 0.1, 0.9))
    f = s.kind.hess_jit
    assert f is compiled_eval() is s.kind.jit  # one evaluator for losses and Hessians
    pts = rng_for("self").uniform(0.1, 0.9, (200, 2))
    H = s.hess(pts)
    assert np.isfinite(H).all()
    for (x, y), h in zip(pts, H, strict=True):
        out = np.array(f(float(x), float(y), s.hess_params))
        want = h.reshape(4)[[0, 1, 3]]
        assert np.abs(out - want).max() <= JIT_RTOL * max(1.0, np.abs(want).max()), (x, y)
    assert fd_errors(s, pts).max() < FD_RTOL
    mine = custom_surface(TYPED[0])
    np.testing.assert_allclose(mine.hess(pts), get_surface("rosenbrock").hess(pts), rtol=1e-14)


def test_hessian_program_is_made_only_when_asked_and_cached_within_bounds():
    text = "x**4 + 3*x*y + cosh(y) - 0.123456789*x"
    hessian_program_of.cache_clear()
    s = custom_surface(text)
    _ = s.loss([0.0, 0.0]), s.grad([0.0, 0.0]), s.kind.jit
    assert hessian_program_of.cache_info().currsize == 0  # the gradient path never makes it
    p = s.hess_params
    check_program(p)
    assert s.hess_params is p and hessian_program_of.cache_info().currsize == 1
    assert hessian_program_of.cache_info().maxsize == CACHE_SIZE
    assert p is not s.p and int(p[1]) <= MAX_REGISTERS
    for k in range(CACHE_SIZE + 20):
        _ = custom_surface(f"x**2 + {k + 1}*y**2 + sin({k + 1}*x)").hess_params
    assert hessian_program_of.cache_info().currsize == CACHE_SIZE


def test_hessian_cost_is_stated():
    assert get_surface("ellipse").hess_eval_cost == 1.0
    s = custom_surface("sin(" * 49 + "x" + ")" * 49)
    assert s.hess_eval_cost == eval_cost(s.hess_params) > s.kind.eval_cost > 20
    # a quadratic's Hessian is constant: a program of constants only, the cheapest there is
    quad = custom_surface(" + ".join(f"{k}*x*y" for k in range(1, 30)))
    assert program_size(quad.hess_params) == (0, 0) and quad.hess_eval_cost == 1.0
    np.testing.assert_array_equal(quad.hess([[0.3, -2.0]]), [[[0.0, 435.0], [435.0, 0.0]]])


def test_largest_accepted_formulas_fit_the_registers():
    """The costliest formulas we know the parser accepts: their Hessian programs stay well
    inside the register file (the most found by a random search of 4,000 formulas: 405)."""
    for text in ["sin(" * 49 + "x" + ")" * 49, "x/(y+" * 24 + "x" + ")" * 24,
                 " + ".join(f"sin({k}*x)*cos({k}*y)" for k in range(1, 14))]:  # fmt: skip
        tree = parse_formula(text)
        g, h = compile_program(tree), compile_hessian(tree)
        assert int(h[1]) <= MAX_REGISTERS // 4, (text, int(g[1]), int(h[1]))


def test_a_program_too_large_for_the_registers_is_refused_lazily(monkeypatch):
    import surfaces.formula.evaluate as ev

    tree = parse_formula("sin(x)*cos(y)*exp(x*y)")
    monkeypatch.setattr(ev, "MAX_REGISTERS", int(compile_program(tree)[1]))
    compile_program(tree)  # the gradient program fits …
    with pytest.raises(FormulaError) as e:  # … its Hessian does not: a message, not a crash
        compile_hessian(tree)
    assert e.value.key == "formula.too_complex"


def test_hostile_formulas_are_still_refused():
    for text in HOSTILE:
        refuse(text)
    assert len(HOSTILE) >= 50
