"""The pane layout as a pure-data tree: splits of panes, no widgets.

Every operation returns a new tree (nodes are frozen), so the app can save it,
restore it, undo it or test it without a screen; the UI renders a tree by
recomposing. A `Leaf` is one pane (a window of its `kind`); a `Split` lays its
children side by side (`horizontal`) or stacked (`vertical`) with size ratios.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Iterator, Literal, Mapping

__all__ = [
    "Leaf",
    "Split",
    "Node",
    "default_layout",
    "leaves",
    "find",
    "split",
    "close",
    "replace_kind",
    "update_settings",
    "next_pane",
    "new_pane_id",
    "to_dict",
    "from_dict",
]

Direction = Literal["horizontal", "vertical"]
_ID_RE = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Leaf:
    pane_id: str
    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _ID_RE.match(self.pane_id):
            raise ValueError(f"invalid pane id {self.pane_id!r}: lowercase letters, digits and '-'")
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))


@dataclass(frozen=True)
class Split:
    direction: Direction
    children: tuple["Node", ...]
    ratios: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.direction not in ("horizontal", "vertical"):
            raise ValueError(f"invalid split direction {self.direction!r}")
        if len(self.children) < 2:
            raise ValueError("a split needs at least two children")
        ratios = self.ratios or tuple(1 / len(self.children) for _ in self.children)
        if len(ratios) != len(self.children) or any(r <= 0 for r in ratios):
            raise ValueError("a split needs one positive ratio per child")
        total = sum(ratios)
        if abs(total - 1) > 1e-9:  # normalise once; saved ratios must round-trip unchanged
            ratios = tuple(r / total for r in ratios)
        object.__setattr__(self, "children", tuple(self.children))
        object.__setattr__(self, "ratios", tuple(ratios))


Node = Leaf | Split


def default_layout() -> Node:
    """Browse on the left (workspaces over wells), curves and log tracks on the right."""
    browse = Split("vertical", (Leaf("workspaces-1", "workspaces"), Leaf("wells-1", "wells")), (0.25, 0.75))
    right = Split("vertical", (Leaf("curves-1", "curves"), Leaf("log-tracks-1", "log-tracks")), (0.4, 0.6))
    return Split("horizontal", (browse, right), (0.3, 0.7))


def leaves(node: Node) -> list[Leaf]:
    """Every pane, in reading order (left to right, top to bottom)."""
    return list(_iter_leaves(node))


def _iter_leaves(node: Node) -> Iterator[Leaf]:
    if isinstance(node, Leaf):
        yield node
    else:
        for child in node.children:
            yield from _iter_leaves(child)


def find(node: Node, pane_id: str) -> Leaf | None:
    return next((leaf for leaf in _iter_leaves(node) if leaf.pane_id == pane_id), None)


def _require(node: Node, pane_id: str) -> Leaf:
    leaf = find(node, pane_id)
    if leaf is None:
        raise KeyError(f"no pane {pane_id!r} in the layout")
    return leaf


def _map_leaf(node: Node, pane_id: str, fn) -> Node | None:
    """Rebuild the tree with `fn(leaf)` in place of the leaf (None removes it)."""
    if isinstance(node, Leaf):
        return fn(node) if node.pane_id == pane_id else node
    children, ratios = [], []
    for child, ratio in zip(node.children, node.ratios):
        new = _map_leaf(child, pane_id, fn)
        if new is None:
            continue
        if isinstance(new, Split) and new.direction == node.direction and isinstance(child, Leaf):
            children.extend(new.children)  # a same-direction split of a leaf joins its parent
            ratios.extend(ratio * r for r in new.ratios)
        else:
            children.append(new)
            ratios.append(ratio)
    if not children:
        return None
    if len(children) == 1:
        return children[0]
    return Split(node.direction, tuple(children), tuple(ratios))


def split(node: Node, pane_id: str, direction: Direction, new: Leaf) -> Node:
    """Put `new` beside (`horizontal`) or below (`vertical`) pane `pane_id`."""
    _require(node, pane_id)
    if find(node, new.pane_id) is not None:
        raise ValueError(f"pane id {new.pane_id!r} is already in the layout")
    tree = _map_leaf(node, pane_id, lambda leaf: Split(direction, (leaf, new)))
    return _fair_share(tree, pane_id, new.pane_id)  # type: ignore[arg-type]


def _fair_share(node: Node, old_id: str, new_id: str) -> Node:
    """A pane split into a row (or column) of siblings gets, with the new pane, at least
    an even share each (1/n) — halving a small pane made two unusable ones while a big
    sibling kept its space. The room is taken from the siblings in proportion."""
    if isinstance(node, Leaf):
        return node
    ids = [c.pane_id if isinstance(c, Leaf) else None for c in node.children]
    if old_id in ids and new_id in ids:
        n = len(ids)
        i, j = ids.index(old_id), ids.index(new_id)
        fair = 1 / n
        ratios = list(node.ratios)
        if ratios[j] >= fair or n == 2:
            return node
        others = sum(r for k, r in enumerate(ratios) if k not in (i, j))
        scale = (1 - 2 * fair) / others
        ratios = [fair if k in (i, j) else r * scale for k, r in enumerate(ratios)]
        return replace(node, ratios=tuple(ratios))
    return replace(node, children=tuple(_fair_share(c, old_id, new_id) for c in node.children))


def close(node: Node, pane_id: str) -> Node | None:
    """The tree without pane `pane_id`; None if it was the last pane."""
    _require(node, pane_id)
    return _map_leaf(node, pane_id, lambda leaf: None)


def replace_kind(node: Node, pane_id: str, kind: str, new_id: str | None = None) -> Node:
    """Turn a pane into another kind in the same place: it keeps its link state and
    selection, its kind-specific settings go, and it gets a new id of its new kind
    (`new_id`, or the next free `<kind>-<n>`) — the id is its window label, and the
    capabilities a window has follow its label (`log-tracks-*`), so a curve list turned
    into a UDF runner must not keep a read-only label."""
    _require(node, pane_id)
    if new_id is None:
        new_id = new_pane_id(kind, {leaf.pane_id for leaf in _iter_leaves(node)} - {pane_id})
    keep = {"linked", "selection"}
    return _map_leaf(node, pane_id, lambda leaf: Leaf(  # type: ignore[return-value]
        new_id, kind, {k: v for k, v in leaf.settings.items() if k in keep}))


def update_settings(node: Node, pane_id: str, **changes: Any) -> Node:
    """Merge `changes` into a pane's saved settings (a None value removes the key)."""
    _require(node, pane_id)

    def merge(leaf: Leaf) -> Leaf:
        settings = {**leaf.settings, **changes}
        return Leaf(leaf.pane_id, leaf.kind, {k: v for k, v in settings.items() if v is not None})

    return _map_leaf(node, pane_id, merge)  # type: ignore[return-value]


def next_pane(node: Node, pane_id: str, step: int = 1) -> str:
    """The pane after (or before, with step=-1) `pane_id` in reading order, wrapping."""
    ids = [leaf.pane_id for leaf in _iter_leaves(node)]
    return ids[(ids.index(pane_id) + step) % len(ids)]


def new_pane_id(kind: str, existing: set[str] | frozenset[str]) -> str:
    """`<kind>-<n>` with the smallest n not in use: the pane's window label."""
    n = 1
    while f"{kind}-{n}" in existing:
        n += 1
    return f"{kind}-{n}"


def to_dict(node: Node) -> dict[str, Any]:
    if isinstance(node, Leaf):
        return {"pane": node.pane_id, "kind": node.kind, "settings": dict(node.settings)}
    return {"split": node.direction, "ratios": list(node.ratios),
            "children": [to_dict(child) for child in node.children]}


def from_dict(data: Any) -> Node:
    """Rebuild a tree saved by `to_dict`; ValueError says what is wrong with it."""
    tree = _from_dict(data, "layout")
    ids = [leaf.pane_id for leaf in _iter_leaves(tree)]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"layout: duplicate pane id(s) {', '.join(dupes)}")
    return tree


def _from_dict(data: Any, where: str) -> Node:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
    try:
        if "pane" in data:
            settings = data.get("settings") or {}
            if not isinstance(settings, dict):
                raise ValueError("settings must be an object")
            return Leaf(str(data["pane"]), str(data["kind"]), settings)
        children = data["children"]
        if not isinstance(children, list):
            raise ValueError("children must be a list")
        return Split(data["split"], tuple(_from_dict(c, f"{where}.children[{i}]")
                                          for i, c in enumerate(children)),
                     tuple(float(r) for r in data.get("ratios") or ()))
    except KeyError as exc:
        raise ValueError(f"{where}: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        if str(exc).startswith(where):
            raise
        raise ValueError(f"{where}: {exc}") from None


def resize(node: Node, pane_id: str, delta: float) -> Node:
    """Grow (or shrink, with a negative delta) a pane within its parent split."""
    _require(node, pane_id)
    return _resize(node, pane_id, delta)


def _resize(node: Node, pane_id: str, delta: float) -> Node:
    if isinstance(node, Leaf):
        return node
    for i, child in enumerate(node.children):
        if isinstance(child, Leaf) and child.pane_id == pane_id:
            ratios = list(node.ratios)
            ratios[i] = min(0.9, max(0.1, ratios[i] + delta))
            return replace(node, ratios=tuple(ratios))
    return replace(node, children=tuple(_resize(c, pane_id, delta) for c in node.children))
