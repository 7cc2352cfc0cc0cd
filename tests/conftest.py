"""Shared fixtures.  ``postgres``: one throwaway PostgreSQL server for the whole session
(tests/pgcluster.py), started the first time a test asks for it and stopped at the end.  It is
never skipped: when PostgreSQL is missing the tests that need it fail (scripts/test.sh installs
it).  ``browser``: one headless Chromium (Debian's, through Playwright) per test module (Playwright's
sync API keeps an event loop running in the main thread, which tests using asyncio.run cannot
share, so it closes with its module); ``server``: one ``streamlit run app.py`` on a
free port for the whole session, its URL (both: loadtest/live.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

#: where browser tests put their screenshots (looked at by people, not compared)
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def postgres():
    from pgcluster import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def browser():
    from loadtest.live import chromium

    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        ctx = chromium()
        b = ctx.__enter__()
    except FileNotFoundError as e:
        pytest.fail(str(e))
    try:
        yield b
    finally:
        ctx.__exit__(None, None, None)


def served(script: str, log: str):
    """``script`` served on a free port for a fixture (yields its URL; its log in artifacts/)."""
    from loadtest.live import NotHealthy, serving

    try:
        with serving(script, log=SHOTS.parent / log) as (_, url):
            yield url
    except NotHealthy as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def server():
    yield from served("app.py", "streamlit-test.log")
