"""Both languages are complete: every key has a translation with the same placeholders, and
every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from lab.i18n import LANGUAGES, t, table, tm
from lab.plaintext import md_unliteral
from lab.urlstate import parse
from optimizers import HYPERS, M_PARTS, PRESETS, SCHEDULE_KINDS, SIGMA_PARTS
from optimizers.schedules import schedule_settings
from surfaces import SURFACES

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
#: an English word (not a name like Adam or GD, not a symbol): a text with one must be
#: translated, and its Chinese translation must hold Chinese characters
#: (the lecture's Chinese note keeps "loss" in English, and hyperparameters keep their names)
WORD = re.compile(r"\b(?!(?:loss|alpha|beta|eps)\b)[a-z]{3,}\b")


def placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def test_every_language_has_every_key() -> None:
    en = set(table("en"))
    for lang in LANGUAGES:
        keys = set(table(lang))
        assert not en - keys, f"{lang} lacks {sorted(en - keys)}"
        assert not keys - en, f"{lang} has keys English does not: {sorted(keys - en)}"


@pytest.mark.parametrize("lang", [x for x in LANGUAGES if x != "en"])
def test_translations_keep_placeholders_and_are_translated(lang: str) -> None:
    en, other = table("en"), table(lang)
    for key, text in en.items():
        assert placeholders(other[key]) == placeholders(text), key
        if other[key] == text:
            assert not WORD.search(text), f"{key} is not translated: {text!r}"
        elif lang == "zh" and WORD.search(text):
            assert CJK.search(other[key]), f"{key} has no Chinese: {other[key]!r}"


def keys_in_code() -> set[str]:
    """Literal keys passed to t(…), msg(…) and page helpers anywhere in the app."""
    found: set[str] = set()
    pattern = re.compile(r"""\b(?:t|msg|_t|tr)\(\s*(?:f?)["']([a-z_]+\.[a-z_.]+)["']""")
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "lab").rglob("*.py")]:
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_key_the_code_asks_for_exists() -> None:
    keys = keys_in_code()
    assert len(keys) > 60  # the scan itself works
    missing = sorted(k for k in keys if k not in table("en"))
    assert not missing


def test_every_surface_preset_part_and_schedule_has_its_words() -> None:
    en = table("en")
    need = [f"surface.{k}.{w}" for k in SURFACES for w in ("name", "description")]
    need += [f"surface.{k}.{p.name}" for k, s in SURFACES.items() for p in s.params]
    need += [f"preset.{k}.{w}" for k in PRESETS for w in ("label", "about", "fits")]
    need += [f"m.{k}" for k in M_PARTS] + [f"sigma.{k}" for k in SIGMA_PARTS]
    need += [f"hyper.{k}" for k in HYPERS] + [f"sched.{k}" for k in SCHEDULE_KINDS]
    need += [f"sched.setting.{s.name}" for k in SCHEDULE_KINDS for s in schedule_settings(k)]
    assert not [k for k in need if k not in en]


def test_url_warnings_read_in_both_languages() -> None:
    _, warnings = parse({"surface": ["nope"], "opt": ["adam,beta1:7,foo:1", "bogus"],
                         "steps": ["x"], "lang": ["fr"], "zz": ["1"]})  # fmt: skip
    assert [k for k, _ in warnings] == [
        "url.unknown_key", "url.unknown_surface", "url.out_of_range", "url.unknown_setting",
        "url.unknown_opt", "url.steps_nan", "url.unknown_lang"]  # fmt: skip
    for w in warnings:
        en, zh = tm(w, "en"), tm(w, "zh")
        assert "{" not in en and "{" not in zh
        assert CJK.search(zh) and not CJK.search(en)
    assert "beta1 must be in [0, 1)" in md_unliteral(tm(warnings[2], "en"))  # as it reads


def test_unknown_language_and_key_fall_back() -> None:
    assert t("app.name", "fr") == t("app.name", "en")
    assert t("no.such.key", "zh") == "no.such.key"
