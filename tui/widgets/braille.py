"""numpy → Unicode braille: well-log curves drawn at 2 × 4 dots per terminal cell.

Pure numpy (no Textual), so it can be tested and timed on its own.

A canvas of ``rows × cols`` cells is ``4·rows`` dot-rows by ``2·cols`` dot-columns.
Depth runs down the dot-rows (row 0 = ``top``), the value across the dot-columns.

Rules (the tests hold a slow reference implementation of exactly these):

* Samples with ``top <= depth <= bottom`` go to dot-row ``floor((d - top) · 4·rows / (bottom - top))``
  (``d == bottom`` lands in the last row).
* A value goes to dot-column ``floor(t · 2·cols)`` where ``t`` is its position 0..1 across the
  track, clipped to the track (values outside ``[lo, hi]`` sit on the edge column). Log scale
  uses ``log10``; values ≤ 0 are nulls. ``reversed`` mirrors the columns exactly
  (``col → 2·cols - 1 - col``).
* Min/max thinning: every dot-row draws all dots between the smallest and the largest column of
  its non-null samples, so a spike is never lost however far out you zoom.
* Continuity: two *consecutive* samples that are both non-null and lie in different dot-rows
  are joined by a straight line; in each dot-row it crosses, the line covers every column
  within half a dot of its x-extent over that row. Adjacent rows thus meet half-way; rows
  with no sample between two far-apart samples (zoomed in) are interpolated. The one sample
  just above ``top`` and just below ``bottom`` take part, so a line enters and leaves the
  window. Nulls are gaps: a NaN between two samples breaks the line, and a dot-row whose
  samples are all NaN stays empty.

Depths must be monotonic (increasing or decreasing) and finite. Fully vectorised: the work is
O(samples in the window + dot-rows), with no Python loop over either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "BRAILLE_BASE",
    "CurveSpec",
    "cells_to_strings",
    "check_scale",
    "dots_to_cells",
    "render_track",
    "track_dots",
    "value_columns",
    "value_to_unit",
]

BRAILLE_BASE = 0x2800

# Dot (dot-row, dot-col) within a cell → bit, as the Unicode braille block lays them out.
_WEIGHTS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint32)

# Rows of samples outside the window are clamped this far out (keeps int64 casts safe).
_FAR = 1e12


@dataclass(frozen=True, eq=False)
class CurveSpec:
    """What `render_track` needs of one curve (any object or mapping with these names works)."""

    depths: np.ndarray
    values: np.ndarray
    lo: float
    hi: float
    scale: str = "linear"
    reversed: bool = False


def check_scale(lo: float, hi: float, scale: str) -> None:
    """Raise ValueError unless ``lo``/``hi``/``scale`` describe a drawable axis."""
    if scale not in ("linear", "log"):
        raise ValueError(f"scale must be 'linear' or 'log', not {scale!r}")
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
        raise ValueError(f"the scale range {lo!r}–{hi!r} is empty or not finite")
    if scale == "log" and (lo <= 0 or hi <= 0):
        raise ValueError(f"a log scale needs a positive range, not {lo!r}–{hi!r}")


def value_to_unit(values: np.ndarray, lo: float, hi: float, scale: str = "linear",
                  reversed: bool = False) -> np.ndarray:
    """Values → position 0..1 across the track (unclipped; NaN for nulls and, on a log
    scale, for values ≤ 0). ``reversed`` gives ``1 - t``."""
    check_scale(lo, hi, scale)
    v = np.asarray(values, dtype=np.float64)
    if scale == "log":
        logs = np.full(v.shape, np.nan)
        with np.errstate(invalid="ignore"):
            np.log10(v, out=logs, where=v > 0)
        v, lo, hi = logs, math.log10(lo), math.log10(hi)
    t = (v - lo) / (hi - lo)
    return 1.0 - t if reversed else t


def value_columns(values: np.ndarray, lo: float, hi: float, width: int, scale: str = "linear",
                  reversed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Dot-columns (int64, clipped to ``0..width-1``) of `values`, and the mask of non-nulls.
    Null samples get column 0 (ignore them through the mask)."""
    t = value_to_unit(values, lo, hi, scale, False)
    valid = ~np.isnan(t)
    x = np.clip(t, 0.0, 1.0)
    x *= width
    np.floor(x, out=x)
    x[~valid] = 0.0
    cols = x.astype(np.int64)
    np.minimum(cols, width - 1, out=cols)
    if reversed:
        cols = (width - 1) - cols
    return cols, valid


def track_dots(depths: np.ndarray, values: np.ndarray, top: float, bottom: float, lo: float,
               hi: float, rows: int, cols: int, scale: str = "linear",
               reversed: bool = False) -> np.ndarray:
    """The ``(4·rows, 2·cols)`` boolean dot grid of one curve between ``top`` and ``bottom``."""
    height, width = 4 * max(rows, 0), 2 * max(cols, 0)
    dots = np.zeros((height, width), dtype=bool)
    depths = np.asarray(depths, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if depths.shape != values.shape or depths.ndim != 1:
        raise ValueError(f"depths {depths.shape} and values {values.shape} must be 1-D and alike")
    check_scale(lo, hi, scale)
    n = depths.size
    if height == 0 or width == 0 or n == 0 or not (math.isfinite(top) and math.isfinite(bottom)) \
            or not bottom > top:
        return dots
    if n > 1 and depths[0] > depths[-1]:
        depths, values = depths[::-1], values[::-1]
    i0 = int(np.searchsorted(depths, top, side="left"))
    i1 = int(np.searchsorted(depths, bottom, side="right"))
    # One neighbour each side joins the line to samples just outside the window.
    j0, j1 = max(i0 - 1, 0), min(i1 + 1, n)
    k0, k1 = i0 - j0, i1 - j0  # the window inside the extended slice
    if j1 <= j0:
        return dots

    y = depths[j0:j1] - top
    y *= height / (bottom - top)
    np.floor(y, out=y)
    np.clip(y, -_FAR, _FAR, out=y)
    r = y.astype(np.int64)
    if k1 > k0:  # `d == bottom` (and float noise) → the last row
        np.clip(r[k0:k1], 0, height - 1, out=r[k0:k1])
    c, valid = value_columns(values[j0:j1], lo, hi, width, scale, reversed)

    row_lo = np.full(height, width, dtype=np.int64)
    row_hi = np.full(height, -1, dtype=np.int64)

    # Min/max of each dot-row's non-null samples (rows are non-decreasing: depths are sorted).
    if k1 > k0:
        ri, ci, vi = r[k0:k1], c[k0:k1], valid[k0:k1]
        starts = np.flatnonzero(ri[1:] != ri[:-1]) + 1
        starts = np.concatenate((np.zeros(1, dtype=np.int64), starts))
        row_lo[ri[starts]] = np.minimum.reduceat(np.where(vi, ci, width), starts)
        row_hi[ri[starts]] = np.maximum.reduceat(np.where(vi, ci, -1), starts)

    # Lines between consecutive non-null samples in different rows.
    p = np.flatnonzero(r[1:] != r[:-1])
    p = p[valid[p] & valid[p + 1]]
    if p.size:
        a, b = r[p], r[p + 1]
        first = np.maximum(a, 0)
        count = np.maximum(np.minimum(b, height - 1) - first + 1, 0)
        total = int(count.sum())
        if total:
            pair = np.repeat(np.arange(p.size), count)
            rr = np.arange(total) - np.repeat(np.cumsum(count) - count, count) + first[pair]
            af, bf = a[pair].astype(np.float64), b[pair].astype(np.float64)
            ca, cb = c[p][pair].astype(np.float64), c[p + 1][pair].astype(np.float64)
            f0 = np.maximum(rr - 0.5, af)
            f1 = np.minimum(rr + 0.5, bf)
            x0 = ca + (cb - ca) * (f0 - af) / (bf - af)
            x1 = ca + (cb - ca) * (f1 - af) / (bf - af)
            xl = np.ceil(np.minimum(x0, x1) - 0.5).astype(np.int64)
            xh = np.floor(np.maximum(x0, x1) + 0.5).astype(np.int64)
            np.minimum.at(row_lo, rr, xl)
            np.maximum.at(row_hi, rr, xh)

    x = np.arange(width)
    np.greater_equal(x[None, :], row_lo[:, None], out=dots)
    dots &= x[None, :] <= row_hi[:, None]
    return dots


def dots_to_cells(dots: np.ndarray) -> np.ndarray:
    """``(4·rows, 2·cols)`` dots → ``(rows, cols)`` braille bit codes (uint32, 0 = no dot)."""
    height, width = dots.shape
    if height % 4 or width % 2:
        raise ValueError(f"a dot grid is 4·rows × 2·cols, not {height} × {width}")
    grid = dots.reshape(height // 4, 4, width // 2, 2).astype(np.uint32)
    return np.einsum("aibj,ij->ab", grid, _WEIGHTS)


def cells_to_strings(codes: np.ndarray) -> list[str]:
    """Braille codes → one string per cell row (code 0 is the blank braille pattern U+2800)."""
    codes = np.asarray(codes)
    rows, cols = codes.shape
    if rows == 0:
        return []
    text = (codes.astype(np.uint32) + BRAILLE_BASE).astype("<u4").tobytes().decode("utf-32-le")
    return [text[i * cols:(i + 1) * cols] for i in range(rows)]


def _field(curve: Any, name: str, default: Any = None) -> Any:
    if isinstance(curve, Mapping):
        return curve.get(name, default)
    return getattr(curve, name, default)


def render_track(curves: Sequence[Any], top: float, bottom: float, rows: int,
                 cols: int) -> tuple[np.ndarray, np.ndarray]:
    """All curves drawn together.

    `curves` are objects or mappings with ``depths, values, lo, hi`` and optionally
    ``scale`` ("linear") and ``reversed`` (False). Returns ``(codes, owner)``, both
    ``(rows, cols)``: the braille bit codes of every curve OR-ed together (uint32), and for
    each cell the index of the last curve that drew a dot in it (int64, -1: none).
    """
    rows, cols = max(rows, 0), max(cols, 0)
    codes = np.zeros((rows, cols), dtype=np.uint32)
    owner = np.full((rows, cols), -1, dtype=np.int64)
    for k, cv in enumerate(curves):
        cell = dots_to_cells(track_dots(
            _field(cv, "depths"), _field(cv, "values"), top, bottom, float(_field(cv, "lo")),
            float(_field(cv, "hi")), rows, cols, _field(cv, "scale", "linear") or "linear",
            bool(_field(cv, "reversed", False))))
        codes |= cell
        owner[cell != 0] = k
    return codes, owner
