"""Text hardening: cleaning, PII redaction, quote grounding, reply checks.

Private modules; the public names (``ReplyPolicy``) are exported by ``wom_sdk``.
"""

from __future__ import annotations

__all__ = [
]
