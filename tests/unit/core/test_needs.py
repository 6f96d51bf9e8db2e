"""The ``needs`` task and section: vocabulary tags, verbatim quotes, no person's attributes."""

from __future__ import annotations

import json

import pytest

from wom_sdk import NEED_TAGS, ConfigurationError, Need, ReviewInsight
from wom_sdk._tasks._needs import attribute_like, names_recipient, normalize_tag
from wom_sdk._tasks._outputs import NeedsOut, OutputInvalid, ValidationContext, validate_output
from wom_sdk.testing import FakeLLM, insight, set_testing

REVIEW = "给爸妈买的，字太小了，老人看不清"


@pytest.fixture(autouse=True)
def _no_waits():
    with set_testing(True):
        yield


def _validate(answer: dict, *, review: str = REVIEW, final: bool = False):
    ctx = ValidationContext(review=review, categories=("other",), final=final)
    out = validate_output(NeedsOut, json.dumps(answer, ensure_ascii=False), ctx)
    return out, ctx


def needs(*items: tuple[str, str]) -> dict:
    return {"language": "zh", "needs": [{"tag": t, "quote": q} for t, q in items]}


# -- the vocabulary -----------------------------------------------------------------------


def test_every_tag_is_a_recipient_a_use_or_other_and_none_is_an_attribute() -> None:
    assert {kind for kind, _ in NEED_TAGS.values()} == {"recipient", "use", "other"}
    assert "other" in NEED_TAGS
    assert not any(attribute_like(tag) for tag in NEED_TAGS)
    # A Need has no field that could hold a person's profile.
    assert set(Need.model_fields) == {"tag", "kind", "quote"}


@pytest.mark.parametrize(
    "tag",
    ["female", "Elderly", "young adult", "60岁", "30s", "student", "男性", "老年人", "retired",
     "for_women", "single-mom"],
)
def test_attribute_like_tags_are_recognised(tag: str) -> None:
    assert attribute_like(normalize_tag(tag))


@pytest.mark.parametrize("tag", ["home_office", "birthday", "camping_trip", "宠物用品"])
def test_other_unknown_tags_are_not_attributes(tag: str) -> None:
    assert not attribute_like(normalize_tag(tag))


@pytest.mark.parametrize(
    ("tag", "quote", "named"),
    [
        ("parents", "给爸妈买的", True),
        ("parents", "字太小了，老人看不清", False),  # a guess from the complaint: refused
        ("family", "字太小了，老人看不清", True),  # an older relative is named
        ("child", "I got it for my son", True),
        ("child", "the reason it failed", False),  # "son" only inside a word
        ("partner", "送女朋友的生日礼物", True),
        ("self", "I bought it for me", True),
        ("gift", "送女朋友的生日礼物", True),  # uses are not checked for a person
        ("parents", "母に買いました", True),  # Japanese: no word list, not checked
    ],
)
def test_a_recipient_quote_must_name_the_person(tag: str, quote: str, named: bool) -> None:
    assert names_recipient(tag, quote) is named


# -- validation of an answer ------------------------------------------------------------------


def test_a_grounded_answer_is_kept_with_the_reviews_own_text() -> None:
    out, ctx = _validate(needs(("parents", "给爸妈买的"), ("Gift ", "给爸妈买的")))
    assert [(n.tag, n.quote) for n in out.needs] == [("parents", "给爸妈买的"),
                                                     ("gift", "给爸妈买的")]
    assert ctx.warnings == []


def test_an_attribute_tag_is_refused_and_the_model_is_told_why() -> None:
    with pytest.raises(OutputInvalid) as caught:
        _validate(needs(("parents", "给爸妈买的"), ("elderly", "老人看不清")))
    assert caught.value.grounding_only  # the last attempt may drop it instead of failing
    assert "describes a person" in str(caught.value)


def test_on_the_last_attempt_attribute_tags_and_guesses_are_dropped_with_warnings() -> None:
    answer = needs(("parents", "给爸妈买的"), ("female", "给爸妈买的"), ("child", "字太小了"),
                   ("gift", "送给妈妈的礼物"))  # the last quote is not in the review
    out, ctx = _validate(answer, final=True)
    assert [(n.tag, n.quote) for n in out.needs] == [("parents", "给爸妈买的")]
    text = " ".join(ctx.warnings)
    assert "'female' describes a person" in text
    assert "does not name who" in text
    assert "送给妈妈的礼物" in text  # the ungrounded quote


def test_an_ungrounded_quote_is_refused() -> None:
    with pytest.raises(OutputInvalid) as caught:
        _validate(needs(("parents", "买给我妈妈的")))
    assert "not verbatim" in str(caught.value)


def test_an_unknown_tag_that_is_no_attribute_becomes_other() -> None:
    out, ctx = _validate(needs(("birthday", "给爸妈买的")))
    assert [n.tag for n in out.needs] == ["other"]
    assert ctx.warnings == ["unknown need tag 'birthday' mapped to 'other'"]


# -- the analyzers --------------------------------------------------------------------------


def test_needs_asks_with_the_vocabulary_and_the_no_attribute_rule() -> None:
    llm = FakeLLM([{"language": "zh", "needs": [{"tag": "parents", "quote": "给爸妈买的"}]}])
    got = llm.analyzer().needs(REVIEW)
    assert got == [Need(tag="parents", kind="recipient", quote="给爸妈买的")]
    request = llm.requests[0]
    assert request.task == "needs"
    assert request.schema is not None
    tags = request.schema["$defs"]["NeedOut"]["properties"]["tag"]["enum"]
    assert tags == list(NEED_TAGS)
    system = request.system_prompt
    assert "Never describe a person" in system
    assert "age, gender" in system
    assert "Do not infer a need" in system


def test_needs_re_asks_after_an_attribute_tag_then_drops_it() -> None:
    bad = {"language": "zh", "needs": [{"tag": "parents", "quote": "给爸妈买的"},
                                       {"tag": "elderly", "quote": "老人看不清"}]}
    llm = FakeLLM([bad, bad, bad])
    got = llm.analyzer(max_reasks=2).needs(REVIEW)
    assert [n.tag for n in got] == ["parents"]
    assert len(llm.requests) == 3
    assert "describes a person" in llm.requests[1].messages[-1]["content"]


async def test_the_async_twin_gives_the_same_needs() -> None:
    answer = {"language": "en", "needs": [{"tag": "gift", "quote": "a gift for my wife"},
                                          {"tag": "partner", "quote": "a gift for my wife"}]}
    llm = FakeLLM([answer])
    async with llm.async_analyzer() as a:
        got = await a.needs("Bought it as a gift for my wife, she loves it")
    assert [(n.tag, n.kind) for n in got] == [("gift", "use"), ("partner", "recipient")]


def test_analyze_includes_needs_only_when_asked() -> None:
    with_needs = {**insight(sentiment="negative", complaints=["字太小了"], language="zh"),
                  "needs": [{"tag": "parents", "quote": "给爸妈买的"}]}
    llm = FakeLLM([insight(language="zh"), with_needs])
    plain = llm.analyzer().analyze(REVIEW)
    assert plain.needs is None
    assert "needs" not in json.dumps(llm.requests[0].body, ensure_ascii=False)
    asked = llm.analyzer().analyze(REVIEW, include=("needs",))
    assert asked.needs == [Need(tag="parents", kind="recipient", quote="给爸妈买的")]
    assert [c.quote for c in asked.complaints] == ["字太小了"]
    request = llm.requests[1]
    assert request.task == "analyze"
    assert request.sections == ("needs",)
    assert "Never describe a person" in request.system_prompt
    assert request.body["response_format"]["json_schema"]["name"] == "wom_analyze_needs"


def test_include_on_the_analyzer_reaches_every_analysis_packed_too() -> None:
    llm = FakeLLM()
    a = llm.analyzer(include=["needs"])
    results = a.analyze_many(["给爸妈买的", "送女朋友的", "fine"], pack=3)
    assert [r.insight.needs for r in results if r.insight] == [[], [], []]
    assert llm.requests[-1].task == "analyze_pack"
    assert llm.requests[-1].sections == ("needs",)
    # ... unless a call says otherwise.
    assert a.analyze("fine", include=()).needs is None


def test_a_packed_answer_grounds_each_reviews_needs_against_its_own_text() -> None:
    def pack_answer(request):
        ids = request.review_ids
        return {"results": [
            {"id": ids[0], **insight(language="zh"),
             "needs": [{"tag": "parents", "quote": "给爸妈买的"}]},
            # The second review does not say this: the quote is the first review's.
            {"id": ids[1], **insight(language="zh"),
             "needs": [{"tag": "parents", "quote": "给爸妈买的"}]},
        ]}

    llm = FakeLLM([pack_answer] * 3)
    results = llm.analyzer(include=("needs",), max_reasks=2).analyze_many(
        ["给爸妈买的", "送女朋友的"], pack=2)
    first, second = (r.insight for r in results)
    assert first is not None
    assert second is not None
    assert [n.tag for n in first.needs or []] == ["parents"]
    assert second.needs == []
    assert any("not in the review" in w for w in second.warnings)


def test_unknown_sections_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="known: needs"):
        FakeLLM().analyzer(include=("persona",))
    with pytest.raises(ConfigurationError):
        FakeLLM().analyzer().analyze("ok", include=["needs", "age"])


def test_needs_survive_the_results_line() -> None:
    value = ReviewInsight.model_validate({**insight(), "reply": {"text": "thanks"},
                                          "needs": [{"tag": "gift", "kind": "use",
                                                     "quote": "gift"}]})
    again = ReviewInsight.model_validate_json(value.model_dump_json())
    assert again.needs == value.needs
