"""The critical points of every surface, found rather than trusted: Newton's method on the
analytic gradient from a grid of starts over the view finds each surface's minima and saddles,
and each one it finds must be listed (tests/test_surfaces.py checks the converse: each listed
point is what it claims).  A surface that lists none says why, and the test shows the reason:
convex (the curvature is nowhere negative), unbounded below (the loss goes to −∞ along a
direction), or one critical point only.  Nothing here loops silently over an empty list."""

from __future__ import annotations

import numpy as np
import pytest

from surfaces import SURFACES, Surface

KEYS = sorted(SURFACES)

#: how many minima and saddles each surface lists at its defaults (a new surface adds a row)
LISTED = {
    "beale": (1, 2), "booth": (1, 0), "bounded_saddle": (2, 1), "canyon": (1, 0), "ellipse": (1, 0),
    "himmelblau": (4, 4), "matyas": (1, 0), "monkey_saddle": (0, 1), "plateau": (1, 0),
    "rastrigin": (1, 0), "ravine": (1, 0), "rosenbrock": (1, 0), "saddle": (0, 1),
    "six_hump_camel": (6, 7), "wall": (1, 0), "linreg": (1, 0), "logreg": (1, 0),
}  # fmt: skip
#: why a surface lists no saddle point
NO_SADDLE = {
    "ellipse": "convex", "booth": "convex", "matyas": "convex", "ravine": "convex",
    "wall": "convex", "linreg": "convex", "logreg": "convex",
    "rosenbrock": "one critical point: the minimum at (1, 1)",
    "plateau": "one critical point: 1 − exp(−r²/s²) grows with r, so only the centre",
    "canyon": "one critical point: h·(1 − exp(−x²/s²)) grows with |x| and the walls are "
    "convex in y, so only the bottom of the well",
    "rastrigin": "too many to draw: ~100 local minima and saddles in the view, by design only "
    "the global minimum is listed",
}  # fmt: skip
#: surfaces unbounded below list no minimum: the direction along which the loss goes to −∞
DOWNHILL = {"saddle": (0.0, 1.0), "monkey_saddle": (-1.0, 0.0)}


def _variants(s: Surface) -> list[Surface]:
    """The defaults, and each parameter halfway (geometrically for a log slider) to both
    ends of its range (at the very ends, e.g. the wall's corner 0.001 wide, Newton's method
    from a grid needs far more starts)."""
    kind = s.kind
    out = [kind()]
    for q in kind.params:
        for end in (q.lo, q.hi):
            mid = np.sqrt(q.default * end) if q.log else 0.5 * (q.default + end)
            out.append(kind(**{q.name: float(mid)}))
    return out


def _scale(s: Surface) -> float:
    x0, x1, y0, y1 = s.view
    return max(x1 - x0, y1 - y0)


def _hessians(s: Surface, pts: np.ndarray) -> np.ndarray:
    h = 1e-5 * _scale(s)
    cols = []
    for e in (np.array([h, 0.0]), np.array([0.0, h])):
        cols.append((s.grad(pts + e) - s.grad(pts - e)) / (2 * h))
    H = np.stack(cols, axis=-1)
    return 0.5 * (H + np.swapaxes(H, -1, -2))


def critical_points(s: Surface, n: int = 25, iters: int = 80) -> list[tuple[np.ndarray, str]]:
    """Newton's method on ∇L = 0 from an n×n grid over the view: each distinct converged point
    inside the view, with its kind ('minimum', 'saddle', 'maximum' or 'flat')."""
    x0, x1, y0, y1 = s.view
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    p = np.column_stack([X.ravel(), Y.ravel()])
    with np.errstate(all="ignore"):
        for _ in range(iters):
            g = s.grad(p)
            H = _hessians(s, p)
            det = H[:, 0, 0] * H[:, 1, 1] - H[:, 0, 1] * H[:, 1, 0]
            ok = np.abs(det) > 1e-300
            step = np.zeros_like(p)
            step[ok, 0] = (H[ok, 1, 1] * g[ok, 0] - H[ok, 0, 1] * g[ok, 1]) / det[ok]
            step[ok, 1] = (-H[ok, 1, 0] * g[ok, 0] + H[ok, 0, 0] * g[ok, 1]) / det[ok]
            p = np.where(np.isfinite(step), p - step, p)
    tol = 1e-7 * max(1.0, _scale(s))
    g = s.grad(p)
    inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    keep = p[inside & np.all(np.isfinite(p), axis=1) & (np.linalg.norm(g, axis=1) < tol)]
    found: list[np.ndarray] = []
    for q in keep:
        if all(np.linalg.norm(q - f) > 1e-5 * _scale(s) for f in found):
            found.append(q)
    out = []
    for q in found:
        lam = np.linalg.eigvalsh(_hessians(s, q[None])[0])
        big = 1e-6 * max(1.0, float(np.abs(lam).max()))
        kind = ("minimum" if lam[0] > big else "maximum" if lam[1] < -big
                else "saddle" if lam[0] < -big and lam[1] > big else "flat")  # fmt: skip
        out.append((q, kind))
    return out


def _listed(q: np.ndarray, points, s: Surface) -> bool:
    return any(np.linalg.norm(q - np.asarray(m)) < 1e-4 * _scale(s) for m in points)


def test_every_surface_has_a_row() -> None:
    assert set(LISTED) == set(SURFACES)
    for key, (n_min, n_saddle) in LISTED.items():
        s = SURFACES[key]()
        assert (len(s.minima), len(s.saddles)) == (n_min, n_saddle), key
        assert (n_saddle == 0) == (key in NO_SADDLE), key
        assert (n_min == 0) == (key in DOWNHILL) == SURFACES[key].unbounded_below, key


#: rastrigin: below; wall: its corner is 0.001 wide, Newton's method from a grid does not land
#: in it (its convexity, below, shows there is nothing but its minimum)
NEWTON_KEYS = [k for k in KEYS if k not in ("rastrigin", "wall")]


@pytest.mark.parametrize("key", NEWTON_KEYS)
def test_every_minimum_and_saddle_newton_finds_is_listed(key) -> None:
    for s in _variants(SURFACES[key]()):
        found = critical_points(s)
        assert found, (key, s.values)  # the search itself works: it finds something
        for q, kind in found:
            if kind == "minimum":
                assert _listed(q, s.minima, s), (key, s.values, q, "an unlisted minimum")
            elif kind == "saddle":  # ("flat": where the gradient underflows, e.g. the plateau)
                assert _listed(q, s.saddles, s), (key, s.values, q, "an unlisted saddle")
        for m in (*s.minima, *s.saddles):  # and it finds every listed point inside the view
            x0, x1, y0, y1 = s.view
            if x0 <= m[0] <= x1 and y0 <= m[1] <= y1:
                assert any(np.linalg.norm(q - np.asarray(m)) < 1e-4 * _scale(s)
                           for q, _ in found), (key, s.values, m, "not found")  # fmt: skip


@pytest.mark.parametrize("key", [k for k, why in NO_SADDLE.items() if why == "convex"])
def test_convex_surfaces_have_no_negative_curvature_anywhere_in_view(key) -> None:
    for s in _variants(SURFACES[key]()):
        x0, x1, y0, y1 = s.view
        X, Y = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
        pts = np.column_stack([X.ravel(), Y.ravel()])
        lam = np.linalg.eigvalsh(_hessians(s, pts))
        assert len(lam) == 41 * 41
        assert np.all(lam[:, 0] >= -1e-6 * np.maximum(1.0, np.abs(lam[:, 1]))), (key, s.values)


def test_rastrigin_lists_only_its_global_minimum_by_design() -> None:
    """Why rastrigin lists no saddle: it has dozens, and dozens of local minima."""
    s = SURFACES["rastrigin"]()
    kinds = [k for _, k in critical_points(s, n=41)]
    assert kinds.count("minimum") >= 50 and kinds.count("saddle") >= 50, kinds.count("saddle")
    assert s.minima == ((0.0, 0.0),) and s.saddles == ()


@pytest.mark.parametrize("key", sorted(DOWNHILL))
def test_unbounded_surfaces_go_to_minus_infinity_along_a_direction(key) -> None:
    """Why saddle and monkey_saddle list no minimum: there is none, the loss falls without
    bound.  Along the direction it keeps falling, past any bound."""
    kind = SURFACES[key]
    s = kind()
    assert kind.unbounded_below and s.minima == ()
    d = np.asarray(DOWNHILL[key])
    t = np.array([1.0, 10.0, 100.0, 1e3, 1e4])
    loss = s.loss(t[:, None] * d)
    assert np.all(np.diff(loss) < 0), loss
    assert loss[-1] <= -1e8, loss
