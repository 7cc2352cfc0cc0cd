"""``streamlit run``, with the engine compiled while the server starts.

    python -m lab.serve app.py [streamlit run options]     # what the run scripts and Docker use
    python -m lab.serve --warm-only                        # compile into numba's cache and exit

Streamlit runs app.py only when a browser connects, so without this the first visitor after a
(re)deploy waits for what the first chart needs that no earlier process left behind: importing
NumPy, Numba and Plotly, and — with an empty Numba cache (a new image, another CPU, a cleared
NUMBA_CACHE_DIR) — compiling the engine's update loop (optimizers/kernel.py) and the typed-formula
evaluator (surfaces/formula/_compiled.py), seconds on this machine.  Here a background thread of
the server process does it all as the server starts: it imports the modules, runs the engine
once on a built-in surface and once on a typed formula (numba compiles, or loads from its
on-disk cache, and the compiled code stays in this process), and draws the default race's
figures (the surface picture is cached).  Until it is done (at most ``READY_AFTER_S``), the
server's health check (/_stcore/health, which Streamlit's own page, run_two.sh, the image's
HEALTHCHECK and any load balancer ask) answers 503 "warming up": a deploy is ready when its
first chart is as fast as any.  A visitor who comes anyway waits only for the rest of it (numba
compiles a function once per process; a second caller waits for it).  bench/bench_page.py
measures the first chart of a fresh deploy against a warm one.

It also lets browsers keep plotly.js: Streamlit serves a component's files with
``Cache-Control: public`` and neither a max-age nor a validator, so a browser fetches the 1.2 MB
bundle again on every visit — from a server that is at that moment running the page's script
(measured on a reload: 0.2–0.4 s before it arrived, on the critical path of the first chart).
The bundle's name carries its version (lab/chart_assets/plotly-basic-<version>.min.js), and the
component's module is asked for with its content's hash (lab/chart.py, ``MODULE_URL``): those
are sent as immutable, everything else as Streamlit sends it.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from typing import Any

LOG = logging.getLogger("esl.warmup")
done = threading.Event()
#: the longest the health check says "warming up" (a warm-up that hangs does not keep it down)
READY_AFTER_S = 60.0
#: the versioned files of lab/chart_assets that a browser may keep (path after bidi-components/):
#: plotly.js (its version in its name) and, asked for with its version (``?v=``), chart.js
IMMUTABLE = re.compile(r"^esl\.chart/plotly-basic-[0-9][0-9.]*\.min\.js$")
VERSIONED = re.compile(r"^esl\.chart/chart\.js$")


def warm() -> float:
    """Import, compile and draw what the first chart needs; the seconds it took."""
    t0 = time.perf_counter()
    from optimizers import run
    from surfaces import custom_surface

    run("ellipse", ["adam"], steps=2)  # the update loop with a built-in surface's formula
    run(custom_surface("x**2 + y**2"), ["adam"], steps=2)  # … and with the formula evaluator
    from lab import urlstate
    from lab.figures import adaptive_figure, race_figure
    from lab.simulate import simulate

    s = urlstate.Settings()  # the default Playground: its surface picture is drawn and cached
    traj = simulate(s.surface, s.runs, s.start_point, s.steps)
    race_figure(traj, lang=s.lang)
    adaptive_figure(traj, lang=s.lang)
    import plotly.graph_objects  # noqa: F401

    import lab.chart  # noqa: F401  (and the page modules' other imports)

    return time.perf_counter() - t0


def _warm_in_background() -> None:
    try:
        LOG.warning("warm-up: %.1f s (engine compiled, default race drawn)", warm())
    except Exception:  # a failed warm-up costs the first visitor time, nothing else
        LOG.exception("warm-up failed")
    finally:
        done.set()


def start() -> threading.Thread:
    """Warm up in a daemon thread of this process."""
    th = threading.Thread(target=_warm_in_background, name="esl-warmup", daemon=True)
    th.start()
    return th


def _immutable(endpoint: Any) -> Any:
    async def send(request: Any) -> Any:
        response = await endpoint(request)
        path = request.path_params.get("path", "")
        if response.status_code == 200 and (
            IMMUTABLE.match(path) or (VERSIONED.match(path) and request.query_params.get("v"))
        ):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    return send


def _ready_when_warm(endpoint: Any, started: float) -> Any:
    async def health(request: Any) -> Any:
        if not done.is_set() and time.monotonic() - started < READY_AFTER_S:
            from starlette.responses import PlainTextResponse

            return PlainTextResponse("warming up", status_code=503,
                                     headers={"Cache-Control": "no-cache"})  # fmt: skip
        return await endpoint(request)

    return health


def health_waits_for_warm_up() -> bool:
    """Make /_stcore/health answer 503 until the warm-up is done (see the module's docstring);
    False, and nothing changed, if this Streamlit has no such route."""
    try:
        from starlette.routing import Route
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        return False
    make = getattr(starlette_app, "create_health_routes", None)
    if make is None or getattr(make, "esl_warm", False):
        return make is not None
    started = time.monotonic()

    def routes(*args: Any, **kwargs: Any) -> list[Any]:
        out = []
        for r in make(*args, **kwargs):
            get = isinstance(r, Route) and "GET" in (r.methods or ())
            out.append(Route(r.path, _ready_when_warm(r.endpoint, started),
                             methods=sorted(r.methods or ())) if get else r)  # fmt: skip
        return out

    routes.esl_warm = True  # type: ignore[attr-defined]
    starlette_app.create_health_routes = routes
    return True


def cache_versioned_assets() -> bool:
    """Make Streamlit's component-file route send the versioned plotly.js as immutable (see the
    module's docstring); False, and nothing changed, if this Streamlit has no such route."""
    try:
        from starlette.routing import Route
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        return False
    make = getattr(starlette_app, "create_bidi_component_routes", None)
    if make is None or getattr(make, "esl_cached", False):
        return make is not None

    def routes(*args: Any, **kwargs: Any) -> list[Any]:
        out = []
        for r in make(*args, **kwargs):
            get = isinstance(r, Route) and "GET" in (r.methods or ())
            out.append(Route(r.path, _immutable(r.endpoint), methods=sorted(r.methods or ()))
                       if get else r)  # fmt: skip
        return out

    routes.esl_cached = True  # type: ignore[attr-defined]
    starlette_app.create_bidi_component_routes = routes
    return True


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
    if args[:1] == ["--warm-only"]:
        print(f"warm-up: {warm():.1f} s")
        return
    start()
    if not health_waits_for_warm_up():
        LOG.warning("the health check does not wait for the warm-up (Streamlit's routes differ)")
    if not cache_versioned_assets():
        LOG.warning("plotly.js is sent without a max-age (this Streamlit's routes differ)")
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *args]
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
