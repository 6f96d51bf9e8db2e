"""``wom queue``: who gets a reply first (hand-computed scores), CSV and Excel done safely."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from helpers.records import failed, line, write_lines
from wom_sdk.actions import escape_cell, reply_queue, write_queue
from wom_sdk.cli import main

AS_OF = dt.date(2024, 6, 10)


def _lines() -> list[dict[str, object]]:
    return [
        # 15 negative + 15 two stars + 5 low = 35, 9 days old: no recency
        line("slow", "物流太慢了", rating=2, date="2024-06-01",
             complaints=[("shipping_delivery", "物流", "物流太慢了", "low")],
             extra={"brand": "Acme", "channel": "tmall"}),
        # 40 safety + 30 high + 15 negative + 20 one star + 10 recent = 115
        line("fire", "充电器冒烟了", rating=1, date="2024-06-09", product="快充头",
             complaints=[("hygiene_safety", "充电器", "充电器冒烟了", "high")],
             reasons=["safety_claim"], extra={"brand": "Acme"}),
        # hostile cells: a formula in the review and in the reply;
        # 15 medium + 15 negative + 15 two stars + 10 (2 days old) = 55
        line("evil", "=HYPERLINK(\"http://evil.test\",\"点我\") 质量差", rating=2,
             date="2024-06-08", reply="-我们会处理", reasons=["reply_markup"],
             complaints=[("product_quality", "质量", "质量差", "medium")]),
        # only recency (10): does not deserve a reply
        line("happy", "很好用", label="positive", rating=5, date="2024-06-10"),
        line("meh", "一般般", label="neutral", rating=3),  # 5 (3 stars)
        failed("broken", date="2024-06-10"),
    ]


def test_order_and_scores_by_hand(tmp_path: Path) -> None:
    q = reply_queue(write_lines(tmp_path / "r.jsonl", _lines()), as_of=AS_OF)
    assert [(e.record.id, e.urgency.score) for e in q.entries] == [
        ("fire", 115), ("evil", 55), ("slow", 35), ("meh", 5)]
    assert (q.deserving, q.records, q.failed) == (4, 6, 1)
    assert q.entries[0].urgency.explain() == (
        "safety_claim +40; severity high +30; negative +15; 1 star +20; recent +10")


def test_limit_keeps_the_most_urgent(tmp_path: Path) -> None:
    q = reply_queue(write_lines(tmp_path / "r.jsonl", _lines()), as_of=AS_OF, limit=2)
    assert [e.record.id for e in q.entries] == ["fire", "evil"]
    assert q.deserving == 4


def test_ties_newer_first_then_by_id(tmp_path: Path) -> None:
    lines = [line(i, "差", date=d) for i, d in (("b", "2024-01-01"), ("a", "2024-01-01"),
                                                 ("c", "2024-02-01"), ("z", None))]
    q = reply_queue(write_lines(tmp_path / "r.jsonl", lines))
    assert [e.record.id for e in q.entries] == ["c", "a", "b", "z"]


def test_csv_is_excel_ready_chinese_and_formula_safe(tmp_path: Path) -> None:
    q = reply_queue(write_lines(tmp_path / "r.jsonl", _lines()), as_of=AS_OF)
    out = write_queue(q, tmp_path / "queue.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    header = rows[0]
    assert header[:13] == ["rank", "urgency", "why", "id", "date", "product", "rating",
                           "sentiment", "complaints", "review", "suggested_reply",
                           "needs_human_review", "human_review_reasons"]
    assert header[13:] == ["brand", "channel"]
    fire = dict(zip(header, rows[1], strict=True))
    assert fire["review"] == "充电器冒烟了"
    assert fire["complaints"] == "hygiene_safety / 充电器 (high): 充电器冒烟了"
    assert fire["suggested_reply"] == "感谢您的反馈，我们会尽快处理。"
    assert (fire["needs_human_review"], fire["human_review_reasons"]) == ("yes", "safety_claim")
    assert (fire["urgency"], fire["rating"], fire["brand"], fire["channel"]) == (
        "115", "1", "Acme", "")
    evil = dict(zip(header, rows[2], strict=True))
    assert evil["review"].startswith("'=HYPERLINK(")
    assert evil["suggested_reply"] == "'-我们会处理"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue.csv", "r.jsonl"]


def test_the_queue_file_has_the_permissions_open_would_give(tmp_path: Path) -> None:
    q = reply_queue(write_lines(tmp_path / "r.jsonl", _lines()), as_of=AS_OF)
    plain = tmp_path / "plain.csv"
    plain.write_text("x", encoding="utf-8")
    written = write_queue(q, tmp_path / "queue.csv")
    assert written.stat().st_mode == plain.stat().st_mode  # not mkstemp's owner-only 0600


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\0x"])
def test_escape_cell_prefixes_formula_starts(value: str) -> None:
    assert escape_cell(value) == "'" + value


def test_escape_cell_leaves_the_rest() -> None:
    assert escape_cell("质量差 =1") == "质量差 =1"
    assert escape_cell(-0.5) == -0.5  # our own numbers stay numbers
    assert escape_cell(None) is None


def test_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    lines = [*_lines(), line("ctl", "坏了\x01\x02", rating=1,
                             complaints=[("product_quality", "质量", "坏了", "high")])]
    q = reply_queue(write_lines(tmp_path / "r.jsonl", lines), as_of=AS_OF)
    out = write_queue(q, tmp_path / "queue.xlsx")
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("rank", "urgency", "why", "id")
    by_id = {r[3]: r for r in rows[1:]}
    assert by_id["fire"][1] == 115  # a number, not text
    assert by_id["evil"][9].startswith("'=HYPERLINK(")
    assert sheet.cell(row=3, column=10).data_type == "s"  # text, never a formula
    assert by_id["ctl"][9] == "坏了"  # control characters XML cannot hold are dropped


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_lines(tmp_path / "r.jsonl", _lines())
    out = tmp_path / "q.csv"
    assert main(["queue", str(results), "-o", str(out), "--as-of", "2024-06-10",
                 "--limit", "3"]) == 0
    assert len(out.read_text("utf-8-sig").splitlines()) == 4
    err = capsys.readouterr().err
    assert "4 of 6 reviews deserve a reply, 1 failed analysis (not queued); the 3 most " \
           "urgent written" in err
    assert main(["queue", str(results), "--as-of", "June"]) == 2
