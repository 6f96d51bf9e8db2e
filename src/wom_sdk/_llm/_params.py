"""Request parameters that adapt per endpoint and model, like the output-mode ladder does.

What a chat request carries besides the messages and the output mode: the name
of the output cap (``max_tokens`` or ``max_completion_tokens``), its size, and
the sampling parameters. Endpoints disagree on them:

* OpenAI's reasoning models (the o-series and the GPT-5 and GPT-6 families)
  refuse ``max_tokens`` ("not compatible with o-series models", openai-python
  ``resources/chat/completions/completions.py``, the ``max_tokens`` docstring) and
  any ``temperature`` / ``top_p`` but their default. The error body names the
  parameter (OpenAI's shape, e.g. ``{"error": {"message": "Unsupported parameter:
  'max_tokens' is not supported with this model. Use 'max_completion_tokens'
  instead.", "type": "invalid_request_error", "param": "max_tokens", "code":
  "unsupported_parameter"}}``, quoted in teilomillet/gollm#33 and
  tailcallhq/forgecode#1081; ``"code": "unsupported_value"`` with ``"param":
  "temperature"``: "Only the default (1) value is supported",
  BeehiveInnovations/pal-mcp-server#78).
* Their ``max_completion_tokens`` covers the hidden reasoning too ("including
  visible output tokens and reasoning tokens", the same docstring), so their
  budget is the visible answer plus a reasoning allowance
  (``REASONING_OUTPUT_TOKENS`` in ``_constants``).

``ParamRules`` is what is known about one endpoint and model; ``adapt`` is the
one step taken when a 400 names a parameter. It is remembered per endpoint and
model (``EndpointMemory``), each parameter adapted at most once, so the same
mistake is never sent twice. A parameter the caller set explicitly is never
dropped behind their back: the caller gets ``UnsupportedFeatureError`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .._constants import DEFAULT_REASONING_EFFORT, REASONING_OUTPUT_TOKENS

__all__ = [
    "SAMPLING_PARAMS",
    "TOKEN_PARAMS",
    "ParamRules",
    "adapt",
    "initial_rules",
    "is_reasoning_model",
    "output_budget",
]

#: The two names of the output cap; an endpoint knows one or both.
TOKEN_PARAMS = ("max_tokens", "max_completion_tokens")
#: Parameters that only tune sampling: the analysis works without them, so an
#: endpoint that refuses one (and that the caller did not set) gets the request without it.
SAMPLING_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "stop",
        "n",
        "reasoning_effort",
    }
)
#: What reasoning models accept only at their default (see the module docstring).
_REASONING_DROPS = frozenset({"temperature", "top_p"})
# The documented families: "o1", "o3-mini", "o4-mini-2025-04-16"; "gpt-5", "gpt-5.4-nano",
# "gpt-6-luna" (openai-python ``types/shared/chat_model.py`` lists them; OpenAI's model
# pages say "Reasoning token support" for each). A gateway's "openai/gpt-5" counts too.
_REASONING_NAME = re.compile(r"^(?:o\d+|gpt-[56])(?:[.\-]|$)")


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` names one of OpenAI's reasoning families (by its documented names)."""
    return bool(_REASONING_NAME.match(model.rsplit("/", 1)[-1].strip().lower()))


@dataclass(frozen=True)
class ParamRules:
    """How to phrase a request's parameters for one endpoint and model."""

    #: the output cap's name: "max_tokens" or "max_completion_tokens"
    token_param: str = "max_tokens"
    #: a reasoning model: its cap also pays for hidden reasoning
    reasoning: bool = False
    #: sampling parameters left out unless the caller set them
    dropped: frozenset[str] = frozenset()
    #: parameters already adapted after a rejection (never twice)
    adapted: frozenset[str] = frozenset()


def initial_rules(model: str) -> ParamRules:
    """What to send before the endpoint has said anything."""
    if is_reasoning_model(model):
        return ParamRules("max_completion_tokens", reasoning=True, dropped=_REASONING_DROPS)
    return ParamRules()


def output_budget(visible: int, rules: ParamRules, reasoning_effort: str | None) -> int:
    """The output cap to send: the visible answer, plus a reasoning model's thinking allowance."""
    if not rules.reasoning:
        return visible
    default = REASONING_OUTPUT_TOKENS[DEFAULT_REASONING_EFFORT]
    return visible + REASONING_OUTPUT_TOKENS.get(reasoning_effort or "", default)


def adapt(
    rules: ParamRules, param: str, code: str | None, user_set: frozenset[str]
) -> ParamRules | None:
    """The rules after the endpoint refused ``param``; None when nothing right can be done.

    None means: the same parameter was already adapted (no loop), the caller set
    it explicitly (their call, not ours), or it is not one the analysis can do without.
    """
    if param in rules.adapted:
        return None
    adapted = rules.adapted | {param}
    if param in TOKEN_PARAMS:
        if param != rules.token_param:
            return None  # refused a name we did not send: nothing to switch
        other = TOKEN_PARAMS[1 - TOKEN_PARAMS.index(param)]
        if other == "max_completion_tokens":
            # OpenAI refuses max_tokens only for its reasoning models: adapt to all of
            # their rules at once, so that temperature costs no second wasted request.
            return ParamRules(
                other, reasoning=True, dropped=rules.dropped | _REASONING_DROPS, adapted=adapted
            )
        return replace(rules, token_param=other, adapted=adapted)
    if param not in SAMPLING_PARAMS or param in user_set:
        return None
    if param in _REASONING_DROPS and code == "unsupported_value" and not rules.reasoning:
        # "Only the default (1) value is supported": a reasoning model (see above).
        return ParamRules(
            "max_completion_tokens",
            reasoning=True,
            dropped=rules.dropped | _REASONING_DROPS,
            adapted=adapted,
        )
    return replace(rules, dropped=rules.dropped | {param}, adapted=adapted)
