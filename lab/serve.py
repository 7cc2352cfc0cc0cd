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

And it lets a page's first chart come sooner on every visit (issue 13, reload; measured with
bench/trace_reload.py).  Streamlit's frontend does not know where the server's root is: opened
at /playground it first asks /playground/_stcore/health and …/host-config (404), waits 100 ms,
and only then asks the root: the websocket opened ~0.2 s later than on "/".  Here index.html
loads ``BOOT_JS`` first, a constant same-origin script (the CSP's script-src 'self') that tells
the frontend the root (``window.__streamlit.BACKEND_BASE_URL``: the folder its ``./static/``
files are in).  On a page drawn with lab.chart, once the server serves the chart's files, the
same script loads the chart's module (which loads plotly.js) when the browser is first idle,
while it waits for the server: the page's own preload (lab.chart.preload, an ``st.html``
element) ran its scripts only as the page's script ended, after the chart's element had come;
a cookie tells app.py not to send that preload too (plotly.js would be evaluated twice).  And
the server runs without Streamlit's file watcher unless told otherwise, as the image and
deploy/run_two.sh run it: the watcher goes over every module the process imported (NumPy,
Numba, Plotly…) for each new session and after its runs — on a reload ~0.2 s before the
session's script started and ~0.3 s more before the first chart.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
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
IMMUTABLE = re.compile(r"^esl\.chart/plotly-(basic|gl3d)-[0-9][0-9.]*\.min\.js$")
VERSIONED = re.compile(r"^esl\.chart/chart\.js$")
#: the script every page loads before Streamlit's (``with_boot``): where the server is, and on
#: a page drawn with lab.chart (``data-esl-preload``: the chart's module, once the server has
#: it) plotly.js and the module, loaded while the browser waits for the server; a cookie tells
#: the page's script that it need not load them again (app.py: lab.chart.preload)
BOOT_JS = b"""// Error Surface Lab (lab/serve.py): the server's root is the folder of this script,
// so Streamlit's frontend connects there at once instead of first trying the page's path;
// and on a page drawn with lab.chart, its module (which loads plotly.js) while it waits.
// (The cookie: lab/navigation.py, PRELOAD_COOKIE.)
(function () {
  var me = document.currentScript;
  var root = new URL("./", me.src);
  window.__streamlit = Object.assign({}, window.__streamlit, {BACKEND_BASE_URL: root.href});
  var module = me.getAttribute("data-esl-preload");
  var cookie = "esl_preload=" + (module ? me.getAttribute("data-esl-version") : "") +
    "; path=" + root.pathname + "; SameSite=Strict" + (module ? "" : "; max-age=0");
  document.cookie = cookie;
  if (!module) return;
  var load = function () {
    var s = document.createElement("script"); // the chart's module loads plotly.js
    s.type = "module";
    s.src = new URL(module, root).href;
    document.head.appendChild(s);
  };
  if (window.requestIdleCallback) requestIdleCallback(load, {timeout: 200});
  else setTimeout(load, 50);
})();
"""
BOOT_PATH = "esl-boot.js"  # beside index.html and ./static/, asked for with its version
BOOT_URL = f"./{BOOT_PATH}?v={hashlib.sha256(BOOT_JS).hexdigest()[:12]}"


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


def boot_tag(preload: str | None = None) -> bytes:
    """The page's first script: ``BOOT_JS``, with the chart's module to load (its path from
    the server's root, with its version) when ``preload``."""
    extra = ""
    if preload:
        version = html.escape(preload.rpartition("v=")[2])
        extra = f' data-esl-preload="{html.escape(preload)}" data-esl-version="{version}"'
    return f'<script src="{BOOT_URL}"{extra}></script>'.encode()


def with_boot(page: bytes, preload: str | None = None) -> bytes:
    """Streamlit's index.html with ``boot_tag(preload)`` before its first script (its own are
    modules, which run after the page is parsed; its one classic script, inline, only sets a
    flag); unchanged if it has no script in its head."""
    at = page.find(b"<script")
    if at < 0 or at > page.find(b"</head>") or BOOT_URL.encode() in page:
        return page
    return page[:at] + boot_tag(preload) + b"\n    " + page[at:]


def chart_module(page_path: str) -> str | None:
    """The chart's module (lab.chart.MODULE_URL, from the server's root) if ``page_path`` (the
    page's path after the server's base path) is a page drawn with lab.chart and this server
    has registered the component (its files are served from the first run of a page on)."""
    from lab.navigation import CHART_PAGES

    page = page_path.replace("\\", "/").strip("/")
    if (page if page != "." else "") not in CHART_PAGES:
        return None
    try:
        from streamlit.runtime import Runtime

        from lab.chart import MODULE_URL, NAME

        if not Runtime.exists() or Runtime.instance().bidi_component_registry.get(NAME) is None:
            return None
    except Exception:  # another Streamlit: the page's own preload (lab.chart.preload) does it
        return None
    return f"_stcore/bidi-components/{NAME}/{MODULE_URL}"


def _booting(static: Any) -> None:
    """Make Streamlit's static-file handler (its mount at the root) send index.html with
    ``boot_tag`` (naming the chart's module on a chart page), and ``BOOT_JS`` at
    ``BOOT_PATH``."""
    from starlette.responses import FileResponse, Response

    get_response = static.get_response
    index = os.path.realpath(getattr(static, "_index_path", "") or "/nonexistent/index.html")

    async def send(path: str, scope: Any) -> Any:
        if path.replace("\\", "/").strip("/") == BOOT_PATH and scope.get("method") != "POST":
            versioned = b"v=" in scope.get("query_string", b"")
            keep = "public, max-age=31536000, immutable" if versioned else "no-cache"
            return Response(BOOT_JS, media_type="text/javascript", headers={"Cache-Control": keep})
        response = await get_response(path, scope)
        if isinstance(response, FileResponse) and os.path.realpath(response.path) == index:
            with open(index, "rb") as f:
                page = with_boot(f.read(), chart_module(path))
            keep = response.headers.get("Cache-Control", "no-cache")
            return Response(page, response.status_code, media_type="text/html",
                            headers={"Cache-Control": keep})  # fmt: skip
        return response

    static.get_response = send


def connect_at_once() -> bool:
    """Make every page load ``BOOT_JS`` (see the module's docstring); False, and nothing
    changed, if this Streamlit has no such route."""
    try:
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        return False
    make = getattr(starlette_app, "create_streamlit_static_assets_routes", None)
    if make is None or getattr(make, "esl_boot", False):
        return make is not None

    def routes(*args: Any, **kwargs: Any) -> list[Any]:
        out = make(*args, **kwargs)
        for r in out:
            if hasattr(getattr(r, "app", None), "get_response"):
                _booting(r.app)
        return out

    routes.esl_boot = True  # type: ignore[attr-defined]
    starlette_app.create_streamlit_static_assets_routes = routes
    return True


#: Streamlit's options lab.serve sets unless told otherwise (as the image and run_two.sh run it)
DEFAULTS = {"server.fileWatcherType": "none"}


def with_defaults(args: list[str]) -> list[str]:
    """``streamlit run``'s arguments with ``DEFAULTS`` for the options neither they nor the
    environment (``STREAMLIT_SERVER_FILE_WATCHER_TYPE``…) set."""
    out = list(args)
    for option, value in DEFAULTS.items():
        env = "STREAMLIT_" + re.sub(r"([a-z])([A-Z])", r"\1_\2", option).replace(".", "_").upper()
        given = any(a == f"--{option}" or a.startswith(f"--{option}=") for a in args)
        if not given and env not in os.environ:
            out += [f"--{option}", value]
    return out


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
    if not connect_at_once():
        LOG.warning("pages probe their own path before connecting (Streamlit's routes differ)")
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", "run", *with_defaults(args)]
    streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    main()
