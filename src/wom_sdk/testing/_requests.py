"""What the analyzer sent: ``RecordedRequest`` and the parts tests usually look at."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .._tasks import SECTION_NAMES

__all__ = ["ONE_FIELD_TASKS", "RecordedRequest"]

_REVIEW_BLOCK = re.compile(r'<review-(\w+)(?: id="([^"]*)")?>\n(.*?)\n</review-\1>', re.S)
# Lines the built-in prompts put before a review's text (prompts/_base.jinja, analyze_pack.jinja).
_CONTEXT_LINE = ("Product: ", "Star rating: ")
_SCHEMA_MARK = "JSON Schema:"
_Task = Literal["analyze", "analyze_pack", "sentiment", "complaints", "reply", "needs"]
ONE_FIELD_TASKS: tuple[_Task, ...] = ("complaints", "reply", "needs")  # and the language


@dataclass(frozen=True)
class RecordedRequest:
    """One request the analyzer sent, with the parts tests usually look at."""

    #: the JSON body: model, messages, response_format, max_tokens, ...
    body: dict[str, Any]
    #: request headers, lower-case names
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages: system, user, then any re-ask turns."""
        return list(self.body.get("messages") or [])

    @property
    def system_prompt(self) -> str:
        """The system message's text."""
        return next((str(m["content"]) for m in self.messages if m.get("role") == "system"), "")

    @property
    def reviews(self) -> list[str]:
        """The review texts in the prompt, as the model saw them (cleaned, redacted)."""
        return [text for _, text in self._review_blocks()]

    @property
    def review_ids(self) -> list[str | None]:
        """The ids of packed reviews (``pack=N``), parallel to ``reviews``; None when single."""
        return [rid for rid, _ in self._review_blocks()]

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema the answer must match (``response_format``, the tool, or the prompt)."""
        tools = self.body.get("tools") or []
        if tools and isinstance(tools[0].get("function", {}).get("parameters"), dict):
            return dict(tools[0]["function"]["parameters"])
        fmt = self.body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return dict(fmt.get("json_schema", {}).get("schema") or {})
        if isinstance(fmt.get("schema"), dict):
            return dict(fmt["schema"])
        system = self.system_prompt
        at = system.find(_SCHEMA_MARK)
        if at < 0 or "{" not in system[at:]:
            return None
        try:
            found, _ = json.JSONDecoder().raw_decode(system, system.index("{", at))
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    @property
    def task(self) -> _Task | None:
        """Which task the request asks for, told by the fields of its schema."""
        props = (self.schema or {}).get("properties", {})
        if "results" in props:
            return "analyze_pack"
        if "sentiment" in props:
            return "analyze"
        if "confidence" in props:
            return "sentiment"
        return next((task for task in ONE_FIELD_TASKS if task in props), None)

    @property
    def sections(self) -> tuple[str, ...]:
        """The optional sections an ``analyze`` request asks for (``include=``), e.g. ("needs",)."""
        schema = json.dumps(self.schema) if self.task in ("analyze", "analyze_pack") else ""
        return tuple(name for name in SECTION_NAMES if f'"{name}"' in schema)

    def _review_blocks(self) -> list[tuple[str | None, str]]:
        for m in self.messages:
            if m.get("role") != "user":
                continue
            blocks = _REVIEW_BLOCK.findall(str(m.get("content", "")))
            if blocks:
                return [(rid or None, _strip_context(text)) for _, rid, text in blocks]
        return []


def _strip_context(block: str) -> str:
    lines = block.split("\n")
    while lines and lines[0].startswith(_CONTEXT_LINE):
        lines.pop(0)
    return "\n".join(lines)
