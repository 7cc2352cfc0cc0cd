"""A live app server on a free local port, for the tests, the benchmarks and the load tests.

One place that starts ``streamlit run`` (or the deploy launcher ``lab.serve``), waits until
``/_stcore/health`` answers 200, and stops it again:

    with serving("app.py", log=ROOT / "artifacts" / "x.log") as (proc, url):
        ...
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Debian's Chromium (scripts/test.sh installs it), and the flags it runs headless with here
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


class NotHealthy(RuntimeError):
    """The server did not answer its health check in time (its log says why)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, timeout: float = 90, proc: subprocess.Popen | None = None,
                 log: Path | None = None) -> None:  # fmt: skip
    """Until ``url``/_stcore/health answers 200; NotHealthy (naming the log) after ``timeout``
    seconds, or as soon as ``proc`` has exited."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    where = f": see {log}" if log else ""
    raise NotHealthy(f"{url} did not become healthy in {timeout:g} s{where}")


def start(script: str = "app.py", log: Path | None = None, env: Mapping[str, str] | None = None,
          extra: Sequence[str] = (), launcher: str = "streamlit", watch: bool = False,
          timeout: float = 90) -> tuple[subprocess.Popen[bytes], str]:  # fmt: skip
    """Start ``script`` on a free port and wait until it is healthy; (process, url).

    ``launcher``: "streamlit" (``streamlit run``) or "lab.serve" (the run scripts' and the
    image's: ``streamlit run`` with the warm-up thread).  ``watch``: keep Streamlit's file
    watcher (off by default, as deployed).  ``extra``: more ``--flag value`` arguments.
    The server's output goes to ``log`` (appended), or nowhere."""
    port = free_port()
    cmd = [sys.executable, "-m", launcher, *(["run"] if launcher == "streamlit" else []), script,
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           *([] if watch else ["--server.fileWatcherType", "none"]), *extra]  # fmt: skip
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})  # fmt: skip
    if log is not None:
        out.close()  # the child has its own copy
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout, proc, log)
    except BaseException:
        stop(proc)
        raise
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@contextlib.contextmanager
def serving(script: str = "app.py", **kwargs: Any) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``start`` as a context: the server is stopped on the way out, whatever happened."""
    proc, url = start(script, **kwargs)
    try:
        yield proc, url
    finally:
        stop(proc)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Playwright's sync API driving Debian's Chromium headless; the Browser."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: scripts/test.sh installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield b
        finally:
            b.close()
