"""Every surface in the registry: its gradient is the derivative of its loss, the compiled
formula agrees with the NumPy one, its listed minima and saddles are what they claim, its
parameters are checked, and its formula is numerically quiet over (and well beyond) its view.

Parametrized over ``surfaces.SURFACES``, so a surface added to the catalog is covered at once.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from surfaces import SURFACES, Surface, SurfaceError, SurfaceKind, get_surface

KEYS = sorted(SURFACES)
GROUPS = {"convex", "valley", "saddle", "classic", "data"}

#: relative tolerance of the finite-difference check, against max(1, |∇L|)
FD_RTOL = 1e-5
#: relative tolerance between the compiled formula and the NumPy one
JIT_RTOL = 1e-12


# --- helpers -------------------------------------------------------------------------------
def rng_for(key: str, salt: int = 0) -> np.random.Generator:
    """A generator seeded per surface, so a failure reproduces on its own."""
    return np.random.default_rng([sum(map(ord, key)), len(key), salt])


def random_values(kind: SurfaceKind, rng: np.random.Generator) -> dict[str, float]:
    """Parameter values drawn inside each Param's range (log-uniform for log sliders)."""
    out = {}
    for q in kind.params:
        if q.log and q.lo > 0:
            out[q.name] = float(np.exp(rng.uniform(np.log(q.lo), np.log(q.hi))))
        else:
            out[q.name] = float(rng.uniform(q.lo, q.hi))
    return out


def settings(kind: SurfaceKind, n_random: int = 3, salt: int = 0) -> list[Surface]:
    """The surface at its defaults, then at a few random parameter settings (if it has any)."""
    rng = rng_for(kind.key, salt)
    out = [kind()]
    if kind.params:
        out += [kind(**random_values(kind, rng)) for _ in range(n_random)]
    return out


def scale_of(s: Surface) -> float:
    x0, x1, y0, y1 = s.view
    return max(x1 - x0, y1 - y0)


def points_in_view(s: Surface, n: int, rng: np.random.Generator) -> np.ndarray:
    x0, x1, y0, y1 = s.view
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def fd_error(fn, p: np.ndarray, pts: np.ndarray, scale: float) -> float:
    """max over pts of |central difference − analytic gradient| / max(1, |∇L|)."""
    h = 1e-6 * scale
    x, y = pts[:, 0], pts[:, 1]
    with np.errstate(all="ignore"):
        _, gx, gy = fn(x, y, p)
        fdx = (fn(x + h, y, p)[0] - fn(x - h, y, p)[0]) / (2.0 * h)
        fdy = (fn(x, y + h, p)[0] - fn(x, y - h, p)[0]) / (2.0 * h)
    g = np.column_stack(np.broadcast_arrays(gx, gy)).astype(float)
    fd = np.column_stack(np.broadcast_arrays(fdx, fdy)).astype(float)
    denom = np.maximum(1.0, np.linalg.norm(g, axis=1))
    return float(np.max(np.abs(fd - g).max(axis=1) / denom))


def hessian(s: Surface, pt: tuple[float, float]) -> np.ndarray:
    """Central differences of the analytic gradient, symmetrised."""
    h = 1e-5 * scale_of(s)
    x, y = pt
    cols = [
        (s.grad([x + h, y]) - s.grad([x - h, y])) / (2 * h),
        (s.grad([x, y + h]) - s.grad([x, y - h])) / (2 * h),
    ]
    H = np.column_stack(cols)
    return 0.5 * (H + H.T)


def ring(pt: tuple[float, float], r: float, n: int) -> np.ndarray:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.column_stack([pt[0] + r * np.cos(t), pt[1] + r * np.sin(t)])


# --- the registry --------------------------------------------------------------------------
def test_registry_is_consistent():
    assert len(SURFACES) >= 12
    for key, kind in SURFACES.items():
        assert kind.key == key
        assert kind.name and kind.description
        assert kind.group in GROUPS, (key, kind.group)
        doc = (kind.fn.__doc__ or "").strip()
        assert doc, f"{key}: the formula function needs a docstring giving the formula"
        names = [q.name for q in kind.params]
        assert len(set(names)) == len(names), key
        if kind.unbounded_below:
            assert not kind().minima, f"{key} is unbounded below but lists minima"


def test_unknown_surface_is_refused():
    with pytest.raises(SurfaceError, match="nope") as err:
        get_surface("nope")
    assert "ellipse" in str(err.value)  # the message lists what there is
    with pytest.raises(SurfaceError):
        get_surface(None)  # type: ignore[arg-type]


# --- the gradient --------------------------------------------------------------------------
@pytest.mark.parametrize("key", KEYS)
def test_gradient_matches_finite_differences(key):
    kind = SURFACES[key]
    rng = rng_for(key, 1)
    for s in settings(kind):
        pts = points_in_view(s, 40, rng)
        err = fd_error(kind.fn, s.p, pts, scale_of(s))
        assert err < FD_RTOL, f"{key} {s.values}: gradient off by {err:.3g} (relative)"


def test_the_gradient_check_catches_wrong_gradients():
    """The check above must be able to fail: small and structural gradient errors are caught."""
    rosen = SURFACES["rosenbrock"]
    s = rosen()
    pts = points_in_view(s, 40, rng_for("check"))

    def scaled(x, y, p):  # a 0.1 % error in one component
        loss, gx, gy = rosen.fn(x, y, p)
        return loss, gx * 1.001, gy

    def dropped(x, y, p):  # a term forgotten: d/dx of (1 − x)²
        loss, gx, gy = rosen.fn(x, y, p)
        return loss, gx + 2.0 * (1.0 - x), gy

    def swapped(x, y, p):
        loss, gx, gy = rosen.fn(x, y, p)
        return loss, gy, gx

    assert fd_error(rosen.fn, s.p, pts, scale_of(s)) < FD_RTOL
    for wrong in (scaled, dropped, swapped):
        assert fd_error(wrong, s.p, pts, scale_of(s)) > 10 * FD_RTOL, wrong.__name__


# --- the compiled formula ------------------------------------------------------------------
@pytest.mark.parametrize("key", KEYS)
def test_compiled_formula_equals_numpy(key):
    kind = SURFACES[key]
    f = kind.jit
    rng = rng_for(key, 2)
    for s in settings(kind, n_random=2):
        pts = points_in_view(s, 25, rng)
        pts = np.vstack([pts, s.minima or np.empty((0, 2)), s.saddles or np.empty((0, 2))])
        loss, grad = s.value_and_grad(pts)
        for (x, y), l_np, g_np in zip(pts, loss, grad, strict=True):
            out = f(float(x), float(y), s.p)
            assert len(out) == 3 and all(isinstance(v, float) for v in out), out
            want = np.array([l_np, *g_np])
            tol = JIT_RTOL * max(1.0, float(np.max(np.abs(want))))
            assert np.max(np.abs(np.array(out) - want)) <= tol, (key, s.values, x, y, out, want)


# --- minima and saddles --------------------------------------------------------------------
def inside(view, pt, margin: float = 0.0) -> bool:
    x0, x1, y0, y1 = view
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    return x0 - mx <= pt[0] <= x1 + mx and y0 - my <= pt[1] <= y1 + my


@pytest.mark.parametrize("key", KEYS)
def test_minima_are_minima(key):
    for s in settings(SURFACES[key]):
        sc = scale_of(s)
        for m in s.minima:
            assert inside(s.view, m, margin=0.1), (key, m, s.view)
            loss, g = s.value_and_grad(m)
            assert np.linalg.norm(g) < 1e-6 * sc, (key, s.values, m, g)
            around = s.loss(ring(m, 1e-3 * sc, 16))
            assert np.all(around > loss), (key, s.values, m, loss, around.min())
            # a ring can miss a narrow way down (Beale's saddles): no negative curvature either
            lam = np.linalg.eigvalsh(hessian(s, m))
            assert lam[0] > -1e-6 * max(1.0, abs(lam[1])), (key, s.values, m, lam)


@pytest.mark.parametrize("key", KEYS)
def test_saddles_are_saddles(key):
    for s in settings(SURFACES[key]):
        sc = scale_of(s)
        for c in s.saddles:
            assert inside(s.view, c, margin=0.1), (key, c, s.view)
            loss, g = s.value_and_grad(c)
            assert np.linalg.norm(g) < 1e-6 * sc, (key, s.values, c, g)
            around = s.loss(ring(c, 1e-4 * sc, 720))
            assert np.any(around > loss), f"{key} {c}: no way up, a maximum rather than a saddle"
            lam, vec = np.linalg.eigh(hessian(s, c))
            if lam[0] < -1e-6 * max(1.0, abs(lam[1])):
                # a plain saddle: downhill both ways along the negative-curvature direction
                r = 1e-4 * sc
                down = s.loss([np.add(c, r * vec[:, 0]), np.subtract(c, r * vec[:, 0])])
                assert np.all(down < loss), (key, s.values, c, lam)
            else:
                # degenerate (curvature zero, like the monkey saddle): some nearby point is lower
                assert np.any(around < loss), f"{key} {c}: no way down, a minimum, not a saddle"


@pytest.mark.parametrize("key", KEYS)
def test_no_point_of_the_view_is_below_the_lowest_listed_minimum(key):
    """The listed minima include the global one (on the view, for surfaces bounded below)."""
    kind = SURFACES[key]
    for s in settings(kind):
        if kind.unbounded_below or not s.minima:
            continue
        best = min(float(s.loss(m)) for m in s.minima)
        _, _, z = s.grid(201)
        assert z.min() >= best - 1e-9 * max(1.0, abs(best)), (key, s.values, best, z.min())


# --- shapes --------------------------------------------------------------------------------
@pytest.mark.parametrize("key", KEYS)
def test_loss_and_grad_accept_any_batch_shape(key):
    s = SURFACES[key]()
    rng = rng_for(key, 3)
    pts = points_in_view(s, 12, rng).reshape(3, 4, 2)
    assert s.loss(pts[0, 0]).shape == () and s.grad(pts[0, 0]).shape == (2,)
    assert s.loss(pts[0]).shape == (4,) and s.grad(pts[0]).shape == (4, 2)
    assert s.loss(pts).shape == (3, 4) and s.grad(pts).shape == (3, 4, 2)
    assert s.loss(pts[0, 0].tolist()).shape == ()
    # the batch is evaluated point by point: same numbers whatever the shape
    flat_l, flat_g = s.value_and_grad(pts.reshape(-1, 2))
    np.testing.assert_array_equal(s.loss(pts).ravel(), flat_l)
    np.testing.assert_array_equal(s.grad(pts).reshape(-1, 2), flat_g)
    for i in range(3):
        for j in range(4):
            assert s.loss(pts[i, j]) == s.loss(pts)[i, j]
    with pytest.raises(SurfaceError):
        s.loss(np.zeros((4, 3)))


def test_constant_gradient_still_has_the_batch_shape():
    """A formula may return a gradient that does not depend on the point (a tilted plane)."""
    plane = SurfaceKind(key="plane", name="Plane", description="0.5·x + 0.25·y",
                        fn=lambda x, y, p: (0.5 * x + 0.25 * y, 0.5, 0.25))  # fmt: skip
    s = plane()
    for shape in [(), (4,), (3, 4)]:
        loss, grad = s.value_and_grad(np.zeros((*shape, 2)))
        assert loss.shape == shape and grad.shape == (*shape, 2)
        assert np.all(grad == [0.5, 0.25])


# --- parameters, view and start ------------------------------------------------------------
@pytest.mark.parametrize("key", KEYS)
def test_parameters_view_and_start(key):
    kind = SURFACES[key]
    for q in kind.params:
        assert math.isfinite(q.lo) and math.isfinite(q.hi) and q.lo < q.hi, (key, q)
        assert q.lo <= q.default <= q.hi, (key, q)
        assert not q.log or q.lo > 0, f"{key}.{q.name}: a log slider needs lo > 0"
    assert kind().values == {q.name: q.default for q in kind.params}
    for s in settings(kind, n_random=5):
        x0, x1, y0, y1 = s.view
        assert all(map(math.isfinite, s.view)) and x0 < x1 and y0 < y1, (key, s.view)
        assert inside(s.view, s.default_start), (key, s.values, s.default_start, s.view)
        assert np.isfinite(s.loss(s.default_start)) and np.all(np.isfinite(s.grad(s.default_start)))


@pytest.mark.parametrize("key", KEYS)
def test_bad_parameter_values_are_refused_by_name(key):
    kind = SURFACES[key]
    for q in kind.params:
        width = q.hi - q.lo
        for bad in (q.lo - 0.5 * width - 1.0, q.hi + 0.5 * width + 1.0, math.nan, math.inf,
                    -math.inf, "abc", None):  # fmt: skip
            with pytest.raises(SurfaceError, match=f"{key}.{q.name}"):
                kind(**{q.name: bad})
            with pytest.raises(SurfaceError, match=f"{key}.{q.name}"):
                get_surface(key, **{q.name: bad})
        kind(**{q.name: q.lo})  # the ends of the range are allowed
        kind(**{q.name: q.hi})
    with pytest.raises(SurfaceError, match="bogus"):
        kind(bogus=1.0)
    with pytest.raises(SurfaceError, match="bogus"):
        get_surface(key, bogus=1.0)


# --- numerically quiet ---------------------------------------------------------------------
def _raw_grid(s: Surface, n: int, widen: float) -> tuple[np.ndarray, ...]:
    x0, x1, y0, y1 = s.view
    cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, widen * (x1 - x0) / 2, widen * (y1 - y0) / 2
    X, Y = np.meshgrid(np.linspace(cx - hx, cx + hx, n), np.linspace(cy - hy, cy + hy, n))
    return s.kind.fn(X, Y, s.p)


@pytest.mark.parametrize("key", KEYS)
def test_grid_is_finite_and_warning_free(key):
    kind = SURFACES[key]
    for s in settings(kind):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            xs, ys, z = s.grid(100)
            assert xs.shape == ys.shape == (100,) and z.shape == (100, 100)
            assert np.all(np.isfinite(z)), (key, s.values)
            # Surface.value_and_grad silences floating-point warnings, so also run the raw
            # formula under NumPy's default error handling (underflow to 0 is fine), over the
            # view and over a box 100 times as wide: a warning there is an error.
            with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                for widen in (1.0, 100.0):
                    out = _raw_grid(s, 101, widen)
                    for a in out:
                        assert np.all(np.isfinite(a)), (key, s.values, widen)
