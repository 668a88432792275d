"""LAS in and out, with lasio.

lasio reads almost anything but fails in many different ways (and some files
"succeed" with text columns or un-replaced nulls), so the import wraps it: detect
the encoding first, refuse what lasio would choke on (a huge header, ragged ~A
rows) from a cheap scan of the text, read, check the depth index, convert each
curve to float explicitly (an unreadable value becomes null, with a warning), and
turn any failure into one `LasImportError` that names the file. Parsing
(`parse_las`) touches no database; the well and its curves are then written in
one transaction (`store_las`), so a failure leaves nothing behind.

Export writes LAS 2.0 to a temporary file next to the target and renames it into
place, so the target is either the previous file or the complete new one.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import sqlite3
import tempfile
import threading
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .models import ImportResult, LasImportError

__all__ = ["import_las", "parse_las", "store_las", "ParsedLas", "export_las", "read_las", "decode_las_bytes",
           "EXPORT_NULL", "LasExportError", "las_mnemonics", "MAX_HEADER_LINES", "MAX_HEADER_LINE_CHARS",
           "MAX_HEADER_CHARS"]

log = logging.getLogger("core.dataforge")

_DEPTH_NAMES = ("DEPT", "DEPTH", "MD", "TVD", "TVDSS", "INDEX")
_MAX_BYTES = 512 * 1024 * 1024
EXPORT_NULL = -999.25

# lasio logs through one module logger and toggles global warning filters: reading is
# serialised so each import collects exactly its own messages (lasio holds the GIL
# most of the time anyway, so parallel reads would gain little).
_LASIO_LOCK = threading.Lock()
_NOISE = ("Only engine='normal' can read wrapped files", "Could not convert curve #")
_NO_DATA = re.compile(r"Curve #\d+ '(?P<mnemonic>.*)' is defined in the ~C section but there is no data in ~A")
_BAD_HEADER_LINE = re.compile(r"^Line #?\d+ \(section ")
_RENAMED = re.compile(r"^(?P<base>.+):(?P<n>\d+)$")

# lasio's header parsing is quadratic, and runs under _LASIO_LOCK, so one such file stalls every
# import: each item added to a section is compared with every item already there (3 000 items in
# one section: 4-6 s; 8 000: 38 s), and each item is formatted for a debug log, shown or not, at a
# cost that grows with the square of its length (one 300 000-character line: 12 s; 1 MB: 90 s).
# Real headers hold tens to hundreds of items (a long ~P: about a thousand) of at most a few hundred
# characters, so these limits refuse only such files. Counted: the item lines of the header
# sections (~V, ~W, ~C, ~P, LAS 3 ones) wherever they are in the file; ~O text, blank lines and
# # comments are cheap for lasio and not counted. Checked on the text, before lasio is called.
MAX_HEADER_LINES = 3_000
MAX_HEADER_LINE_CHARS = 10_000
MAX_HEADER_CHARS = 1_000_000
_HEADER_ITEM = {key: re.compile(rf"^[^\S\n]*{key}[^\S\n]*\.[^\S\n]*([^\s:]*)", re.MULTILINE | re.IGNORECASE)
                for key in ("WRAP", "DLM")}
# How lasio splits a data line into values (reader.sow_regex) and the run-on fixes it applies first.
_VALUE = re.compile(r"""([^\s"']+)|"([^"]*)"|'([^']*)'""")
_RUN_ON = ((re.compile(r"(\d),(\d)"), r"\1.\2"), (re.compile(r"(\d)-(\d)"), r"\1 -\2"),
           (re.compile(r"-?\d*\.\d*\.\d*|NaN[\.-]\d+"), " NaN NaN "))


def decode_las_bytes(raw: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-16 (with or without BOM), UTF-8 (with or without BOM),
    or cp1252 as the last resort (it decodes nearly anything). A UTF-16 file cut short (an
    odd byte count) decodes with its broken last character replaced."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(raw, "utf-16")
    head = raw[:400]
    if head.count(b"\x00") > len(head) // 4:  # ASCII text in UTF-16 without a BOM
        return _decode(raw, "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be")
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252"


def _decode(raw: bytes, encoding: str) -> tuple[str, str]:
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError:
        return raw.decode(encoding, errors="replace"), f"{encoding} (undecodable bytes replaced)"


class _LasioLog(logging.Handler):
    """Collects lasio's warnings during one read."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _lasio_read(text: str, *, strict_header: bool) -> tuple[Any, list[str]]:
    import lasio

    logger = logging.getLogger("lasio")
    handler = _LasioLog()
    with _LASIO_LOCK:
        logger.addHandler(handler)
        previous = logger.propagate
        logger.propagate = False  # keep lasio's chatter off the terminal; we report it ourselves
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                las = lasio.read(io.StringIO(text), ignore_header_errors=not strict_header)
        finally:
            logger.removeHandler(handler)
            logger.propagate = previous
    return las, handler.messages


def read_las(path: Path) -> tuple[Any, list[str]]:
    """lasio's LASFile and the warnings worth showing; LasImportError on any failure."""
    import lasio.exceptions

    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LasImportError(f"{name}: cannot open: {exc.strerror or exc}") from None
    if not path.is_file():
        raise LasImportError(f"{name}: not a file")
    if size == 0:
        raise LasImportError(f"{name}: the file is empty")
    if size > _MAX_BYTES:
        raise LasImportError(f"{name}: {size / 2**20:.0f} MB is larger than the {_MAX_BYTES // 2**20} MB limit")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LasImportError(f"{name}: cannot read: {exc.strerror or exc}") from None
    text, encoding = decode_las_bytes(raw)
    if not text.strip():
        raise LasImportError(f"{name}: the file is empty")
    sections = _sections(text)
    if not sections:
        raise LasImportError(f"{name}: not a LAS file (no ~ sections)")
    _check_header(name, text, sections)
    _check_rows(name, text, sections)
    notes = [f"read as {encoding}"] if encoding != "utf-8" else []
    try:
        try:
            las, messages = _lasio_read(text, strict_header=True)
        except lasio.exceptions.LASHeaderError:
            # A bad header line should not lose the logs: skip it, and say so.
            las, messages = _lasio_read(text, strict_header=False)
            messages = [f"header line skipped: {m}" if _BAD_HEADER_LINE.match(m) else m for m in messages]
    except KeyError as exc:
        if "No ~ sections" in str(exc):
            raise LasImportError(f"{name}: not a LAS file (no ~ sections)") from None
        raise LasImportError(f"{name}: cannot read as LAS: missing {exc}") from None
    except AttributeError:
        raise LasImportError(f"{name}: no data: the ~A section is missing") from None
    except Exception as exc:  # lasio raises many kinds; all mean "cannot read this file"
        detail = _first_line(exc)
        if "reshape" in detail or "columns" in detail:
            detail = f"the ~A rows do not match the ~C curves ({detail})"
        raise LasImportError(f"{name}: cannot read as LAS: {detail}") from None
    return las, notes + [m for m in messages if not any(n in m for n in _NOISE)]


@dataclass(frozen=True)
class _Section:
    title: str
    start: int  # the first character after the title line
    end: int

    @property
    def kind(self) -> str:
        """What lasio 0.32 makes of the section (reader.determine_section_type): data, other or items."""
        if self.title[:2] == "~A" or "~Log_Data" in self.title or "_Data" in self.title:
            return "data"
        return "other" if self.title[:2] == "~O" else "items"


def _sections(text: str) -> list[_Section]:
    """The ~ sections, found as lasio finds them (a line whose first non-blank character is ~)."""
    starts = []
    at = text.find("~")
    while at >= 0:  # str.find: a regex over every line start is slow on a big ~A section
        line_start = text.rfind("\n", 0, at) + 1
        if not text[line_start:at].strip():
            starts.append(line_start)
        eol = text.find("\n", at)
        at = text.find("~", eol) if eol >= 0 else -1  # the first ~ of a later line
    out = []
    for i, start in enumerate(starts):
        eol = text.find("\n", start)
        eol = len(text) if eol < 0 else eol
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        out.append(_Section(text[start:eol].strip(), min(eol + 1, end), end))
    return out


def _check_header(name: str, text: str, sections: list[_Section]) -> None:
    """Refuse a header lasio would take minutes over (see MAX_HEADER_LINES), before it is called."""
    items = [line for sec in sections if sec.kind == "items"
             for line in map(str.strip, text[sec.start:sec.end].split("\n")) if line and line[0] != "#"]
    if len(items) > MAX_HEADER_LINES:
        raise LasImportError(f"{name}: the header has {len(items):,} lines; at most {MAX_HEADER_LINES:,} "
                             "are read")
    longest = max(items, key=len, default="")
    if len(longest) > MAX_HEADER_LINE_CHARS:
        raise LasImportError(f"{name}: header line {_line_no(text, longest):,} has {len(longest):,} characters; "
                             f"at most {MAX_HEADER_LINE_CHARS:,} are read")
    size = sum(map(len, items))
    if size > MAX_HEADER_CHARS:
        raise LasImportError(f"{name}: the header has {size:,} characters; at most {MAX_HEADER_CHARS:,} are read")


def _line_no(text: str, line: str) -> int:
    return text.count("\n", 0, text.find(line)) + 1


def _check_rows(name: str, text: str, sections: list[_Section]) -> None:
    """Refuse an unwrapped file whose ~A rows differ in length, naming the first odd row.

    lasio reads the data as one stream of values cut into rows of equal width: a row with a
    value missing or extra fails the whole read with a bare "cannot reshape", or, when the
    count happens to divide, silently shifts every value after it into the wrong curve.
    """
    data = next((sec for sec in sections if sec.title[:2] == "~A"), None)
    if data is None:
        return
    head = text[:data.start]
    wrap, dlm = (_HEADER_ITEM[key].search(head) for key in ("WRAP", "DLM"))
    if not wrap or wrap.group(1).upper() != "NO" or (dlm and dlm.group(1).upper() not in ("", "SPACE")):
        return  # wrapped rows span lines; other delimiters split differently
    lines = text[data.start:data.end].split("\n")
    counts = set(map(len, map(str.split, lines))) - {0}
    if len(counts) < 2:
        return  # the usual case, settled by a fast split; else count as lasio does
    rows = [(line, width) for line, width in zip(lines, map(_lasio_width, lines)) if width]
    if not rows:
        return
    tally = Counter(width for _, width in rows)
    width = rows[0][1] if tally[rows[0][1]] == max(tally.values()) else tally.most_common(1)[0][0]
    odd = [(n, line, w) for n, (line, w) in enumerate(rows, 1) if w != width]
    if not odd:
        return
    row, line, values = odd[0]
    more = "" if len(odd) == 1 else f"; {len(odd) - 1:,} more row{'s differ' if len(odd) > 2 else ' differs'}"
    others = "the other rows have" if len(odd) == 1 else "most rows have"
    raise LasImportError(f"{name}: the ~A rows do not line up: data row {row:,} (depth {line.split()[0]}) has "
                         f"{values} values where {others} {width}{more}")


def _lasio_width(line: str) -> int | None:
    """How many values lasio reads from a data line; None for a comment or blank line."""
    line = line.strip().replace(chr(26), "")
    if not line or line.startswith("#"):
        return None
    for pattern, sub in _RUN_ON:
        line = pattern.sub(sub, line)
    return len(_VALUE.findall(line)) or None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _header(las: Any, field: str) -> str | None:
    try:
        item = las.well[field]
    except (KeyError, IndexError):
        return None
    value = str(item.value).strip() if item.value is not None else ""
    return value or None


def _as_float(data: Any, null: float | None) -> tuple[np.ndarray | None, np.ndarray]:
    """A column as float64 with nulls as NaN, and the rows whose value is not a number (stored
    as NaN too); None for a text column (fewer than half its values are numbers).

    One unreadable value ("1.2x", "N/A") makes lasio return the whole column as strings: it is
    converted here value by value, so that sample alone is lost, not the curve. lasio replaces
    NULL only in columns it parsed as numbers, so NULL is replaced here too.
    """
    arr = np.asarray(data)
    bad = np.zeros(0, dtype=np.intp)
    if arr.ndim != 1:
        return None, bad
    if arr.dtype.kind in "fiub":
        out = arr.astype(float)
    else:
        try:
            text = np.char.strip(arr.astype(str))
        except (TypeError, ValueError):
            return None, bad
        out, bad = _parse_numbers(text)
        if 2 * bad.size > out.size:
            return None, bad
    if null is not None:
        out[out == null] = np.nan
    out[~np.isfinite(out)] = np.nan  # "inf" in a file is not a measurement
    return out, bad


def _parse_numbers(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strings as float64, NaN where one is not a number, and the indices of those."""
    try:
        return text.astype(float), np.zeros(0, dtype=np.intp)
    except ValueError:
        pass
    out = np.empty(text.size)
    bad = []
    for i, value in enumerate(text.tolist()):
        try:
            out[i] = float(value)
        except ValueError:
            out[i] = np.nan
            bad.append(i)
    return out, np.asarray(bad, dtype=np.intp)


def _not_numbers_note(mnemonic: str, raw: Any, bad: np.ndarray, depths: np.ndarray) -> str:
    """The warning for values that are not numbers, e.g. "GR: 1 value not a number at depth 1501.5
    ('1.2x'), stored as null"; at most three are shown."""
    shown = ", ".join(f"{_num(depths[i])} ({str(raw[i]).strip()!r})" for i in bad[:3])
    more = f" and {bad.size - 3:,} more" if bad.size > 3 else ""
    if bad.size == 1:
        return f"{mnemonic}: 1 value not a number at depth {shown}, stored as null"
    return f"{mnemonic}: {bad.size:,} values not a number at depths {shown}{more}, stored as null"


def _num(x: float) -> str:
    """A number as written in the file (shortest exact form): 1669.876, 100, 0.05."""
    return np.format_float_positional(float(x), trim="-")


def _depth_unit(unit: str) -> str:
    u = (unit or "").strip().lower()
    return {"m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m", "f": "ft", "ft": "ft",
            "feet": "ft", "foot": "ft"}.get(u, u or "m")


def _null_value(las: Any) -> float | None:
    try:
        value = las.well["NULL"].value
    except (KeyError, IndexError):
        return None
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _step(las: Any, depths: np.ndarray) -> float | None:
    """The sampling step: the header's STEP when the data agrees, else the median step."""
    if depths.size < 2:
        return None
    median = float(np.median(np.diff(depths)))
    try:
        declared = abs(float(las.well["STEP"].value))
    except (KeyError, IndexError, TypeError, ValueError):
        declared = 0.0
    if declared and abs(declared - median) <= 1e-6 * max(declared, 1.0):
        return declared
    return round(median, 9)


@dataclass
class ParsedLas:
    """A LAS file read and checked, ready to be stored as a well (no database touched yet)."""

    name: str  # the file name, for messages
    header: dict[str, Any]
    depths: np.ndarray
    curves: list[tuple[str, str, str, np.ndarray]]
    warnings: list[str]


def import_las(db: Any, path: Path, workspace_id: int) -> ImportResult:
    """Import one LAS file as a new well of `workspace_id`: all of it, or nothing."""
    db.get_workspace(workspace_id)  # fail early and clearly
    return store_las(db, parse_las(path), workspace_id)


def parse_las(path: Path) -> ParsedLas:
    """Read and check a LAS file; LasImportError if it cannot become a well. No database."""
    path = Path(path)
    name = path.name
    las, messages = read_las(path)
    no_data = {m.group("mnemonic") for m in map(_NO_DATA.search, messages) if m}
    notes = [m for m in messages if not _NO_DATA.search(m)]
    null = _null_value(las)
    curves = list(las.curves)
    if not curves:
        raise LasImportError(f"{name}: no curves (the ~C section is missing or empty)")
    columns = [(c, *_as_float(c.data, null)) for c in curves]
    # The index: the first depth-named curve; without one, the first curve (the LAS rule).
    depth_at = next((i for i, (c, _, _) in enumerate(columns)
                     if c.mnemonic.split(":")[0].upper() in _DEPTH_NAMES), None)
    if depth_at is None:
        depth_at = 0
        notes.append(f"no depth curve: the first curve, {curves[0].mnemonic}, is the index")
    index_curve, depths, bad = columns[depth_at]
    file_depths = _check_depths(name, index_curve, depths, bad)
    flip = file_depths.size > 1 and file_depths[1] < file_depths[0]
    if flip:
        notes.append("depths decrease in the file; stored increasing")
    depths = file_depths[::-1].copy() if flip else file_depths

    out: list[tuple[str, str, str, np.ndarray]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    renamed: dict[str, list[str]] = {}
    for i, (curve, values, bad) in enumerate(columns):
        if i == depth_at:
            continue
        mnemonic = curve.mnemonic.strip() or f"CURVE{i}"
        if mnemonic in no_data:
            skipped.append(f"{mnemonic}: listed in ~C but has no data column in ~A, not imported")
            continue
        if values is None:
            skipped.append(f"{mnemonic}: text values, not imported")
            continue
        if np.isnan(values).all():
            skipped.append(f"{mnemonic}: every value is null, not imported")
            continue
        if flip:
            values = values[::-1].copy()
        if curve.mnemonic.split(":")[0] == "UNKNOWN" and not getattr(curve, "original_mnemonic", ""):
            notes.append(f"{mnemonic}: a data column the ~C section does not describe")
        clean = re.sub(r"\s+", "_", mnemonic)[:32]
        base = clean
        n = 1
        while clean.upper() in seen:  # a clash lasio did not resolve (case, truncation)
            n += 1
            clean = f"{base[:29]}:{n}"
        seen.add(clean.upper())
        if bad.size:
            notes.append(_not_numbers_note(clean, curve.data, bad, file_depths))
        match = _RENAMED.match(curve.mnemonic) if getattr(curve, "original_mnemonic", "") else None
        if match:  # lasio's renaming of a repeated mnemonic: GR:1, GR:2
            renamed.setdefault(match.group("base"), []).append(clean)
        out.append((clean, str(curve.unit or "").strip(), str(curve.descr or "").strip(), values))
    for base, kept in renamed.items():
        index_note = f" ({index_curve.mnemonic} is the depth index)" if \
            index_curve.mnemonic.split(":")[0] == base else ""
        notes.append(f"{base}: mnemonic repeated in the file, kept as {', '.join(kept)}{index_note}")
    if not out:
        reason = f"; {'; '.join(skipped)}" if skipped else ""
        raise LasImportError(f"{name}: no log curves to import, only the depth index "
                             f"{index_curve.mnemonic}{reason}")
    unit = str(index_curve.unit or "").strip()
    if not unit:
        try:
            unit = str(las.well["STRT"].unit or "").strip()
        except (KeyError, IndexError):
            unit = ""
    header = {
        "name": _header(las, "WELL") or path.stem,
        "uwi": _header(las, "UWI"), "company": _header(las, "COMP"), "field": _header(las, "FLD"),
        "location": _header(las, "LOC"), "step": _step(las, depths), "depth_unit": _depth_unit(unit),
        "null_value": null, "source_file": str(path.resolve()),
    }
    warnings_ = notes + skipped
    if not _header(las, "WELL"):
        warnings_.append(f"no well name (WELL) in the file; named {header['name']!r} after the file")
    return ParsedLas(name=name, header=header, depths=depths, curves=out, warnings=warnings_)


def _check_depths(name: str, curve: Any, depths: np.ndarray | None, bad: np.ndarray) -> np.ndarray:
    """The depth index in file order, or LasImportError naming the first bad row."""
    if depths is None:
        raise LasImportError(f"{name}: the depth column {curve.mnemonic} has text values")
    if bad.size:
        row = int(bad[0])
        raise LasImportError(f"{name}: the depth column {curve.mnemonic} has a value that is not a number "
                             f"(data row {row + 1}: {str(curve.data[row]).strip()!r})")
    if depths.size == 0:
        raise LasImportError(f"{name}: no data rows in the ~A section")
    if np.isnan(depths).any():
        row = int(np.flatnonzero(np.isnan(depths))[0]) + 1
        raise LasImportError(f"{name}: the depth column {curve.mnemonic} has a null value (data row {row})")
    if depths.size > 1:
        steps = np.diff(depths)
        if not (np.all(steps < 0) or np.all(steps > 0)):
            bad_at = int(np.flatnonzero(steps <= 0 if steps[0] > 0 else steps >= 0)[0]) + 1
            raise LasImportError(f"{name}: depths are not in order (data row {bad_at + 1}: "
                                 f"{_num(depths[bad_at])} after {_num(depths[bad_at - 1])})")
    return depths


def store_las(db: Any, parsed: ParsedLas, workspace_id: int) -> ImportResult:
    """Write a parsed file as a new well of `workspace_id`, in one transaction."""
    name, header = parsed.name, parsed.header
    warnings_ = list(parsed.warnings)
    if any(w.name == header["name"] for w in db.list_wells(workspace_id)):
        warnings_.append(f"a well named {header['name']!r} already exists in this workspace; "
                         "imported as a new well")
    try:
        well, infos = db.add_well(workspace_id, header, parsed.depths, parsed.curves)
    except ValueError as exc:
        raise LasImportError(f"{name}: {exc}") from None
    except sqlite3.Error as exc:  # locked, read-only, disk full: nothing was written
        reason = getattr(exc, "reason", None)
        if reason:  # a DatabaseWriteError: plain words, the database file and SQLite's text
            detail = f": {reason}; nothing was written (database {exc.path}: {exc.raw})"
        else:
            detail = f"; nothing was written ({exc})"
        raise LasImportError(f"{name}: not imported, the database could not be written{detail}") from exc
    return ImportResult(well=well, curves=infos, warnings=warnings_)


# ---- export ---------------------------------------------------------------------------------

_EXPORT_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EIO: "a disk I/O error",
}


class LasExportError(OSError):
    """A LAS export could not be written. The message names the file, says why in plain words
    (keeping the system's text) and that the previous file, if any, is unchanged; `errno` is
    the system's error number when there was one."""

    def __init__(self, message: str, errno_: int | None = None, filename: str | None = None) -> None:
        super().__init__(message)
        self.errno, self.filename, self.message = errno_, filename, message

    def __str__(self) -> str:
        return self.message


def _export_error(path: Path, exc: OSError, existed: bool) -> LasExportError:
    code = exc.errno if isinstance(exc.errno, int) else None
    system = exc.strerror or str(exc) or type(exc).__name__
    reason = _EXPORT_REASONS.get(code) if code is not None else None
    detail = f"{reason} ({system})" if reason else system
    kept = "the existing file is unchanged" if existed else "no file was written"
    return LasExportError(f"{path}: not exported, {detail}; {kept}", code, str(path))


def _database_files(db: Any) -> list[Path]:
    main = getattr(db, "path", None)
    if main is None:
        return []
    main = Path(main)
    return [main, *(main.with_name(main.name + s) for s in ("-wal", "-shm", "-journal"))]


def _is_database_file(db: Any, path: Path) -> bool:
    """Whether `path` is the database or one of its side files (also through a link):
    writing a LAS file over one of them would destroy the data."""
    target = Path(os.path.realpath(path))
    for f in _database_files(db):
        if Path(os.path.realpath(f)) == target:
            return True
        try:
            if target.exists() and f.exists() and os.path.samefile(f, target):
                return True
        except (OSError, ValueError):
            pass
    return False


def las_mnemonics(names: Sequence[str]) -> list[str]:
    """Mnemonics a LAS reader parses back: lasio's `GR:1`, `GR:2` become `GR`, `GR` again
    (readers number repeats themselves); '.', ':' and spaces, which end a LAS mnemonic,
    become '_'."""
    out = []
    for name in names:
        match = _RENAMED.match(name)
        if match:
            name = match.group("base")
        name = re.sub(r"[\s.:]", "_", name).lstrip("~#") or "CURVE"
        out.append(name)
    return out


def _las_unit(unit: str) -> str:
    return re.sub(r"\s+", "_", (unit or "").strip())  # a space ends the unit field


def _las_text(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace(":", ";")).strip()  # ':' starts the description


def _umask() -> int:
    """The process umask, read without changing it (os.umask would race other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def export_las(db: Any, well_id: int, path: Path, curve_ids: Sequence[int] | None = None, *,
               overwrite: bool = True) -> Path:
    """Write a well (or chosen curves) as LAS 2.0; the file appears complete or not at all.
    With `overwrite=False` an existing file is never replaced, not even one that appears while
    the export is being written (the complete file is linked into place, which fails if taken)."""
    import lasio

    path = Path(path)
    well = db.get_well(well_id)
    curves = db.list_curves(well_id)
    if curve_ids is not None:
        by_id = {c.id: c for c in curves}
        missing = [cid for cid in curve_ids if cid not in by_id]
        if missing:
            raise ValueError(f"curve(s) {', '.join(map(str, missing))} are not curves of well {well.name!r}")
        curves = [by_id[cid] for cid in curve_ids]
    if not path.parent.is_dir():
        raise ValueError(f"folder {path.parent} does not exist")
    if _is_database_file(db, path):
        raise ValueError(f"{path}: not exported, that is the DataForge database (writing there would "
                         "destroy it); choose another file")
    depths = db.get_depths(well_id)
    las = lasio.LASFile()
    las.well["WELL"].value = _las_text(well.name)
    for field, value in (("UWI", well.uwi), ("COMP", well.company), ("FLD", well.field),
                         ("LOC", well.location)):
        if value:
            las.well[field].value = _las_text(value)
    unit = {"m": "M", "ft": "F"}.get(well.depth_unit, _las_unit(well.depth_unit))
    las.well["NULL"].value = EXPORT_NULL
    las.append_curve("DEPT", depths, unit=unit, descr="Depth")
    for mnemonic, c in zip(las_mnemonics([c.mnemonic for c in curves]), curves):
        las.append_curve(mnemonic, db.get_samples(c.id), unit=_las_unit(c.unit), descr=_las_text(c.description))
    steps = np.diff(depths)
    regular = steps.size > 0 and np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9)
    step = float(well.step) if regular and well.step else (float(steps[0]) if regular else 0.0)
    for item in ("STRT", "STOP", "STEP"):
        las.well[item].unit = unit
    existed = os.path.lexists(path)
    if existed and not overwrite:
        raise _exists_error(path)
    try:
        mode = path.stat().st_mode & 0o777  # replacing a file keeps its permissions
    except (FileNotFoundError, NotADirectoryError):
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise _export_error(path, exc, existed) from exc
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:  # read-only folder or file system, no permission, name too long
        raise _export_error(path, exc, existed) from exc
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600; an exported file is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            las.write(fh, version=2.0, wrap=False, fmt="%.10g", STRT=float(depths[0]),
                      STOP=float(depths[-1]), STEP=step)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _place_new(tmp, path)
    except BaseException as exc:
        try:
            if os.path.exists(tmp):
                os.unlink(tmp)
        except OSError:
            log.warning("could not remove the temporary file %s", tmp)
        if isinstance(exc, FileExistsError) and not overwrite:
            raise _exists_error(path) from exc
        if isinstance(exc, OSError) and not isinstance(exc, LasExportError):  # disk full, I/O error, ...
            raise _export_error(path, exc, existed) from exc
        raise
    return path


def _place_new(tmp: str, path: Path) -> None:
    """Move `tmp` to `path` only if `path` does not exist, atomically where hard links work."""
    try:
        os.link(tmp, path)  # FileExistsError if taken meanwhile
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some network or FAT file systems): check, then rename
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _exists_error(path: Path) -> LasExportError:
    return LasExportError(f"{path} already exists: not exported (overwriting it was not asked for)",
                          errno.EEXIST, str(path))
