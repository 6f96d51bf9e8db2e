"""The SDK's own CPU cost per review, next to raw ``openai`` calls for the same requests.

A fake OpenAI-compatible server runs in a separate process with no latency and
no limits (``python -m fakeserver --latency 0 --responder wom``), so the
CPU time of *this* process (``time.process_time()``) is the client's alone.
Two sequential loops over the same ``--n`` reviews, after ``--warmup`` calls
each (imports, connection, the SDK's structured-output probe):

* ``raw``  ``openai.OpenAI().chat.completions.create(**params)``, where
  ``params`` is exactly what the SDK sends for that review (rendered before
  the loop: messages, json_schema ``response_format``, ``max_tokens``);
* ``sdk``  ``ReviewAnalyzer.analyze(text)``: cleaning, redaction, prompt
  rendering, the request, validation, grounding and the reply checks.

The loops alternate ``--repeats`` times and the median is reported, because
the machine is shared; the ratio of two medians of one run is the number to
quote, not the absolute milliseconds.

The SDK's own work is also measured directly: ``analyze`` once more with its
HTTP call answered from responses recorded beforehand (limiter, retries,
response handling, validation and results still run). ``--profile`` samples
that loop with pyinstrument (``pip install pyinstrument``; sampling, because
cProfile's per-call cost inflates Pydantic's and Jinja's call-heavy code
several times over) and lists the SDK functions by share of the SDK's own
time; the full tree goes to ``benchmarks/results/overhead_profile.txt``.
``--proposed`` times the SDK once more with those fixes proposed in
``benchmarks/README.md`` that it does not have yet, applied at runtime.

``--observe`` times the SDK while someone listens: ``events`` (an ``on_event``
callback that does nothing), ``otel`` (an OpenTelemetry SDK tracer provider whose
spans go nowhere: span creation and attributes are paid, no export) or ``all``
(both, and the ``wom_sdk`` loggers at DEBUG into a NullHandler). Results go to
``overhead_observe_<mode>.json``.

    python benchmarks/overhead.py --n 500 --warmup 50 --repeats 5 --profile --proposed
    python benchmarks/overhead.py --n 500 --warmup 50 --repeats 5 --observe all
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from _common import MODEL, RESULTS, ServerProcess, environment, load_reviews, render_requests

TARGET_RATIO = 1.5
TARGET_MS = 2.0


# -- the proposed fixes, applied at runtime for an A/B (see README) -------------------------
@contextlib.contextmanager
def proposed_fixes() -> Iterator[list[str]]:
    """Apply those of the fixes proposed in benchmarks/README.md that the SDK lacks; undo on exit.

    Each keeps results identical (``main`` checks on 100 reviews); the list of
    the ones applied is yielded (empty once the SDK has them all):
    1. ``schema_for``/``strict_schema``: computed once per (task, categories), not
       per review (Pydantic's ``model_json_schema`` is the single largest cost);
    2. ``_reply``: reuse the review flags ``check_reply`` already computed
       instead of running ``review_flags`` a second time;
    3. ``estimate_tokens``: an ASCII fast path (the 2 kB system prompt is ASCII).
    """
    from wom_sdk import _core
    from wom_sdk._llm import _tokens
    from wom_sdk._tasks import _outputs, _table
    from wom_sdk.text import _guard
    from wom_sdk.types import ReplySuggestion

    applied: list[str] = []
    undo: list[Any] = []

    if not hasattr(_outputs, "strict_schema_for") and hasattr(_core, "strict_schema"):
        orig_schema_for, orig_strict = _core.schema_for, _core.strict_schema

        @functools.lru_cache(maxsize=128)
        def schema_text(task: str, categories: tuple[str, ...]) -> str:
            return json.dumps(orig_schema_for(task, categories))

        @functools.lru_cache(maxsize=128)
        def strict_text(text: str) -> str:
            return json.dumps(orig_strict(json.loads(text)))

        def schema_for(task: str, categories: tuple[str, ...]) -> dict[str, Any]:
            return dict(json.loads(schema_text(task, tuple(categories))))

        def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
            return dict(json.loads(strict_text(json.dumps(schema))))

        _core.schema_for, _core.strict_schema = schema_for, strict_schema
        undo.append(lambda: (setattr(_core, "schema_for", orig_schema_for),
                             setattr(_core, "strict_schema", orig_strict)))
        applied.append("schema cache")

    orig_estimate = _tokens.estimate_tokens
    if "isascii" not in inspect.getsource(orig_estimate):
        def estimate_tokens(text: str) -> int:
            return (len(text) + 3) // 4 if text.isascii() else int(orig_estimate(text))

        _tokens.estimate_tokens = estimate_tokens
        undo.append(lambda: setattr(_tokens, "estimate_tokens", orig_estimate))
        applied.append("ASCII token estimate")

    orig_reply = _table.reply
    if "review_flags(" in inspect.getsource(orig_reply):
        def reply(text: str, lang: str, f: Any) -> Any:
            text = f.restore(text.strip())
            check = _table.check_reply(text, review=f.review, policy=f.reply_policy,
                                       canaries=f.leak_markers)
            flags = [r for r in check.reasons if r in _guard.REVIEW_REASONS]
            reasons = list(dict.fromkeys([*flags, *check.reasons]))
            return ReplySuggestion(text=text, language=lang,
                                   needs_human_review=check.needs_human_review or bool(reasons),
                                   review_reasons=reasons)

        _table.reply = reply
        undo.append(lambda: setattr(_table, "reply", orig_reply))
        applied.append("review_flags once")
    try:
        yield applied
    finally:
        for u in reversed(undo):
            u()


# -- the loops --------------------------------------------------------------------------------
def timed(fn: Any, items: list[Any]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``fn(item)`` over ``items``, sequentially."""
    c0, w0 = time.process_time(), time.perf_counter()
    for item in items:
        fn(item)
    return time.process_time() - c0, time.perf_counter() - w0


@contextlib.contextmanager
def without_http(analyzer: Any, raw_client: Any, requests: list[dict[str, Any]]) -> Iterator[None]:
    """Answer the analyzer's requests from answers recorded beforehand: no HTTP at all.

    Everything else of ``analyze`` runs as usual (limiter, retries, response
    handling, validation, results), so its CPU time is the SDK's own cost.
    """
    recorded = {}
    for params in requests:
        raw = raw_client.chat.completions.with_raw_response.create(**params)
        completion, headers = raw.parse(), raw.headers
        recorded[json.dumps(params["messages"], ensure_ascii=False)] = SimpleNamespace(
            parse=lambda completion=completion: completion, headers=headers)

    def create(**params: Any) -> Any:
        return recorded[json.dumps(params["messages"], ensure_ascii=False)]

    # The analyzer's openai client, replaced by one that answers from the recording.
    real = analyzer._get_client()
    fake = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(
        with_raw_response=SimpleNamespace(create=create))))
    analyzer._client = fake
    try:
        yield
    finally:
        analyzer._client = real


def sdk_hotspots(analyzer: Any, texts: list[str], top: int) -> tuple[list[dict[str, Any]], str]:
    """Shares of the SDK's own time (HTTP stubbed) by function, from pyinstrument samples.

    A function's share is inclusive (its callees count) and counted once per call
    path. Sampling, unlike cProfile, barely slows call-heavy code, so the shares
    hold; the absolute times include the profiler's own cost.
    """
    try:
        from pyinstrument import Profiler
    except ImportError:
        return [], "pyinstrument not installed: pip install pyinstrument"
    sampler = Profiler(interval=0.0002, async_mode="disabled")
    sampler.start()
    for t in texts:
        analyzer.analyze(t)
    sampler.stop()
    session = sampler.last_session
    assert session is not None
    root = session.root_frame()
    assert root is not None
    agg: dict[str, float] = {}

    def walk(frame: Any, above: frozenset[str]) -> None:
        path = frame.file_path_short or ""
        key = f"{Path(path).name}:{frame.function}" if path else str(frame.function)
        if "wom_sdk" in (frame.file_path or "") or "jinja2" in (frame.file_path or "") \
                or "tenacity" in (frame.file_path or ""):
            if key not in above:
                agg[key] = agg.get(key, 0.0) + frame.time
            above = above | {key}
        for child in frame.children:
            walk(child, above)

    walk(root, frozenset())
    total = max(agg.values(), default=0.0)  # ReviewAnalyzer.analyze, which holds all the rest
    rows = [{"function": k, "share_of_sdk_time": v / total if total else 0.0}
            for k, v in sorted(agg.items(), key=lambda kv: kv[1], reverse=True)]
    text = sampler.output_text(unicode=False, color=False)
    return rows[:top], text


def observing(mode: str) -> dict[str, Any]:
    """The analyzer's arguments (and the process's set-up) for ``--observe mode``."""
    if mode in ("otel", "all"):
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider

        trace.set_tracer_provider(TracerProvider())  # records spans, exports none
    if mode == "all":
        import logging

        logger = logging.getLogger("wom_sdk")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # the package's NullHandler only: formatting is paid
    return {"on_event": lambda event: None} if mode in ("events", "all") else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="measured requests per loop")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5, help="alternating raw/sdk rounds")
    parser.add_argument("--profile", action="store_true",
                        help="also sample-profile the SDK's own work (needs pyinstrument)")
    parser.add_argument("--top", type=int, default=25, help="hotspots kept in the JSON")
    parser.add_argument("--proposed", action="store_true",
                        help="also time the SDK with the proposed fixes it lacks applied")
    parser.add_argument("--observe", choices=("off", "events", "otel", "all"), default="off",
                        help="time the SDK with events, OpenTelemetry spans and DEBUG logs on")
    parser.add_argument("--source", choices=("datasets", "examples"), default="datasets",
                        help="reviews: the shared datasets (default) or examples/reviews.csv")
    args = parser.parse_args()

    import openai

    from wom_sdk import ReviewAnalyzer

    texts, source = load_reviews(args.n + args.warmup, args.source)
    warm, measured = texts[:args.warmup], texts[args.warmup:]
    requests = render_requests(texts)
    warm_req, measured_req = requests[:args.warmup], requests[args.warmup:]
    env = environment()
    env["reviews_source"] = source

    with ServerProcess("--responder", "wom", "--latency", "0", "--model", MODEL) as server:
        raw = openai.OpenAI(base_url=server.base_url, api_key="test")
        sdk = ReviewAnalyzer(model=MODEL, api_key="test", base_url=server.base_url,
                             **observing(args.observe))

        def raw_call(params: dict[str, Any]) -> Any:
            return raw.chat.completions.create(**params)

        timed(raw_call, warm_req)
        timed(sdk.analyze, warm)
        rounds: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": []}
        applied: list[str] = []
        same_results = None
        if args.proposed:
            with proposed_fixes() as applied:
                pass
        if applied:
            rounds["sdk+fixes"] = []
            before = [sdk.analyze(t).model_dump() for t in measured[:100]]
            with proposed_fixes():
                timed(sdk.analyze, warm)
                after = [sdk.analyze(t).model_dump() for t in measured[:100]]
            same_results = before == after
        for _ in range(args.repeats):
            rounds["raw"].append(timed(raw_call, measured_req))
            rounds["sdk"].append(timed(sdk.analyze, measured))
            if applied:
                with proposed_fixes():
                    rounds["sdk+fixes"].append(timed(sdk.analyze, measured))
        with without_http(sdk, raw, measured_req):
            own = [timed(sdk.analyze, measured)[0] for _ in range(args.repeats)]
            hotspots, profile_text = (sdk_hotspots(sdk, measured, args.top) if args.profile
                                      else ([], ""))
        sdk.close()
        raw.close()

    n = len(measured)
    per = {k: {"cpu_ms": [1000 * c / n for c, _ in v], "wall_ms": [1000 * w / n for _, w in v]}
           for k, v in rounds.items()}
    med = {k: statistics.median(v["cpu_ms"]) for k, v in per.items()}
    raw_ms, sdk_ms = med["raw"], med["sdk"]
    result = {
        "n": n, "warmup": args.warmup, "repeats": args.repeats, "rounds": per,
        "raw_cpu_ms_per_review": raw_ms, "sdk_cpu_ms_per_review": sdk_ms,
        "ratio": sdk_ms / raw_ms, "sdk_extra_cpu_ms": sdk_ms - raw_ms,
        "raw_wall_ms_per_review": statistics.median(per["raw"]["wall_ms"]),
        "sdk_wall_ms_per_review": statistics.median(per["sdk"]["wall_ms"]),
        "target": {"ratio_max": TARGET_RATIO, "sdk_ms_max": TARGET_MS,
                   "ratio_met": sdk_ms / raw_ms <= TARGET_RATIO, "ms_met": sdk_ms <= TARGET_MS},
        "proposed_fixes": ({"applied": applied, "same_results_on_100_reviews": same_results,
                            "sdk_cpu_ms_per_review": med["sdk+fixes"],
                            "ratio": med["sdk+fixes"] / raw_ms} if applied else
                           {"applied": [], "note": "not requested, or the SDK has them all"}),
        "sdk_without_http_cpu_ms_per_review": 1000 * statistics.median(own) / len(measured),
        "sdk_without_http_rounds_cpu_ms": [1000 * c / len(measured) for c in own],
        "hotspots_share_of_sdk_own_time": hotspots,
        "server_stats": server.stats,
        "environment": env,
    }
    result["observe"] = args.observe
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "overhead.json" if args.observe == "off" else f"overhead_observe_{args.observe}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if profile_text:
        (RESULTS / "overhead_profile.txt").write_text(profile_text, encoding="utf-8")

    print("| client | requests | CPU ms/review (median of rounds) | wall ms/review | "
          "ratio to raw (CPU) |\n|---|---:|---:|---:|---:|")
    print(f"| raw openai.OpenAI | {n} x {args.repeats} | {raw_ms:.2f} "
          f"| {result['raw_wall_ms_per_review']:.2f} | 1.00 |")
    print(f"| wom ReviewAnalyzer.analyze | {n} x {args.repeats} | {sdk_ms:.2f} "
          f"| {result['sdk_wall_ms_per_review']:.2f} | {result['ratio']:.2f} |")
    if applied:
        print(f"| wom + proposed fixes ({', '.join(applied)}) | {n} x {args.repeats} "
              f"| {med['sdk+fixes']:.2f} | {statistics.median(per['sdk+fixes']['wall_ms']):.2f} "
              f"| {med['sdk+fixes'] / raw_ms:.2f} |")
        print(f"\nidentical results with and without the fixes on 100 reviews: {same_results}")
    t = result["target"]
    print(f"\ntarget: <= {TARGET_RATIO}x raw: {'met' if t['ratio_met'] else 'MISSED'}; "
          f"<= {TARGET_MS} ms/review: {'met' if t['ms_met'] else 'MISSED'}")
    print(f"\nthe SDK's own work (HTTP answered from recorded responses): "
          f"{result['sdk_without_http_cpu_ms_per_review']:.2f} ms CPU/review")
    if hotspots:
        print("\n| SDK function (pyinstrument samples, HTTP stubbed) | share of the SDK's own "
              "time |\n|---|---:|")
        for h in hotspots[:15]:
            print(f"| {h['function']} | {100 * h['share_of_sdk_time']:.0f} % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
