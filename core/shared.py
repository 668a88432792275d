"""Shared backend state, synced to every window — "keep state in the backend, sync via events"
done once, correctly.

Hand-rolled "update state, then emit" goes stale: an event emitted before a window
listens is lost (tauri#3484, #9296). Here every change carries a revision; a window's
store starts from the current snapshot, applies changes in revision order, ignores
stale ones and re-reads the snapshot when it sees a gap.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

import pydantic

from ._events import validate_event_name
from .stores import readable, safe_not_equal

if TYPE_CHECKING:
    from ._app import AppHandle
    from ._window import Window

__all__ = ["SharedState", "SyncedStore", "sync_store"]

T = TypeVar("T")


class SharedState(Generic[T]):
    """A named value owned by the backend; each change emits `state:<name>` `{revision, value}`."""

    def __init__(self, app: "AppHandle", name: str, initial: T, *, model: type | None = None) -> None:
        self.name = validate_event_name(name, "shared state name")
        self.event = f"state:{name}"
        self._app = app
        self._lock = threading.RLock()
        model = model or (type(initial) if isinstance(initial, pydantic.BaseModel) else None)
        self._adapter = pydantic.TypeAdapter(model) if model is not None else None
        self._value = self._validate(initial) if initial is not None else initial
        self._revision = 0

    def _validate(self, value: Any) -> T:
        return value if self._adapter is None else self._adapter.validate_python(value)

    @property
    def revision(self) -> int:
        return self._revision

    def get(self) -> T:
        return self._value

    def snapshot(self) -> tuple[int, T]:
        """The value and its revision, read together."""
        with self._lock:
            return self._revision, self._value

    def set(self, value: T) -> int:
        """Replace the value (validated if a model); safe from any thread. Returns the revision."""
        value = self._validate(value)
        with self._lock:
            if not safe_not_equal(self._value, value):
                return self._revision
            self._revision += 1
            self._value = value
            # Posted under the lock, so events leave in revision order whatever the thread.
            self._app.bus.post(self.event, {"revision": self._revision, "value": value})
            return self._revision

    def update(self, fn: Callable[[T], T]) -> int:
        with self._lock:
            return self.set(fn(self._value))

    def __repr__(self) -> str:
        return f"SharedState({self.name!r}, revision={self._revision}, value={self._value!r})"


class SyncedStore:
    """A window's readable mirror of a `SharedState`; `.revision` is the last one applied.

    The store's start function holds the window, the shared state and a revision box, but
    not this object: no reference cycle, so a closed window is freed as soon as it is
    dropped (not at the next cyclic garbage collection)."""

    def __init__(self, window: "Window", shared: SharedState) -> None:
        self._revision = [-1]
        self._store = readable(shared.get(), _mirror(window, shared, self._revision))

    @property
    def revision(self) -> int:
        return self._revision[0]

    def subscribe(self, run: Callable[[Any], Any], invalidate: Callable | None = None):
        return self._store.subscribe(run, invalidate)


def _mirror(window: "Window", shared: SharedState, revision: list[int]):
    """The start function of a `SyncedStore`: load the snapshot, then apply each change in
    order, reloading the snapshot when a revision was missed."""

    def start(set_value: Callable[[Any], None]) -> Callable[[], None]:
        def load_snapshot() -> None:
            revision[0], value = shared.snapshot()
            set_value(value)

        def on_change(event) -> None:
            if event.source is not None:
                return  # only the backend's SharedState speaks for the state, never a window
            new = event.payload["revision"]
            if new <= revision[0]:
                return  # stale: a snapshot already covered it
            if new == revision[0] + 1:
                revision[0] = new
                set_value(event.payload["value"])
            else:
                load_snapshot()  # a gap: the snapshot is at least this new

        unlisten = window.listen(shared.event, on_change)
        load_snapshot()
        return unlisten

    return start


def sync_store(window: "Window", name: str) -> SyncedStore:
    shared = window.app.get_shared(name)
    if shared is None:
        known = ", ".join(sorted(window.app._shared)) or "none"
        raise KeyError(f"no shared state {name!r} (the backend creates it with "
                       f"app.shared({name!r}, initial); shared states: {known})")
    return SyncedStore(window, shared)
