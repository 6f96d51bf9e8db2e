"""The ``wom`` command line: analyze, batches, demo, report, eval, alerts, highlights, queue.

Only the console script (and ``python -m wom_sdk``) imports this module, so
``import wom_sdk`` never pays for argparse or the subcommands. Each subcommand
module has a ``register(subparsers)`` that adds its parser and sets ``func``,
which receives the parsed arguments and returns the exit status. What they
share (errors, exit statuses, endpoint options, the analyzer) is ``_common``.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

from .. import __version__
from .._constants import EXIT_BUDGET, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NEW_ALERTS, EXIT_USAGE
from .._exceptions import WomError
from . import _alerts, _analyze, _batches, _demo, _eval, _highlights, _queue, _report
from ._common import AnalyzerFactory, WomArgumentParser, exit_status, exit_status_help, fail

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order they appear in ``wom --help``.
_COMMANDS = (_analyze, _batches, _demo, _report, _eval, _alerts, _highlights, _queue)


def build_parser() -> WomArgumentParser:
    """The ``wom`` parser with every subcommand."""
    parser = WomArgumentParser(
        prog="wom",
        description="Turn customer reviews (口碑) into validated, grounded insight with any "
                    "OpenAI-compatible LLM endpoint.",
        epilog="Configure the endpoint with OPENAI_API_KEY and/or OPENAI_BASE_URL, and "
               "WOM_MODEL. Try `wom demo` for an offline demonstration.\n\n"
               + exit_status_help(ok="done", failed="failed (see the message)",
                                  more=((EXIT_NEW_ALERTS, "new alerts (`wom alerts` only)"),
                                        (EXIT_BUDGET, "stopped at the budget "
                                                      "(`wom analyze --budget` only)"))))
    parser.add_argument("--version", action="version", version=f"wom-sdk {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in _COMMANDS:
        module.register(subparsers)
    return parser


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """While a command runs, SIGTERM (``kill``, ``docker stop``, systemd) is a Ctrl-C.

    Every command then stops the way it stops on Ctrl-C (what finished is kept, exit
    130, how to continue) instead of dying mid-line. A SIGTERM the process was started
    ignoring stays ignored; the handler is put back afterwards (``main`` also runs
    inside other programs: tests, benchmarks).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None, *,
         analyzer_factory: AnalyzerFactory | None = None) -> int:
    """Run ``wom`` with ``argv`` (default: the process arguments); the exit status.

    ``analyzer_factory`` replaces ``ReviewAnalyzer`` (called with its keyword
    arguments) in every subcommand: tests pass one whose HTTP client is a mock.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 for --help/--version
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return fail("no command given; choose one of the commands above", EXIT_USAGE)
    args.argv = args_list
    args.analyzer_factory = analyzer_factory
    try:
        with _sigterm_as_ctrl_c():
            status: int = args.func(args)
    except WomError as e:
        return fail(e.message, exit_status(e))
    except KeyboardInterrupt:
        # Outside a run's own handling (starting up, the report and eval commands).
        print(file=sys.stderr)
        return fail("interrupted; run the same command again to finish it (`wom eval` and "
                    "`wom highlights` given `--cache PATH` do not pay again for answers they "
                    "already had)", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # `wom ... | head`: the reader left; nothing to report.
        return EXIT_FAILED
    except OSError as e:
        # A file that cannot be read or written (permissions, a full disk, a folder).
        where = f": {e.filename}" if e.filename else ""
        return fail(f"{e.strerror or e}{where}", EXIT_FAILED)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

