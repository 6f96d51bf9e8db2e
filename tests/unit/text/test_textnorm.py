"""Language tags: one spelling of "unknown", primary subtags only."""

from __future__ import annotations

import pytest

from wom_sdk._constants import UNKNOWN_LANGUAGE
from wom_sdk.text._guard import detect_language
from wom_sdk.text._textnorm import primary_language


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en-US", "en"), ("EN_gb", "en"), (" zh-Hans-CN ", "zh"), ("ja", "ja"),
     ("", "und"), (None, "und"), ("unknown", "und"), ("Unknown", "und"), ("und", "und")],
)
def test_primary_language(tag: str | None, expected: str) -> None:
    assert primary_language(tag) == expected


def test_the_guard_and_the_results_say_unknown_the_same_way() -> None:
    assert UNKNOWN_LANGUAGE == "und"  # BCP 47's "undetermined"
    assert detect_language("👍👍 123") == UNKNOWN_LANGUAGE
