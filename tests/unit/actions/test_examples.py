"""The shop example: its results are what examples/shop_results.py makes, and the README's
outputs of ``wom alerts`` / ``wom queue`` are what the commands print on them."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from pathlib import Path

import pytest

from wom_sdk.cli import main

EXAMPLES = Path(__file__).parents[3] / "examples"


def _script() -> object:
    spec = importlib.util.spec_from_file_location("shop_results", EXAMPLES / "shop_results.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_results_are_what_the_script_makes(tmp_path: Path) -> None:
    script = _script()
    for csv_name, jsonl in (("shop_reviews.csv", "shop_results.jsonl"),
                            ("shop_reviews_new.csv", "shop_results_new.jsonl")):
        assert script.make(csv_name, tmp_path / jsonl) == 0  # type: ignore[attr-defined]
        assert (tmp_path / jsonl).read_bytes() == (EXAMPLES / jsonl).read_bytes(), jsonl


def test_the_readme_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = tmp_path / "shop.jsonl"
    shutil.copy(EXAMPLES / "shop_results.jsonl", shop)
    assert main(["alerts", str(shop)]) == 3
    assert capsys.readouterr().out.splitlines() == [
        "wom alerts: 6 new in shop.jsonl: 4 reviews need a response now, 2 weekly spikes",
        "review s42 (Aurora CarCharge, 2024-11-29, 1★): high_severity, one_star_complaint",
        "review s38 (Aurora Book 15, 2024-11-27, 1★): high_severity, one_star_complaint",
        "review s29 (Aurora Book 14, 2024-11-21, 1★): high_severity, one_star_complaint",
        "review s39 (Aurora Book 15, 2024-11-28, 2★): high_severity",
        "spike 2024-W48: negative share 50.0% of 12 reviews (6), baseline 18.2%, alert at 28.2%",
        "spike 2024-W48: functionality 41.7% of 12 reviews (5), baseline 9.1%, alert at 23.9%",
    ]
    assert main(["alerts", str(shop)]) == 0
    with shop.open("ab") as fh:
        fh.write((EXAMPLES / "shop_results_new.jsonl").read_bytes())
    assert main(["alerts", str(shop)]) == 3
    assert capsys.readouterr().out.splitlines() == [
        "wom alerts: 2 new in shop.jsonl: 2 reviews need a response now",
        "review s46 (Aurora Book 15, 2024-12-02, 2★): safety_claim, high_severity",
        "review s48 (Aurora CarCharge, 2024-12-02, 1★): high_severity, one_star_complaint",
    ]
    queue = tmp_path / "queue.csv"
    assert main(["queue", str(shop), "-o", str(queue), "--as-of", "2024-12-03"]) == 0
    with queue.open(encoding="utf-8-sig", newline="") as fh:
        top = [(r["rank"], r["urgency"], r["id"], r["why"]) for r in csv.DictReader(fh)][:3]
    assert top == [
        ("1", "110", "s46", "safety_claim +40; severity high +30; negative +15; 2 star +15; "
                            "recent +10"),
        ("2", "75", "s48", "severity high +30; negative +15; 1 star +20; recent +10"),
        ("3", "70", "s42", "severity high +30; negative +15; 1 star +20; recent +5"),
    ]
