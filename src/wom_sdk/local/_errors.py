"""The install command the errors of ``wom_sdk.local`` point to.

The errors themselves (``LocalServerError``, ``LocalExtraMissingError``) live with
every other error in ``wom_sdk._exceptions``.
"""

from __future__ import annotations

__all__ = ["INSTALL_HINT"]

INSTALL_HINT = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install 'wom-sdk[local]'"
)
