"""Streaming input readers: formats, columns, ids, encoding damage."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest

from wom_sdk import InputError
from wom_sdk.io._columns import resolve_columns
from wom_sdk.io._readers import count_lines, open_source
from wom_sdk.types import ReviewRecord


def _read(path: Path, **kw: object) -> list[ReviewRecord]:
    with open_source(str(path), **kw) as src:  # type: ignore[arg-type]
        return list(src)


def test_csv_with_bom_and_chinese_headers(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_bytes(b"\xef\xbb\xbf" + "编号,商品,评分,日期,评论,渠道\n"
                  "a1,手机,4星,2024-05-01,\"电池不耐用，\n还发热\",天猫\n".encode())
    [rec] = _read(p)
    assert rec.id == "a1"
    assert rec.product == "手机"
    assert rec.rating == 4.0
    assert rec.date == "2024-05-01"
    assert rec.text == "电池不耐用，\n还发热"  # a quoted newline stays inside the field
    assert rec.extra == {"渠道": "天猫"}


def test_csv_ids_from_row_numbers_and_blank_rows_skipped(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("Review,Stars\nfirst,5\n\nsecond,1\n", encoding="utf-8")
    recs = _read(p)
    assert [(r.id, r.text, r.rating) for r in recs] == [("row-1", "first", 5.0),
                                                        ("row-3", "second", 1.0)]


def test_text_column_priority_follows_the_documented_order() -> None:
    assert resolve_columns(["评论", "content", "Text"]).text == "Text"
    assert resolve_columns(["内容", "评价"]).text == "内容"


def test_missing_text_column_lists_the_columns(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("sku,stars,body_html\nx,5,hi\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        open_source(str(p))
    assert "'sku', 'stars', 'body_html'" in str(e.value)
    assert "--text-column" in str(e.value)


def test_explicit_columns_and_unknown_explicit_column(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("body_html,sku,order\nhello,S1,7\n", encoding="utf-8")
    [rec] = _read(p, text_column="body_html", id_column="order", product_column="SKU")
    assert (rec.id, rec.text, rec.product) == ("7", "hello", "S1")
    with pytest.raises(InputError, match="'nope' is not a column"):
        open_source(str(p), text_column="nope")


def test_tsv(tmp_path: Path) -> None:
    p = tmp_path / "r.tsv"
    p.write_text("id\ttext\n1\ta, b\n", encoding="utf-8")
    assert [(r.id, r.text) for r in _read(p)] == [("1", "a, b")]


def test_jsonl_fields_numbers_strings_and_unreadable_lines(tmp_path: Path) -> None:
    p = tmp_path / "r.jsonl"
    p.write_text(
        json.dumps({"id": 7, "content": "很好", "product": "P", "rating": 5, "shop": "s"},
                   ensure_ascii=False) + "\n"
        "\n"
        "{not json\n"
        + json.dumps({"content": "no id"}) + "\n"
        "42\n",
        encoding="utf-8")
    with open_source(str(p)) as src:
        recs = list(src)
        stats = src.stats
    assert [(r.id, r.text) for r in recs] == [("7", "很好"), ("row-4", "no id")]
    assert recs[0].rating == 5.0
    assert recs[0].extra == {"shop": "s"}
    assert stats.unreadable == 2
    assert stats.unreadable_lines == [3, 5]


def test_jsonl_array_is_refused_with_a_hint(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text('[{"text": "a"}]\n', encoding="utf-8")
    with pytest.raises(InputError, match="JSON Lines"):
        open_source(str(p))


def test_txt_one_review_a_line_skipping_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "r.txt"
    p.write_bytes("好评\r\n\n  \nbad, really bad\n".encode())
    assert [(r.id, r.text) for r in _read(p)] == [("row-1", "好评"), ("row-4", "bad, really bad")]


def test_a_few_invalid_utf8_bytes_are_replaced_and_counted(tmp_path: Path) -> None:
    # A UTF-8 export with a character cut in two places: within the rule of
    # _encoding (one bad byte per ten good non-ASCII characters), so it is read
    # as UTF-8; a U+FFFD that was in the file already is data, not a replacement.
    p = tmp_path / "r.txt"
    good = "电池一天要充三次，客服也不回消息。"
    p.write_bytes(f"{good} \ufffd\n".encode() + b"bad \xe7\x94 and \xff " + good.encode()
                  + b"\n")
    with open_source(str(p)) as src:
        recs = list(src)
        assert src.stats.replaced == 3
        assert src.stats.encoding == "UTF-8"
    assert recs[0].text == f"{good} \ufffd"
    assert recs[1].text == f"bad \ufffd\ufffd and \ufffd {good}"


@pytest.mark.parametrize(
    ("data", "fmt", "expected"),
    [
        (b"id,text\n1,hello\n", "csv", ("1", "hello")),
        (b'{"text": "hello"}\n', "jsonl", ("row-1", "hello")),
        (b"Good case, Excellent value.\n", "txt", ("row-1", "Good case, Excellent value.")),
        (b"\xef\xbb\xbf\xe8\xaf\x84\xe8\xae\xba\n\xe5\xa5\xbd\n", "csv", ("row-1", "好")),
    ],
)
def test_stdin_format_is_sniffed(data: bytes, fmt: str, expected: tuple[str, str]) -> None:
    with open_source("-", stdin=io.BytesIO(data)) as src:
        recs = list(src)
        assert src.format == fmt
    assert (recs[0].id, recs[0].text) == expected


def test_stdin_with_explicit_format() -> None:
    with open_source("-", fmt="txt", stdin=io.BytesIO(b"id,text\n")) as src:
        assert [r.text for r in src] == ["id,text"]


def test_unknown_extension_is_sniffed_and_missing_file_is_an_input_error(tmp_path: Path) -> None:
    p = tmp_path / "export.dat"
    p.write_text("review,rating\nfine,3\n", encoding="utf-8")
    assert [r.text for r in _read(p)] == ["fine"]
    with pytest.raises(InputError, match="not found"):
        open_source(str(tmp_path / "missing.csv"))


def test_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "评价", "评分", "日期"])
    ws.append([17, "质量不错", 4.5, dt.datetime(2024, 5, 1, 12, 0)])
    ws.append([None, None, None, None])
    ws.append([None, "没有编号", None, None])
    p = tmp_path / "r.xlsx"
    wb.save(p)
    recs = _read(p)
    assert [(r.id, r.text, r.rating) for r in recs] == [("17", "质量不错", 4.5),
                                                        ("row-3", "没有编号", None)]
    assert recs[0].date == "2024-05-01T12:00:00"


def test_xlsx_without_openpyxl_says_how_to_install(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import fails
    p = tmp_path / "r.xlsx"
    p.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"pip install 'wom-sdk\[pandas\]'"):
        open_source(str(p))


def test_readers_stream_instead_of_loading_the_file(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    line = ("这个手机的电池真的不行，一天要充三次电。" * 20 + "\n").encode()
    with p.open("wb") as f:
        for _ in range(20_000):
            f.write(line)
    assert p.stat().st_size > 20_000_000
    assert count_lines(str(p)) == 20_000
    tracemalloc.start()
    try:
        with open_source(str(p)) as src:
            n = sum(1 for _ in src)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 20_000
    assert peak < 2_000_000, peak  # a few rows, not a 24 MB file


def test_a_large_gbk_file_is_detected_and_still_streamed(tmp_path: Path) -> None:
    # The encoding is settled over the whole file (a streaming pass) and by the
    # detector on its head only: memory stays that of a few chunks, not of the file.
    p = tmp_path / "big_gbk.csv"
    line = ("1,这个手机的电池真的不行，一天要充三次电。" * 100 + "\n").encode("gbk")
    with p.open("wb") as f:
        f.write("id,评论\n".encode("gbk"))
        for _ in range(5_000):
            f.write(line)
    assert p.stat().st_size > 10_000_000
    tracemalloc.start()
    try:
        with open_source(str(p)) as src:
            first = next(iter(src))
            n = 1 + sum(1 for _ in src)
            encoding = src.stats.encoding
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert encoding == "GB18030 (GBK)"
    assert first.text.startswith("这个手机的电池真的不行")
    assert n == 5_000
    assert peak < 8_000_000, peak  # the detector's work on the head, a chunk, a row
