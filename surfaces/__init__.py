"""2-D error surfaces: loss and analytic gradient over points shaped (..., 2).

>>> from surfaces import get_surface
>>> s = get_surface("ellipse", ratio=1000, tilt=0.1)
>>> s.loss([[0.0, 0.0]]), s.grad([0.5, 0.5]).shape
"""

from __future__ import annotations

from .base import Param, Surface, SurfaceError, SurfaceKind
from .catalog import SURFACE_KINDS

SURFACES: dict[str, SurfaceKind] = {k.key: k for k in SURFACE_KINDS}


def get_surface(key: str, **values: float) -> Surface:
    """The surface ``key`` with the given parameter values (the others at their defaults)."""
    try:
        kind = SURFACES[key]
    except (KeyError, TypeError):
        allowed = ", ".join(SURFACES)
        raise SurfaceError(f"unknown surface {key!r}; choose one of: {allowed}") from None
    return kind(**values)


__all__ = ["SURFACES", "Param", "Surface", "SurfaceError", "SurfaceKind", "get_surface"]
