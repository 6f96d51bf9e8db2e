"""The report as Markdown: the same numbers and quotes as the HTML, without images.

For pasting into an issue, a wiki or a chat; score histograms are drawn with
text bars instead of charts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from ._html import (
    ALERT_COLUMNS,
    CLUSTER_COLUMNS,
    METHOD_NOTES,
    PRODUCT_COLUMNS,
    alert_row,
    aspects_text,
    cluster_row,
    num,
    pct,
    product_row,
    quote_meta,
    span,
    week_row,
)
from ._types import Quote, ReportData

__all__ = ["md_quote", "md_table", "render_markdown"]


def _md(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _md_quote(q: Quote) -> str:
    meta = quote_meta(q)
    return f"> “{_md(q.text)}”  \n> <sub>{_md(' · '.join(meta))}</sub>\n"


def render_markdown(
    data: ReportData, *, title: str, notes: Sequence[str] = (), sections: Sequence[str] = ()
) -> str:
    """The report as Markdown: the same numbers and quotes, text histograms instead of charts.

    ``sections``: more sections (Markdown text), placed after the complaints.
    """
    t, s = data.totals, data.sentiment
    out = [f"# {title}", "", f"{t.reviews:,} reviews · {span(data)} · made with wom-sdk", ""]
    out += [f"> **Note:** {n}\n" for n in (*notes, *data.notes)]
    out += ["## Totals", ""]
    out += _md_table(
        ["", ""],
        [
            ["Reviews", f"{t.reviews:,}"],
            ["Analyzed", f"{t.analyzed:,}"],
            [
                "Failed",
                f"{t.failed:,} ("
                + (", ".join(f"{k} {v:,}" for k, v in t.failed_by_kind.items()) or "none")
                + ")",
            ],
            ["Languages", ", ".join(f"{k} {v:,}" for k, v in t.languages.items()) or "—"],
            ["Time span", span(data)],
            ["Average score", num(s.mean_score)],
            ["Negative", pct(s.negative_share)],
        ],
    )
    out += ["## Sentiment", ""]
    total = sum(s.label_counts.values())
    out += _md_table(
        ["label", "reviews", "share"],
        [[k, f"{v:,}", pct(v / total if total else None)] for k, v in s.label_counts.items()],
    )
    peak = max(s.histogram) if any(s.histogram) else 1
    out += ["Score histogram:", "", "```"]
    for (lo, hi), n in zip(itertools.pairwise(s.bin_edges), s.histogram, strict=True):
        out.append(f"{lo:+.1f}..{hi:+.1f} {'█' * round(30 * n / peak):<30} {n:,}")
    out += ["```", ""]
    out += ["## Complaints", ""]
    if data.categories:
        out += _md_table(
            [
                "#",
                "theme",
                "complaints",
                "reviews",
                "share",
                "weighted",
                "# by severity",
                "top aspects",
            ],
            [
                [
                    c.rank_by_count,
                    c.category,
                    f"{c.mentions:,}",
                    f"{c.reviews:,}",
                    pct(c.share),
                    f"{c.weighted:,}",
                    c.rank_by_weight,
                    aspects_text(c),
                ]
                for c in data.categories
            ],
        )
        for c in data.categories:
            if c.quotes:
                out += [f"### {c.category}", ""] + [_md_quote(q) for q in c.quotes]
    else:
        out += ["No complaints.", ""]
    if data.clusters is not None:
        out += ["### Aspect clusters (embedding similarity)", ""]
        out += _md_table(CLUSTER_COLUMNS, [cluster_row(cl) for cl in data.clusters])
    out += list(sections)
    if data.products:
        out += ["## Products", ""]
        out += _md_table(PRODUCT_COLUMNS, [product_row(p) for p in data.products])
    if data.weeks:
        out += ["## Over time", ""]
        if data.alerts:
            out += _md_table(list(ALERT_COLUMNS), [alert_row(a) for a in data.alerts])
        else:
            out += ["No alerts.", ""]
        out += [f"*Alert rule.* {data.trend_rule.describe()}", ""]
        out += _md_table(
            ["week", "reviews", "analyzed", "negative", "avg score", "top themes"],
            [week_row(w) for w in data.weeks],
        )
    out += ["## Praise worth quoting", ""]
    out += [_md_quote(q) for q in data.praise] or ["No verbatim praise found.", ""]
    out += ["## Data & method", ""]
    out += [
        f"- {t.requests:,} requests, {t.prompt_tokens:,} prompt + "
        f"{t.completion_tokens:,} completion tokens",
        f"- Quotes not found verbatim: {t.quotes_not_verbatim:,} of {t.quotes_checked:,}",
        *[f"- {m}" for m in METHOD_NOTES],
        "",
    ]
    return "\n".join(out)


#: The building blocks, for the modules that render more sections (``_markdown_analysis``).
md_table, md_quote = _md_table, _md_quote
