"""NaN-aware centred moving-window statistics (pure numpy).

Every function takes a 1-D float array ``x`` and an odd window ``w`` and returns, for each sample,
the statistic of the valid (non-NaN) samples in ``x[i - w//2 : i + w//2 + 1]`` (windows are
truncated at the array ends; NaN where the window holds no valid sample).

Results are *bit-for-bit* independent of where the array was cut: each output sample is computed
from its own window only, always in the same order (shifted-array sums in a fixed order, or a
per-row sort). That is what makes chunked execution with ``w // 2`` samples of overlap identical
to a single pass.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["rolling_mean", "rolling_std", "rolling_median", "rolling_median_mad"]

# rows per block for the sort-based statistics: ~2M elements (16 MB) per temporary
_BLOCK_ELEMENTS = 1 << 21


def _check(x: np.ndarray, w: int) -> tuple[np.ndarray, int]:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("expected a 1-D array")
    w = int(w)
    if w < 1 or w % 2 == 0:
        raise ValueError(f"window must be a positive odd number of samples, got {w}")
    return x, w


def _padded(x: np.ndarray, h: int, fill: float) -> np.ndarray:
    out = np.full(x.shape[0] + 2 * h, fill, dtype=np.float64)
    out[h:h + x.shape[0]] = x
    return out


def _sum_count(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n, h = x.shape[0], w // 2
    valid = ~np.isnan(x)
    xp = _padded(np.where(valid, x, 0.0), h, 0.0)
    vp = _padded(valid.astype(np.float64), h, 0.0)
    s = np.zeros(n)
    c = np.zeros(n)
    for k in range(w):
        s += xp[k:k + n]
        c += vp[k:k + n]
    return s, c, xp, vp


def rolling_mean(x: np.ndarray, w: int) -> np.ndarray:
    x, w = _check(x, w)
    if w == 1:
        return x.copy()
    s, c, _, _ = _sum_count(x, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / c, np.nan)


def rolling_std(x: np.ndarray, w: int) -> np.ndarray:
    """Population standard deviation (ddof=0) of the valid samples in each window."""
    x, w = _check(x, w)
    n = x.shape[0]
    if w == 1:
        return np.where(np.isnan(x), np.nan, 0.0)
    s, c, xp, vp = _sum_count(x, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / c
        ss = np.zeros(n)
        for k in range(w):
            d = xp[k:k + n] - mean
            ss += d * d * vp[k:k + n]
        return np.where(c > 0, np.sqrt(ss / c), np.nan)


def _median_rows(sorted_rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median of each row of an ascending-sorted (NaN-last) 2-D array with ``counts`` valid."""
    rows = np.arange(sorted_rows.shape[0])
    lo = np.maximum((counts - 1) // 2, 0)
    hi = np.maximum(counts // 2, 0)
    with np.errstate(invalid="ignore"):
        med = 0.5 * (sorted_rows[rows, lo] + sorted_rows[rows, hi])
    med[counts == 0] = np.nan
    return med


def _blocks(n: int, w: int):
    rows = max(1, _BLOCK_ELEMENTS // w)
    for a in range(0, n, rows):
        yield a, min(n, a + rows)


def rolling_median(x: np.ndarray, w: int) -> np.ndarray:
    x, w = _check(x, w)
    n = x.shape[0]
    if w == 1 or n == 0:
        return x.copy()
    h = w // 2
    win = sliding_window_view(_padded(x, h, np.nan), w)
    out = np.empty(n)
    for a, b in _blocks(n, w):
        block = win[a:b]
        valid = ~np.isnan(block)
        counts = valid.sum(axis=1)
        if counts.min() == w:   # no NaN in this block: partition-based median (same values)
            out[a:b] = np.median(block, axis=1)
        else:
            out[a:b] = _median_rows(np.sort(block, axis=1), counts)
    return out


def rolling_median_mad(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling median and rolling median absolute deviation (unscaled) in one pass."""
    x, w = _check(x, w)
    n = x.shape[0]
    if n == 0:
        return x.copy(), x.copy()
    h = w // 2
    win = sliding_window_view(_padded(x, h, np.nan), w)
    med = np.empty(n)
    mad = np.empty(n)
    for a, b in _blocks(n, w):
        block = win[a:b]
        counts = (~np.isnan(block)).sum(axis=1)
        m = _median_rows(np.sort(block, axis=1), counts)
        dev = np.sort(np.abs(block - m[:, None]), axis=1)
        med[a:b] = m
        mad[a:b] = _median_rows(dev, counts)
    return med, mad
