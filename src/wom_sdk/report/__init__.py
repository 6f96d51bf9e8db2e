"""The report: results (JSONL or objects) into numbers, HTML and Markdown.

    >>> from wom_sdk.report import build_report
    >>> build_report("out.jsonl").write("report.html")
"""

from __future__ import annotations

from ..io._results import RecordError, ResultRecord, read_results
from ._build import EmbedFunction, Report, build_report, drivers
from ._trend import Alert, TrendRule
from ._types import (
    AspectCluster,
    CategorySummary,
    Comparison,
    Driver,
    DriverSummary,
    GroupSummary,
    NeedSegment,
    NeedsSummary,
    ProductSummary,
    Quote,
    ReportData,
    SentimentSummary,
    ThemeDifference,
    Totals,
    WeekSummary,
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
