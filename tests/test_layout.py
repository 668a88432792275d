"""The layout tree: pure data, every operation returns a new tree."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui import layout as L


def ids(tree):
    return [leaf.pane_id for leaf in L.leaves(tree)]


def test_default_layout_has_the_browse_and_view_panes():
    tree = L.default_layout()
    assert ids(tree) == ["workspaces-1", "wells-1", "curves-1", "log-tracks-1"]
    assert [leaf.kind for leaf in L.leaves(tree)] == ["workspaces", "wells", "curves", "log-tracks"]


def test_split_puts_the_new_pane_beside_or_below():
    tree = L.Leaf("curves-1", "curves")
    side = L.split(tree, "curves-1", "horizontal", L.Leaf("curves-2", "curves"))
    assert isinstance(side, L.Split) and side.direction == "horizontal"
    assert ids(side) == ["curves-1", "curves-2"]
    below = L.split(side, "curves-2", "vertical", L.Leaf("log-tracks-1", "log-tracks"))
    assert isinstance(below.children[1], L.Split) and below.children[1].direction == "vertical"
    assert ids(below) == ["curves-1", "curves-2", "log-tracks-1"]


def test_splitting_in_the_same_direction_joins_the_parent_split():
    tree = L.split(L.Leaf("a-1", "a"), "a-1", "horizontal", L.Leaf("a-2", "a"))
    tree = L.split(tree, "a-1", "horizontal", L.Leaf("a-3", "a"))
    assert isinstance(tree, L.Split) and len(tree.children) == 3
    assert ids(tree) == ["a-1", "a-3", "a-2"]
    assert sum(tree.ratios) == pytest.approx(1.0)
    assert tree.ratios == pytest.approx((1 / 3, 1 / 3, 1 / 3))  # halves of a-1 would be 0.25 each


def test_a_split_pane_and_its_new_pane_get_at_least_an_even_share():
    """Halving a small pane beside a big one made two unusable panes (a user review)."""
    right = L.default_layout().children[1]  # curves 0.4 over log tracks 0.6
    tree = L.split(right, "curves-1", "vertical", L.Leaf("curves-2", "curves"))
    assert ids(tree) == ["curves-1", "curves-2", "log-tracks-1"]
    assert tree.ratios == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    # A pane big enough to halve is halved, and its siblings keep their share.
    tree = L.Split("horizontal", (L.Leaf("a-1", "a"), L.Leaf("b-1", "b")), (0.8, 0.2))
    tree = L.split(tree, "a-1", "horizontal", L.Leaf("a-2", "a"))
    assert tree.ratios == pytest.approx((0.4, 0.4, 0.2))
    # Deep in the tree, only the split that gained the pane changes.
    tree = L.split(L.default_layout(), "wells-1", "vertical", L.Leaf("wells-2", "wells"))
    browse = tree.children[0]
    assert ids(browse) == ["workspaces-1", "wells-1", "wells-2"]
    assert browse.ratios == pytest.approx((0.25, 0.375, 0.375))
    assert tree.ratios == L.default_layout().ratios


def test_split_rejects_unknown_pane_and_duplicate_id():
    tree = L.default_layout()
    with pytest.raises(KeyError, match="no pane 'nope-1'"):
        L.split(tree, "nope-1", "horizontal", L.Leaf("x-1", "x"))
    with pytest.raises(ValueError, match="already in the layout"):
        L.split(tree, "wells-1", "horizontal", L.Leaf("curves-1", "curves"))


def test_close_collapses_single_child_splits_and_returns_none_for_the_last_pane():
    tree = L.split(L.Leaf("a-1", "a"), "a-1", "vertical", L.Leaf("b-1", "b"))
    assert L.close(tree, "b-1") == L.Leaf("a-1", "a")
    assert L.close(L.Leaf("a-1", "a"), "a-1") is None


def test_close_keeps_the_rest_of_the_tree():
    tree = L.close(L.default_layout(), "wells-1")
    assert ids(tree) == ["workspaces-1", "curves-1", "log-tracks-1"]


def test_replace_kind_keeps_link_state_but_drops_kind_settings():
    tree = L.update_settings(L.default_layout(), "curves-1", linked=False, sort="unit")
    tree = L.replace_kind(tree, "curves-1", "log-tracks")
    leaf = L.find(tree, "log-tracks-2")  # a new label of its new kind: log-tracks-1 exists
    assert leaf.kind == "log-tracks"
    assert dict(leaf.settings) == {"linked": False}
    assert L.find(tree, "curves-1") is None
    assert ids(tree) == ["workspaces-1", "wells-1", "log-tracks-2", "log-tracks-1"]


def test_replace_kind_takes_the_free_label_of_the_new_kind_or_the_one_given():
    tree = L.replace_kind(L.default_layout(), "log-tracks-1", "udf-runner")
    assert L.find(tree, "udf-runner-1").kind == "udf-runner"
    tree = L.replace_kind(tree, "udf-runner-1", "curves", new_id="curves-7")
    assert [leaf.pane_id for leaf in L.leaves(tree)][-1] == "curves-7"


def test_update_settings_merges_and_none_removes():
    tree = L.update_settings(L.default_layout(), "wells-1", linked=False, selection={"well_id": 3})
    assert dict(L.find(tree, "wells-1").settings) == {"linked": False, "selection": {"well_id": 3}}
    tree = L.update_settings(tree, "wells-1", selection=None)
    assert dict(L.find(tree, "wells-1").settings) == {"linked": False}


def test_nodes_are_immutable():
    leaf = L.Leaf("a-1", "a", {"x": 1})
    with pytest.raises(Exception):
        leaf.kind = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        leaf.settings["x"] = 2  # type: ignore[index]


def test_next_pane_wraps_both_ways():
    tree = L.default_layout()
    assert L.next_pane(tree, "workspaces-1") == "wells-1"
    assert L.next_pane(tree, "log-tracks-1") == "workspaces-1"
    assert L.next_pane(tree, "workspaces-1", -1) == "log-tracks-1"


def test_new_pane_id_uses_the_smallest_free_number():
    assert L.new_pane_id("curves", {"curves-1", "curves-3"}) == "curves-2"
    assert L.new_pane_id("log-tracks", set()) == "log-tracks-1"


def test_round_trip_through_json():
    tree = L.update_settings(L.default_layout(), "curves-1", linked=False)
    tree = L.split(tree, "log-tracks-1", "horizontal", L.Leaf("log-tracks-2", "log-tracks"))
    again = L.from_dict(json.loads(json.dumps(L.to_dict(tree))))
    assert again == tree


@pytest.mark.parametrize("data, message", [
    ([], "layout: expected an object, got list"),
    ({"split": "horizontal"}, "layout: missing key 'children'"),
    ({"split": "diagonal", "children": [{"pane": "a-1", "kind": "a"}, {"pane": "b-1", "kind": "b"}]},
     "invalid split direction"),
    ({"split": "vertical", "children": [{"pane": "a-1", "kind": "a"}]}, "at least two children"),
    ({"split": "vertical", "children": [{"pane": "a-1", "kind": "a"}, {"pane": "a-1", "kind": "a"}]},
     "duplicate pane id"),
    ({"split": "vertical", "children": [{"pane": "a-1", "kind": "a"}, {"pane": "Bad Id", "kind": "a"}]},
     r"layout.children\[1\]: invalid pane id"),
    ({"split": "vertical", "children": [{"pane": "a-1"}, {"pane": "b-1", "kind": "a"}]},
     r"layout.children\[0\]: missing key 'kind'"),
])
def test_from_dict_names_what_is_wrong(data, message):
    with pytest.raises(ValueError, match=message):
        L.from_dict(data)


def test_resize_changes_ratios_within_bounds():
    tree = L.split(L.Leaf("a-1", "a"), "a-1", "horizontal", L.Leaf("b-1", "b"))
    grown = L.resize(tree, "a-1", 0.2)
    assert grown.ratios[0] > tree.ratios[0]
    assert L.resize(tree, "a-1", 5).ratios[0] <= 0.9 / (0.9 + 0.5) + 1e-9


ops = st.lists(st.tuples(st.sampled_from(["split-h", "split-v", "close"]), st.integers(0, 50)),
               max_size=40)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_random_edits_keep_a_valid_tree(operations):
    tree: L.Node | None = L.default_layout()
    for op, pick in operations:
        panes = ids(tree)
        target = panes[pick % len(panes)]
        if op == "close":
            new = L.close(tree, target)
            if new is None:
                assert len(panes) == 1
                continue
            assert target not in ids(new) and len(ids(new)) == len(panes) - 1
            tree = new
        else:
            new_id = L.new_pane_id("curves", set(panes))
            tree = L.split(tree, target, "horizontal" if op == "split-h" else "vertical",
                           L.Leaf(new_id, "curves"))
            assert ids(tree).index(new_id) == ids(tree).index(target) + 1
        _check(tree)
        assert L.from_dict(L.to_dict(tree)) == tree


def _check(node):
    if isinstance(node, L.Split):
        assert len(node.children) >= 2
        assert sum(node.ratios) == pytest.approx(1.0)
        for child in node.children:
            _check(child)
