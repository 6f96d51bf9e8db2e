"""What the fake server saw and did, readable from any thread while it runs."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["DEFAULT_MAX_RECORDED", "RecordedRequest", "ServerStats", "StatsRecorder"]

DEFAULT_MAX_RECORDED = 10_000


class RecordedRequest(Mapping[str, Any]):
    """One received request: reads like its JSON body, with the HTTP details attached.

    ``srv.requests[0]["messages"]`` is the body's ``messages``;
    ``srv.requests[0].headers["authorization"]`` is the header that arrived.
    A body that is not a JSON object reads as an empty mapping.
    """

    __slots__ = ("body", "headers", "method", "path", "received_at")

    def __init__(
        self,
        *,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any],
        received_at: float,
    ) -> None:
        self.method = method
        self.path = path
        #: header names lower-cased; repeated headers joined with ", "
        self.headers = headers
        self.body = body
        #: ``time.time()`` when the request was read
        self.received_at = received_at

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.body)

    def __len__(self) -> int:
        return len(self.body)

    def __repr__(self) -> str:
        return f"RecordedRequest({self.method} {self.path}, body={self.body!r})"


@dataclass(frozen=True, slots=True)
class ServerStats:
    """A snapshot of the server's counters."""

    #: HTTP requests received, on every path
    requests: int
    #: responses sent, by status code (dropped and hung requests have none)
    by_status: dict[int, int]
    #: 429 responses, from the limiter or from an injected "429" fault
    rate_limited: int
    #: injected faults actually applied, by kind
    faults: dict[str, int]
    #: estimated tokens of the successful (200) chat and embedding answers
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    #: ``time.time()`` of the first and last request received
    first_request_at: float | None
    last_request_at: float | None
    #: requests admitted and answered 200 on the rate-limited endpoints
    succeeded: int
    #: successes (and their tokens) per minute between the first and the last
    #: admission; (n - 1) / span, so a perfectly paced client measures exactly
    #: its pace. 0 with fewer than two successes.
    achieved_rpm: float
    achieved_tpm: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: status codes become string keys."""
        data = asdict(self)
        data["by_status"] = {str(code): count for code, count in self.by_status.items()}
        return data


class StatsRecorder:
    """Thread-safe counters; the server's loop writes, any thread reads."""

    def __init__(self, max_recorded: int = DEFAULT_MAX_RECORDED) -> None:
        self._lock = threading.Lock()
        self._recorded: deque[RecordedRequest] = deque(maxlen=max_recorded)
        self._requests = 0
        self._by_status: Counter[int] = Counter()
        self._faults: Counter[str] = Counter()
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._first_request_at: float | None = None
        self._last_request_at: float | None = None
        self._succeeded = 0
        self._first_success: float | None = None
        self._first_success_tokens = 0
        self._last_success: float | None = None

    def request(self, recorded: RecordedRequest) -> None:
        with self._lock:
            self._recorded.append(recorded)
            self._requests += 1
            if self._first_request_at is None:
                self._first_request_at = recorded.received_at
            self._last_request_at = recorded.received_at

    def response(self, status: int) -> None:
        with self._lock:
            self._by_status[status] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def success(self, *, admitted_at: float, prompt_tokens: int, completion_tokens: int) -> None:
        """A 200 on a rate-limited endpoint; ``admitted_at`` is ``time.monotonic()``."""
        with self._lock:
            self._succeeded += 1
            self._prompt_tokens += prompt_tokens
            self._completion_tokens += completion_tokens
            if self._first_success is None:
                self._first_success = admitted_at
                self._first_success_tokens = prompt_tokens + completion_tokens
            # Latency jitter can finish requests out of admission order.
            self._last_success = max(admitted_at, self._last_success or admitted_at)

    def recorded(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._recorded)

    def snapshot(self) -> ServerStats:
        with self._lock:
            total_tokens = self._prompt_tokens + self._completion_tokens
            rpm = tpm = 0.0
            if self._first_success is not None and self._last_success is not None:
                span = self._last_success - self._first_success
                if self._succeeded >= 2 and span > 0:
                    rpm = (self._succeeded - 1) / span * 60
                    tpm = (total_tokens - self._first_success_tokens) / span * 60
            return ServerStats(
                requests=self._requests,
                by_status=dict(sorted(self._by_status.items())),
                rate_limited=self._by_status[429],
                faults=dict(sorted(self._faults.items())),
                prompt_tokens=self._prompt_tokens,
                completion_tokens=self._completion_tokens,
                total_tokens=total_tokens,
                first_request_at=self._first_request_at,
                last_request_at=self._last_request_at,
                succeeded=self._succeeded,
                achieved_rpm=rpm,
                achieved_tpm=tpm,
            )
