"""``/v1/files``: upload (multipart), list, retrieve, content, delete. No I/O here.

The shapes follow OpenAI's Files API as openai-python models them
(``openai/types/file_object.py``: ``id``, ``object: "file"``, ``bytes``,
``created_at``, ``filename``, ``purpose``, ``status``, ``expires_at``) and its
``files.list`` parameters (``resources/files.py``: ``purpose``, ``order``
``asc``/``desc`` by ``created_at``, ``limit`` 1..10,000 (default 10,000),
``after`` a file id). The Batch API takes only ``.jsonl`` files of at most 200 MB
(``files.create``'s docstring in openai-python; the API reference's "Create
batch": https://platform.openai.com/docs/api-reference/batch/create).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["PURPOSES", "FileStore", "StoredFile", "parse_multipart"]

#: ``FilePurpose`` of openai-python (``types/file_purpose.py``) plus the outputs' own.
PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_DISPOSITION = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a ``multipart/form-data`` body: name -> (filename, value).

    Hand-written (the standard library's ``email`` parser copies a 100 MB body
    several times over); enough for what HTTP clients send (RFC 7578).
    """
    m = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/form-data") or m is None:
        raise ValueError("expected a multipart/form-data body with a boundary")
    delimiter = b"--" + m.group(1).encode("latin-1")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a multipart part without headers")
        params: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, rest = line.partition(":")
            if name.strip().lower() == "content-disposition":
                params = dict(_DISPOSITION.findall(rest))
        if "name" in params:
            fields[params["name"]] = (params.get("filename"), value.removesuffix(b"\r\n"))
    return fields


class FileStore:
    """The files of one fake server, in memory."""

    def __init__(self, clock: Callable[[], float], max_batch_bytes: int) -> None:
        self._clock = clock
        self._max_batch_bytes = max_batch_bytes
        self._files: dict[str, StoredFile] = {}
        self._ids = itertools.count(1)

    def add(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        stored = StoredFile(f"file-{next(self._ids):024x}", filename, purpose, data,
                            int(self._clock()))
        self._files[stored.id] = stored
        return stored

    def __len__(self) -> int:
        return len(self._files)

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    # -- the endpoints: (status, JSON payload) or (status, raw bytes) -------------------
    def upload(self, content_type: str, body: bytes) -> tuple[int, Mapping[str, object]]:
        try:
            fields = parse_multipart(content_type, body)
        except ValueError as exc:
            return 400, _error(str(exc))
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
        filename, data = fields.get("file", (None, b""))
        if "file" not in fields:
            return 400, _error("'file' is a required property", param="file")
        if purpose not in PURPOSES:
            return 400, _error(f"'{purpose}' is not one of {sorted(PURPOSES)} - 'purpose'",
                               param="purpose")
        name = filename or "upload"
        if purpose == "batch":
            if not name.endswith(".jsonl"):
                return 400, _error("Invalid file format for Batch API. Must be .jsonl",
                                   param="file")
            if len(data) > self._max_batch_bytes:
                return 400, _error(f"File is too large: {len(data)} bytes; the Batch API "
                                   f"takes at most {self._max_batch_bytes}", param="file")
        return 200, self.add(name, purpose, data).to_json()

    def retrieve(self, file_id: str) -> tuple[int, Mapping[str, object]]:
        stored = self._files.get(file_id)
        if stored is None:
            return 404, _missing(file_id)
        return 200, stored.to_json()

    def content(self, file_id: str) -> tuple[int, Mapping[str, object] | bytes]:
        stored = self._files.get(file_id)
        if stored is None:
            return 404, _missing(file_id)
        return 200, stored.data

    def delete(self, file_id: str) -> tuple[int, Mapping[str, object]]:
        if self._files.pop(file_id, None) is None:
            return 404, _missing(file_id)
        return 200, {"id": file_id, "object": "file", "deleted": True}

    def listing(self, query: Mapping[str, str]) -> tuple[int, Mapping[str, object]]:
        try:
            limit = int(query.get("limit", "10000"))
        except ValueError:
            return 400, _error("limit must be an integer", param="limit")
        if not 1 <= limit <= 10_000:
            return 400, _error("limit must be between 1 and 10000", param="limit")
        items = sorted(self._files.values(), key=lambda f: (f.created_at, f.id),
                       reverse=query.get("order", "desc") != "asc")
        if "purpose" in query:
            items = [f for f in items if f.purpose == query["purpose"]]
        return 200, page([f.to_json() for f in items], query.get("after"), limit)


def page(items: list[dict[str, object]], after: str | None, limit: int) -> dict[str, object]:
    """One page of a cursor-paginated list (``after`` = the last id of the previous page)."""
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1:] if after in ids else []
    data = items[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(items) > limit,
    }


def _error(message: str, *, param: str | None = None,
           code: str | None = None) -> dict[str, object]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param,
                      "code": code}}


def _missing(file_id: str) -> dict[str, object]:
    return _error(f"No such File object: {file_id}", param="id")
