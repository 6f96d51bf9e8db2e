"""``wom highlights``: the most praised points, verbatim quotes, and an optional checked draft."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from .._constants import EXIT_OK, EXIT_USAGE
from ..io._results import check_results_file
from ._common import (
    add_endpoint_options,
    add_results_argument,
    analyzer_options,
    exit_status_help,
    fail,
    make_analyzer,
    positive_int,
)

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``highlights`` to the ``wom`` parser's subcommands."""
    p = subparsers.add_parser(
        "highlights",
        help="list what customers praise most, with verbatim quotes and review ids",
        description=(
            "The most praised points of a results file, ranked by the number of distinct "
            "reviews praising them, each with verbatim quotes and their review ids: words a "
            "marketer may quote, counted.\n\n"
            "--draft asks the model for a short product description from those points only; "
            "every sentence is checked against them (terms, numbers, quotation marks), "
            "failures are dropped, a draft in a customer's voice is refused, and the draft says "
            "how many real reviews it was drafted from. wom-sdk never writes reviews."
        ),
        epilog=exit_status_help(ok="the highlights were written",
                                failed="failed (no endpoint for --draft, an unwritable file)"),
    )
    add_results_argument(p)
    p.add_argument("-o", "--output",
                   help="output file; '-' for stdout (default: highlights.md, or "
                        "highlights.json with --format json)")
    p.add_argument("--format", choices=("md", "json"), default=None,
                   help="default: from the output file's suffix, else md")
    p.add_argument("--group-by", metavar="COLUMN",
                   help="points per product (product) or per another input column kept in the "
                        "results (brand, shop, ...)")
    p.add_argument("--top", type=positive_int, default=10, metavar="N",
                   help="points per group (default %(default)s)")
    p.add_argument("--top-groups", type=positive_int, default=20, metavar="N",
                   help="groups listed, largest first (default %(default)s)")
    p.add_argument("--min-quotes", type=positive_int, default=3, metavar="N",
                   help="distinct verbatim quotes a point needs (default %(default)s)")
    p.add_argument("--max-quotes", type=positive_int, default=5, metavar="N",
                   help="quotes shown per point (default %(default)s)")
    d = p.add_argument_group("draft (optional; calls the endpoint once per group)")
    d.add_argument("--draft", action="store_true",
                   help="draft a short product description from each group's points, checked")
    d.add_argument("--draft-points", type=positive_int, default=5, metavar="N",
                   help="the most praised points a draft is written from (default %(default)s)")
    add_endpoint_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``wom highlights``: the exit status."""
    from ..actions._draft import draft_description
    from ..actions._highlights import highlights
    from ..actions._render import highlights_json, highlights_markdown
    from ..actions._source import source_name

    if args.min_quotes > args.max_quotes:
        return fail("--min-quotes must not exceed --max-quotes", EXIT_USAGE)
    fmt = args.format
    output = args.output or ("highlights.json" if fmt == "json" else "highlights.md")
    if fmt is None:
        fmt = "json" if output.lower().endswith(".json") else "md"
    check_results_file(args.results)
    # Made before reading the results: a missing endpoint fails at once, not after the pass.
    analyzer = make_analyzer(args, **analyzer_options(args)) if args.draft else None
    try:
        found = highlights(args.results, group_by=args.group_by, top=args.top,
                           min_quotes=args.min_quotes, max_quotes=args.max_quotes)
        shown = found.groups[: args.top_groups]
        if len(found.groups) > len(shown):
            note = (f"{len(found.groups) - len(shown)} smaller group(s) not listed "
                    "(--top-groups).")
            found = dataclasses.replace(found, groups=shown, notes=(*found.notes, note))
        drafts = {}
        if analyzer is not None:
            drafts = {g.name: draft_description(g, analyzer, points=args.draft_points)
                      for g in found.groups}
    finally:
        if analyzer is not None:
            analyzer.close()
    source = source_name(args.results)
    render = highlights_json if fmt == "json" else highlights_markdown
    text = render(found, source=source, drafts=drafts)
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    points = sum(len(g.points) for g in found.groups)
    print(f"wom highlights: {found.records:,} reviews, {points} point(s) in "
          f"{len(found.groups)} group(s) -> {output}", file=sys.stderr)
    for name, draft in drafts.items():
        if draft.refused is not None:
            print(f"wom highlights: no draft for {name or 'all reviews'}: {draft.refused}",
                  file=sys.stderr)
    return EXIT_OK
