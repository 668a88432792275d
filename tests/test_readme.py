"""The README's example runs as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_core_example_runs(tmp_path):
    block = next(b for b in python_blocks() if "Builder()" in b)
    script = tmp_path / "example.py"
    script.write_text(block)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         cwd=README.parent)
    assert out.returncode == 0, out.stderr
    assert "wells-1 sees 3" in out.stdout
    assert "{'workspaceId': 3}" in out.stdout


def test_readme_has_exactly_two_sh_commands():
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 2
    assert "dataforge" in blocks[0] and "pytest" in blocks[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci


# Each README example and the lines it must print, in order.
EXPECTED = {
    "from core.stores import": ["['GR', 'RHOB']", "['RHOB']", "12"],
    'app.shared("selection"': ["curves-2 shows {'well_id': 10}", "curves-2 shows {'well_id': 11}",
                               "revision 11"],
    "from core.tasks import TaskManager": ["done: 4950", "completed 1.0"],
    "Channel[float]": ["[1500.0, 1500.5, 1501.0]"],
    "debounce=0.05": ["search for GR_"],
}


def test_every_python_example_is_checked():
    for block in python_blocks():
        assert "Builder()" in block and "select_workspace" in block or any(
            marker in block for marker in EXPECTED), block[:80]


def test_examples_print_what_the_readme_says(tmp_path):
    for marker, lines in EXPECTED.items():
        block = next(b for b in python_blocks() if marker in b)
        script = tmp_path / "example.py"
        script.write_text(block)
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                             cwd=README.parent)
        assert out.returncode == 0, f"{marker}: {out.stderr}"
        assert out.stdout.splitlines() == lines, marker
