"""Opening a page in Streamlit's AppTest the way a link does: the app runs once, the link's
query is set, then the page runs (shared by the page tests)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str, query: dict, timeout: float = 180) -> AppTest:
    """``page`` (e.g. "pages/playground.py") opened with the link ``query``; no exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def playground(query: dict) -> AppTest:
    return open_page("pages/playground.py", query)


def qp(at: AppTest, key: str) -> str | None:
    """The link's first value for ``key`` (None: not in the link)."""
    v = at.query_params.get(key)
    return v[0] if isinstance(v, list) else v
