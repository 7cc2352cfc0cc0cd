"""One colour per optimizer, the same in every chart (Okabe–Ito based: colour-blind safe)."""

from __future__ import annotations

PRESET_COLORS: dict[str, str] = {
    "gd": "#444444",
    "momentum": "#8C510A",
    "nesterov": "#BF812D",
    "adagrad": "#009E73",
    "rms": "#D55E00",
    "rmsprop": "#E69F00",
    "rmsprop_lecture": "#CC79A7",
    "adam": "#0072B2",
    "adamw": "#56B4E9",
    "nadam": "#6A3D9A",
    "radam": "#1B7837",
    "": "#B2182B",  # built from parts
}
#: for a second run of the same preset (e.g. GD with two learning rates)
SPARE_COLORS = ("#B2182B", "#2166AC", "#762A83", "#5AAE61", "#F781BF", "#999999")

SURFACE_LOW = (246, 246, 244)  # low loss: near white (the lecture's "grey lowlands")
SURFACE_MID = (243, 224, 196)
SURFACE_HIGH = (226, 160, 140)  # high loss: pale red ("red highlands")
ISOLINE_DARKEN = 0.78
#: the basins' colours (the presets' Okabe–Ito based ones, in an order where neighbours differ)
BASIN_COLORS = tuple(
    PRESET_COLORS[k]
    for k in ("adam", "rmsprop", "adagrad", "rms", "rmsprop_lecture", "adamw", "nadam", "radam",
              "momentum", "nesterov")
)  # fmt: skip
#: the arrows of one run's update on the surface (lab.arrows; with several runs, run colours)
ARROW_COLORS = {"sigma": "#444444", "g": "#D55E00", "m": "#0072B2", "step": "#111111"}


def run_colors(presets: list[str] | tuple[str, ...]) -> list[str]:
    """A distinct colour for every run: its preset's, or a spare one when that is taken."""
    out: list[str] = []
    spare = iter([c for c in SPARE_COLORS if c not in PRESET_COLORS.values()] + list(SPARE_COLORS))
    for p in presets:
        c = PRESET_COLORS.get(p, PRESET_COLORS[""])
        while c in out:
            c = next(spare, "#000000")
        out.append(c)
    return out


def rgba(color: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r,g,b,alpha)``."""
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
