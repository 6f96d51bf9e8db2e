"""The local model server's entry point, run in the child process by ``wom_sdk.local``.

``local.py`` passes this file's source to ``python -c`` instead of running
``python -m llama_cpp.server`` directly, for three things that server cannot be
told on its command line. It imports nothing from wom_sdk: running it must not
import the SDK (and its dependencies) into the server process, and running it
by path would put this package's ``types.py`` in front of the standard library.

1. Exit with the parent: stdin is a pipe whose only writer is the parent, so
   EOF means the parent is gone, even killed by SIGKILL when no atexit runs.
2. A clean environment: llama_cpp.server reads every setting from an
   environment variable of the same name (MODEL, PORT, API_KEY, CONFIG_FILE,
   ...), and HOST/PORT even win over the command line; a user's unrelated
   PORT or API_KEY must not leak into the server.
3. System prompts: llama-cpp-python's ``gemma`` chat format silently drops
   system messages (Gemma has no system role), which would throw away the
   SDK's instructions. ``gemma-system`` folds them into the next user turn, as
   Google's own Gemma 3 chat template does.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
from typing import Any

__all__ = ["CHAT_FORMAT", "format_gemma_with_system", "main"]

CHAT_FORMAT = "gemma-system"
_START, _END = "<start_of_turn>", "<end_of_turn>"
_ROLES = {"user": "user", "assistant": "model", "tool": "user", "function": "user"}


def _text(content: Any) -> str:
    # Content may be a list of parts (OpenAI's multi-part format); a text-only
    # model can only use the text parts.
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def format_gemma_with_system(*, messages: list[Any], **kwargs: Any) -> Any:
    """A Gemma prompt in which system messages open the next user turn."""
    from llama_cpp.llama_chat_format import ChatFormatterResponse

    pending: list[str] = []
    prompt = ""
    for message in messages:
        role = message.get("role", "user")
        text = _text(message.get("content")).strip()
        if role in ("system", "developer"):
            pending.append(text)
            continue
        speaker = _ROLES.get(role, "user")
        if speaker == "user" and pending:
            text = "\n\n".join([*pending, text])
            pending = []
        prompt += f"{_START}{speaker}\n{text}{_END}\n"
    if pending:
        # Only instructions and no question after them: still say them.
        instructions = "\n\n".join(pending)
        prompt += f"{_START}user\n{instructions}{_END}\n"
    prompt += f"{_START}model\n"
    # The BOS token is added when the prompt is tokenized (added_special=False).
    return ChatFormatterResponse(prompt=prompt, stop=[_END])


def _exit_with_parent() -> None:
    # os.read, not sys.stdin: a daemon thread blocked inside the buffered
    # reader holds its lock, and the interpreter aborts (SIGABRT) when it
    # finds that lock taken at shutdown, hiding the server's real exit code.
    try:
        while os.read(0, 1):
            pass
    finally:
        os._exit(0)


def _scrub_environment() -> None:
    from llama_cpp.server.settings import ConfigFileSettings, Settings

    names = set(Settings.model_fields) | set(ConfigFileSettings.model_fields) | {"config_file"}
    for key in list(os.environ):
        # pydantic-settings matches names case-insensitively.
        if key.lower() in names:
            del os.environ[key]


def main() -> None:
    """Start llama_cpp.server with the arguments given to this script."""
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    _scrub_environment()
    from llama_cpp.llama_chat_format import register_chat_format

    register_chat_format(CHAT_FORMAT)(format_gemma_with_system)
    sys.argv[0] = "llama_cpp.server"
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
