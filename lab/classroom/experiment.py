"""What a class experiment fixes, what a student may change, and what a sent run keeps.

Pure functions, no Streamlit: the page (``lab.classroom.ui``) runs the Playground's cached
engine call (``lab.compute.race``) for the student's preview and hands its ``Trajectories`` here.

- An experiment starts from a Playground view (``lab.urlstate.Settings``): its surface, start,
  number of updates and first optimizer.  ``UNLOCKABLE`` names what students may change:
  the optimizer (any preset), η, the schedule η^t, the hyperparameters (α, β₁, β₂, …).
- ``student_settings`` reads a student's link (``opt=…`` as on the Playground) and enforces the
  locks: a locked setting is the teacher's, whatever the link says (and the page says so).
- ``outcome`` asks the engine for the numbers the board ranks by (final loss, updates to the
  target, diverged at): one run with ``record=()``, the same numbers the Sweep page plots.
- ``track`` keeps the trajectory the board draws: ≤ ``PATH_POINTS`` points of the path (by
  shape) and θ at ``BOARD_FRAMES`` frame times shared by every submission of the experiment.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from optimizers import HYPERS, PRESETS, Optimizer, keep_shape, run

from .. import urlstate
from ..i18n import Msg, msg, t
from ..simulate import Trajectories
from ..sweep import lowest_minimum
from .codes import pseudonym_parts
from .store import Refused

UNLOCKABLE = ("optimizer", "lr", "schedule", "hypers")
METRICS = ("loss", "updates")
PATH_POINTS = 150
BOARD_FRAMES = 50
#: the keys of a Playground link that an experiment fixes (a student's link may not set them)
LOCKED_KEYS = ("surface", "sp", "f", "view", "steps", "x", "y", "logy")


def base_settings(query: Mapping[str, Any], lang: str = "en") -> urlstate.Settings:
    """The experiment's Playground view (stored as its URL query), with its first optimizer."""
    s, _ = urlstate.parse(dict(query))
    return replace(s, runs=s.runs[:1], lang=lang)


def experiment_query(s: urlstate.Settings) -> dict[str, Any]:
    """What an experiment stores of a Playground view: its link, one optimizer, no language."""
    q = dict(urlstate.to_query(replace(s, runs=s.runs[:1])))
    q.pop("lang", None)
    return q


def constrain(base: Optimizer, proposal: Optimizer, unlocked: Iterable[str]) -> Optimizer:
    """``proposal`` with every locked setting put back to ``base``'s."""
    free = set(unlocked)
    o = base
    if "optimizer" in free and proposal.preset and proposal.preset != base.preset:
        o = Optimizer(**{**PRESETS[proposal.preset].settings, "preset": proposal.preset})
    o = o.with_(lr=proposal.lr if "lr" in free else base.lr)
    o = o.with_(schedule=proposal.schedule if "schedule" in free else base.schedule)
    if "hypers" in free and (proposal.m, proposal.sigma) == (o.m, o.sigma):
        changes = {h: getattr(proposal, h) for h in o.hypers_used if h != "lr"}
        with contextlib.suppress(ValueError):
            o = o.with_(**changes)
    return o


def student_settings(
    query: Mapping[str, Any],
    params: Mapping[str, list[str]],
    unlocked: Iterable[str],
    lang: str = "en",
) -> tuple[urlstate.Settings, list[Msg]]:
    """The settings a student's link asks for, within the experiment; and what was not taken."""
    base = base_settings(query, lang)
    warnings: list[Msg] = []
    texts = [v for v in params.get("opt", []) if isinstance(v, str)]
    if not texts:
        return base, warnings
    if len(texts) > 1:
        warnings.append(msg("url.repeated", name="opt", count=len(texts)))
    proposal = urlstate.parse_opt(texts[0][: urlstate.MAX_VALUE_CHARS], 1, warnings)
    if proposal is None:
        return base, warnings
    o = constrain(base.runs[0], proposal, unlocked)
    if urlstate.opt_token(o) != urlstate.opt_token(proposal):
        warnings.append(msg("class.locked_warning"))
    return replace(base, runs=(o,)), warnings


def student_query(s: urlstate.Settings) -> dict[str, list[str]]:
    """The part of a student's settings that goes in their link (the rest is the room's)."""
    return {"opt": [urlstate.opt_token(s.runs[0])]}


def target_loss(s: urlstate.Settings, tol: float) -> float:
    """The loss a run must reach to count as arrived: the lowest known minimum plus ``tol``
    (0 + ``tol`` on a surface without minima), as on the Sweep page."""
    low = lowest_minimum(s.surface)
    return (low if low is not None else 0.0) + tol


@dataclass(frozen=True)
class Outcome:
    final_loss: float
    hit: int  # updates to reach the target (−1: not reached)
    diverged_at: int  # the update it diverged at (−1: it did not)


def outcome(s: urlstate.Settings, tol: float) -> Outcome:
    """The engine's numbers for the student's one run (no records: ~1 µs per update).
    Refused("no_start") when the loss is not defined at the start: there is nothing to send."""
    res = run(s.surface, list(s.runs[:1]), start=s.start_point, steps=s.steps, record=(),
              target=target_loss(s, tol))  # fmt: skip
    if not bool(res.started[0]):
        x, y = (f"{float(v):.4g}" for v in res.starts[0])
        raise Refused("no_start", x=x, y=y)
    div = int(res.diverged_at[0]) if bool(res.diverged[0]) else -1
    return Outcome(float(res.final_loss[0]), int(res.hit[0]), div)


def _sig(v: float, digits: int = 6) -> float:
    return float(f"{v:.{digits}g}")


def track(traj: Trajectories) -> dict[str, Any]:
    """The board's share of a run: ≤ PATH_POINTS points of its path (t and θ) and θ at the
    BOARD_FRAMES frame times (``frame_t``, the same for every run of the experiment)."""
    r = traj.runs[0]
    idx = keep_shape(r.path, PATH_POINTS)
    f_idx = np.unique(
        np.round(
            np.linspace(0, len(traj.frame_t) - 1, min(BOARD_FRAMES, len(traj.frame_t)))
        ).astype(int)
    )
    return {
        "t": [int(v) for v in r.path_t[idx].tolist()],
        "xy": [[_sig(x), _sig(y)] for x, y in r.path[idx].tolist()],
        "frame_t": [int(v) for v in traj.frame_t[f_idx].tolist()],
        "frames": [[_sig(x), _sig(y)] for x, y in r.frame_theta[f_idx].tolist()],
    }


# -- names -------------------------------------------------------------------------------------
def pseudonym_text(p: str, lang: str) -> str:
    """ "Swift Heron 12" (or "敏捷的苍鹭 12") from a stored pseudonym."""
    parts = pseudonym_parts(p)
    if parts is None:
        return "?"
    a, b, n = parts
    adjectives = t("class.adjectives", lang).split(",")
    animals = t("class.animals", lang).split(",")
    return t("class.pseudonym", lang, a=adjectives[a % len(adjectives)].strip(),
             b=animals[b % len(animals)].strip(), n=n)  # fmt: skip


def display_name(pseudonym: str, nickname: str, show_names: bool, lang: str) -> str:
    """What the board calls a student: their nickname when the teacher shows names and they
    gave one, else their pseudonym.  Plain text: escape it for where it is shown."""
    if show_names and nickname:
        return nickname
    return pseudonym_text(pseudonym, lang)


def optimizer_key(o: Optimizer) -> str:
    return o.preset or "custom"


def optimizer_name(key: str, lang: str) -> str:
    if key in PRESETS:
        return t(f"preset.{key}.label", lang)
    return t("ctl.custom", lang)


def hyper_label(h: str, lang: str) -> str:
    return f"{t(f'hyper.{h}', lang)} {HYPERS[h].symbol}"


# -- export ------------------------------------------------------------------------------------
def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ (or a tab / CR) would
    be read as a formula, so it gets a leading apostrophe."""
    s = str(value)
    if s[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + s
    return s


def csv_text(subs: Iterable[Any], show_names: bool, lang: str = "en") -> str:
    """The class's submissions: one row each (the settings as a Playground link's query)."""
    from urllib.parse import urlencode

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["name", "optimizer", "lr", "final_loss", "updates_to_target", "diverged_at",
                "revision", "sent_at_unix", "settings"])  # fmt: skip
    for s in subs:
        name = display_name(s.pseudonym, s.nickname, show_names, lang)
        q = urlencode([(k, v) for k, vs in s.settings.items()
                       for v in (vs if isinstance(vs, list) else [vs])])  # fmt: skip
        w.writerow([_cell(name), s.optimizer, f"{s.lr:.10g}", f"{s.final_loss:.17g}", s.hit,
                    s.diverged_at, s.revision, f"{s.sent_at:.3f}", _cell(q)])  # fmt: skip
    return out.getvalue()


def best(subs: Iterable[Any], metric: str, n: int = 10) -> list[Any]:
    """The best ``n`` runs: least final loss, or fewest updates to the target; diverged runs
    (and, for updates, runs that did not arrive) are not ranked; ties: earlier sent first."""
    ok = [s for s in subs if s.diverged_at < 0 and math.isfinite(s.final_loss)]
    if metric == "updates":
        ok = [s for s in ok if s.hit >= 0]
        return sorted(ok, key=lambda s: (s.hit, s.final_loss, s.sent_at))[:n]
    return sorted(ok, key=lambda s: (s.final_loss, s.sent_at))[:n]
