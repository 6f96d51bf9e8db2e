"""Gold labels: mapping a dataset's label values to sentiment labels, and loading data.

Public datasets label sentiment as 0/1, 1-5 stars, "pos"/"neg", or words. The
mapping used is always explicit (``LabelMap.describe()`` is printed by
``wom eval``): a silently wrong mapping would make every metric meaningless.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._exceptions import InputError
from ..io._columns import ASPECT, ID, LABEL, TEXT, find_column, require_column
from ..io._readers import cell_text, fit_row, open_rows
from ..io._rows import SHAPE

__all__ = [
    "BINARY_LABELS",
    "CANONICAL_LABELS",
    "STAR_LABELS",
    "TEXT_LABELS",
    "AspectTerm",
    "EvalItem",
    "LabelMap",
    "LabeledSet",
    "infer_label_map",
    "load_labeled",
    "parse_label_map",
]

CANONICAL_LABELS: tuple[str, ...] = ("positive", "negative", "neutral", "mixed")

_SYNONYMS = {
    "positive": "positive", "pos": "positive",
    "negative": "negative", "neg": "negative",
    "neutral": "neutral", "neu": "neutral",
    "mixed": "mixed", "conflict": "mixed",
}  # fmt: skip


def _key(raw: object) -> str:
    text = str(raw).strip().lower()
    # Spreadsheets and pandas turn 1 into "1.0".
    if re.fullmatch(r"-?\d+\.0+", text):
        text = text.split(".")[0]
    return text


@dataclass(frozen=True)
class LabelMap:
    """Gold label value -> sentiment label (``positive``/``negative``/``neutral``/``mixed``)."""

    mapping: Mapping[str, str]
    name: str = "custom"

    def __call__(self, raw: object) -> str:
        try:
            return self.mapping[_key(raw)]
        except KeyError:
            raise InputError(
                f"gold label {raw!r} is not in the label map ({self.describe()}); "
                "give one with --label-map, e.g. '1=positive,0=negative'"
            ) from None

    def describe(self) -> str:
        """``name: key -> label, ...`` (what ``wom eval`` prints)."""
        pairs = ", ".join(f"{k} -> {v}" for k, v in self.mapping.items())
        return f"{self.name}: {pairs}"


BINARY_LABELS = LabelMap({"1": "positive", "0": "negative"}, "binary 0/1")
STAR_LABELS = LabelMap(
    {"1": "negative", "2": "negative", "3": "neutral", "4": "positive", "5": "positive"},
    "stars 1-5",
)
TEXT_LABELS = LabelMap(dict(_SYNONYMS), "labels as words")


def parse_label_map(spec: str) -> LabelMap:
    """``"1=positive,0=negative"`` -> a ``LabelMap`` (labels may be pos/neg/neu/mixed too)."""
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        raw, sep, label = part.partition("=")
        if not sep:
            raw, sep, label = part.partition(":")
        target = _SYNONYMS.get(label.strip().lower())
        if not sep or not raw.strip() or target is None:
            raise InputError(
                f"bad label map entry {part.strip()!r}: expected VALUE=LABEL with LABEL one of "
                f"{', '.join(CANONICAL_LABELS)}"
            )
        mapping[_key(raw)] = target
    if not mapping:
        raise InputError("empty label map")
    return LabelMap(mapping, "given")


def infer_label_map(values: Iterable[object]) -> LabelMap:
    """Pick the default map that covers every gold value (0/1, 1-5 stars, or words).

    A set of only 0 and 1 is read as binary (1 = positive), not as stars.
    """
    keys = {_key(v) for v in values}
    for candidate in (BINARY_LABELS, STAR_LABELS, TEXT_LABELS):
        if keys <= set(candidate.mapping):
            return candidate
    unknown = sorted(keys - set(TEXT_LABELS.mapping))[:5]
    raise InputError(
        f"cannot tell how to read the gold labels {unknown}; give a map with --label-map, "
        "e.g. '1=positive,0=negative'"
    )


@dataclass(frozen=True)
class AspectTerm:
    """A gold (or predicted) aspect term with its polarity."""

    term: str
    polarity: str


@dataclass(frozen=True)
class EvalItem:
    """One labeled review."""

    id: str
    text: str
    gold: str
    gold_raw: str
    aspects: tuple[AspectTerm, ...] | None = None


@dataclass(frozen=True)
class LabeledSet:
    """Labeled reviews and the label map that was applied to them."""

    items: tuple[EvalItem, ...]
    label_map: LabelMap
    total_rows: int
    #: ids that were on more than one row: each counted once, its last row winning
    repeated_ids: tuple[str, ...] = ()
    #: how the file was read: its encoding, rows that did not fit the header
    notes: tuple[str, ...] = ()


def load_labeled(
    path: str | os.PathLike[str],
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    id_column: str | None = None,
    aspect_column: str | None = None,
    label_map: LabelMap | str | None = None,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int = 1,
) -> LabeledSet:
    """Read a labeled CSV/TSV, JSONL or Excel file, as ``wom analyze`` reads reviews.

    Columns follow the rule of ``wom analyze``: a column named here wins (and
    a name the file does not have is an ``InputError`` listing its columns);
    otherwise the text, label and id are found by their common names
    (``text``/``review``/``评论``..., ``label``/``标签``..., ``id``/``编号``...).
    Without an id column, ids are ``row-N`` as in ``wom analyze``'s output.
    ``label_map`` is a ``LabelMap``, a spec for ``parse_label_map``, or None to
    infer it from the values. ``sample`` draws that many rows at random
    (``random.Random(seed)``, kept in file order); ``limit`` then keeps the first
    rows. Rows with an empty text or label are skipped. Aspects (a list of
    ``{"term", "polarity"}``, JSON-encoded in a CSV cell) are read when
    ``aspect_column`` is given. ``encoding``, ``sheet`` and ``header_row`` are
    ``open_rows``' (the encoding is detected when not given). An id on several
    rows counts once: its last row wins (``LabeledSet.repeated_ids``). A CSV row
    with more fields than the header is refused, naming its line, unless the text
    is the last column (the surplus is then joined back into it), as in ``wom analyze``.
    """
    with open_rows(
        os.fspath(path), encoding=encoding, sheet=sheet, header_row=header_row
    ) as source:
        header = source.header
        rows = list(source)
        stats = source.stats
        delimiter = source.delimiter
    if stats.unreadable:
        lines = ", ".join(map(str, stats.unreadable_lines))
        raise InputError(f"{path}: {stats.unreadable} line(s) are not JSON objects (line {lines})")
    if isinstance(label_map, str):
        label_map = parse_label_map(label_map)
    if not header:
        return LabeledSet(items=(), label_map=label_map or BINARY_LABELS, total_rows=0)
    # Columns first: a header without the text column is the answer, rows or not.
    text_col = require_column(header, TEXT, text_column)
    label_col = require_column(header, LABEL, label_column)
    if not rows:
        return LabeledSet(items=(), label_map=label_map or BINARY_LABELS, total_rows=0)
    id_col = find_column(header, ID, id_column)
    aspect_col = find_column(header, ASPECT, aspect_column)
    rows = _fitted(rows, header, text_col, id_col, delimiter, stats, path)
    indexed = [
        (number, row)
        for number, row in rows
        if _present(row.get(text_col)) and _present(row.get(label_col))
    ]
    if sample is not None and sample < len(indexed):
        chosen = sorted(random.Random(seed).sample(range(len(indexed)), sample))
        indexed = [indexed[i] for i in chosen]
    if limit is not None:
        indexed = indexed[:limit]
    if label_map is None:
        label_map = infer_label_map(row[label_col] for _, row in indexed)
    by_id: dict[str, EvalItem] = {}
    repeated: dict[str, None] = {}
    for number, row in indexed:
        item = EvalItem(
            id=(cell_text(row.get(id_col)) if id_col else None) or f"row-{number}",
            text=str(row[text_col]),
            gold=label_map(row[label_col]),
            gold_raw=str(row[label_col]),
            aspects=_aspects(row.get(aspect_col)) if aspect_col else None,
        )
        if item.id in by_id:
            repeated[item.id] = None
            del by_id[item.id]  # the last row wins, in its own place
        by_id[item.id] = item
    notes = [f"read as {stats.encoding}"] if stats.encoding not in (None, "UTF-8") else []
    notes += stats.row_notes
    return LabeledSet(
        items=tuple(by_id.values()),
        label_map=label_map,
        total_rows=len(rows),
        repeated_ids=tuple(repeated),
        notes=tuple(notes),
    )


def _fitted(
    rows: list[tuple[int, Any]],
    header: list[str],
    text_col: str,
    id_col: str | None,
    delimiter: str,
    stats: Any,
    path: object,
) -> list[tuple[int, Any]]:
    """Rows with the rule of ``wom analyze`` applied; a row that must not be used is an error."""
    out: list[tuple[int, Any]] = []
    refused: list[str] = []
    for number, row in rows:
        if SHAPE in row:
            row = dict(row)

            def rid(r: Any = row, n: int = number) -> str:
                return (cell_text(r.get(id_col)) if id_col else None) or f"row-{n}"

            reason = fit_row(row, header, text_col, delimiter, stats, rid)
            if reason is not None:
                refused.append(reason)
                continue
        out.append((number, row))
    if refused:
        more = f" (and {len(refused) - 3} more)" if len(refused) > 3 else ""
        raise InputError(
            f"{path}: {len(refused)} row(s) do not fit the header: {'; '.join(refused[:3])}{more}"
        )
    return out


def _present(value: object) -> bool:
    # Not truthiness: a label of 0 is a label.
    return value is not None and str(value).strip() != ""


def _aspects(raw: object) -> tuple[AspectTerm, ...]:
    if raw is None or raw == "":
        return ()
    try:
        value: Any = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise InputError(f"aspects are not JSON ({exc}): {raw!r}") from None
    if not isinstance(value, Sequence):
        raise InputError(f"aspects must be a list of {{term, polarity}}, got {raw!r}")
    return tuple(
        AspectTerm(str(a["term"]), str(a.get("polarity", "")).strip().lower()) for a in value
    )
