"""find_quote: verbatim modulo width, case, spacing and wrapping; spans are the original's."""

from __future__ import annotations

import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wom_sdk.text._grounding import find_quote, is_grounded, normalize_for_match, quote_span

REVIEW_ZH = "这个手机 电池 很差，用了３天就坏了！客服态度“还行”。ＯＫ吧"
REVIEW_EN = (
    "The Battery is TERRIBLE!!  It broke after 3 days.\nCustomer  service was ‘fine’ — I guess."
)


@pytest.mark.parametrize(("review", "quote", "expected"), [
    (REVIEW_ZH, "电池很差", "电池 很差"),
    (REVIEW_ZH, "“电池很差。”", "电池 很差"),
    (REVIEW_ZH, "用了3天就坏了", "用了３天就坏了"),
    (REVIEW_ZH, "用了 3 天就坏了！", "用了３天就坏了！"),
    (REVIEW_ZH, "客服态度\"还行\"", "客服态度“还行”"),
    (REVIEW_ZH, "ok吧", "ＯＫ吧"),
    (REVIEW_ZH, "坏了!", "坏了！"),
    (REVIEW_ZH, "很差,用了", "很差，用了"),
    (REVIEW_ZH, "坏", "坏"),
    (REVIEW_EN, "battery is terrible", "Battery is TERRIBLE"),
    (REVIEW_EN, '"The battery is terrible!!"', "The Battery is TERRIBLE!!"),
    (REVIEW_EN, "it broke after 3 days", "It broke after 3 days"),
    (REVIEW_EN, "terrible!! it broke", "TERRIBLE!!  It broke"),
    (REVIEW_EN, "days. Customer service", "days.\nCustomer  service"),
    (REVIEW_EN, "service was 'fine' - I guess", "service was ‘fine’ — I guess"),
    (REVIEW_EN, "  **broke after 3 days**  ", "broke after 3 days"),
    (REVIEW_EN, "`fine`", "fine"),
    (REVIEW_EN, "!!", "!!"),
])
def test_found(review: str, quote: str, expected: str) -> None:
    assert find_quote(review, quote) == expected
    assert is_grounded(review, quote)


@pytest.mark.parametrize(("review", "quote"), [
    (REVIEW_ZH, "电池很好"),
    (REVIEW_ZH, "用了4天就坏了"),
    (REVIEW_ZH, ""),
    (REVIEW_ZH, "   "),
    (REVIEW_ZH, "“”"),
    (REVIEW_EN, "battery is awful"),
    (REVIEW_EN, "broke after three days"),
    (REVIEW_EN, "The battery was terrible"),
    (REVIEW_EN, "terribl e"),
    (REVIEW_EN, "batteryis"),
    ("", "x"),
])
def test_not_found(review: str, quote: str) -> None:
    assert find_quote(review, quote) is None
    assert not is_grounded(review, quote)


def test_latin_words_keep_their_space() -> None:
    assert find_quote("good battery", "goodbattery") is None
    assert find_quote("goodbattery", "good battery") is None


def test_spaces_next_to_cjk_are_ignored() -> None:
    assert find_quote("用了iPhone 15后", "用了 iPhone 15 后") == "用了iPhone 15后"
    assert find_quote("用了 iPhone 15 后", "用了iPhone 15后") == "用了 iPhone 15 后"


def test_span_is_exact_original_offsets() -> None:
    review = "前言。ＡＢＣ　很好"
    span = quote_span(review, "abc很好")
    assert span == (3, 9)
    assert review[3:9] == "ＡＢＣ　很好"


def test_first_occurrence_is_returned() -> None:
    assert quote_span("bad, BAD, bad", "bad") == (0, 3)


def test_match_covers_whole_characters() -> None:
    # "ß" folds to "ss" and "ﬁ" to "fi": half of one does not match.
    assert find_quote("Straße", "strasse") == "Straße"
    assert find_quote("Straße", "stras") is None
    assert find_quote("ﬁne", "fine") == "ﬁne"
    assert find_quote("ﬁne", "ine") is None


def test_composed_and_decomposed_accents_agree() -> None:
    assert find_quote("café au lait", "cafe\u0301") == "café"
    assert find_quote("cafe\u0301 au lait", "café") == "cafe\u0301"


def test_accents_are_not_ignored_at_the_end() -> None:
    # "cafe" matches the letters of decomposed "café" only up to a whole character.
    assert find_quote("cafe\u0301", "cafe") == "cafe"
    assert find_quote("café", "cafe") is None


def test_invisible_characters_ignored() -> None:
    assert find_quote("电\u200b池很差", "电池很差") == "电\u200b池很差"
    assert find_quote("电池很差", "电\u200b池") == "电池"


def test_many_quotes_on_a_long_review_are_fast() -> None:
    review = ("这个手机电池很差，用了三天就坏了。The battery is terrible. " * 200)[:6000]
    quotes = [review[i : i + 20] for i in range(0, 5800, 97)] + ["不在评论里的句子"] * 20
    t = time.perf_counter()
    for q in quotes:
        find_quote(review, q)
    assert time.perf_counter() - t < 1.0


def test_pathological_repetition_is_fast() -> None:
    review = "a" * 6000
    t = time.perf_counter()
    assert find_quote(review, "a" * 3000 + "b") is None
    assert find_quote(review, "a" * 3000) == "a" * 3000
    assert time.perf_counter() - t < 1.0


def test_normalize_for_match() -> None:
    assert normalize_for_match("  ＡＢＣ， 好  ") == "abc,好"
    assert normalize_for_match("a \n\t b") == "a b"


# -- properties ------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=200)
MIXED_TEXT = st.lists(
    st.sampled_from([*"ab AB好的，。！!?“”\"'\n\t１２3ＸßﬁéÉ*", "e\u0301", "\u3000", "\u200b"]),
    max_size=80,
).map("".join)


@given(st.one_of(ANY_TEXT, MIXED_TEXT), st.data())
def test_property_every_substring_is_found(review: str, data: st.DataObject) -> None:
    assume(len(review) >= 1)
    a = data.draw(st.integers(0, len(review) - 1))
    b = data.draw(st.integers(a + 1, len(review)))
    quote = review[a:b]
    assume(normalize_for_match(quote))
    found = find_quote(review, quote)
    assert found is not None
    assert normalize_for_match(found) == normalize_for_match(quote)
    span = quote_span(review, quote)
    assert span is not None
    assert review[span[0] : span[1]] == found


@given(st.one_of(ANY_TEXT, MIXED_TEXT), st.one_of(st.text(max_size=30), MIXED_TEXT))
def test_property_strings_not_in_review_are_not_found(review: str, quote: str) -> None:
    norm_review = normalize_for_match(review)
    found = find_quote(review, quote)
    if found is None:
        return
    # Whatever is found is really there, in the review's own characters.
    assert found in review
    assert normalize_for_match(found) in norm_review


@given(st.text(alphabet="abc好的 ", max_size=60), st.text(alphabet="xyz坏", min_size=1,
                                                           max_size=10))
def test_property_foreign_quotes_are_not_found(review: str, quote: str) -> None:
    assert find_quote(review, quote) is None


@given(st.text(max_size=100), st.text(max_size=30))
def test_property_never_crashes(review: str, quote: str) -> None:
    span = quote_span(review, quote)
    if span is not None:
        assert 0 <= span[0] < span[1] <= len(review)
