"""`core` must stay UI-free: importing any of its modules must not load Textual or tui."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import core


def core_modules() -> list[str]:
    names = ["core"]
    for info in pkgutil.walk_packages(core.__path__, prefix="core."):
        names.append(info.name)
    return names


def test_core_has_modules():
    assert {"core._app", "core._events", "core._commands"} <= set(core_modules())


def test_no_core_module_loads_textual():
    names = core_modules()
    script = (
        "import importlib, sys, json\n"
        "bad = {}\n"
        f"for name in {names!r}:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    leaked = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui')]\n"
        "    if leaked: bad[name] = leaked[:3]; break\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{}", out.stdout
