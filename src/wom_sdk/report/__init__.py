"""The report: results (JSONL or objects) into numbers, HTML and Markdown.

    >>> from wom_sdk.report import build_report
    >>> build_report("out.jsonl").write("report.html")
"""

from __future__ import annotations

from ._build import (
    Alert,
    AspectCluster,
    CategorySummary,
    Comparison,
    Driver,
    DriverSummary,
    EmbedFunction,
    GroupSummary,
    NeedSegment,
    NeedsSummary,
    ProductSummary,
    Quote,
    RecordError,
    Report,
    ReportData,
    ResultRecord,
    SentimentSummary,
    ThemeDifference,
    Totals,
    TrendRule,
    WeekSummary,
    build_report,
    drivers,
    read_results,
)

__all__ = [
    "Alert",
    "AspectCluster",
    "CategorySummary",
    "Comparison",
    "Driver",
    "DriverSummary",
    "EmbedFunction",
    "GroupSummary",
    "NeedSegment",
    "NeedsSummary",
    "ProductSummary",
    "Quote",
    "RecordError",
    "Report",
    "ReportData",
    "ResultRecord",
    "SentimentSummary",
    "ThemeDifference",
    "Totals",
    "TrendRule",
    "WeekSummary",
    "build_report",
    "drivers",
    "read_results",
]
