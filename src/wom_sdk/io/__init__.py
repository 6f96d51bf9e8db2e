"""Files in and out: review readers, the JSONL results file, DataFrames, batch runs.
"""

from __future__ import annotations

__all__ = [
]
