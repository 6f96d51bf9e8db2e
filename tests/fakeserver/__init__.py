"""A fake OpenAI-compatible server, for benchmarks and fault-injection tests.

Pure standard library, so it ships in the wheel at no cost::

    from fakeserver import FakeOpenAIServer, FaultPlan

    with FakeOpenAIServer(rpm=600, faults=FaultPlan(script=["429", None])) as srv:
        ...  # point a client at srv.base_url; then look at srv.stats(), srv.requests

or from a shell: ``python -m fakeserver --rpm 600 --port 0``.
"""

from ._fake_server import FakeOpenAIServer
from ._faults import FAULT_KINDS, FaultKind, FaultPlan
from ._profiles import (
    PROFILES,
    VLLM,
    Anthropic,
    Azure,
    DeepSeek,
    Gemini,
    LlamaCpp,
    Ollama,
    OpenAIChat,
    OpenAIReasoning,
    Profile,
    Qwen,
    Refusal,
)
from ._responder import Responder, default_responder, minimal_instance
from ._stats import RecordedRequest, ServerStats
from ._wom_responder import wom_responder

__all__ = [
    "FAULT_KINDS",
    "PROFILES",
    "VLLM",
    "Anthropic",
    "Azure",
    "DeepSeek",
    "FakeOpenAIServer",
    "FaultKind",
    "FaultPlan",
    "Gemini",
    "LlamaCpp",
    "Ollama",
    "OpenAIChat",
    "OpenAIReasoning",
    "Profile",
    "Qwen",
    "RecordedRequest",
    "Refusal",
    "Responder",
    "ServerStats",
    "default_responder",
    "minimal_instance",
    "wom_responder",
]
