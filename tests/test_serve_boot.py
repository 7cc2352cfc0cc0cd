"""lab.serve's page boot (issue 13, reload): every page tells Streamlit's frontend where the
server's root is (no probe of <page>/_stcore/health first), a chart page loads the chart's
module (and plotly.js) while the browser waits for the server, once, and the server runs
without Streamlit's file watcher unless told otherwise."""

from __future__ import annotations

import asyncio
import types
from pathlib import Path

import pytest
import streamlit

from lab import chart, serve
from lab.navigation import CHART_PAGES, PRELOAD_COOKIE, preloaded

INDEX = (Path(streamlit.__file__).parent / "static" / "index.html").read_bytes()
VERSION = chart.MODULE_URL.rpartition("v=")[2]
MODULE = f"_stcore/bidi-components/{chart.NAME}/{chart.MODULE_URL}"


def test_the_boot_script_comes_first_in_the_head_once():
    page = serve.with_boot(INDEX)
    tag = serve.boot_tag()
    assert page.count(tag) == 1
    head = page[: page.index(b"</head>")]
    assert tag in head and head.index(tag) < head.index(b"<script>")  # before Streamlit's
    assert head.index(tag) < head.index(b'<script type="module"')
    assert page.replace(tag + b"\n    ", b"") == INDEX  # nothing else changed
    assert serve.with_boot(page) == page  # not twice
    assert serve.with_boot(b"<html><head></head><body></body></html>") == (
        b"<html><head></head><body></body></html>"
    )  # (no script in the head: not Streamlit's page, left alone)


def test_a_chart_page_names_the_module_to_load_and_its_version():
    tag = serve.boot_tag(MODULE).decode()
    assert f'data-esl-preload="{MODULE}"' in tag
    assert f'data-esl-version="{VERSION}"' in tag
    assert tag.startswith(f'<script src="{serve.BOOT_URL}"')  # a same-origin file (CSP 'self')
    quoted = serve.boot_tag('x"><script>alert(1)</script>?v=1').decode()
    assert "<script>alert" not in quoted and "&quot;&gt;&lt;script&gt;" in quoted


def test_the_boot_script_sets_the_root_and_the_cookie_the_app_reads():
    js = serve.BOOT_JS.decode()
    assert "BACKEND_BASE_URL" in js and 'new URL("./", me.src)' in js
    assert f'"{PRELOAD_COOKIE}=' in js
    assert "data-esl-preload" in js and "data-esl-version" in js
    assert "eval(" not in js and "innerHTML" not in js


def _runtime(monkeypatch, registered: bool) -> None:
    from streamlit.runtime import Runtime

    registry = types.SimpleNamespace(get=lambda name: object() if registered else None)
    runtime = types.SimpleNamespace(bidi_component_registry=registry)
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(Runtime, "instance", classmethod(lambda cls: runtime))


@pytest.mark.parametrize("path", [".", "", "playground", "/lecture", "sweep", "basins"])
def test_chart_pages_get_the_module_once_the_server_serves_it(monkeypatch, path):
    _runtime(monkeypatch, registered=True)
    assert serve.chart_module(path) == MODULE
    _runtime(monkeypatch, registered=False)  # (before a page first ran: its files 404)
    assert serve.chart_module(path) is None


@pytest.mark.parametrize("path", ["classroom", "nowhere", "playground/x", "static/js"])
def test_other_pages_do_not(monkeypatch, path):
    _runtime(monkeypatch, registered=True)
    assert serve.chart_module(path) is None


def test_no_module_without_a_running_server():
    assert serve.chart_module("playground") is None


def test_the_app_reads_the_cookie_of_this_version_only():
    assert set(CHART_PAGES) >= {"", "lecture", "playground", "sweep"}
    assert preloaded({PRELOAD_COOKIE: VERSION})
    assert not preloaded({PRELOAD_COOKIE: "0123456789ab"})  # another version of chart.js
    assert not preloaded({PRELOAD_COOKIE: ""}) and not preloaded({})
    assert not preloaded()  # outside a session


def test_the_static_handler_sends_the_boot_script_and_the_page_with_it(monkeypatch):
    from streamlit.web.server.starlette import starlette_app

    original = starlette_app.create_streamlit_static_assets_routes
    try:
        assert serve.connect_at_once()
        assert serve.connect_at_once()  # (once: not wrapped twice)
        mount = starlette_app.create_streamlit_static_assets_routes(base_url=None)[0]
        static = mount.app

        def get(path: str, query: bytes = b""):
            where = "/" if path == "." else f"/{path}"  # (the root: its path is ".")
            scope = {"type": "http", "method": "GET", "path": where, "headers": [],
                     "query_string": query, "root_path": ""}  # fmt: skip
            return asyncio.run(static.get_response(path, scope))

        _runtime(monkeypatch, registered=True)
        page = get("playground")
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
        assert serve.boot_tag(MODULE) in page.body
        assert serve.boot_tag() in get("classroom").body
        _runtime(monkeypatch, registered=False)
        assert serve.boot_tag() in get(".").body  # the root's index.html
        boot = get(serve.BOOT_PATH, serve.BOOT_URL.partition("?")[2].encode())
        assert boot.body == serve.BOOT_JS and "javascript" in boot.headers["content-type"]
        assert boot.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert get(serve.BOOT_PATH).headers["Cache-Control"] == "no-cache"  # unversioned
        bundle = next((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("*.js"))
        asset = get(f"static/js/{bundle.name}")  # Streamlit's own files as before
        assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
        assert serve.BOOT_URL.encode() not in Path(asset.path).read_bytes()
    finally:
        starlette_app.create_streamlit_static_assets_routes = original


def test_the_server_runs_without_the_file_watcher_unless_told(monkeypatch):
    monkeypatch.delenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", raising=False)
    assert serve.with_defaults(["app.py"]) == ["app.py", "--server.fileWatcherType", "none"]
    given = ["app.py", "--server.fileWatcherType", "auto"]
    assert serve.with_defaults(given) == given
    assert serve.with_defaults(["app.py", "--server.fileWatcherType=poll"]) == [
        "app.py", "--server.fileWatcherType=poll"]  # fmt: skip
    monkeypatch.setenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "auto")
    assert serve.with_defaults(["app.py"]) == ["app.py"]


@pytest.mark.browser
def test_a_reload_connects_at_once_and_loads_plotly_once(browser):
    """Through lab.serve: the second visit's page (the chart's files served by then) loads the
    module before the session begins, the page's script does not send it again (one plotly.js
    script element), no request goes to <page>/_stcore/…, and the chart is drawn."""
    from loadtest import live

    with live.serving("app.py", launcher="lab.serve") as (_, url):
        ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = ctx.new_page()
        asked: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        for _ in range(2):
            asked.clear()
            page.goto(url + "/playground")
            page.wait_for_selector(".js-plotly-plot .imagelayer image", timeout=90_000)
        assert not [u for u in asked if "/playground/_stcore/" in u], asked
        assert page.evaluate("window.__streamlit && window.__streamlit.BACKEND_BASE_URL") == (
            url + "/"
        )
        assert page.evaluate("document.querySelectorAll('script[src*=plotly-basic]').length") == 1
        assert page.evaluate("performance.getEntriesByName('esl-module').length") == 1
        assert f"{PRELOAD_COOKIE}={VERSION}" in page.evaluate("document.cookie")
        page.goto(url + "/classroom")  # not a chart page: the cookie goes
        page.wait_for_selector("[data-testid=stSidebarNav]", timeout=90_000)
        assert PRELOAD_COOKIE not in page.evaluate("document.cookie")
        assert not errors, errors
        ctx.close()
