"""Capabilities: Tauri 2's permission model for windows.

A capability grants permissions to the windows whose labels match its globs
(`log-tracks-*`). Permissions are `allow-<command>` / `deny-<command>`,
`allow-emit-<event>` / `deny-emit-<event>` (command and event may be globs), or the
identifier of a named set (`dataforge:read`) that expands to more of them. A
window's rights are the union of its capabilities, and **deny always wins**. A
window no capability matches may do nothing; calls without a window (the backend,
the CLI) are trusted and never checked.

Checks run on every invoke, so each (window, command) answer is computed once and
cached: the hot path is two dict lookups.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, Field, ValidationError

from ._errors import PermissionDenied

__all__ = ["Capability", "PermissionSet", "Acl", "load_capabilities", "install"]


class PermissionSet(BaseModel):
    """A named bundle of permissions (it may include other sets)."""

    identifier: str = Field(pattern=r"^[a-z][a-z0-9-]*:[a-z0-9*-]+$")
    description: str = ""
    permissions: list[str]


class Capability(BaseModel):
    """Which windows (label globs) get which permissions."""

    identifier: str = Field(min_length=1)
    description: str = ""
    windows: list[str] = Field(min_length=1)
    permissions: list[str]


@dataclass
class _Rules:
    """A window's expanded permissions: allow/deny globs for commands and events."""

    capabilities: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    deny: list[tuple[str, str]] = field(default_factory=list)  # (glob, capability)
    allow_emit: list[str] = field(default_factory=list)
    deny_emit: list[tuple[str, str]] = field(default_factory=list)
    commands: dict[str, bool] = field(default_factory=dict)  # cache
    events: dict[str, bool] = field(default_factory=dict)  # cache


def _label(window: Any) -> str:
    return window if isinstance(window, str) else getattr(window, "label", str(window))


class Acl:
    """The resolved capabilities of an app; install with `app.acl = acl`."""

    def __init__(self, capabilities: Iterable[Capability], permission_sets: Iterable[PermissionSet] = ()) -> None:
        self.capabilities = {c.identifier: c for c in capabilities}
        self.permission_sets = {s.identifier: s for s in permission_sets}
        self._expanded = {c.identifier: self._expand(c.permissions, (c.identifier,)) for c in self.capabilities.values()}
        self._by_label: dict[str, _Rules] = {}

    # ---- expansion -------------------------------------------------------------------
    def _expand(self, permissions: list[str], path: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for perm in permissions:
            if perm in self.permission_sets:
                if perm in path:
                    cycle = " → ".join((*path[path.index(perm):], perm)) if perm in path else perm
                    raise ValueError(f"permission set {perm!r} includes itself ({cycle})")
                out += self._expand(self.permission_sets[perm].permissions, (*path, perm))
            elif perm.startswith(("allow-", "deny-")):
                out.append(perm)
            else:
                raise ValueError(f"{path[0]}: unknown permission {perm!r} (expected allow-<command>, "
                                 f"deny-<command>, allow-emit-<event>, deny-emit-<event> or a permission set)")
        return out

    def rules(self, label: str) -> _Rules:
        rules = self._by_label.get(label)
        if rules is None:
            rules = _Rules()
            for ident, cap in self.capabilities.items():
                if not any(fnmatch.fnmatchcase(label, glob) for glob in cap.windows):
                    continue
                rules.capabilities.append(ident)
                for perm in self._expanded[ident]:
                    if perm.startswith("allow-emit-"):
                        rules.allow_emit.append(perm[len("allow-emit-"):])
                    elif perm.startswith("deny-emit-"):
                        rules.deny_emit.append((perm[len("deny-emit-"):], ident))
                    elif perm.startswith("allow-"):
                        rules.allow.append(perm[len("allow-"):])
                    else:
                        rules.deny.append((perm[len("deny-"):], ident))
            self._by_label[label] = rules
        return rules

    # ---- checks (the hot path) ---------------------------------------------------------
    def allows_command(self, name: str, window: Any) -> bool:
        rules = self.rules(_label(window))
        verdict = rules.commands.get(name)
        if verdict is None:
            verdict = rules.commands[name] = (
                any(fnmatch.fnmatchcase(name, g) for g in rules.allow)
                and not any(fnmatch.fnmatchcase(name, g) for g, _ in rules.deny))
        return verdict

    def allows_event(self, event: str, window: Any) -> bool:
        rules = self.rules(_label(window))
        verdict = rules.events.get(event)
        if verdict is None:
            verdict = rules.events[event] = (
                any(fnmatch.fnmatchcase(event, g) for g in rules.allow_emit)
                and not any(fnmatch.fnmatchcase(event, g) for g, _ in rules.deny_emit))
        return verdict

    def check_command(self, name: str, window: Any) -> None:
        if not self.allows_command(name, window):
            raise PermissionDenied(self._why(f"Command {name} not allowed by ACL", name, _label(window),
                                             "deny"), command=name)

    def check_event(self, event: str, window: Any) -> None:
        if window is None:
            return  # the backend
        if not self.allows_event(event, window):
            raise PermissionDenied(self._why(f"Event {event} not allowed by ACL", event, _label(window),
                                             "deny_emit"))

    def _why(self, head: str, name: str, label: str, kind: str) -> str:
        rules = self.rules(label)
        if not rules.capabilities:
            return f"{head}: no capability matches window '{label}'"
        caps = ", ".join(rules.capabilities)
        denied = [cap for glob, cap in getattr(rules, kind) if fnmatch.fnmatchcase(name, glob)]
        reason = f"denied by {', '.join(dict.fromkeys(denied))}" if denied else "no capability allows it"
        return f"{head}: window '{label}' ({reason}; capabilities consulted: {caps})"

    def allowed_commands(self, label: str, commands: Iterable[str]) -> set[str]:
        """Which of `commands` window `label` may call (for UIs that hide what they cannot do)."""
        return {c for c in commands if self.allows_command(c, label)}


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.suffix == ".toml":
            return tomllib.loads(path.read_text(encoding="utf-8"))
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise ValueError(f"{path}: cannot read capabilities: {exc}") from None


def _files(sources: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files += sorted(p for p in source.iterdir() if p.suffix in (".json", ".toml"))
        elif source.exists():
            files.append(source)
    return files


def load_capabilities(*sources: str | Path) -> Acl:
    """An `Acl` from capability files (`*.json`, `*.toml`) in the given folders or files.

    A file holds one capability, or `capabilities` and `permission_sets` lists. A later
    source's capability or set with the same identifier replaces an earlier one, so a
    data dir can override the shipped defaults.
    """
    capabilities: dict[str, Capability] = {}
    sets: dict[str, PermissionSet] = {}
    for path in _files(sources):
        data = _read(path)
        try:
            if "identifier" in data:
                items, set_items = [data], []
            else:
                items, set_items = data.get("capabilities", []), data.get("permission_sets", [])
            for item in set_items:
                ps = PermissionSet.model_validate(item)
                sets[ps.identifier] = ps
            for item in items:
                cap = Capability.model_validate(item)
                capabilities[cap.identifier] = cap
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{path}: invalid capabilities: {problems}") from None
        except AttributeError:
            raise ValueError(f"{path}: invalid capabilities: expected an object") from None
    try:
        return Acl(capabilities.values(), sets.values())
    except ValueError as exc:
        raise ValueError(f"capabilities from {', '.join(map(str, sources))}: {exc}") from None


def install(app: Any, acl: Acl) -> Acl:
    app.acl = acl
    return acl
