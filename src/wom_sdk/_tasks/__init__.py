"""What an analyzer can be asked, and what it must answer: the tasks.

- ``_table``: one row per task in ``TASKS`` (template, output model, result
  builder, writes a reply or not), the optional sections of ``analyze``
  (``include=``), and how to add a task;
- ``_outputs``: the output models the model must return, their grounding
  validators (every quote verbatim from the review) and their strict schemas;
- ``_needs``: the needs vocabulary (``NEED_TAGS``) and the checks a need must pass;
- ``_prompts``: the sandboxed Jinja environment that renders ``prompts/``, and
  the leak markers of a rendered system prompt.

No I/O here: the analyzers' core (``_core``) prepares requests and finishes
results from these pieces, and ``_llm`` validates answers with them.
"""

from __future__ import annotations

from ._needs import NEED_TAGS, need_kind
from ._outputs import (
    OutputInvalid,
    OutputModel,
    ValidationContext,
    extract_json,
    schema_for,
    schema_text_for,
    strict_schema_for,
    validate_output,
)
from ._prompts import PromptLibrary, boundary_for, builtin_prompts_dir, leak_markers
from ._table import SECTION_NAMES, TASKS, Finishing, Task, analyze_task, check_sections

__all__ = [
    "NEED_TAGS",
    "SECTION_NAMES",
    "TASKS",
    "Finishing",
    "OutputInvalid",
    "OutputModel",
    "PromptLibrary",
    "Task",
    "ValidationContext",
    "analyze_task",
    "boundary_for",
    "builtin_prompts_dir",
    "check_sections",
    "extract_json",
    "leak_markers",
    "need_kind",
    "schema_for",
    "schema_text_for",
    "strict_schema_for",
    "validate_output",
]
