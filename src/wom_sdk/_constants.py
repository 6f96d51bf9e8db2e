"""Defaults, in one place so that the docs and the code cannot disagree."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "DEFAULT_MAX_REASKS",
    "DEFAULT_MODEL",
    "DEFAULT_REASONING_EFFORT",
    "DEFAULT_TEMPERATURE",
    "DEFAULT_TIMEOUT",
    "EMBEDDING_BATCH_SIZE",
    "EMBEDDING_BATCH_TOKENS",
    "EXIT_BUDGET",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NEW_ALERTS",
    "EXIT_OK",
    "EXIT_USAGE",
    "LOCAL_PLACEHOLDER_KEY",
    "MAX_OUTPUT_TOKENS_RETRY",
    "REASONING_EFFORTS",
    "REASONING_OUTPUT_TOKENS",
    "UNKNOWN_LANGUAGE",
    "ReasoningEffort",
]

#: Used when neither ``model=`` nor ``WOM_MODEL`` is given. OpenAI's cheapest current
#: model ($0.10 / $0.50 per 1M input / output tokens) and the replacement OpenAI names
#: for gpt-4o-mini and gpt-4.1-mini, which shut down on 2027-01-14
#: (https://developers.openai.com/api/docs/models/gpt-6-luna,
#: https://developers.openai.com/api/docs/deprecations). A reasoning model: it gets
#: ``max_completion_tokens`` with a reasoning allowance, and no temperature (``_llm._params``).
DEFAULT_MODEL = "gpt-6-luna"
#: Seconds one request may take. openai's own default (600 s) hides a hung
#: endpoint for ten minutes per review; an analysis answer takes seconds.
DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Validation re-asks after the first answer (so at most 3 answers per task).
DEFAULT_MAX_REASKS = 2
#: Enough for an insight with several complaints and a reply; bounds cost and
#: the tokens a provider reserves against the per-minute limit.
DEFAULT_MAX_OUTPUT_TOKENS = 1024
#: Analysis wants repeatable labels more than creativity. Reasoning models accept
#: only their own default, so this one is left out for them (a value the caller
#: sets is sent, and refused loudly if the model cannot take it).
DEFAULT_TEMPERATURE = 0.0
#: What ``reasoning_effort`` may be (openai-python 3.x, the parameter's docstring in
#: ``resources/chat/completions/completions.py``; not every model takes every value).
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
REASONING_EFFORTS: tuple[str, ...] = get_args(ReasoningEffort)
#: The effort a reasoning model uses when none is sent: "medium" is the documented
#: default of OpenAI's reasoning models (e.g. the gpt-6-luna and gpt-5.6-luna model pages).
DEFAULT_REASONING_EFFORT = "medium"
#: Output tokens a reasoning model may spend thinking, by effort, on top of
#: ``max_output_tokens`` (its ``max_completion_tokens`` counts both: openai-python's
#: docstring of the parameter). Sized for one review's analysis, well below OpenAI's
#: "reserve at least 25,000 tokens" for open-ended work
#: (https://developers.openai.com/api/docs/guides/reasoning); an answer cut anyway is
#: retried once with twice the budget, up to ``MAX_OUTPUT_TOKENS_RETRY``.
REASONING_OUTPUT_TOKENS = {
    "none": 0,
    "minimal": 1024,
    "low": 2048,
    "medium": 6144,
    "high": 16384,
    "xhigh": 24576,
    "max": 24576,
}
#: The largest output cap the one truncation retry may ask for.
MAX_OUTPUT_TOKENS_RETRY = 32768
#: Used by ``embed`` when neither ``model=`` nor ``WOM_EMBEDDING_MODEL`` is given.
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
#: Texts per ``/embeddings`` request, and their estimated tokens. OpenAI allows
#: 2048 inputs and 300,000 tokens per request; smaller requests keep one answer
#: (a float vector per text) a few MB at most and the estimate's error harmless.
EMBEDDING_BATCH_SIZE = 256
EMBEDDING_BATCH_TOKENS = 100_000
#: Sent as the API key to endpoints that need none (local servers), because
#: the openai client refuses to run without one.
LOCAL_PLACEHOLDER_KEY = "not-needed"

# Exit statuses of every `wom` command (each --help and the README list them);
# ``BatchRun.run`` returns them too.
#: Done: for `wom analyze`, every review ended as an insight or a per-review error.
EXIT_OK = 0
#: Failed: nothing (more) could be done (no endpoint, the endpoint down, an unwritable file).
EXIT_FAILED = 1
#: Usage error: bad arguments, or an input that cannot be read as asked. argparse's own.
EXIT_USAGE = 2
#: `wom alerts` only: something new was raised (0 then means nothing new), so that cron
#: or a CI job can act on the status alone. 3: no other command uses it.
EXIT_NEW_ALERTS = 3
#: `wom analyze` only: stopped at the budget (`wom analyze --budget`): what finished is kept, the
#: reviews not done are not in the output; the same command continues.
EXIT_BUDGET = 4
#: Interrupted by Ctrl-C: 128 + SIGINT, the shell's convention. What finished is kept.
EXIT_INTERRUPTED = 130

#: The language of a text whose language is not known: BCP 47's "undetermined"
#: (RFC 5646 section 4.1; ISO 639-2 "und"). Results, reports and the reply guard all say this.
UNKNOWN_LANGUAGE = "und"
