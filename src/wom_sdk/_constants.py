"""Defaults, in one place so that the docs and the code cannot disagree."""

from __future__ import annotations

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "DEFAULT_MAX_REASKS",
    "DEFAULT_MODEL",
    "DEFAULT_TEMPERATURE",
    "DEFAULT_TIMEOUT",
    "EMBEDDING_BATCH_SIZE",
    "EMBEDDING_BATCH_TOKENS",
    "EXIT_BUDGET",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "LOCAL_PLACEHOLDER_KEY",
    "UNKNOWN_LANGUAGE",
]

#: Used when neither ``model=`` nor ``WOM_MODEL`` is given.
DEFAULT_MODEL = "gpt-4o-mini"
#: Seconds one request may take. openai's own default (600 s) hides a hung
#: endpoint for ten minutes per review; an analysis answer takes seconds.
DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Validation re-asks after the first answer (so at most 3 answers per task).
DEFAULT_MAX_REASKS = 2
#: Enough for an insight with several complaints and a reply; bounds cost and
#: the tokens a provider reserves against the per-minute limit.
DEFAULT_MAX_OUTPUT_TOKENS = 1024
#: Analysis wants repeatable labels more than creativity.
DEFAULT_TEMPERATURE = 0.0
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
#: Stopped at the budget (`wom analyze --budget`): what finished is kept, the
#: reviews not done are not in the output; the same command continues.
EXIT_BUDGET = 3
#: Interrupted by Ctrl-C: 128 + SIGINT, the shell's convention. What finished is kept.
EXIT_INTERRUPTED = 130

#: The language of a text whose language is not known: BCP 47's "undetermined"
#: (RFC 5646 section 4.1; ISO 639-2 "und"). Results, reports and the reply guard all say this.
UNKNOWN_LANGUAGE = "und"
