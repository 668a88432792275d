"""Curve samples already read, shared by every pane of the app.

The layout is rendered by recomposing, so a split or a kind change mounts every log-track
pane again; without this each one read and converted every curve of its well again (a
1 000 000-sample well with nine curves: ~7 s per split). A curve's samples never change
(a UDF writes a new curve; a rename changes only its name), so an entry stays right as long
as the curve's fingerprint (id, counts, range, statistics — which a reused id would not
share) is the same. Bounded by bytes, least recently used first out; a well's depths are
kept once for all its curves.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Awaitable, Callable

import numpy as np

from core.dataforge.models import CurveData, CurveInfo

__all__ = ["SampleCache"]

Arrays = tuple[np.ndarray, np.ndarray]
_MAX_PROFILES = 20_000  # sparklines (a few dozen characters each)


def _fingerprint(curve: CurveInfo) -> tuple:
    return (curve.id, curve.well_id, curve.sample_count, curve.null_count, curve.min_depth,
            curve.max_depth, curve.min, curve.max, curve.mean)


class SampleCache:
    """(depths, values) of whole curves, as read-only float64 arrays, and their sparklines."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._values: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._depths: dict[tuple[int, int], np.ndarray] = {}  # (well id, samples) -> depths
        self._profiles: OrderedDict[tuple, str] = OrderedDict()
        self.hits = self.misses = 0

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in self._values.values()) + sum(d.nbytes for d in self._depths.values())

    async def get(self, curve: CurveInfo, read: Callable[[], Awaitable[CurveData | None]]) -> Arrays | None:
        """The curve's arrays, from the cache or by `read()` (None when the read failed)."""
        key = _fingerprint(curve)
        values = self._values.get(key)
        depths = self._depths.get((curve.well_id, values.size)) if values is not None else None
        if values is not None and depths is not None:
            self._values.move_to_end(key)
            self.hits += 1
            return depths, values
        self.misses += 1
        data = await read()
        if data is None:
            return None
        return self._keep(key, curve.well_id, data)

    def _keep(self, key: tuple, well_id: int, data: CurveData) -> Arrays:
        values = np.asarray(data.values, dtype=float)
        depths_key = (well_id, values.size)
        depths = self._depths.get(depths_key)
        if depths is None or depths.size != len(data.depths) or not _same(depths, data.depths):
            depths = np.asarray(data.depths, dtype=float)
            depths.flags.writeable = False
            self._depths[depths_key] = depths
        values.flags.writeable = False
        self._values[key] = values
        self._trim()
        return depths, values

    def _trim(self) -> None:
        while len(self._values) > 1 and self.nbytes > self.max_bytes:
            self._values.popitem(last=False)
            used = {(k[1], v.size) for k, v in self._values.items()}
            for stale in [k for k in self._depths if k not in used]:
                del self._depths[stale]

    async def profile(self, curve: CurveInfo, make: Callable[[], Awaitable[str | None]]) -> str | None:
        """A curve list's sparkline of `curve`, made once per curve (`make()`; None: not kept)."""
        key = _fingerprint(curve)
        text = self._profiles.get(key)
        if text is None:
            text = await make()
            if text is not None:
                self._profiles[key] = text
                if len(self._profiles) > _MAX_PROFILES:
                    self._profiles.popitem(last=False)
        return text

    def clear(self) -> None:
        self._values.clear()
        self._depths.clear()
        self._profiles.clear()


def _same(depths: np.ndarray, listed: Any) -> bool:
    """Whether the cached depths are the ones just read (ends and a middle sample: the depths
    of a well are stored once, so a same-size read of the same well that differs is a new well
    under a reused id — rare, and then the cache simply takes the new ones)."""
    n = depths.size
    return bool(n == 0 or (depths[0] == listed[0] and depths[-1] == listed[-1] and depths[n // 2] == listed[n // 2]))
