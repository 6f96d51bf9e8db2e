"""What tokens cost: the maintained ``genai-prices`` data, overridable from a JSON file.

Prices come from pydantic's ``genai-prices`` package (https://github.com/pydantic/genai-prices),
which is updated as providers change them; we use only the data bundled in the
installed package and never its ``UpdatePrices`` (which downloads newer data in a
background thread): nothing is fetched at run time, and a run's cost is
reproducible for a given installed version. A process that starts ``UpdatePrices``
itself gets the updated data here too: that is the user's explicit choice.

The provider is told by the endpoint: OpenAI when no ``base_url`` is set, else the
provider whose API URL matches it (DeepSeek, Azure, Gemini, ...). A base URL no
provider matches (a local server, vLLM, a gateway) has no known price: we never
price a self-hosted model at some cloud's rate. An unknown price is ``None``
("unknown" in the summary), never a guess.

Tokens are priced as the providers bill them: ``cached_tokens`` (part of the
prompt) at the provider's cache-read rate, ``reasoning_tokens`` (part of the
completion) at the model's reasoning rate, which is its output rate for OpenAI
and DeepSeek.

A user's own file (``--prices FILE.json`` or ``WOM_PRICES``) wins over the data;
it maps a model name to US dollars per million tokens::

    {"my-model": {"input": 0.5, "output": 1.5, "cached_input": 0.05}, "other-model": [0.1, 0.4]}

``cached_input`` is optional (default: the input price).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ._exceptions import PricesError

if TYPE_CHECKING:
    from .types import Usage

__all__ = ["GENAI_PRICES", "ModelPrice", "Price", "PriceTable", "load_prices"]

#: How the summary names the default source of prices.
GENAI_PRICES = "genai-prices"
_MILLION = 1_000_000


class ModelPrice(Protocol):
    """The price of one model at one endpoint."""

    def cost(self, usage: Usage) -> float:
        """US dollars for ``usage``."""
        ...


@dataclass(frozen=True)
class Price:
    """A user's price: US dollars per million input, output and cached input tokens."""

    input: float
    output: float
    cached_input: float | None = None

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        return ((usage.prompt_tokens - cached) * self.input + cached * cached_rate
                + usage.completion_tokens * self.output) / _MILLION


@dataclass(frozen=True)
class _GenaiPrice:
    """A model found in genai-prices' bundled data."""

    model: str
    provider_id: str

    def cost(self, usage: Usage) -> float:
        import genai_prices

        priced = genai_prices.calc_price(_genai_usage(usage), self.model,
                                         provider_id=self.provider_id)
        return float(priced.total_price)


def _genai_usage(usage: Usage) -> Any:
    import genai_prices

    # genai-prices counts cache reads and reasoning as parts of the input and
    # output totals, exactly as OpenAI's usage does (and ours).
    return genai_prices.Usage(
        input_tokens=usage.prompt_tokens,
        cache_read_tokens=min(usage.cached_tokens, usage.prompt_tokens),
        output_tokens=usage.completion_tokens,
        output_reasoning_tokens=min(usage.reasoning_tokens, usage.completion_tokens),
    )


@lru_cache(maxsize=64)
def _find(model: str, base_url: str | None) -> _GenaiPrice | None:
    """The genai-prices entry of ``model`` at ``base_url``, or None when it has none."""
    try:
        from genai_prices import data_snapshot
    except ImportError:  # pragma: no cover - a core dependency; a broken install
        return None
    snapshot = data_snapshot.get_snapshot()
    try:
        if base_url is None:
            provider, _ = snapshot.find_provider_model(model, None, "openai", None)
        else:
            provider, _ = snapshot.find_provider_model(model, None, None, base_url)
    except LookupError:
        return None
    return _GenaiPrice(model, provider.id)


@dataclass(frozen=True)
class PriceTable:
    """Model prices: the user's own (``overrides``) first, then genai-prices' data."""

    overrides: Mapping[str, Price]
    source: str

    def lookup(self, model: str, base_url: str | None = None) -> ModelPrice | None:
        """The price of ``model`` at ``base_url`` (None: OpenAI); None when not known.

        A user's price for "gpt-4o-mini" also prices "gpt-4o-mini-2024-07-18" and
        "openai/gpt-4o-mini"; the longest matching prefix wins, so "gpt-4o-mini-..."
        is never priced as "gpt-4o".
        """
        own = self._own(model)
        if own is not None:
            return own
        return _find(model.strip(), base_url.rstrip("/") if base_url else None)

    def _own(self, model: str) -> Price | None:
        name = model.strip().lower()
        prices = self.overrides
        if name in prices:
            return prices[name]
        name = name.rsplit("/", 1)[-1]
        if name in prices:
            return prices[name]
        best = max((k for k in prices if name.startswith(k + "-")), key=len, default=None)
        return prices[best] if best is not None else None


def _parse_price(model: str, value: object) -> Price:
    if isinstance(value, Mapping) and {"input", "output"} <= value.keys():
        pair: tuple[object, ...] = (value["input"], value["output"])
        if value.get("cached_input") is not None:
            pair += (value["cached_input"],)
    elif isinstance(value, list | tuple) and len(value) == 2:
        pair = (value[0], value[1])
    else:
        raise PricesError(
            f"price of {model!r} must be {{\"input\": X, \"output\": Y}} or [X, Y] "
            "(US dollars per million tokens)")
    numbers = []
    for v in pair:
        # bool is an int subclass; `true` in a price file is a mistake, not 1 dollar.
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise PricesError(f"price of {model!r} must be non-negative numbers, got {v!r}")
        numbers.append(float(v))
    return Price(*numbers)


def load_prices(path: str | Path | None = None,
                environ: Mapping[str, str] | None = None) -> PriceTable:
    """genai-prices' data, after the prices in ``path`` (else in the file ``WOM_PRICES`` names)."""
    env = os.environ if environ is None else environ
    chosen = path if path is not None else (env.get("WOM_PRICES") or None)
    if chosen is None:
        return PriceTable({}, _genai_source())
    try:
        data = json.loads(Path(chosen).read_text(encoding="utf-8"))
    except OSError as e:
        raise PricesError(f"cannot read price file {chosen}: {e.strerror or e}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise PricesError(f"price file {chosen} is not valid JSON: {e}") from None
    if not isinstance(data, Mapping):
        raise PricesError(f"price file {chosen} must hold a JSON object: model -> price")
    prices = {str(k).strip().lower(): _parse_price(str(k), v) for k, v in data.items()}
    return PriceTable(prices, f"{chosen}, then {_genai_source()}")


def _genai_source() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{GENAI_PRICES} {version(GENAI_PRICES)}"
    except PackageNotFoundError:  # pragma: no cover - a core dependency
        return GENAI_PRICES
