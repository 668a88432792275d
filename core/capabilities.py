"""Capabilities: Tauri 2's ACL for commands and window emits.

A *capability* names the windows it applies to (label globs, `fnmatch` style:
`log-tracks-*`) and the permissions it grants them:

* `allow-<command>` / `deny-<command>` — a command (exact name, or a glob such as `allow-*`);
* `allow-emit-<event>` / `deny-emit-<event>` — an event a window may emit (globs: `allow-emit-ui:*`);
* the identifier of a *permission set* (`dataforge:read`, `core:default`, ...), which expands
  to its own permissions; sets may include sets (a cycle is a ValueError naming the set).

A window's rights are the union of every capability whose `windows` match its label, and
**deny always wins** over allow. A window no capability matches may do nothing (default
deny). Backend and CLI calls (no window) are trusted and never checked.

    acl = load_capabilities(shipped_dir, user_dir)   # later dirs override; missing ones are skipped
    install(app, acl)                                                  # or: app.acl = acl

`AppHandle` calls `acl.check_command(name, window)` on every windowed invoke and
`acl.check_event(event, window)` on every window emit. The answer is cached per label and
per name, so a check is two dict lookups; changing the ACL (`add`, `remove`,
`add_permission_set`, `invalidate`) drops the caches.

Files (`*.json`, `*.toml`) hold either one capability
(`{"identifier", "description", "windows", "permissions"}`) or lists:
`{"capabilities": [...], "permission_sets": [...]}` (`[[set]]` is accepted for Tauri's
permission-file spelling). `$schema` is ignored; any other unknown key is an error.

Built in: `core:default` — the events the core framework itself emits (`state:*`,
`window-*`, `listener-error`) are backend-only: a window whose capabilities include this set
is denied them. `state:*` is refused to every window whatever its capabilities (shared state
speaks for itself); list `core:default` to guard the others too.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import threading
import tomllib
from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._errors import PermissionDenied

__all__ = [
    "Acl",
    "Capability",
    "PermissionSet",
    "Rules",
    "BUILTIN_PERMISSION_SETS",
    "install",
    "load_capabilities",
]

log = logging.getLogger("core.capabilities")

# Command names and event names use these characters; patterns may add glob characters.
_PATTERN_RE = re.compile(r"[A-Za-z0-9_\-:/*?\[\]!]+")
_GLOB_CHARS = frozenset("*?[")
_MAX_LABELS = 1024  # cached labels before the cache starts over (labels are few in practice)
_MAX_NAMES = 4096  # cached decisions per label


# ---- models -------------------------------------------------------------------------------
def _check_strings(values: list[str], what: str) -> list[str]:
    for v in values:
        if not v or v != v.strip():
            raise ValueError(f"{what} must be non-empty strings without surrounding spaces, got {v!r}")
    return values


class Capability(BaseModel):
    """Which windows (label globs) get which permissions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identifier: str = Field(min_length=1)
    description: str = ""
    windows: list[str] = Field(min_length=1)
    permissions: list[str]

    @field_validator("windows")
    @classmethod
    def _windows(cls, v: list[str]) -> list[str]:
        _check_strings(v, "window globs")
        for glob in v:
            if not _PATTERN_RE.fullmatch(glob):
                raise ValueError(f"invalid window glob {glob!r}: letters, digits, '-', '/', ':', '_' "
                                 "and glob characters only")
        return v

    @field_validator("permissions")
    @classmethod
    def _permissions(cls, v: list[str]) -> list[str]:
        return _check_strings(v, "permissions")


class PermissionSet(BaseModel):
    """A named bundle of permissions (and other sets): `PermissionSet("app:read", [...])`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identifier: str = Field(min_length=1)
    permissions: list[str]
    description: str = ""

    def __init__(self, identifier: str | None = None, permissions: list[str] | None = None,
                 /, **data: Any) -> None:
        if identifier is not None:
            data["identifier"] = identifier
        if permissions is not None:
            data["permissions"] = permissions
        super().__init__(**data)

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if v.startswith(("allow-", "deny-")):
            raise ValueError(f"a permission set cannot be called {v!r}: it would read as a permission")
        return _check_strings([v], "identifier")[0]

    @field_validator("permissions")
    @classmethod
    def _permissions(cls, v: list[str]) -> list[str]:
        return _check_strings(v, "permissions")


BUILTIN_PERMISSION_SETS: tuple[PermissionSet, ...] = (
    PermissionSet(
        "core:default",
        ["deny-emit-state:*", "deny-emit-window-*", "deny-emit-listener-error"],
        description="Events the core framework emits itself are backend-only: shared state "
                    "(`state:*`), window lifecycle (`window-*`) and `listener-error`.",
    ),
)


# ---- compiled rules -----------------------------------------------------------------------
class _Rule:
    """One `allow-`/`deny-` permission, with where it came from (for error messages)."""

    __slots__ = ("kind", "allow", "pattern", "is_glob", "permission", "capability", "via")

    def __init__(self, kind: str, allow: bool, pattern: str, permission: str,
                 capability: str = "", via: tuple[str, ...] = ()) -> None:
        self.kind = kind  # "command" | "event"
        self.allow = allow
        self.pattern = pattern
        self.is_glob = not _GLOB_CHARS.isdisjoint(pattern)
        self.permission = permission
        self.capability = capability
        self.via = via

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.pattern) if self.is_glob else name == self.pattern

    def placed(self, capability: str, via: tuple[str, ...]) -> "_Rule":
        return _Rule(self.kind, self.allow, self.pattern, self.permission, capability, via + self.via)

    def describe(self) -> str:
        how = f"{self.permission} via {' > '.join(self.via)}" if self.via else self.permission
        return f"{self.capability} ({how})"


def _parse_permission(perm: str) -> tuple[str, bool, str] | None:
    """`(kind, allow, pattern)` for allow-/deny- permissions, None for a set reference."""
    for prefix, allow in (("allow-", True), ("deny-", False)):
        if perm.startswith(prefix):
            rest = perm[len(prefix):]
            kind = "command"
            if rest.startswith("emit-"):
                kind, rest = "event", rest[len("emit-"):]
            if not _PATTERN_RE.fullmatch(rest):
                raise ValueError(f"invalid permission {perm!r}: expected {prefix}"
                                 f"{'emit-<event>' if kind == 'event' else '<command>'}")
            return kind, allow, rest
    return None


class _Side:
    """The rules of one kind (commands or events) that apply to one window."""

    __slots__ = ("allow_exact", "deny_exact", "allow_globs", "deny_globs", "rules")

    def __init__(self, rules: list[_Rule]) -> None:
        self.rules = rules
        self.allow_exact = {r.pattern for r in rules if r.allow and not r.is_glob}
        self.deny_exact = {r.pattern for r in rules if not r.allow and not r.is_glob}
        self.allow_globs = _glob_regex([r.pattern for r in rules if r.allow and r.is_glob])
        self.deny_globs = _glob_regex([r.pattern for r in rules if not r.allow and r.is_glob])

    def decide(self, name: str) -> bool:
        if name in self.deny_exact or (self.deny_globs is not None and self.deny_globs.match(name)):
            return False
        return name in self.allow_exact or (self.allow_globs is not None
                                            and self.allow_globs.match(name) is not None)

    def why_denied(self, name: str) -> str:
        denies = [r.describe() for r in self.rules if not r.allow and r.matches(name)]
        if denies:
            return "denied by " + "; ".join(denies)
        return "no capability allows it"


def _glob_regex(globs: list[str]) -> re.Pattern | None:
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))


class Rules:
    """What one window label may do: resolved once, answers cached per name.

    `commands` / `events` map each name checked so far to the decision (True = allowed).
    """

    __slots__ = ("label", "capabilities", "commands", "events", "_cmd", "_ev")

    def __init__(self, label: str, capabilities: tuple[str, ...], rules: list[_Rule]) -> None:
        self.label = label
        self.capabilities = capabilities  # identifiers of the capabilities that match the label
        self.commands: dict[str, bool] = {}
        self.events: dict[str, bool] = {}
        self._cmd = _Side([r for r in rules if r.kind == "command"])
        self._ev = _Side([r for r in rules if r.kind == "event"])

    def allows_command(self, name: str) -> bool:
        ok = self.commands.get(name)
        if ok is None:
            ok = self._cmd.decide(name)
            if len(self.commands) < _MAX_NAMES:
                self.commands[name] = ok
        return ok

    def allows_event(self, event: str) -> bool:
        ok = self.events.get(event)
        if ok is None:
            ok = self._ev.decide(event)
            if len(self.events) < _MAX_NAMES:
                self.events[event] = ok
        return ok

    def __repr__(self) -> str:
        return f"Rules({self.label!r}, capabilities={list(self.capabilities)})"


class _Trusted(Rules):
    """The rules of "no window" (the backend, the CLI): everything is allowed."""

    __slots__ = ()

    def allows_command(self, name: str) -> bool:
        return True

    def allows_event(self, event: str) -> bool:
        return True


_TRUSTED = _Trusted("<backend>", (), [])


class _Compiled:
    """The validated, flattened form of an ACL's capabilities and sets."""

    def __init__(self, capabilities: list[Capability], sets: dict[str, PermissionSet],
                 origins: Mapping[tuple[str, str], Path]) -> None:
        self.origins = origins
        self.sets = sets
        self._flat: dict[str, list[_Rule]] = {}
        for ident in sets:
            self._flatten_set(ident, ())
        self.capabilities: list[tuple[Capability, re.Pattern, list[_Rule]]] = []
        for cap in capabilities:
            rules: list[_Rule] = []
            for perm in cap.permissions:
                rules.extend(self._expand(perm, ("capability", cap.identifier), cap.identifier, ()))
            self.capabilities.append((cap, _glob_regex(cap.windows), rules))

    def _where(self, kind: str, ident: str) -> str:
        origin = self.origins.get((kind, ident))
        text = f"{'permission set' if kind == 'set' else kind} {ident!r}"
        return f"{text} (in {origin})" if origin else text

    def _expand(self, perm: str, owner: tuple[str, str], capability: str,
                via: tuple[str, ...]) -> list[_Rule]:
        try:
            parsed = _parse_permission(perm)
        except ValueError as exc:
            raise ValueError(f"{self._where(*owner)}: {exc}") from None
        if parsed is not None:
            return [_Rule(parsed[0], parsed[1], parsed[2], perm, capability, via)]
        if perm not in self.sets:
            known = ", ".join(sorted(self.sets)) or "none"
            raise ValueError(
                f"{self._where(*owner)}: unknown permission {perm!r} (expected allow-<command>, "
                f"deny-<command>, allow-emit-<event>, deny-emit-<event> or a permission set; "
                f"sets defined: {known})")
        return [r.placed(capability, (perm,)) for r in self._flatten_set(perm, via)]

    def _flatten_set(self, ident: str, stack: tuple[str, ...]) -> list[_Rule]:
        done = self._flat.get(ident)
        if done is not None:
            return done
        if ident in stack:
            cycle = " -> ".join(stack[stack.index(ident):] + (ident,))
            raise ValueError(f"{self._where('set', ident)} includes itself ({cycle})")
        rules: list[_Rule] = []
        for perm in self.sets[ident].permissions:
            if perm in self.sets:
                rules.extend(r.placed("", (perm,)) for r in self._flatten_set(perm, stack + (ident,)))
            else:
                rules.extend(self._expand(perm, ("set", ident), "", ()))
        self._flat[ident] = rules
        return rules

    def resolve(self, label: str) -> Rules:
        names: list[str] = []
        rules: list[_Rule] = []
        for cap, windows, cap_rules in self.capabilities:
            if windows.match(label):
                names.append(cap.identifier)
                rules.extend(cap_rules)
        return Rules(label, tuple(names), rules)


def _parse_permission_safe(perm: str) -> tuple[str, bool, str] | None | bool:
    try:
        return _parse_permission(perm)
    except ValueError:
        return False


# ---- the ACL ------------------------------------------------------------------------------
class Acl:
    """Capabilities plus permission sets, checked by `AppHandle` on windowed invokes and emits."""

    def __init__(
        self,
        capabilities: Iterable[Capability] = (),
        permission_sets: Iterable[PermissionSet] = (),
        *,
        builtins: bool = True,
        origins: Mapping[tuple[str, str], str | Path] | None = None,
    ) -> None:
        caps = list(capabilities)
        seen: set[str] = set()
        for cap in caps:
            if cap.identifier in seen:
                raise ValueError(f"capability {cap.identifier!r} is defined twice")
            seen.add(cap.identifier)
        sets: dict[str, PermissionSet] = {}
        if builtins:
            sets.update((s.identifier, s) for s in BUILTIN_PERMISSION_SETS)
        user: set[str] = set()
        for ps in permission_sets:
            if ps.identifier in user:
                raise ValueError(f"permission set {ps.identifier!r} is defined twice")
            user.add(ps.identifier)
            sets[ps.identifier] = ps
        self._lock = threading.RLock()
        self._origins = {k: Path(v) for k, v in (origins or {}).items()}
        self._app_commands: Mapping[str, Any] | None = None
        self._compiled = _Compiled(caps, sets, self._origins)
        self._caps = caps
        self._by_label: dict[str, Rules] = {}
        # label -> that label's Rules.commands / Rules.events (one attribute lookup less)
        self._commands_by_label: dict[str, dict[str, bool]] = {}
        self._events_by_label: dict[str, dict[str, bool]] = {}

    # ---- the hot path (called by AppHandle) ----------------------------------------------
    def check_command(self, name: str, window: Any) -> None:
        """Raise `PermissionDenied` unless `window` (a `Window` or a label) may call `name`."""
        answers = self._commands_by_label.get(getattr(window, "label", window))
        if answers is None or not answers.get(name):  # unknown label, new name, or a denial
            rules = self.rules(window)
            if not rules.allows_command(name):
                raise self._denied("Command", name, rules)

    def check_event(self, event: str, window: Any) -> None:
        """Raise `PermissionDenied` unless `window` (a `Window` or a label) may emit `event`."""
        answers = self._events_by_label.get(getattr(window, "label", window))
        if answers is None or not answers.get(event):
            rules = self.rules(window)
            if not rules.allows_event(event):
                raise self._denied("Event", event, rules)

    # ---- questions (for UIs and tests) -----------------------------------------------------
    def rules(self, label: Any) -> Rules:
        """The resolved (and cached) rules of window `label` (a label or a `Window`)."""
        label = getattr(label, "label", label)
        rules = self._by_label.get(label)
        return rules if rules is not None else self._resolve(label)

    def allows_command(self, name: str, label: Any) -> bool:
        """Whether window `label` (a label or a `Window`) may call `name`."""
        return self.rules(label).allows_command(name)

    def allows_event(self, event: str, label: Any) -> bool:
        """Whether window `label` (a label or a `Window`) may emit `event`."""
        return self.rules(label).allows_event(event)

    def matching(self, label: str) -> tuple[str, ...]:
        """Identifiers of the capabilities whose windows match `label`."""
        return self.rules(label).capabilities

    def allowed_commands(self, label: str, commands: Iterable[str] | None = None) -> set[str]:
        """The commands `label` may call, among `commands` (default: the installed app's
        commands, plus every command named exactly by a permission)."""
        rules = self.rules(label)
        if commands is None:
            names = {r.pattern for r in rules._cmd.rules if not r.is_glob}
            if self._app_commands is not None:
                names.update(self._app_commands)
        else:
            names = set(commands)
        return {n for n in names if rules.allows_command(n)}

    def explain(self, name: str, label: str, *, event: bool = False) -> str:
        """Why `label` may or may not call `name` (or emit it, with `event=True`)."""
        rules = self.rules(label)
        ok = rules.allows_event(name) if event else rules.allows_command(name)
        if ok:
            side = rules._ev if event else rules._cmd
            grants = [r.describe() for r in side.rules if r.allow and r.matches(name)]
            return "allowed by " + "; ".join(grants)
        return str(self._denied("Event" if event else "Command", name, rules))

    def unknown_commands(self, commands: Iterable[str]) -> list[str]:
        """Permissions naming (exactly) a command not in `commands` — usually a typo."""
        known = set(commands)
        out = []
        comp = self._compiled
        owners = [(comp._where("capability", c.identifier), c.permissions) for c in self._caps]
        owners += [(comp._where("set", s.identifier), s.permissions) for s in comp.sets.values()]
        for owner, perms in owners:
            for perm in perms:
                parsed = _parse_permission_safe(perm)
                if parsed and parsed[0] == "command" and _GLOB_CHARS.isdisjoint(parsed[2]) \
                        and parsed[2] not in known:
                    out.append(f"{owner}: {perm}")
        return out

    # ---- contents and changes ---------------------------------------------------------------
    @property
    def capabilities(self) -> dict[str, Capability]:
        """The capabilities by identifier (a copy: change them with `add` / `remove`)."""
        return {c.identifier: c for c in self._caps}

    @property
    def permission_sets(self) -> dict[str, PermissionSet]:
        return dict(self._compiled.sets)

    def origin(self, identifier: str, *, kind: str = "capability") -> Path | None:
        """The file a capability (or, with `kind="set"`, a permission set) was loaded from."""
        return self._origins.get((kind, identifier))

    def add(self, capability: Capability) -> None:
        """Add a capability, replacing one with the same identifier."""
        with self._lock:
            caps = [c for c in self._caps if c.identifier != capability.identifier] + [capability]
            self._origins.pop(("capability", capability.identifier), None)
            self._recompile(caps, self._compiled.sets)

    def remove(self, identifier: str) -> bool:
        """Remove a capability; False if there was none with that identifier."""
        with self._lock:
            caps = [c for c in self._caps if c.identifier != identifier]
            if len(caps) == len(self._caps):
                return False
            self._recompile(caps, self._compiled.sets)
            return True

    def add_permission_set(self, permission_set: PermissionSet) -> None:
        """Add a permission set, replacing one with the same identifier."""
        with self._lock:
            sets = {**self._compiled.sets, permission_set.identifier: permission_set}
            self._origins.pop(("set", permission_set.identifier), None)
            self._recompile(self._caps, sets)

    def invalidate(self) -> None:
        """Recompile and drop every cached answer (e.g. after editing a model in place)."""
        with self._lock:
            self._recompile(self._caps, self._compiled.sets)

    def _recompile(self, caps: list[Capability], sets: dict[str, PermissionSet]) -> None:
        compiled = _Compiled(list(caps), dict(sets), self._origins)  # raises before any change
        self._caps = list(caps)
        self._compiled = compiled
        self._by_label = {}
        self._commands_by_label = {}
        self._events_by_label = {}

    # ---- slow path --------------------------------------------------------------------------
    def _resolve(self, label: str | None) -> Rules:
        if label is None:
            return _TRUSTED  # no window: the backend or the CLI
        if type(label) is not str:
            raise TypeError(f"a window label must be a str, not {type(label).__name__}")
        with self._lock:  # so a concurrent change cannot be overwritten by stale rules
            rules = self._compiled.resolve(label)
            by_label, commands, events = self._by_label, self._commands_by_label, self._events_by_label
            if len(by_label) >= _MAX_LABELS:
                by_label.clear(), commands.clear(), events.clear()
            by_label[label] = rules
            commands[label] = rules.commands
            events[label] = rules.events
        return rules

    def _denied(self, what: str, name: str, rules: Rules) -> PermissionDenied:
        label = rules.label
        if rules.capabilities:
            side = rules._ev if what == "Event" else rules._cmd
            message = (f"{what} {name} not allowed by ACL for window {label!r} "
                       f"(capabilities consulted: {', '.join(rules.capabilities)}): "
                       f"{side.why_denied(name)}")
        else:
            known = [f"{c.identifier} [{', '.join(c.windows)}]" for c in self._caps]
            if len(known) > 12:
                known = known[:12] + [f"... {len(known) - 12} more"]
            message = (f"{what} {name} not allowed by ACL for window {label!r}: no capability "
                       f"matches window {label!r} (default deny; capabilities consulted: "
                       f"{'; '.join(known) or 'none'})")
        exc = PermissionDenied(message, command=name if what == "Command" else None)
        exc.window = label  # type: ignore[attr-defined]
        exc.capabilities = rules.capabilities  # type: ignore[attr-defined]
        exc.event = name if what == "Event" else None  # type: ignore[attr-defined]
        return exc

    def __repr__(self) -> str:
        return f"Acl({[c.identifier for c in self._caps]})"


# ---- installing ---------------------------------------------------------------------------
def install(app: Any, acl: Acl, *, strict: bool = False) -> Acl:
    """`app.acl = acl`, after checking that every command a permission names exists
    (a typo would silently deny): logged, or a ValueError with `strict=True`."""
    unknown = acl.unknown_commands(app.commands)
    if unknown:
        text = "permissions name unregistered commands: " + "; ".join(unknown)
        if strict:
            raise ValueError(text)
        log.warning(text)
    acl._app_commands = app.commands
    app.acl = acl
    return acl


# ---- loading ------------------------------------------------------------------------------
_DOC_KEYS = {"$schema", "capabilities", "permission_sets", "set"}


def load_capabilities(
    *sources: str | Path,
    permission_sets: Iterable[PermissionSet] = (),
    missing_ok: bool = True,
    builtins: bool = True,
) -> Acl:
    """An `Acl` from capability files: each source is a directory (its `*.json` and `*.toml`,
    in name order) or one file. A capability or permission set in a later source replaces
    the one with the same identifier from an earlier source (the user's data dir overrides
    the shipped defaults); a duplicate within one source is an error. A missing source is
    skipped (an optional override dir), or a FileNotFoundError with `missing_ok=False`.
    Malformed files are a ValueError naming the file."""
    caps: dict[str, Capability] = {}
    sets: dict[str, PermissionSet] = {ps.identifier: ps for ps in permission_sets}
    origins: dict[tuple[str, str], Path] = {}
    for source in sources:
        path = Path(source).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.iterdir()
                           if p.suffix in (".json", ".toml") and p.is_file())
        elif path.is_file():
            files = [path]
        elif missing_ok:
            continue
        else:
            raise FileNotFoundError(f"capabilities source {path} does not exist")
        layer: dict[tuple[str, str], Path] = {}
        for file in files:
            file_caps, file_sets = _read_file(file)
            for kind, items, table in (("capability", file_caps, caps), ("set", file_sets, sets)):
                for item in items:
                    key = (kind, item.identifier)
                    if key in layer:
                        what = "permission set" if kind == "set" else kind
                        raise ValueError(f"{file}: {what} {item.identifier!r} is already defined "
                                         f"in {layer[key]}")
                    layer[key] = file
                    if key in origins:
                        log.info("%s %r from %s overrides %s", kind, item.identifier, file, origins[key])
                    table[item.identifier] = item
                    origins[key] = file
    return Acl(caps.values(), sets.values(), builtins=builtins, origins=origins)


def _read_file(path: Path) -> tuple[list[Capability], list[PermissionSet]]:
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, TOMLDecodeError
        raise ValueError(f"cannot read capabilities from {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected an object (one capability, or "
                         f"{{\"capabilities\": [...], \"permission_sets\": [...]}}), "
                         f"got {type(doc).__name__}")
    doc = {k: v for k, v in doc.items() if k != "$schema"}
    if "identifier" in doc:
        return [_model(Capability, doc, path, "capability")], []
    unknown = set(doc) - _DOC_KEYS
    if unknown or not doc:
        raise ValueError(
            f"{path}: expected a capability (identifier, windows, permissions) or the lists "
            f"'capabilities' and/or 'permission_sets'"
            + (f"; unknown keys: {', '.join(sorted(unknown))}" if unknown else "; the file is empty"))
    caps = [_model(Capability, item, path, f"capabilities[{i}]")
            for i, item in enumerate(_as_list(doc, "capabilities", path))]
    sets = [_model(PermissionSet, item, path, f"{key}[{i}]")
            for key in ("permission_sets", "set")
            for i, item in enumerate(_as_list(doc, key, path))]
    return caps, sets


def _as_list(doc: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{path}: '{key}' must be a list, got {type(value).__name__}")
    return value


def _model(cls: type[BaseModel], item: Any, path: Path, where: str) -> Any:
    if not isinstance(item, dict):
        raise ValueError(f"{path}: {where}: expected an object, got {type(item).__name__}")
    try:
        return cls.model_validate(item)
    except ValidationError as exc:
        ident = item.get("identifier")
        label = f"{where} {ident!r}" if isinstance(ident, str) and where != "capability" else (
            f"capability {ident!r}" if isinstance(ident, str) else where)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {label}: {problems}") from None
