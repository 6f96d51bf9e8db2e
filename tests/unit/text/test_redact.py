"""Redactor: identifiers go, everything else stays, and restore() is exact."""

from __future__ import annotations

import datetime
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wom_sdk._exceptions import ConfigurationError
from wom_sdk.text._redact import (
    ALL_KINDS,
    Redacted,
    Redactor,
    cn_id_ok,
    find_bank_cards,
    find_cn_ids,
    find_emails,
    find_phones,
    luhn_ok,
)

R = Redactor()


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.value) for s in R.find(text)]


def digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


# -- helpers for building valid numbers ------------------------------------------------


def with_id_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def with_luhn(body: str) -> str:
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def test_helpers_agree_with_known_numbers() -> None:
    assert with_id_check("11010519491231002") == "11010519491231002X"
    assert cn_id_ok("11010519491231002X")
    assert cn_id_ok("11010519491231002x")
    assert not cn_id_ok("110105194912310021")
    assert not cn_id_ok("110105194902300026")  # 30 February
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert with_luhn("411111111111111") == "4111111111111111"


# -- detectors: positives --------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("联系我 13800138000 谢谢", "13800138000"),
    ("电话138 0013 8000", "138 0013 8000"),
    ("电话138-0013-8000。", "138-0013-8000"),
    ("+86 138 0013 8000", "+86 138 0013 8000"),
    ("+8613800138000", "+8613800138000"),
    ("8613800138000", "8613800138000"),
    ("0086 13800138000", "0086 13800138000"),
    ("(+86)13800138000", "(+86)13800138000"),
    ("手机：１３８００１３８０００", "１３８００１３８０００"),
    ("tel13800138000", "13800138000"),
    ("座机010-12345678转", "010-12345678"),
    ("0755-1234567", "0755-1234567"),
    ("(021) 87654321", "(021) 87654321"),
    ("客服400-820-8820", "400-820-8820"),
    ("call +1 (555) 123-4567 now", "+1 (555) 123-4567"),
    ("call +44 20 7946 0958.", "+44 20 7946 0958"),
    ("call +49-30-1234567", "+49-30-1234567"),
    ("call 555-123-4567", "555-123-4567"),
    ("call (555) 123-4567", "(555) 123-4567"),
    ("call 415.555.2671", "415.555.2671"),
])
def test_phone_positive(text: str, value: str) -> None:
    assert kinds(text) == [("phone", value)]


@pytest.mark.parametrize(("text", "value"), [
    ("mail foo.bar+tag@example.co.uk please", "foo.bar+tag@example.co.uk"),
    ("邮箱12345678@qq.com，谢谢", "12345678@qq.com"),
    ("write to me: a_b-c@sub.mail-server.cn.", "a_b-c@sub.mail-server.cn"),
    ("ｆｏｏ＠ｑｑ．ｃｏｍ", "ｆｏｏ＠ｑｑ．ｃｏｍ"),
    ("foo@qq.com-thanks", "foo@qq.com"),
])
def test_email_positive(text: str, value: str) -> None:
    assert kinds(text) == [("email", value)]


@pytest.mark.parametrize(("text", "value"), [
    ("身份证11010519491231002X", "11010519491231002X"),
    ("id: 11010519491231002x.", "11010519491231002x"),
    ("身份证号 110105 19491231 002X 谢谢", "110105 19491231 002X"),
    ("ID " + with_id_check("44030020000229123"), with_id_check("44030020000229123")),
])
def test_cn_id_positive(text: str, value: str) -> None:
    assert kinds(text) == [("cn_id", value)]


@pytest.mark.parametrize(("text", "value"), [
    ("卡号4111111111111111", "4111111111111111"),
    ("card 4111 1111 1111 1111.", "4111 1111 1111 1111"),
    ("card 4111-1111-1111-1111", "4111-1111-1111-1111"),
    ("amex 3782 822463 10005", "3782 822463 10005"),
    ("银联 " + with_luhn("622202123456789012"), with_luhn("622202123456789012")),
    ("card 6222 0212 3456 7890 " + with_luhn("622202123456789012")[-3:],
     "6222 0212 3456 7890 " + with_luhn("622202123456789012")[-3:]),
    ("card 4111 1111 1111 1111 2 pcs", "4111 1111 1111 1111"),
])
def test_bank_card_positive(text: str, value: str) -> None:
    assert kinds(text) == [("bank_card", value)]


# -- detectors: negatives --------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "价格¥199，用了3天就坏了", "￥1,299.00 买的", "2024-05-01 下单，2024/05/03 到货",
    "2024年5月1日 12:30", "iPhone 15 Pro Max 256GB", "买了200件，数量 10000",
    "v1.2.3 固件", "ISBN 978-7-111-12345-6", "4111 1111 1111 1112 (Luhn fails)",
    "4111111111111112", "110105194912310021", "+5 stars!", "rated +199 +299 +399",
    "1+1=2", "尺码 170/88A", "05-06-2024", "2024.05.01", "邮编 100080", "第12315页",
    "20240501123045678", "timestamp 2024050112304567", "拼多多订单 240501-123456789012345",
    "a@b", "@home", "user@localhost", "C++ 11", "12 345 678", "13800138000123",
    "SN 9787111123456",
])
def test_not_identifiers(text: str) -> None:
    assert kinds(text) == []
    assert R.redact(text).text == text


def test_order_number_like_code_is_not_a_card_when_date_prefixed() -> None:
    # A Luhn-valid 18-digit number starting with a date: a timestamp or order id.
    number = with_luhn("20240501123456789")
    assert luhn_ok(number)
    assert find_bank_cards(number) == []


def test_id_number_is_not_also_a_phone_or_card() -> None:
    # Region "138001" makes the ID start like a mobile number.
    pid = with_id_check("13800119900101123")
    spans = R.find(f"证件 {pid}")
    assert [(s.kind, s.value) for s in spans] == [("cn_id", pid)]


def test_phone_with_country_code_is_not_a_card() -> None:
    number = "+1 " + " ".join(with_luhn("1234567890123")[i:i + 4] for i in range(0, 14, 4))
    assert kinds(f"call {number}") == [("phone", number)]
    assert kinds("0000 0000 0000") == []  # 12 digits: too short for a card


def test_email_with_digits_is_not_a_phone() -> None:
    assert kinds("13800138000@qq.com") == [("email", "13800138000@qq.com")]


def test_public_detectors() -> None:
    text = "a@b.cn 13800138000 11010519491231002X 4111111111111111"
    assert [s.value for s in find_emails(text)] == ["a@b.cn"]
    assert [s.value for s in find_phones(text)] == ["13800138000"]
    assert [s.value for s in find_cn_ids(text)] == ["11010519491231002X"]
    assert [s.value for s in find_bank_cards(text)] == ["4111111111111111"]


# -- placeholders ----------------------------------------------------------------------


def test_redact_and_restore() -> None:
    text = "电话13800138000，邮箱a@b.cn，再说一次13800138000，或者13900139000"
    r = R.redact(text)
    assert r.text == "电话[PHONE_1]，邮箱[EMAIL_1]，再说一次[PHONE_1]，或者[PHONE_2]"
    assert r.mapping == {"[PHONE_1]": "13800138000", "[EMAIL_1]": "a@b.cn",
                         "[PHONE_2]": "13900139000"}
    assert r.counts == {"phone": 3, "email": 1}
    assert r.total == 4
    assert r.restore(r.text) == text
    assert r.restore("请拨打[PHONE_2]或发邮件到[EMAIL_1]") == "请拨打13900139000或发邮件到a@b.cn"
    assert r.restore("unknown [PHONE_9] stays") == "unknown [PHONE_9] stays"


def test_nothing_to_redact() -> None:
    r = R.redact("质量很好")
    assert r == Redacted("质量很好")
    assert r.restore("anything") == "anything"
    assert r.total == 0


def test_same_value_same_placeholder_different_forms_differ() -> None:
    r = R.redact("13800138000 and 138 0013 8000")
    assert r.text == "[PHONE_1] and [PHONE_2]"
    assert r.restore(r.text) == "13800138000 and 138 0013 8000"


def test_numbering_goes_past_nine() -> None:
    phones = [f"1380013{n:04d}" for n in range(12)]
    text = " ".join(phones)
    r = R.redact(text)
    assert "[PHONE_12]" in r.text
    assert "[PHONE_1]" in r.text
    assert r.restore(r.text) == text
    assert r.restore("[PHONE_10][PHONE_1]") == phones[9] + phones[0]


def test_placeholder_never_collides_with_review_text() -> None:
    text = "I wrote [PHONE_1] literally, my number is 13800138000"
    r = R.redact(text)
    placeholder = next(iter(r.mapping))
    assert placeholder != "[PHONE_1]"
    assert r.text.count(placeholder) == 1
    assert r.restore(r.text) == text
    text2 = "[PHONE_1] [PHONE_1~1] 13800138000"
    r2 = R.redact(text2)
    assert list(r2.mapping) == ["[PHONE_1~2]"]
    assert r2.restore(r2.text) == text2


def test_restored_value_is_not_replaced_again() -> None:
    # A value that looks like a placeholder must survive restore (single pass).
    r = Redacted("[EMAIL_1] [PHONE_1]", {"[EMAIL_1]": "[PHONE_1]", "[PHONE_1]": "x"}, {})
    assert r.restore("[EMAIL_1] [PHONE_1]") == "[PHONE_1] x"


# -- configuration ---------------------------------------------------------------------


def test_order_numbers_only_when_configured() -> None:
    text = "订单号 123456789012345678 到了"
    assert all(k != "order_number" for k, _ in kinds(text))
    r = Redactor(order_number_pattern=r"\d{18,19}").redact(text)
    assert r.text == "订单号 [ORDER_NUMBER_1] 到了"
    assert r.counts == {"order_number": 1}


def test_order_number_pattern_with_group_keeps_context() -> None:
    red = Redactor(order_number_pattern=r"订单号[:：]?\s*([0-9]{6,20})")
    r = red.redact("订单号：4111111111111111 没到")
    # The configured pattern wins over the card heuristic.
    assert r.text == "订单号：[ORDER_NUMBER_1] 没到"


def test_kinds_subset_and_validation() -> None:
    r = Redactor(kinds=frozenset({"email"})).redact("a@b.cn 13800138000")
    assert r.text == "[EMAIL_1] 13800138000"
    with pytest.raises(ConfigurationError, match="unknown redaction kind"):
        Redactor(kinds=frozenset({"emails"}))
    with pytest.raises(ConfigurationError, match="not a valid regular expression"):
        Redactor(order_number_pattern="(")
    assert "email" in repr(Redactor())
    assert frozenset({"email", "phone", "cn_id", "bank_card", "order_number"}) == ALL_KINDS


def test_empty_matches_of_order_pattern_ignored() -> None:
    r = Redactor(order_number_pattern=r"\d*").redact("abc 12")
    assert r.text == "abc [ORDER_NUMBER_1]"


# -- properties ------------------------------------------------------------------------

FILLER_ALPHABET = st.characters(
    whitelist_categories=("L", "Zs", "Po", "So"),
    blacklist_characters="@＠.．+＋-－()（）[]［］#＃%％_",
)
filler = st.text(alphabet=FILLER_ALPHABET, max_size=30)
sep = st.sampled_from([" ", "，", "：", "\n", "。", "! ", " (", ") "])

_digit = st.sampled_from("0123456789")


def _digits_st(n: int) -> st.SearchStrategy[str]:
    return st.lists(_digit, min_size=n, max_size=n).map("".join)


@st.composite
def cn_mobiles(draw: st.DrawFn) -> str:
    number = "1" + draw(st.sampled_from("3456789")) + draw(_digits_st(9))
    s = draw(st.sampled_from(["", " ", "-"]))
    body = number if not s else f"{number[:3]}{s}{number[3:7]}{s}{number[7:]}"
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "86", "0086 ", "(+86) ", "+86-"]))
    return prefix + body


@st.composite
def intl_phones(draw: st.DrawFn) -> str:
    cc = draw(st.sampled_from(["1", "44", "49", "33", "81", "852", "61"]))
    groups = draw(st.lists(st.integers(2, 4), min_size=2, max_size=4))
    while len(cc) + sum(groups) > 15:  # E.164: at most 15 digits
        groups.pop()
    if len(cc) + sum(groups) < 8:
        groups.append(8 - len(cc) - sum(groups))
    s = draw(st.sampled_from([" ", "-", "."]))
    parts = [draw(_digits_st(g)) for g in groups]
    return "+" + cc + s + s.join(parts)


@st.composite
def landlines(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["010", "021", "0755", "0571", "020"]))
    local = draw(st.sampled_from("123456789")) + draw(_digits_st(draw(st.sampled_from([6, 7]))))
    form = draw(st.sampled_from(["{a}-{l}", "{a} {l}", "({a}){l}", "({a}) {l}", "{a}{l}"]))
    return form.format(a=area, l=local)


@st.composite
def emails(draw: st.DrawFn) -> str:
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    local = draw(st.text(alphabet=alnum + "._%+-", min_size=1, max_size=20))
    labels = draw(st.lists(st.text(alphabet=alnum, min_size=1, max_size=10), min_size=1,
                           max_size=3))
    tld = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6))
    return f"{local}@{'.'.join(labels)}.{tld}"


@st.composite
def cn_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from("123456789")) + draw(_digits_st(5))
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2024, 12, 31)))
    pid = with_id_check(region + born.strftime("%Y%m%d") + draw(_digits_st(3)))
    return pid if draw(st.booleans()) else pid.lower()


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix, length = draw(st.sampled_from([("4", 16), ("4", 13), ("51", 16), ("55", 16),
                                           ("62", 16), ("62", 19), ("37", 15), ("6011", 16),
                                           ("35", 16)]))
    number = with_luhn(prefix + draw(_digits_st(length - len(prefix) - 1)))
    if length in (16, 19) and draw(st.booleans()):
        s = draw(st.sampled_from([" ", "-"]))
        return s.join(number[i:i + 4] for i in range(0, length, 4))
    return number


IDENTIFIERS = {
    "phone": cn_mobiles() | intl_phones() | landlines(),
    "email": emails(),
    "cn_id": cn_ids(),
    "bank_card": cards(),
}


@given(st.lists(st.tuples(filler, sep, st.sampled_from(sorted(IDENTIFIERS)).flatmap(
    lambda k: st.tuples(st.just(k), IDENTIFIERS[k])), sep), min_size=1, max_size=4), filler)
def test_property_identifiers_are_removed_and_restored(
    pieces: list[tuple[str, str, tuple[str, str], str]], tail: str
) -> None:
    text = "".join(f"{before}{s1}{value}{s2}" for before, s1, (_, value), s2 in pieces) + tail
    r = R.redact(text)
    redacted_digits = digits(r.text)
    for _, _, (kind, value), _ in pieces:
        assert value not in r.text
        if kind != "email":
            assert digits(value) not in redacted_digits
        assert r.counts.get(kind, 0) >= 1, (kind, value, r.text)
    assert r.restore(r.text) == text
    # Every placeholder is new text, and appears only where it was put.
    for placeholder in r.mapping:
        assert placeholder not in text


@given(st.text(alphabet=st.characters(whitelist_categories=("L", "Zs", "P", "So", "Sm"),
                                      blacklist_characters="@＠")))
def test_property_text_without_identifiers_is_untouched(text: str) -> None:
    r = R.redact(text)
    assert r.text == text
    assert r.mapping == {}
    assert r.counts == {}


@given(st.text())
def test_property_any_text_round_trips(text: str) -> None:
    r = R.redact(text)
    assert r.restore(r.text) == text
    for placeholder in r.mapping:
        assert re.fullmatch(r"\[[A-Z_]+_[0-9]+(~[0-9]+)?\]", placeholder)


@given(st.text(alphabet="0123456789 -+().@abc", max_size=200))
def test_property_digit_soup_round_trips(text: str) -> None:
    r = R.redact(text)
    assert r.restore(r.text) == text
    spans = R.find(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_large_input_is_fast() -> None:
    import time

    text = ("1 " * 50_000) + ("a." * 50_000) + ("+1 " * 30_000) + "13800138000"
    t = time.perf_counter()
    r = R.redact(text)
    assert time.perf_counter() - t < 2.0
    assert r.text.endswith("[PHONE_1]")
