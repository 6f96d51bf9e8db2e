"""The ``wom`` command line: ``wom analyze``, ``wom demo``, and the report and eval commands.

Only the console script (and ``python -m wom_sdk``) imports this module, so
``import wom_sdk`` never pays for argparse or the subcommands. Each subcommand
module has a ``register(subparsers)`` that adds its parsers and sets ``func``,
which receives the parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import __version__

if TYPE_CHECKING:
    from ._analyze import AnalyzerFactory

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order they appear in ``wom --help``.
_COMMAND_MODULES = (
    "wom_sdk.cli._analyze", "wom_sdk.cli._demo", "wom_sdk.cli._report", "wom_sdk.cli._eval",
)
#: Written by another part of the project; a checkout without them still runs `analyze`.
_OPTIONAL_MODULES = frozenset({"wom_sdk.cli._report", "wom_sdk.cli._eval"})


def build_parser() -> argparse.ArgumentParser:
    """The ``wom`` parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="wom",
        description="Turn customer reviews (口碑) into validated, grounded insight with any "
                    "OpenAI-compatible LLM endpoint.",
        epilog="Configure the endpoint with OPENAI_API_KEY and/or OPENAI_BASE_URL, and "
               "WOM_MODEL. Try `wom demo` for an offline demonstration.")
    parser.add_argument("--version", action="version", version=f"wom-sdk {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            # Only the module itself may be missing; a broken import inside it is a bug.
            if name in _OPTIONAL_MODULES and e.name == name:
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *,
         analyzer_factory: AnalyzerFactory | None = None) -> int:
    """Run ``wom`` with ``argv`` (default: the process arguments); the exit status.

    ``analyzer_factory`` replaces ``ReviewAnalyzer`` (called with its keyword
    arguments): tests pass one whose HTTP client is a mock.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 for --help/--version
        return e.code if isinstance(e.code, int) else 2
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    args.argv = args_list
    args.analyzer_factory = analyzer_factory
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        # Outside a run's own handling (starting up, the report and eval commands).
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `wom ... | head`: the reader left; nothing to report.
        return 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
