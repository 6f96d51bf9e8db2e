"""What the providers' Batch APIs document, in one place: limits, states, window, price.

OpenAI (https://platform.openai.com/docs/guides/batch and "Create batch" in the API
reference; openai-python ``types/batch_create_params.py``):

- an input file holds at most 50,000 requests and 200 MB, uploaded to ``/v1/files``
  with purpose ``batch``; one model per file; ``completion_window`` is "24h", the
  only value accepted;
- "Enqueued prompt tokens per model": each model has a maximum of input tokens
  queued in unfinished batches, per account tier, shown on the account's Limits page
  (the guide's "Rate limits"; https://help.openai.com/en/articles/9197833-batch-api-faq).
  It cannot be read from the API, so it is a setting (``max_enqueued_tokens``);
- 50% of the synchronous price ("Each model will be offered at 50% cost discount
  vs. the synchronous APIs", the FAQ above);
- an ``expired`` batch returns what it finished ("any already completed work is
  returned"); ``metadata`` takes 16 pairs of up to 64 / 512 characters.

Azure OpenAI (MicrosoftDocs/azure-ai-docs, ``articles/ai-services/openai/how-to/batch.md``,
``includes/global-batch-limits.md``, ``ai-foundry/openai/includes/batch/batch-rest.md``):

- the same JSONL and the same states, at ``https://RESOURCE.openai.azure.com/openai/v1/``
  (``/files``, ``/batches``) for the v1 API;
- ``model`` in every line must name a **Global-Batch deployment** (a standard
  deployment cannot run batch files): hence ``batch_model=``;
- at most 100,000 requests and 200 MB a file, 500 files per resource;
  enqueued-token quota per deployment (``token_limit_exceeded`` past it);
- 50% less than global standard; jobs past 24h are not expired ("we do not expire
  the jobs that take longer").
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "AZURE",
    "BATCH_PRICE_FACTOR",
    "CHAT_ENDPOINT",
    "COMPLETION_WINDOW",
    "ENDED",
    "OPENAI",
    "STATES",
    "ProviderLimits",
    "limits_for",
]

#: The one window both providers accept.
COMPLETION_WINDOW = "24h"
#: The ``url`` of every request line and the ``endpoint`` of the batch.
CHAT_ENDPOINT = "/v1/chat/completions"
#: Batch price / online price, on OpenAI and on Azure OpenAI (see the module docstring).
BATCH_PRICE_FACTOR = 0.5
#: Every state a batch can be in (openai-python ``types/batch.py``), in life order.
STATES = ("validating", "in_progress", "finalizing", "completed", "failed", "expired",
          "cancelling", "cancelled")
#: States a batch never leaves.
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass(frozen=True)
class ProviderLimits:
    """Per input file: requests and bytes; the price factor; does the window expire jobs."""

    name: str
    max_requests: int
    #: 200 MB, read as 10**6 bytes a MB: the stricter reading of "MB"
    max_bytes: int
    expires: bool = True


OPENAI = ProviderLimits("OpenAI", max_requests=50_000, max_bytes=200_000_000)
AZURE = ProviderLimits("Azure OpenAI", max_requests=100_000, max_bytes=200_000_000,
                       expires=False)
_AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


def limits_for(base_url: str | None) -> ProviderLimits:
    """Azure's limits for an Azure endpoint; OpenAI's (the stricter) for any other."""
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    return AZURE if host.endswith(_AZURE_HOSTS) else OPENAI
