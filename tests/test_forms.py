"""The generated parameter forms speak the user's words, not pydantic's or the code's."""

from __future__ import annotations

import pytest

from tui.forms import humanize
from tui.words import count

PROPS = {"gr_shale": {"title": "GR shale (API)"}, "gr_clean": {"title": "GR clean (API)"},
         "window": {"title": "Window"}, "plain": {}}


@pytest.mark.parametrize("message, shown", [
    ("gr_shale (-10.0) must be greater than gr_clean (-5.0)",
     "GR shale (API) (-10.0) must be greater than GR clean (API) (-5.0)"),
    ("Input should be a valid number, unable to parse string as a number", "not a number"),
    ("Input should be a valid integer, unable to parse string as an integer", "not a whole number"),
    ("Input should be greater than or equal to 3", "must be at least 3"),
    ("Input should be less than 1001", "must be less than 1001"),
    ("Value error, window must be odd", "Window must be odd"),
    ("plain stays plain; gr_shale_x and x.gr_shale are other names", "plain stays plain; "
     "gr_shale_x and x.gr_shale are other names"),
])
def test_messages_use_the_forms_labels_and_plain_phrases(message, shown):
    assert humanize(message, PROPS) == shown


def test_counts_are_singular_for_one():
    assert [count(n, "well") for n in (0, 1, 2, 1500)] == ["0 wells", "1 well", "2 wells", "1,500 wells"]
    assert count(1, "curve") == "1 curve"


def test_percent_null_never_reads_zero_when_there_are_nulls():
    from tui.panes._curves import _pct

    assert [_pct(0, 0.0), _pct(100, 0.01), _pct(600, 0.06), _pct(5, 50.0)] == ["0.0", "<0.1", "0.1", "50.0"]
