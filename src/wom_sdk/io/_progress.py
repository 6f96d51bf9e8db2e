"""What ``wom analyze`` tells the user: a progress bar while it runs, a summary at the end.

The bar is drawn only on a terminal: in a pipe, a CI log or a cron mail, tqdm's
carriage returns turn into thousands of lines, so there the run prints nothing
until its summary. Everything goes to stderr; stdout stays free for pipes.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from .._pricing import PriceTable
from ..types import Usage
from ._rows import ReadStats

__all__ = ["Progress", "RunSummary"]

#: Seconds between refreshes of the bar's counters (cheap, but not free per result).
_REFRESH = 0.5


def _fmt_tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return str(n)


class Progress:
    """A tqdm bar on stderr (when it is a terminal): done, failed, rate per minute, ETA, tokens."""

    def __init__(self, *, enabled: bool, total: int | None,
                 tokens: Callable[[], int], stream: IO[str] | None = None) -> None:
        self._tokens = tokens
        self._bar: Any = None
        self._ok = 0
        self._failed = 0
        self._start = time.monotonic()
        self._shown = 0.0
        if enabled:
            from tqdm import tqdm  # only a terminal run pays for the import

            self._bar = tqdm(total=total, file=stream or sys.stderr, unit="review",
                             dynamic_ncols=True, smoothing=0.05, mininterval=_REFRESH,
                             bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} "
                                        "[{elapsed}<{remaining}]{postfix}")

    @staticmethod
    def wanted(quiet: bool, stream: IO[str] | None = None) -> bool:
        """A bar only when asked for and stderr is a terminal."""
        s = stream or sys.stderr
        return not quiet and s.isatty()

    def update(self, ok: bool) -> None:
        if ok:
            self._ok += 1
        else:
            self._failed += 1
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.monotonic()
        if now - self._shown >= _REFRESH:
            self._shown = now
            self._set_postfix(now)

    def _set_postfix(self, now: float) -> None:
        minutes = max(now - self._start, 1e-9) / 60
        self._bar.set_postfix_str(
            f"ok={self._ok} failed={self._failed} "
            f"{(self._ok + self._failed) / minutes:.0f}/min "
            f"tokens={_fmt_tokens(self._tokens())}", refresh=False)

    def write(self, message: str) -> None:
        """A message that does not tear the bar."""
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._set_postfix(time.monotonic())  # the final counts, not the last refresh's
            self._bar.close()
            self._bar = None


@dataclass
class RunSummary:
    """The numbers of one run; ``--summary-json`` writes exactly these."""

    input: str
    output: str
    model: str | None = None
    #: reviews read from the input (within --limit)
    total: int = 0
    analyzed: int = 0
    failed: int = 0
    skipped_done: int = 0
    duplicates: int = 0
    duplicate_ids: list[str] = field(default_factory=list)
    #: reviews read but not finished (interrupted, or the endpoint stopped working)
    not_finished: int = 0
    failures_by_kind: dict[str, int] = field(default_factory=dict)
    #: how the input's text was decoded (None for Excel)
    input_encoding: str | None = None
    unreadable_rows: int = 0
    unreadable_lines: list[int] = field(default_factory=list)
    replaced_characters: int = 0
    #: CSV rows that did not fit the header (the rule of ``_readers``), first ones noted
    short_rows: int = 0
    joined_rows: int = 0
    rejected_rows: int = 0
    row_notes: list[str] = field(default_factory=list)
    retried_errors: int = 0
    repaired_truncated_line: bool = False
    removed_broken_lines: int = 0
    #: lines in the output that are not ours: left in place, not counted as done
    foreign_lines: int = 0
    foreign_line_numbers: list[int] = field(default_factory=list)
    #: whether running the same command again continues (False for standard output)
    resumable: bool = True
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: parts of prompt_tokens served from the provider's prompt cache (billed cheaper)
    cached_tokens: int = 0
    #: parts of completion_tokens a reasoning model spent thinking (billed as output)
    reasoning_tokens: int = 0
    #: None when the model's price is not known (never a guess)
    estimated_cost_usd: float | None = None
    price_source: str | None = None
    #: --budget: the most this run may spend, in US dollars
    budget_usd: float | None = None
    wall_seconds: float = 0.0
    requests_per_minute: float = 0.0
    throttled_429: int = 0
    interrupted: bool = False
    stopped_reason: str | None = None
    exit_code: int = 0

    def read_stats(self, stats: ReadStats) -> None:
        """Take what reading the input found."""
        self.input_encoding = stats.encoding
        self.unreadable_rows = stats.unreadable
        self.unreadable_lines = list(stats.unreadable_lines)
        self.replaced_characters = stats.replaced
        self.short_rows, self.joined_rows = stats.short_rows, stats.joined_rows
        self.rejected_rows = stats.rejected_rows
        self.row_notes = list(stats.row_notes)

    def count_failure(self, kind: str) -> None:
        self.failed += 1
        kinds = Counter(self.failures_by_kind)
        kinds[kind] += 1
        self.failures_by_kind = dict(kinds.most_common())

    def set_usage(self, usage: Usage, prices: PriceTable, base_url: str | None = None) -> None:
        """What the run spent, and its cost when the model's price at ``base_url`` is known."""
        self.requests = usage.requests
        self.prompt_tokens = usage.prompt_tokens
        self.completion_tokens = usage.completion_tokens
        self.cached_tokens = usage.cached_tokens
        self.reasoning_tokens = usage.reasoning_tokens
        price = prices.lookup(self.model, base_url) if self.model else None
        if price is not None:
            self.estimated_cost_usd = round(price.cost(usage), 6)
            self.price_source = prices.source

    def set_time(self, seconds: float, throttled: int) -> None:
        self.wall_seconds = round(seconds, 3)
        self.requests_per_minute = round(self.requests / (seconds / 60), 1) if seconds > 0 else 0
        self.throttled_429 = throttled

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")

    def render(self) -> str:
        """The human summary printed to stderr."""
        lines = [f"wom analyze: {self.input} -> {self.output}"]
        parts = [f"{self.total} reviews read", f"{self.analyzed} analyzed",
                 f"{self.failed} failed"]
        if self.skipped_done:
            parts.append(f"{self.skipped_done} skipped (already in the output)")
        if self.duplicates:
            shown = ", ".join(self.duplicate_ids[:5])
            more = ", ..." if self.duplicates > 5 else ""
            parts.append(f"{self.duplicates} duplicate ids skipped ({shown}{more})")
        if self.not_finished:
            parts.append(f"{self.not_finished} not finished")
        lines.append("  " + ", ".join(parts))
        if self.failures_by_kind:
            kinds = ", ".join(f"{k}: {n}" for k, n in self.failures_by_kind.items())
            lines.append(f"  failures by kind: {kinds}  (re-run them with --retry-errors)")
        lines += self._input_notes()
        cost = ("unknown price for this model (add it with --prices FILE.json)"
                if self.estimated_cost_usd is None
                else f"~${self.estimated_cost_usd:.4f} ({self.price_source})")
        cached = f" ({self.cached_tokens:,} cached)" if self.cached_tokens else ""
        reasoning = f" ({self.reasoning_tokens:,} reasoning)" if self.reasoning_tokens else ""
        budget = f" of the --budget ${self.budget_usd:g}" if self.budget_usd is not None else ""
        lines.append(f"  tokens: {self.prompt_tokens:,} in{cached}, {self.completion_tokens:,} "
                     f"out{reasoning}, {self.requests:,} requests; estimated cost: {cost}{budget}")
        lines.append(f"  time: {_duration(self.wall_seconds)}, "
                     f"{self.requests_per_minute:g} requests/min, "
                     f"{self.throttled_429} rate-limited (429) responses")
        if self.stopped_reason:
            lines.append(f"  stopped: {self.stopped_reason}")
        return "\n".join(lines)

    def _input_notes(self) -> list[str]:
        notes = []
        if self.input_encoding and self.input_encoding != "UTF-8":
            notes.append(f"  input: read as {self.input_encoding}")
        if self.replaced_characters:
            notes.append(f"  input: {self.replaced_characters} undecodable byte(s) replaced by "
                         f"U+FFFD ({self.input_encoding or 'UTF-8'})")
        rows = [f"{n} {what}" for n, what in ((self.short_rows, "short"),
                                              (self.joined_rows, "joined back"),
                                              (self.rejected_rows, "not sent"))
                if n]
        if rows:
            notes.append(f"  input: rows that do not fit the header: {', '.join(rows)}")
            notes += [f"    {note}" for note in self.row_notes[:5]]
        if self.unreadable_rows:
            at = ", ".join(map(str, self.unreadable_lines))
            notes.append(f"  input: {self.unreadable_rows} unreadable line(s) skipped "
                         f"(line {at})")
        if self.repaired_truncated_line:
            notes.append("  output: dropped a cut last line left by an interrupted run")
        if self.removed_broken_lines:
            notes.append(f"  output: removed {self.removed_broken_lines} broken or repeated "
                         "line(s)")
        if self.retried_errors:
            notes.append(f"  output: {self.retried_errors} earlier failure(s) analyzed again")
        if self.foreign_lines:
            at = ", ".join(map(str, self.foreign_line_numbers[:10]))
            notes.append(f"  output: {self.foreign_lines} line(s) that are not results of wom "
                         f"left in place, their ids not counted as done (line {at})")
        if not self.resumable:
            notes.append("  output: standard output (or a pipe): a run there cannot be "
                         "resumed; use -o FILE to be able to continue one")
        return notes


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
