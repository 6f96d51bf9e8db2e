"""The tasks an analyzer runs, one row each: ``TASKS``.

A task is a template (``prompts/<template>.jinja``), the output the model must
return (a model in ``_outputs``), a builder that turns that output plus what we
know ourselves into the public result (``types``), and whether it writes a
reply: a reply task redacts personal data by default and its reply goes through
the reply guard (``text._guard.check_reply``).

Adding a task (``needs`` is the latest: who the product was bought for, and
what for, each tag with a verbatim quote): write ``prompts/<task>.jinja``; an
output model in ``_outputs`` whose quoted items ground like complaints do; a
result type in ``types``; a builder below (``restore`` its quotes); one row in
``TASKS``; and the public method on both analyzers, which only names the task.
Nothing else changes: preparing, sending, validating and finishing read the row.

A task can also be an optional *section* of ``analyze`` (``include=("needs",)``):
its item model in ``_outputs.SECTIONS``, its fields and rules as macros in
``prompts/_section_<name>.jinja``, its builder in ``_SECTION_BUILDERS`` and a
field of ``ReviewInsight``; ``analyze_task`` puts them together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .._exceptions import ConfigurationError
from ..text._guard import ReplyPolicy, check_reply
from ..text._textnorm import primary_language
from ..types import Complaint, Need, Praise, ReplySuggestion, ReviewInsight, Sentiment, Usage
from ._needs import need_kind
from ._outputs import (
    SECTIONS,
    ComplaintOut,
    ComplaintsOut,
    DraftOut,
    InsightOut,
    NeedOut,
    NeedsOut,
    OutputModel,
    PackItemOut,
    PackOut,
    ReplyOut,
    SentimentOut,
    insight_with_sections,
)

__all__ = ["SECTION_NAMES", "TASKS", "Finishing", "Task", "analyze_task", "check_sections"]

#: Languages told apart by script: local detection is reliable for them.
_SCRIPT_LANGUAGES = frozenset({"zh", "ja", "ko"})


@dataclass(frozen=True)
class Finishing:
    """What a result builder may use besides the model's output."""

    review: str  # the cleaned review, as the customer wrote it (not redacted)
    language_hint: str  # detected locally from the script
    restore: Callable[[str], str]  # puts redacted values back when the analyzer is told to
    reply_policy: ReplyPolicy
    leak_markers: Sequence[str]  # distinctive lines of the system prompt the answer came under
    model: str
    usage: Usage
    warnings: list[str]
    mode: str  # the structured-output mode that answered
    truncated: bool
    redactions: int


@dataclass(frozen=True)
class Task:
    """One row of ``TASKS``."""

    name: str  # also the json_schema's name, "wom_<name>"
    template: str  # prompts/<template>.jinja
    output: OutputModel  # what the model must return
    build: Callable[[Any, Finishing], Any]  # (validated output, what we know) -> result
    writes_reply: bool  # redaction on by default; the reply guard runs
    #: several reviews in one request: ``output.results`` holds one item per
    #: review id, each finished by ``build``
    packed: bool = False


# -- result builders ------------------------------------------------------------------------
def language(said: str, f: Finishing) -> str:
    """The review's language: the model's word, except where the script is certain."""
    said = primary_language(said)
    # Script-based detection is reliable for CJK vs Latin; trust it over a
    # small model that labels a Chinese review "en".
    if f.language_hint in _SCRIPT_LANGUAGES and said != f.language_hint:
        return f.language_hint
    return said


def reply(text: str, lang: str, f: Finishing) -> ReplySuggestion:
    """The model's reply, checked by the reply guard (and the review's own flags)."""
    text = f.restore(text.strip())
    check = check_reply(text, review=f.review, policy=f.reply_policy, canaries=f.leak_markers)
    reasons = list(dict.fromkeys(check.reasons))  # reply problems, then the review's flags
    return ReplySuggestion(
        text=text,
        language=lang,
        needs_human_review=check.needs_human_review or bool(reasons),
        review_reasons=reasons,
    )


def complaints(items: Sequence[ComplaintOut], f: Finishing) -> list[Complaint]:
    return [
        Complaint(
            aspect=c.aspect.strip(),
            category=c.category,
            quote=f.restore(c.quote),
            severity=c.severity,
        )
        for c in items
    ]


def needs(items: Sequence[NeedOut], f: Finishing) -> list[Need]:
    return [Need(tag=n.tag, kind=need_kind(n.tag), quote=f.restore(n.quote)) for n in items]


#: What each optional section of ``analyze`` becomes in the ``ReviewInsight``.
_SECTION_BUILDERS: dict[str, Callable[[Any, Finishing], Any]] = {"needs": needs}


def build_insight(out: InsightOut | PackItemOut, f: Finishing) -> ReviewInsight:
    lang = language(out.language, f)
    suggestion = reply(out.reply, lang, f)
    sections = {
        name: build(getattr(out, name), f)
        for name, build in _SECTION_BUILDERS.items()
        if name in type(out).model_fields
    }
    return ReviewInsight(
        language=lang,
        sentiment=Sentiment(label=out.sentiment.label, score=out.sentiment.score),
        complaints=complaints(out.complaints, f),
        praise=[Praise(aspect=p.aspect.strip(), quote=f.restore(p.quote)) for p in out.praise],
        reply=suggestion,
        summary=out.summary.strip() or None,
        model=f.model,
        usage=f.usage,
        warnings=f.warnings
        + [
            f"reply needs human review: {r}"
            for r in suggestion.review_reasons
            if r.startswith("reply_")
        ],
        truncated=f.truncated,
        redactions=f.redactions,
        extra={"structured_output": f.mode},
        **sections,
    )


def build_sentiment(out: SentimentOut, f: Finishing) -> Sentiment:
    return Sentiment(label=out.label, score=out.score, confidence=out.confidence)


def build_complaints(out: ComplaintsOut, f: Finishing) -> list[Complaint]:
    return complaints(out.complaints, f)


def build_reply(out: ReplyOut, f: Finishing) -> ReplySuggestion:
    return reply(out.reply, language(out.language, f), f)


def build_draft(out: DraftOut, f: Finishing) -> DraftOut:
    # The "review" of a draft is the praised points; checking the description
    # against them needs the points themselves (actions._draft), not this row.
    out.language = language(out.language, f)
    out.description = out.description.strip()
    return out


def build_needs(out: NeedsOut, f: Finishing) -> list[Need]:
    return needs(out.needs, f)


#: Every task, by name. The public methods name their task; batches pack "analyze".
TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("analyze", "analyze", InsightOut, build_insight, writes_reply=True),
        Task("sentiment", "sentiment", SentimentOut, build_sentiment, writes_reply=False),
        Task("complaints", "complaints", ComplaintsOut, build_complaints, writes_reply=False),
        Task("reply", "reply", ReplyOut, build_reply, writes_reply=True),
        Task("needs", "needs", NeedsOut, build_needs, writes_reply=False),
        Task(
            "analyze_pack", "analyze_pack", PackOut, build_insight, writes_reply=True, packed=True
        ),
        # Redacted like a reply: a phone number quoted in praise must not reach marketing copy.
        Task("draft", "draft", DraftOut, build_draft, writes_reply=True),
    )
}

#: The optional sections ``analyze`` can add (``include=``), in prompt order.
SECTION_NAMES: tuple[str, ...] = tuple(SECTIONS)


def check_sections(include: Sequence[str]) -> tuple[str, ...]:
    """``include`` as the sections' canonical tuple; ``ConfigurationError`` for unknown names."""
    if isinstance(include, str):
        include = (include,)
    unknown = [name for name in include if name not in SECTION_NAMES]
    if unknown:
        raise ConfigurationError(f"unknown analyze section(s) {unknown}; known: "
                                 f"{', '.join(SECTION_NAMES)}")
    return tuple(name for name in SECTION_NAMES if name in include)


@lru_cache(maxsize=32)
def analyze_task(sections: tuple[str, ...], packed: bool = False) -> Task:
    """The ``analyze`` (or packed) task with optional ``sections`` (from ``check_sections``).

    Without sections, the plain row of ``TASKS``: requests stay byte-identical.
    With them, the template ``analyze_sections`` (``analyze_pack_sections``)
    extends the plain one with each section's fields and rules, and the output
    model gains each section's field (``_outputs.insight_with_sections``).
    """
    base = TASKS["analyze_pack" if packed else "analyze"]
    if not sections:
        return base
    return replace(base, name=f"{base.name}_{'_'.join(sections)}",
                   template=f"{base.template}_sections",
                   output=insight_with_sections(sections, packed))
