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

A batch's spending limit (``Budget``: ``max_cost_usd=``, ``wom analyze --budget``)
spends these prices. Before a request is sent, its worst case is reserved: the
estimated prompt at the model's input price plus the whole answer cap
(``max_tokens`` / ``max_completion_tokens``, which also bounds a reasoning
model's hidden thinking) at its output price. A request whose reservation does
not fit beside what was spent and what requests in flight hold is not sent
(``BudgetExhausted``), and from then on the batch starts no new review. When an
answer arrives, its reservation is replaced by what the usage really cost.

An error answer (4xx/5xx) is not billed by providers and frees its reservation.
A request that got no answer (timeout, dropped connection) may have been
processed and billed all the same: it keeps its worst case as spent, so that
the budget holds even then.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ._exceptions import ConfigurationError, PricesError
from .types import Usage

__all__ = [
    "GENAI_PRICES",
    "Budget",
    "BudgetExhausted",
    "Hold",
    "ModelPrice",
    "Price",
    "PriceTable",
    "load_prices",
]

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


# -- a batch's budget, spending these prices ------------------------------------------------


class BudgetExhausted(Exception):
    """The next request would pass the batch's budget: it is not sent.

    Never reaches the caller: the batch drivers stop starting reviews, and a
    review it interrupted is left out of the results (a re-run does it again).
    """


@dataclass
class Hold:
    """One request's reservation, until ``Budget.settle``."""

    amount: float
    settled: bool = False


class Budget:
    """At most ``limit_usd`` US dollars for one batch, priced by ``price``.

    Args:
        limit_usd: the budget.
        price: the model's price at this endpoint.
        on_exhausted: called once, with (limit, spent, held), when the first
            request is refused.
    """

    def __init__(self, limit_usd: float, price: ModelPrice,
                 on_exhausted: Callable[[float, float, float], None] | None = None) -> None:
        self.limit_usd = limit_usd
        self._price = price
        self._on_exhausted = on_exhausted
        self._lock = threading.Lock()
        self._spent = 0.0
        self._held = 0.0
        self._exhausted = False

    @classmethod
    def for_model(cls, limit_usd: float, prices: str | Path | None, model: str,
                  base_url: str | None,
                  on_exhausted: Callable[[float, float, float], None] | None = None) -> Budget:
        """The budget of one batch for ``model`` at ``base_url``, priced by ``load_prices(prices)``.

        ``ConfigurationError`` (``PricesError`` for a bad price file) before any
        request when it cannot be kept: a budget without a price would be no budget.
        """
        if isinstance(limit_usd, bool) or not isinstance(limit_usd, int | float) or not (
                limit_usd > 0):
            raise ConfigurationError(f"max_cost_usd must be a positive number, got {limit_usd!r}")
        price = load_prices(prices).lookup(model, base_url)
        if price is None:
            raise ConfigurationError(
                f"no price is known for model {model!r} at {base_url or 'OpenAI'}, so a budget "
                "cannot be kept: give its price (prices=FILE.json, --prices or WOM_PRICES) or "
                "run without max_cost_usd / --budget")
        return cls(float(limit_usd), price, on_exhausted)

    def __repr__(self) -> str:
        return (f"Budget(limit_usd={self.limit_usd}, spent={self._spent:.6f}, "
                f"held={self._held:.6f}, exhausted={self._exhausted})")

    @property
    def spent(self) -> float:
        """US dollars spent so far (settled requests)."""
        return self._spent

    @property
    def exhausted(self) -> bool:
        """Whether a request was refused: start no new review."""
        return self._exhausted

    def reserve(self, prompt_tokens: int, max_output_tokens: int) -> Hold:
        """Hold the worst case of a request, or raise ``BudgetExhausted``."""
        worst = self._price.cost(Usage(prompt_tokens=prompt_tokens,
                                       completion_tokens=max_output_tokens))
        with self._lock:
            fits = self._spent + self._held + worst <= self.limit_usd
            if fits:
                self._held += worst
            else:
                first = not self._exhausted
                self._exhausted = True
                spent, held = self._spent, self._held
        if fits:
            return Hold(worst)
        if first and self._on_exhausted is not None:
            self._on_exhausted(self.limit_usd, spent, held)
        raise BudgetExhausted(
            f"the next request (up to ${worst:.6f}) would pass the budget of "
            f"${self.limit_usd:g} (${spent:.6f} spent, ${held:.6f} in flight)")

    def settle(self, hold: Hold, usage: Usage | None, *, answered: bool) -> None:
        """Replace ``hold`` by what the request cost.

        ``usage`` is the answer's; None with ``answered`` for an error status (not
        billed), None without ``answered`` when no answer came (maybe billed: the
        worst case stays spent).
        """
        if hold.settled:
            return
        hold.settled = True
        # No answer: maybe billed all the same, so the worst case stays spent.
        unanswered = 0.0 if answered else hold.amount
        cost = self._price.cost(usage) if usage is not None else unanswered
        with self._lock:
            self._held -= hold.amount
            self._spent += cost
