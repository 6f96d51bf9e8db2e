"""Which chat-completion requests fail, and how.

A ``FaultPlan`` is plain configuration; the per-run state (the seeded RNG and
the request counter) lives in ``FaultPicker``, so one plan reused by two
servers gives both the same sequence of faults.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = [
    "FAULT_KINDS",
    "FaultKind",
    "FaultPicker",
    "FaultPlan",
    "break_json",
    "break_schema",
    "truncate",
]

FaultKind = Literal[
    "429",
    "500",
    "503",
    "drop",
    "hang",
    "invalid_json",
    "schema_break",
    "truncate",
    "refusal",
    "reject_json_schema",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))

#: ``decide(index, request_json)``: the fault for the ``index``-th chat request, or None
FaultDecider = Callable[[int, Mapping[str, Any]], "FaultKind | None"]


def _check_kind(kind: object, where: str) -> None:
    if kind is not None and kind not in FAULT_KINDS:
        known = ", ".join(sorted(FAULT_KINDS))
        raise ValueError(f"unknown fault kind {kind!r} in {where}; known kinds: {known}")


@dataclass(frozen=True)
class FaultPlan:
    """Which chat-completion requests get a fault instead of a normal answer.

    For the ``index``-th chat request (counting from 0) the fault is, in order:
    ``script[index]`` while the script lasts (``None`` there means "answer
    normally"); else ``decide(index, request_json)`` if it returns a kind; else
    a draw from ``probabilities`` with an RNG seeded by ``seed``.

    Args:
        probabilities: chance of each fault kind per request; they must sum to at most 1.
        script: explicit faults for the first ``len(script)`` requests.
        decide: a callable choosing the fault per request, or None for no opinion.
        seed: seed of the RNG behind ``probabilities`` (None: a fresh one each run).
        hang_seconds: how long a ``"hang"`` holds the connection before closing it.
        retry_after: the wait, in seconds, an injected ``"429"`` asks for.
    """

    probabilities: Mapping[FaultKind, float] = field(default_factory=dict)
    script: Sequence[FaultKind | None] = ()
    decide: FaultDecider | None = None
    seed: int | None = None
    hang_seconds: float = 30.0
    retry_after: float = 1.0

    def __post_init__(self) -> None:
        # Copies, so a caller mutating its dict or list cannot change a running plan.
        object.__setattr__(self, "probabilities", dict(self.probabilities))
        object.__setattr__(self, "script", tuple(self.script))
        for kind, chance in self.probabilities.items():
            _check_kind(kind, "probabilities")
            if not 0.0 <= chance <= 1.0:
                raise ValueError(f"probability of {kind!r} must be within [0, 1], got {chance}")
        if sum(self.probabilities.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities must sum to at most 1")
        for scripted in self.script:
            _check_kind(scripted, "script")
        if self.hang_seconds < 0 or self.retry_after < 0:
            raise ValueError("hang_seconds and retry_after must not be negative")

    @classmethod
    def parse(
        cls,
        spec: str,
        *,
        seed: int | None = None,
        hang_seconds: float = 30.0,
        retry_after: float = 1.0,
    ) -> FaultPlan:
        """A plan from ``"429=0.05,500=0.02,drop=0.01"`` (the ``--faults`` syntax)."""
        probabilities: dict[FaultKind, float] = {}
        for item in spec.split(","):
            if not item.strip():
                continue
            kind, sep, value = item.partition("=")
            kind = kind.strip()
            if not sep:
                raise ValueError(f"expected KIND=PROBABILITY, got {item.strip()!r}")
            _check_kind(kind, "--faults")
            try:
                probabilities[kind] = float(value)  # type: ignore[index]  # checked above
            except ValueError:
                raise ValueError(f"probability of {kind!r} is not a number: {value!r}") from None
        return cls(
            probabilities=probabilities,
            seed=seed,
            hang_seconds=hang_seconds,
            retry_after=retry_after,
        )


class FaultPicker:
    """The per-run state of a plan: a request counter and a seeded RNG."""

    def __init__(self, plan: FaultPlan | None) -> None:
        self.plan = plan if plan is not None else FaultPlan()
        self._rng = random.Random(self.plan.seed)
        self._index = 0
        self._cumulative: list[tuple[float, FaultKind]] = []
        total = 0.0
        for kind, chance in self.plan.probabilities.items():
            if chance > 0:
                total += chance
                self._cumulative.append((total, kind))

    def pick(self, request: Mapping[str, Any]) -> FaultKind | None:
        """The fault for the next chat request, or None to answer it normally."""
        index = self._index
        self._index += 1
        plan = self.plan
        if index < len(plan.script):
            return plan.script[index]
        if plan.decide is not None:
            kind = plan.decide(index, request)
            _check_kind(kind, "the result of FaultPlan.decide")
            if kind is not None:
                return kind
        if not self._cumulative:
            return None
        draw = self._rng.random()
        for bound, kind in self._cumulative:
            if draw < bound:
                return kind
        return None


def break_json(content: str) -> str:
    """``content`` cut mid-way so that it no longer parses as JSON."""
    cut = content[: max(1, len(content) // 2)]
    try:
        json.loads(cut)
    except ValueError:
        return cut
    # A cut number ("12" -> "1") still parses; an unterminated object never does.
    return '{"' + cut


def break_schema(request: Mapping[str, Any]) -> str:
    """Valid JSON of the wrong shape for the requested schema."""
    schema = _requested_schema(request)
    wrong = '{"sentiment": "great"}'
    if isinstance(schema, Mapping) and schema.get("type") == "object":
        required = schema.get("required")
        # If "sentiment" is all the schema asks for, that object might fit;
        # an array never fits an object schema.
        if not isinstance(required, list) or set(required) <= {"sentiment"}:
            return '["not", "an", "object"]'
    return wrong


def truncate(content: str) -> str:
    """The first half of ``content``, as a ``max_tokens`` cut-off would leave it."""
    return content[: len(content) // 2]


def _requested_schema(request: Mapping[str, Any]) -> object:
    response_format = request.get("response_format")
    if not isinstance(response_format, Mapping):
        return None
    json_schema = response_format.get("json_schema")
    if not isinstance(json_schema, Mapping):
        return None
    return json_schema.get("schema")
