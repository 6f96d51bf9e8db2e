"""Prompt templates: one sandboxed Jinja environment per analyzer.

Each task template (``analyze.jinja``, ``sentiment.jinja``, ...) is rendered
twice, with ``message`` set to ``"system"`` and to ``"user"``, giving the two
chat messages (``_base.jinja`` does the branching; task templates extend it and
fill in its blocks). The
review is passed as a *variable*: Jinja never parses variable values, so a
review containing ``{{ 7*7 }}`` reaches the model verbatim. The sandbox and
``StrictUndefined`` guard against the other direction: a user's template that
misspells a variable fails loudly instead of sending an empty prompt.

``leak_markers`` takes the distinctive sentences of a *rendered* system
message, so that the reply guard recognizes a leaked prompt whatever templates
(``prompts_dir``) rendered it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

__all__ = ["PromptLibrary", "boundary_for", "builtin_prompts_dir", "leak_markers"]

# A sentence ends at . ! ? before a space or the line's end, or at a CJK full stop.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_CLAUSE_BREAK = re.compile(r"[,;:，；：、]")
# Quoted text in an instruction is an example or a literal ('say "Thank you"'),
# which a reply may rightly contain: it never makes a clause a marker.
_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|「[^」\n]*」|『[^』\n]*』')
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_TRIM = " \t\"'“”‘’「」『』()[]{}<>.!?。！？,;:，；：、-"


def _long_enough(text: str, words: int, cjk: int) -> bool:
    # A CJK character carries about what a Latin word does, but rarely repeats
    # whole instruction phrases by chance: more of them are required.
    return len(text.split()) >= words or len(_CJK.findall(text)) >= cjk


@functools.lru_cache(maxsize=64)
def leak_markers(system: str) -> tuple[str, ...]:
    """Distinctive pieces of a rendered system message: a reply containing one leaked it.

    Every sentence of four words (or eight CJK characters) or more; its rest
    after the first two words (a leaked "You are X" reads "I am X"); and every
    clause of six words (or ten CJK characters) or more outside quoted text.
    Lines that are JSON (a schema) are left out: no reply quotes those by chance,
    and a leak quotes the prose too.
    """
    found: dict[str, None] = {}
    for line in system.splitlines():
        found.update(dict.fromkeys(_line_markers(line)))
    return tuple(found)


# Per line, so that a system message differing in one line (a per-review tag)
# costs one line's work, not the whole message's.
@functools.lru_cache(maxsize=1024)
def _line_markers(raw_line: str) -> tuple[str, ...]:
    line = _BULLET.sub("", raw_line.strip())
    if not line or line[0] in "{[":
        return ()
    found: dict[str, None] = {}
    for sentence in _SENTENCE_END.split(line):
        sentence = sentence.strip(_TRIM)
        if _long_enough(sentence, 4, 8):
            found[sentence] = None
            rest = sentence.split(None, 2)[2:]
            if rest and len(rest[0].split()) >= 4:
                found[rest[0]] = None
    for clause in _CLAUSE_BREAK.split(_SENTENCE_END.sub(",", _QUOTED.sub(",", line))):
        clause = clause.strip(_TRIM)
        if _long_enough(clause, 6, 10):
            found[clause] = None
    return tuple(found)


def builtin_prompts_dir() -> Path:
    """The shipped templates: inside the package in a wheel, at the repo root in a checkout."""
    package = Path(__file__).resolve().parent.parent  # wom_sdk/
    for candidate in (package / "prompts", package.parent.parent / "prompts"):
        if (candidate / "analyze.jinja").is_file():
            return candidate
    raise ConfigurationError(
        f"wom-sdk's prompt templates are missing (looked in {package / 'prompts'}); "
        "reinstall the package, or pass prompts_dir= pointing at a folder of templates"
    )


def boundary_for(review: str) -> str:
    """A delimiter tag the review cannot contain.

    Derived from the review's own hash: to close the tag early a review would
    have to contain its own digest, which is infeasible. Deterministic (unlike a
    random tag) so identical requests stay identical for the response cache.
    """
    return hashlib.sha256(review.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class PromptLibrary:
    """Renders task templates into chat messages.

    ``directory`` templates override the built-in ones file by file, so a user
    can replace just ``reply.jinja`` and keep the rest.
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        # jinja2 costs ~150 ms to import: paid when an analyzer is made, not on `import wom_sdk`.
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        dirs: list[Path] = []
        if directory is not None:
            user_dir = Path(directory).expanduser()
            if not user_dir.is_dir():
                raise ConfigurationError(f"prompts_dir {str(user_dir)!r} is not a folder")
            dirs.append(user_dir)
        dirs.append(builtin_prompts_dir())
        self.directories = tuple(dirs)
        self._env: SandboxedEnvironment = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs]),
            undefined=StrictUndefined,
            autoescape=False,  # prompts are not HTML; escaping would corrupt reviews
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Templates are read once per analyzer: no stat() of every file on every render.
            auto_reload=False,
        )

    def render(self, task: str, variables: Mapping[str, Any]) -> list[dict[str, str]]:
        """System and user messages for ``task``."""
        from jinja2 import TemplateError

        try:
            template = self._env.get_template(f"{task}.jinja")
            system = template.render({**variables, "message": "system"}).strip()
            user = template.render({**variables, "message": "user"}).strip()
        except TemplateError as e:
            raise ConfigurationError(f"prompt template {task}.jinja failed to render: {e}") from e
        if not system or not user:
            raise ConfigurationError(
                f"template {task}.jinja rendered an empty {'system' if not system else 'user'} "
                "message: it must branch on `message` (or extend _base.jinja)"
            )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def render_text(self, name: str, variables: Mapping[str, Any]) -> str:
        """A whole template as one string (used for the re-ask message)."""
        from jinja2 import TemplateError

        try:
            return self._env.get_template(f"{name}.jinja").render(dict(variables)).strip()
        except TemplateError as e:
            raise ConfigurationError(f"prompt template {name}.jinja failed to render: {e}") from e
