"""The errors of ``wom_sdk.local``, and the install command they point to."""

from __future__ import annotations

from pathlib import Path

from .._exceptions import WomError

__all__ = ["INSTALL_HINT", "LocalExtraMissingError", "LocalServerError"]

INSTALL_HINT = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install 'wom-sdk[local]'"
)


class LocalServerError(WomError):
    """Raised when the local model server cannot be started or has died."""

    kind = "local_server"

    def __init__(self, message: str, *, log_path: Path | None = None) -> None:
        super().__init__(message)
        #: the server's log when it failed to start, kept for a look (its tail
        #: is in the message); the caller may delete it
        self.log_path = log_path


class LocalExtraMissingError(LocalServerError, ImportError):
    """Raised when the ``local`` extra (llama-cpp-python server, the model) is not installed."""

    kind = "local_extra_missing"
