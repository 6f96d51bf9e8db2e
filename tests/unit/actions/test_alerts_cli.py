"""``wom alerts`` as cron runs it: exit 0 / 3, the state, the webhook over real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers.records import line, write_lines
from wom_sdk.cli import main
from wom_sdk.testing import set_testing

SAFETY = line("s1", "充电器用了一次就冒烟了", rating=1, date="2024-05-06", product="快充头",
              complaints=[("hygiene_safety", "充电器", "用了一次就冒烟了", "high")])
CALM = line("c1", "发货有点慢", rating=3, date="2024-05-06",
            complaints=[("shipping_delivery", "发货", "发货有点慢", "low")])


class Hook:
    """A webhook on localhost that answers with the scripted statuses, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.bodies: list[dict[str, object]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                hook.bodies.append(json.loads(self.rfile.read(length).decode("utf-8")))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/SECRET"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    with set_testing(True):
        yield h
    h.close()


def test_twice_nothing_new_then_a_safety_complaint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_lines(tmp_path / "out.jsonl", [CALM])
    assert main(["alerts", str(results)]) == 0  # nothing urgent: exit 0, nothing on stdout
    out, err = capsys.readouterr()
    assert out == ""
    assert "nothing new" in err
    write_lines(results, [SAFETY], append=True)
    assert main(["alerts", str(results)]) == 3
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        "wom alerts: 1 new in out.jsonl: 1 review needs a response now",
        "review s1 (快充头, 2024-05-06, 1★): safety_claim, high_severity, one_star_complaint",
    ]
    assert "冒烟" not in out  # no review text unless --include-text
    assert main(["alerts", str(results)]) == 0  # remembered in out.jsonl.alerts-state.json
    state = json.loads((tmp_path / "out.jsonl.alerts-state.json").read_text("utf-8"))
    assert state == {"wom_alerts_state": 1, "raised": ["review:s1"]}


def test_dry_run_and_json_and_include_text(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    results = write_lines(tmp_path / "out.jsonl", [SAFETY])
    state = tmp_path / "s.json"
    argv = ["alerts", str(results), "--state", str(state), "--format", "json", "--include-text"]
    assert main([*argv, "--dry-run"]) == 3
    assert not state.exists()
    payload = json.loads(capsys.readouterr().out)
    assert payload["new"] == 1
    assert payload["alerts"][0]["text"] == "充电器用了一次就冒烟了"
    assert main(argv) == 3
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out.split("\n}\n")[-2] + "\n}")
    assert (payload["new"], payload["known"], payload["alerts"]) == (0, 1, [])


def test_webhook_delivery_and_failure(tmp_path: Path, hook: Hook,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    results = write_lines(tmp_path / "out.jsonl", [SAFETY])
    argv = ["alerts", str(results), "--webhook", hook.url, "--webhook-format", "feishu"]
    hook.statuses = [404]  # final: not retried
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "wom: error: the webhook at http://127.0.0.1 answered 404" in err
    assert "SECRET" not in err
    assert not (tmp_path / "out.jsonl.alerts-state.json").exists()  # not marked as sent

    hook.statuses = [503, 500]  # transient: retried, then delivered
    assert main(argv) == 3
    assert len(hook.bodies) == 4
    body = hook.bodies[-1]
    assert body["msg_type"] == "text"
    assert "review s1" in body["content"]["text"]  # type: ignore[index]
    assert "冒烟" not in json.dumps(body, ensure_ascii=False)
    assert main(argv) == 0
    assert len(hook.bodies) == 4  # nothing new: nothing sent


def test_webhook_from_the_environment(tmp_path: Path, hook: Hook,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    results = write_lines(tmp_path / "out.jsonl", [SAFETY])
    monkeypatch.setenv("SHOP_HOOK", hook.url)
    assert main(["alerts", str(results), "--webhook-env", "SHOP_HOOK"]) == 3
    assert hook.bodies[0]["wom_alerts"] == 1
    assert main(["alerts", str(results), "--webhook-env", "NOT_SET", "--dry-run"]) == 1


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_lines(tmp_path / "out.jsonl", [SAFETY])
    assert main(["alerts", str(results), "--webhook", "ftp://x"]) == 2
    assert main(["alerts", str(results), "--since", "yesterday"]) == 2
    bad_state = tmp_path / "bad.json"
    bad_state.write_text("[]", encoding="utf-8")
    assert main(["alerts", str(results), "--state", str(bad_state)]) == 2
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("id,text\n1,好\n", encoding="utf-8")
    assert main(["alerts", str(reviews)]) == 2
    assert "analyze them first" in capsys.readouterr().err


def test_help_documents_exit_status_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "0 nothing new" in out
    assert "3 new alerts were raised (for cron and scripts); 130 interrupted" in out


def test_since_relative_days() -> None:
    import datetime as dt

    from wom_sdk.cli._alerts import parse_since

    today = dt.date(2024, 5, 10)
    assert parse_since("7d", today) == dt.date(2024, 5, 3)
    assert parse_since("2w", today) == dt.date(2024, 4, 26)
    assert parse_since("2024-01-31", today) == dt.date(2024, 1, 31)
