"""Drafts: every sentence checked against the points; never in a customer's voice."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.records import line, write_lines
from wom_sdk.actions import check_draft, draft_description
from wom_sdk.actions._highlights import HighlightGroup, HighlightPoint
from wom_sdk.cli import main
from wom_sdk.report import Quote
from wom_sdk.testing import FakeLLM, answer, invalid_json, set_testing


def _point(theme: str, *quotes: str) -> HighlightPoint:
    return HighlightPoint(theme, len(quotes), 0.5,
                          tuple(Quote(q, theme, f"r{i}", None, "zh") for i, q in enumerate(quotes)))


ZH = [_point("续航", "续航很持久", "续航一整天没问题", "电池续航超出预期"),
      _point("音质", "音质很清晰", "音质清晰，低音足", "音质很好")]
EN = [_point("battery", "The battery lasts all day", "battery life is great",
             "Battery lasted 2 days"),
      _point("sound", "the sound is crystal clear", "Sound is clear", "great sound")]


def test_supported_chinese_sentences_pass() -> None:
    check = check_draft("这款耳机续航持久，一整天没问题。音质清晰，低音足。", ZH, product="X1 耳机")
    assert check.refused is None
    assert check.kept == ("这款耳机续航持久，一整天没问题。", "音质清晰，低音足。")
    assert check.dropped == ()


def test_unsupported_claims_and_new_numbers_are_dropped() -> None:
    check = check_draft("续航持久，音质清晰。支持无线快充和防水。续航长达30小时。", ZH)
    assert check.kept == ("续航持久，音质清晰。",)
    reasons = dict(check.dropped)
    assert reasons["支持无线快充和防水。"] == "names no praised point"
    assert reasons["续航长达30小时。"] == "the number 30 is in no quote"


def test_a_partly_supported_sentence_is_measured_by_its_terms() -> None:
    # 音质 质清 清晰 | 还支 支持 持无 无线 线充 充电: 3 of 9 terms from the points
    check = check_draft("音质清晰，还支持无线充电。", ZH)
    assert check.dropped == (("音质清晰，还支持无线充电。",
                              "not supported by the points (33% of its terms, 50% needed)"),)
    assert check.refused == "no sentence of the draft is supported by the praised points"


def test_numbers_of_the_product_name_are_no_claim() -> None:
    check = check_draft("X1 耳机续航持久。续航长达30小时。", ZH, product="X1 耳机")
    assert check.kept == ("X1 耳机续航持久。",)
    assert check_draft("X1 耳机续航持久。", ZH).dropped[0][1] == "the number 1 is in no quote"


def test_english_with_attribution_and_numbers_from_quotes() -> None:
    text = "Customers say the battery lasts all day. Battery lasted 2 days in use. " \
           "Now with noise cancelling."
    check = check_draft(text, EN)
    assert check.kept == ("Customers say the battery lasts all day.",
                          "Battery lasted 2 days in use.")
    assert check.dropped[0][0] == "Now with noise cancelling."


def test_quotation_marks_must_enclose_verbatim_review_text() -> None:
    good = check_draft("顾客称赞“音质很清晰”。", ZH)
    assert good.kept == ("顾客称赞“音质很清晰”。",)
    # grounding forgives width and quote style, not words
    assert check_draft('Buyers call it "Sound is clear".', EN).kept
    bad = check_draft("顾客称赞“音质堪比录音棚”。", ZH)
    assert bad.dropped[0][1] == "quotation “音质堪比录音棚” is not verbatim text of any quote"
    unbalanced = check_draft("音质“很清晰。", ZH)
    assert unbalanced.dropped[0][1] == "a quotation mark without its pair"


@pytest.mark.parametrize("text", [
    "我用了一周，续航持久。",
    "I love it: the battery lasts all day.",
    "My kids say the sound is crystal clear.",
    "续航持久，已经回购三次。",
    "Five stars, the battery lasts all day.",
])
def test_a_customer_voice_refuses_the_whole_draft(text: str) -> None:
    check = check_draft(f"音质清晰。{text}", ZH + EN)
    assert check.kept == ()
    assert check.refused is not None
    assert "reads as a customer review" in check.refused


def test_first_person_inside_a_verbatim_quotation_is_a_quote() -> None:
    points = [_point("续航", "我觉得续航很持久", "续航好", "续航久")]
    check = check_draft("有顾客说“我觉得续航很持久”。", points)
    assert check.refused is None
    assert len(check.kept) == 1
    assert check_draft("我们的耳机续航很持久。", points).refused is None  # the shop's "we"


def _group() -> HighlightGroup:
    return HighlightGroup("X1 耳机", 10, 10, 6, 0, tuple(ZH), 0, False)


def test_the_draft_goes_through_the_analyzer_with_the_points_as_data() -> None:
    llm = FakeLLM([answer({"language": "zh",
                           "description": "续航持久，一整天没问题。音质清晰。支持防水。"})])
    with set_testing(True):
        draft = draft_description(_group(), llm.analyzer())
    assert draft.text == "续航持久，一整天没问题。音质清晰。"
    assert draft.dropped == (("支持防水。", "names no praised point"),)
    assert draft.reviews == 3  # the quotes' review ids: r0, r1, r2
    assert "Drafted by a model from 3 real reviews" in draft.note
    assert "根据 3 条真实评价起草" in draft.note
    (request,) = llm.requests
    assert "Draft a short product description" in request.system_prompt
    assert request.reviews[0].startswith("Point 1: 续航 (praised in 3 reviews)\n- “续航很持久”")
    assert "Product: X1 耳机" in request.messages[1]["content"]


def test_a_model_without_a_usable_answer_makes_a_refused_draft() -> None:
    llm = FakeLLM([invalid_json()] * 3)
    with set_testing(True):
        draft = draft_description(_group(), llm.analyzer(max_reasks=2))
    assert draft.text is None
    assert draft.refused is not None
    assert draft.refused.startswith("the model gave no usable draft")


def test_cli_draft_through_the_analyzer_seam(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    lines = [line(f"r{i}", f"音质很清晰{i}", label="positive", product="X1",
                  praise=[("音质", f"音质很清晰{i}")]) for i in range(3)]
    path = write_lines(tmp_path / "out.jsonl", lines)
    llm = FakeLLM([answer({"language": "zh", "description": "我买了，音质很清晰。"})])
    out = tmp_path / "h.md"
    with set_testing(True):
        status = main(["highlights", str(path), "-o", str(out), "--draft",
                       "--base-url", "http://unused.test/v1"],
                      analyzer_factory=lambda **kw: llm.analyzer())
    assert status == 0
    md = out.read_text("utf-8")
    assert "#### Draft description" in md
    assert "_No draft: the draft reads as a customer review" in md
    assert "我买了" not in md.split("#### Draft description")[1].split("_No draft")[0]
    assert "no draft for all reviews" in capsys.readouterr().err


def test_cli_draft_without_an_endpoint_fails_before_reading(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "out.jsonl", [line("r1", "好", label="positive")])
    assert main(["highlights", str(path), "--draft", "-o", str(tmp_path / "h.md")]) == 1
    assert not (tmp_path / "h.md").exists()
