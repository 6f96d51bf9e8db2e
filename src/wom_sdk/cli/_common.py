"""What every ``wom`` subcommand shares, so that they behave as one command.

- Errors: one line on stderr, ``wom: error: MESSAGE`` (``fail``), argparse's
  own usage errors included (``WomArgumentParser``); no tracebacks for what a
  user can fix. A subcommand raises a ``WomError`` or returns a status; ``main``
  turns errors into that line and the status ``exit_status`` gives.
- Exit statuses: ``EXIT_*`` of ``_constants``, listed in every ``--help``
  (``exit_status_help``) and the README.
- The endpoint: the same options (``add_endpoint_options``) read the same way
  (``analyzer_options``), and one test seam: ``main(argv, analyzer_factory=...)``
  replaces ``ReviewAnalyzer`` for every subcommand (``make_analyzer``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from .._constants import (
    DEFAULT_MODEL,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    REASONING_EFFORTS,
)
from .._exceptions import (
    ConfigurationError,
    InputError,
    OutputFileError,
    PricesError,
    WomError,
)

if TYPE_CHECKING:
    from .._client import ReviewAnalyzer
    from ..report._trend import TrendRule

__all__ = [
    "AnalyzerFactory",
    "WomArgumentParser",
    "add_connection_options",
    "add_endpoint_options",
    "add_reading_options",
    "add_results_argument",
    "add_trend_options",
    "analyzer_options",
    "api_key_from_env",
    "exit_status",
    "exit_status_help",
    "fail",
    "make_analyzer",
    "positive_float",
    "positive_int",
    "reading_options",
    "share",
    "trend_rule",
]

#: Builds the analyzer from ``ReviewAnalyzer``'s keyword arguments (tests inject a mock).
AnalyzerFactory = Callable[..., "ReviewAnalyzer"]

_PREFIX = "wom: error: "
N = TypeVar("N", int, float)


def fail(message: str, status: int = EXIT_FAILED) -> int:
    """Print ``wom: error: MESSAGE`` on stderr; the exit status, for ``return fail(...)``."""
    print(f"{_PREFIX}{message}", file=sys.stderr, flush=True)
    return status


def exit_status(error: WomError) -> int:
    """The exit status for an error that ended a command."""
    # A price file or an output file is a command-line argument like an input file:
    # one that cannot be used as given is a usage error (nothing was sent).
    usage = InputError | PricesError | OutputFileError
    return EXIT_USAGE if isinstance(error, usage) else EXIT_FAILED


def exit_status_help(*, ok: str, failed: str,
                     interrupted: str = "interrupted (Ctrl-C)",
                     more: tuple[tuple[int, str], ...] = ()) -> str:
    """The ``--help`` epilog that lists the exit statuses, in each command's words.

    ``more``: a command's own statuses (``wom alerts``' 3), listed before Ctrl-C's.
    """
    own = "".join(f"; {status} {meaning}" for status, meaning in more)
    return (f"exit status: {EXIT_OK} {ok}; {EXIT_FAILED} {failed}; {EXIT_USAGE} usage error "
            f"(bad arguments, or an input that cannot be read){own}; {EXIT_INTERRUPTED} "
            f"{interrupted}")


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, keeping the blank line between paragraphs of a description."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(super(_HelpFormatter, self)._fill_text(part, width, indent)
                           for part in text.split("\n\n"))

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        # argparse measures subcommand names one indent short of where it prints
        # them: "highlights" would otherwise sit on a line of its own in `wom --help`.
        if isinstance(action, argparse._SubParsersAction):
            longest = max(map(len, action.choices), default=0)
            self._action_max_length = max(self._action_max_length,
                                          self._current_indent + self._indent_increment + longest)


class WomArgumentParser(argparse.ArgumentParser):
    """argparse, with its usage errors in the same one-line form as every other error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{_PREFIX}{message}\n")


# -- argument types -----------------------------------------------------------------------------
def _number(kind: str, convert: Callable[[str], N], valid: Callable[[N], bool],
            requirement: str) -> Callable[[str], N]:
    """An argparse type that converts and checks a number, with a message for each failure."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {kind}: {text!r}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
        return value

    return parse


#: A whole number >= 1 (counts, limits).
positive_int = _number("whole number", int, lambda v: v >= 1, "at least 1")
#: A number > 0 (rates).
positive_float = _number("number", float, lambda v: v > 0, "positive")
#: A number from 0 to 1 (a share, a cosine similarity).
share = _number("number", float, lambda v: 0 <= v <= 1, "between 0 and 1")


def _sheet(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def add_reading_options(g: Any) -> None:
    """``--encoding``, ``--sheet``, ``--header-row``: how an input file is read (analyze, eval)."""
    g.add_argument("--encoding", metavar="NAME",
                   help="the text's encoding, e.g. gb18030, big5, utf-16, cp1252 (default: "
                        "detected; UTF-8 with or without BOM, UTF-16, GBK, Big5...)")
    g.add_argument("--sheet", type=_sheet, metavar="NAME|N",
                   help=".xlsx: the sheet, by name or position counting from 1 (default: the "
                        "active sheet)")
    g.add_argument("--header-row", type=positive_int, default=1, metavar="N",
                   help="CSV, TSV, .xlsx: the header's row, when title rows sit above it "
                        "(default 1)")


def reading_options(args: argparse.Namespace) -> dict[str, Any]:
    """``open_rows`` / ``open_source`` keyword arguments from ``add_reading_options``."""
    return {"encoding": args.encoding, "sheet": args.sheet, "header_row": args.header_row}


# -- the endpoint -------------------------------------------------------------------------------
def add_connection_options(
    g: Any, *, base_url_help: str = "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 "
                                    "(default: OPENAI_BASE_URL, else OpenAI)",
) -> None:
    """``--base-url`` and ``--api-key-env``: where requests go, with which key."""
    g.add_argument("--base-url", metavar="URL", help=base_url_help)
    g.add_argument("--api-key-env", metavar="NAME",
                   help="read the API key from this environment variable instead of "
                        "OPENAI_API_KEY (a key is never given on the command line)")


def add_endpoint_options(p: argparse.ArgumentParser) -> None:
    """The options that configure the analyzer, the same for every command that makes one."""
    g = p.add_argument_group("endpoint (default: WOM_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL)")
    g.add_argument("--model", help=f"model name as the endpoint knows it (default {DEFAULT_MODEL})")
    add_connection_options(g)
    g.add_argument("--rpm", type=positive_float, metavar="N",
                   help="the provider's requests-per-minute limit (default: learned "
                        "from its headers)")
    g.add_argument("--tpm", type=positive_float, metavar="N",
                   help="the provider's tokens-per-minute limit")
    g.add_argument("--limiter", metavar="URL",
                   help="share the rate limit with every process using this Redis, e.g. "
                        "redis://host:6379/0 (needs the redis extra)")
    g.add_argument("--limiter-key", metavar="NAME",
                   help="with --limiter: the account whose limit is shared, when several "
                        "use the same endpoint and model")
    g.add_argument("--cache", metavar="PATH",
                   help="SQLite file answering identical requests again for free")
    g.add_argument("--prompts-dir", metavar="DIR",
                   help="folder of Jinja templates overriding the built-in prompts by name")
    g.add_argument("--reasoning-effort", choices=REASONING_EFFORTS, metavar="EFFORT",
                   help="for reasoning models: " + ", ".join(REASONING_EFFORTS)
                        + " (default: the model's own)")


def api_key_from_env(name: str | None) -> str | None:
    """The key in the environment variable ``--api-key-env`` names (None: not asked for)."""
    if name is None:
        return None
    key = os.environ.get(name, "").strip()
    if not key:
        raise ConfigurationError(f"--api-key-env {name}: the environment variable {name} "
                                 "is not set (or is empty)")
    return key


def analyzer_options(args: argparse.Namespace) -> dict[str, Any]:
    """``ReviewAnalyzer`` keyword arguments from ``add_endpoint_options``' options.

    Options not given are left out, so the analyzer's own defaults (and the
    environment) apply exactly as they do in Python.
    """
    options = {
        "model": args.model,
        "api_key": api_key_from_env(args.api_key_env),
        "base_url": args.base_url,
        "requests_per_minute": args.rpm,
        "tokens_per_minute": args.tpm,
        "limiter": args.limiter,
        "cache": args.cache,
        "prompts_dir": args.prompts_dir,
        "reasoning_effort": getattr(args, "reasoning_effort", None),
    }
    if args.limiter_key is not None:
        if not args.limiter:
            raise ConfigurationError("--limiter-key needs --limiter redis://...")
        from .._ratelimit import RedisRateLimiter

        # A key of the user's own is a RedisRateLimiter's argument, not the analyzer's.
        try:
            options["limiter"] = RedisRateLimiter(
                args.limiter, key=args.limiter_key, requests_per_minute=args.rpm,
                tokens_per_minute=args.tpm)
        except ValueError as e:
            raise ConfigurationError(str(e)) from None
        options["requests_per_minute"] = options["tokens_per_minute"] = None
    return {k: v for k, v in options.items() if v is not None}


def make_analyzer(args: argparse.Namespace, **options: Any) -> ReviewAnalyzer:
    """The analyzer for a command: ``main``'s ``analyzer_factory``, else ``ReviewAnalyzer``."""
    factory: AnalyzerFactory | None = getattr(args, "analyzer_factory", None)
    if factory is None:
        from .._client import ReviewAnalyzer

        factory = ReviewAnalyzer
    return factory(**options)


# -- reading results ----------------------------------------------------------------------------
def add_results_argument(p: argparse.ArgumentParser) -> None:
    """The results file that report, alerts, highlights and queue read."""
    p.add_argument("results", metavar="RESULTS.jsonl",
                   help="batch results, as `wom analyze -o` writes them")


# -- the weekly trend rule ----------------------------------------------------------------------
def add_trend_options(p: argparse.ArgumentParser) -> None:
    """The numbers of the weekly spike rule (``TrendRule``), for report and alerts alike."""
    from ..report._trend import TrendRule

    defaults = TrendRule()
    g = p.add_argument_group("trend alerts (the weekly spike rule, as the report states it)")
    g.add_argument("--alert-min-reviews", type=positive_int, default=defaults.min_reviews,
                   metavar="N",
                   help="weeks with fewer analyzed reviews are not checked (default %(default)s)")
    g.add_argument("--alert-baseline-weeks", type=positive_int,
                   default=defaults.baseline_weeks, metavar="N",
                   help="weeks in the baseline (default %(default)s)")
    g.add_argument("--alert-min-jump", type=share, default=defaults.min_jump, metavar="SHARE",
                   help="minimum rise over the baseline, e.g. 0.10 = 10 points "
                        "(default %(default)s)")
    g.add_argument("--alert-min-count", type=positive_int, default=defaults.min_count,
                   metavar="N", help="minimum reviews behind an alert (default %(default)s)")


def trend_rule(args: argparse.Namespace) -> TrendRule:
    """The ``TrendRule`` of ``add_trend_options``' options (the rest at their defaults)."""
    from ..report._trend import TrendRule

    return TrendRule(min_reviews=args.alert_min_reviews,
                     baseline_weeks=args.alert_baseline_weeks,
                     min_jump=args.alert_min_jump, min_count=args.alert_min_count)
