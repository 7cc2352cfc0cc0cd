"""The app's words: one table of strings per language (``lab/locales/<lang>.toml``).

Every user-facing text comes from ``t(key, lang, **values)``.  A table is TOML, its sections
are namespaces: ``[pg]`` + ``title = "Playground"`` is the key ``pg.title``.  Values are
``str.format`` templates.  tests/test_i18n.py fails if a key lacks a translation, if a
translation's placeholders differ from English, or if the code asks for a key that no table has.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from .plaintext import md_literal

#: language code → its name in its own language (the switch shows these)
LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"
LOCALES = Path(__file__).with_name("locales")


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out |= _flatten(v, f"{prefix}{k}.")
        else:
            out[prefix + k] = str(v)
    return out


@cache
def table(lang: str) -> dict[str, str]:
    """All strings of ``lang`` (an unknown language gives English)."""
    if lang not in LANGUAGES:
        lang = DEFAULT
    with open(LOCALES / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


def t(key: str, lang: str = DEFAULT, /, **values: Any) -> str:
    """The text of ``key`` in ``lang``, with ``values`` filled in as they are (numbers, words
    from these tables, Plotly templates).  A value a visitor typed or put in a link is shown
    with ``tm(msg(key, …))``, which shows it literally."""
    text = table(lang).get(key)
    if text is None:
        text = table(DEFAULT).get(key, key)
    return text.format(**values) if values else text


#: a message to translate later: (key, values) — what parsers return instead of text
Msg = tuple[str, dict[str, Any]]


def msg(key: str, **values: Any) -> Msg:
    return (key, values)


def tm(m: Msg, lang: str = DEFAULT) -> str:
    """The text of a message in ``lang``, as Markdown for st.warning, st.error, st.caption….

    Every value in it is shown literally (``lab.plaintext.md_literal``): a message's values are
    what a link or a field held (a setting's name, a formula's part, a number as typed), so
    none of them can add a link, an image, emphasis, an icon or LaTeX to the page.  A value that
    is itself a message (``msg(…)``: trusted words from the string tables) is put in as text."""
    key, values = m
    return t(key, lang, **{k: tm(v, lang) if _is_msg(v) else md_literal(v)
                           for k, v in values.items()})  # fmt: skip


def _is_msg(v: Any) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], dict)
