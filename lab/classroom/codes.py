"""Room codes, teacher tokens, student ids and pseudonyms.

- A room code is 6 characters from ``ALPHABET``: digits and capitals without the look-alikes
  0/O, 1/I/L (31 characters: 31⁶ ≈ 8.9·10⁸ codes).  What a student types is normalised
  (upper case, spaces and dashes dropped) before it is checked.
- A teacher token is 192 random bits (``secrets.token_urlsafe(24)``); the database keeps only
  its SHA-256, and a token is checked with ``hmac.compare_digest`` on the hashes.
- A student id is 128 random bits (``secrets.token_urlsafe(16)``, 22 characters), kept in the
  student's link: it is what lets a student replace their own submission and nobody else's.
- A pseudonym ("Swift Heron 12") is stored as three numbers, ``"adjective.animal.number"``,
  and written in the reader's language (``lab.locales``: ``class.adjectives``/``class.animals``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
N_ADJECTIVES = 16
N_ANIMALS = 16
MAX_NUMBER = 99
MAX_NICKNAME = 20
_STUDENT = re.compile(r"[A-Za-z0-9_-]{22}")
_PSEUDONYM = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{1,2})")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: object) -> str | None:
    """A room code as typed or linked → the code, or None when it cannot be one."""
    s = str(text or "").upper().replace(" ", "").replace("-", "")
    if len(s) != CODE_LENGTH or any(c not in ALPHABET for c in s):
        return None
    return s


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: object, stored_hash: str) -> bool:
    """Constant-time check of a token against the stored hash (a wrong type is no match)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return False
    return hmac.compare_digest(hash_token(token), stored_hash)


def new_student_id() -> str:
    return secrets.token_urlsafe(16)


def valid_student_id(text: object) -> bool:
    return isinstance(text, str) and _STUDENT.fullmatch(text) is not None


def new_pseudonym() -> str:
    a, b = secrets.randbelow(N_ADJECTIVES), secrets.randbelow(N_ANIMALS)
    return f"{a}.{b}.{1 + secrets.randbelow(MAX_NUMBER)}"


def pseudonym_parts(p: str) -> tuple[int, int, int] | None:
    m = _PSEUDONYM.fullmatch(p or "")
    if not m:
        return None
    a, b, n = (int(x) for x in m.groups())
    if a >= N_ADJECTIVES or b >= N_ANIMALS:
        return None
    return a, b, n


_HIDDEN = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def clean_nickname(text: object) -> str:
    """A nickname as stored: NFC, invisible and control characters dropped, runs of spaces
    made one, at most ``MAX_NICKNAME`` characters.  It is still shown only as plain text."""
    s = unicodedata.normalize("NFC", str(text or ""))
    s = "".join(" " if c.isspace() else c for c in s)  # a newline or tab: a space
    s = "".join(c for c in s if unicodedata.category(c) not in _HIDDEN)
    return " ".join(s.split())[:MAX_NICKNAME]
