"""The fake OpenAI server: protocol, limits, faults, life cycle. Loopback only."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ValidationError

import fakeserver
from fakeserver import FakeOpenAIServer, FaultPlan, minimal_instance
from fakeserver._limits import estimate_prompt_tokens, estimate_text_tokens, format_reset

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]
#: ``python -m fakeserver`` needs tests/ on the path.
SERVER_ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}

CHAT = {"model": "m", "messages": MESSAGES}


class Complaint(BaseModel):
    quote: str
    severity: int


class Insight(BaseModel):
    sentiment: Literal["positive", "negative", "mixed"]
    score: float
    complaints: list[Complaint]
    summary: str | None
    top: Complaint


def _insight_format() -> ResponseFormatJSONSchema:
    return {
        "type": "json_schema",
        "json_schema": {"name": "Insight", "schema": Insight.model_json_schema(), "strict": True},
    }


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def _client(srv: FakeOpenAIServer, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key="test", max_retries=0, timeout=timeout)


def _post(client: httpx2.Client, srv: FakeOpenAIServer, **body: Any) -> httpx2.Response:
    return client.post(f"{srv.base_url}/chat/completions", json={**CHAT, **body})


# -- the public surface ------------------------------------------------------


def test_exports_exactly_the_intended_names() -> None:
    assert set(fakeserver.__all__) == {
        "FAULT_KINDS",
        "FakeOpenAIServer",
        "FaultKind",
        "FaultPlan",
        "RecordedRequest",
        "Refusal",
        "PROFILES",
        "Profile",
        "OpenAIChat",
        "OpenAIReasoning",
        "Azure",
        "DeepSeek",
        "Qwen",
        "Anthropic",
        "Gemini",
        "Ollama",
        "VLLM",
        "LlamaCpp",
        "Responder",
        "ServerStats",
        "default_responder",
        "minimal_instance",
        "wom_responder",
    }


def test_importing_the_package_loads_nothing_heavy() -> None:
    # The server is standard library only: benchmarks run it beside any client.
    code = (
        "import sys; import fakeserver;"
        "print(sorted(n for n in ('openai', 'httpx2', 'pydantic', 'wom_sdk') if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30, env=SERVER_ENV)
    assert out.stdout.strip() == "[]", out.stderr


# -- endpoints -----------------------------------------------------------------


def test_completion_parses_with_the_openai_client(server: FakeOpenAIServer) -> None:
    raw = _client(server).chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    completion = raw.parse()
    assert raw.headers["x-request-id"].startswith("req_")
    assert completion.object == "chat.completion"
    assert completion.model == "m"
    assert completion.choices[0].message.content == "{}"
    assert completion.choices[0].message.refusal is None
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == estimate_prompt_tokens(MESSAGES)
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 1


def test_default_responder_satisfies_the_requested_schema(server: FakeOpenAIServer) -> None:
    completion = _client(server).chat.completions.parse(
        model="m", messages=MESSAGES, response_format=Insight
    )
    insight = completion.choices[0].message.parsed
    assert insight == Insight(
        sentiment="positive",
        score=0,
        complaints=[],
        summary="x",
        top=Complaint(quote="x", severity=0),
    )


def test_minimal_instance_honours_bounds_and_formats() -> None:
    schema = {
        "type": "object",
        "required": ["n", "when", "tags", "k"],
        "properties": {
            "n": {"type": "integer", "minimum": 3},
            "when": {"type": "string", "format": "date"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "k": {"allOf": [{"$ref": "#/$defs/K"}]},
            "optional": {"type": "string"},
        },
        "$defs": {"K": {"type": "object", "required": ["v"], "properties": {"v": {"const": 7}}}},
    }
    assert minimal_instance(schema, schema) == {
        "n": 3,
        "when": "2024-01-01",
        "tags": ["x", "x"],
        "k": {"v": 7},
    }


def test_responder_plugs_in_and_can_override_the_whole_answer() -> None:
    def responder(request: dict[str, Any]) -> Any:
        if request["messages"][0]["content"] == "full":
            return {"content": "cut", "finish_reason": "length", "usage": {"completion_tokens": 99}}
        return json.dumps({"echo": request["messages"][0]["content"]})

    with FakeOpenAIServer(responder=responder) as srv:
        client = _client(srv)
        plain = client.chat.completions.create(model="m", messages=MESSAGES)
        full = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "full"}]
        )
    assert plain.choices[0].message.content == '{"echo": "hello"}'
    assert full.choices[0].message.content == "cut"
    assert full.choices[0].finish_reason == "length"
    assert full.usage is not None
    assert full.usage.completion_tokens == 99
    assert full.usage.total_tokens == full.usage.prompt_tokens + 99


def test_a_failing_responder_is_reported_as_a_500() -> None:
    def responder(request: dict[str, Any]) -> str:
        raise KeyError("no canned answer")

    with FakeOpenAIServer(responder=responder) as srv, httpx2.Client() as http:
        response = _post(http, srv)
    assert response.status_code == 500
    assert "KeyError" in response.json()["error"]["message"]


def test_embedding_faults_are_their_own_plan() -> None:
    with pytest.raises(ValueError, match="embedding faults can only be"):
        FakeOpenAIServer(embedding_faults=FaultPlan(script=["invalid_json"]))
    plan = FaultPlan(script=["429", "503"], retry_after=0.25)
    body = {"model": "e", "input": ["a"]}
    srv = FakeOpenAIServer(embedding_faults=plan, faults=FaultPlan(script=["500"]))
    with srv, httpx2.Client(base_url=srv.base_url) as http:
        limited = http.post("/embeddings", json=body)
        chat = http.post("/chat/completions", json=CHAT)  # the chat plan's own first fault
        overloaded = http.post("/embeddings", json=body)
        answered = http.post("/embeddings", json=body)
    assert (limited.status_code, chat.status_code, overloaded.status_code) == (429, 500, 503)
    assert limited.headers["retry-after-ms"] == "250"
    assert answered.status_code == 200
    assert len(answered.json()["data"]) == 1
    assert srv.stats().faults == {"429": 1, "503": 1, "500": 1}


def test_models_embeddings_and_unknown_paths(server: FakeOpenAIServer) -> None:
    client = _client(server)
    assert [m.id for m in client.models.list()] == ["fake-model"]

    first = client.embeddings.create(model="e", input=["a", "b", "a"], encoding_format="float")
    vectors = [d.embedding for d in first.data]
    assert [len(v) for v in vectors] == [64, 64, 64]
    assert vectors[0] == vectors[2] != vectors[1]
    assert math.isclose(sum(x * x for x in vectors[0]), 1.0)
    with httpx2.Client() as http:
        b64 = http.post(
            f"{server.base_url}/embeddings",
            json={"model": "e", "input": "a", "encoding_format": "base64"},
        ).json()
        decoded = struct.unpack("<64f", base64.b64decode(b64["data"][0]["embedding"]))
        assert decoded == pytest.approx(vectors[0], abs=1e-6)

        missing = http.get(f"{server.base_url}/nope")
        wrong_method = http.get(f"{server.base_url}/chat/completions")
    assert missing.status_code == 404
    assert set(missing.json()["error"]) == {"message", "type", "param", "code"}
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert wrong_method.status_code == 405


def test_required_api_key_is_checked_and_headers_are_recorded() -> None:
    with FakeOpenAIServer(require_api_key="ok-key") as srv:
        with pytest.raises(openai.AuthenticationError):
            _client(srv).chat.completions.create(model="m", messages=MESSAGES)
        ok = openai.OpenAI(base_url=srv.base_url, api_key="ok-key", max_retries=0)
        ok.chat.completions.create(model="m", messages=MESSAGES, temperature=0)
        recorded = srv.requests
    assert [r.headers["authorization"] for r in recorded] == ["Bearer test", "Bearer ok-key"]
    assert recorded[-1]["temperature"] == 0
    assert recorded[-1]["messages"] == MESSAGES
    assert recorded[-1].path == "/v1/chat/completions"


# -- rate limits ---------------------------------------------------------------


def test_rpm_is_enforced_in_one_second_slices() -> None:
    # rpm=120 allows 2 per second: a burst of 5 gets 2 through and 3 refused.
    with FakeOpenAIServer(rpm=120) as srv, httpx2.Client() as http:
        responses = [_post(http, srv) for _ in range(5)]
        stats = srv.stats()
    assert [r.status_code for r in responses] == [200, 200, 429, 429, 429]
    for refused in responses[2:]:
        error = refused.json()["error"]
        assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
        assert int(refused.headers["retry-after"]) == 1
        assert 0 < int(refused.headers["retry-after-ms"]) <= 500
    assert stats.rate_limited == 3
    assert stats.by_status == {200: 2, 429: 3}
    assert stats.succeeded == 2


def test_rpm_bucket_refills_continuously() -> None:
    # 600 rpm = 10 per second: after draining it, 0.3 s earns about 3 more
    # (a slow machine earns a little more while the 10 requests are sent).
    with FakeOpenAIServer(rpm=600) as srv, httpx2.Client() as http:
        while _post(http, srv).status_code == 200:
            pass
        time.sleep(0.3)
        statuses = [_post(http, srv).status_code for _ in range(10)]
    assert statuses[:2] == [200, 200]
    assert 2 <= statuses.count(200) <= 6
    assert 429 in statuses


def test_tpm_counts_prompt_and_reserved_completion_tokens() -> None:
    # tpm=600 allows 10 tokens per second; "hello" costs 4 + 2 = 6 and max_tokens 4 more.
    with FakeOpenAIServer(tpm=600) as srv, httpx2.Client() as http:
        first = _post(http, srv, max_tokens=4)
        second = _post(http, srv, max_tokens=4)
        too_large = _post(http, srv, max_completion_tokens=1000)
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["error"]["type"] == "tokens"
    assert "retry-after-ms" in second.headers
    # More than a whole minute's budget: refused, and no retry could help.
    assert too_large.status_code == 429
    assert "Request too large" in too_large.json()["error"]["message"]
    assert "retry-after" not in too_large.headers


def test_ratelimit_headers_only_for_configured_limits() -> None:
    names = ("limit", "remaining", "reset")
    with httpx2.Client() as http:
        with FakeOpenAIServer(rpm=600, tpm=100_000) as srv:
            both = _post(http, srv).headers
        with FakeOpenAIServer(rpm=600) as srv:
            requests_only = _post(http, srv).headers
        with FakeOpenAIServer() as srv:
            neither = _post(http, srv).headers
    for name in names:
        assert f"x-ratelimit-{name}-requests" in both
        assert f"x-ratelimit-{name}-tokens" in both
        assert f"x-ratelimit-{name}-requests" in requests_only
        assert f"x-ratelimit-{name}-tokens" not in requests_only
        assert not any(h.startswith("x-ratelimit") for h in neither)
    # OpenAI-style: remaining counts down from the per-minute limit.
    assert both["x-ratelimit-limit-requests"] == "600"
    assert both["x-ratelimit-remaining-requests"] == "599"
    assert both["x-ratelimit-reset-requests"].endswith("ms")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.1199, "120ms"), (0.9999, "1s"), (1, "1s"), (8.64, "8.64s"), (360, "6m0s")],
)
def test_reset_durations_are_formatted_like_openai(seconds: float, text: str) -> None:
    assert format_reset(seconds) == text


def test_token_estimate_counts_cjk_per_character() -> None:
    assert estimate_text_tokens("电池很差") == 4
    assert estimate_text_tokens("abcdefgh") == 2
    assert estimate_text_tokens("电池 ok") == 2 + 1
    assert estimate_prompt_tokens([{"role": "user", "content": "电池"}, {"content": "abcd"}]) == 11


# -- faults --------------------------------------------------------------------


def _one(plan: FaultPlan, timeout: float = 5.0, **body: Any) -> tuple[Any, FakeOpenAIServer]:
    """Send one chat request through a server running ``plan``: (result or error, server)."""
    with FakeOpenAIServer(faults=plan) as srv:
        client = _client(srv, timeout=timeout)
        try:
            result: Any = client.chat.completions.create(model="m", messages=MESSAGES, **body)
        except openai.OpenAIError as exc:
            result = exc
    return result, srv


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("429", openai.RateLimitError),
        ("500", openai.InternalServerError),
        ("503", openai.InternalServerError),
    ],
)
def test_status_faults(kind: Literal["429", "500", "503"], error: type[Exception]) -> None:
    result, srv = _one(FaultPlan(script=[kind], retry_after=0.25))
    assert isinstance(result, error)
    assert isinstance(result, openai.APIStatusError)
    assert result.status_code == int(kind)
    if kind == "429":
        assert result.response.headers["retry-after"] == "1"
        assert result.response.headers["retry-after-ms"] == "250"
    assert srv.stats().faults == {kind: 1}


def test_drop_closes_the_connection_without_an_answer() -> None:
    result, srv = _one(FaultPlan(script=["drop"]))
    assert type(result) is openai.APIConnectionError
    assert srv.stats().by_status == {}
    assert srv.stats().faults == {"drop": 1}


def test_hang_holds_the_connection_until_the_client_times_out() -> None:
    started = time.monotonic()
    result, _ = _one(FaultPlan(script=["hang"], hang_seconds=5.0), timeout=0.5)
    assert isinstance(result, openai.APITimeoutError)
    # stop() cut the 5 s hang short.
    assert time.monotonic() - started < 3.0


def test_content_faults_break_the_answer_in_their_own_way() -> None:
    plan = FaultPlan(script=["invalid_json", "schema_break", "truncate", "refusal"])
    schema_format = _insight_format()
    with FakeOpenAIServer(faults=plan) as srv:
        client = _client(srv)
        answers = [
            client.chat.completions.create(
                model="m", messages=MESSAGES, response_format=schema_format
            ).choices[0]
            for _ in range(4)
        ]
        stats = srv.stats()
    invalid, broken, truncated, refused = answers

    with pytest.raises(json.JSONDecodeError):
        json.loads(invalid.message.content or "")
    with pytest.raises(ValidationError):
        Insight.model_validate_json(broken.message.content or "")
    assert truncated.finish_reason == "length"
    assert len(truncated.message.content or "") < len(
        json.dumps(minimal_instance(Insight.model_json_schema(), Insight.model_json_schema()))
    )
    assert refused.message.content is None
    assert refused.message.refusal
    assert stats.faults == {"invalid_json": 1, "refusal": 1, "schema_break": 1, "truncate": 1}
    assert stats.by_status == {200: 4}


def test_reject_json_schema_only_rejects_json_schema_requests() -> None:
    plan = FaultPlan(decide=lambda index, request: "reject_json_schema")
    with FakeOpenAIServer(faults=plan) as srv:
        client = _client(srv)
        with pytest.raises(openai.BadRequestError, match="response_format"):
            client.chat.completions.create(
                model="m", messages=MESSAGES, response_format=_insight_format()
            )
        fallback = client.chat.completions.create(
            model="m", messages=MESSAGES, response_format={"type": "json_object"}
        )
        stats = srv.stats()
    assert fallback.choices[0].message.content == "{}"
    assert stats.faults == {"reject_json_schema": 1}


def test_fault_plan_script_then_decide_then_seeded_probabilities() -> None:
    def decide(index: int, request: Any) -> Any:
        return "500" if index == 2 else None

    plan = FaultPlan(
        script=["503", None], decide=decide, probabilities={"429": 0.5}, seed=7, retry_after=0.01
    )

    def statuses() -> list[int]:
        with FakeOpenAIServer(faults=plan) as srv, httpx2.Client() as http:
            return [_post(http, srv).status_code for _ in range(30)]

    first, second = statuses(), statuses()
    assert first[:3] == [503, 200, 500]
    assert first == second  # the same seed, the same faults
    assert 5 <= first[3:].count(429) <= 22


def test_fault_plan_parses_the_cli_syntax_and_rejects_nonsense() -> None:
    plan = FaultPlan.parse("429=0.05, drop=0.01,", seed=3, hang_seconds=2)
    assert plan.probabilities == {"429": 0.05, "drop": 0.01}
    assert (plan.seed, plan.hang_seconds) == (3, 2)
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan.parse("boom=0.1")
    with pytest.raises(ValueError, match="sum"):
        FaultPlan(probabilities={"500": 0.7, "503": 0.7})
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan(script=["404"])  # type: ignore[list-item]


# -- latency, stats, life cycle ------------------------------------------------


async def test_latency_does_not_serialize_concurrent_requests() -> None:
    with FakeOpenAIServer(latency=0.3, latency_jitter=0.05, seed=1) as srv:
        async with httpx2.AsyncClient() as http:
            started = time.monotonic()
            responses = await asyncio.gather(
                *(http.post(f"{srv.base_url}/chat/completions", json=CHAT) for _ in range(10))
            )
            elapsed = time.monotonic() - started
    assert all(r.status_code == 200 for r in responses)
    assert 0.3 <= elapsed < 1.5  # ten in a row would take 3 s


async def test_runs_on_the_callers_event_loop() -> None:
    async with FakeOpenAIServer() as srv:
        client = openai.AsyncOpenAI(base_url=srv.base_url, api_key="test", max_retries=0)
        completion = await client.chat.completions.create(model="m", messages=MESSAGES)
        await client.close()
    assert completion.choices[0].message.content == "{}"
    assert srv.stats().by_status == {200: 1}


def test_stats_and_bounded_request_log() -> None:
    with FakeOpenAIServer(max_recorded=3) as srv, httpx2.Client() as http:
        for i in range(5):
            _post(http, srv, seed=i)
        stats = srv.stats()
        recorded = srv.requests
    assert [r["seed"] for r in recorded] == [2, 3, 4]
    assert stats.requests == 5
    assert stats.succeeded == 5
    assert stats.prompt_tokens == 5 * estimate_prompt_tokens(MESSAGES)
    assert stats.total_tokens == stats.prompt_tokens + stats.completion_tokens
    assert stats.first_request_at is not None
    assert stats.last_request_at is not None
    assert stats.first_request_at <= stats.last_request_at
    assert stats.achieved_rpm > 0
    assert json.loads(json.dumps(stats.to_dict()))["by_status"] == {"200": 5}


def test_stop_is_idempotent_and_leaks_no_thread() -> None:
    before = threading.active_count()
    srv = FakeOpenAIServer()
    srv.start()
    port = srv.port
    with httpx2.Client() as http:
        assert _post(http, srv).status_code == 200
    srv.stop()
    srv.stop()
    assert threading.active_count() == before
    with pytest.raises(RuntimeError, match="runs once"):
        srv.start()
    with FakeOpenAIServer() as taken, pytest.raises(OSError, match="in use"):
        FakeOpenAIServer(port=taken.port).start()
    assert threading.active_count() == before
    # Nothing listens any more.
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_raw_http_keep_alive_chunked_and_malformed_requests(server: FakeOpenAIServer) -> None:
    body = json.dumps(CHAT).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        plain = f"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: {len(body)}\r\n\r\n"
        chunked = "POST /v1/chat/completions HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
        chunks = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        # Two requests pipelined on one connection, then a broken one.
        sock.sendall(plain.encode() + body + chunked.encode() + chunks + b"NONSENSE\r\n\r\n")
        received = b""
        while (data := sock.recv(65536)) != b"":
            received += data
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert received.count(b"HTTP/1.1 400 Bad Request") == 1
    assert received.rstrip().endswith(b"}")


def test_subprocess_prints_ready_then_stats_on_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakeserver",
            "--rpm",
            "600",
            "--port",
            "0",
            "--faults",
            "500=1.0",
            "--seed",
            "1",
        ],
        stdout=subprocess.PIPE,
        env=SERVER_ENV,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().split()
        assert ready[0] == "READY"
        assert ready[1].startswith("http://127.0.0.1:")
        assert ready[1].endswith("/v1")
        with httpx2.Client() as http:
            assert http.post(f"{ready[1]}/chat/completions", json=CHAT).status_code == 500
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert proc.returncode == 0
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats["by_status"] == {"500": 1}
    assert stats["faults"] == {"500": 1}
