"""Commands: registration, argument binding, injection, errors, threads, cancellation."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import pydantic
import pytest

from core import (
    AppHandle,
    Builder,
    CommandFailed,
    CommandNotFound,
    InvalidArgs,
    InvokeError,
    Mutex,
    RwLock,
    State,
    StateNotManaged,
    Window,
    command,
)


@dataclass
class Counter:
    n: int = 0


class Filter(pydantic.BaseModel):
    min_depth: float
    max_depth: float | None = None


@command
def list_wells(workspace_id: int, counter: State[Counter]) -> list[str]:
    counter.n += 1
    return [f"well-{workspace_id}-{counter.n}"]


@command
def describe(request: Filter, limit: int = 10, tag: str | None = None) -> dict:
    return {"request": request, "limit": limit, "tag": tag}


@command
def who_called(window: Window, app: AppHandle) -> str:
    assert isinstance(app, AppHandle)
    return window.label


@command(thread=True)
def in_thread() -> str:
    return threading.current_thread().name


@command
def on_loop() -> int:
    return threading.get_ident()


@command
async def slow(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "done"


@command
def boom(kind: str) -> None:
    if kind == "value":
        raise ValueError("bad value here")
    raise KeyError("missing")


@command(name="renamed_cmd")
def original_name() -> str:
    return "renamed"


@command(thread=True)
def bump_locked(counter: State[Mutex[Counter]]) -> int:
    with counter.lock() as c:
        c.n += 1
        return c.n


@command
def needs_missing_state(x: State[Filter]) -> None:  # Filter is never managed
    pass


def make_app() -> AppHandle:
    return (
        Builder()
        .manage(Counter())
        .invoke_handler(list_wells, describe, who_called, in_thread, on_loop, slow, boom,
                        original_name, needs_missing_state)
        .build()
    )


def test_decorated_function_stays_callable():
    assert list_wells(3, Counter(4)) == ["well-3-5"]
    assert describe(Filter(min_depth=1))["limit"] == 10


async def test_invoke_with_camel_and_snake_keys():
    app = make_app()
    assert await app.invoke("list_wells", {"workspaceId": 7}) == ["well-7-1"]
    assert await app.invoke("list_wells", {"workspace_id": 7}) == ["well-7-2"]
    assert app.state(Counter).n == 2


async def test_nested_model_validated_from_dict_and_defaults():
    app = make_app()
    out = await app.invoke("describe", {"request": {"min_depth": 100, "max_depth": "200.5"}})
    assert out["request"] == Filter(min_depth=100, max_depth=200.5)
    assert out["limit"] == 10 and out["tag"] is None


async def test_unknown_command():
    app = make_app()
    with pytest.raises(CommandNotFound, match="^Command nope not found$"):
        await app.invoke("nope")
    name = next(iter(app.commands))  # a registered name, mistyped: invoke itself suggests it
    with pytest.raises(CommandNotFound, match=f"did you mean {name}\\?$") as info:
        await app.invoke(name[:-1])
    assert info.value.suggestions == [name]


@pytest.mark.parametrize("name, suggestions", [
    ("list_workspace", ["list_workspaces"]),  # not every `*_workspace` too
    ("ListWorkspaces", ["list_workspaces"]),
    ("list-wells", ["list_wells"]),
    ("get_curve_stat", ["get_curve_stats"]),
    ("nope", []),
])
def test_command_not_found_suggests_close_registered_names(name, suggestions):
    known = ["list_workspaces", "select_workspace", "create_workspace", "list_wells",
             "get_curve_stats", "get_curve_data"]
    err = CommandNotFound(name, known=known)
    assert err.suggestions == suggestions
    assert err.command == name and isinstance(err, InvokeError)
    if suggestions:
        assert str(err) == f"Command {name} not found; did you mean {suggestions[0]}?"
    else:
        assert str(err) == f"Command {name} not found"
    assert err.to_dict() == {"kind": "command-not-found", "command": name, "message": str(err),
                             "suggestions": suggestions}


def test_command_not_found_without_known_names_keeps_tauris_message():
    err = CommandNotFound("nope")
    assert str(err) == "Command nope not found" and err.suggestions == []
    assert CommandNotFound("x", known={"y": 1}).suggestions == []  # a dict of specs works too
    assert CommandNotFound("lst_wells", known={"list_wells": object()}).suggestions == ["list_wells"]


@pytest.mark.parametrize(
    "args, param, fragment",
    [
        # keys named as the caller spelt them, camelCase (Tauri's) when missing
        ({}, "workspaceId", "command list_wells missing required key workspaceId"),
        ({"workspaceId": "abc"}, "workspaceId", "workspaceId: Input should be a valid integer"),
        ({"workspace_id": "abc"}, "workspace_id", "workspace_id: Input should be a valid integer"),
        ({"workspaceID": 1}, "workspaceID", "did you mean `workspaceId`"),
        ({"workspace": 1}, "workspace", "did you mean"),
        ({"workspaceId": 1, "workspace_id": 1}, "workspaceId", "pass one spelling"),
        ({"workspaceId": 1, "extra": 2}, "extra", "unexpected key 'extra'"),
    ],
)
async def test_invalid_args(args, param, fragment):
    app = make_app()
    with pytest.raises(InvalidArgs) as info:
        await app.invoke("list_wells", args)
    err = info.value
    assert str(err).startswith(f"invalid args `{param}` for command `list_wells`:")
    assert fragment in str(err)
    assert err.errors and all({"param", "key", "message"} <= set(e) for e in err.errors)
    assert app.state(Counter).n == 0  # the body never ran


async def test_invalid_args_lists_every_problem():
    app = make_app()
    with pytest.raises(InvalidArgs) as info:
        await app.invoke("describe", {"request": {"min_depth": "x"}, "limit": "many", "tagg": 1})
    params = [e["param"] for e in info.value.errors]
    assert "tagg" in params and "request" in params and "limit" in params
    assert any("did you mean `tag`" in e["message"] for e in info.value.errors)


async def test_args_must_be_a_mapping():
    app = make_app()
    with pytest.raises(InvalidArgs, match="args must be an object"):
        await app.invoke("list_wells", [1, 2])


async def test_window_and_app_injection():
    app = make_app()
    win = app.create_window("main")
    assert await app.invoke("who_called", window=win) == "main"
    assert await win.invoke("who_called") == "main"
    assert await app.invoke("who_called", window="main") == "main"
    with pytest.raises(InvalidArgs, match="needs a calling window"):
        await app.invoke("who_called")


async def test_thread_and_loop_placement():
    app = make_app()
    assert (await app.invoke("in_thread")).startswith("dataforge-command")
    assert await app.invoke("on_loop") == threading.get_ident()


async def test_command_errors_become_command_failed():
    app = make_app()
    with pytest.raises(CommandFailed) as info:
        await app.invoke("boom", {"kind": "value"})
    assert str(info.value) == "bad value here"
    assert isinstance(info.value.error, ValueError)
    assert info.value.__cause__ is info.value.error
    assert isinstance(info.value, InvokeError)
    # the app keeps working afterwards
    assert await app.invoke("renamed_cmd") == "renamed"


@pytest.mark.parametrize("error, text", [
    (KeyError("missing"), "KeyError: 'missing'"),  # a bug's error names its type
    (AttributeError("x"), "AttributeError: x"),
    (ValueError(""), "ValueError"),  # no text: the type says something
    (ValueError("bad value"), "bad value"),  # a message error says its message
    (LookupError("well 3 not found"), "LookupError: well 3 not found"),
])
async def test_a_failed_commands_message_says_what_went_wrong(error, text):
    @command
    def fails() -> None:
        raise error

    app = Builder().invoke_handler(fails).build()
    with pytest.raises(CommandFailed) as info:
        await app.invoke("fails")
    assert str(info.value) == text and info.value.error is error


def test_a_domain_lookup_error_keeps_its_own_message():
    from core._errors import describe_error
    from core.dataforge.models import NotFound

    assert describe_error(NotFound("well", 3)) == "well 3 not found"


async def test_state_not_managed_message():
    app = make_app()
    with pytest.raises(StateNotManaged) as info:
        await app.invoke("needs_missing_state")
    assert str(info.value) == (
        "state not managed for field `x` on command `needs_missing_state`. "
        "You must call `.manage()` before using this command"
    )


async def test_state_managed_after_a_failed_invoke_is_injected_next_time():
    # invoke caches each command's injected states; `manage` must invalidate that cache
    app = make_app()
    with pytest.raises(StateNotManaged):
        await app.invoke("needs_missing_state")
    assert app.manage(Filter(min_depth=3)) is True
    assert await app.invoke("needs_missing_state") is None

    @command
    def read_filter(x: State[Filter]) -> float:
        return x.min_depth

    app.register(read_filter)
    assert await app.invoke("read_filter") == 3


async def test_cancelling_the_caller_cancels_an_async_command():
    app = make_app()
    started = asyncio.Event()

    @command
    async def wait_forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.append(True)

    cancelled: list[bool] = []
    app.register(wait_forever)
    task = asyncio.create_task(app.invoke("wait_forever"))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == [True]


def test_builder_rejects_duplicates():
    with pytest.raises(ValueError, match="state for type 'Counter' is already being managed"):
        Builder().manage(Counter()).manage(Counter())
    with pytest.raises(ValueError, match="registered twice"):
        Builder().invoke_handler(list_wells, list_wells)


async def test_app_manage_and_lookup():
    app = make_app()
    first = app.state(Counter)
    assert app.manage(Counter(99)) is False
    assert app.state(Counter) is first
    assert app.try_state(Filter) is None
    with pytest.raises(StateNotManaged):
        app.state(Filter)
    assert app.manage(Filter(min_depth=0)) is True
    assert app.state(Filter).min_depth == 0


async def test_mutex_state_from_many_threads_loses_no_update():
    app = Builder().manage(Mutex(Counter())).invoke_handler(bump_locked).build()
    results = await asyncio.gather(*(app.invoke("bump_locked") for _ in range(200)))
    assert sorted(results) == list(range(1, 201))
    with app.state(Mutex[Counter]).lock() as c:
        assert c.n == 200


def test_rwlock_readers_and_writer():
    rw = RwLock({"n": 0})

    def writer():
        for _ in range(500):
            with rw.write() as v:
                v["n"] += 1

    seen = []

    def reader():
        for _ in range(500):
            with rw.read() as v:
                seen.append(v["n"])

    threads = [threading.Thread(target=writer) for _ in range(4)] + [
        threading.Thread(target=reader) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with rw.read() as v:
        assert v["n"] == 2000
    assert all(0 <= s <= 2000 for s in seen)


def test_command_requires_decorator():
    def plain():
        pass

    with pytest.raises(TypeError, match="not a command"):
        Builder().invoke_handler(plain)


async def test_errors_a_tauri_user_meets_say_what_to_do():
    """Messages found unclear by a developer review: each now names the fix."""
    from core import PermissionDenied
    from core.capabilities import Acl, Capability

    @command
    def bump(counter: Counter) -> int:  # meant State[Counter]
        counter.n += 1
        return counter.n

    @command
    def locked(counter: State[Counter]) -> int:  # meant State[Mutex[Counter]]
        return counter.n

    @command
    def who(window: Window) -> str:
        return window.label

    app = Builder().manage(Mutex(Counter())).invoke_handler(bump, locked, who).build()
    with pytest.raises(InvalidArgs, match=r"missing required key counter \(`counter` is a parameter "
                                          r"of a managed type: annotate it `State\[Mutex\[Counter\]\]`"):
        await app.invoke("bump")
    with pytest.raises(StateNotManaged, match=r"no Counter is managed, but Mutex\[Counter\] is — "
                                              r"annotate it State\[Mutex\[Counter\]\]$"):
        await app.invoke("locked")
    with pytest.raises(InvalidArgs, match=r"^invalid args `window` for command `who`: no window "
                                          r"labelled 'nope' \(open windows: none\)"):
        await app.invoke("who", window="nope")

    # "Did you mean" never names a command the calling window may not call.
    app.acl = Acl([Capability(identifier="viewer", windows=["viewer"], permissions=["allow-who"])])
    viewer = app.create_window("viewer")
    with pytest.raises(CommandNotFound) as info:
        await viewer.invoke("bumpp")
    assert info.value.suggestions == [] and str(info.value) == "Command bumpp not found"
    with pytest.raises(CommandNotFound, match="did you mean who"):
        await viewer.invoke("whom")
    with pytest.raises(CommandNotFound, match="did you mean bump"):
        await app.invoke("bumpp")  # the backend is trusted: it may hear every name
    with pytest.raises(PermissionDenied):
        await viewer.invoke("bump")


async def test_a_pydantic_error_inside_a_command_reads_as_a_sentence():
    """`dataforge invoke set_depth_window` printed pydantic's type tags, input dump and an
    errors.pydantic.dev link (a user review)."""

    class Window_(pydantic.BaseModel):
        top: float
        bottom: float

        @pydantic.model_validator(mode="after")
        def _order(self):
            if self.top >= self.bottom:
                raise ValueError(f"top ({self.top}) must be above bottom ({self.bottom})")
            return self

    @command
    def set_window(top: float, bottom: float) -> None:
        Window_(top=top, bottom=bottom)

    app = Builder().invoke_handler(set_window).build()
    with pytest.raises(CommandFailed) as info:
        await app.invoke("set_window", {"top": 2000, "bottom": 1000})
    assert str(info.value) == "Window_: top (2000.0) must be above bottom (1000.0)"
    assert isinstance(info.value.error, pydantic.ValidationError)


async def test_an_unannotated_or_any_parameter_is_required_not_silently_none():
    """`def untyped(x, y)` invoked with only y gave x=None (a developer's review)."""
    @command
    def untyped(x, y: Any):
        return (x, y)

    app = Builder().invoke_handler(untyped).build()
    with pytest.raises(InvalidArgs) as info:
        await app.invoke("untyped", {"y": 2})
    assert "missing required key x" in str(info.value)
    assert await app.invoke("untyped", {"x": None, "y": [1]}) == (None, [1])  # given None is fine


def test_a_method_is_refused_with_a_way_out_and_a_bound_method_registers():
    with pytest.raises(TypeError, match=r"first parameter is `self`.*command\(obj\.hello\)"):
        class Service:
            @command
            def hello(self, name: str) -> str:
                return name

    class Greeter:
        prefix = "hi"

        def hello(self, name: str) -> str:
            return f"{self.prefix} {name}"

        async def later(self, name: str) -> str:
            await asyncio.sleep(0)
            return f"later {name}"

    svc = Greeter()
    app = Builder().invoke_handler(command(svc.hello), command(svc.later)).build()

    async def check():
        assert await app.invoke("hello", {"name": "bob"}) == "hi bob"
        assert await app.invoke("later", {"name": "ann"}) == "later ann"
        with pytest.raises(InvalidArgs, match="unexpected key 'self'"):
            await app.invoke("hello", {"name": "bob", "self": 5})

    asyncio.run(check())


def test_an_async_setup_is_refused_rather_than_never_run():
    async def opens(app):
        pass

    with pytest.raises(TypeError, match=r"setup\(opens\) is async"):
        Builder().setup(opens)
