"""A batch's spending limit (``max_cost_usd=``, ``wom analyze --budget``).

Before a request is sent, its worst case is reserved: the estimated prompt at
the model's input price plus the whole answer cap (``max_tokens`` /
``max_completion_tokens``, which also bounds a reasoning model's hidden
thinking) at its output price. A request whose reservation does not fit beside
what was spent and what requests in flight hold is not sent
(``BudgetExhausted``), and from then on the batch starts no new review. When an
answer arrives, its reservation is replaced by what the usage really cost.

An error answer (4xx/5xx) is not billed by providers and frees its reservation.
A request that got no answer (timeout, dropped connection) may have been
processed and billed all the same: it keeps its worst case as spent, so that
the budget holds even then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._exceptions import ConfigurationError
from ._pricing import ModelPrice, load_prices
from .types import Usage

__all__ = ["Budget", "BudgetExhausted", "Hold"]


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
