"""From examples/brands.csv to a report with drivers, a comparison and needs, over HTTP.

``wom analyze --include needs`` against the fake OpenAI server (the wom
responder: keyword sentiment, grounded quotes, needs from words such as 爸妈 or
礼物), then ``wom report --compare-by brand``: the columns, the section, the
grounding and the report's three analyses meet on real example data.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fakeserver import FakeOpenAIServer, wom_responder
from wom_sdk.cli import main
from wom_sdk.report import build_report

EXAMPLE = Path(__file__).parents[3] / "examples" / "brands.csv"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("brands") / "brands.jsonl"
    with FakeOpenAIServer(responder=wom_responder) as srv:
        status = main(["analyze", str(EXAMPLE), "-o", str(out), "--include", "needs",
                       "--pack", "10", "--quiet", "--base-url", srv.base_url,
                       "--model", "fake-model"])
    assert status == 0
    return out


def test_every_review_is_analyzed_with_its_brand_and_without_the_buyer(results: Path) -> None:
    with EXAMPLE.open(encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    lines = [json.loads(x) for x in results.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(rows) == 180
    for item in lines:
        row = rows[item["id"]]
        assert item["extra"] == {"品牌": row["品牌"], "渠道": row["渠道"]}  # no 买家, no source_row
        assert item["insight"]["needs"] is not None


def test_the_report_compares_the_brands_and_finds_needs(results: Path, tmp_path: Path) -> None:
    report = build_report(results, compare_by="brand", us="Aurora")
    c = report.comparison
    assert c is not None
    assert [g.name for g in c.groups] == ["Aurora", "Pulse", "Nimbus"]
    assert sum(g.reviews for g in c.groups) == 180
    assert c.tested > 0
    for d in c.differences:
        assert d.q_value <= 0.05
        assert d.quote_us is None or d.quote_us.review_id is not None
    assert report.drivers
    assert {d.outcome for d in report.drivers} == {"rating"}
    needs = report.needs
    assert needs is not None
    assert needs.asked == 180
    tags = {s.tag for s in needs.segments}
    assert {"parents", "gaming", "child"} <= tags
    out = tmp_path / "report.md"
    assert main(["report", str(results), "--compare-by", "brand", "--us", "Aurora",
                 "-o", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    for heading in ("## What drives the mean star rating", "## Side by side: brand",
                    "## Needs: who buys it, and what for"):
        assert heading in md
