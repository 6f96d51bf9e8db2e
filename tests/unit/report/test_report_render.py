"""Rendering: one self-contained, deterministic HTML file; Chinese drawn; Markdown too."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from wom_sdk.report import Report, _fonts, build_report, read_results

DATA = Path(__file__).parents[2] / "data" / "report_small.jsonl"
CJK = _fonts.find_cjk_font()
needs_cjk_font = pytest.mark.skipif(
    CJK is None,
    reason="no CJK font on this machine: pip install -e '.[report]' (ships Noto Sans CJK SC) "
    "or apt-get install fonts-noto-cjk",
)


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(read_results(DATA))


@pytest.fixture(scope="module")
def html(report: Report) -> str:
    return report.to_html()


def test_html_is_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    refs = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)['"]""", html)
    assert refs, "expected images and in-page links"
    assert all(r.startswith(("data:image/png;base64,", "#")) for r in refs), refs
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert html.count("<img ") >= 4  # sentiment, themes, aspects, products, weeks


def test_html_shows_the_numbers_and_quotes(html: str) -> None:
    for text in (
        "product_quality",
        "保温效果很差",
        "Beautiful design",
        "2024-W15",
        "rate_limit",
        "Alert rule",
        "保温杯",
        "44.4%",
    ):
        assert text in html, text
    assert "这是编造的引用" not in html  # not verbatim: never shown


def test_title_and_user_text_are_escaped() -> None:
    record = {
        "id": "x",
        "text": "<script>alert(1)</script> bad",
        "product": "<b>p</b>",
        "insight": {
            "language": "en",
            "sentiment": {"label": "negative", "score": -0.5},
            "complaints": [
                {"aspect": "x", "category": "other", "quote": "<script>alert(1)</script>"}
            ],
            "reply": {"text": "ok"},
        },
    }
    out = build_report([record], title="Q2 <reviews>").to_html()
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "<title>Q2 &lt;reviews&gt;</title>" in out


def test_html_is_byte_identical_across_runs_and_processes(html: str) -> None:
    assert build_report(read_results(DATA)).to_html() == html
    code = (
        "import sys; from wom_sdk.report import build_report; "
        "sys.stdout.buffer.write(build_report(sys.argv[1]).to_html().encode())"
    )
    # Another interpreter with another hash seed: no set or dict order leaks in.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(DATA)], capture_output=True, check=True, env=env
    )
    assert hashlib.sha256(out.stdout).hexdigest() == hashlib.sha256(html.encode()).hexdigest()


@needs_cjk_font
def test_chinese_renders_without_missing_glyphs(caplog: pytest.LogCaptureFixture) -> None:
    report = build_report(read_results(DATA))
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        out = report.to_html()
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    bad = [
        m
        for m in messages
        if "missing from font" in m or re.search(r"Glyph \d+", m) or "findfont: Font family" in m
    ]
    assert not bad, bad[:3]
    assert "No font with Chinese glyphs" not in out


def test_without_a_cjk_font_the_report_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fonts, "find_cjk_font", lambda explicit=None: None)
    report = build_report(read_results(DATA))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = report.to_html()
    assert "No font with Chinese glyphs was found" in out
    assert "fonts-noto-cjk" in out
    # The note replaces one console warning per missing glyph.
    assert not [w for w in caught if "missing from font" in str(w.message)]


@needs_cjk_font
def test_font_search_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert CJK is not None
    monkeypatch.delenv(_fonts.FONT_ENV_VAR, raising=False)
    chosen = _fonts.find_cjk_font(CJK.path)
    assert chosen is not None
    assert chosen.source == "argument"
    assert chosen.path == CJK.path
    monkeypatch.setenv(_fonts.FONT_ENV_VAR, CJK.path)
    chosen = _fonts.find_cjk_font()
    assert chosen is not None
    assert chosen.source == "environment"
    # A missing file or a font without Chinese glyphs is skipped, not used.
    import matplotlib

    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setenv(_fonts.FONT_ENV_VAR, str(tmp_path / "nope.ttf"))
    chosen = _fonts.find_cjk_font(dejavu)
    assert chosen is not None
    assert chosen.source in {"system", "package"}


def test_packaged_font_is_the_last_resort(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    if importlib.util.find_spec("mpl_font") is None:
        pytest.skip("mpl-font (the report extra's font package) is not installed")
    monkeypatch.delenv(_fonts.FONT_ENV_VAR, raising=False)
    monkeypatch.setattr(_fonts, "_FAMILIES", ())
    monkeypatch.setattr(_fonts, "_SYSTEM_FILES", ())
    chosen = _fonts.find_cjk_font()
    assert chosen is not None
    assert chosen.source == "package"
    assert chosen.path.endswith("NotoSansCJKsc-Regular.otf")
    assert chosen.family == "Noto Sans CJK SC"


def test_missing_font_note_names_the_font_given() -> None:
    assert "nope.ttf" in _fonts.missing_font_note("nope.ttf")
    assert "WOM_REPORT_FONT" in _fonts.missing_font_note()


def test_markdown(report: Report, tmp_path: Path) -> None:
    md = report.to_markdown()
    assert md.startswith("# Word-of-mouth report")
    for text in (
        "## Complaints",
        "| 1 | product_quality | 3 | 3 | 33.3% | 4 | 2 |",
        "“保温效果很差”",
        "## Over time",
        "2024-W14",
        "## Praise worth quoting",
    ):
        assert text in md, text
    assert "<img" not in md
    assert "data:image" not in md
    assert report.write(tmp_path / "r.md").read_text(encoding="utf-8") == md
    assert report.write(tmp_path / "r.txt", format="md").read_text(encoding="utf-8") == md
    with pytest.raises(ValueError, match="format"):
        report.write(tmp_path / "r.pdf", format="pdf")  # type: ignore[arg-type]


def test_write_html_and_notebook_fragment(report: Report, html: str, tmp_path: Path) -> None:
    path = report.write(tmp_path / "r.html")
    assert path.read_bytes().decode("utf-8") == html
    fragment = report._repr_html_()
    assert fragment.startswith("<style>")
    assert "<html" not in fragment
    assert "<img" in fragment
    assert "Report(12 reviews, 9 analyzed" in repr(report)


def test_empty_input_still_renders() -> None:
    report = build_report([])
    assert report.totals.reviews == 0
    assert "No complaints." in report.to_html()
    assert "No complaints." in report.to_markdown()


def test_importing_the_report_module_does_not_import_matplotlib() -> None:
    code = (
        "import sys, wom_sdk, wom_sdk.report, wom_sdk.evaluate, wom_sdk.cli._report, "
        "wom_sdk.cli._eval; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
