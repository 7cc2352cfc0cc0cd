"""A public class server no visitor can break: no uploads, bounded websocket messages, security
headers (docs/HOSTING.md, "Limits and security headers").

One live `streamlit run app.py` (with the repository's .streamlit/config.toml) on a free port,
and in front of it Debian's nginx with deploy/nginx.conf.template as `deploy/run_two.sh config`
renders it: once with the default frame-ancestors, once with a course site allowed through
ESL_FRAME_ANCESTORS. scripts/test.sh installs nginx (and Chromium) when missing.

Uploads go where the browser would send them, /_stcore/upload_file/<session id>/<file id>, for
a real session (opened over the websocket, with its XSRF cookie and header): Streamlit checks
the XSRF token and the session before the size, so its 413 means the size limit refused it.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import shutil
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import streamlit
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from loadtest import live

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
FIVE_MB = os.urandom(5_000_000)
COURSE = "'self' https://course.example.edu"
# The one inline script of Streamlit's index.html, allowed by its hash (not 'unsafe-inline').
_INLINE = re.search(r"<script>(.*?)</script>",
                    (Path(streamlit.__file__).parent / "static" / "index.html").read_text(),
                    re.S)  # fmt: skip
assert _INLINE is not None
INLINE_HASH = (
    "sha256-" + base64.b64encode(hashlib.sha256(_INLINE.group(1).encode()).digest()).decode()
)
CSP = (
    "default-src 'self'; "
    f"script-src 'self' '{INLINE_HASH}' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors {ancestors}"
)
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options",
                    "referrer-policy")  # fmt: skip


# -- processes ----------------------------------------------------------------------------------
def wait_healthy(url: str, what: str, log: Path) -> None:
    try:
        live.wait_healthy(url, 90, log=log)
    except live.NotHealthy:
        pytest.fail(f"{what} did not become healthy: see {log}")


@pytest.fixture(scope="module")
def app():
    """`streamlit run app.py` as deployed (file watcher off); yields (url, pid)."""
    log = ARTIFACTS / "streamlit-hosting-security.log"
    try:
        with live.serving("app.py", log=log) as (proc, url):
            yield url, proc.pid
    except live.NotHealthy:
        pytest.fail(f"streamlit did not become healthy: see {log}")


def start_nginx(app_url: str, run_dir: Path, frame_ancestors: str | None):
    """Render the template with deploy/run_two.sh (as a host would) and run nginx on it."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: scripts/test.sh installs Debian's nginx")
    port = live.free_port()
    env = dict(os.environ, ESL_RUN_DIR=str(run_dir), ESL_PORT=str(port),
               ESL_APP_PORTS=str(urlsplit(app_url).port))  # fmt: skip
    env.pop("ESL_FRAME_ANCESTORS", None)
    if frame_ancestors is not None:
        env["ESL_FRAME_ANCESTORS"] = frame_ancestors
    subprocess.run(["bash", "deploy/run_two.sh", "config"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    conf = run_dir / "nginx.conf"
    proc = subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(conf), "-e",
                             str(run_dir / "error.log"), "-g", "daemon off;"])  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, "nginx", run_dir / "error.log")
    return proc, url


@pytest.fixture(scope="module")
def proxy(app, tmp_path_factory):
    proc, url = start_nginx(app[0], tmp_path_factory.mktemp("nginx"), None)
    yield url
    live.stop(proc)


@pytest.fixture(scope="module")
def course_proxy(app, tmp_path_factory):
    proc, url = start_nginx(app[0], tmp_path_factory.mktemp("nginx-course"), COURSE)
    yield url
    live.stop(proc)


# -- a real session -----------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def get(url: str, cookies: dict[str, str] | None = None):
    """(status, headers) of a GET; cookies it sets go into ``cookies``."""
    req = urllib.request.Request(url, headers=cookie_header(cookies or {}))
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            status, headers = r.status, r.headers
    except urllib.error.HTTPError as e:
        status, headers = e.code, e.headers
    if cookies is not None:
        for c in headers.get_all("Set-Cookie") or []:
            name, _, value = c.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
    return status, headers


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


class Session:
    """One Streamlit session over the websocket, as the browser opens it (``with Session(url)``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cookies: dict[str, str] = {}
        get(url + "/", self.cookies)  # the page: nginx's route cookie
        get(url + "/_stcore/health", self.cookies)  # Streamlit's XSRF cookie
        self.xsrf = self.cookies["_streamlit_xsrf"]
        self.id = ""

    def __enter__(self) -> Session:
        self.ws: ClientConnection = connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit", self.xsrf], additional_headers=cookie_header(self.cookies),
            max_size=None, open_timeout=30,
        ).__enter__()  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        self.ws.close()

    def rerun(self, page: str, query: str = "") -> BackMsg:
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = query
        msg.rerun_script.context_info.url = f"{self.url}/{page}?{query}"
        return msg

    def run(self, msg: BackMsg, timeout: float = 120) -> list[tuple[int, str]]:
        """Send one rerun; (size, element type) of every message until it finishes."""
        self.ws.send(msg.SerializeToString())
        got: list[tuple[int, str]] = []
        deadline = time.time() + timeout
        while True:
            raw = self.ws.recv(timeout=max(0.1, deadline - time.time()))
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.id = fm.new_session.initialize.session_id or self.id
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                got.append((len(raw), fm.delta.new_element.WhichOneof("type") or ""))
            elif kind == "script_finished":  # a page that reruns itself finishes early first
                status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
                assert status in ("FINISHED_SUCCESSFULLY", "FINISHED_EARLY_FOR_RERUN"), status
                if status == "FINISHED_SUCCESSFULLY":
                    return got


def put(url: str, session_id: str, xsrf: str, data: bytes, chunked: bool,
        cookies: dict[str, str]) -> int:  # fmt: skip
    """PUT one file as st.file_uploader sends it; the response's status."""
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "X-Xsrftoken": xsrf, **cookie_header(cookies)}  # fmt: skip
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60)
    path = f"/_stcore/upload_file/{session_id}/{uuid.uuid4()}"
    try:
        if chunked:  # no Content-Length: the server has to count what arrives
            chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
            conn.request("PUT", path, body=chunks, headers=headers, encode_chunked=True)
        else:
            conn.request("PUT", path, body=body, headers=headers)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before the body was read: the answer is still there to read
    try:
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def refuse_uploads(url: str, pid: int, tries: list[tuple[bytes, bool, int]]) -> None:
    """Each (data, chunked, expected status) from a real session; the server's RSS stays (measured
    after the first try once more, which pays one-time costs such as imports)."""
    with Session(url) as s:
        s.run(s.rerun("home"))
        assert s.id
        first = put(url, s.id, s.xsrf, *tries[0][:2], s.cookies)  # one-time costs (imports)
        before = rss_mb(pid)
        got = [put(url, s.id, s.xsrf, data, chunked, s.cookies) for data, chunked, _ in tries]
        after = rss_mb(pid)
    assert first == tries[0][2]
    print(f"{url}: statuses {got}, server RSS {before:.1f} -> {after:.1f} MB")
    assert got == [want for *_, want in tries]
    assert after - before < 3, f"RSS {before:.1f} -> {after:.1f} MB"


# -- uploads ------------------------------------------------------------------------------------
def test_streamlit_itself_refuses_uploads_and_keeps_no_memory(app):
    """Direct to Streamlit (Community Cloud, Docker without nginx): server.maxUploadSize = 0."""
    url, pid = app
    with Session(url) as s:
        s.run(s.rerun("home"))
        # the route is live for a real session and token: a bogus session is a 400, not a 413
        assert put(url, "no-such-session", s.xsrf, b"x", False, s.cookies) == 400
    refuse_uploads(
        url, pid, [(FIVE_MB, True, 413)] + [(FIVE_MB, False, 413)] * 6 + [(b"", False, 413)]
    )


def test_nginx_refuses_the_upload_route(app, proxy):
    """Through nginx: 413 for any body over client_max_body_size, 403 for the route itself."""
    _, pid = app
    refuse_uploads(proxy, pid, [(FIVE_MB, False, 413)] * 5
                   + [(b"tiny", False, 403), (FIVE_MB, True, 403)])  # fmt: skip


# -- websocket messages -------------------------------------------------------------------------
def playground_query(formula: str, steps: int) -> str:
    opts = ["adam", "rmsprop", "nadam", "momentum", "radam", "adagrad"]  # six: the most
    return urlencode([("surface", "custom"), ("f", formula), ("view", "-3,3,-3,3")]
                     + [("opt", f"{o},lr:0.001,beta1:0.85") for o in opts]
                     + [("steps", str(steps))], safe=",:")  # fmt: skip


def test_the_largest_legitimate_messages_fit_and_a_big_frame_closes_the_socket(app):
    """server.maxWidgetStateSize (browser -> server) and server.maxMessageSize (server ->
    browser): the biggest rerun the app sends (a 300-character formula, six optimizers) and
    the biggest chart (six runs on a surface whose picture hardly compresses) pass; a frame
    of 1.5 times the limit closes the websocket with 1009 (Message Too Big)."""
    url, _ = app
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    inbound, outbound = server["maxWidgetStateSize"] * 1e6, server["maxMessageSize"] * 1e6
    formula = "exp(10*sin(12345*x*y))"
    k = 1
    while len(formula) < 270:
        formula += f" + 0.001*sin({k}*x + {k + 1}*y)"
        k += 1
    with Session(url) as s:
        longest = s.rerun("playground", playground_query(formula, 100_000))
        kinds = [k for _, k in s.run(longest)]  # the cost bound may refuse to run it: fine
        assert "exception" not in kinds
        # the picture of exp(10 sin(12345 x y)) is ~0.38 MB of PNG: the biggest chart measured
        got = s.run(s.rerun("playground", playground_query("exp(10*sin(12345*x*y))", 10_000)))
        assert "exception" not in [k for _, k in got], "a message over maxMessageSize"
        assert "bidi_component" in [k for _, k in got]  # the chart (lab.chart)
        biggest = max(size for size, _ in got)
        print(f"longest rerun {longest.ByteSize()} B ({len(formula)}-character formula); "
              f"largest message {biggest / 1e6:.2f} MB")  # fmt: skip
        assert longest.ByteSize() < inbound / 100
        assert biggest < 0.6 * outbound, "keep server.maxMessageSize well above the charts"
        huge = s.rerun("playground", "junk=" + "a" * int(1.5 * inbound))
        s.ws.send(huge.SerializeToString())
        code = None
        try:
            while True:
                s.ws.recv(timeout=10)
        except ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd is not None else None
        except TimeoutError:
            pass
        assert code == 1009, f"a frame of {huge.ByteSize() / 1e6:.1f} MB: closed with {code}"


# -- headers ------------------------------------------------------------------------------------
def static_asset(url: str) -> str:
    """The path of the frontend's main script, from the page."""
    with urllib.request.urlopen(url + "/", timeout=30) as r:
        page = r.read().decode()
    m = re.search(r'src="\./(static/js/index\.[^"]+\.js)"', page)
    assert m, "no main script in the page"
    return "/" + m.group(1)


def assert_security_headers(where: str, headers, ancestors: str, frame_options: str | None) -> None:
    for name in SECURITY_HEADERS:  # one of each: nginx hides any the app sends
        assert len(headers.get_all(name) or []) <= 1, (where, name, headers.get_all(name))
    assert headers["Content-Security-Policy"] == CSP.format(ancestors=ancestors), where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", where
    assert headers.get("X-Frame-Options") == frame_options, where


def test_security_headers_on_every_response(proxy):
    paths = ["/", "/playground?steps=100", "/_stcore/health", "/_stcore/host-config",
             static_asset(proxy), "/favicon.png", "/no/such/page.js"]  # fmt: skip
    for path in paths:
        status, headers = get(proxy + path)
        assert status in (200, 404), (path, status)
        assert_security_headers(path, headers, "'self'", "SAMEORIGIN")
    conn = http.client.HTTPConnection(urlsplit(proxy).netloc, timeout=30)
    conn.request("PUT", "/_stcore/upload_file/a/b", body=b"x" * 100_000)  # refused early: 413
    r = conn.getresponse()
    assert r.status == 413
    assert_security_headers("413 from nginx", r.headers, "'self'", "SAMEORIGIN")
    conn.close()
    # Streamlit's metrics (session counts, cache sizes) are not for the public
    status, headers = get(proxy + "/_stcore/metrics")
    assert status == 404
    assert_security_headers("metrics", headers, "'self'", "SAMEORIGIN")


def test_frame_ancestors_set_by_the_host_for_a_course_site(course_proxy):
    for path in ("/", "/_stcore/health"):
        _, headers = get(course_proxy + path)
        # X-Frame-Options cannot name a course site, so it is left out rather than contradict
        assert_security_headers(path, headers, COURSE, None)


def test_run_two_refuses_a_frame_ancestors_value_that_would_inject_directives(tmp_path):
    env = dict(os.environ, ESL_RUN_DIR=str(tmp_path), ESL_PORT="1",
               ESL_FRAME_ANCESTORS="'self'; script-src *")  # fmt: skip
    r = subprocess.run(["bash", "deploy/run_two.sh", "config"], cwd=ROOT, env=env, check=False,
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode != 0
    assert "ESL_FRAME_ANCESTORS" in r.stderr
    assert not (tmp_path / "nginx.conf").exists()


# -- a real browser with the CSP in force -------------------------------------------------------
WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    `${e.effectiveDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));"""
IMAGE = ".js-plotly-plot .imagelayer image"


@pytest.mark.browser
def test_pages_work_in_chromium_under_the_csp(proxy, browser):
    from test_browser import head_x, wait_for_race

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    ctx.add_init_script(WATCH)
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    violations: list[str] = []

    def check(where: str) -> None:
        violations.extend(f"{where}: {v}" for v in page.evaluate("window.__csp"))

    page.goto(proxy + "/playground?steps=500")
    wait_for_race(page)  # the surface picture (a data: PNG) and the animation frames
    start = head_x(page)
    page.get_by_text("▶ Play", exact=True).click()
    page.wait_for_function(f"() => document.querySelector('.js-plotly-plot')._esl.head(0)[0]"
                           f" !== {start}", timeout=20_000)  # fmt: skip
    page.locator(".js-plotly-plot").first.hover()  # Plotly's PNG export draws a blob: image
    with page.expect_download(timeout=15_000) as png:
        page.locator(".js-plotly-plot .modebar-btn[data-title*='PNG']").first.click()
    assert png.value.suggested_filename.endswith(".png")
    page.get_by_role("tab").filter(has_text="Download").click()
    with page.expect_download(timeout=15_000) as csv:
        page.locator("[data-testid='stDownloadButton'] button").first.click()
    assert Path(csv.value.path()).read_text().startswith("run,optimizer,t,")
    check("playground")

    page.goto(proxy + "/lecture?section=s3")
    wait_for_race(page)
    page.wait_for_selector(".katex", timeout=30_000)
    page.wait_for_function("document.fonts.check('16px KaTeX_Main')", timeout=20_000)
    check("lecture")

    page.goto(proxy + "/sweep")
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
    check("sweep")
    ARTIFACTS.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "screenshots" / "sweep-behind-nginx-csp.png")
    ctx.close()
    assert not violations, violations
    csp_console = [c for c in console if "Content Security Policy" in c or "pageerror" in c]
    assert not csp_console, csp_console
