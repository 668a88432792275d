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
