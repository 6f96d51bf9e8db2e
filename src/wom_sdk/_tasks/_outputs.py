"""What the model must return for each task, and how an answer is checked.

These models describe the *wire* output (what we ask the model for); the public
result types in ``types.py`` add what we know ourselves (usage, warnings), and
``_tasks`` says which task asks for which model.
Grounding is a validator: every quote must be a verbatim piece of the review,
else validation fails and the client re-asks. On the last attempt the check
turns lenient (``ValidationContext.final``): ungrounded items are dropped with a
warning rather than failing a whole review for one bad quote.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)

from ..text._grounding import find_quote
from ..types import SentimentLabel, Severity
from ._needs import NEED_TAGS, OTHER_NEED, attribute_like, names_recipient, normalize_tag

__all__ = [
    "SECTIONS",
    "ComplaintsOut",
    "DraftOut",
    "InsightOut",
    "NeedOut",
    "NeedsOut",
    "OutputInvalid",
    "OutputModel",
    "PackItemOut",
    "PackOut",
    "ReplyOut",
    "SentimentOut",
    "ValidationContext",
    "extract_json",
    "ground_needs",
    "insight_with_sections",
    "schema_for",
    "schema_text_for",
    "strict_schema",
    "strict_schema_for",
    "validate_output",
]


@dataclass
class ValidationContext:
    """Passed to Pydantic validators as ``context``."""

    review: str
    categories: tuple[str, ...]
    final: bool = False
    warnings: list[str] = field(default_factory=list)
    grounding_failed: bool = False
    #: items dropped by the lenient last validation (their quote is not in the review)
    dropped: int = 0
    #: for packed requests: review id -> review text, and warnings per id
    pack: dict[str, str] | None = None
    item_warnings: dict[str, list[str]] = field(default_factory=dict)


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _SentimentFields(_Out):
    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0)


# Length caps bound the answer: grammar-constrained servers (llama.cpp) enforce
# them while decoding, so a small model cannot ramble inside a string until it
# hits max_tokens; strict json_schema drops them and Pydantic checks them instead.
_ASPECT = Field(min_length=1, max_length=40)
_QUOTE = Field(min_length=1, max_length=200)
MAX_ITEMS = 5


class ComplaintOut(_Out):
    aspect: str = _ASPECT
    category: str
    quote: str = _QUOTE
    severity: Severity


class PraiseOut(_Out):
    aspect: str = _ASPECT
    quote: str = _QUOTE


def _ctx(info: ValidationInfo) -> ValidationContext | None:
    return info.context if isinstance(info.context, ValidationContext) else None


def _ground_items(items: list[Any], what: str, ctx: ValidationContext) -> list[Any]:
    """Replace quotes by the exact span of the review; fail or drop ungrounded ones."""
    kept: list[Any] = []
    bad: list[str] = []
    for item in items:
        span = find_quote(ctx.review, item.quote)
        if span is None:
            bad.append(item.quote)
            continue
        item.quote = span
        kept.append(item)
    if bad:
        ctx.grounding_failed = True
        listed = "; ".join(repr(q) for q in bad)
        if not ctx.final:
            raise ValueError(
                f"these {what} quotes are not verbatim text of the review: {listed}. "
                "Copy each quote exactly from the review, or leave the item out"
            )
        ctx.dropped += len(bad)
        ctx.warnings.append(
            f"dropped {len(bad)} {what} item(s) whose quote is not in the review: {listed}"
        )
    return kept


def _check_categories(complaints: list[ComplaintOut], ctx: ValidationContext) -> None:
    # An unknown category is the model's wording drift, not a reason to pay for
    # a re-ask: fold it into "other" (when configured) and say so.
    allowed = set(ctx.categories)
    for c in complaints:
        if c.category not in allowed:
            norm = c.category.strip().lower().replace(" ", "_").replace("-", "_")
            if norm in allowed:
                c.category = norm
            elif "other" in allowed:
                ctx.warnings.append(f"unknown complaint category {c.category!r} mapped to 'other'")
                c.category = "other"


class SentimentOut(_SentimentFields):
    language: str = Field(min_length=2, max_length=12)
    confidence: float = Field(ge=0.0, le=1.0)


class ComplaintsOut(_Out):
    language: str = Field(min_length=2, max_length=12)
    complaints: list[ComplaintOut] = Field(max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> ComplaintsOut:
        ctx = _ctx(info)
        if ctx is not None:
            _check_categories(self.complaints, ctx)
            self.complaints = _ground_items(self.complaints, "complaint", ctx)
        return self


class NeedOut(_Out):
    tag: str = Field(min_length=1, max_length=40)
    quote: str = _QUOTE


def ground_needs(needs: list[NeedOut], ctx: ValidationContext) -> list[NeedOut]:
    """Keep needs with a vocabulary tag, a quote that is in the review and, for a
    recipient, names the person; refuse tags that describe a person.

    A tag outside the vocabulary that is not attribute-like is the model's
    wording drift: folded into "other" with a warning, like a complaint category.
    """
    kept: list[NeedOut] = []
    bad: list[str] = []
    for need in needs:
        tag = normalize_tag(need.tag)
        if attribute_like(tag):
            bad.append(f"tag {need.tag!r} describes a person, not who the product was bought "
                       "for or what for: use only the listed tags")
            continue
        if tag not in NEED_TAGS:
            ctx.warnings.append(f"unknown need tag {need.tag!r} mapped to '{OTHER_NEED}'")
            tag = OTHER_NEED
        need.tag = tag
        if not names_recipient(tag, need.quote):
            bad.append(f"the quote {need.quote!r} does not name who the product was bought for "
                       f"({tag!r}): quote the words that say it, or leave the item out")
            continue
        kept.append(need)
    # Both kinds of problem in one message, so that one re-ask can fix both.
    ungrounded: list[str] = []
    try:
        kept = _ground_items(kept, "need", ctx)
    except ValueError as e:
        ungrounded.append(str(e))
    if bad:
        ctx.grounding_failed = True
        if not ctx.final:
            raise ValueError("; ".join(["needs: " + "; ".join(bad), *ungrounded]))
        ctx.warnings.append(f"dropped {len(bad)} need item(s): " + "; ".join(bad))
    if ungrounded:
        raise ValueError(ungrounded[0])
    return kept


class NeedsOut(_Out):
    language: str = Field(min_length=2, max_length=12)
    needs: list[NeedOut] = Field(max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> NeedsOut:
        ctx = _ctx(info)
        if ctx is not None:
            self.needs = ground_needs(self.needs, ctx)
        return self


#: Optional sections of ``analyze`` (``include=``): field name -> (item model, grounding).
SECTIONS: dict[str, tuple[type[_Out], Callable[[list[Any], ValidationContext], list[Any]]]] = {
    "needs": (NeedOut, ground_needs),
}


class ReplyOut(_Out):
    language: str = Field(min_length=2, max_length=12)
    reply: str = Field(min_length=1, max_length=800)


class _InsightFields(_Out):
    language: str = Field(min_length=2, max_length=12)
    sentiment: _SentimentFields
    complaints: list[ComplaintOut] = Field(max_length=MAX_ITEMS)
    praise: list[PraiseOut] = Field(max_length=MAX_ITEMS)
    reply: str = Field(min_length=1, max_length=800)
    summary: str = Field(max_length=200)


def _ground_insight(item: _InsightFields, ctx: ValidationContext) -> None:
    _check_categories(item.complaints, ctx)
    # Check both lists before failing so that one re-ask can fix both.
    errors: list[str] = []
    for attr, what in (("complaints", "complaint"), ("praise", "praise")):
        try:
            setattr(item, attr, _ground_items(getattr(item, attr), what, ctx))
        except ValueError as e:
            errors.append(str(e))
    for name, (_, ground) in SECTIONS.items():
        if name in type(item).model_fields:  # an analysis with include=(name,)
            try:
                setattr(item, name, ground(getattr(item, name), ctx))
            except ValueError as e:
                errors.append(str(e))
    if errors:
        raise ValueError(" | ".join(errors))


class InsightOut(_InsightFields):
    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> InsightOut:
        ctx = _ctx(info)
        if ctx is not None:
            _ground_insight(self, ctx)
        return self


class PackItemOut(_InsightFields):
    id: str


class PackOut(_Out):
    """Several reviews in one request (``pack=N``): one result per review id."""

    results: list[PackItemOut]

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> PackOut:
        ctx = _ctx(info)
        if ctx is None or ctx.pack is None:
            return self
        kept: list[PackItemOut] = []
        seen: set[str] = set()
        errors: list[str] = []
        for item in self.results:
            review = ctx.pack.get(item.id)
            if review is None or item.id in seen:
                # Unknown or repeated ids are dropped, not re-asked: the reviews
                # that end up missing are sent again one by one.
                ctx.warnings.append(f"pack answer had an unknown or repeated id {item.id!r}")
                continue
            seen.add(item.id)
            sub = ValidationContext(review=review, categories=ctx.categories, final=ctx.final)
            try:
                _ground_insight(item, sub)
            except ValueError as e:
                errors.append(f"review {item.id}: {e}")
            ctx.grounding_failed |= sub.grounding_failed
            ctx.dropped += sub.dropped
            ctx.item_warnings.setdefault(item.id, []).extend(sub.warnings)
            kept.append(item)
        if errors:
            raise ValueError(" | ".join(errors))
        self.results = kept
        return self


class DraftOut(_Out):
    """A product description drafted from praised points (``wom highlights --draft``).

    Not grounded here: the description is checked sentence by sentence against
    the points afterwards (``actions._draft.check_draft``), where a failure drops
    the sentence rather than paying for a re-ask.
    """

    language: str = Field(min_length=2, max_length=12)
    description: str = Field(min_length=1, max_length=1200)


#: What a task asks the model for: one of the models above (``_tasks`` names them).
OutputModel = type[_Out]


@functools.lru_cache(maxsize=32)
def insight_with_sections(sections: tuple[str, ...], packed: bool) -> OutputModel:
    """``InsightOut`` (or ``PackOut``) with the fields of ``sections`` added.

    The grounding validators are inherited: ``_ground_insight`` grounds every
    section field the model has.
    """
    # Built at run time: ``list.__class_getitem__`` is ``list[...]`` of a computed type.
    fields: dict[str, Any] = {
        name: (list.__class_getitem__(SECTIONS[name][0]), Field(max_length=MAX_ITEMS))
        for name in sections
    }
    suffix = "_".join(sections)
    if not packed:
        return create_model(f"InsightOut_{suffix}", __base__=InsightOut, **fields)
    item = create_model(f"PackItemOut_{suffix}", __base__=PackItemOut, **fields)
    results: Any = (list.__class_getitem__(item), ...)
    return create_model(f"PackOut_{suffix}", __base__=PackOut, results=results)

# Keywords strict structured output rejects or ignores; Pydantic still enforces them.
_UNSUPPORTED = frozenset(
    {
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "default",
        "title",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
    }
)


@functools.lru_cache(maxsize=64)
def schema_for(output: OutputModel, categories: tuple[str, ...]) -> dict[str, Any]:
    """The output model's JSON schema, with the complaint categories as an enum.

    Cached (Pydantic takes milliseconds to generate it, per request otherwise):
    treat the returned dict as read-only.
    """
    schema = output.model_json_schema()
    comp = schema.get("$defs", {}).get("ComplaintOut")
    if comp is not None:
        comp["properties"]["category"] = {"type": "string", "enum": list(categories)}
    need = schema.get("$defs", {}).get("NeedOut")
    if need is not None:
        # An enum, not a Literal on the model: an unknown tag is folded into
        # "other" or refused by ``ground_needs``, with a message the model can act on.
        need["properties"]["tag"] = {"type": "string", "enum": list(NEED_TAGS)}
    return schema


@functools.lru_cache(maxsize=64)
def strict_schema_for(output: OutputModel, categories: tuple[str, ...]) -> dict[str, Any]:
    """``strict_schema(schema_for(...))``, cached; read-only."""
    return strict_schema(schema_for(output, categories))


@functools.lru_cache(maxsize=64)
def schema_text_for(output: OutputModel, categories: tuple[str, ...]) -> str:
    """The schema as compact JSON, for prompts; cached."""
    return json.dumps(schema_for(output, categories), ensure_ascii=False, separators=(",", ":"))


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Make a Pydantic schema acceptable to ``json_schema`` strict mode.

    Strict mode wants every property required, ``additionalProperties: false``
    on every object, and none of the validation keywords it does not support.
    """
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in _UNSUPPORTED & node.keys():
                # `title` is also a *property name* in some schemas; only drop keyword strings.
                if key == "title" and isinstance(node[key], dict):
                    continue
                del node[key]
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    return out


def extract_json(text: str) -> str:
    """The JSON object inside an answer that may wrap it in prose or ``` fences."""
    s = text.strip()
    if s.startswith("{") and s.endswith("}"):
        return s
    start = s.find("{")
    if start < 0:
        return s
    # Scan for the matching brace, respecting strings: models often add prose after.
    depth, in_str, esc = 0, False, False
    for i in range(start, len(s)):
        ch = s[i]
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return s[start : i + 1]
    return s[start:]


class OutputInvalid(Exception):
    """An answer failed validation; ``errors`` are phrased for the model to fix."""

    def __init__(self, errors: list[str], *, grounding_only: bool) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.grounding_only = grounding_only


def _describe(e: ValidationError) -> list[str]:
    out = []
    for err in e.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        out.append(f"{loc}: {err['msg']}")
    return out[:20]


def validate_output(model: OutputModel, content: str, ctx: ValidationContext) -> _Out:
    """Parse and validate an answer; raise ``OutputInvalid`` with fixable errors."""
    text = extract_json(content)
    try:
        # strict=False: grammar-constrained local servers let raw newlines into
        # strings; that is no reason to pay for a re-ask.
        data = json.loads(text, strict=False)
    except ValueError as e:
        raise OutputInvalid([f"the answer is not valid JSON ({e})"], grounding_only=False) from None
    ctx.grounding_failed = False
    ctx.item_warnings = {}
    try:
        return model.model_validate(data, context=ctx)
    except ValidationError as e:
        only_grounding = ctx.grounding_failed and all(
            err["type"] == "value_error" for err in e.errors()
        )
        raise OutputInvalid(_describe(e), grounding_only=only_grounding) from None
