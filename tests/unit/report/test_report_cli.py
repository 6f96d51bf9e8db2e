"""``wom report``: through the ``wom`` command, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakeserver import FakeOpenAIServer, FaultPlan
from wom_sdk import RetryPolicy, ReviewAnalyzer
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


def _embeddings_sent(srv: FakeOpenAIServer) -> list[dict[str, object]]:
    return [dict(r) for r in srv.requests if r.path.rstrip("/") == "/v1/embeddings"]


def _cluster_section(markdown: str) -> str:
    section = markdown.split("### Aspect clusters (embedding similarity)", 1)[1]
    return section.split("\n## ", 1)[0]


def test_embed_model_clusters_over_http_through_the_analyzer_seam(tmp_path: Path) -> None:
    # The embedder is built by the same analyzer_factory as every other command, and
    # goes through its retries and shared limiter: a 429 first, then the answer.
    made: list[dict[str, object]] = []

    def factory(**kwargs: object) -> ReviewAnalyzer:
        made.append(kwargs)
        return ReviewAnalyzer(retry=RetryPolicy(attempts=3, wait_initial=0.01), **kwargs)  # type: ignore[arg-type]

    out = tmp_path / "r.md"
    plan = FaultPlan(script=["429", None], retry_after=0.05)
    with FakeOpenAIServer(embedding_faults=plan) as srv:
        status = main(["report", str(DATA), "-o", str(out), "--embed-model", "bge-m3",
                       "--base-url", srv.base_url], analyzer_factory=factory)
    assert status == 0
    assert made == [{"base_url": srv.base_url}]
    sent = _embeddings_sent(srv)
    assert len(sent) == 2
    assert srv.stats().rate_limited == 1
    assert all(r["model"] == "bge-m3" for r in sent)
    assert sent[-1]["input"] == ["delivery", "lid", "price", "保温效果"]  # most frequent first
    section = _cluster_section(out.read_text(encoding="utf-8"))
    # The fake server's vectors are unrelated hashes: every aspect is its own cluster.
    for aspect in ("delivery", "lid", "price", "保温效果"):
        assert aspect in section


def test_embed_model_with_the_default_analyzer(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    with FakeOpenAIServer() as srv:
        assert main(["report", str(DATA), "-o", str(out), "--embed-model", "bge-m3",
                     "--base-url", srv.base_url]) == 0
    assert len(_embeddings_sent(srv)) == 1
    assert "lid" in _cluster_section(out.read_text(encoding="utf-8"))


def test_embed_model_without_an_endpoint_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(DATA), "-o", str(tmp_path / "r.md"), "--embed-model", "e"]) == 1
    assert "OPENAI_BASE_URL" in capsys.readouterr().err
    assert not (tmp_path / "r.md").exists()
