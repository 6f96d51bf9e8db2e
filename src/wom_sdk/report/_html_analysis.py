"""The HTML of the analyses: drivers, the groups side by side, need segments.

Each section is (id, title, HTML) for ``render_html(sections=...)``; the
numbers and their wording are shared with the Markdown (``_markdown_analysis``)
through the row and text functions here.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..types import NeedKind
from ._aggregate import SENTIMENT_LABELS
from ._charts_analysis import outcome_label
from ._html import esc, html_table, img, num, pct, quote_html
from ._types import (
    Comparison,
    Driver,
    DriverSummary,
    GroupSummary,
    NeedSegment,
    NeedsSummary,
    ReportData,
    ThemeDifference,
)

__all__ = [
    "DRIVER_COLUMNS",
    "GROUP_COLUMNS",
    "NEED_KIND_LABELS",
    "SEGMENT_COLUMNS",
    "SHOWN_DIFFERENCES",
    "analysis_sections",
    "comparison_method",
    "difference_lists",
    "difference_text",
    "driver_row",
    "drivers_method",
    "group_row",
    "needs_intro",
    "segment_row",
]

DRIVER_COLUMNS = ("#", "theme", "reviews", "share", "mean with", "mean without", "impact",
                  "95% interval", "priority")
GROUP_COLUMNS = ("group", "reviews", "analyzed", *SENTIMENT_LABELS, "avg score", "avg rating",
                 "top complaint themes", "fix first")
SEGMENT_COLUMNS = ("need", "", "reviews", "share", "negative", "avg score", "avg rating",
                   "top complaints (share here / among all)")
NEED_KIND_LABELS: dict[NeedKind, str] = {"recipient": "bought for", "use": "used for",
                                         "other": "other"}


def _value(x: float, summary: DriverSummary) -> str:
    return num(x, ".2f") if summary.outcome == "rating" else num(x, "+.2f")


def driver_row(d: Driver, summary: DriverSummary) -> list[str]:
    """One row of a drivers table, unescaped."""
    theme = d.theme + (" (approx.)" if d.approximate else "")
    return [str(d.rank), theme, f"{d.reviews:,}", pct(d.share), _value(d.mean_with, summary),
            _value(d.mean_without, summary), num(d.impact), f"[{d.ci_low:+.2f}, {d.ci_high:+.2f}]",
            num(d.priority, "+.3f")]


def drivers_method(s: DriverSummary) -> str:
    what = ("star rating" if s.outcome == "rating"
            else "sentiment score (-1 … +1, to one decimal; fewer than half the reviews are rated)")
    return (f"Outcome: the {what}, over {s.reviews:,} reviews (mean {_value(s.mean or 0, s)}). "
            "Impact = the mean of reviews mentioning the theme minus the mean of the others, "
            f"with a 95% bootstrap interval ({s.resamples:,} resamples of each group, seed "
            f"{s.seed}). Priority = impact × share: how far the theme moves the overall mean. "
            f"Themes need {s.min_reviews} reviews with and without them; {s.skipped} not shown. "
            "An association, not a proof of cause.")


def group_row(g: GroupSummary) -> list[str]:
    """One row of the groups table, unescaped."""
    shares = [pct(g.label_counts.get(label, 0) / g.analyzed if g.analyzed else None)
              for label in SENTIMENT_LABELS]
    first = g.drivers.complaints[0] if g.drivers.complaints else None
    fix = f"{first.theme} ({num(first.impact)})" if first is not None else "—"
    return [g.name + (" (us)" if g.is_us else ""), f"{g.reviews:,}", f"{g.analyzed:,}", *shares,
            num(g.mean_score), num(g.mean_rating, ".2f"),
            ", ".join(f"{t} {pct(share)}" for t, _, share in g.top_complaints) or "—", fix]


#: Differences listed per direction; the rest are counted.
SHOWN_DIFFERENCES = 8


def difference_text(d: ThemeDifference) -> str:
    """"battery complaints: Nimbus 12.0% (30) vs us 31.0% (77); q = 0.004 (z-test)"."""
    what = "complaints" if d.kind == "complaint" else "praise"
    return (f"{d.theme} {what}: {d.them} {pct(d.them_share)} ({d.them_reviews:,}) vs us "
            f"{pct(d.us_share)} ({d.us_reviews:,}); q = {d.q_value:.2g} ({d.test})")


def difference_lists(c: Comparison) -> list[tuple[str, tuple[ThemeDifference, ...], int]]:
    """(heading, the differences shown, how many more) for each direction."""
    out = []
    for title, found in (("Where they beat us", c.they_beat_us),
                         ("Where we beat them", c.we_beat_them)):
        out.append((title, found[:SHOWN_DIFFERENCES], max(0, len(found) - SHOWN_DIFFERENCES)))
    return out


def comparison_method(c: Comparison) -> str:
    missing = f" {c.missing:,} review(s) have no {c.by} value." if c.missing else ""
    hidden = f" {c.hidden_groups} smaller group(s) not shown." if c.hidden_groups else ""
    return (f"Each theme's share of reviews is compared between us and each other group: "
            "two-proportion z-test when every expected count is at least 5, else Fisher's "
            f"exact test; themes with fewer than 5 reviews in both groups are not tested. "
            f"{c.tested:,} tests; a difference is listed when its Benjamini-Hochberg adjusted "
            f"p-value (q) is at most {c.fdr:g}, which keeps the expected share of false "
            f"findings among those listed at {c.fdr:.0%}.{missing}{hidden}")


def segment_row(seg: NeedSegment) -> list[str]:
    """One row of the need segments table, unescaped."""
    top = ", ".join(f"{t} {pct(here)} / {pct(overall)}" for t, _, here, overall
                    in seg.top_complaints) or "—"
    return [seg.tag, NEED_KIND_LABELS[seg.kind], f"{seg.reviews:,}", pct(seg.share),
            pct(seg.negative_share), num(seg.mean_score), num(seg.mean_rating, ".2f"), top]


def needs_intro(n: NeedsSummary) -> str:
    return (f"{n.stated:,} of the {n.asked:,} reviews analyzed for needs say who the product "
            "was bought for or what it is used for, in their own words (tags from a fixed "
            "vocabulary, each backed by a verbatim quote). A review can be in several segments. "
            "Segments are counts of reviews that say so: no profile of any person is built, "
            "and no age, gender or other personal attribute is ever inferred.")


def analysis_sections(data: ReportData, charts: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(id, title, HTML) of each analysis the data has."""
    sections = []
    if data.drivers is not None:
        sections.append(("drivers", "Drivers", _drivers(data.drivers, charts)))
    if data.comparison is not None:
        sections.append(("compare", "Compare", _comparison(data.comparison, charts)))
    if data.needs is not None:
        sections.append(("needs", "Needs", _needs(data.needs)))
    return sections


def _drivers(s: DriverSummary, charts: Mapping[str, str]) -> str:
    parts = [f"<section id='wom-drivers'><h2>What drives the {outcome_label(s)}</h2>"]
    if not s.rows:
        parts.append(f"<p class='muted'>No theme has {s.min_reviews} reviews with it and "
                     "without it yet.</p>")
    parts.append(img(charts, "drivers", "drivers: frequency and impact of each theme"))
    for title, rows in (("Fix first: complaint themes", s.complaints),
                        ("Worth keeping: praised aspects", s.praise)):
        if rows:
            parts.append(f"<h3>{esc(title)}</h3>")
            parts.append(html_table(DRIVER_COLUMNS, [[esc(c) for c in driver_row(d, s)]
                                                     for d in rows], numeric=(0, 2, 3, 4, 5, 6, 8)))
    parts.append(f"<p class='muted'>{esc(drivers_method(s))}</p></section>")
    return "\n".join(parts)


def _comparison(c: Comparison, charts: Mapping[str, str]) -> str:
    parts = [f"<section id='wom-compare'><h2>Side by side: {esc(c.by)}</h2>"]
    if not c.groups:
        parts.append(f"<p class='muted'>No review has a {esc(c.by)} value.</p></section>")
        return "\n".join(parts)
    parts.append(f"<p>“Us” is <b>{esc(c.us)}</b>.</p>")
    parts.append(img(charts, "compare", f"sentiment by {c.by}"))
    parts.append(html_table(GROUP_COLUMNS, [[esc(x) for x in group_row(g)] for g in c.groups],
                            numeric=(1, 2, 3, 4, 5, 6, 7, 8)))
    parts.append(img(charts, "compare_themes", f"complaint themes by {c.by}"))
    for title, found, more in difference_lists(c):
        parts.append(f"<h3>{esc(title)}</h3>")
        if not found:
            parts.append("<p class='muted'>No significant difference.</p>")
        for d in found:
            parts.append(f"<div class='theme'><b>{esc(difference_text(d))}</b>")
            css = "praise" if d.kind == "praise" else ""
            for who, quote in ((d.them, d.quote_them), (f"{c.us} (us)", d.quote_us)):
                if quote is not None:
                    parts.append(f"<div class='meta'>{esc(who)}:</div>" + quote_html(quote, css))
            parts.append("</div>")
        if more:
            parts.append(f"<p class='muted'>… and {more} more (largest gaps shown).</p>")
    parts.append(f"<p class='muted'>{esc(comparison_method(c))}</p></section>")
    return "\n".join(parts)


def _needs(n: NeedsSummary) -> str:
    parts = ["<section id='wom-needs'><h2>Needs: who buys it, and what for</h2>",
             f"<p class='muted'>{esc(needs_intro(n))}</p>"]
    if not n.segments:
        parts.append("<p class='muted'>No review states a need.</p></section>")
        return "\n".join(parts)
    parts.append(html_table(SEGMENT_COLUMNS, [[esc(x) for x in segment_row(s)]
                                              for s in n.segments], numeric=(2, 3, 4, 5, 6)))
    for seg in n.segments:
        parts.append(f"<div class='theme'><b>{esc(seg.tag)}</b> <span class='muted'>"
                     f"{esc(NEED_KIND_LABELS[seg.kind])}, {seg.reviews:,} reviews</span>")
        parts += [quote_html(q, "praise") for q in seg.quotes]
        if seg.complaint_quote is not None:
            top = seg.top_complaints[0][0]
            parts.append(f"<div class='meta'>most frequent complaint here: {esc(top)}</div>")
            parts.append(quote_html(seg.complaint_quote))
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)
