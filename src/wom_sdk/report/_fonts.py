"""Finding a font that can draw Chinese in the report's charts, offline.

matplotlib's default font (DejaVu Sans) has no CJK glyphs: Chinese product
names and aspects would come out as empty boxes. The search order is:

1. the path given by the caller (``build_report(..., font=...)`` or ``--font``);
2. the ``WOM_REPORT_FONT`` environment variable;
3. fonts already installed: known CJK families in matplotlib's font list, then
   known file locations (Debian ``fonts-noto-cjk`` / ``fonts-wqy-microhei``,
   macOS, Windows) in case matplotlib's font cache predates the install;
4. the Noto Sans CJK SC file shipped by the ``mpl-font`` package (part of the
   ``report`` extra), located without importing it (importing it would change
   the user's global rcParams).

Every candidate is opened and checked for a few common Chinese characters
before it is used; when none passes, charts are drawn anyway and the report
says why Chinese may show as boxes.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.font_manager import FontEntry

__all__ = ["FONT_ENV_VAR", "FontChoice", "find_cjk_font", "missing_font_note"]

FONT_ENV_VAR = "WOM_REPORT_FONT"

# Characters any usable font must have: frequent in reviews and in the
# report's own Chinese labels.
_PROBE = "中文评论质量电池快递好差"

# Simplified-Chinese families first: Japanese/Traditional faces draw some
# simplified characters with regional glyph shapes.
_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
    "Heiti SC",
    "Sarasa Gothic SC",
    "Droid Sans Fallback",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "AR PL UMing CN",
)

_SYSTEM_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

# Inside the mpl-font wheel.
_PACKAGED = ("mpl_font", ("fonts", "noto", "NotoSansCJKsc-Regular.otf"))


@dataclass(frozen=True)
class FontChoice:
    """The font used for chart text, and where it came from."""

    family: str
    path: str
    source: str  # "argument", "environment", "system" or "package"


def find_cjk_font(explicit: str | os.PathLike[str] | None = None) -> FontChoice | None:
    """Return a CJK-capable font registered with matplotlib, or None."""
    from matplotlib import font_manager

    candidates: list[tuple[str, str]] = []
    if explicit:
        candidates.append((os.fspath(explicit), "argument"))
    env = os.environ.get(FONT_ENV_VAR, "").strip()
    if env:
        candidates.append((env, "environment"))
    for path, source in candidates:
        choice = _try_file(path, source)
        if choice is not None:
            return choice

    by_family: dict[str, list[FontEntry]] = {}
    for entry in font_manager.fontManager.ttflist:
        by_family.setdefault(entry.name, []).append(entry)
    for family in _FAMILIES:
        if family not in by_family:
            continue
        # The regular upright face: matplotlib draws with it, and its file is
        # the one worth checking (a family often has Bold/Light files too).
        entry = min(by_family[family], key=_regularity)
        if _covers(entry.fname, getattr(entry, "index", 0)):
            return FontChoice(family=family, path=str(entry.fname), source="system")
    for path in _SYSTEM_FILES:
        choice = _try_file(path, "system")
        if choice is not None:
            return choice

    spec = importlib.util.find_spec(_PACKAGED[0])
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            choice = _try_file(str(Path(location).joinpath(*_PACKAGED[1])), "package")
            if choice is not None:
                return choice
    return None


def missing_font_note(explicit: str | os.PathLike[str] | None = None) -> str:
    """What the report says when no CJK font was found."""
    tried = (
        f" (the font given, {os.fspath(explicit)!r}, is missing or has no Chinese glyphs)"
        if explicit
        else ""
    )
    return (
        "No font with Chinese glyphs was found, so Chinese text in the charts may show as "
        f"empty boxes{tried}. Install the report extra "
        "(pip install 'wom-sdk[report]', which ships Noto Sans CJK SC), install a system "
        "CJK font (Debian/Ubuntu: apt-get install fonts-noto-cjk), or set "
        f"{FONT_ENV_VAR}=/path/to/font.ttf."
    )


def _regularity(entry: FontEntry) -> tuple[bool, int, str]:
    from matplotlib import font_manager

    weight = entry.weight
    number = weight if isinstance(weight, int) else font_manager.weight_dict.get(weight, 400)
    return (entry.style != "normal", abs(number - 400), entry.fname)


def _try_file(path: str, source: str) -> FontChoice | None:
    from matplotlib import font_manager

    if not Path(path).is_file() or not _covers(path, 0):
        return None
    manager = font_manager.fontManager
    # Register once per process: addfont appends even a known file again.
    if not any(entry.fname == path for entry in manager.ttflist):
        manager.addfont(path)
    # A collection (.ttc) holds several faces; prefer a Simplified Chinese one.
    names = {entry.name for entry in manager.ttflist if entry.fname == path}
    family = next(
        (f for f in _FAMILIES if f in names),
        font_manager.FontProperties(fname=path).get_name(),
    )
    return FontChoice(family=family, path=path, source=source)


def _covers(path: str, index: int) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        # face_index exists since matplotlib 3.10; older versions read face 0,
        # which for the collections above is a CJK face too.
        font = FT2Font(path, face_index=index) if index else FT2Font(path)
        charmap = font.get_charmap()
    except (OSError, RuntimeError, TypeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in _PROBE)
