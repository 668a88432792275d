"""Words for counts: "1 well", "2 wells" — the app speaks to people, not to logs."""

from __future__ import annotations

__all__ = ["count"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and `noun`, plural unless `n` is 1 (`plural` for irregular nouns)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
