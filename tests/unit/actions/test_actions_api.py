"""``wom_sdk.actions``: a deliberate public surface, cheap to import."""

from __future__ import annotations

import subprocess
import sys

import wom_sdk.actions

EXPECTED = {
    "URGENT_REASONS", "WEBHOOK_FORMATS", "AlertRun", "AlertState", "Draft", "DraftCheck",
    "HighlightGroup", "HighlightPoint", "Highlights", "QueueEntry", "ReplyQueue", "ReviewAlert",
    "SpikeAlert", "Urgency", "alerts_payload", "check_draft", "draft_description",
    "escape_cell", "find_alerts", "highlights", "post_webhook", "reply_queue", "urgency",
    "urgent_reasons", "webhook_body", "write_queue",
}


def test_exported_names_are_exactly_the_intended_ones() -> None:
    assert set(wom_sdk.actions.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(wom_sdk.actions, name) is not None


def test_import_wom_sdk_does_not_import_actions_or_httpx2() -> None:
    code = ("import sys, wom_sdk.actions; "
            "print([m for m in ('httpx2', 'tenacity', 'openpyxl', 'openai') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"  # the webhook and .xlsx load what they need when used
