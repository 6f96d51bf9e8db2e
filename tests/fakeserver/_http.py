"""Just enough HTTP/1.1 over asyncio streams: keep-alive, Content-Length and chunked bodies.

Hand-written rather than http.server (thread per connection, too slow for an
overhead benchmark) or a framework (an extra dependency in the SDK's wheel).
Only what OpenAI clients send is supported; anything else gets a 4xx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

__all__ = ["HttpError", "HttpRequest", "read_request", "render_response"]

#: A Batch API input file may be 200 MB (https://platform.openai.com/docs/guides/batch),
#: plus the multipart framing around it.
MAX_BODY = 256 * 1024 * 1024

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    #: names lower-cased; repeated headers joined with ", "
    headers: dict[str, str]
    body: bytes
    keep_alive: bool
    #: the query string's parameters (the last value of a repeated name)
    query: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """The request cannot be read; answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_request(
    reader: asyncio.StreamReader, max_body: int = MAX_BODY
) -> HttpRequest | None:
    """The next request on the connection, or None if the client closed it cleanly."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise HttpError(400, "connection closed mid-request") from None
        return None
    except asyncio.LimitOverrunError:
        raise HttpError(431, "request head too large") from None
    # RFC 9112 asks servers to skip empty lines before the request line.
    lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        raise HttpError(400, f"malformed request line {lines[0]!r}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpError(400, f"malformed header line {line!r}")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value

    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader, max_body)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise HttpError(400, "invalid content-length") from None
        if length < 0 or length > max_body:
            raise HttpError(413, "request body too large")
        body = await reader.readexactly(length) if length else b""

    connection = headers.get("connection", "").lower()
    # HTTP/1.1 keeps connections open unless told otherwise; HTTP/1.0 the reverse.
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    path, _, query = target.partition("?")
    return HttpRequest(method.upper(), path, headers, body, keep_alive, dict(parse_qsl(query)))


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    parts: list[bytes] = []
    size_total = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise HttpError(400, "malformed chunk size") from None
        if size == 0:
            # Trailers, if any, end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        size_total += size
        if size_total > max_body:
            raise HttpError(413, "request body too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def render_response(
    status: int,
    body: bytes,
    headers: Iterable[tuple[str, str]] = (),
    *,
    keep_alive: bool = True,
    content_type: str = "application/json",
) -> bytes:
    """A complete HTTP/1.1 response, ready to write."""
    head = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}",
        f"content-type: {content_type}",
        f"content-length: {len(body)}",
    ]
    head.extend(f"{name}: {value}" for name, value in headers)
    if not keep_alive:
        head.append("connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
