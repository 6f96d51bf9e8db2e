"""The bundled local model server, for real: structured output, start-up errors, clean stops.

One model call in all (plus the 1-token warm-up of each start): a structured
answer takes seconds on a laptop CPU.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import openai
import pytest

from wom_sdk.local import LocalServer, LocalServerError, is_available

pytestmark = [pytest.mark.slow, pytest.mark.local]

_AVAILABLE, _REASON = is_available()
needs_extra = pytest.mark.skipif(not _AVAILABLE, reason=_REASON)

SCHEMA = {
    "type": "object",
    "properties": {
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "score": {"type": "number"},
    },
    "required": ["sentiment", "score"],
}
# Long enough that its tokens show in usage.prompt_tokens: llama-cpp-python's
# stock "gemma" chat format silently drops system messages.
SYSTEM = (
    "You label the sentiment of one customer review. Answer with a JSON object: "
    "'sentiment' is positive, neutral or negative; 'score' is a number from -1 "
    "(very negative) to 1 (very positive). Judge only the review's own words."
)


def test_json_object_with_schema_answers_parseable_json(local_server: LocalServer) -> None:
    client = openai.OpenAI(
        base_url=local_server.base_url, api_key=local_server.api_key, max_retries=0, timeout=180
    )
    completion = client.chat.completions.create(
        model=local_server.model,
        messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Review: Broke after two days. Waste of money."},
        ],
        max_tokens=64,
        temperature=0,
        # llama-cpp-python's own form of structured output (a grammar built
        # from the schema); the OpenAI form ("json_schema") gets a 500 here.
        # In extra_body because openai's types know no "schema" key there.
        extra_body={"response_format": {"type": "json_object", "schema": SCHEMA}},
    )

    content = completion.choices[0].message.content
    assert content is not None
    answer = json.loads(content)
    assert answer["sentiment"] in ("positive", "neutral", "negative")
    assert isinstance(answer["score"], int | float)
    assert completion.model == local_server.model
    assert completion.usage is not None
    # The system prompt alone is ~60 tokens; without it the prompt is ~20.
    assert completion.usage.prompt_tokens > 60


@needs_extra
@pytest.mark.skipif(sys.platform == "win32", reason="os.kill(pid, 0) terminates on Windows")
def test_stop_ends_the_process_and_removes_its_log() -> None:
    server = LocalServer(warm_up=False).start()
    assert server.is_running
    assert server._process is not None
    pid = server._process.pid
    log_path = server.log_path
    assert log_path is not None
    assert log_path.exists()

    server.stop()
    server.stop()  # idempotent

    assert not server.is_running
    assert not _process_alive(pid)
    assert not log_path.exists()
    with pytest.raises(LocalServerError, match="not started"):
        _ = server.base_url


@needs_extra
def test_a_server_that_dies_at_start_up_says_why(tmp_path: Path) -> None:
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"this is not a GGUF file" * 40)

    with pytest.raises(LocalServerError) as caught:
        LocalServer(model_path=not_a_model, startup_timeout=60).start()

    message = str(caught.value)
    assert "exited with code" in message
    assert str(not_a_model) in message  # the log tail names the file it failed to load
    log_path = caught.value.log_path
    assert log_path is not None
    assert log_path.exists()
    log_path.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Reaped children are gone; a zombie would mean nobody waited for it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")
