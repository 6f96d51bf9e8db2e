"""``wom report``: through the ``wom`` command, as a user runs it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from wom_sdk.cli import main

DATA = Path(__file__).parents[2] / "data" / "report_small.jsonl"


def test_writes_markdown_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.md"
    assert main(["report", str(DATA), "-o", str(out), "--title", "Mugs"]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Mugs")
    assert "product_quality" in text
    assert "12 reviews (9 analyzed, 3 failed)" in capsys.readouterr().err

    out = tmp_path / "r.html"
    assert main(["report", str(DATA), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_trend_options_reach_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_build(path: str, **kwargs: object) -> object:
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr("wom_sdk.report.build_report", fake_build)
    argv = ["report", str(DATA), "--format", "md", "-o", "-", "--alert-min-reviews", "25",
            "--alert-min-jump", "0.2", "--alert-min-count", "5", "--alert-baseline-weeks", "6"]
    with pytest.raises(SystemExit):
        main(argv)
    rule = seen["trend_rule"]
    assert (rule.min_reviews, rule.min_jump, rule.min_count, rule.baseline_weeks) == (25, 0.2, 5, 6)
    assert seen["embed"] is None  # no --embed-model: nothing is sent anywhere


def test_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(DATA), "--format", "md", "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("# Word-of-mouth report")


def test_embed_model_clusters_through_the_openai_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    openai = pytest.importorskip("openai")
    calls: list[dict[str, object]] = []

    class FakeEmbeddings:
        def create(self, *, model: str, input: list[str]) -> SimpleNamespace:
            calls.append({"model": model, "input": input})
            # Answer out of order: the client must sort by index.
            data = [SimpleNamespace(index=i, embedding=[1.0, float(i)]) for i in range(len(input))]
            return SimpleNamespace(data=data[::-1])

    class FakeClient:
        def __init__(self, *, base_url: str | None, api_key: str) -> None:
            self.base_url = base_url
            self.embeddings = FakeEmbeddings()

    monkeypatch.setattr(openai, "OpenAI", FakeClient)
    out = tmp_path / "r.md"
    assert main(["report", str(DATA), "-o", str(out), "--embed-model", "bge-m3",
                 "--base-url", "http://127.0.0.1:9/v1", "--cluster-threshold", "0.99"]) == 0
    assert calls == [{"model": "bge-m3", "input": ["delivery", "lid", "price", "保温效果"]}]
    assert "Aspect clusters (embedding similarity)" in out.read_text(encoding="utf-8")
