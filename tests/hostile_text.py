"""Hostile text for every field a link or a form can carry (tests/test_plaintext.py, and
tests/test_browser_literal.py in Chromium): each must be shown back literally.

``PAYLOADS``: Markdown, GFM, LaTeX, Streamlit directives/icons/emoji, HTML, entities,
invisible and bidirectional characters, newlines, CJK and long strings.  ``ORDINARY``: values
that must read on the page exactly as typed.  ``DANGER``: what must never appear unescaped
in a Markdown body built from these values.
"""

from __future__ import annotations

import re

EVIL = "https://evil.example"

PAYLOADS: list[str] = [
    # Markdown links and images
    f"[Log in to continue]({EVIL})",
    f"![p]({EVIL}/p.png)",
    f"[![img]({EVIL}/a.png)]({EVIL})",
    f'[x]({EVIL} "title")',
    "[x](javascript:alert(1))",
    f"[click][1]\n\n[1]: {EVIL}",
    f"[x]: {EVIL}",
    f"x[^1]\n\n[^1]: {EVIL}",
    f"[x]\n\n[x]: {EVIL}",
    # autolinks (CommonMark and GFM literal: www., bare URL, e-mail)
    f"<{EVIL}>",
    f"{EVIL}/login",
    "www.evil.example/login",
    "phish@evil.example",
    "<mailto:a@evil.example>",
    "javascript:alert(document.cookie)",
    "HTTPS://EVIL.EXAMPLE",
    # HTML
    f'<a href="{EVIL}">x</a>',
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    f'<iframe src="{EVIL}"></iframe>',
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    '"><img src=x>',
    "&lt;b&gt;bold&lt;/b&gt; &amp; &#x3C;i&#x3E; &#106;avascript",
    # Streamlit: icons, emoji shortcodes, directives, colours, badges, logo
    ":material/warning: fake alert",
    ":material/warning",
    ":red[x] :blue-background[y] :green-badge[z]",
    ":rainbow[all]",
    ":smile: :+1: :heart:",
    ":streamlit:",
    ":help[tooltip]",
    ":small[tiny]",
    # LaTeX
    f"$\\href{{{EVIL}}}{{x}}$",
    "$$\\int_0^1 x\\,dx$$",
    "$x$",
    "\\(x\\) \\[x\\]",
    "$\\color{red}{X}$",
    # emphasis, headings, lists, quotes, code, tables, breaks
    "**bold**",
    "__bold__",
    "*em* _em_",
    "~~strike~~ ~one~",
    "# heading",
    "## heading ##",
    "> quote",
    "- list item",
    "1. ordered",
    "- [x] task",
    "---",
    "`code`",
    "```js\nalert(1)\n```",
    "    four-space code",
    "| a | b |\n|---|---|\n| c | d |",
    "x  \ny",
    "\\*not bold\\* \\",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    # newline injection, control, invisible and bidirectional characters
    "x\n\n# Injected heading\n- item",
    "a\r\nb\rc",
    "nul\x00byte\x1b[31m",
    "ja\u200bva\u200cscr\u200dipt:\u2060x\ufeff",
    "\u202egnp.exe",
    "\u2028line\u2029para\u0085",
    "soft\u00adhyphen",
    # CJK and long
    f"损失函数[链接]({EVIL})：**粗体**",
    "误差曲面 ＄x＄ ［x］（y）",
    f"[{'A' * 30}]({EVIL})" + "B" * 300,
    "💥" * 120,
    "<img src=x>" * 50,  # longer than a link value may be (MAX_VALUE_CHARS)
    # format strings and templates
    "{name} {0} {{x}} %s %{x}",
    "__import__('os').system('ls')",
]

#: values that must look exactly as typed
ORDINARY: list[str] = ["adam", "lr", "0.05", "1e-05", "x**2 + 10*sin(y)", "beta1",
                       "sched.t_max", "a_b_c", "C:\\temp", "(1 - x)**2"]  # fmt: skip

#: a construct that Markdown would turn into markup: never unescaped in a body from a payload
DANGER = [
    re.compile(r"(?<!\\)\]\("),  # ](  link or image
    re.compile(r"(?<!\\)!\["),  # ![  image
    re.compile(r"(?<!\\)\[[^\]\\]*(?<!\\)\]:"),  # [x]: reference definition
    re.compile(r"(?<!\\)<[a-zA-Z/!]"),  # <a, <img, <script, </…, <!--
    re.compile(r"(?<!\\)<https?:", re.I),  # <https://…> autolink
    re.compile(r"https?://", re.I),  # bare URL (an escaped one is https\:⁠//)
    re.compile(r"www\.", re.I),  # bare www. link
    re.compile(r"[\w.+-]@[\w-]"),  # e-mail link
    re.compile(r":material[/_]"),  # icon (replaced in the raw source)
    re.compile(r":[\w+-]+:"),  # :smile: :streamlit: shortcodes
    re.compile(r"(?<!\\):[a-z][\w-]*\["),  # :red[…] directive
    re.compile(r"(?<!\\)\$"),  # LaTeX
    re.compile(r"(?<!\\)`"),  # code
    re.compile(r"(?<!\\)(?:\*|_)(?:\*|_)"),  # ** or __ strong
    re.compile(r"(?<!\\)~"),  # strike
    re.compile(r"\n"),  # a new block (heading, list, quote, table, code)
]


def dangers(markdown: str) -> list[str]:
    """The unescaped constructs in ``markdown`` (empty: none)."""
    return [m.group(0) for r in DANGER for m in r.finditer(markdown)]


#: one value with every kind of markup, for every message that can carry a user value
NASTY = (f"[x]({EVIL}) ![p]({EVIL}/p.png) :material/warning: :red[r] :smile: "
         f"$\\href{{{EVIL}}}{{h}}$ <img src=x onerror=alert(1)> **b** _i_ `c` {EVIL} www.evil.example")  # fmt: skip
#: the sections whose messages carry what a link or a field held (through lab.i18n.tm)
USER_SECTIONS = ("url.", "formula.")
USER_KEYS_ELSEWHERE = ("ctl.custom_description", "pg.cannot_run", "pg.diverged")


def user_message_keys(table: dict[str, str]) -> list[str]:
    """The keys of the messages that put a user value into Markdown."""
    return [k for k, v in table.items()
            if "{" in v and (k.startswith(USER_SECTIONS) or k in USER_KEYS_ELSEWHERE)]  # fmt: skip
