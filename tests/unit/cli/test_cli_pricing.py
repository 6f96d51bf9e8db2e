"""The price table behind the summary's cost estimate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wom_sdk._pricing import BUILTIN_PRICES, PRICES_AS_OF, Price, PricesError, load_prices
from wom_sdk.cli import main


def test_builtin_table_covers_the_documented_models() -> None:
    for name in ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
                 "deepseek-chat", "deepseek-reasoner", "qwen-plus", "qwen-turbo", "qwen-max"):
        assert name in BUILTIN_PRICES
    table = load_prices(environ={})
    assert "approximate" in table.source
    assert PRICES_AS_OF in table.source


def test_lookup_of_dated_and_prefixed_names_prefers_the_longest_match() -> None:
    table = load_prices(environ={})
    assert table.lookup("gpt-4o-mini-2024-07-18") == BUILTIN_PRICES["gpt-4o-mini"]
    assert table.lookup("openai/GPT-4o") == BUILTIN_PRICES["gpt-4o"]
    assert table.lookup("gpt-4o-2024-08-06") == BUILTIN_PRICES["gpt-4o"]
    assert table.lookup("my-finetune") is None


def test_cost_per_million_tokens() -> None:
    assert Price(0.15, 0.60).cost(1_000_000, 500_000) == pytest.approx(0.45)


def test_a_price_file_or_wom_prices_overrides(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"my-model": {"input": 1, "output": 2}, "gpt-4o-mini": [0, 0]}))
    table = load_prices(f, environ={})
    assert table.lookup("my-model") == Price(1, 2)
    assert table.lookup("gpt-4o-mini") == Price(0, 0)
    assert table.lookup("gpt-4o") == BUILTIN_PRICES["gpt-4o"]  # the rest stays
    assert str(f) in table.source
    assert load_prices(environ={"WOM_PRICES": str(f)}).lookup("my-model") == Price(1, 2)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"m": {"input": 1}}',
                                     '{"m": [1, -2]}', '{"m": [true, 1]}'])
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
