"""How long to wait after a keystroke before an automatic completion request goes to the model.

The base is ``completion.debounceMs``. With ``completion.adaptiveDebounce`` the wait follows the
typing rhythm: while keystrokes come in a steady run faster than twice the base, a request made
between two of them would be cancelled by the next one after the model had read (and billed) the
whole prompt, so the wait stretches to one and a half typical gaps (at most
:data:`MAX_ADAPTIVE_MS`), and the request goes out when the user pauses.
"""

from __future__ import annotations

import statistics
import time
from collections import deque

MAX_ADAPTIVE_MS = 250.0
# A gap longer than this is a pause, not part of the rhythm.
PAUSE_MS = 1000.0


class Rhythm:
    def __init__(self, window: int = 8) -> None:
        self._last: float | None = None
        self._gaps: deque[float] = deque(maxlen=window)

    def keystroke(self, at: float | None = None) -> None:
        now = time.monotonic() if at is None else at
        if self._last is not None:
            gap = (now - self._last) * 1000
            if gap < PAUSE_MS:
                self._gaps.append(gap)
        self._last = now

    def delay_ms(self, base_ms: float, adaptive: bool) -> float:
        if not adaptive or base_ms <= 0 or len(self._gaps) < 3:
            return base_ms
        typical = statistics.median(self._gaps)
        if typical >= 2 * base_ms:
            return base_ms
        return min(max(base_ms, 1.5 * typical), max(base_ms, MAX_ADAPTIVE_MS))
