"""``wom alerts``: what is new since the last run, for a person, a script, cron or a chat room."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from typing import Any
from urllib.parse import urlsplit

from .._constants import EXIT_NEW_ALERTS, EXIT_OK
from .._exceptions import ConfigurationError
from ..io._results import check_results_file
from ._common import (
    add_results_argument,
    add_trend_options,
    exit_status_help,
    positive_float,
    positive_int,
    trend_rule,
)

__all__ = ["parse_since", "register", "run"]

#: Where the state goes when ``--state`` is not given: beside the results.
STATE_SUFFIX = ".alerts-state.json"
_RELATIVE = re.compile(r"(\d+)([dw])")


def parse_since(text: str, today: dt.date) -> dt.date:
    """``2024-05-01``, or ``7d`` / ``2w`` before ``today``."""
    m = _RELATIVE.fullmatch(text.strip().lower())
    if m is not None:
        n = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        return today - dt.timedelta(days=n)
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date (YYYY-MM-DD) or a number of days/weeks (7d, 2w): {text!r}") from None


def _since(text: str) -> dt.date:
    return parse_since(text, dt.date.today())


def _webhook_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError("the webhook must be an http:// or https:// URL")
    return text


def register(subparsers: Any) -> None:
    """Add ``alerts`` to the ``wom`` parser's subcommands."""
    from ..actions._webhook import DEFAULT_WEBHOOK_TIMEOUT, WEBHOOK_FORMATS

    p = subparsers.add_parser(
        "alerts",
        help="print (and send) the alerts that are new since the last run",
        description=(
            "Read a results file and raise what is new since the last run: reviews that need "
            "a response now (threats, self-harm, safety or medical claims, legal or regulator "
            "complaints, a high-severity complaint, 1 star with a complaint) and weekly "
            "spikes of the negative share or of a complaint theme's share (the rule `wom "
            "report` states). A state file remembers what was raised, so each alert is raised "
            "once: run it from cron after each `wom analyze` of the day's export.\n\n"
            "Review text is never printed or sent unless --include-text is given. A webhook "
            "that fails keeps its alerts new: they are raised again on the next run."
        ),
        epilog=exit_status_help(
            ok="nothing new", failed="failed (the webhook too: its alerts stay new)",
            more=((EXIT_NEW_ALERTS, "new alerts were raised (for cron and scripts)"),)),
    )
    add_results_argument(p)
    p.add_argument("--state", metavar="STATE.json",
                   help=f"what earlier runs raised (default: RESULTS.jsonl{STATE_SUFFIX}); "
                        "created on the first run")
    p.add_argument("--dry-run", action="store_true",
                   help="print what is new, but do not remember it")
    p.add_argument("--since", type=_since, metavar="DATE|Nd",
                   help="only reviews dated on or after DATE (or N days / weeks ago: 7d, 2w), "
                        "and weeks ending then or later; reviews without a date are kept")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: one line per alert, nothing when nothing is new; json: the "
                        "webhook payload, always (default %(default)s)")
    p.add_argument("--include-text", action="store_true",
                   help="include each review's text and complaint quotes (in print and webhook)")
    p.add_argument("--max-reviews", type=positive_int, default=100, metavar="N",
                   help="review alerts listed in full, most urgent first; the rest are "
                        "counted (default %(default)s)")
    w = p.add_argument_group("webhook (sent only when something is new)")
    where = w.add_mutually_exclusive_group()
    where.add_argument("--webhook", type=_webhook_url, metavar="URL",
                       help="POST the alerts here (visible in `ps`: prefer --webhook-env)")
    where.add_argument("--webhook-env", metavar="NAME",
                       help="read the webhook URL from this environment variable")
    w.add_argument("--webhook-format", choices=WEBHOOK_FORMATS, default="json",
                   help="json: the documented payload; slack / feishu / dingtalk: their "
                        "incoming-webhook text message (default %(default)s)")
    w.add_argument("--webhook-timeout", type=positive_float, default=DEFAULT_WEBHOOK_TIMEOUT,
                   metavar="SECONDS", help="per try; failures are retried (default %(default)s)")
    add_trend_options(p)
    p.set_defaults(func=run)


def _webhook(args: argparse.Namespace) -> str | None:
    if args.webhook_env is None:
        return args.webhook  # type: ignore[no-any-return]
    url = os.environ.get(args.webhook_env, "").strip()
    if not url:
        raise ConfigurationError(f"--webhook-env {args.webhook_env}: the environment variable "
                                 "is not set (or is empty)")
    try:
        return _webhook_url(url)
    except argparse.ArgumentTypeError as e:
        raise ConfigurationError(f"--webhook-env {args.webhook_env}: {e}") from None


def run(args: argparse.Namespace) -> int:
    """``wom alerts``: 0 nothing new, 3 new alerts."""
    from ..actions._alerts import AlertState, find_alerts
    from ..actions._notify import alert_lines, alerts_payload, summary_line
    from ..actions._source import source_name
    from ..actions._webhook import post_webhook, webhook_body, webhook_where

    check_results_file(args.results)
    webhook = _webhook(args)
    state_path = args.state or f"{args.results}{STATE_SUFFIX}"
    state = AlertState.load(state_path)
    found = find_alerts(args.results, state=state, trend_rule=trend_rule(args),
                        since=args.since, include_text=args.include_text,
                        max_reviews=args.max_reviews)
    source = source_name(args.results)
    payload = alerts_payload(found, source)
    if args.format == "json":
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif found.new:
        sys.stdout.write("\n".join([summary_line(found, source), *alert_lines(found)]) + "\n")
    sys.stdout.flush()
    if args.format == "json" or not found.new:
        print(summary_line(found, source), file=sys.stderr)
    if not found.new:
        return EXIT_OK
    if webhook is not None:
        # Raises on failure (exit 1) before the state is written: the alerts stay new.
        post_webhook(webhook, webhook_body(payload, args.webhook_format),
                     fmt=args.webhook_format, timeout=args.webhook_timeout)
        print(f"wom alerts: sent to {webhook_where(webhook)}", file=sys.stderr)
    if not args.dry_run:
        AlertState(state.raised | found.new_keys).save(state_path)
    return EXIT_NEW_ALERTS
