"""The ``wom`` command line: analyze, demo, report, eval, alerts, highlights, queue.

Only the console script (and ``python -m wom_sdk``) imports this package, so
``import wom_sdk`` never pays for argparse or the subcommands.
"""

from __future__ import annotations

from ._main import (
    build_parser,
    main,
)

__all__ = [
    "build_parser",
    "main",
]
