"""``wom batches OUT.jsonl``: the Batch API job of an output file, asked of the provider now.

Reads the job's state file (``OUT.jsonl.batch.json``, written by ``wom analyze
--batch-api``), asks the provider for each batch's state and counts, and prints
them; ``--cancel`` cancels the live ones. The endpoint and model come from the
state file (``--base-url`` / ``--api-key-env`` when the key lives elsewhere).

A ``wom analyze`` still waiting on the job sees the cancellation at its next
poll and ends the job; this command writes the state file only when no run
holds the output (its lock), so the two never write it at once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .._batchapi._driver import Run, SyncDriver
from .._batchapi._job import state_path
from .._batchapi._jobcore import JobCore
from .._batchapi._settings import MemorySource, Settings
from .._batchapi._state import JobState, StateStore
from .._constants import EXIT_OK, EXIT_USAGE
from ..io._progress import _duration
from ._common import (
    add_connection_options,
    api_key_from_env,
    exit_status_help,
    fail,
    make_analyzer,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``batches`` to the ``wom`` parser's subcommands."""
    p = subparsers.add_parser(
        "batches", help="show (or cancel) the Batch API job of an output file",
        description="Show the provider batch job that `wom analyze --batch-api` keeps for "
                    "OUTPUT (its state file is OUTPUT.batch.json): each input file, its batch, "
                    "the batch's state and counts, asked of the provider now.",
        epilog=exit_status_help(ok="shown (or cancelled)",
                                failed="the provider could not be asked"))
    p.add_argument("output", metavar="OUTPUT.jsonl", help="the output of `wom analyze`")
    p.add_argument("--cancel", action="store_true",
                   help="cancel the job's live batches (what they finished is kept; "
                        "`wom analyze` collects it)")
    p.add_argument("--json", action="store_true", help="print the job as JSON")
    g = p.add_argument_group("endpoint")
    add_connection_options(g, base_url_help="where the job's batches are (default: the "
                                            "endpoint the job was submitted to, from the "
                                            "state file)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``wom batches``: the exit status."""
    path = state_path(args.output)
    saved = StateStore(path).load()
    if saved is None:
        return fail(f"no Batch API job for {args.output} ({path} does not exist; "
                    "`wom analyze ... --batch-api` makes one)", EXIT_USAGE)
    options: dict[str, Any] = {"model": saved.model, "base_url": args.base_url or saved.endpoint}
    key = api_key_from_env(args.api_key_env)
    if key is not None:
        options["api_key"] = key
    analyzer = make_analyzer(args, **options)
    try:
        # Written only while no `wom analyze` holds the output; else that run saves it.
        store = StateStore(path if _output_free(Path(args.output)) else None)
        settings = Settings(pack=saved.pack, retry=saved.retry, batch_model=saved.batch_model)
        core = JobCore(analyzer, MemorySource([]), store, settings)
        state = core.load() or saved
        core.state = state  # a finished job too: it is shown as it ended
        if not state.finished:
            driver = SyncDriver(analyzer)
            driver.run(Run(core.cancel() if args.cancel else core.refresh()))
        state = core.state or state
    finally:
        analyzer.close()
    if args.json:
        print(json.dumps(_as_json(state, core), ensure_ascii=False, indent=2))
    else:
        print(_render(args.output, state, core))
    if args.cancel:
        print("Cancel requested; run the same `wom analyze` command to collect what the "
              "batches finished (the other reviews end as batch_cancelled errors).",
              file=sys.stderr)
    return EXIT_OK


def _output_free(output: Path) -> bool:
    """Whether no run holds the output's lock (the file may not exist)."""
    if fcntl is None or not output.exists():
        return True
    with output.open("rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return True


def _as_json(state: JobState, core: JobCore) -> dict[str, Any]:
    return {
        "id": state.run, "status": core.status, "model": state.model,
        "endpoint": state.endpoint, "batch_model": state.batch_model, "pack": state.pack,
        "mode": state.mode, "round": state.round, "created_at": state.created_at,
        "cancel_requested": state.cancel_requested, "finished": state.finished,
        "pending_reruns": sum(len(u.ids) for u in state.pending),
        "files": [{"number": p.number, "round": p.round, "filename": p.filename,
                   "requests": len(p.units), "file_id": p.file_id, "batch_id": p.batch_id,
                   "status": p.status, "counts": p.counts, "message": p.message}
                  for p in state.parts],
    }


def _render(output: str, state: JobState, core: JobCore) -> str:
    age = _duration(max(0.0, time.time() - state.created_at))
    lines = [f"batch job {state.run} for {output}: {core.status}",
             f"  {state.batch_model} at {state.endpoint}, pack {state.pack}, output mode "
             f"{state.mode}, re-runs {state.retry}; submitted {age} ago, round {state.round}",
             f"  {'file':>4} {'round':>5} {'requests':>8} {'status':<11} {'completed':>9} "
             f"{'failed':>6}  batch"]
    for p in state.parts:
        lines.append(f"  {p.number:>4} {p.round:>5} {len(p.units):>8,} {p.status:<11} "
                     f"{p.counts.get('completed', 0):>9,} {p.counts.get('failed', 0):>6,}  "
                     f"{p.batch_id or '-'}")
        if p.message:
            lines.append(f"       {p.message}")
    pending = sum(len(u.ids) for u in state.pending)
    if pending:
        lines.append(f"  {pending:,} review(s) waiting to run again")
    if state.cancel_requested and not state.finished:
        lines.append("  cancel requested")
    return "\n".join(lines)
