"""The ``wom`` command line: ``wom analyze``, ``wom demo``, ``wom report``, ``wom eval``.

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
