"""2-D error surfaces: loss and analytic gradient over points shaped (..., 2).

>>> from surfaces import get_surface
>>> s = get_surface("ellipse", ratio=1000, tilt=0.1)
>>> s.loss([[0.0, 0.0]]), s.grad([0.5, 0.5]).shape
>>> mine = custom_surface("x**2 + 10*sin(y)")  # a typed formula (surfaces.formula)
"""

from __future__ import annotations

from .base import Param, Surface, SurfaceError, SurfaceKind
from .catalog import SURFACE_KINDS
from .data import DATA_KINDS
from .formula import (
    FORMULA_MESSAGES,
    FUNCTIONS,
    MAX_CHARS,
    MAX_DEPTH,
    MAX_NODES,
    FormulaError,
    Node,
    canonical,
    custom_surface,
    parse_formula,
)

SURFACES: dict[str, SurfaceKind] = {k.key: k for k in (*SURFACE_KINDS, *DATA_KINDS)}


def get_surface(key: str, **values: float) -> Surface:
    """The surface ``key`` with the given parameter values (the others at their defaults)."""
    try:
        kind = SURFACES[key]
    except (KeyError, TypeError):
        allowed = ", ".join(SURFACES)
        raise SurfaceError(f"unknown surface {key!r}; choose one of: {allowed}") from None
    return kind(**values)


__all__ = [
    "FORMULA_MESSAGES",
    "FUNCTIONS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_NODES",
    "SURFACES",
    "FormulaError",
    "Node",
    "Param",
    "Surface",
    "SurfaceError",
    "SurfaceKind",
    "canonical",
    "custom_surface",
    "get_surface",
    "parse_formula",
]
