"""The event log pane: a filter applies to the rows already shown, not only to new ones."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList

from tui_helpers import L, make_app, ready, wait_until


def names(log) -> list[str]:
    table = log.query_one(DataTable)
    return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]


def numbers(log) -> list[int]:
    table = log.query_one(DataTable)
    return [int(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def flushed(log, pilot) -> None:
    """Everything emitted so far has been delivered to the log and taken from its buffer."""
    await pilot.app.core.drain()
    await wait_until(lambda: not log._buffer, pilot=pilot)


async def test_changing_the_filter_refilters_the_rows_already_shown(tmp_path):
    app = make_app(tmp_path, L.Leaf("event-log-1", "event-log"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        log.action_clear()
        for name in ["list-curves-x", "check-request", "get-curve-data-z", "check-again"]:
            app.core.emit(name, {"i": 1})
        await flushed(log, pilot)
        await wait_until(lambda: "check-again" in names(log), pilot=pilot)
        assert {"list-curves-x", "get-curve-data-z"} <= set(names(log))

        log.query_one("#log-filter").value = "check"
        await wait_until(lambda: set(names(log)) == {"check-request", "check-again"}, pilot=pilot)
        assert numbers(log) == [1, 2]  # the view is renumbered
        assert "2 shown" in str(log.query_one("#log-state").render())

        # A row the filter hid when it arrived is still kept: another filter shows it.
        app.core.emit("zebra-event", {"i": 2})
        await flushed(log, pilot)
        log.query_one("#log-filter").value = "z"
        await wait_until(lambda: "check-request" not in names(log), pilot=pilot)
        assert set(names(log)) == {"get-curve-data-z", "zebra-event"}

        log.query_one("#log-filter").value = ""
        await wait_until(lambda: "check-request" in names(log), pilot=pilot)
        assert [n for n in names(log) if n in {"list-curves-x", "check-request", "get-curve-data-z",
                                                "check-again", "zebra-event"}] == [
            "list-curves-x", "check-request", "get-curve-data-z", "check-again", "zebra-event"]
        assert numbers(log) == list(range(1, len(names(log)) + 1))


async def test_a_new_filter_shows_at_most_the_kept_history_and_clear_forgets_it(tmp_path):
    from tui.panes._event_log import _HISTORY, _MAX_ROWS

    app = make_app(tmp_path, L.Leaf("event-log-1", "event-log"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        log.query_one("#log-filter").value = "nothing-is-called-this"
        await wait_until(lambda: log.name_filter == "nothing-is-called-this", pilot=pilot)
        total = 3 * _HISTORY
        for i in range(total):
            app.core.emit("flood", {"i": i})
            if i % 200 == 199:
                await flushed(log, pilot)
        await flushed(log, pilot)
        table = log.query_one(DataTable)
        assert table.row_count == 0

        log.query_one("#log-filter").value = "flood"
        await wait_until(lambda: table.row_count > 0, pilot=pilot)
        assert table.row_count <= min(_HISTORY, _MAX_ROWS)
        values = [str(table.get_row_at(i)[7]) for i in range(table.row_count)]
        assert values[-1] == f"i={total - 1}"  # the newest are the ones kept
        assert values == [f"i={total - table.row_count + k}" for k in range(table.row_count)]
        assert numbers(log) == list(range(1, table.row_count + 1))
        assert table.cursor_row == table.row_count - 1  # it follows the tail
        assert f"{table.row_count} shown" in str(log.query_one("#log-state").render())

        # New rows continue the view's numbering.
        app.core.emit("flood", {"i": total})
        await flushed(log, pilot)
        await wait_until(lambda: str(table.get_row_at(table.row_count - 1)[7]) == f"i={total}", pilot=pilot)
        assert numbers(log) == list(range(1, table.row_count + 1))

        # Clear forgets the history too: a later filter brings nothing back.
        log.action_clear()
        log.query_one("#log-filter").value = "flo"
        await wait_until(lambda: log.name_filter == "flo" and not getattr(log, "_refilter_due", False), pilot=pilot)
        assert table.row_count == 0


async def test_rows_arriving_after_a_filter_change_are_filtered_too(tmp_path):
    app = make_app(tmp_path, L.Leaf("event-log-1", "event-log"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        log.query_one("#log-filter").value = "keep"
        await wait_until(lambda: log.name_filter == "keep", pilot=pilot)
        app.core.emit("drop-me", None)
        app.core.emit("keep-me", None)
        await flushed(log, pilot)
        await wait_until(lambda: "keep-me" in names(log), pilot=pilot)
        assert names(log) == ["keep-me"]


async def test_a_filter_change_while_paused_refilters_but_draws_nothing_new(tmp_path):
    app = make_app(tmp_path, L.Leaf("event-log-1", "event-log"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        log = app.query_one("#event-log-1")
        log.action_clear()
        app.core.emit("alpha-one", None)
        app.core.emit("beta-one", None)
        await flushed(log, pilot)
        await wait_until(lambda: "beta-one" in names(log), pilot=pilot)
        log.action_pause()
        app.core.emit("alpha-two", None)  # arrives while paused: not drawn yet
        log.query_one("#log-filter").value = "alpha"
        await wait_until(lambda: log.name_filter == "alpha" and not getattr(log, "_refilter_due", False), pilot=pilot)
        assert names(log) == ["alpha-one"]
        log.action_pause()
        await wait_until(lambda: "alpha-two" in names(log), pilot=pilot)
        assert names(log) == ["alpha-one", "alpha-two"] and numbers(log) == [1, 2]


async def test_an_event_log_opened_later_starts_with_the_recent_traffic(tmp_path):
    """Opening the inspector after something happened shows it (a user review: it started empty)."""
    app = make_app(tmp_path, L.Leaf("curves-1", "curves"))
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        app.core.emit("before-the-log", {"i": 1})
        await app.core.invoke("list_workspaces")
        await app.core.drain()
        await pilot.press("n")  # a new pane, of a kind picked from the list
        await wait_until(lambda: app.screen.query("OptionList"), pilot=pilot)
        options = app.screen.query_one(OptionList)
        index = next(i for i in range(options.option_count)
                     if "event" in str(options.get_option_at_index(i).prompt).lower())
        options.highlighted = index
        await pilot.press("enter")
        await wait_until(lambda: app.query("EventLogPane"), pilot=pilot)
        log = app.query_one("EventLogPane")
        await wait_until(lambda: {"before-the-log", "list_workspaces"} <= set(names(log)), pilot=pilot)
        assert names(log).index("before-the-log") < names(log).index("list_workspaces")
        assert numbers(log) == list(range(1, len(names(log)) + 1))
        # Closing it leaves only the app's recorder on the core's taps.
        taps = len(app.core.bus.taps), len(app.core.invoke_taps)
        log.query_one(DataTable).focus()
        await pilot.press("x")
        await wait_until(lambda: not app.query("EventLogPane"), pilot=pilot)
        assert (len(app.core.bus.taps), len(app.core.invoke_taps)) == taps == (1, 1)
        assert app.ipc_recorder._subscribers == []
