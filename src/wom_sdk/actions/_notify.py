"""Alerts as text, as a documented JSON payload, and as chat incoming-webhook messages.

The payload (``alerts_payload``; the README documents it field by field)::

    {"wom_alerts": 1, "source": "out.jsonl", "new": 3, "reviews_new": 2,
     "spikes_new": 1, "known": 0, "records": 120, "summary": "wom alerts: ...",
     "alerts": [{"kind": "review", "key": "review:r31", "id": "r31", ...},
                {"kind": "spike", "key": "spike:2024-W19:battery", ...}],
     "trend_rule": "A week is checked when ..."}

Review text (the review and its complaint quotes) is in it only when the run
was asked to include it (``find_alerts(include_text=True)``): the default
payload can go to a chat room without leaking what a customer wrote. Everything
is in a fixed order: the same alerts give the same bytes.
"""

from __future__ import annotations

from typing import Any

from ..report._html import pct
from ._alerts import AlertRun, ReviewAlert, SpikeAlert

__all__ = [
    "CHAT_LINES",
    "PAYLOAD_SCHEMA",
    "alert_lines",
    "alerts_payload",
    "summary_line",
]

#: The version of the payload's schema.
PAYLOAD_SCHEMA = 1
#: Lines of alerts a chat message carries; the rest are counted ("... and N more").
CHAT_LINES = 20
_TEXT_CHARS = 200


def summary_line(run: AlertRun, source: str) -> str:
    """``wom alerts: 3 new in out.jsonl: 2 reviews need a response now, 1 weekly spike``."""
    if not run.new:
        return f"wom alerts: nothing new in {source} ({run.known} raised before)"
    parts = []
    if run.reviews_new:
        s = "review needs" if run.reviews_new == 1 else "reviews need"
        parts.append(f"{run.reviews_new} {s} a response now")
    if run.spikes:
        parts.append(f"{len(run.spikes)} weekly spike{'s' if len(run.spikes) > 1 else ''}")
    return f"wom alerts: {run.new} new in {source}: " + ", ".join(parts)


def _one_line(text: str, limit: int = _TEXT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _review_line(a: ReviewAlert) -> str:
    about = [x for x in (a.product, a.date) if x]
    if a.rating is not None:
        about.append(f"{a.rating:g}★")
    where = f" ({', '.join(about)})" if about else ""
    line = f"review {a.id or a.key}{where}: {', '.join(a.reasons)}"
    if a.text is not None:
        line += f" — “{_one_line(a.text)}”"
    return line


def _spike_line(s: SpikeAlert) -> str:
    a = s.alert
    return (f"spike {s.week}: {a.metric} {pct(a.share)} of {a.total} reviews ({a.count}), "
            f"baseline {pct(a.baseline)}, alert at {pct(a.threshold)}")


def alert_lines(run: AlertRun) -> list[str]:
    """One line per alert: reviews (most urgent first), a count of those left out, spikes."""
    lines = [_review_line(a) for a in run.reviews]
    left_out = run.reviews_new - len(run.reviews)
    if left_out > 0:
        lines.append(f"... and {left_out} more review(s) that need a response now "
                     "(`wom queue` lists them all)")
    lines += [_spike_line(s) for s in run.spikes]
    return lines


def _review_dict(a: ReviewAlert) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "review",
        "key": a.key,
        "id": a.id,
        "product": a.product,
        "date": a.date,
        "rating": a.rating,
        "reasons": list(a.reasons),
        "score": a.score,
        "sentiment": a.sentiment,
        "categories": list(a.categories),
        "needs_human_review": a.needs_human_review,
    }
    if a.text is not None:
        out["text"] = a.text
        out["quotes"] = list(a.quotes)
    return out


def _spike_dict(s: SpikeAlert) -> dict[str, Any]:
    a = s.alert
    return {
        "kind": "spike",
        "key": s.key,
        "week": s.week,
        "week_start": a.week.isoformat(),
        "metric": a.metric,
        "share": round(a.share, 4),
        "baseline": round(a.baseline, 4),
        "threshold": round(a.threshold, 4),
        "count": a.count,
        "total": a.total,
    }


def alerts_payload(run: AlertRun, source: str) -> dict[str, Any]:
    """The documented JSON payload of a run (module docstring)."""
    lines = alert_lines(run)
    summary = "\n".join([summary_line(run, source), *lines[:CHAT_LINES]])
    if len(lines) > CHAT_LINES:
        summary += f"\n... {len(lines) - CHAT_LINES} more line(s) in the full payload"
    return {
        "wom_alerts": PAYLOAD_SCHEMA,
        "source": source,
        "new": run.new,
        "reviews_new": run.reviews_new,
        "spikes_new": len(run.spikes),
        "known": run.known,
        "records": run.records,
        "summary": summary,
        "alerts": [*map(_review_dict, run.reviews), *map(_spike_dict, run.spikes)],
        "trend_rule": run.trend_rule.describe(),
    }
