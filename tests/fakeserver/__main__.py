"""``python -m fakeserver``: the fake server in its own process.

Prints ``READY <base_url>`` once listening, serves until SIGTERM or SIGINT,
then prints the stats as one JSON line. A benchmark runs the server this way
so that the CPU it measures is the client's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import zlib
from collections.abc import Sequence

from ._batches import BatchSettings, BatchTiming, ScaledClock
from ._fake_server import FakeOpenAIServer
from ._faults import FAULT_KINDS, FaultPlan
from ._wom_responder import wom_responder

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fakeserver",
        description="Serve a fake OpenAI-compatible API until SIGTERM or SIGINT.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute")
    parser.add_argument("--tpm", type=int, default=None, help="tokens per minute")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument(
        "--latency-jitter", type=float, default=0.0, help="extra seconds, uniform in [0, JITTER]"
    )
    parser.add_argument(
        "--faults",
        default="",
        help="KIND=PROBABILITY,... with KIND in " + ", ".join(sorted(FAULT_KINDS)),
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of faults and jitter")
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=30.0,
        help="how long a 'hang' fault holds the connection",
    )
    parser.add_argument(
        "--retry-after",
        type=float,
        default=1.0,
        help="seconds an injected 429 asks the client to wait",
    )
    parser.add_argument(
        "--responder",
        choices=("schema", "wom"),
        default="schema",
        help="schema: minimal schema-shaped JSON; wom: grounded answers to wom-sdk's prompts",
    )
    batch = parser.add_argument_group(
        "Batch API (/v1/files, /v1/batches; virtual time, --batch-speed times real time)")
    batch.add_argument("--batch-speed", type=float, default=1.0, metavar="X",
                       help="virtual seconds per real second (1000: a 24h window in 86 s)")
    default = BatchTiming()
    batch.add_argument("--batch-validate", type=float, default=default.validate, metavar="S",
                       help="virtual seconds a batch stays 'validating'")
    batch.add_argument("--batch-per-line", type=float, default=default.per_line, metavar="S",
                       help="virtual seconds per request line while 'in_progress'")
    batch.add_argument("--batch-finalize", type=float, default=default.finalize, metavar="S")
    batch.add_argument("--batch-window", type=float, default=default.window, metavar="S",
                       help="the completion window; a batch not done by then expires")
    batch.add_argument("--batch-max-requests", type=int, default=50_000, metavar="N")
    batch.add_argument("--batch-enqueued-limit", type=int, default=None, metavar="TOKENS",
                       help="enqueued prompt tokens per model (token_limit_exceeded past it)")
    batch.add_argument("--batch-faults", default="", metavar="KIND=P,...",
                       help="faults of batch request lines, as --faults")
    batch.add_argument("--batch-malformed-every", type=int, default=0, metavar="N",
                       help="cut every N-th successful output line in half (0: none)")
    parser.add_argument("--model", default="fake-model")
    parser.add_argument("--require-api-key", default=None, metavar="KEY")
    return parser


async def _serve(server: FakeOpenAIServer) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        print(f"READY {server.base_url}", flush=True)
        # Unbounded on purpose: the process serves until it is signalled.
        await stop.wait()
    print(json.dumps({**server.stats().to_dict(), "batch_api": server.batches.summary()}),
          flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        faults = (
            FaultPlan.parse(
                args.faults,
                seed=args.seed,
                hang_seconds=args.hang_seconds,
                retry_after=args.retry_after,
            )
            if args.faults
            else None
        )
        every = args.batch_malformed_every
        batch_settings = BatchSettings(
            timing=BatchTiming(validate=args.batch_validate, per_line=args.batch_per_line,
                               finalize=args.batch_finalize, window=args.batch_window),
            clock=ScaledClock(args.batch_speed),
            max_requests=args.batch_max_requests,
            enqueued_token_limit=args.batch_enqueued_limit,
            malformed=(lambda cid: zlib.crc32(cid.encode()) % every == 0) if every > 0 else None,
        )
        batch_faults = (FaultPlan.parse(args.batch_faults, seed=args.seed)
                        if args.batch_faults else None)
        server = FakeOpenAIServer(
            rpm=args.rpm,
            tpm=args.tpm,
            latency=args.latency,
            latency_jitter=args.latency_jitter,
            faults=faults,
            batch_settings=batch_settings,
            batch_faults=batch_faults,
            model=args.model,
            responder=wom_responder if args.responder == "wom" else None,
            require_api_key=args.require_api_key,
            host=args.host,
            port=args.port,
            seed=args.seed,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_serve(server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
