"""The report: results (JSONL or objects) into numbers, HTML and Markdown.

    >>> from wom_sdk.report import build_report
    >>> build_report("out.jsonl").write("report.html")
"""

from __future__ import annotations

from ._build import (
    Alert,
    AspectCluster,
    CategorySummary,
    EmbedFunction,
    ProductSummary,
    Quote,
    RecordError,
    Report,
    ReportData,
    ResultRecord,
    SentimentSummary,
    Totals,
    TrendRule,
    WeekSummary,
    build_report,
    read_results,
)

__all__ = [
    "Alert",
    "AspectCluster",
    "CategorySummary",
    "EmbedFunction",
    "ProductSummary",
    "Quote",
    "RecordError",
    "Report",
    "ReportData",
    "ResultRecord",
    "SentimentSummary",
    "Totals",
    "TrendRule",
    "WeekSummary",
    "build_report",
    "read_results",
]
