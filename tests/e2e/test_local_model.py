"""The bundled model for real: its 22 installed parts assemble to the pinned file, and
``python -m wom_sdk.local`` serves it by default."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from wom_sdk.local import BUNDLED_MODEL, ensure_model, is_available
from wom_sdk.local._model import missing_parts

pytestmark = [pytest.mark.slow, pytest.mark.local]


@pytest.mark.skipif(bool(missing_parts()), reason="the model parts are not installed")
def test_the_installed_parts_assemble_to_the_pinned_gguf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WOM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("WOM_LOCAL_MODEL", raising=False)

    path = ensure_model(progress=False)

    assert path.parent == tmp_path / "models"
    assert path.stat().st_size == BUNDLED_MODEL.size
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
        fh.seek(0)
        while block := fh.read(1 << 20):
            digest.update(block)
    assert digest.hexdigest() == BUNDLED_MODEL.sha256


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_python_m_wom_sdk_local_serves_the_bundled_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    available, why = is_available()
    if not available:
        pytest.skip(why)
    monkeypatch.delenv("WOM_LOCAL_MODEL", raising=False)
    proc = subprocess.Popen([sys.executable, "-m", "wom_sdk.local"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        exports = {}
        for _ in range(3):
            line = proc.stdout.readline()
            assert line.startswith("export "), (line, proc.stderr and proc.stderr.read())
            name, value = line.removeprefix("export ").strip().split("=", 1)
            exports[name] = value
        assert exports["WOM_MODEL"] == BUNDLED_MODEL.alias
        models = httpx2.get(f"{exports['OPENAI_BASE_URL']}/models", timeout=30).json()
        assert [m["id"] for m in models["data"]] == [BUNDLED_MODEL.alias]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert f"{BUNDLED_MODEL.stem}-{BUNDLED_MODEL.sha256[:12]}.gguf" in err  # "serving <path>"
