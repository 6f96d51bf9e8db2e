"""The bundled local model server (llama.cpp through llama-cpp-python).

From a shell, ``python -m wom_sdk.local`` runs it in the foreground.
"""

from __future__ import annotations

from ._server import (
    DEFAULT_MODEL_ALIAS,
    DEFAULT_N_CTX,
    DEFAULT_STARTUP_TIMEOUT,
    INSTALL_HINT,
    LocalExtraMissingError,
    LocalServer,
    LocalServerError,
    ensure_model,
    is_available,
)

__all__ = [
    "DEFAULT_MODEL_ALIAS",
    "DEFAULT_N_CTX",
    "DEFAULT_STARTUP_TIMEOUT",
    "INSTALL_HINT",
    "LocalExtraMissingError",
    "LocalServer",
    "LocalServerError",
    "ensure_model",
    "is_available",
]
