"""Prices: genai-prices' bundled data, a user's file first, cached and reasoning tokens."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wom_sdk._pricing import GENAI_PRICES, Price, PricesError, load_prices
from wom_sdk.cli import main
from wom_sdk.types import Usage

M = 1_000_000


def test_openai_models_are_priced_from_genai_prices_by_default() -> None:
    table = load_prices(environ={})
    assert table.source.startswith(GENAI_PRICES)
    price = table.lookup("gpt-4o-mini")  # no base_url: OpenAI
    assert price is not None
    # gpt-4o-mini: $0.15 in, $0.60 out per million tokens (OpenAI's list price).
    assert price.cost(Usage(prompt_tokens=M, completion_tokens=M)) == pytest.approx(0.75)
    dated = table.lookup("gpt-4o-mini-2024-07-18")
    assert dated is not None
    assert dated.cost(Usage(prompt_tokens=M)) == pytest.approx(0.15)


def test_cached_prompt_tokens_are_priced_at_the_cache_read_rate() -> None:
    price = load_prices(environ={}).lookup("gpt-4o-mini")
    assert price is not None
    full = price.cost(Usage(prompt_tokens=M))
    half_cached = price.cost(Usage(prompt_tokens=M, cached_tokens=M // 2))
    # OpenAI bills cached input at half the input price for gpt-4o-mini ($0.075).
    assert half_cached == pytest.approx(full * 0.75)


def test_reasoning_tokens_are_part_of_the_output_and_priced_as_the_provider_does() -> None:
    price = load_prices(environ={}).lookup("o4-mini")
    assert price is not None
    plain = price.cost(Usage(completion_tokens=M))
    thinking = price.cost(Usage(completion_tokens=M, reasoning_tokens=M * 3 // 4))
    assert plain > 0
    assert thinking == pytest.approx(plain)  # OpenAI: reasoning tokens at the output rate


def test_the_endpoint_chooses_the_provider() -> None:
    table = load_prices(environ={})
    deepseek = table.lookup("deepseek-chat", "https://api.deepseek.com/v1")
    assert deepseek is not None
    # DeepSeek bills context-cache hits far below misses (prompt_cache_hit_tokens).
    hit = deepseek.cost(Usage(prompt_tokens=M, cached_tokens=M))
    miss = deepseek.cost(Usage(prompt_tokens=M))
    assert 0 < hit < miss / 2


@pytest.mark.parametrize(("model", "base_url"), [
    ("my-finetune", None),
    # A local server may serve a model with a cloud's name: it is not billed at that rate.
    ("gpt-4o-mini", "http://127.0.0.1:8000/v1"),
    ("Qwen/Qwen2.5-7B-Instruct", "http://127.0.0.1:8000/v1"),
    # genai-prices has no DashScope prices: unknown, not a guess from another host.
    ("qwen-plus", "https://dashscope.aliyuncs.com/compatible-mode/v1"),
])
def test_an_unknown_price_is_none_never_a_guess(model: str, base_url: str | None) -> None:
    assert load_prices(environ={}).lookup(model, base_url) is None


def test_a_users_price_per_million_tokens() -> None:
    price = Price(0.15, 0.60)
    assert price.cost(Usage(prompt_tokens=M, completion_tokens=M // 2)) == pytest.approx(0.45)
    cached = Price(1.0, 2.0, cached_input=0.1)
    assert cached.cost(Usage(prompt_tokens=M, cached_tokens=M // 2)) == pytest.approx(0.55)
    assert Price(1.0, 2.0).cost(Usage(prompt_tokens=M, cached_tokens=M)) == pytest.approx(1.0)


def test_a_price_file_or_wom_prices_wins(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"my-model": {"input": 1, "output": 2, "cached_input": 0.5},
                             "gpt-4o-mini": [0, 0], "qwen-plus": [0.4, 1.2]}))
    table = load_prices(f, environ={})
    assert table.lookup("my-model") == Price(1, 2, 0.5)
    assert table.lookup("openai/GPT-4o-mini-2024-07-18") == Price(0, 0)  # dated, prefixed
    dashscope = "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert table.lookup("qwen-plus", dashscope) == Price(0.4, 1.2)
    other = table.lookup("gpt-4o")
    assert other is not None  # the rest still comes from genai-prices
    assert other.cost(Usage(prompt_tokens=M)) == pytest.approx(2.5)
    assert str(f) in table.source
    assert load_prices(environ={"WOM_PRICES": str(f)}).lookup("my-model") == Price(1, 2, 0.5)


def test_the_longest_user_prefix_wins(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"m": [1, 1], "m-mini": [2, 2]}))
    table = load_prices(f, environ={})
    assert table.lookup("m-mini-2025") == Price(2, 2)
    assert table.lookup("m-2025") == Price(1, 1)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"m": {"input": 1}}',
                                     '{"m": [1, -2]}', '{"m": [true, 1]}',
                                     '{"m": {"input": 1, "output": 1, "cached_input": -1}}'])
def test_bad_price_files_are_refused(tmp_path: Path, content: str) -> None:
    f = tmp_path / "p.json"
    f.write_text(content)
    with pytest.raises(PricesError):
        load_prices(f, environ={})


def test_a_bad_price_file_is_a_usage_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.txt"
    src.write_text("hello\n")
    status = main(["analyze", str(src), "-o", str(tmp_path / "o.jsonl"),
                   "--prices", str(tmp_path / "missing.json")])
    assert status == 2
    assert "cannot read price file" in capsys.readouterr().err


def test_prices_are_never_fetched_at_run_time() -> None:
    # genai-prices can download newer prices (UpdatePrices, a background thread);
    # we price from its bundled data only: no thread is started, no socket opened.
    code = (
        "import socket, threading\n"
        "def no(*a, **k): raise AssertionError('network')\n"
        "socket.socket.connect = no; socket.create_connection = no\n"
        "from wom_sdk._pricing import load_prices\n"
        "from wom_sdk.types import Usage\n"
        "p = load_prices(environ={}).lookup('gpt-4o-mini')\n"
        "print(round(p.cost(Usage(prompt_tokens=10**6)), 3), threading.active_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0.15", "1"]
