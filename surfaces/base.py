"""What a surface is: one formula, its parameters, its view box and its critical points.

A surface's formula is a plain function ``fn(x, y, p) -> (loss, dL/dx, dL/dy)`` where ``p``
is a 1-D float64 array of the surface's parameters, in the order of its ``params``.  It is
written with NumPy functions and arithmetic only, without branches on values, so that the
*same source* runs two ways:

- in NumPy, on arrays ``x`` and ``y`` of any shape (contour grids, ``Surface.loss``), and
- compiled by Numba, on two floats (the engine's time loop in ``optimizers.runner``).

Its curvature is a second such function, ``hess_fn(x, y, p) -> (∂²L/∂x², ∂²L/∂x∂y, ∂²L/∂y²)``,
branch-free too, run the same two ways (``Surface.hess`` in NumPy, ``SurfaceKind.hess_jit``
compiled, for second-order optimizers and for ``lab.theory``).

Adding a surface is one such function (and its Hessian) plus one ``SurfaceKind`` entry in
``surfaces.catalog``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Formula = Callable[[Any, Any, NDArray[np.float64]], tuple[Any, Any, Any]]
Box = tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
Points = tuple[tuple[float, float], ...]


class SurfaceError(ValueError):
    """A surface name or a surface parameter that is not allowed; the message says which."""


@dataclass(frozen=True)
class Param:
    """One parameter of a surface, with the range a user may set it in."""

    name: str
    default: float
    lo: float
    hi: float
    log: bool = False  # a slider for it should be logarithmic
    label: str = ""


@dataclass(frozen=True)
class SurfaceKind:
    """A family of surfaces: the formula and everything known about it, as functions of ``p``."""

    key: str
    name: str
    description: str
    fn: Formula
    params: tuple[Param, ...] = ()
    view: Callable[[NDArray[np.float64]], Box] = lambda p: (-2.0, 2.0, -2.0, 2.0)
    minima: Callable[[NDArray[np.float64]], Points] = lambda p: ()
    saddles: Callable[[NDArray[np.float64]], Points] = lambda p: ()
    start: Callable[[NDArray[np.float64]], tuple[float, float]] | None = None
    group: str = "classic"
    #: True when the loss grows without bound below (a saddle that is not bounded below):
    #: runs there are expected to leave the view, and are stopped only at the wide bound.
    unbounded_below: bool = False
    #: what tells two kinds apart when ``key`` does not: kinds made at run time from a typed
    #: formula (surfaces.formula) all have key "custom", and ident "custom:<formula>|<view>"
    ident: str = ""
    #: builds the compiled formula, instead of compiling ``fn`` with numba's on-disk cache
    jit_factory: Callable[[], Callable[..., tuple[float, float, float]]] | None = None
    #: a typed formula's program (surfaces.formula.evaluate): handed to ``fn`` and to the
    #: compiled evaluator as ``p``, in place of a parameter vector
    program: NDArray[np.float64] | None = field(default=None, compare=False, repr=False)
    #: what one evaluation costs relative to a catalog surface's (the server's cost bound)
    eval_cost: float = field(default=1.0, compare=False)
    #: the Hessian ``hess_fn(x, y, p) -> (hxx, hxy, hyy)``, branch-free like ``fn``; ``p`` is
    #: ``Surface.hess_params`` (the parameter vector, or a typed formula's Hessian program)
    hess_fn: Formula | None = field(default=None, compare=False, repr=False)
    #: builds the compiled Hessian, instead of compiling ``hess_fn`` with numba's on-disk cache
    hess_jit_factory: Callable[[], Callable[..., tuple[float, float, float]]] | None = field(
        default=None, compare=False, repr=False
    )
    #: a typed formula's Hessian program, made on first use (and kept in a bounded cache)
    hess_program: Callable[[], NDArray[np.float64]] | None = field(
        default=None, compare=False, repr=False
    )
    #: what one Hessian evaluation costs, relative to one catalog gradient evaluation (a
    #: typed formula's: its Hessian program's, made on first use)
    hess_cost: Callable[[], float] = field(default=lambda: 1.0, compare=False, repr=False)

    def __call__(self, **values: float) -> Surface:
        return Surface(self, values)

    @cached_property
    def jit(self) -> Callable[..., tuple[float, float, float]]:
        """The formula compiled for two floats (for the engine); compiled once per process."""
        if self.jit_factory is not None:
            return self.jit_factory()
        import numba

        return first_class(numba.njit(cache=True, nogil=True)(self.fn))

    @cached_property
    def hess_jit(self) -> Callable[..., tuple[float, float, float]]:
        """The Hessian compiled for two floats: ``hess_jit(x, y, p) -> (hxx, hxy, hyy)`` with
        ``p = Surface.hess_params``, a first-class function value like ``jit``; compiled once
        per process (typed formulas: the one program evaluator, nothing compiled per formula)."""
        if self.hess_jit_factory is not None:
            return self.hess_jit_factory()
        if self.hess_fn is None:
            raise SurfaceError(f"surface {self.key!r} has no Hessian")
        import numba

        return first_class(numba.njit(cache=True, nogil=True)(self.hess_fn))


@dataclass(frozen=True)
class Surface:
    """One surface with its parameter values set: loss and gradient over points shaped (..., 2)."""

    kind: SurfaceKind
    values: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = {q.name: q for q in self.kind.params}
        for name in self.values:
            if name not in known:
                allowed = ", ".join(known) or "none"
                raise SurfaceError(
                    f"surface {self.kind.key!r} has no parameter {name!r} (it has: {allowed})"
                )
        full = {}
        for q in self.kind.params:
            v = self.values.get(q.name, q.default)
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise SurfaceError(
                    f"{self.kind.key}.{q.name} must be a number, got {v!r}"
                ) from None
            if not (math.isfinite(v) and q.lo <= v <= q.hi):
                raise SurfaceError(
                    f"{self.kind.key}.{q.name} must be between {q.lo:g} and {q.hi:g}, got {v!r}"
                )
            full[q.name] = v
        object.__setattr__(self, "values", full)

    def __hash__(self) -> int:  # usable as a cache key: same kind, same values
        return hash((self.kind.ident or self.kind.key, tuple(self.values.items())))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Surface)
            and (other.kind.ident or other.kind.key) == (self.kind.ident or self.kind.key)
            and dict(other.values) == dict(self.values)
        )

    # -- identity ---------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return self.kind.key

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def description(self) -> str:
        return self.kind.description

    @cached_property
    def p(self) -> NDArray[np.float64]:
        """The parameter vector handed to the formula (a typed formula's program)."""
        if self.kind.program is not None:
            return self.kind.program
        return np.array([self.values[q.name] for q in self.kind.params] or [0.0], dtype=np.float64)

    # -- the formula over points shaped (..., 2) --------------------------------------------
    def value_and_grad(self, points: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        pts = np.asarray(points, dtype=np.float64)
        if pts.shape[-1:] != (2,):
            raise SurfaceError(f"points must have shape (..., 2), got {pts.shape}")
        with np.errstate(all="ignore"):
            loss, gx, gy = self.kind.fn(pts[..., 0], pts[..., 1], self.p)
        shape = pts.shape[:-1]
        loss = np.broadcast_to(np.asarray(loss, dtype=np.float64), shape)
        grad = np.stack([np.broadcast_to(gx, shape), np.broadcast_to(gy, shape)], axis=-1)
        return loss, grad.astype(np.float64, copy=False)

    def loss(self, points: ArrayLike) -> NDArray[np.float64]:
        return self.value_and_grad(points)[0]

    def grad(self, points: ArrayLike) -> NDArray[np.float64]:
        return self.value_and_grad(points)[1]

    @property
    def hess_params(self) -> NDArray[np.float64]:
        """What ``kind.hess_fn`` and ``kind.hess_jit`` take as ``p``: the parameter vector, or a
        typed formula's Hessian program (made on first use, kept in a bounded cache)."""
        if self.kind.hess_program is not None:
            return self.kind.hess_program()
        return self.p

    @property
    def hess_eval_cost(self) -> float:
        """One Hessian evaluation relative to one gradient evaluation on a catalog surface (the
        server's cost model; 1 for a catalog surface, a typed formula's from its program)."""
        return float(self.kind.hess_cost())

    def hess(self, points: ArrayLike) -> NDArray[np.float64]:
        """The Hessian at points shaped (..., 2): an array (..., 2, 2), symmetric."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.shape[-1:] != (2,):
            raise SurfaceError(f"points must have shape (..., 2), got {pts.shape}")
        if self.kind.hess_fn is None:
            raise SurfaceError(f"surface {self.key!r} has no Hessian")
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = self.kind.hess_fn(pts[..., 0], pts[..., 1], self.hess_params)
        shape = pts.shape[:-1]
        hxx, hxy, hyy = (np.broadcast_to(np.asarray(v, dtype=np.float64), shape)
                         for v in (hxx, hxy, hyy))  # fmt: skip
        out = np.stack([np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1)], axis=-2)
        return out.astype(np.float64, copy=False)

    # -- what is known about it -------------------------------------------------------------
    @property
    def view(self) -> Box:
        return tuple(float(v) for v in self.kind.view(self.p))  # type: ignore[return-value]

    @property
    def minima(self) -> Points:
        return tuple((float(a), float(b)) for a, b in self.kind.minima(self.p))

    @property
    def saddles(self) -> Points:
        return tuple((float(a), float(b)) for a, b in self.kind.saddles(self.p))

    @property
    def default_start(self) -> tuple[float, float]:
        """A start point that shows the surface's character (inside the view box)."""
        if self.kind.start is not None:
            a, b = self.kind.start(self.p)
            return float(a), float(b)
        x0, x1, y0, y1 = self.view
        return x0 + 0.15 * (x1 - x0), y0 + 0.85 * (y1 - y0)

    @property
    def bound(self) -> float:
        """A run whose |x| or |y| exceeds this has left the surface for good: it diverged."""
        x0, x1, y0, y1 = self.view
        return 1e4 * max(abs(x0), abs(x1), abs(y0), abs(y1), x1 - x0, y1 - y0)

    def grid(
        self, n: int = 200
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """x (n,), y (n,) and the loss on the grid (n, n) indexed [y, x], for contour plots."""
        x0, x1, y0, y1 = self.view
        xs = np.linspace(x0, x1, n)
        ys = np.linspace(y0, y1, n)
        pts = np.stack(np.meshgrid(xs, ys), axis=-1)
        return xs, ys, self.loss(pts)


# -- the compiled formula as a first-class function value ---------------------------------------
@cache
def _wap_class() -> type:
    """A first-class function value for the engine (numba FunctionType), made lazily so that
    importing surfaces does not import numba."""
    from numba.core.types import WrapperAddressProtocol

    class CompiledFormula(WrapperAddressProtocol):
        """A compiled formula.  The engine's time loop takes it as a numba FunctionType, so one
        specialisation of the loop serves every surface (and is found in numba's on-disk cache
        by the next process); a Python call goes to the dispatcher."""

        def __init__(self, dispatcher: Any, argtypes: tuple) -> None:
            self.dispatcher = dispatcher  # keeps the compiled code alive
            cres = dispatcher.overloads[argtypes]
            self._sig = cres.signature
            self._addr = cres.library.get_pointer_to_function(cres.fndesc.llvm_cfunc_wrapper_name)

        def __wrapper_address__(self) -> int:
            return self._addr

        def signature(self) -> Any:
            return self._sig

        def __call__(self, x: Any, y: Any, p: Any) -> tuple[float, float, float]:
            return self.dispatcher(x, y, p)

    return CompiledFormula


def first_class(dispatcher: Any) -> Callable[..., tuple[float, float, float]]:
    """``dispatcher`` (a numba.njit formula) compiled for (float, float, float64[::1]) and
    wrapped as a first-class function value for the engine."""
    from numba import types

    argtypes = (types.float64, types.float64, types.Array(types.float64, 1, "C"))
    dispatcher.compile(argtypes)
    return _wap_class()(dispatcher, argtypes)
