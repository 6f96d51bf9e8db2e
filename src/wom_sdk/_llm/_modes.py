"""Structured-output modes, the fallback ladder, and what each endpoint was seen to accept.

The ladder is walked down, never up, and each step says why it was taken
(``Fallback``): a mode the endpoint *rejects* (4xx naming it), one it *fails*
on (500/501: llama.cpp's servers answer 500 to a schema they cannot turn
into a grammar), or one it silently *ignores* (200, but the answer does not
have the schema's shape: Anthropic's OpenAI layer ignores ``response_format``,
https://docs.anthropic.com/en/api/openai-sdk). The next mode depends on why:

    json_schema ── fails ───> json_object_schema ──> json_object ──> prompt
        │                                               ^
        ├── rejected ───────────────────────────────────┘  (DeepSeek, Qwen: json_object)
        └── ignored ────> tools ── rejected/ignored ────┘

Tool calling with a strict schema is the rung for an endpoint that ignores
``response_format`` but honours tools (Anthropic's layer does, strict or not).
A server that refuses ``json_schema`` with a 4xx has an OpenAI-style request
validator, which would refuse ``json_object_schema``'s extra key too: it goes
straight to ``json_object``, which DeepSeek and DashScope document (with the
word "json" in the prompt, which every prompt here has).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import StrEnum

from ._params import ParamRules, adapt, initial_rules

__all__ = ["LADDER", "EndpointMemory", "Fallback", "Mode", "fallback"]


class Mode(StrEnum):
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT_SCHEMA = "json_object_schema"
    TOOLS = "tools"
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"


class Fallback(StrEnum):
    """Why a mode is left."""

    REJECTED = "rejected"  # a 4xx that names the output format
    FAILED = "failed"  # 500/501 to the format (llama.cpp)
    IGNORED = "ignored"  # answered, but not in the format asked for


#: Every mode, best first (``structured_output=`` takes any of them).
LADDER = (Mode.JSON_SCHEMA, Mode.JSON_OBJECT_SCHEMA, Mode.TOOLS, Mode.JSON_OBJECT, Mode.PROMPT)
_NEXT: dict[tuple[Mode, Fallback], Mode] = {
    (Mode.JSON_SCHEMA, Fallback.FAILED): Mode.JSON_OBJECT_SCHEMA,
    (Mode.JSON_SCHEMA, Fallback.REJECTED): Mode.JSON_OBJECT,
    (Mode.JSON_SCHEMA, Fallback.IGNORED): Mode.TOOLS,
}
_DOWN = {
    Mode.JSON_OBJECT_SCHEMA: Mode.JSON_OBJECT,
    Mode.TOOLS: Mode.JSON_OBJECT,
    Mode.JSON_OBJECT: Mode.PROMPT,
}


def fallback(mode: Mode, why: Fallback) -> Mode | None:
    """The mode to try after ``mode`` failed for reason ``why``; None at the bottom."""
    return _NEXT.get((mode, why)) or _DOWN.get(mode)


class EndpointMemory:
    """What works, per (endpoint, model): the output mode and the request parameters.

    One per analyzer; thread-safe. Everything learned here is learned once: the
    first request that meets a quirk pays for it, every later one avoids it.
    """

    def __init__(self, start: Mode | None = None) -> None:
        self._lock = threading.Lock()
        self._start = start
        self._modes: dict[tuple[str, str], tuple[Mode, bool]] = {}
        self._rules: dict[tuple[str, str], ParamRules] = {}
        self._gates: dict[tuple[str, str], threading.Lock] = {}
        self._agates: dict[tuple[tuple[str, str], int], asyncio.Lock] = {}

    # One call probes an endpoint and model while the others wait for what it
    # learns: a batch's first reviews, in flight together, would each pay a probe.
    @contextmanager
    def probe_gate(self, key: tuple[str, str]) -> Iterator[None]:
        """Held around a call while nothing is known of ``key`` yet (threads)."""
        if self.get(key)[1]:
            yield
            return
        with self._lock:
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            if not self.get(key)[1]:
                yield  # this call probes; the others wait
                return
        yield  # learned while waiting: go ahead without the gate

    @asynccontextmanager
    async def aprobe_gate(self, key: tuple[str, str]) -> AsyncIterator[None]:
        """``probe_gate`` for tasks (one lock per event loop: asyncio locks are bound to one)."""
        if self.get(key)[1]:
            yield
            return
        loop_id = id(asyncio.get_running_loop())
        with self._lock:
            gate = self._agates.setdefault((key, loop_id), asyncio.Lock())
        async with gate:
            if not self.get(key)[1]:
                yield
                return
        yield

    @property
    def forced(self) -> bool:
        """Whether the caller fixed the mode (``structured_output=``): nothing is probed."""
        return self._start is not None

    def get(self, key: tuple[str, str]) -> tuple[Mode, bool]:
        """(mode to use, whether the endpoint has been seen to accept it)."""
        with self._lock:
            if self._start is not None:
                return self._start, True  # forced by the caller: never probe
            return self._modes.get(key, (LADDER[0], False))

    def downgrade(self, key: tuple[str, str], failed: Mode, why: Fallback) -> Mode | None:
        """Leave ``failed``; the mode to use now (another call's finding wins), or None."""
        with self._lock:
            current, _ = self._modes.get(key, (LADDER[0], False))
            if current != failed:
                return current  # another call already moved on
            nxt = fallback(failed, why)
            if nxt is not None:
                self._modes[key] = (nxt, False)
            return nxt

    def confirm(self, key: tuple[str, str], mode: Mode) -> None:
        with self._lock:
            current, _ = self._modes.get(key, (LADDER[0], False))
            if current == mode:
                self._modes[key] = (mode, True)

    def rules(self, key: tuple[str, str]) -> ParamRules:
        """How to phrase the request parameters for this endpoint and model."""
        with self._lock:
            rules = self._rules.get(key)
            if rules is None:
                rules = self._rules[key] = initial_rules(key[1])
            return rules

    def adapt(
        self, key: tuple[str, str], sent: ParamRules, param: str, code: str | None,
        user_set: frozenset[str],
    ) -> ParamRules | None:
        """The rules after the endpoint refused ``param`` in a request built with ``sent``.

        None when it cannot be adapted (see ``_params.adapt``). A request built
        before another call adapted the same parameter gets the current rules.
        """
        with self._lock:
            current = self._rules.get(key) or initial_rules(key[1])
            if current != sent:
                return current  # another call already learned something since
            nxt = adapt(current, param, code, user_set)
            if nxt is not None:
                self._rules[key] = nxt
            return nxt

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return {f"{ep} {model}": m.value for (ep, model), (m, ok) in self._modes.items() if ok}
