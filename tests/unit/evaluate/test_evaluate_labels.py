"""Label maps and loading labeled files (the public samples in tests/data and examples/)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from wom_sdk import InputError
from wom_sdk.evaluate import (
    BINARY_LABELS,
    STAR_LABELS,
    TEXT_LABELS,
    AspectTerm,
    infer_label_map,
    load_labeled,
    parse_label_map,
)
from wom_sdk.io._readers import open_source

ROOT = Path(__file__).parents[3]
DATA = ROOT / "tests" / "data"


def test_parse_label_map() -> None:
    m = parse_label_map("1=positive, 0=negative")
    assert m("1") == "positive"
    assert m(0) == "negative"
    assert m("1.0") == "positive"
    assert m.describe() == "given: 1 -> positive, 0 -> negative"
    m = parse_label_map("good:pos,bad:neg,meh=neu,both=mixed")
    assert [m(x) for x in ("GOOD", "bad", "meh", "both")] == [
        "positive",
        "negative",
        "neutral",
        "mixed",
    ]
    for bad in ("1=great", "positive", "=negative"):
        with pytest.raises(ValueError, match=f"bad label map entry '{bad}': expected VALUE=LABEL"):
            parse_label_map(bad)
    with pytest.raises(ValueError, match="empty label map"):
        parse_label_map("")
    with pytest.raises(ValueError, match="not in the label map"):
        m("2")


def test_default_maps() -> None:
    assert infer_label_map(["0", "1", 1, 0]) is BINARY_LABELS
    assert infer_label_map(["1"]) is BINARY_LABELS  # only 0/1 values: binary, not stars
    assert infer_label_map([1, 2, 3, 4, 5]) is STAR_LABELS
    assert [STAR_LABELS(s) for s in "12345"] == [
        "negative",
        "negative",
        "neutral",
        "positive",
        "positive",
    ]
    assert infer_label_map(["pos", "neg", "neu"]) is TEXT_LABELS
    assert infer_label_map(["Positive", "negative", "neutral", "mixed"]) is TEXT_LABELS
    assert TEXT_LABELS("conflict") == "mixed"
    with pytest.raises(ValueError, match="--label-map"):
        infer_label_map(["good", "bad"])
    assert "1 -> positive, 0 -> negative" in BINARY_LABELS.describe()


def test_load_example_csv_infers_binary() -> None:
    data = load_labeled(ROOT / "examples" / "labeled_sample.csv", text_column="review")
    assert len(data.items) == 40
    assert data.total_rows == 40
    assert data.label_map is BINARY_LABELS
    assert sum(it.gold == "positive" for it in data.items) == 20
    first = data.items[0]
    assert first.id.startswith("waimai-")
    assert first.gold_raw in {"0", "1"}
    # the text column is found without being named
    assert load_labeled(ROOT / "examples" / "labeled_sample.csv").items == data.items


def test_load_jsonl_with_aspects() -> None:
    data = load_labeled(DATA / "eval_semeval14.jsonl", aspect_column="aspects")
    assert data.label_map is TEXT_LABELS
    assert len(data.items) == 40
    with_aspects = [it for it in data.items if it.aspects]
    assert len(with_aspects) == 34
    assert all(isinstance(a, AspectTerm) for it in with_aspects for a in it.aspects or ())
    assert {it.gold for it in data.items} == {"positive", "negative", "neutral", "mixed"}


def test_limit_and_sample_are_deterministic() -> None:
    path = DATA / "eval_waimai.jsonl"
    assert [it.id for it in load_labeled(path, limit=3).items] == [
        it.id for it in load_labeled(path).items[:3]
    ]
    a = load_labeled(path, sample=10, seed=7).items
    assert a == load_labeled(path, sample=10, seed=7).items
    assert a != load_labeled(path, sample=10, seed=8).items
    ids = [it.id for it in a]
    assert ids == sorted(ids)  # kept in file order
    assert len(load_labeled(path, sample=10, seed=7, limit=4).items) == 4


def test_csv_with_stars_json_aspects_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    aspects = json.dumps([{"term": "电池", "polarity": "negative"}], ensure_ascii=False)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerows(
            [
                ["review", "stars", "aspects"],
                ["电池不行", "1", aspects],
                ["ok", "3", ""],
                ["", "5", ""],  # no text: skipped
                ["great", "5", "[]"],
            ]
        )
    data = load_labeled(path, label_column="stars", aspect_column="aspects")
    assert data.label_map is STAR_LABELS
    # No id column: row-N, the data row's number, as `wom analyze` names them.
    assert [(it.id, it.gold) for it in data.items] == [
        ("row-1", "negative"),
        ("row-2", "neutral"),
        ("row-4", "positive"),
    ]
    assert data.items[0].aspects == (AspectTerm("电池", "negative"),)
    assert data.items[1].aspects == ()


@pytest.mark.parametrize(("content", "kwargs", "message"), [
    ("opinion,label\nhi,1\n", {},
     "no review text column found; columns: 'opinion', 'label'. Name it with --text-column"),
    ("opinion,label\nhi,1\n", {"text_column": "opinion", "label_column": "score"},
     "--label-column 'score' is not a column of the input; columns: 'opinion', 'label'"),
    ("opinion,label\nhi,1\n", {"text_column": "opinion", "id_column": "order"},
     "--id-column 'order' is not a column of the input"),
    ("text,stars\nhi,1\n", {},
     "no label (gold sentiment) column found; columns: 'text', 'stars'. Name it with "
     "--label-column"),
    ("text,label\nhi,7\n", {}, "cannot tell how to read the gold labels ['7']"),
])
def test_clear_errors(tmp_path: Path, content: str, kwargs: dict[str, str],
                      message: str) -> None:
    path = tmp_path / "l.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)):
        load_labeled(path, **kwargs)


def test_named_columns_and_unreadable_lines(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("opinion,label\nhi,1\n", encoding="utf-8")
    assert load_labeled(path, text_column="opinion", label_map="1=neg").items[0].gold == "negative"
    bad = tmp_path / "l.jsonl"
    bad.write_text('{"text": "a", "label": 1}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"l\.jsonl: 1 line\(s\) are not JSON objects \(line 2\)"):
        load_labeled(bad)


def test_columns_are_found_as_wom_analyze_finds_them(tmp_path: Path) -> None:
    # Chinese exports: 编号 / 评论 / 标签, the names `wom analyze` recognises.
    path = tmp_path / "zh.csv"
    path.write_text("编号,评论,标签,评分\nA1,送餐很快,1,5\nA2,太难吃了,0,1\n", encoding="utf-8")
    data = load_labeled(path)
    assert [(it.id, it.text, it.gold) for it in data.items] == [
        ("A1", "送餐很快", "positive"), ("A2", "太难吃了", "negative")]
    # The same file through the reader of `wom analyze`: the same ids and texts.
    with open_source(str(path)) as source:
        assert [(r.id, r.text) for r in source] == [(it.id, it.text) for it in data.items]
    # Names are compared normalized, as there: case, spaces, full-width letters.
    path.write_text("ＩＤ,Review Text,Label\n7,great,1\n", encoding="utf-8")
    [item] = load_labeled(path).items
    assert (item.id, item.text, item.gold) == ("7", "great", "positive")


def test_ratings_can_be_the_labels(tmp_path: Path) -> None:
    # The stars column is both a known rating column and, here, the gold label.
    path = tmp_path / "stars.xlsx"
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["id", "review", "stars"])
    wb.active.append([17, "bad", 1])
    wb.active.append([18, "fine", 5])
    wb.save(path)
    data = load_labeled(path, label_column="stars")
    assert [(it.id, it.gold) for it in data.items] == [("17", "negative"), ("18", "positive")]
    assert data.label_map is STAR_LABELS
