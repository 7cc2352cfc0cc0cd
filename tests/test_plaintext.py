"""Whatever a visitor typed or put in a link is shown as plain text (lab/plaintext.py).

- the helper: for every hostile payload (tests/hostile_text.py), ``md_literal`` leaves no
  Markdown-significant character unescaped and breaks every construct Streamlit finds in the
  parsed text (links, icons, emoji, typography), and the reader sees exactly what was typed;
- the string tables: no message that carries a user value has Markdown of its own around it;
- the code: no page formats a value into Markdown with ``t()`` (only ``tm(msg(…))``, which
  escapes), except the reviewed calls with trusted values;
- parse → render: every payload in every field of every page's link (and the formula box),
  in both languages: each warning holds the value only escaped;
- the pages in AppTest: what they show is exactly those escaped messages.

The real rendering in Chromium: tests/test_browser_literal.py.
"""

from __future__ import annotations

import ast
import html
import re
import string
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hostile_text import ORDINARY, PAYLOADS, dangers, user_message_keys
from streamlit.testing.v1 import AppTest

from lab import urlstate
from lab.i18n import LANGUAGES, Msg, msg, table, tm
from lab.plaintext import JOINER, MD_SPECIAL, md_literal, md_unliteral, plotly_literal, visible
from surfaces.formula import FormulaError, custom_surface

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
ASCII_PUNCT = set(string.punctuation)


def unescaped(markdown: str) -> Counter:
    """The Markdown-significant characters of ``markdown`` that carry no backslash."""
    out: Counter = Counter()
    i = 0
    while i < len(markdown):
        c = markdown[i]
        if c == "\\" and i + 1 < len(markdown) and markdown[i + 1] in ASCII_PUNCT:
            i += 2
            continue
        if c in MD_SPECIAL:
            out[c] += 1
        i += 1
    return out


def parsed_text(markdown: str) -> str:
    """The text Markdown leaves after its backslash escapes (where GFM looks for bare links,
    and Streamlit for icons, emoji and arrows)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


# -- the helper ------------------------------------------------------------------------------
def test_corpus_is_large_and_varied():
    assert len(PAYLOADS) >= 40 and len(set(PAYLOADS)) == len(PAYLOADS)
    joined = "".join(PAYLOADS)
    for needle in ("](http", "![", "<a ", "<img", "<script", ":material/", ":red[", ":smile:",
                   "$\\href", "$$", "**", "# ", "> ", "`", "]: http", "&#", "\u200b", "\u202e",
                   "\n", "\x00", "损失"):  # fmt: skip
        assert needle in joined, needle
    assert any(len(p) > urlstate.MAX_VALUE_CHARS for p in PAYLOADS)


@pytest.mark.parametrize("text", PAYLOADS + ORDINARY)
def test_md_literal_escapes_every_markdown_character_and_reads_as_typed(text):
    md = md_literal(text)
    assert not unescaped(md), (text, md)
    assert not dangers(md), (text, md)
    assert md_unliteral(md) == visible(text)
    # no line breaks, no control, no invisible character but the word joiner
    assert all(c == JOINER or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")
               for c in md), md  # fmt: skip
    assert not md[:1].isspace() and not md[-1:].isspace()
    assert md[:1].isascii() or md[0] == JOINER  # an alert would take a leading emoji for its icon
    # what Streamlit and GFM match in the parsed text is broken by the word joiner
    text_node = parsed_text(md)
    for construct in (r"https?://", r"www\.", r":[\w+-]", r"@[-\w]", r":material/",
                      r"->", r"<-", r"--", r">=", r"<=", r"~="):  # fmt: skip
        assert not re.search(construct, text_node, re.I), (construct, text_node)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_values_read_exactly_as_typed(text):
    assert visible(text) == text
    assert md_unliteral(md_literal(text)) == text
    assert plotly_literal(text) == text.replace("&", "&amp;")


def test_invisible_characters_are_named_not_dropped():
    assert visible("a\nb") == "a⟨U+000A⟩b"
    assert visible("\u202egnp.exe") == "⟨U+202E⟩gnp.exe"
    assert visible("x\u200by") == "x⟨U+200B⟩y"
    assert visible("损失 🙂 café") == "损失 🙂 café"


@pytest.mark.parametrize("text", PAYLOADS + ORDINARY)
def test_plotly_literal_leaves_no_html_and_no_template(text):
    s = plotly_literal(text)
    assert "<" not in s and ">" not in s and "%{" not in s and "%" not in s
    assert not re.search(r"&(?!amp;|lt;|gt;|#37;)", s)
    assert html.unescape(s) == visible(text)


LABEL = "<a href='https://evil.example'>x</a> <img src=x> %{x} &amp; <b>b</b>"


def test_a_label_reaches_plotly_only_as_text():
    """Run names come from the string tables, but whatever reaches a figure is escaped for
    Plotly's HTML subset and its %{…} templates (legend, hover, markers)."""
    from lab.figures import adaptive_figure, race_figure
    from lab.simulate import simulate
    from lab.sweep import sweep, sweep_figure
    from optimizers import preset
    from surfaces import get_surface

    surface, runs = get_surface("ellipse"), (preset("adam", lr=0.05), preset("gd", lr=0.5))
    traj = simulate(surface, runs, (-1.6, 1.2), 20, labels=(LABEL, LABEL + " 2"))
    res = sweep(surface, runs, steps=20)
    figures = [race_figure(traj), adaptive_figure(traj), sweep_figure(res, labels=(LABEL, "y"))]
    texts = [str(tr.get(k, "")) for fig in figures for tr in fig["data"]
             for k in ("name", "hovertemplate", "text")]  # fmt: skip
    shown = [x for x in texts if plotly_literal(LABEL) in x]
    assert len(shown) > 10
    for x in texts:
        assert "<a " not in x and "<img" not in x and "<b>" not in x and "%{x} &" not in x, x


# -- the string tables -------------------------------------------------------------------------
def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_messages_with_user_values_have_no_markdown_of_their_own(lang):
    """A message that carries a user value shows its own words literally too (a '*' in
    "write 2*x" paired with another made italics), and no placeholder sits inside LaTeX,
    code or a link, or where a ':' of its own could open a shortcode that the value closes."""
    tab = table(lang)
    keys = user_message_keys(tab)
    assert len(keys) > 35
    for key in keys:
        template = tab[key]
        skeleton = template.format(**dict.fromkeys(fields(template), ""))
        allowed = Counter({"*": 4}) if key == "pg.diverged" else Counter()  # **{label}**
        marks = unescaped(skeleton) - allowed
        assert not set(marks) & set("*_`$[]~|#!"), (key, template)  # (x0 < x1 is no tag)
        assert not re.match(r"\s*(?:[-+>#|]|\d+[.)])", skeleton), (key, template)  # a block
        assert not [d for d in dangers(skeleton) if d != "**" or key != "pg.diverged"], key
        for m in re.finditer(r"\{(\w+)\}", template):
            before, after = template[: m.start()], template[m.end() :]
            assert before.count("$") % 2 == 0 and before.count("`") % 2 == 0, (key, m[0])
            assert not before.endswith(("](", "\\", "@", "<", "www")), (key, m[0])
            assert not re.search(r":[\w+-]*$", before), (key, m[0])  # a shortcode into the value
            assert not after.startswith("]("), (key, m[0])


def test_nested_messages_are_trusted_words_and_values_are_escaped():
    w = msg("url.bad_formula", detail=msg("formula.unknown_name", name="**os**", col=1))
    out = tm(w, "en")
    assert "'\\*\\*os\\*\\*'" in out and "the formula in the link was refused" in out
    assert tm(msg("url.unknown_key", name="a_b"), "zh") == "忽略了未知设置“a\\_b”"


# -- the code: no user value is formatted into Markdown without the helper ----------------------
DISPLAY = {"warning", "error", "info", "success", "caption", "markdown", "write", "toast",
           "exception", "title", "header", "subheader", "spinner", "text", "expander",
           "page_link", "button", "download_button", "tabs", "metric", "status", "popover",
           "dialog"}  # fmt: skip
#: t() calls with values that are neither plainly numbers nor escaped/translated text,
#: reviewed: every value trusted (names from the code, room codes from codes.ALPHABET, the
#: typed formula through md_literal, times from strftime)
REVIEWED = {("pages/playground.py", "pg.rule_numbers"), ("lab/controls.py", "ctl.formula_help"),
            ("lab/controls.py", "ctl.noise_k_most"),  # k: an int the page computed
            ("lab/stepthrough.py", "step.at"),  # t and the losses: numbers formatted there
            *(("lab/classroom/ui.py", f"class.{k}") for k in (
                "base", "board_title", "expires", "fixed", "mine", "room_code", "sent",
                "you_are"))}  # fmt: skip
NUMBER_SPEC = re.compile(r"[,_]?(?:\.\d+)?[defgEG%,]?")
NUMBER_CALLS = {"fmt", "fmt_lr", "len", "int", "float", "round", "max", "min", "abs"}
#: what an f-string shown as Markdown may put in: escaped or trusted text
SAFE_CALLS = {"tm", "md_literal", "t"}
SAFE_NAMES = {"color", "r.color", "rv.color"}  # a run's colour: from lab/colors.py


def _number(v: ast.AST) -> bool:
    """A value that is plainly a number (or a number formatted as text)."""
    if isinstance(v, ast.Constant):
        return isinstance(v.value, int | float)
    if isinstance(v, ast.BinOp):
        return _number(v.left) and _number(v.right)
    if isinstance(v, ast.Call) and isinstance(v.func, ast.Name):
        return v.func.id in NUMBER_CALLS
    if isinstance(v, ast.Attribute):
        return v.attr in ("size", "ndim")
    if isinstance(v, ast.JoinedStr):
        parts = [x for x in v.values if isinstance(x, ast.FormattedValue)]
        return all(x.format_spec is not None and NUMBER_SPEC.fullmatch(ast.unparse(
            x.format_spec)[2:-1]) for x in parts)  # fmt: skip
    return False


def _escaped(v: ast.AST) -> bool:
    """A value escaped by the helper, or words from the string tables."""
    return isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in SAFE_CALLS


def _display_args(call: ast.Call) -> list[ast.AST]:
    """The arguments of ``call`` that Streamlit shows as Markdown."""
    f, shown = call.func, ("body", "label", "help", "placeholder", "text")
    if (
        isinstance(f, ast.Attribute)
        and f.attr in DISPLAY
        and (f.attr != "write" or ast.unparse(f.value) == "st")
    ):  # (not a file's write)
        return [*call.args[:1], *(k.value for k in call.keywords if k.arg in shown)]
    return [k.value for k in call.keywords if k.arg in ("help", "label", "placeholder")]


def _texts(node: ast.AST) -> list[ast.JoinedStr]:
    """The f-strings that make up a shown text (not those inside a call: a key, a file name)."""
    if isinstance(node, ast.JoinedStr):
        return [node]
    if isinstance(node, ast.BinOp):
        return _texts(node.left) + _texts(node.right)
    if isinstance(node, ast.IfExp):
        return _texts(node.body) + _texts(node.orelse)
    return []


def scan(sources: dict[str, str]) -> tuple[set[tuple[str, str]], list[str]]:
    """In each source, the t() calls with values that are not plainly numbers inside a shown
    text ((file, key)), and the f-string parts of a shown text that are not escaped or
    trusted."""
    found, bad = set(), []
    for rel, source in sources.items():
        calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
        for arg in (a for call in calls for a in _display_args(call)):
            for node in ast.walk(arg):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id == "t"
                        and not all(_number(k.value) or _escaped(k.value)
                                    for k in node.keywords)):  # fmt: skip
                    key = node.args[0].value if isinstance(node.args[0], ast.Constant) else "?"
                    found.add((rel, key))
            for text in _texts(arg):
                for x in (x for x in text.values if isinstance(x, ast.FormattedValue)):
                    v = x.value
                    ok = (
                        (
                            isinstance(v, ast.Call)
                            and isinstance(v.func, ast.Name)
                            and v.func.id in SAFE_CALLS
                        )
                        or _number(v)
                        or ast.unparse(v) in SAFE_NAMES
                    )
                    if not ok and not _number(ast.JoinedStr([x])):  # {n:,}: a number
                        bad.append(f"{rel}:{text.lineno}: {{{ast.unparse(v)}}}")
    return found, bad


def test_pages_put_user_values_into_markdown_only_through_the_helper():
    files = [ROOT / "app.py", *(ROOT / "pages").rglob("*.py"), *(ROOT / "lab").rglob("*.py")]
    found, bad = scan({str(f.relative_to(ROOT)): f.read_text("utf-8") for f in files})
    assert not found - REVIEWED, (
        f"{sorted(found - REVIEWED)}: show a user value with tm(msg(key, …)) (lab/plaintext.py "
        "escapes it); add to REVIEWED only a call whose values are all trusted"
    )
    assert not bad, bad


def test_the_scan_catches_a_user_value_put_into_markdown():
    found, bad = scan(
        {
            "page.py": """
st.warning(t("url.unknown_lang", lang, name=bad), icon=":material/translate:")
sb.caption(t("ctl.custom_description", lang, formula=formula_of(surface)))
st.markdown(f"**{r.label}** {tm(w, lang)} {md_literal(x)} {n:,}")
st.error(t("pg.cannot_run", lang, detail=e))
st.caption(t("sweep.caption", lang, n=LRS.size))
st.info(t("x.y", lang, s=f"{w.seconds:.0f}"))
box.markdown(f"<span style='color:{color}'>●</span> {t('ctl.colour', lang)}")
out.write(f"{i + 1},{label}")
"""
        }
    )
    assert found == {("page.py", "url.unknown_lang"), ("page.py", "ctl.custom_description"),
                     ("page.py", "pg.cannot_run")}  # fmt: skip
    assert bad == ["page.py:4: {r.label}"]


# -- parse → render: every payload in every field, both languages -------------------------------
def leaves(m: Msg) -> list[object]:
    return [x for v in m[1].values() for x in (leaves(v) if isinstance(v, tuple) else [v])]


def blank(m: Msg) -> Msg:
    return (m[0], {k: blank(v) if isinstance(v, tuple) else "" if isinstance(v, str) else v
                   for k, v in m[1].items()})  # fmt: skip


def playground_fields(p: str) -> dict[str, dict]:
    return {
        "a setting's name": {p: "1"},
        "surface": {"surface": p},
        "surface parameter name": {"sp": f"{p}:1"},
        "surface parameter item": {"sp": p},
        "surface parameter value": {"sp": f"ratio:{p}"},
        "formula": {"surface": "custom", "f": p},
        "view box": {"surface": "custom", "f": "x", "view": p},
        "optimizer": {"opt": [p]},
        "optimizer setting name": {"opt": [f"adam,{p}:1"]},
        "optimizer item": {"opt": [f"adam,{p}"]},
        "hyperparameter values": {"opt": [f"adam,lr:{p},beta1:{p}"]},
        "parts": {"opt": [f"custom,m:{p},sigma:{p}"]},
        "schedule": {"opt": [f"adam,sched:{p}"]},
        "schedule setting name": {"opt": [f"rms,sched:cosine,sched.{p}:x"]},
        "decay after warm-up": {"opt": [f"rms,sched:warmup,sched.then:{p},sched.then.{p}:x"]},
        "steps": {"steps": p},
        "start": {"x": p, "y": p},
        "log y": {"logy": p},
        "language": {"lang": p},
    }


def lecture_fields(p: str) -> dict[str, dict]:
    return {"a setting's name": {p: "1"}, **{k: {k: p} for k in urlstate.LECTURE_KEYS}}


def sweep_fields(p: str) -> dict[str, dict]:
    return {
        "a setting's name": {p: "1"},
        "surface": {"surface": p},
        "surface parameter name": {"sp": f"{p}:1"},
        "surface parameter item": {"sp": p},
        "optimizer": {"opt": [p, f"{p},lr:1"]},
        "steps": {"steps": p},
        "start": {"x": p, "y": "0"},
        "metric": {"metric": p},
        "target": {"metric": "updates", "tol": p},
        "language": {"lang": p},
    }


PAGES = {
    "playground": (playground_fields, urlstate.parse),
    "lecture": (lecture_fields, urlstate.parse_lecture),
    "sweep": (sweep_fields, urlstate.parse_sweep),
}
SILENT = {"log y"}  # a field that falls back without a word
#: fields whose warning repeats (a part of) what the link held: the rest only say what is wrong
ECHOED = {"a setting's name", "surface", "optimizer", "steps", "language", "metric", "target",
          *urlstate.LECTURE_KEYS}  # fmt: skip


def check_message(w: Msg, lang: str) -> list[str]:
    """What is wrong with how ``w`` reads in ``lang`` (empty: each value only escaped)."""
    out = tm(w, lang)
    problems = [f"unescaped {d!r}" for d in dangers(out)]
    if unescaped(out) != unescaped(tm(blank(w), lang)):
        problems.append(f"a value adds markup: {unescaped(out) - unescaped(tm(blank(w), lang))}")
    problems += [f"{v!r} not escaped" for v in leaves(w) if md_literal(v) not in out]
    return [f"{w[0]} ({lang}): {x}: {out!r}" for x in problems]


@pytest.mark.parametrize("page", list(PAGES))
def test_every_payload_in_every_field_is_escaped_in_its_warning(page):
    fields_of, parse = PAGES[page]
    problems, count = [], 0
    for p in PAYLOADS:
        for name, query in fields_of(p).items():
            count += 1
            _, warnings = parse(query)
            if name not in SILENT and not warnings:
                problems.append(f"{name}: {p!r} gave no warning")
            echoed = [v for w in warnings for v in leaves(w) if isinstance(v, str) and v]
            too_long = any(w[0] == "url.too_long" for w in warnings)  # dropped, not repeated
            if name in ECHOED and not too_long and not any(v in p for v in echoed):
                problems.append(f"{name}: {p!r} is not repeated in {warnings}")
            for w in warnings:
                for lang in LANGUAGES:
                    problems += [f"{name}: {x}" for x in check_message(w, lang)]
    assert count >= len(PAYLOADS) * 8
    assert not problems, "\n".join(problems[:20])


def test_every_payload_in_the_formula_box_is_escaped_in_its_refusal():
    problems = []
    for p in PAYLOADS:
        try:
            s = custom_surface(p)
        except FormulaError as e:
            for lang in LANGUAGES:
                problems += check_message((e.key, e.values), lang)
        else:
            problems.append(f"{p!r} was accepted as {s.kind.description!r}")
    assert not problems, "\n".join(problems[:20])


# -- the pages (AppTest): they show exactly those escaped messages ------------------------------
PAGE_FILES = {"playground": "pages/playground.py", "lecture": "pages/lecture.py",
              "sweep": "pages/sweep.py"}  # fmt: skip
FIRST_READ = {"playground": None, "lecture": "lec_state", "sweep": "sw_state"}
CAP = {"playground": 12, "lecture": 10**9, "sweep": 12}  # warnings a page lists at most
#: the payloads each page is driven with: the whole corpus where one link holds all fields
#: (the Lecture page), a sample of every kind elsewhere (one field per key and link: the
#: corpus through every field is test_every_payload_in_every_field_is_escaped_in_its_warning)
SAMPLE = PAYLOADS[::4]
DRIVEN = {"playground": SAMPLE, "lecture": PAYLOADS, "sweep": SAMPLE}


def _merge(a: dict, b: dict) -> dict | None:
    if (set(a) & set(b)) - {"opt"} or len(a.get("opt", [])) + len(b.get("opt", [])) > 5:
        return None
    out = {**a, **b}
    if "opt" in a and "opt" in b:
        out["opt"] = [*a["opt"], *b["opt"]]
    return out


def links(page: str, p: str) -> list[dict]:
    """Every field of ``page``'s link holding ``p``, packed into as few links as the page can
    list all warnings of (the language: test_a_language_in_the_link_is_shown_literally)."""
    fields_of, parse = PAGES[page]
    out, cur = [], {}
    for name, q in fields_of(p).items():
        if name == "language":
            continue
        merged = _merge(cur, q)
        if merged is None or len(parse(merged)[1]) > CAP[page]:
            out.append(cur)
            merged = q
        cur = merged
    return [*out, cur]


def bodies(at) -> list[str]:
    return [str(e.value) for kind in ("warning", "error", "info", "success", "caption",
                                      "markdown", "title", "header", "subheader")
            for e in at.get(kind)]  # fmt: skip


RAW = re.compile(r"evil\.example|:material/|(?<!\\)<(?:img|script|a |iframe|svg)|(?<!\\)\$\\href")


def is_message(text: str, key: str) -> bool:
    """``text`` is message ``key`` (in some language) with some values."""
    for lang in LANGUAGES:
        parts = re.split(r"\{\w+\}", table(lang)[key])
        if re.fullmatch(".*?".join(map(re.escape, parts)), text, re.S):
            return True
    return False


def raw_payload_problems(texts: list[str], alerts: list[str]) -> list[str]:
    """A construct of a payload that reached a body unescaped: anywhere, a link's address, an
    icon, a tag or LaTeX; in an alert (but the diverged run's, whose name is bold), any."""
    out = [f"{m[0]!r} in {b!r}" for b in texts for m in RAW.finditer(b)]
    out += [f"{d!r} in {line!r}" for b in alerts if not is_message(b, "pg.diverged")
            for line in b.split("\n") for d in dangers(line)]  # fmt: skip
    return out


@pytest.mark.parametrize("page", list(PAGE_FILES))
def test_each_page_shows_every_payload_in_every_field_only_escaped(page):
    """One session per page; each payload's fields packed into a few links (the page reads
    a link anew when it differs from the one it wrote), languages taking turns."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(PAGE_FILES[page])
    at.run()
    parse, problems, runs = PAGES[page][1], [], 0
    for i, p in enumerate(DRIVEN[page]):
        lang = list(LANGUAGES)[i % len(LANGUAGES)]
        for link in links(page, p):
            for k in list(at.query_params):
                del at.query_params[k]
            for k, v in link.items():
                at.query_params[k] = v
            if FIRST_READ[page]:
                del at.session_state[FIRST_READ[page]]
            at.session_state["lang"] = lang
            at.run()
            runs += 1
            assert not at.exception, (p, link, [e.value for e in at.exception])
            alerts = [str(e.value) for e in at.warning] + [str(e.value) for e in at.error]
            lines = {line.removeprefix("- ") for b in alerts for line in b.split("\n")}
            # (the language is read once per session, by lab/page.py: its own test is below)
            own = {k: v for k, v in link.items() if k != "lang"}
            warnings = parse(own)[1][: CAP[page]]
            assert warnings or "lang" in link, link
            problems += [f"{p!r}: not shown: {tm(w, lang)!r}" for w in warnings
                         if tm(w, lang) not in lines]  # fmt: skip
            problems += [f"{p!r}: {x}" for x in raw_payload_problems(bodies(at), alerts)]
    assert runs >= len(DRIVEN[page])
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("p", SAMPLE)
def test_a_language_in_the_link_is_shown_literally(p):
    """(A session reads the language from the link once: one session per payload.)"""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = p
    at.run()
    assert not at.exception
    want = tm(msg("url.unknown_lang", name=p[:40]), "en")
    assert want in [w.value for w in at.warning]
    assert not raw_payload_problems(bodies(at), [w.value for w in at.warning])


def test_the_formula_box_shows_every_refusal_only_escaped():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(PAGE_FILES["playground"])
    at.run()
    at.selectbox(key="surface").set_value("custom").run()
    caption = md_literal("x**2 + 10*sin(y)")  # the example formula, as typed
    assert any(caption in c.value for c in at.caption), [c.value for c in at.caption]
    problems = []  # (the corpus in the box: test_every_payload_in_the_formula_box_is_escaped…)
    for i, p in enumerate(SAMPLE):
        lang = list(LANGUAGES)[i % len(LANGUAGES)]
        at.session_state["lang"] = lang
        at.text_input(key="formula").input(p).run()
        assert not at.exception, p
        try:
            custom_surface(p)
        except FormulaError as e:
            want = tm((e.key, e.values), lang)
        errors = [e.value for e in at.error]
        if not any(b.startswith(want + "\n\n") for b in errors):
            problems.append(f"{p!r}: {want!r} not in {errors}")
        problems += [f"{p!r}: {x}" for x in raw_payload_problems(bodies(at), errors)]
    assert not problems, "\n".join(problems[:20])
