"""OpenTelemetry spans (GenAI semconv v1.41.0), checked with the SDK's in-memory exporter."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from helpers.answers import REVIEW
from wom_sdk.testing import (
    FakeLLM,
    Reply,
    api_error,
    insight,
    rate_limited,
    set_testing,
    timed_out,
)

QUOTE = "电池一天要充三次"
# Built from parts so that secret scanners do not mistake this fake for a real key.
KEY = "sk" + "-otel-planted-SECRET-0123456789"

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def provider() -> Iterator[None]:
    """An SDK tracer provider for this module only, as an application would configure it."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)
    yield
    provider.shutdown()
    # The API lets a process set its provider once; undo it as opentelemetry-python's
    # own tests do (opentelemetry-test-utils, globals_test.reset_trace_globals), so that
    # the rest of the suite runs as without an SDK.
    trace._TRACER_PROVIDER_SET_ONCE = trace.Once()  # type: ignore[attr-defined]
    trace._TRACER_PROVIDER = None  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def spans(provider: None) -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    with set_testing(True):
        yield _EXPORTER


def by_name(finished: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name.startswith(prefix)]


def test_one_span_per_request_under_one_span_per_analyze(spans: InMemorySpanExporter) -> None:
    llm = FakeLLM([
        api_error(400, "response_format json_schema is not supported"),
        rate_limited(retry_after=1),
        insight(sentiment="negative", complaints=[QUOTE]),
    ])
    llm.analyzer(model="gpt-4o-mini").analyze(REVIEW)
    finished = spans.get_finished_spans()
    [task] = by_name(finished, "wom.analyze")
    requests = by_name(finished, "chat ")
    assert len(requests) == 3
    assert all(r.parent is not None and r.parent.span_id == task.context.span_id
               for r in requests)
    assert all(r.context.trace_id == task.context.trace_id for r in requests)
    assert task.kind == trace.SpanKind.INTERNAL
    assert all(r.kind == trace.SpanKind.CLIENT for r in requests)
    assert all(r.name == "chat gpt-4o-mini" for r in requests)

    rejected, limited, ok = (dict(r.attributes or {}) for r in requests)
    common = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
              "gen_ai.provider.name": "openai", "server.address": "fake-llm.test"}
    for attrs in (rejected, limited, ok):
        assert common.items() <= attrs.items()
    assert rejected["wom.output_mode"] == "json_schema"
    assert rejected["error.type"] == "400"
    assert rejected["http.response.status_code"] == 400
    assert (limited["wom.attempt"], limited["error.type"]) == (1, "429")
    assert ok["wom.attempt"] == 2
    assert ok["wom.output_mode"] == "json_object"  # a 4xx naming the format: json_object
    assert ok["gen_ai.output.type"] == "json"
    assert ok["gen_ai.response.model"] == "fake-model"
    assert (ok["gen_ai.usage.input_tokens"], ok["gen_ai.usage.output_tokens"]) == (100, 50)
    assert ok["gen_ai.response.finish_reasons"] == ("stop",)
    assert "error.type" not in ok
    assert requests[0].status.status_code == trace.StatusCode.ERROR
    assert ok.get("gen_ai.request.max_tokens") == 1024

    t = dict(task.attributes or {})
    assert (t["wom.task"], t["wom.outcome"], t["wom.requests"]) == ("analyze", "ok", 1)
    assert t["gen_ai.provider.name"] == "openai"
    # The moments between requests are events of the task's span; a 429 of its request's.
    assert [e.name for e in task.events] == ["wom.adapted", "wom.retry_scheduled"]
    assert [e.name for e in requests[1].events] == ["wom.throttled"]
    assert dict(requests[1].events[0].attributes or {})["wom.retry_after_s"] == 1


def test_a_failed_analysis_marks_its_span(spans: InMemorySpanExporter) -> None:
    llm = FakeLLM([timed_out()] * 2)
    with set_testing(True, attempts=2):
        [res] = llm.analyzer().analyze_many([REVIEW])
    assert res.error is not None
    [task] = by_name(spans.get_finished_spans(), "wom.analyze")
    assert task.status.status_code == trace.StatusCode.ERROR
    assert dict(task.attributes or {})["error.type"] == "timeout"
    assert [dict(s.attributes or {})["error.type"]
            for s in by_name(spans.get_finished_spans(), "chat ")] == ["timeout", "timeout"]


def test_batch_reviews_are_children_of_the_callers_span(spans: InMemorySpanExporter) -> None:
    a = FakeLLM().analyzer(requests_per_minute=100_000)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("nightly job") as job:
        results = a.analyze_many([f"review {i}" for i in range(6)], max_concurrency=3)
    assert all(r.ok for r in results)
    finished = spans.get_finished_spans()
    tasks = by_name(finished, "wom.analyze")
    assert len(tasks) == 6
    assert {t.parent.span_id for t in tasks if t.parent} == {job.get_span_context().span_id}
    task_ids = {t.context.span_id for t in tasks}
    assert {r.parent.span_id for r in by_name(finished, "chat ") if r.parent} == task_ids


async def test_async_batches_nest_the_same_way(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test")
    async with FakeLLM().async_analyzer() as a:
        with tracer.start_as_current_span("job") as job:
            await a.analyze_many(["one", "two", "three"], pack=3)
    finished = spans.get_finished_spans()
    [pack] = by_name(finished, "wom.analyze_pack")
    assert pack.parent is not None
    assert pack.parent.span_id == job.get_span_context().span_id
    assert dict(pack.attributes or {})["wom.reviews"] == 3


def test_embeddings_spans(spans: InMemorySpanExporter) -> None:
    def vectors(request: Any) -> Reply:
        texts = request.body["input"]
        return Reply(200, {"object": "list", "model": "bge-m3",
                           "usage": {"prompt_tokens": 7, "total_tokens": 7},
                           "data": [{"object": "embedding", "index": i, "embedding": [0.1, 0.2]}
                                    for i in range(len(texts))]})

    FakeLLM([vectors]).analyzer().embed(["battery", "电池"], model="bge-m3")
    [span] = by_name(spans.get_finished_spans(), "embeddings ")
    attrs = dict(span.attributes or {})
    assert span.name == "embeddings bge-m3"
    assert (attrs["gen_ai.operation.name"], attrs["gen_ai.usage.input_tokens"]) == (
        "embeddings", 7)


@pytest.mark.parametrize(("base_url", "provider"), [
    ("https://api.deepseek.com/v1", "deepseek"),
    ("https://my.openai.azure.com/openai/v1/", "azure.ai.openai"),
    ("https://generativelanguage.googleapis.com/v1beta/openai/", "gcp.gemini"),
    ("http://127.0.0.1:8000/v1", "openai"),
])
def test_provider_name_from_the_endpoint(spans: InMemorySpanExporter, base_url: str,
                                         provider: str) -> None:
    from wom_sdk import ReviewAnalyzer

    llm = FakeLLM()
    a = ReviewAnalyzer(model="m", api_key="k", base_url=base_url, http_client=llm.client())
    a.sentiment("fine")
    [req] = by_name(spans.get_finished_spans(), "chat ")
    attrs = dict(req.attributes or {})
    assert attrs["gen_ai.provider.name"] == provider
    assert isinstance(attrs["server.port"], int)


def test_no_review_text_model_output_or_key_in_any_span(spans: InMemorySpanExporter) -> None:
    llm = FakeLLM([
        insight(sentiment="negative", complaints=["a quote the model made up"]),
        insight(sentiment="negative", complaints=[QUOTE], reply="SECRET-REPLY-TEXT"),
        "not json at all: OUTPUT-TEXT",
        "still OUTPUT-TEXT",
        "OUTPUT-TEXT again",
    ])
    from wom_sdk import ReviewAnalyzer

    a = ReviewAnalyzer(model="m", api_key=KEY, base_url="https://fake-llm.test/v1",
                       http_client=llm.client())
    a.analyze_many([REVIEW, "the screen cracked on day two"], max_concurrency=1)
    dump = json.dumps([json.loads(s.to_json()) for s in spans.get_finished_spans()],
                      ensure_ascii=False)
    assert len(spans.get_finished_spans()) == 7  # 2 tasks; 2 + 3 requests
    for secret in (KEY, REVIEW, QUOTE, "cracked", "made up", "SECRET-REPLY", "OUTPUT-TEXT"):
        assert secret not in dump, secret


def test_without_opentelemetry_nothing_is_imported_or_done() -> None:
    code = (
        "import sys\n"
        "sys.modules['opentelemetry'] = None  # as if the otel extra were not installed\n"
        "from wom_sdk.testing import FakeLLM, set_testing\n"
        "with set_testing(True):\n"
        "    r = FakeLLM().analyzer().analyze('great phone')\n"
        "print(r.sentiment.label, [m for m, mod in sys.modules.items()\n"
        "                          if m.startswith('opentelemetry') and mod is not None])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["neutral", "[]"]
