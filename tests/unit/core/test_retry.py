"""The retry policy's one reading of Retry-After / Retry-After-ms."""

from __future__ import annotations

import pytest

from wom_sdk._retry import retry_after

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        # milliseconds win over seconds (the precise value; openai-python reads it first)
        ({"retry-after-ms": "1200", "retry-after": "2"}, 1.2),
        # an unreadable or non-finite ms value falls back to the seconds header
        ({"retry-after-ms": "soon", "retry-after": "4"}, 4.0),
        ({"retry-after-ms": "inf", "retry-after": "4"}, 4.0),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "-5"}, 0.0),
        # an HTTP date (RFC 9110): measured from the injected clock
        ({"retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"}, 30.0),
        ({"retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"}, 0.0),  # already past
        # an OpenAI-style duration that some gateways send here
        ({"retry-after": "1m30s"}, 90.0),
        ({"retry-after": "120ms"}, 0.12),
        ({"retry-after": "whenever"}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    got = retry_after(headers, now=lambda: NOW)
    assert got == (pytest.approx(expected) if expected is not None else None)
