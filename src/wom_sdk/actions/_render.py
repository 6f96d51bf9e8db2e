"""Highlights as Markdown (for a marketer) and JSON (for a program), drafts included."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..report._html import pct
from ..report._markdown import _md, _md_quote
from ..report._types import Quote
from ._draft import Draft
from ._highlights import HighlightGroup, Highlights

__all__ = ["HIGHLIGHTS_SCHEMA", "highlights_json", "highlights_markdown", "ranking_rule"]

#: The version of the JSON document's schema.
HIGHLIGHTS_SCHEMA = 1


def ranking_rule(h: Highlights) -> str:
    """How points are chosen and ranked, in one sentence (printed with them)."""
    per_point = (str(h.min_quotes) if h.min_quotes == h.max_quotes
                 else f"{h.min_quotes}-{h.max_quotes}")
    return ("Points are praise themes (aspects normalized as in the report), ranked by the "
            "number of distinct reviews praising them; each quote is verbatim from the review "
            f"it cites, one per review, {per_point} per point (themes with fewer than "
            f"{h.min_quotes} distinct quotes are left out).")


def _group_title(g: HighlightGroup) -> str:
    return g.name if g.name is not None else "All reviews"


def _md_draft(d: Draft) -> list[str]:
    lines = ["#### Draft description", ""]
    if d.text is None:
        lines += [f"_No draft: {_md(d.refused or 'refused')}._", ""]
    else:
        lines += [_md(d.text), "", f"<sub>{_md(d.note)}</sub>", ""]
    if d.dropped:
        lines += ["Sentences dropped by the check:", ""]
        lines += [f"- “{_md(s)}”: {_md(why)}" for s, why in d.dropped]
        lines.append("")
    return lines


def highlights_markdown(h: Highlights, *, source: str,
                        drafts: Mapping[str | None, Draft] | None = None) -> str:
    """The highlights (and any drafts, by group name) as a Markdown page."""
    drafts = drafts or {}
    lines = ["# What customers praise", "",
             f"Source: {_md(source)} · {h.records:,} reviews. {ranking_rule(h)}", ""]
    for g in h.groups:
        lines += [f"## {_md(_group_title(g))}", "",
                  f"{g.reviews:,} reviews, {g.analyzed:,} analyzed, {g.praising:,} with a "
                  f"verbatim praise quote" + (f" ({g.flagged:,} more left out: flagged by the "
                  "review guard)" if g.flagged else "") + ".", ""]
        if not g.points:
            lines += ["_No praised point has enough distinct quotes yet._", ""]
        for rank, p in enumerate(g.points, start=1):
            lines += [f"### {rank}. {_md(p.theme)}: {p.reviews:,} reviews "
                      f"({pct(p.share)} of analyzed)", ""]
            lines += [_md_quote(q) for q in p.quotes]
        if g.left_out:
            lines += [f"<sub>{g.left_out} more praised theme(s) with fewer than "
                      f"{h.min_quotes} distinct quotes.</sub>", ""]
        if g.approximate:
            lines += ["<sub>Very many themes: counts are lower bounds.</sub>", ""]
        if g.name in drafts:
            lines += _md_draft(drafts[g.name])
    lines += [f"<sub>Note: {_md(n)}</sub>\n" for n in h.notes]
    return "\n".join(lines).rstrip("\n") + "\n"


def _quote_dict(q: Quote) -> dict[str, Any]:
    return {"text": q.text, "review_id": q.review_id, "product": q.product,
            "language": q.language}


def _draft_dict(d: Draft) -> dict[str, Any]:
    return {"text": d.text, "language": d.language, "sentences": list(d.sentences),
            "dropped": [{"sentence": s, "reason": why} for s, why in d.dropped],
            "refused": d.refused, "reviews": d.reviews,
            "note": d.note if d.text is not None else None}


def _group_dict(g: HighlightGroup, draft: Draft | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "group": g.name, "reviews": g.reviews, "analyzed": g.analyzed, "praising": g.praising,
        "flagged": g.flagged, "left_out": g.left_out, "approximate": g.approximate,
        "points": [{"rank": i, "theme": p.theme, "reviews": p.reviews,
                    "share": round(p.share, 4), "quotes": [_quote_dict(q) for q in p.quotes]}
                   for i, p in enumerate(g.points, start=1)],
    }
    if draft is not None:
        out["draft"] = _draft_dict(draft)
    return out


def highlights_json(h: Highlights, *, source: str,
                    drafts: Mapping[str | None, Draft] | None = None) -> str:
    """The highlights as one JSON document (``{"wom_highlights": 1, ...}``)."""
    drafts = drafts or {}
    doc = {
        "wom_highlights": HIGHLIGHTS_SCHEMA,
        "source": source,
        "group_by": h.group_by,
        "records": h.records,
        "rule": ranking_rule(h),
        "groups": [_group_dict(g, drafts.get(g.name)) for g in h.groups],
        "notes": list(h.notes),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
