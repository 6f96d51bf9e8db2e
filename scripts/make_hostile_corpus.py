"""Write ``tests/data/hostile/``: real-world bad input files, and what each reader must do.

Every file is generated here from text and a few lines of code, never edited by
hand: the GBK export Excel writes on Chinese Windows, Excel's "Unicode text"
(UTF-16 TSV), a PNG renamed ``.txt``, a CSV cell past the csv module's 128 KiB
limit, unquoted commas, an unclosed quote, results files written twice or cut
by a kill... ``expected.json`` says, for each file, what ``wom analyze`` (as
input, and as output for results files), ``wom eval`` and ``wom report`` must
do with it; ``tests/unit/io/test_hostile_corpus.py`` runs every reader through
every file and checks that, and that this script still writes the same bytes.

    python scripts/make_hostile_corpus.py            # rewrite the corpus
    python scripts/make_hostile_corpus.py --check    # exit 1 if it differs

The review texts are short sentences written for this corpus (no dataset copied).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "tests" / "data" / "hostile"

ZH = ["电池一天要充三次，客服也不回消息", "包装很好，物流很快，下次还会再买",
      "屏幕有划痕，退货流程太麻烦了"]
TW = ["電池一天要充三次，客服也不回訊息", "包裝很好，物流很快，下次還會再買",
      "螢幕有刮痕，退貨流程太麻煩了"]
EN = ["The battery dies by noon", "Great screen, fast delivery", "Strap broke after a week"]
FR = ["Très déçu, la batterie ne tient pas", "Livraison rapide, écran superbe", "Café délicieux"]
LABELS = ["0", "1", "0"]
#: What every refusal of an input promises: no request was sent.
NOTHING_SENT = {"status": 2, "requests": 0}
NOT_RESULTS = {"status": 2, "stderr": "not a results file"}


def _csv(rows: list[list[str]], *, delimiter: str = ",", newline: str = "\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def _labeled(texts: list[str], header: tuple[str, str, str] = ("id", "label", "text"),
             ids: tuple[str, ...] = ("A1", "A2", "A3")) -> list[list[str]]:
    return [list(header)] + [[i, lab, t] for i, lab, t in zip(ids, LABELS, texts, strict=True)]


def _texts(ids: tuple[str, ...], texts: list[str]) -> dict[str, str]:
    return dict(zip(ids, texts, strict=True))


def _png() -> bytes:
    """A 1x1 white PNG (PNG specification, section 5: signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def _zip(files: dict[str, bytes]) -> bytes:
    """A zip with fixed timestamps (the same bytes on every run)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def _pdf() -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return body


def _xlsx_with_title_rows() -> bytes | None:
    """A workbook whose reviews sit on its second sheet, under two title rows."""
    try:
        import openpyxl
    except ImportError:
        return None
    import datetime as dt

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本文件由店铺后台导出"])
    ws = wb.create_sheet("评价")
    ws.append(["店铺评价导出"])
    ws.append(["导出时间 2024-05-01"])
    ws.append(["编号", "标签", "评论"])
    for row in _labeled(ZH)[1:]:
        ws.append(row)
    wb.properties.created = dt.datetime(2024, 1, 1)
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps the zip entries and the "modified" property with the time of
    # saving: fixed here, so that the script writes the same bytes on every run.
    with zipfile.ZipFile(raw) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    parts["docProps/core.xml"] = re.sub(
        rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z",
        parts["docProps/core.xml"])
    return _zip(parts)


def _result(rid: str, text: str, label: str = "negative") -> dict[str, Any]:
    score = -0.6 if label == "negative" else 0.7
    usage = {"requests": 1, "prompt_tokens": 100, "completion_tokens": 20}
    insight = {"language": "zh", "sentiment": {"label": label, "score": score, "confidence": 0.9},
               "complaints": [], "praise": [], "summary": text[:10],
               "reply": {"text": "感谢您的反馈", "language": "zh", "needs_human_review": False,
                         "review_reasons": []},
               "usage": usage, "warnings": [], "truncated": False, "redactions": 0,
               "model": "fake-model", "mode": "json_schema", "extra": {}}
    return {"wom": 1, "id": rid, "text": text, "insight": insight, "error": None}


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for r in records).encode()


def cases() -> dict[str, dict[str, Any]]:
    """File name -> {"data": bytes (None: a folder), "about", and what each reader must do}."""
    ids = ("A1", "A2", "A3")
    labeled_ok = {"status": 0, "reviews": 3}
    out: dict[str, dict[str, Any]] = {}

    def add(name: str, data: bytes | None, about: str, **expect: Any) -> None:
        expect.setdefault("report", NOT_RESULTS)
        out[name] = {"data": data, "about": about, **expect}

    # -- encodings shops export ------------------------------------------------------------
    add("gbk_excel_zh.csv", _csv(_labeled(ZH, ("编号", "标签", "评论"))).encode("gbk"),
        "Excel's CSV on Chinese Windows: GBK, Chinese headers, CRLF",
        analyze={"status": 0, "analyzed": 3, "encoding": "GB18030 (GBK)",
                 "texts": _texts(ids, ZH)},
        eval=labeled_ok)
    add("gb18030_beyond_gbk.csv",
        _csv(_labeled([ZH[0] + "𠀀", ZH[1] + "€", ZH[2]])).encode("gb18030"),
        "GB18030 with characters GBK lacks (a 4-byte one, the euro sign)",
        analyze={"status": 0, "analyzed": 3, "encoding": "GB18030 (GBK)",
                 "texts": _texts(ids, [ZH[0] + "𠀀", ZH[1] + "€", ZH[2]])},
        eval=labeled_ok)
    add("big5_tw.csv", _csv(_labeled(TW)).encode("cp950"),
        "Traditional Chinese Windows: Big5 (cp950)",
        analyze={"status": 0, "analyzed": 3, "encoding": "Big5 (cp950)",
                 "texts": _texts(ids, TW)},
        eval=labeled_ok)
    add("utf8_bom.csv", b"\xef\xbb\xbf" + _csv(_labeled(ZH, ("编号", "标签", "评论"))).encode(),
        "UTF-8 with a BOM (Excel's \"CSV UTF-8\")",
        analyze={"status": 0, "analyzed": 3, "encoding": "UTF-8 (with BOM)",
                 "texts": _texts(ids, ZH)},
        eval=labeled_ok)
    add("excel_unicode_text.txt",
        b"\xff\xfe" + _csv(_labeled(ZH), delimiter="\t").encode("utf-16-le"),
        "Excel's \"Unicode text\": UTF-16 LE with a BOM, tab-separated, named .txt",
        analyze={"status": 0, "analyzed": 3, "encoding": "UTF-16", "texts": _texts(ids, ZH)},
        eval=labeled_ok)
    add("utf16le_no_bom.tsv", _csv(_labeled(EN), delimiter="\t").encode("utf-16-le"),
        "UTF-16 LE without a BOM (found by its NUL bytes)",
        analyze={"status": 0, "analyzed": 3, "texts": _texts(ids, EN)},
        eval=labeled_ok)
    add("cp1252_fr.csv", _csv(_labeled(FR)).encode("cp1252"),
        "a Western Windows export: Windows-1252 accents",
        analyze={"status": 0, "analyzed": 3, "encoding": "Windows-1252",
                 "texts": _texts(ids, FR)},
        eval=labeled_ok)
    rows = [["id", "label", "text"]] + [[f"A{i}", "1", ZH[i % 3] + ZH[(i + 1) % 3]]
                                        for i in range(1, 7)]
    damaged = _csv(rows).encode()
    cut = damaged.index("屏".encode())  # the first byte of a character, then a stray 0xff
    damaged = damaged[:cut] + damaged[cut + 1:].replace(b"\xe5\x8c\x85", b"\xff\xe5\x8c\x85", 1)
    add("utf8_cut_character.csv", damaged,
        "UTF-8 with a character cut and a stray byte: within the rule, replaced and counted",
        analyze={"status": 0, "analyzed": 6, "encoding": "UTF-8", "replaced": 3},
        eval={"status": 0, "reviews": 6})
    add("gbk_forced_utf8.csv", _csv(_labeled(ZH, ("编号", "标签", "评论"))).encode("gbk"),
        "a GBK file with --encoding utf-8: refused before any request, naming UTF-8",
        args=["--encoding", "utf-8"],
        analyze={**NOTHING_SENT, "stderr": "is not UTF-8 text"},
        eval={"status": 2, "stderr": "is not UTF-8 text"})
    noise = random.Random(3)
    add("no_known_encoding.csv",
        b"id,label,text\r\n" + bytes(noise.randrange(0x80, 0x100) for _ in range(4000)),
        "bytes that no encoding makes text of: refused, naming what was tried",
        analyze={**NOTHING_SENT, "stderr": "cannot tell its text encoding"},
        eval={"status": 2, "stderr": "cannot tell its text encoding"})
    add("mac_cr_lines.csv", _csv(_labeled(EN), newline="\r").encode(),
        "old Mac line ends (a lone CR)",
        analyze={"status": 0, "analyzed": 3, "texts": _texts(ids, EN)}, eval=labeled_ok)

    # -- not text at all ---------------------------------------------------------------------
    binary = {**NOTHING_SENT, "stderr": "not text: nothing was sent"}
    add("png_renamed.txt", _png(), "a PNG image renamed .txt",
        analyze={**binary, "stderr": "is a PNG image"}, eval={"status": 2, "stderr": "PNG"})
    add("archive.csv", _zip({"reviews.csv": _csv(_labeled(EN)).encode()}),
        "a zip archive named .csv",
        analyze={**binary, "stderr": "is a zip archive"}, eval={"status": 2, "stderr": "zip"})
    add("document.txt", _pdf(), "a PDF named .txt",
        analyze={**binary, "stderr": "is a PDF document"}, eval={"status": 2, "stderr": "PDF"})
    add("nul_bytes.csv", b"id,text\r\n1,abc\x00\x00\x00def\r\n",
        "NUL bytes in a CSV (a binary file)",
        analyze={**binary, "stderr": "NUL bytes"}, eval={"status": 2, "stderr": "NUL"})
    add("not_a_workbook.xlsx", _csv(_labeled(EN)).encode(), "a CSV named .xlsx",
        analyze={**NOTHING_SENT, "stderr": "is not an Excel workbook"},
        eval={"status": 2, "stderr": "is not an Excel workbook"})
    add("old_excel.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "an Excel 97-2003 .xls named .xlsx",
        analyze={**NOTHING_SENT, "stderr": "old Excel .xls"},
        eval={"status": 2, "stderr": "old Excel .xls"})
    add("empty.csv", b"", "an empty file",
        analyze={**NOTHING_SENT, "stderr": "the input is empty"},
        eval={"status": 2, "stderr": "the input is empty"}, report={"status": 0, "reviews": 0})
    add("a_folder.csv", None, "a folder where a file is expected",
        analyze={**NOTHING_SENT, "stderr": "is a folder"}, eval={"status": 2, "stderr": "folder"},
        report={"status": 2, "stderr": "is a folder"})
    add("json_array.json", json.dumps([{"text": t} for t in EN]).encode(),
        "a JSON array, not JSON Lines",
        analyze={**NOTHING_SENT, "stderr": "JSON array"}, eval={"status": 2,
                                                                "stderr": "JSON array"})

    # -- CSV that real tools write ---------------------------------------------------------
    big = "电池不耐用。" * 40_000  # 240,000 characters: past csv's 131,072 limit
    add("huge_field.csv", _csv([["id", "label", "text"], ["B1", "0", big], ["B2", "1", EN[1]]]
                               ).encode(),
        "one cell of 240,000 characters (the csv module's limit is 131,072)",
        analyze={"status": 0, "analyzed": 2}, eval={"status": 0, "reviews": 2})
    commas = ("id,label,text\r\nC1,0,The battery dies, and support never answers\r\n"
              "C2,1,Great screen\r\nC3,0,Broke, returned it, no refund\r\n")
    add("unquoted_commas_text_last.csv", commas.encode(),
        "unquoted commas in the text, the text the last column: joined back, nothing lost",
        analyze={"status": 0, "analyzed": 3, "joined_rows": 2,
                 "texts": {"C1": "The battery dies, and support never answers",
                           "C2": "Great screen", "C3": "Broke, returned it, no refund"}},
        eval={"status": 0, "reviews": 3})
    middle = ("id,text,label\r\nD1,The battery dies, and support never answers,0\r\n"
              "D2,Great screen,1\r\n")
    add("unquoted_commas_text_middle.csv", middle.encode(),
        "an unquoted comma in a text that is not the last column: that row is not sent",
        analyze={"status": 0, "analyzed": 1, "rejected_rows": 1,
                 "errors": {"D1": "line 2 (id D1): 4 fields, the header has 3"}},
        eval={"status": 2, "stderr": "line 2 (id D1): 4 fields, the header has 3"})
    add("short_rows.csv", b"id,text,label,channel\r\nE1,Great screen,1\r\nE2,Too slow,0,app\r\n",
        "rows with fewer fields than the header: analyzed, noted",
        analyze={"status": 0, "analyzed": 2, "short_rows": 1},
        eval={"status": 0, "reviews": 2})
    swallowed = "".join(f"F{i},0,row {i} swallowed\r\n" for i in range(4, 304))
    add("unclosed_quote.csv",
        ('id,label,text\r\nF1,1,fine\r\nF2,0,"an opening quote never closed\r\n'
         + swallowed).encode(),
        "an unclosed quote swallowing 300 rows: that row is not sent, and says why",
        analyze={"status": 0, "analyzed": 1, "rejected_rows": 1,
                 "errors": {"F2": "an unclosed quote"}},
        eval={"status": 2, "stderr": "an unclosed quote"})
    xlsx = _xlsx_with_title_rows()
    if xlsx is not None:
        add("title_rows_second_sheet.xlsx", xlsx,
            "a workbook: reviews on the sheet 评价, under two title rows",
            args=["--sheet", "评价", "--header-row", "3"],
            analyze={"status": 0, "analyzed": 3, "texts": _texts(ids, ZH)},
            eval=labeled_ok)
        add("title_rows_wrong_sheet.xlsx", xlsx,
            "the same workbook without --sheet: the first sheet has no review column",
            analyze={**NOTHING_SENT, "stderr": "--text-column"},
            eval={"status": 2, "stderr": "--text-column"})

    # -- results files, as input to report and as -o ---------------------------------------
    results = [_result("R1", ZH[0]), _result("R2", ZH[1], "positive"), _result("R3", ZH[2])]
    add("results_every_line_twice.jsonl", _jsonl(results + results),
        "a results file with every line twice (two runs' outputs joined)",
        report={"status": 0, "reviews": 3, "note": "counted once, its last line wins"},
        output={"status": 0, "skipped_done": 3, "unchanged": False},
        analyze={"status": 0, "analyzed": 3}, eval={"status": 2, "stderr": "label"})
    add("results_torn_last_line.jsonl", _jsonl(results) + _jsonl([_result("R4", EN[0])])[:70],
        "a results file whose last line a kill cut",
        report={"status": 0, "reviews": 3, "note": "is cut"},
        output={"status": 0, "skipped_done": 3, "unchanged": False},
        analyze={"status": 0, "analyzed": 3},
        eval={"status": 2, "stderr": "1 line(s) are not JSON objects (line 4)"})
    stray = _jsonl(results[:1]) + b'{"id":"R2","note":"pasted from elsewhere"}\n'
    add("results_with_stray_line.jsonl", stray,
        "our results file with a line from elsewhere that has an id",
        report={"status": 0, "reviews": 1, "note": "not results"},
        output={"status": 0, "skipped_done": 1, "analyzed": 2, "unchanged_prefix": True},
        analyze={"status": 0, "analyzed": 1}, eval={"status": 2, "stderr": "label"})
    old = [{k: v for k, v in r.items() if k != "wom"} for r in results]
    add("results_before_the_marker.jsonl",
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in old).encode(),
        "results written before the \"wom\" marker existed: still ours",
        report={"status": 0, "reviews": 3},
        output={"status": 0, "skipped_done": 3, "unchanged": True},
        analyze={"status": 0, "analyzed": 3}, eval={"status": 2, "stderr": "label"})
    foreign = b'{"sku":"S1","body":"The battery dies by noon"}\n{"sku":"S2","body":"ok"}\n'
    add("someone_elses.jsonl", foreign, "a JSONL of another tool",
        report=NOT_RESULTS,
        output={"status": 2, "stderr": "is not a results file", "unchanged": True},
        analyze={"status": 0, "analyzed": 2}, eval={"status": 2, "stderr": "label"})
    add("reviews_as_output.csv", _csv(_labeled(EN)).encode(),
        "a CSV of reviews given as -o (it used to be rewritten)",
        output={"status": 2, "stderr": "is not a results file", "unchanged": True},
        analyze={"status": 0, "analyzed": 3}, eval=labeled_ok)
    return out


def write() -> dict[str, bytes]:
    """Generate the corpus in memory: relative path -> bytes (expected.json included)."""
    files: dict[str, bytes] = {}
    expected: dict[str, Any] = {}
    for name, case in cases().items():
        data = case.pop("data")
        files[name + "/.keep" if data is None else name] = b"" if data is None else data
        expected[name] = case
    files["expected.json"] = (json.dumps(expected, ensure_ascii=False, indent=1) + "\n").encode()
    return files


def _on_disk(corpus: Path) -> dict[str, bytes]:
    return {p.relative_to(corpus).as_posix(): p.read_bytes()
            for p in sorted(corpus.rglob("*")) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the corpus on disk instead of writing it")
    parser.add_argument("--to", type=Path, default=CORPUS, help="the corpus folder")
    args = parser.parse_args(argv)
    files = write()
    if args.check:
        differ = sorted(set(files.items()) ^ set(_on_disk(args.to).items()))
        for name, _ in differ:
            print(f"differs: {name}", file=sys.stderr)
        return 1 if differ else 0
    for rel, data in files.items():
        path = args.to / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(files)} files to {args.to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
