"""From insight to action: alerts to raise, a reply queue to work, praise a marketer may quote.

    >>> from wom_sdk.actions import AlertState, find_alerts, highlights, reply_queue
    >>> run = find_alerts("out.jsonl", state=AlertState.load("alerts.json"))  # doctest: +SKIP
    >>> highlights("out.jsonl", group_by="product").groups[0].points          # doctest: +SKIP
    >>> write_queue(reply_queue("out.jsonl"), "queue.csv")                    # doctest: +SKIP

A package of its own, beside ``report``: the report turns results into a
document to read; these turn them into things to do (``wom alerts``, ``wom
queue``, ``wom highlights``). They build on the report's rules (the trend
rule, aspect themes, verbatim quotes) and stream the results the same way.
"""

from __future__ import annotations

from ._alerts import AlertRun, AlertState, ReviewAlert, SpikeAlert, find_alerts
from ._draft import Draft, DraftCheck, check_draft, draft_description
from ._highlights import HighlightGroup, HighlightPoint, Highlights, highlights
from ._notify import alerts_payload
from ._queue import QueueEntry, ReplyQueue, escape_cell, reply_queue, write_queue
from ._urgency import URGENT_REASONS, Urgency, urgency, urgent_reasons
from ._webhook import WEBHOOK_FORMATS, post_webhook, webhook_body

__all__ = [
    "URGENT_REASONS",
    "WEBHOOK_FORMATS",
    "AlertRun",
    "AlertState",
    "Draft",
    "DraftCheck",
    "HighlightGroup",
    "HighlightPoint",
    "Highlights",
    "QueueEntry",
    "ReplyQueue",
    "ReviewAlert",
    "SpikeAlert",
    "Urgency",
    "alerts_payload",
    "check_draft",
    "draft_description",
    "escape_cell",
    "find_alerts",
    "highlights",
    "post_webhook",
    "reply_queue",
    "urgency",
    "urgent_reasons",
    "webhook_body",
    "write_queue",
]
