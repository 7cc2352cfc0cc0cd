"""Text a visitor typed or put in a link, shown back literally: the one place that escapes it.

Streamlit renders the body of ``st.warning``/``st.error``/``st.info``/``st.caption``/
``st.markdown``, widget labels and ``help=`` as Markdown (react-markdown, remark-gfm,
remark-math, remark-directive, remark-emoji, and Streamlit's own plugins; read in Streamlit
1.67's frontend bundle, ``static/js/StreamlitMarkdown.*.js``).  It escapes HTML, but a value
such as ``[Log in](https://evil.example)`` becomes a real link, ``![p](https://evil.example/p.png)``
loads an image, and besides CommonMark a value can reach:

- GFM: bare ``https://…``, ``www.…`` and ``a@b.co`` become links (found in the parsed *text*,
  after backslash escapes are gone: ``mdast-util-gfm-autolink-literal``), ``~~strike~~``,
  ``| tables |``, ``[^footnotes]``, ``[x]`` task lists;
- ``$…$`` and ``$$…$$``: KaTeX (``$\\href{https://evil.example}{x}$``);
- directives: ``:red[x]``, ``:blue-background[x]``, ``:small[x]``, ``:help[x]`` (an unknown
  ``:name[x]`` is replaced by ``:name``, losing ``[x]``);
- ``:material/name:`` icons: Streamlit replaces ``:material/`` in the *raw source* before
  parsing, then ``:material_name:`` in the text, so ``\\:material/warning\\:`` is still an icon;
  ``:streamlit:`` (a logo) and ``:smile:``-style emoji shortcodes, also found in the text;
- typography in the text: `` -> ``, `` <- ``, `` <-> ``, `` -- ``, `` >= ``, `` <= ``, `` ~= ``
  become arrows, dashes and signs;
- and before any of that, in Python: an ``st.warning``/``st.error``/``st.info`` without an
  ``icon=`` whose body *starts* with an emoji or ``:material/…:`` takes it as its icon.

``md_literal`` therefore does three things:

1. characters a reader cannot see or that reorder or break the line (control characters, line
   and paragraph separators, zero-width and bidirectional format characters) are shown as
   ``⟨U+XXXX⟩`` (``visible``): no newline can start a heading, list or quote, and no
   right-to-left override can turn the message around;
2. every Markdown-significant ASCII punctuation character gets a backslash (CommonMark: an
   escaped ASCII punctuation character is shown as itself, never as syntax), ``\\`` included;
3. the constructs found in the parsed text are broken by an invisible WORD JOINER (U+2060):
   after every ``:`` (shortcodes, icons, directives, ``https://``), after ``@`` (e-mail
   links), between ``www`` and ``.``, and between the two characters of the typography pairs;
   one also goes before a value that starts with a space or a non-ASCII character (an emoji).

The reader sees exactly what was typed (the word joiner has no width, and the only other
change is ⟨U+XXXX⟩ for invisible characters): ``x**2 + 10*sin(y)`` stays ``x**2 + 10*sin(y)``.
The same value for Plotly text (legend, hover, titles: a subset of HTML) goes through
``plotly_literal``.

Where it is applied: ``lab.i18n.tm`` passes every value of a message through ``md_literal``
(the URL parsers, the formula's refusals and every page message with a user value are
messages), so a new warning cannot forget it.
"""

from __future__ import annotations

import re
import unicodedata

#: ASCII punctuation with a meaning in Streamlit's Markdown (CommonMark, GFM, math, directives,
#: entities, list and heading markers).  ' " , ; ? % / mean nothing on their own: left as typed.
MD_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:&=^@")
#: the invisible character that breaks what is matched in the parsed text (no width, no break)
JOINER = "\u2060"
_BREAK = re.compile(
    r"(?<=[:@])"  # :name: shortcodes, :material/…, :streamlit:, https://, mailto-like a@b.co
    r"|(?i:(?<=www)(?=\.))"  # www.example.com
    r"|(?<=[-<>~])(?=[-<>=])"  # -> <- <-> -- >= <= ~=
)
_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def visible(text: object) -> str:
    """``text`` with every character a reader cannot see (or that moves, hides or breaks the
    line) written as ⟨U+XXXX⟩; everything else as it is."""
    s = str(text)
    if s.isprintable() and not any(unicodedata.category(c) in _INVISIBLE for c in s):
        return s
    return "".join(f"⟨U+{ord(c):04X}⟩" if unicodedata.category(c) in _INVISIBLE else c for c in s)


def md_literal(text: object) -> str:
    """``text`` as Markdown that Streamlit shows literally: no link, image, emphasis, code,
    heading, list, quote, table, icon, emoji, colour, LaTeX or HTML can come out of it."""
    s = _BREAK.sub(JOINER, visible(text))
    out = "".join("\\" + c if c in MD_SPECIAL else c for c in s)
    if out[:1].isspace() or not out[:1].isascii():
        # four leading spaces at the start of a line would be a code block, and an alert whose
        # body starts with an emoji shows that emoji as its icon, not in the text
        out = JOINER + out
    if out[-1:].isspace():  # two trailing spaces before a newline would be a line break
        out += JOINER
    return out


def md_unliteral(markdown: str) -> str:
    """What a reader sees of ``md_literal(text)``: ``visible(text)`` (for tests and logs)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace(JOINER, ""))


def plotly_literal(text: object) -> str:
    """``text`` for Plotly's text (legend, hover, titles, annotations), which reads a subset
    of HTML (``<a href>``, ``<b>``, ``<br>``, entities) and ``%{…}`` in templates: shown as
    typed."""
    s = visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace("%", "&#37;")
