"""A shop's week, end to end: a CSV with brand, product, rating and date columns through
``wom analyze`` (the fake OpenAI-compatible server) to ``wom alerts``, ``wom highlights``
and ``wom queue``, the way cron and a service team run them.

The fake server's answers are keyword rules (``fakeserver.wom_responder``), not a model:
the test checks the plumbing and the guarantees (exit statuses, state, verbatim quotes,
order), not the judgement. In-process and quick, so it runs by default.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeserver import FakeOpenAIServer, wom_responder
from wom_sdk.cli import main

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=wom_responder) as srv:
        yield srv


def _analyze(srv: FakeOpenAIServer, csv_name: str, out: Path) -> None:
    status = main(["analyze", str(EXAMPLES / csv_name), "-o", str(out), "--quiet",
                   "--base-url", srv.base_url, "--concurrency", "4"])
    assert status == 0


def test_a_shops_week(tmp_path: Path, server: FakeOpenAIServer,
                      capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "shop.jsonl"
    _analyze(server, "shop_reviews.csv", results)
    lines = [json.loads(x) for x in results.read_text("utf-8").splitlines()]
    assert len(lines) == 45
    assert all(x["insight"] for x in lines)
    assert {x["extra"]["brand"] for x in lines} == {"Aurora", "Nimbus"}  # carried through

    # ---- `wom report --compare-by brand` (issue 11 item 3, branch issue11-analysis) ----
    # The comparison report belongs here, on the same results, once that branch lands:
    #   assert main(["report", str(results), "--compare-by", "brand", "-o", ...]) == 0
    # ------------------------------------------------------------------------------------

    # cron, day 1: the first run raises what is there (1-star reviews with complaints)
    assert main(["alerts", str(results)]) == 3
    first = capsys.readouterr().out
    assert first.startswith("wom alerts: ")
    # the same file again: nothing new
    assert main(["alerts", str(results)]) == 0
    assert capsys.readouterr().out == ""

    # day 2: the next export is analyzed into the same file (resume appends), and it
    # has a safety complaint (漏电: an electric leak)
    _analyze(server, "shop_reviews_new.csv", results)
    assert len(results.read_text("utf-8").splitlines()) == 50
    assert main(["alerts", str(results), "--format", "json"]) == 3
    payload = json.loads(capsys.readouterr().out)
    new = {a["id"]: a for a in payload["alerts"] if a["kind"] == "review"}
    assert "safety_claim" in new["s46"]["reasons"]
    assert payload["new"] == len(payload["alerts"])
    assert "漏电" not in json.dumps(payload, ensure_ascii=False)  # no text unless asked
    assert main(["alerts", str(results)]) == 0

    # highlights: every quote verbatim in the review it cites
    out = tmp_path / "highlights.json"
    assert main(["highlights", str(results), "-o", str(out), "--group-by", "product",
                 "--min-quotes", "1"]) == 0
    doc = json.loads(out.read_text("utf-8"))
    texts = {x["id"]: x["text"] for x in map(json.loads, results.read_text("utf-8").splitlines())}
    quotes = [q for g in doc["groups"] for p in g["points"] for q in p["quotes"]]
    assert quotes
    assert {g["group"] for g in doc["groups"]} == {"Aurora Book 14", "Aurora Book 15",
                                                    "Aurora CarCharge", "Nimbus Air 13"}
    for q in quotes:
        assert q["text"] in texts[q["review_id"]]
    assert all(q["review_id"] != "s46" for q in quotes)  # a flagged review is not marketing

    # the reply queue: the safety complaint first, Excel-ready
    queue = tmp_path / "queue.csv"
    assert main(["queue", str(results), "-o", str(queue), "--as-of", "2024-12-03"]) == 0
    assert queue.read_bytes().startswith(b"\xef\xbb\xbf")
    with queue.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["id"] == "s46"
    assert rows[0]["why"].startswith("safety_claim +40")
    assert rows[0]["brand"] == "Aurora"
    assert [int(r["urgency"]) for r in rows] == sorted((int(r["urgency"]) for r in rows),
                                                        reverse=True)
