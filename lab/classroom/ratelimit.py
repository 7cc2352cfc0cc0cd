"""A limit on wrong guesses (room codes, teacher tokens) per client, in this process.

``Limiter.blocked(key)`` says how many seconds a client must wait; ``failed(key)`` records a
wrong guess.  A client may make ``limit`` wrong guesses per ``window`` seconds; it is then
refused until the oldest of them leaves the window.  Memory is bounded (``max_keys``, the
least recently used dropped first).

Which client: ``client_key`` takes the address Streamlit reports (``st.context.ip_address``).
Streamlit 1.67 serves with uvicorn, whose proxy-headers middleware replaces the peer address by
the ``X-Forwarded-For`` address when the peer is a trusted proxy (``FORWARDED_ALLOW_IPS``,
default 127.0.0.1 and ::1): behind deploy/nginx.conf.template on the same host the key is the
student's own address, and a client that connects directly cannot forge it.  Limits of this:
a class behind one NAT shares one address (and so one allowance; the allowance is large enough
for typos); ``ip_address`` is None for a browser on the server itself (all such clients share
the key "local"); and each app process counts alone, so behind N processes a guesser gets up to
N times the allowance.  With 31⁶ ≈ 8.9·10⁸ codes, 20 guesses per 10 minutes per address find a
given room once in ~2·10⁵ days.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

LIMIT = 20
WINDOW = 600.0
MAX_KEYS = 10_000


class Limiter:
    def __init__(self, limit: int = LIMIT, window: float = WINDOW, max_keys: int = MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._fails: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        q = self._fails.get(key)
        if q is None:
            return deque()
        while q and now - q[0] >= self.window:
            q.popleft()
        if not q:
            del self._fails[key]
        return q

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` may guess again (0: now)."""
        now = self.clock()
        with self._lock:
            q = self._trim(key, now)
            if len(q) < self.limit:
                return 0.0
            return max(0.0, self.window - (now - q[0]))

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            q = self._trim(key, now)
            q.append(now)
            self._fails[key] = q
            self._fails.move_to_end(key)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)


def client_key(ip_address: object) -> str:
    """The key of a client: its address, or "local" when there is none (a browser on the
    server itself, or anything that is not an address string)."""
    return f"ip:{ip_address}" if isinstance(ip_address, str) and ip_address else "local"
