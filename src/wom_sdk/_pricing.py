"""Estimated cost of a run: a small price table, overridable from a JSON file.

Prices change more often than releases do, so the table is only a convenience
for the end-of-run summary: it is labelled approximate, carries the date it was
checked, and a user's own file (``--prices FILE.json`` or ``WOM_PRICES``) wins.
A price file maps a model name to US dollars per million tokens::

    {"my-model": {"input": 0.5, "output": 1.5}, "other-model": [0.1, 0.4]}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BUILTIN_PRICES",
    "PRICES_AS_OF",
    "Price",
    "PriceTable",
    "PricesError",
    "load_prices",
]

#: When the built-in list prices were last checked against the providers' pages.
PRICES_AS_OF = "2025-06"


@dataclass(frozen=True)
class Price:
    """US dollars per million input (prompt) and output (completion) tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


#: Standard (uncached, non-batch) list prices in USD; Qwen at Alibaba Cloud's
#: international rates. Approximate: providers change them without notice.
BUILTIN_PRICES: Mapping[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "deepseek-chat": Price(0.27, 1.10),
    "deepseek-reasoner": Price(0.55, 2.19),
    "qwen-plus": Price(0.40, 1.20),
    "qwen-turbo": Price(0.05, 0.20),
    "qwen-max": Price(1.60, 6.40),
    # The bundled local model (`wom demo`, wom_sdk.local) and the one it replaced run on
    # your own CPU.
    "qwen2.5-coder-1.5b-instruct": Price(0.0, 0.0),
    "gemma-3-270m": Price(0.0, 0.0),
}


class PricesError(ValueError):
    """Raised when a price file cannot be read or does not have the documented shape."""


@dataclass(frozen=True)
class PriceTable:
    """Model name -> ``Price``, and where the prices came from (shown in the summary)."""

    prices: Mapping[str, Price]
    source: str

    def lookup(self, model: str) -> Price | None:
        """The price of ``model``; dated or provider-prefixed names fall back to their base.

        "gpt-4o-mini-2024-07-18" and "openai/gpt-4o-mini" both cost what
        "gpt-4o-mini" costs; the longest matching prefix wins, so
        "gpt-4o-mini-..." is never priced as "gpt-4o".
        """
        name = model.strip().lower()
        if name in self.prices:
            return self.prices[name]
        name = name.rsplit("/", 1)[-1]
        if name in self.prices:
            return self.prices[name]
        best = max((k for k in self.prices if name.startswith(k + "-")), key=len, default=None)
        return self.prices[best] if best is not None else None


def _parse_price(model: str, value: object) -> Price:
    if isinstance(value, Mapping) and {"input", "output"} <= value.keys():
        pair: tuple[object, object] = (value["input"], value["output"])
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
    return Price(numbers[0], numbers[1])


def load_prices(path: str | Path | None = None,
                environ: Mapping[str, str] | None = None) -> PriceTable:
    """The built-in table, updated by ``path``, else by the file named in ``WOM_PRICES``."""
    env = os.environ if environ is None else environ
    chosen = path if path is not None else (env.get("WOM_PRICES") or None)
    builtin = f"built-in list prices as of {PRICES_AS_OF}, approximate"
    if chosen is None:
        return PriceTable(dict(BUILTIN_PRICES), builtin)
    try:
        data = json.loads(Path(chosen).read_text(encoding="utf-8"))
    except OSError as e:
        raise PricesError(f"cannot read price file {chosen}: {e.strerror or e}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise PricesError(f"price file {chosen} is not valid JSON: {e}") from None
    if not isinstance(data, Mapping):
        raise PricesError(f"price file {chosen} must hold a JSON object: model -> price")
    prices = dict(BUILTIN_PRICES)
    prices.update({str(k).strip().lower(): _parse_price(str(k), v) for k, v in data.items()})
    return PriceTable(prices, f"{chosen} (over the {builtin})")
