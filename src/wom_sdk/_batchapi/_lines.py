"""The files of a batch: request lines in, result lines out.

Input (https://platform.openai.com/docs/guides/batch, "1. Prepare your batch
file"; the same on Azure OpenAI, ``includes/batch/batch-rest.md``): one JSON
object a line, ``{"custom_id", "method": "POST", "url": "/v1/chat/completions",
"body": {...}}``, the body exactly what ``chat.completions.create`` would send.
``custom_id`` is ``"<part>-<k>"``: the k-th unit of that input file, which the
state file maps back to review ids (a pack's positional ids r1, r2... are that
unit's ids in order). Files are cut before they pass the provider's limits on
requests and bytes, and the enqueued-token budget when one is set.

Output and error files ("The per-line object of the batch output and error
files", https://platform.openai.com/docs/api-reference/batch/request-output):
``{"id", "custom_id", "response": {"status_code", "request_id", "body"} | null,
"error": {"code", "message"} | null}``. The error codes of requests that never
ran: ``batch_expired`` (the window ended first), ``batch_cancelled``,
``request_timeout`` (the BatchRequestOutput.error schema of OpenAI's OpenAPI spec).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .._exceptions import (
    APIStatusError,
    AuthenticationError,
    BatchAPIError,
    RateLimitError,
    ServerError,
    WomError,
)
from .._retry import is_retryable
from ._limits import CHAT_ENDPOINT
from ._state import Part, Unit

__all__ = [
    "CANCELLED",
    "LineResult",
    "PartWriter",
    "body_bytes",
    "custom_id",
    "digest",
    "line_error",
    "parse_custom_id",
    "read_results",
    "request_line",
    "retryable",
]

#: The code of requests that never ran because someone cancelled the batch: a
#: decision, not a failure, so those reviews are not sent again. Every other
#: request without an answer (``batch_expired``, ``request_timeout``, a code not
#: documented yet, a line missing or cut) may run again, within the job's bounds.
CANCELLED = "batch_cancelled"
_CUSTOM_ID = re.compile(r"^(\d+)-(\d+)$")


def body_bytes(params: Mapping[str, Any]) -> bytes:
    """The request body as it goes into the file: compact JSON, UTF-8."""
    try:
        return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a product name, say) cannot be UTF-8; escaped it is valid JSON.
        return json.dumps(params, separators=(",", ":")).encode("ascii")


def digest(body: bytes) -> str:
    """What the state file keeps of a body: enough to notice that it changed."""
    return hashlib.sha256(body).hexdigest()[:16]


def custom_id(part: int, k: int) -> str:
    return f"{part}-{k}"


def parse_custom_id(value: object) -> tuple[int, int] | None:
    m = _CUSTOM_ID.match(value) if isinstance(value, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def request_line(cid: str, body: bytes) -> bytes:
    head = json.dumps({"custom_id": cid, "method": "POST", "url": CHAT_ENDPOINT},
                      separators=(",", ":")).encode()
    return head[:-1] + b',"body":' + body + b"}\n"


class PartWriter:
    """Writes units into input files (``folder/.wom-RUN-N.jsonl``), a new file at each limit."""

    def __init__(self, folder: Path, run: str, round_: int, first: int, *,
                 max_requests: int, max_bytes: int, max_tokens: int | None) -> None:
        self.folder = folder
        self.run = run
        self.round = round_
        self.next_number = first
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.max_tokens = max_tokens
        self.parts: list[Part] = []
        self._fh: IO[bytes] | None = None
        self._part: Part | None = None
        self._hash = hashlib.sha256()

    def path(self, part: Part) -> Path:
        return self.folder / f".{part.filename}"

    def add(self, unit: Unit, body: bytes, tokens: int) -> None:
        part = self._part
        size = len(request_line(custom_id(self.next_number, 0), body)) + 8  # ids grow
        if part is not None and (len(part.units) >= self.max_requests
                                 or part.bytes + size > self.max_bytes
                                 or (self.max_tokens is not None
                                     and part.tokens + tokens > self.max_tokens)):
            self.close()
            part = None
        if part is None:
            part = self._open()
        line = request_line(custom_id(part.number, len(part.units)), body)
        assert self._fh is not None
        self._fh.write(line)
        self._hash.update(line)
        unit.digest = digest(body)
        part.units.append(unit)
        part.bytes += len(line)
        part.tokens += tokens

    def _open(self) -> Part:
        number = self.next_number
        self.next_number += 1
        part = Part(number=number, round=self.round, filename=f"wom-{self.run}-{number}.jsonl",
                    units=[], sha256="", bytes=0, tokens=0)
        self._part = part
        self._hash = hashlib.sha256()
        self._fh = self.path(part).open("wb")
        return part

    def close(self) -> None:
        if self._part is None or self._fh is None:
            return
        self._fh.flush()
        self._fh.close()
        self._part.sha256 = self._hash.hexdigest()
        self.parts.append(self._part)
        self._part = None
        self._fh = None

    def abort(self) -> None:
        """Close and delete every file written (planning failed)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        for part in [*self.parts, *([self._part] if self._part else [])]:
            self.path(part).unlink(missing_ok=True)


@dataclass(slots=True)
class LineResult:
    """One line of an output or error file."""

    custom_id: str
    #: the chat completion, when the request was answered (status 200)
    completion: dict[str, Any] | None
    #: else why not, typed
    error: WomError | None


def read_results(path: Path, batch_id: str | None) -> Iterator[LineResult | None]:
    """The lines of a downloaded output or error file; None for one that cannot be read."""
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                cid = obj["custom_id"]
            except (ValueError, TypeError, KeyError):
                yield None  # a cut or garbled line: its review is treated as not answered
                continue
            if not isinstance(cid, str):
                yield None
                continue
            response = obj.get("response") if isinstance(obj, dict) else None
            error = obj.get("error")
            if isinstance(response, dict) and response.get("status_code") == 200 \
                    and isinstance(response.get("body"), dict):
                yield LineResult(cid, response["body"], None)
            elif isinstance(response, dict):
                yield LineResult(cid, None, line_error(response, batch_id))
            else:
                err = error if isinstance(error, dict) else {}
                code = str(err.get("code") or "unknown")
                yield LineResult(cid, None, BatchAPIError(
                    f"the batch did not run this request ({code}): "
                    f"{str(err.get('message') or '')[:300]}", code=code, batch_id=batch_id))


def line_error(response: Mapping[str, Any], batch_id: str | None) -> WomError:
    """The typed error of a request the batch answered with an HTTP error status."""
    status = response.get("status_code")
    body = response.get("body")
    detail = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = str(body["error"].get("message") or "")[:300]
    if not isinstance(status, int):
        return BatchAPIError(f"the batch returned a line without a status: {detail}",
                             code="invalid_line", batch_id=batch_id)
    request_id = response.get("request_id")
    rid = str(request_id) if request_id is not None else None
    text = json.dumps(body)[:2000] if body is not None else None
    message = f"the batch answered {status} for this review: {detail}"
    if status in (401, 403):
        return AuthenticationError(message, status_code=status, request_id=rid, body=text)
    if status == 429:
        return RateLimitError(message, status_code=status, request_id=rid, body=text)
    if status >= 500:
        return ServerError(message, status_code=status, request_id=rid, body=text)
    return APIStatusError(message, status_code=status, request_id=rid, body=text)


def retryable(error: WomError) -> bool:
    """Whether a request that failed this way may succeed when sent again."""
    if isinstance(error, BatchAPIError):
        return error.code != CANCELLED
    return is_retryable(error)
