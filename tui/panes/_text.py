"""Text from data shown as written. Names and messages may hold `[` (`Bad[/]name`), which
markup reads as a tag — a crash for a stray close tag, a silent restyle for `[b]`."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

__all__ = ["cell"]

_MARKUP_LIKE = re.compile(r"\[|:\S*?:")  # a tag (or an escape), or an emoji code such as :fire:


def cell(text: Any) -> Any:
    """A `DataTable` cell showing `text` as written. The table reads a str as Rich markup
    (emoji codes too), so text that could hold either becomes a `Text`; the rest (and
    anything not a str) is left as it is, as cheap to draw and to compare as before."""
    return Text(text) if isinstance(text, str) and _MARKUP_LIKE.search(text) else text
