"""``python -m wom_sdk.local``: run the bundled local server in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys

from .._exceptions import LocalServerError
from ._model import BUNDLED_MODEL
from ._server import DEFAULT_N_CTX, LocalServer


def main(argv: list[str] | None = None) -> int:
    """Run the local server in the foreground until Ctrl-C (``python -m wom_sdk.local``)."""
    parser = argparse.ArgumentParser(
        prog="python -m wom_sdk.local",
        description="Serve the bundled local model on an OpenAI-compatible endpoint.",
    )
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--model-path", default=None,
                        help=f"GGUF file (default: the bundled {BUNDLED_MODEL.alias})")
    parser.add_argument("--model-alias", default=None,
                        help="the model name to answer to (default: the bundled model's "
                             "name, or the file name of --model-path)")
    parser.add_argument("--chat-format", default=None,
                        help="llama-cpp-python chat format for --model-path (default: the "
                             "file's own template; 'gemma-system' for Gemma files)")
    parser.add_argument("--n-ctx", type=int, default=DEFAULT_N_CTX)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads (default: half the cores this process may use)")
    args = parser.parse_args(argv)
    # SIGTERM (kill, docker stop, systemd) should clean up like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    server = LocalServer(model_path=args.model_path, model_alias=args.model_alias,
                         port=args.port, n_ctx=args.n_ctx, n_threads=args.threads,
                         **({"chat_format": args.chat_format} if args.chat_format else {}))
    print("starting the local model server...", file=sys.stderr, flush=True)
    try:
        server.start()
        print(f"export OPENAI_BASE_URL={server.base_url}")
        print(f"export OPENAI_API_KEY={server.api_key}")
        print(f"export WOM_MODEL={server.model}", flush=True)
        print(f"serving {server.model_path}; log: {server.log_path}; Ctrl-C to stop",
              file=sys.stderr, flush=True)  # fmt: skip
        assert server._process is not None
        code = server._process.wait()
        print(f"error: {server._describe_failure(f'died with exit code {code}')}", file=sys.stderr)
        return 1
    except LocalServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
