"""A typed formula as a surface: its view box, its start, and the program the engine runs."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base import Box, Surface, SurfaceKind
from .evaluate import compile_hessian, compile_program, compiled_eval, eval_cost, numpy_eval
from .parse import FormulaError, canonical, parse_formula

#: largest |coordinate| of a view box
MAX_VIEW = 1e6
#: smallest width and height of a view box
MIN_VIEW_SPAN = 1e-6
DEFAULT_VIEW: Box = (-3.0, 3.0, -3.0, 3.0)
#: formulas kept ready (keyed by canonical expression): a few KB each, nothing compiled
CACHE_SIZE = 256


def _check_view(view: Any) -> Box:
    if view is None:
        return DEFAULT_VIEW
    try:
        x0, x1, y0, y1 = (float(v) for v in view)
    except (TypeError, ValueError):
        raise FormulaError("formula.view", max=f"{MAX_VIEW:g}", min=f"{MIN_VIEW_SPAN:g}") from None
    box = (x0, x1, y0, y1)
    if not (
        all(math.isfinite(v) and abs(v) <= MAX_VIEW for v in box)
        and x1 - x0 >= MIN_VIEW_SPAN
        and y1 - y0 >= MIN_VIEW_SPAN
    ):
        raise FormulaError("formula.view", max=f"{MAX_VIEW:g}", min=f"{MIN_VIEW_SPAN:g}")
    return box


def _start(program: NDArray[np.float64], box: Box) -> tuple[float, float]:
    """The usual start (15 % in from the top-left corner), or, where the formula is undefined
    there, the nearest point of a 41 × 41 grid where it is defined."""
    x0, x1, y0, y1 = box
    want = (x0 + 0.15 * (x1 - x0), y0 + 0.85 * (y1 - y0))
    xs, ys = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    xs = np.concatenate([[want[0]], xs.ravel()])
    ys = np.concatenate([[want[1]], ys.ravel()])
    with np.errstate(all="ignore"):
        loss, gx, gy = (np.broadcast_to(v, xs.shape) for v in numpy_eval(xs, ys, program))
    ok = np.isfinite(loss) & np.isfinite(gx) & np.isfinite(gy)
    if ok[0] or not ok.any():
        return want
    d = np.where(ok, np.hypot((xs - want[0]) / (x1 - x0), (ys - want[1]) / (y1 - y0)), np.inf)
    k = int(np.argmin(d))
    return float(xs[k]), float(ys[k])


@lru_cache(maxsize=CACHE_SIZE)
def program_of(canon: str) -> NDArray[np.float64]:
    """The program of a canonical expression (read-only array, cached)."""
    return compile_program(parse_formula(canon))


@lru_cache(maxsize=CACHE_SIZE)
def hessian_program_of(canon: str) -> NDArray[np.float64]:
    """The Hessian program of a canonical expression (cached; made only when asked for)."""
    return compile_hessian(parse_formula(canon))


@lru_cache(maxsize=CACHE_SIZE)
def _custom_kind(canon: str, box: Box) -> SurfaceKind:
    program = program_of(canon)
    start = _start(program, box)
    return SurfaceKind(
        key="custom",
        name=f"f(x, y) = {canon}",
        description=canon,
        fn=numpy_eval,
        view=lambda p: box,
        start=lambda p: start,
        group="custom",
        ident=f"custom:{canon}|{','.join(repr(v) for v in box)}",
        jit_factory=compiled_eval,
        program=program,
        eval_cost=eval_cost(program),
        hess_fn=numpy_eval,
        hess_jit_factory=compiled_eval,  # the same evaluator: nothing compiled per formula
        hess_program=lambda: hessian_program_of(canon),
        hess_cost=lambda: eval_cost(hessian_program_of(canon)),
    )


def custom_surface(text: str, view: tuple[float, float, float, float] | None = None) -> Surface:
    """The surface ``f(x, y) = text`` in the view box (x0, x1, y0, y1) (default ±3), with its
    exact gradient.  Raises FormulaError."""
    canon = canonical(parse_formula(text))
    return Surface(_custom_kind(canon, _check_view(view)))


def formula_of(surface: Surface) -> str | None:
    """The canonical formula of a typed surface (None for a catalog surface)."""
    return surface.kind.description if surface.kind.key == "custom" else None
