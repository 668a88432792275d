"""UDF declarations, the registry, the ``@udf`` decorator and input matching.

A UDF is a plain function ``fn(inputs: dict[str, np.ndarray], params: ParamsModel, ctx) -> np.ndarray``
declared with :func:`udf`. Nothing here knows about databases, events or the UI.
"""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import UdfDefinitionError, UdfInputError, UdfNotFoundError, UdfParamsError

__all__ = [
    "InputSpec",
    "OutputSpec",
    "ResolvedOutput",
    "UdfDef",
    "UdfInfo",
    "InputInfo",
    "OutputInfo",
    "NoParams",
    "UdfRegistry",
    "REGISTRY",
    "udf",
    "match_inputs",
    "format_validation_error",
]

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

# A template is either a str.format template or a callable(params, mnemonics, units) -> str.
# Format keys: every input name (-> its curve mnemonic), "<name>_unit" (-> its unit) and "params".
Template = str | Callable[[BaseModel, Mapping[str, str], Mapping[str, str]], str]


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InputSpec:
    """One input curve of a UDF.

    ``mnemonics`` are aliases in priority order, matched case-insensitively (an empty tuple means
    "any curve": the caller must choose it explicitly). ``unit`` is a hint for the UI.
    """

    name: str
    mnemonics: tuple[str, ...] = ()
    unit: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise UdfDefinitionError(f"input name must be a Python identifier, got {self.name!r}")
        mn = self.mnemonics
        if isinstance(mn, str):
            mn = (mn,)
        mn = tuple(str(m).strip() for m in mn)
        if any(not m for m in mn):
            raise UdfDefinitionError(f"input {self.name!r}: empty mnemonic alias")
        object.__setattr__(self, "mnemonics", mn)


@dataclass(frozen=True)
class ResolvedOutput:
    mnemonic: str
    unit: str
    description: str


@dataclass(frozen=True)
class OutputSpec:
    """The curve a UDF produces. Each field is a ``str.format`` template or a callable.

    Templates may use ``{<input name>}`` (the input curve's mnemonic, e.g. ``"{curve}_MA"``),
    ``{<input name>_unit}`` and ``{params.<field>}``. A callable receives
    ``(params, mnemonics, units)`` and returns the string.
    """

    mnemonic: Template
    unit: Template = ""
    description: Template = ""

    def resolve(self, params: BaseModel, mnemonics: Mapping[str, str] | None = None,
                units: Mapping[str, str] | None = None, *,
                input_names: Sequence[str] = ()) -> ResolvedOutput:
        mn = {n: f"<{n}>" for n in input_names}
        mn.update({k: _clean_mnemonic(v) for k, v in (mnemonics or {}).items()})
        un = {n: "" for n in input_names}
        un.update({k: str(v or "") for k, v in (units or {}).items()})
        fmt: dict[str, Any] = dict(mn)
        fmt.update({f"{k}_unit": v for k, v in un.items()})
        fmt["params"] = params

        def one(t: Template) -> str:
            if callable(t):
                return str(t(params, mn, un))
            return str(t).format(**fmt)

        return ResolvedOutput(one(self.mnemonic), one(self.unit), one(self.description))


def _clean_mnemonic(m: Any) -> str:
    # lasio names duplicates "GR:1"; a derived "GR:1_MA" would be ugly (and ":" is awkward in LAS)
    return str(m).strip().replace(":", "_").replace(" ", "_")


class NoParams(BaseModel):
    """Parameters model for UDFs that take none."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------
# Info models (what a UI needs to list UDFs and generate forms)
# --------------------------------------------------------------------------------------------

class InputInfo(BaseModel):
    name: str
    aliases: list[str]
    unit: str = ""
    description: str = ""


class OutputInfo(BaseModel):
    mnemonic: str = Field(description="Output mnemonic for the default parameters; "
                                      "'<input>' placeholders stand for the input curve's mnemonic")
    unit: str = ""
    description: str = ""


class UdfInfo(BaseModel):
    id: str
    name: str
    description: str = ""
    category: str = "General"
    inputs: list[InputInfo]
    output: OutputInfo
    params_schema: dict[str, Any]
    defaults: dict[str, Any]
    windowed: bool = Field(False, description="Uses neighbouring samples (a moving window)")
    whole_curve_stats: bool = Field(False, description="Needs a first pass over the whole curve")
    source: str = Field("builtin", description="'builtin', a plugin file path or 'entry point: ...'")


# --------------------------------------------------------------------------------------------
# The registered definition
# --------------------------------------------------------------------------------------------

@dataclass(eq=False)
class UdfDef:
    id: str
    name: str
    description: str
    category: str
    inputs: tuple[InputSpec, ...]
    output: OutputSpec
    params_model: type[BaseModel]
    fn: Callable[..., Any]
    window: Callable[[BaseModel, float | None], int] | None = None
    prepare: Callable[..., Mapping[str, Any] | None] | None = None
    nan_propagate: bool = True
    source: str = "builtin"

    # -- inputs / params ------------------------------------------------------------------
    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    def input(self, name: str) -> InputSpec:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise UdfInputError(f"UDF {self.id!r} has no input {name!r} "
                            f"(inputs: {', '.join(self.input_names)})", input_name=name)

    def default_params(self) -> BaseModel:
        return self.params_model()

    def validate_params(self, params: Mapping[str, Any] | BaseModel | None = None) -> BaseModel:
        """Return a validated params model instance or raise :class:`UdfParamsError`."""
        model = self.params_model
        if params is None:
            params = {}
        if isinstance(params, model):
            data: Any = params.model_dump()
        elif isinstance(params, BaseModel):
            data = params.model_dump()
        elif isinstance(params, Mapping):
            data = dict(params)
        else:
            raise UdfParamsError(
                f"invalid parameters for {self.id!r}: expected a dict or a "
                f"{model.__name__} instance, got {type(params).__name__}", udf_id=self.id,
                errors=[{"field": "", "message": "not a mapping"}])
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            message, errors = format_validation_error(exc)
            raise UdfParamsError(f"invalid parameters for {self.id!r}: {message}",
                                 udf_id=self.id, errors=errors) from None

    def window_samples(self, params: BaseModel, step: float | None) -> int:
        """Window length in samples (1 for pointwise UDFs)."""
        if self.window is None:
            return 1
        w = int(self.window(params, step))
        if w < 1:
            raise UdfParamsError(f"invalid parameters for {self.id!r}: window must be >= 1 sample",
                                 udf_id=self.id, errors=[{"field": "window",
                                                          "message": "must be >= 1 sample"}])
        return w

    # -- output ---------------------------------------------------------------------------
    def output_for(self, params: Mapping[str, Any] | BaseModel | None = None,
                   mnemonics: Mapping[str, str] | None = None,
                   units: Mapping[str, str] | None = None) -> ResolvedOutput:
        """Output mnemonic/unit/description for these params and input curves.

        ``mnemonics``/``units`` map input names to the matched curves' mnemonic/unit
        (e.g. ``{"curve": "GR"}`` makes the moving average ``GR_MA``).
        """
        p = self.validate_params(params)
        return self.output.resolve(p, mnemonics, units, input_names=self.input_names)

    def info(self) -> UdfInfo:
        defaults = self.default_params()
        out = self.output.resolve(defaults, None, None, input_names=self.input_names)
        return UdfInfo(
            id=self.id, name=self.name, description=self.description, category=self.category,
            inputs=[InputInfo(name=i.name, aliases=list(i.mnemonics), unit=i.unit,
                              description=i.description) for i in self.inputs],
            output=OutputInfo(mnemonic=out.mnemonic, unit=out.unit, description=out.description),
            params_schema=self.params_model.model_json_schema(),
            defaults=defaults.model_dump(mode="json"),
            windowed=self.window is not None,
            whole_curve_stats=self.prepare is not None,
            source=self.source,
        )

    def __repr__(self) -> str:
        return f"UdfDef(id={self.id!r}, name={self.name!r}, source={self.source!r})"


def format_validation_error(exc: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    """A readable one-line message naming the bad field(s), plus a structured list."""
    errors: list[dict[str, Any]] = []
    parts: list[str] = []
    for e in exc.errors(include_url=False):
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "__root__")
        msg = str(e.get("msg", "invalid value"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        text = f"{loc}: {msg}" if loc else msg
        if loc and "input" in e and e.get("type") != "missing":
            text += f" (got {e['input']!r})"
        errors.append({"field": loc, "message": msg})
        parts.append(text)
    return "; ".join(parts) or str(exc), errors


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

class UdfRegistry:
    """A thread-safe collection of :class:`UdfDef` keyed by id."""

    def __init__(self, name: str = "udfs") -> None:
        self.name = name
        self._defs: dict[str, UdfDef] = {}
        self._lock = threading.RLock()

    # -- mutation --------------------------------------------------------------------------
    def register(self, definition: UdfDef, *, replace: bool = False) -> UdfDef:
        if not isinstance(definition, UdfDef):
            raise UdfDefinitionError(f"expected a UdfDef, got {type(definition).__name__}")
        with self._lock:
            old = self._defs.get(definition.id)
            if old is not None and not replace:
                raise UdfDefinitionError(
                    f"a UDF with id {definition.id!r} is already registered (from {old.source})")
            self._defs[definition.id] = definition
        return definition

    def unregister(self, udf_id: str) -> UdfDef | None:
        with self._lock:
            return self._defs.pop(udf_id, None)

    def udf(self, id: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering into this registry (same arguments as :func:`udf`)."""
        return udf(id, registry=self, **kwargs)

    def copy(self, name: str | None = None) -> UdfRegistry:
        new = UdfRegistry(name or self.name)
        with self._lock:
            new._defs = dict(self._defs)
        return new

    # -- lookup ----------------------------------------------------------------------------
    def get(self, udf_id: str) -> UdfDef:
        with self._lock:
            d = self._defs.get(udf_id)
            if d is None:
                raise UdfNotFoundError(udf_id, list(self._defs))
            return d

    def resolve(self, udf: str | UdfDef) -> UdfDef:
        return udf if isinstance(udf, UdfDef) else self.get(udf)

    def ids(self) -> list[str]:
        with self._lock:
            return sorted(self._defs)

    def info(self, udf_id: str) -> UdfInfo:
        return self.get(udf_id).info()

    def list(self, category: str | None = None) -> list[UdfInfo]:
        """Info of every UDF (optionally of one category), sorted by category then name."""
        with self._lock:
            defs = list(self._defs.values())
        if category is not None:
            defs = [d for d in defs if d.category.lower() == category.lower()]
        defs.sort(key=lambda d: (d.category.lower(), d.name.lower(), d.id))
        return [d.info() for d in defs]

    def categories(self) -> list[str]:
        with self._lock:
            return sorted({d.category for d in self._defs.values()}, key=str.lower)

    def __contains__(self, udf_id: object) -> bool:
        with self._lock:
            return udf_id in self._defs

    def __len__(self) -> int:
        with self._lock:
            return len(self._defs)

    def __bool__(self) -> bool:  # an empty registry is still a registry (not "no registry")
        return True

    def __iter__(self) -> Iterator[UdfDef]:
        with self._lock:
            return iter(sorted(self._defs.values(), key=lambda d: d.id))

    def __repr__(self) -> str:
        return f"UdfRegistry({self.name!r}, {len(self)} udfs)"


REGISTRY = UdfRegistry("default")

# While plugins are imported, the bare @udf decorator registers into a staging registry so that a
# broken plugin leaves nothing half-registered (see plugins.py).
_ACTIVE_REGISTRY: contextvars.ContextVar[UdfRegistry | None] = contextvars.ContextVar(
    "dataforge_udf_active_registry", default=None)
_ACTIVE_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "dataforge_udf_active_source", default=None)


def _coerce_input(spec: Any) -> InputSpec:
    if isinstance(spec, InputSpec):
        return spec
    if isinstance(spec, Mapping):
        return InputSpec(**spec)
    if isinstance(spec, (tuple, list)):
        return InputSpec(*spec)
    if isinstance(spec, str):
        return InputSpec(spec, (spec.upper(),))
    raise UdfDefinitionError(f"cannot make an InputSpec from {spec!r}")


def udf(id: str, *, name: str, description: str = "", inputs: Iterable[Any],
        output: OutputSpec | str, params: type[BaseModel] | None = None,
        category: str = "General", window: Callable[[BaseModel, float | None], int] | None = None,
        prepare: Callable[..., Mapping[str, Any] | None] | None = None,
        nan_propagate: bool = True, registry: UdfRegistry | None = None,
        replace: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare and register a UDF.

    ``fn(inputs, params, ctx) -> ndarray`` receives read-only float64 arrays keyed by input name
    (one chunk at a time, see :func:`execute`), a validated ``params`` model and a
    :class:`UdfContext`. Optional hooks:

    * ``window(params, step) -> int``: the UDF is a moving-window filter of that many samples
      (odd); the engine gives each chunk ``window // 2`` samples of overlap on both sides so the
      result is identical chunked or not.
    * ``prepare(inputs, params, ctx) -> dict``: a first pass over the *whole* curves (e.g. P5/P95);
      the dict is available as ``ctx.stats`` in every chunk.
    * ``nan_propagate`` (default True): the engine sets the result to NaN wherever any input is NaN.

    Returns ``fn`` unchanged (with ``fn.__udf__`` set to the :class:`UdfDef`).
    """
    if not isinstance(id, str) or not _ID_RE.match(id):
        raise UdfDefinitionError(f"invalid UDF id {id!r}: use letters, digits, '_', '.', '-'")
    if not isinstance(name, str) or not name.strip():
        raise UdfDefinitionError(f"UDF {id!r}: name must be a non-empty string")
    try:
        in_specs = tuple(_coerce_input(s) for s in inputs)
    except UdfDefinitionError as exc:
        raise UdfDefinitionError(f"UDF {id!r}: {exc}") from None
    except TypeError as exc:
        raise UdfDefinitionError(f"UDF {id!r}: bad inputs: {exc}") from None
    if not in_specs:
        raise UdfDefinitionError(f"UDF {id!r}: at least one input is required")
    lowered = [s.name.lower() for s in in_specs]
    if len(set(lowered)) != len(lowered):
        raise UdfDefinitionError(f"UDF {id!r}: duplicate input names {[s.name for s in in_specs]}")
    if isinstance(output, str):
        output = OutputSpec(output)
    if not isinstance(output, OutputSpec):
        raise UdfDefinitionError(f"UDF {id!r}: output must be an OutputSpec or a mnemonic string")
    model = NoParams if params is None else params
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise UdfDefinitionError(f"UDF {id!r}: params must be a pydantic BaseModel subclass")
    try:
        defaults = model()
    except ValidationError as exc:
        raise UdfDefinitionError(
            f"UDF {id!r}: every field of {model.__name__} needs a default "
            f"({format_validation_error(exc)[0]})") from None
    if window is not None and not callable(window):
        raise UdfDefinitionError(f"UDF {id!r}: window must be callable(params, step) -> int")
    if prepare is not None and not callable(prepare):
        raise UdfDefinitionError(f"UDF {id!r}: prepare must be callable(inputs, params, ctx)")
    try:  # templates must be resolvable with the defaults
        output.resolve(defaults, None, None, input_names=[s.name for s in in_specs])
    except Exception as exc:  # noqa: BLE001 - any template error is a definition error
        raise UdfDefinitionError(f"UDF {id!r}: output template failed: {exc!r}") from None

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(fn):
            raise UdfDefinitionError(f"UDF {id!r}: @udf must decorate a function")
        target = registry if registry is not None else _ACTIVE_REGISTRY.get()
        if target is None:
            target = REGISTRY
        source = _ACTIVE_SOURCE.get()
        if source is None:
            module = str(getattr(fn, "__module__", "") or "")
            source = "builtin" if module.startswith("core.dataforge.udfs") else (module or "?")
        definition = UdfDef(
            id=id, name=name.strip(), description=description, category=category,
            inputs=in_specs, output=output, params_model=model, fn=fn, window=window,
            prepare=prepare, nan_propagate=nan_propagate, source=str(source))
        target.register(definition, replace=replace)
        try:
            fn.__udf__ = definition  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            pass
        return fn

    return decorator


# --------------------------------------------------------------------------------------------
# Input matching
# --------------------------------------------------------------------------------------------

def _suffix_re(alias: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(alias)}[:_]\d+$", re.IGNORECASE)


def match_inputs(udf: str | UdfDef, curves: Iterable[Sequence[Any]],
                 overrides: Mapping[str, Hashable] | None = None, *,
                 registry: UdfRegistry | None = None) -> dict[str, Hashable]:
    """Pick a curve for every input of ``udf``.

    ``curves`` is a list of ``(curve_id, mnemonic)`` pairs (extra tuple items are ignored).
    For each input the aliases are tried in priority order, case-insensitively: first exact
    mnemonics (any alias), then ``ALIAS:N`` / ``ALIAS_N`` duplicates (e.g. lasio's ``GR:1``).
    A curve already used (by an override or an earlier input) is not picked again.
    ``overrides`` maps input names to curve ids and always wins.

    Raises :class:`UdfInputError` naming the input and the aliases tried.
    """
    d = (REGISTRY if registry is None else registry).resolve(udf)
    pairs: list[tuple[Hashable, str]] = []
    for item in curves:
        try:
            cid, mnem = item[0], item[1]
        except (TypeError, IndexError, KeyError):
            raise UdfInputError(f"curves must be (id, mnemonic) pairs, got {item!r}") from None
        pairs.append((cid, "" if mnem is None else str(mnem).strip()))
    known_ids = {cid for cid, _ in pairs}
    names = d.input_names
    overrides = dict(overrides or {})
    for in_name, cid in overrides.items():
        if in_name not in names:
            raise UdfInputError(f"UDF {d.id!r} has no input {in_name!r} "
                                f"(inputs: {', '.join(names)})", input_name=in_name)
        if cid not in known_ids:
            raise UdfInputError(f"inputs={{{in_name!r}: {cid!r}}} for {d.id!r}: "
                                f"no curve with id {cid!r}", input_name=in_name)

    result: dict[str, Hashable] = {}
    used: set[Hashable] = set(overrides.values())
    for spec in d.inputs:
        if spec.name in overrides:
            result[spec.name] = overrides[spec.name]
            continue
        if not spec.mnemonics:
            raise UdfInputError(
                f"input {spec.name!r} of {d.id!r} accepts any curve: choose one explicitly "
                f"with inputs={{{spec.name!r}: <curve id>}}", input_name=spec.name)
        found = _find_curve(spec.mnemonics, pairs, used)
        if found is None:
            available = ", ".join(m for _, m in pairs) or "none"
            raise UdfInputError(
                f"no curve found for input {spec.name!r} of {d.id!r}; tried (case-insensitive, "
                f"also as NAME:1/NAME_1): {', '.join(spec.mnemonics)}; available curves: "
                f"{available}. Choose one explicitly with inputs={{{spec.name!r}: <curve id>}}.",
                input_name=spec.name, aliases=spec.mnemonics)
        result[spec.name] = found
        used.add(found)
    return result


def _find_curve(aliases: Sequence[str], pairs: Sequence[tuple[Hashable, str]],
                used: set[Hashable]) -> Hashable | None:
    for alias in aliases:
        a = alias.upper()
        for cid, mnem in pairs:
            if cid not in used and mnem.upper() == a:
                return cid
    for alias in aliases:
        rx = _suffix_re(alias)
        for cid, mnem in pairs:
            if cid not in used and rx.match(mnem):
                return cid
    return None
