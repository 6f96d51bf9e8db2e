"""Preparing requests: a review (or a pack of them) -> a cleaned, redacted ``TaskCall``.

Clean, redact (by default only for tasks that write a reply), detect the
script, render the task's prompt; a pack puts several short reviews in one
request under short positional ids ("r1", "r2", ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._config import check_task
from .._constants import DEFAULT_TEMPERATURE
from .._exceptions import InvalidReviewError
from .._llm import Mode, TaskCall
from .._tasks import (
    NEED_TAGS,
    TASKS,
    Task,
    ValidationContext,
    analyze_task,
    boundary_for,
    check_sections,
    schema_for,
    schema_text_for,
    strict_schema_for,
)
from ..text._clean import CleanedReview, clean_review
from ..text._guard import detect_language
from ..text._redact import Redacted
from ..types import ReviewRecord
from ._state import CoreState

__all__ = ["Pack", "PrepareMixin", "Prepared"]

#: A pack's answer holds one insight per review: its output cap grows with them, up to this.
_PACK_MAX_OUTPUT_TOKENS = 16384


@dataclass
class Prepared:
    """One review, cleaned and redacted, with the request it becomes."""

    task: Task
    call: TaskCall | None  # None for one review of a pack (the pack has the call)
    cleaned: CleanedReview
    redacted: Redacted | None
    review: str  # what the model sees: the redacted text, or the cleaned one
    language_hint: str


@dataclass
class Pack:
    """Several short reviews sharing one request; prompt ids are "r1", "r2", ..."""

    call: TaskCall
    items: dict[str, Prepared]  # by prompt id
    real_ids: dict[str, str]  # prompt id -> the caller's id
    invalid: dict[str, InvalidReviewError]  # by the caller's id


class PrepareMixin(CoreState):
    """Turns reviews into requests (``_prepare``, ``_prepare_pack``)."""

    def _sanitize(self, task: Task, text: str) -> Prepared:
        """Clean, redact (by default only for tasks that write a reply) and detect the script."""
        if not isinstance(text, str):
            raise TypeError(f"review text must be str, not {type(text).__name__}")
        cleaned = clean_review(text, max_chars=self.max_review_chars)
        redact = self.redact if self.redact is not None else task.writes_reply
        redacted = self._redactor.redact(cleaned.text) if redact else None
        review = redacted.text if redacted is not None else cleaned.text
        return Prepared(task, None, cleaned, redacted, review, detect_language(review))

    def _prepare(
        self,
        task: str,
        text: str,
        *,
        product: str | None = None,
        rating: float | None = None,
        brand_voice: str | None = None,
        categories: Sequence[str] | None = None,
        contact: str | None = None,
        include: Sequence[str] | None = None,
    ) -> Prepared:
        check_task(product, rating, brand_voice, categories, contact)
        sections = self._sections(include)
        prep = self._sanitize(analyze_task(sections) if task == "analyze" else TASKS[task], text)
        cats = tuple(categories) if categories else self.categories
        variables: dict[str, Any] = {
            **_section_variables(sections),
            "review": prep.review,
            "boundary": boundary_for(prep.review),
            "language_hint": prep.language_hint,
            "product": product,
            "rating": rating,
            "brand_voice": brand_voice if brand_voice is not None else self.brand_voice,
            "categories": list(cats),
            "contact": contact,
        }
        context = ValidationContext(review=prep.review, categories=cats)
        prep.call = self._task_call(prep.task, variables, cats, context)
        return prep

    def _prepare_pack(
        self,
        records: Sequence[ReviewRecord],
        *,
        brand_voice: str | None = None,
        categories: Sequence[str] | None = None,
        include: Sequence[str] | None = None,
    ) -> Pack:
        sections = self._sections(include)
        task = analyze_task(sections, packed=True)
        items: dict[str, Prepared] = {}
        invalid: dict[str, InvalidReviewError] = {}
        real_ids: dict[str, str] = {}
        entries: list[dict[str, Any]] = []
        seen: set[str] = set()
        cats = tuple(categories) if categories else self.categories
        for rec in records:
            if rec.id in seen:
                continue  # a repeated id cannot be mapped back: it goes alone
            seen.add(rec.id)
            try:
                prep = self._sanitize(task, rec.text)
            except InvalidReviewError as e:
                invalid[rec.id] = e
                continue
            # Short positional ids in the prompt: the caller's ids may be long, or
            # contain quotes that would break out of the tag's attribute.
            alias = f"r{len(items) + 1}"
            items[alias] = prep
            real_ids[alias] = rec.id
            entries.append(
                {"id": alias, "text": prep.review, "product": rec.product, "rating": rec.rating}
            )
        call = self._task_call(
            task,
            {
                **_section_variables(sections),
                "reviews": entries,
                "boundary": boundary_for("\n".join(e["text"] for e in entries)),
                "categories": list(cats),
                "language_hint": "each review's own language",
                "brand_voice": brand_voice if brand_voice is not None else self.brand_voice,
                "product": None,
                "rating": None,
                "contact": None,
            },
            cats,
            ValidationContext(
                review="", categories=cats, pack={e["id"]: e["text"] for e in entries}
            ),
            max_output_tokens=min(
                self.max_output_tokens * max(1, len(entries)), _PACK_MAX_OUTPUT_TOKENS
            ),
        )
        return Pack(call, items, real_ids, invalid)

    def _sections(self, include: Sequence[str] | None) -> tuple[str, ...]:
        return self.include if include is None else check_sections(include)

    def _task_call(
        self,
        task: Task,
        variables: dict[str, Any],
        categories: tuple[str, ...],
        context: ValidationContext,
        *,
        max_output_tokens: int | None = None,
    ) -> TaskCall:
        prompts = self._prompts
        schema_text = schema_text_for(task.output, categories)

        def render(mode: Mode) -> list[dict[str, str]]:
            # A strict endpoint enforces the schema itself: not sending it twice saves tokens.
            schema_json = "" if mode is Mode.JSON_SCHEMA else schema_text
            return prompts.render(task.template, {**variables, "schema_json": schema_json})

        def reask(errors: list[str]) -> str:
            return prompts.render_text(
                "reask", {"errors": errors, "boundary": variables["boundary"]}
            )

        sampling: dict[str, Any] = dict(self.sampling)
        # What the caller chose is never dropped behind their back; our default
        # temperature is left out where the endpoint refuses it (reasoning models).
        user_set = set(sampling)
        if self.temperature is not None:
            sampling["temperature"] = self.temperature
            if self.temperature != DEFAULT_TEMPERATURE:
                user_set.add("temperature")
        if self.reasoning_effort is not None:
            sampling["reasoning_effort"] = self.reasoning_effort
            user_set.add("reasoning_effort")
        return TaskCall(
            task=task.name,
            output=task.output,
            model=self.model,
            endpoint=self._settings.endpoint,
            render=render,
            reask=reask,
            schema=schema_for(task.output, categories),
            strict_schema=strict_schema_for(task.output, categories),
            context=context,
            sampling=sampling,
            max_output_tokens=max_output_tokens or self.max_output_tokens,
            max_reasks=self.max_reasks,
            user_set=frozenset(user_set),
            on_reask=self._obs.reasked,
        )


def _section_variables(sections: tuple[str, ...]) -> dict[str, Any]:
    """What the templates of optional sections read (``prompts/_section_*.jinja``)."""
    return {"sections": list(sections),
            "need_tags": [(tag, meaning) for tag, (_, meaning) in NEED_TAGS.items()]}
