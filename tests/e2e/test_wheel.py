"""The wheel ships the prompts and py.typed, and an installed copy finds its prompts."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_contains_prompts_and_works_installed(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("wom_sdk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for task in ("_base", "analyze", "analyze_pack", "sentiment", "complaints", "reply", "reask"):
        assert f"wom_sdk/prompts/{task}.jinja" in names
    assert "wom_sdk/py.typed" in names
    # Installed (as a vendored copy would be): prompts are found inside the package.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = ("import wom_sdk._tasks._prompts as p, sys; d = p.builtin_prompts_dir(); "
            "print(d); assert str(d).startswith(sys.argv[1]), d")
    out = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                         text=True, env={"PYTHONPATH": str(target)}, timeout=60)
    assert out.returncode == 0, out.stderr
