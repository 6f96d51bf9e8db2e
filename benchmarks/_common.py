"""Helpers shared by the benchmark scripts in this folder.

The scripts are run as ``python benchmarks/NAME.py``, which puts this folder on
``sys.path``, so each of them imports what it needs with ``from _common import ...``.

* paths: ``ROOT`` (the repository), ``RESULTS`` (``benchmarks/results``),
  ``EXAMPLES`` (``examples/reviews.csv``) and ``DATA``, the shared datasets
  folder, which sits next to the repository (``../shared/data/norm``) unless
  the environment variable ``WOM_BENCH_DATA`` names another one;
* reviews: ``load_reviews``, ``dataset_texts``, ``example_rows``;
* the fake server: ``ServerProcess`` (``python -m fakeserver`` in a subprocess);
* ``render_requests``: the exact request parameters the SDK sends for each review;
* ``environment``: what a result was measured on (machine, versions, SDK sources);
* ``merge_results``: add entries to ``results/NAME.json``, each with its environment.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The fake OpenAI-compatible server (``fakeserver``) lives with the tests.
TESTS_DIR = ROOT / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
RESULTS = HERE / "results"
EXAMPLES = ROOT / "examples" / "reviews.csv"
DATA = Path(os.environ.get("WOM_BENCH_DATA") or ROOT.parent / "shared" / "data" / "norm")
MODEL = "fake-model"
DATASETS_WHERE = "online_shopping_10_cats.jsonl + uci_amazon_cells.jsonl (interleaved)"


def load_reviews(n: int, source: str = "datasets") -> tuple[list[str], str]:
    """``n`` review texts, cycled if fewer exist, and where they come from.

    ``datasets``: half Chinese, half English, from the shared datasets (distinct
    texts up to 2,000); ``examples``: examples/reviews.csv (30 rows when written).
    """
    if source == "examples":
        texts = [row["text"] for row in example_rows(("text",))]
        where = str(EXAMPLES.relative_to(ROOT))
    else:
        texts = dataset_texts(n)
        where = DATASETS_WHERE
    if not texts:
        raise SystemExit("no reviews found")
    # Fewer reviews than asked: cycle (the fake server does not cache).
    return [texts[i % len(texts)] for i in range(n)], where


def example_rows(fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of examples/reviews.csv that have a text, with only ``fields``."""
    if not EXAMPLES.is_file():
        raise SystemExit(f"{EXAMPLES} not found: use --source datasets")
    with EXAMPLES.open(encoding="utf-8", newline="") as fh:
        return [{k: row.get(k) for k in fields}
                for row in csv.DictReader(fh) if (row.get("text") or "").strip()]


def dataset_texts(n: int) -> list[str]:
    """Up to ``n`` texts, Chinese and English interleaved (Chinese first), not cycled."""
    zh = _jsonl_texts(DATA / "online_shopping_10_cats.jsonl", (n + 1) // 2)
    en = _jsonl_texts(DATA / "uci_amazon_cells.jsonl", n // 2)
    return [t for pair in zip(zh, en, strict=False) for t in pair] + zh[len(en):]


def _jsonl_texts(path: Path, n: int) -> list[str]:
    out: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line).get("text") or ""
            if text.strip():
                out.append(text)
            if len(out) >= n:
                break
    return out


class ServerProcess:
    """``python -m fakeserver`` in a subprocess; ``stats`` is read after SIGTERM."""

    def __init__(self, *args: str) -> None:
        self.args = [sys.executable, "-m", "fakeserver", "--port", "0", *args]
        self.stats: dict[str, Any] = {}
        self.base_url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        # The fake server lives with the tests (standard library only).
        env = {**os.environ, "PYTHONPATH": str(TESTS_DIR)}
        self._proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True, env=env)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("READY "):
            self._proc.kill()
            raise RuntimeError(f"fake server did not start: {line!r}")
        self.base_url = line.split(maxsplit=1)[1].strip()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self._proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            out, _ = self._proc.communicate()
        lines = [x for x in out.splitlines() if x.startswith("{")]
        self.stats = json.loads(lines[-1]) if lines else {}


def render_requests(texts: list[str]) -> list[dict[str, Any]]:
    """The exact ``chat.completions.create`` parameters the SDK sends for each review."""
    from wom_sdk import ReviewAnalyzer
    from wom_sdk._llm import EndpointMemory, Mode, converse

    analyzer = ReviewAnalyzer(model=MODEL, api_key="unused", base_url="http://127.0.0.1:1/v1")
    memory = EndpointMemory(Mode.JSON_SCHEMA)  # what "auto" settles on with this server
    out = []
    for text in texts:
        call = analyzer._prepare("analyze", text).call
        assert call is not None
        out.append(next(converse(call, memory)).params)
    return out


def _sources_digest() -> str:
    import hashlib

    import wom_sdk

    h = hashlib.sha256()
    for f in sorted(Path(wom_sdk.__file__).parent.rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def environment() -> dict[str, Any]:
    import openai

    import wom_sdk

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "wom_sdk": wom_sdk.__version__,
        "openai": openai.__version__,
        "git_commit": commit,
        # The SDK is being edited while benchmarks run: identify the exact sources measured.
        "sdk_sources_sha256": _sources_digest(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def merge_results(name: str, entries: dict[str, Any], env: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data: dict[str, Any] = {"runs": {}}
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
    # Each entry keeps the environment it ran in: configurations may be run (and
    # re-run) one invocation at a time, on a machine and an SDK that change.
    data.setdefault("runs", {}).update({k: {**v, "environment": env} for k, v in entries.items()})
    data.pop("environment", None)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
