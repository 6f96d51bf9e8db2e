"""The bundled local model server (llama.cpp through llama-cpp-python).

From a shell, ``python -m wom_sdk.local`` runs it in the foreground.
"""

from __future__ import annotations

from .._exceptions import LocalExtraMissingError, LocalServerError
from ._errors import INSTALL_HINT
from ._model import BUNDLED_MODEL, BundledModel, cache_dir, ensure_model
from ._server import (
    DEFAULT_MODEL_ALIAS,
    DEFAULT_N_CTX,
    DEFAULT_STARTUP_TIMEOUT,
    LocalServer,
    is_available,
)

__all__ = [
    "BUNDLED_MODEL",
    "DEFAULT_MODEL_ALIAS",
    "DEFAULT_N_CTX",
    "DEFAULT_STARTUP_TIMEOUT",
    "INSTALL_HINT",
    "BundledModel",
    "LocalExtraMissingError",
    "LocalServer",
    "LocalServerError",
    "cache_dir",
    "ensure_model",
    "is_available",
]
