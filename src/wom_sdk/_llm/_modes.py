"""Structured-output modes, the fallback ladder, and what each endpoint was seen to accept."""

from __future__ import annotations

import threading
from enum import StrEnum

from .._exceptions import APIStatusError

__all__ = ["LADDER", "EndpointMemory", "Mode", "rejects_mode"]


class Mode(StrEnum):
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT_SCHEMA = "json_object_schema"
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"


LADDER = (Mode.JSON_SCHEMA, Mode.JSON_OBJECT_SCHEMA, Mode.JSON_OBJECT, Mode.PROMPT)
_FORMAT_WORDS = (
    "response_format",
    "json_schema",
    "json_object",
    "schema",
    "structured",
    "not supported",
    "unsupported",
    "grammar",
)


class EndpointMemory:
    """Which output mode works, per (endpoint, model). One per analyzer; thread-safe."""

    def __init__(self, start: Mode | None = None) -> None:
        self._lock = threading.Lock()
        self._start = start
        self._modes: dict[tuple[str, str], tuple[Mode, bool]] = {}

    def get(self, key: tuple[str, str]) -> tuple[Mode, bool]:
        """(mode to use, whether the endpoint has been seen to accept it)."""
        with self._lock:
            if self._start is not None:
                return self._start, True  # forced by the caller: never probe
            return self._modes.get(key, (LADDER[0], False))

    def downgrade(self, key: tuple[str, str], failed: Mode) -> Mode | None:
        with self._lock:
            current, confirmed = self._modes.get(key, (LADDER[0], False))
            if confirmed and current != failed:
                return current  # another call already found a working mode
            idx = LADDER.index(failed)
            if idx + 1 >= len(LADDER):
                return None
            nxt = LADDER[idx + 1]
            self._modes[key] = (nxt, False)
            return nxt

    def confirm(self, key: tuple[str, str], mode: Mode) -> None:
        with self._lock:
            self._modes[key] = (mode, True)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return {f"{ep} {model}": m.value for (ep, model), (m, ok) in self._modes.items() if ok}


def rejects_mode(exc: APIStatusError) -> bool:
    """Whether an error says the endpoint does not support the output mode asked for."""
    if exc.status_code in (500, 501):
        return True
    if exc.status_code in (400, 404, 415, 422):
        body = (exc.body or exc.message or "").lower()
        return any(w in body for w in _FORMAT_WORDS)
    return False
