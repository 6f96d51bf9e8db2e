"""Turning ``ReportData`` into one self-contained HTML page (plus the number
formatting that ``_report_markdown`` shares, so both show the same figures).

The HTML has no external resource of any kind (no CDN, font, script or
stylesheet link): charts are inline PNG data URIs and the CSS is inline, so the
file opens in any browser, offline, and can be mailed as is. Nothing in it
depends on the clock, so the same data gives byte-identical output.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

from .._constants import UNKNOWN_LANGUAGE
from ._aggregate import SEVERITY_WEIGHTS
from ._trend import Alert
from ._types import (
    AspectCluster,
    CategorySummary,
    ProductSummary,
    Quote,
    ReportData,
    WeekSummary,
)

__all__ = [
    "ALERT_COLUMNS",
    "CLUSTER_COLUMNS",
    "METHOD_NOTES",
    "PRODUCT_COLUMNS",
    "alert_row",
    "aspects_text",
    "cluster_row",
    "esc",
    "html_table",
    "img",
    "num",
    "pct",
    "product_row",
    "quote_html",
    "render_html",
    "span",
    "week_row",
]

_CSS = """
.wom-report { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
  "PingFang SC", "Microsoft YaHei", sans-serif; color: #1f2933; line-height: 1.5;
  max-width: 1040px; margin: 0 auto; padding: 24px; }
.wom-report h1 { font-size: 1.7em; margin: 0 0 4px; }
.wom-report h2 { font-size: 1.3em; margin: 32px 0 8px; padding-bottom: 4px;
  border-bottom: 2px solid #e4e7eb; }
.wom-report h3 { font-size: 1.05em; margin: 18px 0 6px; }
.wom-report .sub { color: #616e7c; margin: 0 0 12px; }
.wom-report nav a { margin-right: 14px; color: #3d5a80; text-decoration: none; }
.wom-report .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr));
  gap: 10px; margin: 12px 0; }
.wom-report .card { background: #f5f7fa; border-radius: 8px; padding: 10px 14px; }
.wom-report .card .v { font-size: 1.45em; font-weight: 700; }
.wom-report .card .k { color: #616e7c; font-size: 0.85em; }
.wom-report table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 0.9em; }
.wom-report th, .wom-report td { border-bottom: 1px solid #e4e7eb; padding: 5px 8px;
  text-align: left; vertical-align: top; }
.wom-report th { background: #f5f7fa; }
.wom-report table.kv th { width: 28%; background: none; font-weight: 600; }
.wom-report td.n, .wom-report th.n { text-align: right; font-variant-numeric: tabular-nums; }
.wom-report img { max-width: 100%; height: auto; display: block; margin: 8px 0; }
.wom-report blockquote { margin: 6px 0; padding: 6px 12px; border-left: 4px solid #98c1d9;
  background: #f8fafc; }
.wom-report blockquote.praise { border-left-color: #2e9e6b; }
.wom-report .meta { color: #616e7c; font-size: 0.8em; }
.wom-report .alert { background: #fdecee; border-left: 4px solid #d1495b; padding: 8px 12px;
  margin: 8px 0; }
.wom-report .note { background: #fff8e6; border-left: 4px solid #edae49; padding: 8px 12px;
  margin: 8px 0; }
.wom-report .theme { margin: 10px 0 18px; }
.wom-report .sev-high { color: #d1495b; font-weight: 600; }
.wom-report .muted { color: #616e7c; }
"""

_SECTIONS = (
    ("totals", "Totals"),
    ("sentiment", "Sentiment"),
    ("complaints", "Complaints"),
    ("products", "Products"),
    ("trends", "Over time"),
    ("praise", "Praise"),
    ("quality", "Data & method"),
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100.0 * value:.1f}%"


def num(value: float | None, fmt: str = "+.2f") -> str:
    return "—" if value is None else format(value, fmt)


def span(data: ReportData) -> str:
    t = data.totals
    if t.first_date is None or t.last_date is None:
        return "no dates"
    return f"{t.first_date.isoformat()} – {t.last_date.isoformat()}"


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()
) -> str:
    head = "".join(
        f"<th class='n'>{_e(h)}</th>" if i in numeric else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv_table(rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='kv'><tbody>{body}</tbody></table>"


def _img(charts: Mapping[str, str], key: str, alt: str) -> str:
    uri = charts.get(key)
    return f"<img src='{uri}' alt='{_e(alt)}'>" if uri else ""


def quote_meta(q: Quote) -> list[str]:
    """What the report says under a quote (aspect, severity, product, review id), unescaped."""
    meta = [f"aspect: {q.aspect}"]
    if q.severity:
        meta.append(f"severity: {q.severity}")
    if q.product:
        meta.append(f"product: {q.product}")
    if q.review_id:
        meta.append(f"review {q.review_id}")
    return meta


def _quote_html(q: Quote, css: str = "") -> str:
    meta = [_e(m) for m in quote_meta(q)]
    lang = f" lang='{_e(q.language)}'" if q.language and q.language != UNKNOWN_LANGUAGE else ""
    cls = f" class='{css}'" if css else ""
    return (
        f"<blockquote{cls}{lang}>&ldquo;{_e(q.text)}&rdquo;"
        f"<div class='meta'>{' · '.join(meta)}</div></blockquote>"
    )


#: The per-product table, shared by the HTML and Markdown renderings.
PRODUCT_COLUMNS = (
    "product",
    "reviews",
    "analyzed",
    "failed",
    "avg score",
    "negative",
    "complaints",
    "top themes",
)
CLUSTER_COLUMNS = ("cluster", "complaints", "aspects")


def product_row(p: ProductSummary) -> list[str]:
    """One row of the per-product table, unescaped."""
    return [
        p.product,
        f"{p.reviews:,}",
        f"{p.analyzed:,}",
        f"{p.failed:,}",
        num(p.mean_score),
        pct(p.negative_share),
        f"{p.complaints:,}",
        ", ".join(f"{k} ({v})" for k, v in p.top_categories),
    ]


def cluster_row(cl: AspectCluster) -> list[str]:
    """One row of the aspect-cluster table, unescaped."""
    return [cl.label, f"{cl.count:,}", ", ".join(f"{a} ({n})" for a, n in cl.aspects)]


#: The alerts table, shared like the per-product one.
ALERT_COLUMNS = ("week", "what", "share", "baseline", "threshold", "count", "analyzed")


def alert_row(a: Alert) -> list[str]:
    """One row of the alerts table, unescaped."""
    return [
        a.week_label,
        a.metric,
        pct(a.share),
        pct(a.baseline),
        pct(a.threshold),
        f"{a.count:,}",
        f"{a.total:,}",
    ]


def week_row(w: WeekSummary) -> list[str]:
    """One row of the weekly table, unescaped."""
    return [
        w.label,
        f"{w.reviews:,}",
        f"{w.analyzed:,}",
        pct(w.negative_share),
        num(w.mean_score),
        ", ".join(f"{k} {v}" for k, v in list(w.categories.items())[:3]),
    ]


def aspects_text(cat: CategorySummary) -> str:
    text = ", ".join(f"{a} ({n})" for a, n in cat.top_aspects)
    return text + (" (approx.)" if cat.aspects_approximate else "")


def render_html(
    data: ReportData,
    charts: Mapping[str, str],
    *,
    title: str,
    notes: Sequence[str] = (),
    fragment: bool = False,
    sections: Sequence[tuple[str, str, str]] = (),
) -> str:
    """The report as an HTML document (or a ``<div>`` for Jupyter with ``fragment``).

    ``sections``: (id, title, HTML) of more sections, placed after the complaints.
    """
    t, s = data.totals, data.sentiment
    nav = [*_SECTIONS[:3], *((key, title) for key, title, _ in sections), *_SECTIONS[3:]]
    parts: list[str] = [
        f"<style>{_CSS}</style>" if fragment else "",
        "<div class='wom-report'>",
        f"<header><h1>{_e(title)}</h1>",
        f"<p class='sub'>{t.reviews:,} reviews · {_e(span(data))} · made with wom-sdk</p>",
        "<nav>" + "".join(f"<a href='#wom-{k}'>{_e(v)}</a>" for k, v in nav) + "</nav>",
        "</header>",
    ]
    for note in (*notes, *data.notes):
        parts.append(f"<div class='note'>{_e(note)}</div>")

    # Totals
    cards = [
        ("reviews", f"{t.reviews:,}"),
        ("analyzed", f"{t.analyzed:,}"),
        ("failed", f"{t.failed:,}"),
        ("average score", num(s.mean_score)),
        ("negative", pct(s.negative_share)),
        ("alerts", f"{len(data.alerts)}"),
    ]
    parts.append("<section id='wom-totals'><h2>Totals</h2><div class='cards'>")
    parts += [
        f"<div class='card'><div class='v'>{_e(v)}</div><div class='k'>{_e(k)}</div></div>"
        for k, v in cards
    ]
    parts.append("</div>")
    langs = ", ".join(f"{_e(k)} {v:,}" for k, v in t.languages.items()) or "—"
    failed = ", ".join(f"{_e(k)} {v:,}" for k, v in t.failed_by_kind.items()) or "none"
    time_span = _e(span(data)) + (f" ({t.dated:,} dated reviews)" if t.dated else "")
    parts.append(
        _kv_table(
            [
                ("Languages", langs),
                ("Failed, by kind", failed),
                ("Time span", time_span),
            ]
        )
    )
    if data.alerts:
        latest = data.alerts[0]
        parts.append(
            f"<div class='alert'><b>{len(data.alerts)} trend alert(s)</b>, latest: "
            f"{_e(latest.week_label)} {_e(latest.metric)} at {pct(latest.share)} "
            f"(baseline {pct(latest.baseline)}). <a href='#wom-trends'>Details</a></div>"
        )
    parts.append("</section>")

    # Sentiment
    parts.append("<section id='wom-sentiment'><h2>Sentiment</h2>")
    parts.append(_img(charts, "sentiment", "sentiment labels and score histogram"))
    total = sum(s.label_counts.values())
    parts.append(
        _table(
            ["label", "reviews", "share"],
            [
                [_e(k), f"{v:,}", pct(v / total if total else None)]
                for k, v in s.label_counts.items()
            ],
            numeric=(1, 2),
        )
    )
    parts.append(
        f"<p>Average score {num(s.mean_score)} (−1 … +1); "
        f"{pct(s.negative_share)} of analyzed reviews are negative.</p>"
    )
    if s.rating_counts:
        ratings = ", ".join(f"{_e(k)}★ {v:,}" for k, v in s.rating_counts.items())
        parts.append(
            f"<p>Ratings: {ratings}; average {num(s.mean_rating, '.2f')}. "
            f"{s.rating_mismatches:,} review(s) where the rating and the sentiment disagree "
            "(≤2★ but positive, or ≥4★ but negative).</p>"
        )
    parts.append("</section>")

    # Complaints
    parts.append("<section id='wom-complaints'><h2>Complaints</h2>")
    if not data.categories:
        parts.append("<p class='muted'>No complaints.</p>")
    else:
        parts.append(_img(charts, "categories", "complaint themes by count and severity"))
        rows = []
        for c in data.categories:
            sev = " / ".join(str(c.severity_counts[k]) for k in SEVERITY_WEIGHTS)
            rows.append(
                [
                    str(c.rank_by_count),
                    _e(c.category),
                    f"{c.mentions:,}",
                    f"{c.reviews:,}",
                    pct(c.share),
                    f"{c.weighted:,}",
                    str(c.rank_by_weight),
                    sev,
                    _e(aspects_text(c)),
                ]
            )
        parts.append(
            _table(
                [
                    "#",
                    "theme",
                    "complaints",
                    "reviews",
                    "share of reviews",
                    "severity-weighted",
                    "# by severity",
                    "low / medium / high",
                    "top aspects",
                ],
                rows,
                numeric=(0, 2, 3, 4, 5, 6),
            )
        )
        parts.append(_img(charts, "aspects", "most frequent complaint aspects"))
        parts.append("<h3>What customers say, by theme</h3>")
        for c in data.categories:
            parts.append(
                f"<div class='theme'><b>{_e(c.category)}</b> "
                f"<span class='muted'>{c.mentions:,} complaints in {c.reviews:,} reviews "
                f"({pct(c.share)})</span>"
            )
            parts += [_quote_html(q) for q in c.quotes]
            parts.append("</div>")
    if data.clusters is not None:
        parts.append("<h3>Aspect clusters (embedding similarity)</h3>")
        parts.append(
            _table(
                list(CLUSTER_COLUMNS),
                [[_e(x) for x in cluster_row(cl)] for cl in data.clusters],
                numeric=(1,),
            )
        )
    parts.append("</section>")
    parts += [html_ for _, _, html_ in sections]

    # Products
    parts.append("<section id='wom-products'><h2>Products</h2>")
    if not data.products:
        parts.append("<p class='muted'>The records have no product field.</p>")
    else:
        if data.products_total > len(data.products):
            parts.append(
                f"<p class='muted'>The {len(data.products)} products with the most "
                f"reviews, of {data.products_total}.</p>"
            )
        parts.append(
            _table(
                list(PRODUCT_COLUMNS),
                [[_e(x) for x in product_row(p)] for p in data.products],
                numeric=(1, 2, 3, 4, 5, 6),
            )
        )
        parts.append(_img(charts, "products", "negative share per product"))
    parts.append("</section>")

    # Trends
    parts.append("<section id='wom-trends'><h2>Over time</h2>")
    if not data.weeks:
        parts.append("<p class='muted'>The records have no date field.</p>")
    else:
        parts.append(_img(charts, "weeks", "weekly negative share and complaint themes"))
        if data.alerts:
            parts.append("<h3>Alerts</h3>")
            parts.append(
                _table(
                    list(ALERT_COLUMNS),
                    [[_e(x) for x in alert_row(a)] for a in data.alerts],
                    numeric=(2, 3, 4, 5, 6),
                )
            )
        else:
            parts.append("<p>No alerts.</p>")
        parts.append(f"<p class='muted'><b>Alert rule.</b> {_e(data.trend_rule.describe())}</p>")
        parts.append("<h3>Weekly numbers</h3>")
        parts.append(
            _table(
                ["week", "reviews", "analyzed", "negative", "avg score", "top themes (reviews)"],
                [[_e(x) for x in week_row(w)] for w in data.weeks],
                numeric=(1, 2, 3, 4),
            )
        )
    parts.append("</section>")

    # Praise
    parts.append("<section id='wom-praise'><h2>Praise worth quoting</h2>")
    if data.praise:
        parts.append(
            "<p class='muted'>Verbatim from reviews (checked against the review text), "
            "one per praised aspect, most praised aspects first.</p>"
        )
        parts += [_quote_html(q, "praise") for q in data.praise]
    else:
        parts.append("<p class='muted'>No verbatim praise found.</p>")
    parts.append("</section>")

    # Data quality and method
    parts.append("<section id='wom-quality'><h2>Data &amp; method</h2>")
    parts.append(
        _kv_table(
            [
                (
                    "Requests / tokens",
                    f"{t.requests:,} requests, {t.prompt_tokens:,} prompt + "
                    f"{t.completion_tokens:,} completion tokens",
                ),
                (
                    "Insights with warnings",
                    f"{t.with_warnings:,} (truncated input: {t.truncated:,})",
                ),
                (
                    "Quotes not found verbatim",
                    f"{t.quotes_not_verbatim:,} of {t.quotes_checked:,} checked "
                    "(left out of the report)",
                ),
                ("Unparseable dates", f"{t.bad_dates:,}"),
            ]
        )
    )
    parts.append(
        "<ul class='muted'>" + "".join(f"<li>{_e(m)}</li>" for m in METHOD_NOTES) + "</ul>"
    )
    parts.append("</section></div>")

    body = "\n".join(p for p in parts if p)
    if fragment:
        return body
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


METHOD_NOTES = (
    "Themes are the complaint categories; within a theme, aspect wording is normalized "
    "(Unicode NFKC so full- and half-width forms match, case, punctuation, spacing, "
    "English plurals) before counting.",
    "Severity weights: " + ", ".join(f"{k} {v}" for k, v in SEVERITY_WEIGHTS.items()) + ".",
    "Share of reviews = reviews naming the theme at least once / analyzed reviews.",
    "Quotes are verbatim: each is checked against its review's text (ignoring spacing and "
    "width); representative quotes are chosen deterministically (smallest hash of the text, "
    "preferring 4–160 characters), not by a model.",
)

#: The building blocks, for the modules that render more sections (``_html_analysis``).
esc, html_table, img, quote_html = _e, _table, _img, _quote_html
