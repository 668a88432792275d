"""LAS in and out, with lasio.

lasio reads almost anything but fails in many different ways (and some files
"succeed" with text columns or un-replaced nulls), so the import wraps it: detect
the encoding first, read, check the depth index, convert each curve to float
explicitly, and turn any failure into one `LasImportError` that names the file.
The well and its curves are written in one transaction, so a failure leaves
nothing behind.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .models import ImportResult, LasImportError

__all__ = ["import_las", "export_las", "read_las", "decode_las_bytes"]

_DEPTH_NAMES = ("DEPT", "DEPTH", "MD", "TVD", "TVDSS", "INDEX")
_MAX_BYTES = 512 * 1024 * 1024


def decode_las_bytes(raw: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-16 (with or without BOM), UTF-8 (with or without BOM),
    or cp1252 as the last resort (it decodes nearly anything)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    head = raw[:400]
    if head.count(b"\x00") > len(head) // 4:
        encoding = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return raw.decode(encoding), encoding
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252"


class _LasioLog(logging.Handler):
    """Collects lasio's warnings for the calling thread (imports may run in parallel)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def read_las(path: Path) -> tuple[Any, list[str]]:
    """lasio's LASFile and its warnings; LasImportError on any failure."""
    import lasio

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
    if "~" not in text:
        raise LasImportError(f"{name}: not a LAS file (no ~ sections)")
    logger = logging.getLogger("lasio")
    handler = _LasioLog()
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False  # keep lasio's chatter off the terminal; we report it ourselves
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            las = lasio.read(io.StringIO(text), ignore_header_errors=False)
    except KeyError as exc:
        if "No ~ sections" in str(exc):
            raise LasImportError(f"{name}: not a LAS file (no ~ sections)") from None
        raise LasImportError(f"{name}: cannot read as LAS: missing {exc}") from None
    except AttributeError:
        raise LasImportError(f"{name}: no data: the ~A section is missing or empty") from None
    except Exception as exc:  # lasio raises many kinds; all mean "cannot read this file"
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise LasImportError(f"{name}: cannot read as LAS: {detail}") from None
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous
    notes = [f"read as {encoding}"] if encoding not in ("utf-8",) else []
    return las, notes + [m for m in handler.messages if "n_columns" not in m]


def _header(las: Any, field: str) -> str | None:
    try:
        item = las.well[field]
    except (KeyError, IndexError):
        return None
    value = str(item.value).strip() if item.value is not None else ""
    return value or None


def _as_float(data: Any) -> np.ndarray | None:
    """A numeric column as float64 (None if it holds text)."""
    arr = np.asarray(data)
    if arr.dtype.kind in "fiub":
        return arr.astype(float)
    try:
        return arr.astype(float)
    except (TypeError, ValueError):
        return None


def _depth_unit(unit: str) -> str:
    u = (unit or "").strip().lower()
    return {"m": "m", "meter": "m", "meters": "m", "metres": "m", "f": "ft", "ft": "ft", "feet": "ft",
            "foot": "ft"}.get(u, u or "m")


def import_las(db: Any, path: Path, workspace_id: int) -> ImportResult:
    """Import one LAS file as a new well of `workspace_id`: all of it, or nothing."""
    path = Path(path)
    name = path.name
    db.get_workspace(workspace_id)  # fail early and clearly
    las, warnings_ = read_las(path)
    curves = list(las.curves)
    if not curves:
        raise LasImportError(f"{name}: no curves (the ~C section is missing or empty)")
    columns = [(c, _as_float(c.data)) for c in curves]
    depth_at = next((i for i, (c, v) in enumerate(columns)
                     if v is not None and c.mnemonic.split(":")[0].upper() in _DEPTH_NAMES), None)
    if depth_at is None:
        depth_at = next((i for i, (_, v) in enumerate(columns) if v is not None), None)
    if depth_at is None:
        raise LasImportError(f"{name}: no numeric depth column")
    index_curve, depths = columns[depth_at]
    if depths.size == 0:
        raise LasImportError(f"{name}: no data rows in the ~A section")
    if np.isnan(depths).any():
        raise LasImportError(f"{name}: the depth column {index_curve.mnemonic} has null values")
    order = None
    if depths.size > 1:
        steps = np.diff(depths)
        if np.all(steps < 0):
            order = slice(None, None, -1)
            warnings_.append(f"depths decrease in the file; stored increasing")
        elif not np.all(steps > 0):
            bad = int(np.flatnonzero(steps <= 0)[0]) + 1
            raise LasImportError(f"{name}: depths are not in order (row {bad + 1}: "
                                 f"{depths[bad - 1]} then {depths[bad]})")
    if order is not None:
        depths = depths[order]
    out: list[tuple[str, str, str, np.ndarray]] = []
    seen: dict[str, int] = {}
    for i, (curve, values) in enumerate(columns):
        if i == depth_at:
            continue
        mnemonic = curve.mnemonic.strip() or f"CURVE{i}"
        if values is None:
            warnings_.append(f"{mnemonic}: text values, not imported")
            continue
        if order is not None:
            values = values[order]
        if np.isnan(values).all():
            warnings_.append(f"{mnemonic}: no values (all null), not imported")
            continue
        base = mnemonic.split(":")[0]
        if ":" in mnemonic:
            warnings_.append(f"{base}: duplicate mnemonic, kept as {mnemonic}")
        mnemonic = mnemonic.replace(" ", "_")[:32]
        if mnemonic.upper() in seen:
            seen[mnemonic.upper()] += 1
            mnemonic = f"{mnemonic[:29]}:{seen[mnemonic.upper()]}"
        seen[mnemonic.upper()] = seen.get(mnemonic.upper(), 1)
        out.append((mnemonic, str(curve.unit or ""), str(curve.descr or "").strip(), values))
    if not out:
        raise LasImportError(f"{name}: only a depth index ({index_curve.mnemonic}), no log curves to import")
    null = las.well["NULL"].value if "NULL" in las.well else None
    try:
        null = float(null) if null not in (None, "") else None
    except (TypeError, ValueError):
        null = None
    step = float(np.median(np.diff(depths))) if depths.size > 1 else None
    header = {
        "name": _header(las, "WELL") or path.stem,
        "uwi": _header(las, "UWI"), "company": _header(las, "COMP"), "field": _header(las, "FLD"),
        "location": _header(las, "LOC"), "step": step, "depth_unit": _depth_unit(index_curve.unit),
        "null_value": null, "source_file": str(path.resolve()),
    }
    if any(w.name == header["name"] for w in db.list_wells(workspace_id)):
        warnings_.append(f"a well named {header['name']!r} already exists in this workspace; imported as a new well")
    try:
        well, infos = db.add_well(workspace_id, header, depths, out)
    except ValueError as exc:
        raise LasImportError(f"{name}: {exc}") from None
    return ImportResult(well=well, curves=infos, warnings=warnings_)


def export_las(db: Any, well_id: int, path: Path, curve_ids: Sequence[int] | None = None) -> Path:
    """Write a well (or chosen curves) as LAS 2.0; the file appears complete or not at all."""
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
    depths = db.get_depths(well_id)
    las = lasio.LASFile()
    las.well["WELL"].value = well.name
    for field, value in (("UWI", well.uwi), ("COMP", well.company), ("FLD", well.field),
                         ("LOC", well.location)):
        if value:
            las.well[field].value = value
    unit = {"m": "M", "ft": "F"}.get(well.depth_unit, well.depth_unit)
    las.well["NULL"].value = -999.25
    las.append_curve("DEPT", depths, unit=unit, descr="Depth")
    for c in curves:
        las.append_curve(c.mnemonic, db.get_samples(c.id), unit=c.unit, descr=c.description)
    las.well["STRT"].value, las.well["STOP"].value = float(depths[0]), float(depths[-1])
    las.well["STRT"].unit = las.well["STOP"].unit = las.well["STEP"].unit = unit
    las.well["STEP"].value = well.step or 0
    if not path.parent.exists():
        raise ValueError(f"folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            las.write(fh, version=2.0, wrap=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
