"""``find_alerts``: new review alerts and weekly spikes, the state file, the payload."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

from helpers.records import line, write_lines
from wom_sdk import InputError
from wom_sdk.actions import AlertState, alerts_payload, find_alerts
from wom_sdk.report import build_report

MONDAY = dt.date(2024, 4, 1)  # ISO week 2024-W14


def _week(week: int, negatives: int, *, total: int = 10) -> list[dict[str, Any]]:
    """``total`` reviews dated in week ``week`` (0-based), ``negatives`` of them about battery."""
    day = (MONDAY + dt.timedelta(weeks=week)).isoformat()
    out = []
    for i in range(total):
        rid = f"w{week}-{i}"
        if i < negatives:
            out.append(line(rid, "电池不耐用", rating=2, date=day,
                            complaints=[("battery", "电池", "电池不耐用", "medium")]))
        else:
            out.append(line(rid, "挺好的", label="positive", rating=5, date=day))
    return out


def spike_lines() -> list[dict[str, Any]]:
    # W14 and W15: 1 of 10 negative (battery); W16: 5 of 10. Baseline of W16 is
    # mean(0.1, 0.1) = 0.1 with no spread, so the threshold is 0.1 + max(0.10, 0) = 0.2:
    # 0.5 >= 0.2 and 5 >= 3 reviews -> an alert for "negative share" and for "battery".
    # W15 has one baseline week only (2 needed): no alert.
    return _week(0, 1) + _week(1, 1) + _week(2, 5)


def test_spikes_are_the_reports_alerts(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", spike_lines())
    run = find_alerts(path)
    assert [s.key for s in run.spikes] == ["spike:2024-W16:negative share",
                                           "spike:2024-W16:battery"]
    a = run.spikes[0].alert
    assert (a.share, a.baseline, a.threshold, a.count, a.total) == (0.5, 0.1, pytest.approx(0.2),
                                                                    5, 10)
    # Shared code, not a copy: exactly the alerts `wom report` shows.
    assert [s.alert for s in run.spikes] == list(build_report(path).alerts)
    assert run.reviews_new == 0
    assert run.new == 2
    assert run.records == 30


def test_a_second_run_with_the_state_finds_nothing_new(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", [
        *spike_lines(),
        line("s1", "充电时冒烟了", rating=1, date="2024-04-17",
             complaints=[("hygiene_safety", "充电", "充电时冒烟了", "high")]),
    ])
    first = find_alerts(path)
    assert first.new == 3
    assert first.reviews_new == 1
    state = AlertState(first.new_keys)
    again = find_alerts(path, state=state)
    assert (again.new, again.known, again.new_keys) == (0, 3, frozenset())


def test_review_alerts_most_urgent_first_and_capped(tmp_path: Path) -> None:
    lines = [
        # urgency without recency: 40 legal + 15 negative = 55
        line("b", "I will sue you", date="2024-05-02", language="en"),
        # 30 high + 15 negative + 20 one star = 65
        line("a", "坏了", rating=1, date="2024-05-01",
             complaints=[("product_quality", "质量", "坏了", "high")]),
        # 55 again, newer than "b": before it
        line("c", "我要起诉你们", date="2024-05-03"),
        # 55 again, same day as "c", larger id: after it
        line("d", "找律师告你", date="2024-05-03"),
        line("ok", "很好", label="positive", rating=5),
    ]
    run = find_alerts(write_lines(tmp_path / "r.jsonl", lines), max_reviews=3)
    assert [a.id for a in run.reviews] == ["a", "c", "d"]
    assert [a.score for a in run.reviews] == [65, 55, 55]
    assert run.reviews[0].reasons == ("high_severity", "one_star_complaint")
    assert run.reviews[1].reasons == ("legal_threat",)
    assert run.reviews_new == 4  # "b" is counted and remembered, not listed
    assert "review:b" in run.new_keys


def test_since_keeps_undated_reviews_and_recent_weeks(tmp_path: Path) -> None:
    lines = [*spike_lines(),
             line("old", "起火了", date="2024-03-01"),
             line("nodate", "起火了"),
             line("new", "起火了", date="2024-05-01")]
    path = write_lines(tmp_path / "r.jsonl", lines)
    run = find_alerts(path, since=dt.date(2024, 4, 21))
    assert sorted(a.id for a in run.reviews) == ["new", "nodate"]
    assert len(run.spikes) == 2  # W16 ends on Sunday 2024-04-21
    assert find_alerts(path, since=dt.date(2024, 4, 22)).spikes == ()


def test_the_payload_has_no_review_text_unless_asked(tmp_path: Path) -> None:
    text = "收到就漏电，孩子被电到了，客服电话13800138000"
    path = write_lines(tmp_path / "r.jsonl", [
        line("x1", text, rating=1, product="暖手宝", date="2024-05-01",
             complaints=[("hygiene_safety", "漏电", "收到就漏电", "high")])])
    payload = alerts_payload(find_alerts(path), "r.jsonl")
    dumped = json.dumps(payload, ensure_ascii=False)
    assert "漏电" not in dumped
    assert "13800138000" not in dumped
    review = payload["alerts"][0]
    assert "text" not in review
    assert "quotes" not in review
    # The phone number is personal data: a reason for a human, not an emergency.
    assert review["reasons"] == ["safety_claim", "high_severity", "one_star_complaint"]
    assert payload["summary"].splitlines() == [
        "wom alerts: 1 new in r.jsonl: 1 review needs a response now",
        "review x1 (暖手宝, 2024-05-01, 1★): safety_claim, high_severity, one_star_complaint",
    ]
    with_text = alerts_payload(find_alerts(path, include_text=True), "r.jsonl")
    assert with_text["alerts"][0]["text"] == text
    assert with_text["alerts"][0]["quotes"] == ["收到就漏电"]


def test_output_does_not_depend_on_input_order(tmp_path: Path) -> None:
    lines = [*spike_lines(), line("s1", "冒烟了", date="2024-04-16"),
             line("s2", "lawyer", date="2024-04-16", language="en")]
    shuffled = lines[:]
    random.Random(7).shuffle(shuffled)
    one = alerts_payload(find_alerts(write_lines(tmp_path / "a.jsonl", lines)), "x")
    two = alerts_payload(find_alerts(write_lines(tmp_path / "b.jsonl", shuffled)), "x")
    assert json.dumps(one) == json.dumps(two)


def test_the_same_review_twice_is_one_alert(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "r.jsonl", [line("d", "冒烟了"), line("d", "冒烟了")])
    run = find_alerts(path)
    assert run.reviews_new == 1
    assert len(run.reviews) == 1


def test_state_round_trip_is_atomic_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    assert len(AlertState.load(path)) == 0  # a first run
    AlertState(["review:b", "review:a"]).save(path)
    assert json.loads(path.read_text("utf-8")) == {"wom_alerts_state": 1,
                                                   "raised": ["review:a", "review:b"]}
    assert "review:a" in AlertState.load(path)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left

    path.write_text('{"wom_alerts_state": 2, "raised": []}', encoding="utf-8")
    with pytest.raises(InputError, match="version 2"):
        AlertState.load(path)
    path.write_text('{"id": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="not an alerts state file"):
        AlertState.load(path)
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON"):
        AlertState.load(path)


def test_a_failed_save_leaves_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    path = tmp_path / "state.json"
    AlertState(["review:a"]).save(path)

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        AlertState(["review:a", "review:b"]).save(path)
    assert AlertState.load(path).raised == {"review:a"}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
