"""Hostile text in Chromium: what Streamlit's real Markdown renderer makes of it.

- tests/literal_fixture.py on its own server: every payload of tests/hostile_text.py through
  ``md_literal``, and every message that can carry a user value (both languages, the nastiest
  value in every placeholder) — one page load: nothing but a paragraph comes out, and it reads
  exactly as typed;
- the app with the nastiest values in its links (Playground, Lecture), ordinary values and a
  typed formula beside them: no link or image to anywhere else, no styled payload, the values
  visible literally, no backslash to be seen.  Screenshots: artifacts/screenshots/literal-*.png
"""

from __future__ import annotations

import string
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode

import pytest
from hostile_text import EVIL, NASTY, ORDINARY, PAYLOADS, user_message_keys
from test_browser import SHOTS, no_exception

from lab import urlstate
from lab.i18n import LANGUAGES, msg, table, tm
from lab.plaintext import JOINER, md_unliteral, visible
from loadtest.live import NotHealthy, serving

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


def serve(script: str):
    try:
        with serving(script, log=ROOT / "artifacts" / f"streamlit-{Path(script).stem}.log") as (
            _,
            url,
        ):
            yield url
    except NotHealthy as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def app(server):
    return server


@pytest.fixture(scope="module")
def fixture_page():
    yield from serve("tests/literal_fixture.py")


def shown(text: str) -> str:
    """Text as a browser lays it out: word joiners gone, runs of white space one space."""
    return " ".join(text.replace(JOINER, "").split())


#: what the markdown of one container holds: its tags and its text
READ = """(selector) => [...document.querySelectorAll(selector)].map(c => {
    const md = [...c.querySelectorAll("[data-testid='stMarkdownContainer']")];
    return {key: [...c.classList].find(k => k.startsWith('st-key-')),
            tags: md.flatMap(m => [...m.querySelectorAll('*')].map(e => e.tagName)),
            strong: md.flatMap(m => [...m.querySelectorAll('strong')].map(e => e.innerText)),
            text: md.map(m => m.innerText).join('\\n')}; })"""

#: every link and image on the page that points somewhere else than the app itself
FOREIGN = """() => {
    const out = [];
    const foreign = (u) => { if (!u || u.startsWith('data:') || u.startsWith('blob:')) return false;
        try { return new URL(u, location.href).origin !== location.origin; } catch { return true; } };
    for (const a of document.querySelectorAll('a[href], area[href]'))
        if (foreign(a.getAttribute('href')) || /^\\s*javascript:/i.test(a.getAttribute('href')))
            out.push(a.outerHTML.slice(0, 200));
    for (const e of document.querySelectorAll('img, image, iframe, video, audio, source, embed, object')) {
        for (const attr of ['src', 'href', 'xlink:href', 'data', 'srcset'])
            if (foreign(e.getAttribute(attr))) out.push(e.outerHTML.slice(0, 200));
    }
    return out; }"""

#: what no alert may hold inside its text: markup that a value could have made
STYLED = ("A", "IMG", "STRONG", "EM", "B", "I", "CODE", "PRE", "H1", "H2", "H3", "H4", "H5",
          "H6", "BLOCKQUOTE", "TABLE", "DEL", "S", "HR", "SVG", "IFRAME", "SCRIPT", "STYLE",
          "MATH", "INPUT")  # fmt: skip


def test_every_payload_and_message_renders_as_plain_text(fixture_page, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(fixture_page)
    last = f"msg_zh_{user_message_keys(table('zh'))[-1].replace('.', '_')}"
    page.wait_for_selector(f".st-key-{last} [data-testid='stMarkdownContainer']", timeout=60_000)
    page.wait_for_timeout(500)  # KaTeX and emoji load on demand: give them the chance
    problems = []
    values = [*PAYLOADS, *ORDINARY]
    for c in page.evaluate(READ, "[class*='st-key-lit_']"):
        p = values[int(c["key"].removeprefix("st-key-lit_"))]
        if set(c["tags"]) != {"P"}:
            problems.append(f"{p!r} made {c['tags']}")
        if shown(c["text"]) != shown(visible(p)):
            problems.append(f"{p!r} reads {c['text']!r}")
    assert len(page.evaluate(READ, "[class*='st-key-lit_']")) == len(values)
    checked = 0
    for lang in LANGUAGES:
        for key in user_message_keys(table(lang)):
            sel = f".st-key-msg_{lang}_{key.replace('.', '_')}"
            (c,) = page.evaluate(READ, sel)
            fields = {f for _, f, _, _ in string.Formatter().parse(table(lang)[key]) if f}
            want = md_unliteral(tm(msg(key, **dict.fromkeys(fields, NASTY)), lang))
            allowed = {"P"}
            if key == "pg.diverged":  # its run's name is bold: **{label}**
                label = visible(NASTY)
                allowed, want = {"P", "STRONG"}, want.replace(f"**{label}**", label, 1)
                if [shown(s) for s in c["strong"]] != [shown(visible(NASTY))]:
                    problems.append(f"{key} ({lang}): bold {c['strong']!r}")
            if not set(c["tags"]) <= allowed:
                problems.append(f"{key} ({lang}) made {c['tags']}")
            if shown(c["text"]) != shown(want):
                problems.append(f"{key} ({lang}) reads {c['text']!r}, not {want!r}")
            checked += 1
    assert checked > 70
    page.screenshot(path=SHOTS / "literal-fixture.png", full_page=False)
    page.locator(".st-key-lit_20").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "literal-fixture-icons.png")
    assert not problems, "\n".join(problems[:20])
    assert not page.evaluate(FOREIGN)
    assert (
        page.locator(".katex, [role='img'], .stMarkdownColoredText, .stMarkdownBadge").count() == 0
    )
    assert not errors, errors
    page.close()


#: the app's links with the nastiest values, one load each (a fresh page reads its link, the
#: language too); the Playground's also holds ordinary values, which must read as typed.  (The
#: Sweep page lists its warnings as the Playground does: AppTest, tests/test_plaintext.py.)
LINKS = {
    "playground": {f"[Log in to continue]({EVIL})": "1", "> quote - [x] task": "1",
                   "surface": "custom", "f": "x**2 + 10*sin(y)",
                   "opt": [":material/warning: :red[x] :smile:",
                           f"www.evil.example {EVIL} phish@evil.example",
                           ":streamlit: -> <- 1. ordered",
                           "adam,**bold** <img src=x onerror=alert(1)>:1", "adam,lr:0.05,zz:1"],
                   "steps": "0.05", "lang": f"![p]({EVIL}/p.png)"},
    "lecture": {"section": f'<a href="{EVIL}">x</a>', "m": "$$x$$ ~~s~~ | a |",
                f"[x]: {EVIL}": "1", "lang": "x\n\n# Injected heading"},
}  # fmt: skip
PARSE = {"playground": urlstate.parse, "lecture": urlstate.parse_lecture}


def link(path: str, query: dict) -> str:
    q = urlencode(query, doseq=True, quote_via=quote)
    assert {k: v if isinstance(v, list) else [v] for k, v in query.items()} == parse_qs(
        q, keep_blank_values=True
    )  # the server reads what the test parses
    return f"{path}?{q}"


def alerts(page) -> list[dict]:
    return page.evaluate(READ, "[data-testid='stAlert']")


@pytest.mark.parametrize("name", list(LINKS))
def test_a_hostile_link_shows_its_values_as_plain_text(app, browser, name):
    query = LINKS[name]
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app + link(f"/{name}", query))
    page.wait_for_selector("[data-testid='stAlert'] [data-testid='stMarkdownContainer']",
                           timeout=60_000)  # fmt: skip
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
    page.wait_for_timeout(800)
    no_exception(page)
    settings = {k: v for k, v in query.items() if k != "lang" or name == "lecture"}
    warnings = PARSE[name](settings)[1]
    if "lang" in query:
        warnings.append(msg("url.unknown_lang", name=query["lang"][:40]))
    text = shown(" ".join(a["text"] for a in alerts(page)))
    missing = [md_unliteral(tm(w)) for w in warnings if shown(md_unliteral(tm(w))) not in text]
    assert not missing, (missing, text)
    styled = [(a["text"][:80], t) for a in alerts(page) for t in a["tags"] if t in STYLED]
    assert not styled
    assert "\\" not in text  # no escape to be seen
    assert not page.evaluate(FOREIGN)
    if name == "playground":
        ordinary_values_read_as_typed(page, text)
    page.screenshot(path=SHOTS / f"literal-{name}.png")
    assert not errors, errors
    page.close()


def ordinary_values_read_as_typed(page, text: str) -> None:
    """The Playground's link above: what was typed reads as typed, with no backslash."""
    assert "optimizer 5: ignored unknown setting 'zz'" in text
    assert "steps = '0.05' is not a number of updates; using 500" in text
    sidebar = page.locator("[data-testid='stSidebar']")
    caption = sidebar.locator("[data-testid='stCaptionContainer']").filter(has_text="f(x, y) =")
    assert "Your own surface: f(x, y) = x**2 + 10*sin(y)." in shown(caption.first.inner_text())
    assert caption.first.locator("strong, em").count() == 0
    box = sidebar.get_by_role("textbox", name="f(x, y) =")
    box.fill("__import__('os')")
    box.press("Enter")
    alert = sidebar.locator("[data-testid='stAlert']").first
    alert.wait_for(timeout=30_000)
    err = shown(alert.inner_text())
    assert "'__import__' is not allowed at column 1" in err, err
    assert alert.locator("strong, em, code").count() == 0
    assert "\\" not in err
    no_exception(page)
