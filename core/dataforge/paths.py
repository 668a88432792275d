"""Where DataForge keeps its data: one private directory with the database and plugins."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import platformdirs

__all__ = ["default_data_dir", "ensure_data_dir", "plugins_dir", "shipped_las_dir", "database_path",
           "capabilities_dir", "write_text_atomically"]

ENV_VAR = "DATAFORGE_DATA_DIR"


def default_data_dir() -> Path:
    """`$DATAFORGE_DATA_DIR`, else the platform's user data dir."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("dataforge", appauthor=False))


def ensure_data_dir(path: str | Path) -> Path:
    """Create the data dir (mode 0700: logs can be confidential) and return it resolved."""
    path = Path(path).expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by another process: theirs, leave its mode
            pass
        else:
            os.chmod(path, 0o700)  # mkdir's mode is masked by the umask
    if not path.is_dir():
        raise NotADirectoryError(f"data dir {path} is not a directory")
    return path.resolve()


def database_path(root: Path) -> Path:
    return Path(root) / "dataforge.db"


def plugins_dir(root: Path) -> Path:
    """The only folder user UDF plugins are loaded from (a plugin runs code)."""
    return Path(root) / "plugins"


def shipped_las_dir() -> Path:
    return Path(__file__).parent / "data" / "las"


def capabilities_dir() -> Path:
    return Path(__file__).parent / "data" / "capabilities"


def write_text_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` whole: written to a temp file beside it (`.<stem>-*<suffix>`),
    fsynced so that the rename cannot land before the bytes, then renamed into place. A crash
    leaves the old file; a failure (a full disk) leaves no temp file and raises."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
