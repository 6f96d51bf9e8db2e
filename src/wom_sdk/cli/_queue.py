"""``wom queue``: the reviews that deserve a reply, most urgent first, as CSV or Excel."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from .._constants import EXIT_OK
from ..io._results import check_results_file
from ._common import add_results_argument, exit_status_help, positive_int

__all__ = ["register", "run"]


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: Any) -> None:
    """Add ``queue`` to the ``wom`` parser's subcommands."""
    p = subparsers.add_parser(
        "queue",
        help="write the reviews that deserve a reply, most urgent first (CSV or .xlsx)",
        description=(
            "The reviews that deserve a reply (a safety, legal or other urgent flag, a "
            "complaint, 3 stars or less, a negative or mixed sentiment), ordered by an "
            "urgency score that the `why` column spells out: 40 per urgent flag; the worst "
            "complaint's severity high 30, medium 15, low 5; 1 / 2 / 3 stars 20 / 15 / 5; "
            "negative 15, mixed 5; dated at most 2 / 7 days before --as-of 10 / 5. Ties: newer "
            "first, then by id. Each row has the suggested reply, whether a person must check "
            "it and why, and the original review.\n\n"
            "CSV is UTF-8 with a byte-order mark (Excel opens Chinese intact); .xlsx needs the "
            "pandas extra. Cells that a spreadsheet would run as a formula (starting with =, +, "
            "-, @) are prefixed with ': a review is text from a stranger."
        ),
        epilog=exit_status_help(ok="the queue was written",
                                failed="failed (an unwritable file, openpyxl missing)"),
    )
    add_results_argument(p)
    p.add_argument("-o", "--output", default="queue.csv",
                   help="queue.csv or queue.xlsx (default %(default)s)")
    p.add_argument("--format", choices=("csv", "xlsx"), default=None,
                   help="default: from the output file's suffix, else csv")
    p.add_argument("--limit", type=positive_int, default=1000, metavar="N",
                   help="the most urgent N reviews are written; all are counted "
                        "(default %(default)s)")
    p.add_argument("--as-of", type=_day, metavar="DATE",
                   help="the day recency is measured from (default: today)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``wom queue``: the exit status."""
    from ..actions._queue import reply_queue, write_queue

    check_results_file(args.results)
    as_of = args.as_of or dt.date.today()
    queue = reply_queue(args.results, as_of=as_of, limit=args.limit)
    target = write_queue(queue, args.output, format=args.format)
    written = len(queue.entries)
    more = (f"; the {written:,} most urgent written (raise --limit for more)"
            if queue.deserving > written else "")
    failed = f", {queue.failed:,} failed analysis (not queued)" if queue.failed else ""
    print(f"wom queue: {queue.deserving:,} of {queue.records:,} reviews deserve a reply"
          f"{failed}{more} -> {target}", file=sys.stderr)
    return EXIT_OK
