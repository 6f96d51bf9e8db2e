"""Token estimates without a tokenizer.

The rate limiter needs a number before the request is sent. Tokenizer files
(tiktoken's included) are downloaded on first use, which this SDK must never
do, and the real count arrives with the response anyway (the limiter then
corrects itself). So: CJK characters count about one token each in current
OpenAI/Qwen/DeepSeek vocabularies; other text about four characters a token.
The estimate leans high on purpose: a little under-use of the limit is cheap,
a 429 is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["estimate_messages_tokens", "estimate_tokens"]

# Per-message framing the chat format adds (role markers, separators).
_MESSAGE_OVERHEAD = 4
_REPLY_PRIMING = 3


def _is_wide(cp: int) -> bool:
    return (
        0x2E80 <= cp <= 0x9FFF  # CJK radicals .. unified ideographs, kana, bopomofo
        or 0xAC00 <= cp <= 0xD7AF  # Hangul syllables
        or 0xF900 <= cp <= 0xFAFF  # CJK compatibility ideographs
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms
        or 0x20000 <= cp <= 0x3FFFF  # CJK extensions B..
        or cp >= 0x1F000  # emoji: usually 2-3 tokens, counted once here and once below
    )


def estimate_tokens(text: str) -> int:
    """Rough token count of ``text`` (CJK-aware; see the module docstring)."""
    if text.isascii():  # the common case for prompts: skip the per-character loop
        return (len(text) + 3) // 4
    wide = 0
    for ch in text:
        if ord(ch) >= 0x2E80 and _is_wide(ord(ch)):
            wide += 1
    narrow = len(text) - wide
    return wide + (narrow + 3) // 4


def estimate_messages_tokens(messages: Iterable[Mapping[str, object]]) -> int:
    """Rough prompt-token count of chat messages."""
    total = _REPLY_PRIMING
    for m in messages:
        total += _MESSAGE_OVERHEAD
        content = m.get("content")
        if isinstance(content, str):
            total += estimate_tokens(content)
    return total
