"""The analyses as Markdown: the same numbers and words as ``_html_analysis``, no charts."""

from __future__ import annotations

from ._charts_analysis import outcome_label
from ._html_analysis import (
    DRIVER_COLUMNS,
    GROUP_COLUMNS,
    NEED_KIND_LABELS,
    SEGMENT_COLUMNS,
    comparison_method,
    difference_lists,
    difference_text,
    driver_row,
    drivers_method,
    group_row,
    needs_intro,
    segment_row,
)
from ._markdown import md_quote, md_table
from ._types import Comparison, DriverSummary, NeedsSummary, ReportData

__all__ = ["analysis_markdown"]


def analysis_markdown(data: ReportData) -> list[str]:
    """Markdown lines of each analysis the data has."""
    out: list[str] = []
    if data.drivers is not None:
        out += _drivers(data.drivers)
    if data.comparison is not None:
        out += _comparison(data.comparison)
    if data.needs is not None:
        out += _needs(data.needs)
    return out


def _drivers(s: DriverSummary) -> list[str]:
    out = [f"## What drives the {outcome_label(s)}", ""]
    for title, rows in (("Fix first: complaint themes", s.complaints),
                        ("Worth keeping: praised aspects", s.praise)):
        if rows:
            out += [f"### {title}", ""]
            out += md_table(DRIVER_COLUMNS, [driver_row(d, s) for d in rows])
    if not s.rows:
        out += [f"No theme has {s.min_reviews} reviews with it and without it yet.", ""]
    return [*out, f"*Method.* {drivers_method(s)}", ""]


def _comparison(c: Comparison) -> list[str]:
    out = [f"## Side by side: {c.by}", ""]
    if not c.groups:
        return [*out, f"No review has a {c.by} value.", ""]
    out += [f"“Us” is **{c.us}**.", ""]
    out += md_table(GROUP_COLUMNS, [group_row(g) for g in c.groups])
    for title, found, more in difference_lists(c):
        out += [f"### {title}", ""]
        if not found:
            out += ["No significant difference.", ""]
        for d in found:
            out += [f"**{difference_text(d)}**", ""]
            for who, quote in ((d.them, d.quote_them), (f"{c.us} (us)", d.quote_us)):
                if quote is not None:
                    out += [f"{who}:", "", md_quote(quote)]
        if more:
            out += [f"… and {more} more (largest gaps shown).", ""]
    return [*out, f"*Method.* {comparison_method(c)}", ""]


def _needs(n: NeedsSummary) -> list[str]:
    out = ["## Needs: who buys it, and what for", "", needs_intro(n), ""]
    if not n.segments:
        return [*out, "No review states a need.", ""]
    out += md_table(SEGMENT_COLUMNS, [segment_row(s) for s in n.segments])
    for seg in n.segments:
        out += [f"### {seg.tag} ({NEED_KIND_LABELS[seg.kind]}, {seg.reviews:,} reviews)", ""]
        out += [md_quote(q) for q in seg.quotes]
        if seg.complaint_quote is not None:
            out += [f"Most frequent complaint here: {seg.top_complaints[0][0]}", "",
                    md_quote(seg.complaint_quote)]
    return out
