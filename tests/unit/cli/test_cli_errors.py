"""One convention for every subcommand: the error line, the exit status, the options.

Each bad-argument case checks the message a user sees, not only the status:
a status 2 with the wrong message (or a traceback) is a failure too.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_cli import MockLLM, write_csv

import wom_sdk.local
from wom_sdk.cli import build_parser, main

COMMANDS = ("analyze", "batches", "demo", "report", "eval", "alerts", "highlights", "queue")
ROOT = Path(__file__).parents[3]
LABELED = ROOT / "examples" / "labeled_sample.csv"
RESULTS = ROOT / "tests" / "data" / "report_small.jsonl"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with in.csv (reviews) and labeled.csv, as the current directory."""
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "in.csv", [("r1", "电池一天要充三次")])
    (tmp_path / "labeled.csv").write_text("id,review,label\n1,great,1\n2,bad,0\n",
                                          encoding="utf-8")
    return tmp_path


CASES = [
    # analyze
    (["analyze", "missing.csv", "-o", "o.jsonl"], 2, "input file not found: missing.csv"),
    (["analyze", "in.csv"], 2, "the following arguments are required: -o/--output"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--pack", "0"], 2,
     "argument --pack: must be at least 1, got 0"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--rpm", "fast"], 2,
     "argument --rpm: not a number: 'fast'"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--overwrite", "--retry-errors"], 2,
     "argument --retry-errors: not allowed with argument --overwrite"),
    (["analyze", "in.csv", "-o", "in.csv"], 2, "the output file must not be the input file"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--text-column", "nope"], 2,
     "--text-column 'nope' is not a column of the input; columns: 'id', 'product', 'text'"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--format", "pdf"], 2,
     "argument --format: invalid choice: 'pdf'"),
    (["analyze", "in.csv", "-o", "o.jsonl"], 1, "No API key and no endpoint configured"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--api-key-env", "NO_SUCH_VAR"], 1,
     "--api-key-env NO_SUCH_VAR: the environment variable NO_SUCH_VAR is not set"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--batch-api", "--batch-retry", "later"], 2,
     "argument --batch-retry: invalid choice: 'later'"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--batch-api", "--max-enqueued-tokens", "0"], 2,
     "argument --max-enqueued-tokens: must be at least 1, got 0"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--batch-api"], 1,
     "No API key and no endpoint configured"),
    (["analyze", "in.csv", "-o", "o.jsonl", "--batch-api", "--budget", "5"], 2,
     "--budget cannot be kept with --batch-api (a batch is priced when it completes)"),
    # batches
    (["batches", "o.jsonl"], 2, "no Batch API job for o.jsonl"),
    # demo
    (["demo", "--limit", "0"], 2, "argument --limit: must be at least 1, got 0"),
    (["demo", "--input", "missing.csv"], 2, "input file not found: missing.csv"),
    # report
    (["report", "missing.jsonl"], 2, "results file not found: missing.jsonl"),
    (["report", "in.csv"], 2,
     "in.csv is not a results file of `wom analyze` (one JSON line per review, with an "
     "insight or an error); it looks like reviews (column 'text')"),
    (["report", str(RESULTS), "--alert-min-jump", "1.5"], 2,
     "argument --alert-min-jump: must be between 0 and 1, got 1.5"),
    (["report", str(RESULTS), "--top-products", "-3"], 2,
     "argument --top-products: must be at least 1, got -3"),
    (["report", str(RESULTS), "--format", "pdf"], 2, "argument --format: invalid choice: 'pdf'"),
    (["report", str(RESULTS), "-o", "r.md", "--embed-model", "bge-m3"], 1,
     "No API key and no endpoint configured"),
    # eval
    (["eval", "labeled.csv", "--compare"], 2,
     "--compare needs --prompts-dir-b DIR or --model-b NAME"),
    (["eval", "missing.csv"], 2, "input file not found: missing.csv"),
    (["eval", "labeled.csv", "--label-map", "1=great"], 2, "bad label map entry '1=great'"),
    (["eval", "labeled.csv", "--id-column", "nope"], 2,
     "--id-column 'nope' is not a column of the input; columns: 'id', 'review', 'label'"),
    (["eval", "labeled.csv", "--label-column", "stars"], 2,
     "--label-column 'stars' is not a column of the input"),
    (["eval", "in.csv"], 2, "no label (gold sentiment) column found; columns: 'id', 'product', "
                            "'text'. Name it with --label-column"),
    (["eval", "labeled.csv", "--limit", "0"], 2, "argument --limit: must be at least 1, got 0"),
    (["eval", "labeled.csv", "--compare", "--model-b", "m", "--prompts-dir-b", "p"], 2,
     "argument --prompts-dir-b: not allowed with argument --model-b"),
    (["eval", "labeled.csv"], 1, "No API key and no endpoint configured"),
    # the command itself
    ([], 2, "no command given"),
    (["frobnicate"], 2, "argument COMMAND: invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("argv", "status", "message"), CASES,
                         ids=[" ".join(c[0]) or "(none)" for c in CASES])
@pytest.mark.usefixtures("files")
def test_bad_arguments_say_what_is_wrong_in_one_line(
        argv: list[str], status: int, message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # `wom demo` gets as far as reading its input only where the local server is there.
    monkeypatch.setattr(wom_sdk.local, "is_available", lambda: (True, ""))
    assert main(argv) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    assert errors[0].startswith("wom: error: "), err
    assert message in errors[0]


def test_wom_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^    (\w+)\s", out.split("commands:", 1)[1], re.M)
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_lists_the_exit_statuses(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse rewraps the epilog
    for status in ("exit status: 0 ", "; 1 ", "; 2 usage error", "; 130 interrupted"):
        assert status in out


def _options(command: str, group_title: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser = sub.choices[command]
    group = next(g for g in parser._action_groups if g.title and g.title.startswith(group_title))
    return {s for a in group._group_actions for s in a.option_strings}


def test_commands_that_make_an_analyzer_share_the_endpoint_options() -> None:
    expected = {"--model", "--base-url", "--api-key-env", "--rpm", "--tpm", "--limiter",
                "--limiter-key", "--cache", "--prompts-dir", "--reasoning-effort"}
    assert _options("analyze", "endpoint") == expected
    assert _options("eval", "endpoint") == expected
    assert _options("highlights", "endpoint") == expected  # for --draft
    assert _options("report", "aspect clustering") >= {"--base-url", "--api-key-env"}


def test_every_command_makes_its_analyzer_through_the_one_seam(
        files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``main(argv, analyzer_factory=...)`` reaches analyze, demo and eval alike."""
    from test_cli_demo import _FakeLocalServer

    monkeypatch.setattr(wom_sdk.local, "is_available", lambda: (True, ""))
    monkeypatch.setattr(wom_sdk.local, "LocalServer", _FakeLocalServer)
    monkeypatch.setenv("MY_KEY", "sk-from-env")
    llm = MockLLM()
    made: dict[str, dict[str, Any]] = {}
    for argv in (["analyze", "in.csv", "-o", "o.jsonl", "--model", "m", "--rpm", "600",
                  "--api-key-env", "MY_KEY", "--quiet"],
                 ["demo", "--limit", "1", "-o", "d.jsonl"],
                 ["eval", "labeled.csv", "--model", "m", "--rpm", "600",
                  "--api-key-env", "MY_KEY"]):
        def factory(command: str = argv[0], **kw: Any) -> Any:
            made[command] = kw
            return llm.factory()(**kw)

        assert main(argv, analyzer_factory=factory) == 0, argv
    expected = {"model": "m", "requests_per_minute": 600.0, "api_key": "sk-from-env"}
    assert made["analyze"] == made["eval"] == expected  # nothing else: defaults apply
    assert made["demo"]["base_url"] == _FakeLocalServer.base_url


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32",
                    reason="POSIX signals")
def test_sigterm_during_a_command_stops_it_like_ctrl_c(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # kill / docker stop / systemd during `wom report` (or eval, alerts...): exit 130 with
    # what to do, not a silent death by the signal; the handler is put back afterwards.
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("this test process does not have SIGTERM at its default")

    def killed(args: argparse.Namespace) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal arrives before this ends
        return 0

    monkeypatch.setattr("wom_sdk.cli._report.run", killed)
    assert main(["report", str(RESULTS)]) == 130
    err = capsys.readouterr().err
    assert "interrupted; run the same command again to finish it" in err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
