"""Commands: `@command` metadata and the argument binder built once per command.

A command is a plain function. Its parameters say where each value comes from:
`State[T]` (managed state), `AppHandle`, `Window` (the caller), `Channel[T]`
(a stream back to the caller), and everything else from the invoke args,
validated by pydantic. The validator is built at registration so a call costs
one dict walk plus one pydantic-core validation.
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, get_args, get_origin

from typing_extensions import NotRequired, Required, TypedDict

import pydantic
from pydantic import AliasChoices, ConfigDict, Field, TypeAdapter

from ._errors import InvalidArgs
from ._state import State, annotation_key

__all__ = ["command", "CommandSpec", "get_spec", "to_camel"]

_ATTR = "__dataforge_command__"


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _is_optional(tp: Any) -> bool:
    """`X | None` may be left out (it is None then, like serde's `Option`); `Any` and an
    unannotated parameter may not — a missing key is an error, not a silent None."""
    origin = get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return type(None) in get_args(tp)
    return tp is None or tp is type(None)


@dataclass(slots=True)
class _Arg:
    name: str
    camel: str
    required: bool
    annotation: Any


@dataclass
class CommandSpec:
    """Everything `invoke` needs to call one command, computed at registration."""

    fn: Callable[..., Any]
    name: str
    thread: bool
    is_async: bool
    args: list[_Arg] = field(default_factory=list)
    states: dict[str, Any] = field(default_factory=dict)  # param -> state key
    app_params: tuple[str, ...] = ()
    window_params: tuple[str, ...] = ()
    channel_params: dict[str, Any] = field(default_factory=dict)  # param -> item type
    fill_none: tuple[str, ...] = ()  # optional params without a default
    key_map: dict[str, str] = field(default_factory=dict)  # accepted key -> param
    validator: Any = None
    fast_validator: Any = None  # the happy path: either spelling per key, extras forbidden
    adapter: TypeAdapter | None = None
    result_type: Any = None
    doc: str = ""
    plain: bool = False  # sync, on the loop, no channels: invoke calls it inline

    def bind_args(self, args: Any) -> dict[str, Any]:
        """Validate invoke args into keyword arguments (raises `InvalidArgs`)."""
        fast = self.fast_validator
        if fast is not None and type(args) is dict:
            try:
                return fast.validate_python(args)  # one pydantic call, no Python loop
            except pydantic.ValidationError:
                pass  # the path below names every problem, with "did you mean" hints
        return self.bind_args_detailed(args)

    def bind_args_detailed(self, args: Any) -> dict[str, Any]:
        """`bind_args` without the fast path: every problem named, with "did you mean" hints."""
        if args is None:
            args = {}
        elif not isinstance(args, dict):
            raise InvalidArgs(self.name, [{"param": "args", "message":
                f"args must be an object of named values, not {type(args).__name__}"}])
        key_map = self.key_map
        out: dict[str, Any] = {}
        used: dict[str, str] = {}  # param -> the key the caller spelt it with
        errors: list[dict[str, str]] | None = None
        for key, value in args.items():
            param = key_map.get(key)
            if param is None or param in out:
                errors = errors if errors is not None else []
                errors.append(self._key_error(key, param))
                continue
            out[param] = value
            used[param] = key
        channels = None
        if self.channel_params:
            channels = {p: out.pop(p) for p in self.channel_params if p in out}
            missing = [p for p in self.channel_params if p not in channels]
            if missing:
                errors = errors if errors is not None else []
                errors += [{"param": p, "key": to_camel(p), "message": f"command {self.name} "
                            f"missing required key {to_camel(p)}"} for p in missing]
        if self.validator is not None:
            try:
                validated = self.validator.validate_python(out)
            except pydantic.ValidationError as exc:
                errors = (errors or []) + self._pydantic_errors(exc, used)
            else:
                out = validated
        if errors:
            raise InvalidArgs(self.name, errors)
        if channels:
            out.update(channels)
        return out

    def _key_error(self, key: Any, param: str | None) -> dict[str, str]:
        if param is not None:
            return {"param": param, "key": to_camel(param), "message":
                    f"both `{param}` and `{to_camel(param)}` given; pass one spelling"}
        msg = f"unexpected key {key!r}"
        if isinstance(key, str):
            close = difflib.get_close_matches(key, list(self.key_map), n=1, cutoff=0.6)
            if not close:
                lowered = {k.lower().replace("_", ""): k for k in self.key_map}
                hit = lowered.get(key.lower().replace("_", "").replace("-", ""))
                close = [hit] if hit else []
            if close:
                msg += f" (did you mean `{close[0]}`?)"
        expected = ", ".join(f"`{a.camel}`" for a in self.args) or "none"
        return {"param": str(key), "key": str(key), "message": f"{msg}; expected keys: {expected}"}

    def _pydantic_errors(self, exc: pydantic.ValidationError,
                         used: dict[str, str] | None = None) -> list[dict[str, str]]:
        """One error per problem; `key` (and the message) spell the key as the caller did
        (camelCase when it was missing), `param` names the Python parameter."""
        out = []
        for err in exc.errors(include_url=False):
            loc = err.get("loc") or ("args",)
            param = str(loc[0])
            key = (used or {}).get(param, to_camel(param))
            where = ".".join([key, *(str(p) for p in loc[1:])])
            if err.get("type") == "missing" and len(loc) == 1:
                message = f"command {self.name} missing required key {key}"
            else:
                message = f"{where}: {err.get('msg')}"
                if "input" in err and err.get("type") != "missing":
                    message += f" (got {_short(err['input'])})"
            out.append({"param": param, "key": key, "message": message})
        return out


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _classify(spec: CommandSpec, hints: dict[str, Any]) -> None:
    from ._app import AppHandle  # circular at import time only
    from ._channel import Channel
    from ._window import Window

    sig = inspect.signature(spec.fn)
    first = next(iter(sig.parameters), None)
    if first in ("self", "cls") and not inspect.ismethod(spec.fn):
        raise TypeError(f"command {spec.name}: its first parameter is `{first}`, so the caller "
                        f"would have to send it — register the bound method instead, "
                        f"`command(obj.{spec.fn.__name__})`, or make it a plain function")
    fields: dict[str, Any] = {}
    fast_fields: dict[str, Any] = {}
    app_params, window_params = [], []
    for pname, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"command {spec.name}: *args/**kwargs are not supported ({pname})")
        ann = hints.get(pname, Any)
        origin = get_origin(ann)
        if origin is State or ann is State:
            targs = get_args(ann)
            if not targs:
                raise TypeError(f"command {spec.name}: State needs a type, e.g. State[MyState]")
            spec.states[pname] = annotation_key(targs[0])
        elif ann is AppHandle:
            app_params.append(pname)
        elif ann is Window:
            window_params.append(pname)
        elif origin is Channel or ann is Channel:
            targs = get_args(ann)
            spec.channel_params[pname] = targs[0] if targs else Any
            spec.key_map[pname] = spec.key_map[to_camel(pname)] = pname
        else:
            has_default = param.default is not param.empty
            required = not has_default and not _is_optional(ann)
            arg = _Arg(pname, to_camel(pname), required, ann)
            spec.args.append(arg)
            spec.key_map[pname] = pname
            spec.key_map[arg.camel] = pname
            fields[pname] = Required[ann] if required else NotRequired[ann]
            alias = AliasChoices(arg.camel, pname) if arg.camel != pname else pname
            aliased = Annotated[ann, Field(validation_alias=alias)]
            fast_fields[pname] = Required[aliased] if required else NotRequired[aliased]
    spec.fill_none = tuple(
        a.name for a in spec.args
        if not a.required and sig.parameters[a.name].default is inspect.Parameter.empty
    )
    spec.app_params = tuple(app_params)
    spec.window_params = tuple(window_params)
    if fields:
        td = TypedDict(f"{spec.name}_args", fields)  # type: ignore[misc]
        td.__pydantic_config__ = ConfigDict(arbitrary_types_allowed=True)  # type: ignore[attr-defined]
        spec.adapter = TypeAdapter(td)
        spec.validator = spec.adapter.validator
        if not spec.channel_params:
            fast = TypedDict(f"{spec.name}_fast_args", fast_fields)  # type: ignore[misc]
            fast.__pydantic_config__ = ConfigDict(arbitrary_types_allowed=True, extra="forbid")  # type: ignore[attr-defined]
            spec.fast_validator = TypeAdapter(fast).validator


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-:/]*")


def _make_spec(fn: Callable, name: str | None, thread: bool) -> CommandSpec:
    cname = name or fn.__name__
    if not _NAME_RE.fullmatch(cname):
        raise ValueError(f"invalid command name {cname!r}")
    is_async = inspect.iscoroutinefunction(fn)
    if thread and is_async:
        raise TypeError(f"command {cname}: thread=True is for sync functions; async ones are awaited")
    spec = CommandSpec(fn=fn, name=cname, thread=thread, is_async=is_async,
                       doc=inspect.cleandoc(fn.__doc__ or ""))
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # unresolved forward references
        raise TypeError(f"command {cname}: cannot resolve type hints: {exc}") from exc
    spec.result_type = hints.pop("return", Any)
    _classify(spec, hints)
    spec.plain = not (is_async or thread or spec.channel_params)
    return spec


def command(fn: Callable | None = None, *, name: str | None = None, thread: bool = False):
    """Mark a function as a command; it stays directly callable with its own signature.

    `@command`, or `@command(name="other_name", thread=True)` to run a sync
    function in a worker thread instead of on the event loop.
    """

    def mark(f: Callable) -> Callable:
        spec = _make_spec(f, name, thread)
        if inspect.ismethod(f):  # a bound method holds no attributes: a function that calls it
            f = _calling(f)
            spec.fn = f
        setattr(f, _ATTR, spec)
        return f

    return mark(fn) if fn is not None else mark


def _calling(method: Callable) -> Callable:
    """A function with the bound `method`'s name, signature and kind (sync or async)."""
    import functools

    if inspect.iscoroutinefunction(method):
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await method(*args, **kwargs)
    else:
        def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)
    functools.update_wrapper(call, method)
    call.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
    return call


def get_spec(fn: Callable) -> CommandSpec:
    spec = getattr(fn, _ATTR, None)
    if spec is None:
        raise TypeError(f"{getattr(fn, '__name__', fn)!r} is not a command: decorate it with @command")
    return spec
