"""Chunked, cancellable, NaN-preserving execution of UDFs over numpy arrays.

``execute`` knows nothing about databases, tasks or events: it takes arrays and returns an array.
Progress is reported through a plain callback and cancellation through any object with
``raise_if_cancelled()`` (``core.tasks.CancellationToken``, :class:`CancelFlag`, ...).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from ._errors import Cancelled, UdfError, UdfExecutionError, UdfInputError
from ._registry import REGISTRY, UdfDef, UdfRegistry

__all__ = ["UdfContext", "execute", "DEFAULT_CHUNK_SIZE", "TARGET_CHUNK_SECONDS"]

#: largest chunk in automatic mode (samples)
DEFAULT_CHUNK_SIZE = 50_000
#: in automatic mode the chunk size adapts so that one chunk takes about this long, which bounds
#: the cancellation latency (cancel is checked between chunks)
TARGET_CHUNK_SECONDS = 0.04
_FIRST_CHUNK = 4_096   # probe chunk: measure the UDF's speed before taking big bites
_MIN_CHUNK = 256

ProgressFn = Callable[[float, str], Any]


@dataclass
class UdfContext:
    """What a UDF function may want to know besides its inputs and params.

    For a chunk, the arrays passed to the function cover ``[ext_start, ext_stop)`` (global sample
    indices); the engine keeps ``[start, stop)`` of the result (``core`` is that slice relative to
    the chunk). ``stats`` is what the UDF's ``prepare`` hook returned for the whole curves.
    """

    udf_id: str
    n_samples: int
    step: float | None = None
    window: int = 1
    halo: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    chunk_index: int = 0
    start: int = 0
    stop: int = 0
    ext_start: int = 0
    ext_stop: int = 0

    @property
    def core(self) -> slice:
        return slice(self.start - self.ext_start, self.stop - self.ext_start)


def _cancel_checker(cancel: Any) -> Callable[[], None]:
    if cancel is None:
        return lambda: None
    raise_fn = getattr(cancel, "raise_if_cancelled", None)
    if callable(raise_fn):
        return raise_fn
    if isinstance(cancel, threading.Event):
        def check_event() -> None:
            if cancel.is_set():
                raise Cancelled("computation cancelled")
        return check_event
    if hasattr(cancel, "cancelled"):
        def check_attr() -> None:
            flag = cancel.cancelled
            if callable(flag):
                flag = flag()
            if flag:
                raise Cancelled("computation cancelled")
        return check_attr
    if callable(cancel):
        def check_call() -> None:
            if cancel():
                raise Cancelled("computation cancelled")
        return check_call
    raise TypeError("cancel must have raise_if_cancelled(), a 'cancelled' attribute, be a "
                    f"threading.Event or a callable returning bool; got {type(cancel).__name__}")


def _as_float_array(name: str, value: Any) -> np.ndarray:
    try:
        if isinstance(value, np.ma.MaskedArray):
            arr = np.ma.filled(value.astype(np.float64), np.nan)
        else:
            arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UdfInputError(f"input {name!r} is not numeric: {exc}", input_name=name) from None
    if arr.ndim != 1:
        raise UdfInputError(f"input {name!r} must be 1-D, got shape {arr.shape}", input_name=name)
    view = arr.view()
    view.flags.writeable = False   # UDFs must not modify the caller's curves
    return view


def _prepare_inputs(d: UdfDef, inputs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not isinstance(inputs, Mapping):
        raise UdfInputError(f"inputs for {d.id!r} must be a dict of input name -> array")
    names = d.input_names
    for spec in d.inputs:
        if spec.name not in inputs:
            raise UdfInputError(
                f"missing input {spec.name!r} for {d.id!r} (expected inputs: {', '.join(names)})",
                input_name=spec.name, aliases=spec.mnemonics)
    unknown = [k for k in inputs if k not in names]
    if unknown:
        raise UdfInputError(f"unknown input(s) {unknown} for {d.id!r} "
                            f"(expected inputs: {', '.join(names)})", input_name=str(unknown[0]))
    arrays = {n: _as_float_array(n, inputs[n]) for n in names}
    lengths = {n: a.shape[0] for n, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise UdfInputError(f"inputs of {d.id!r} have different lengths: {lengths}")
    return arrays


def _check_result(d: UdfDef, res: Any, expected: int, where: str) -> np.ndarray:
    try:
        arr = np.asarray(res, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UdfExecutionError(f"UDF {d.id!r} returned a non-numeric result {where}: {exc}") from exc
    if arr.ndim == 0:
        return np.full(expected, float(arr))
    if arr.shape != (expected,):
        raise UdfExecutionError(
            f"UDF {d.id!r} returned shape {arr.shape} {where}; expected ({expected},)")
    return arr


def execute(udf: str | UdfDef, inputs: Mapping[str, Any],
            params: Mapping[str, Any] | BaseModel | None = None, *, step: float | None = None,
            progress: ProgressFn | None = None, cancel: Any = None,
            chunk_size: int | None = None, registry: UdfRegistry | None = None) -> np.ndarray:
    """Run a UDF over whole curves and return the result (float64, same length, NaN = null).

    * ``inputs``: input name -> 1-D array (all the same length; NaN for nulls). Not modified.
    * ``params``: dict or params model; invalid -> :class:`UdfParamsError` naming the field.
    * ``step``: depth step of the curves (needed by depth-based windows; sign ignored).
    * ``progress(fraction, message)``: called with 0.0 at the start and after every chunk.
    * ``cancel``: checked before every chunk and at the end; an object with
      ``raise_if_cancelled()`` (whatever it raises propagates), a ``cancelled`` flag, a
      ``threading.Event`` or a callable (the engine then raises :class:`Cancelled`).
    * ``chunk_size``: fixed samples per chunk; default: adaptive (a small probe chunk, then
      sized so one chunk takes ~40 ms, at most 50 000 samples), which keeps cancellation
      latency well under 100 ms.

    Windowed UDFs get ``window // 2`` samples of overlap at chunk edges, so chunked and
    unchunked results are identical. UDFs with a ``prepare`` hook get whole-curve statistics
    computed first. With ``nan_propagate`` (all built-ins), the result is NaN wherever any input
    is NaN.
    """
    d = (REGISTRY if registry is None else registry).resolve(udf)
    p = d.validate_params(params)
    arrays = _prepare_inputs(d, inputs)
    check_cancel = _cancel_checker(cancel)
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        chunk_size = int(chunk_size)
    if step is not None:
        step = float(step)
        if not np.isfinite(step) or step == 0:
            step = None

    n = next(iter(arrays.values())).shape[0]
    window = d.window_samples(p, step)
    halo = window // 2
    ctx = UdfContext(udf_id=d.id, n_samples=n, step=step, window=window, halo=halo)

    if progress is not None:
        progress(0.0, f"{d.name}: starting")
    check_cancel()

    if d.prepare is not None:
        try:
            with np.errstate(all="ignore"):
                stats = d.prepare(arrays, p, ctx)
        except UdfError:
            raise
        except Exception as exc:
            raise UdfExecutionError(f"UDF {d.id!r} failed computing whole-curve statistics: "
                                    f"{exc}") from exc
        ctx.stats = dict(stats or {})
        check_cancel()

    out = np.empty(n, dtype=np.float64)
    fixed = chunk_size is not None
    size = chunk_size if fixed else min(_FIRST_CHUNK, DEFAULT_CHUNK_SIZE)
    min_size = max(_MIN_CHUNK, halo)  # keep the overlap overhead reasonable
    start = 0
    index = 0
    while start < n:
        check_cancel()
        stop = min(n, start + size)
        ext_start, ext_stop = max(0, start - halo), min(n, stop + halo)
        ctx.chunk_index, ctx.start, ctx.stop = index, start, stop
        ctx.ext_start, ctx.ext_stop = ext_start, ext_stop
        chunk = {k: v[ext_start:ext_stop] for k, v in arrays.items()}
        where = f"for samples {start}-{stop - 1}"
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                res = d.fn(chunk, p, ctx)
        except (UdfError, Cancelled):
            raise
        except Exception as exc:
            raise UdfExecutionError(f"UDF {d.id!r} failed {where}: {exc}") from exc
        res = _check_result(d, res, ext_stop - ext_start, where)
        out[start:stop] = res[start - ext_start: stop - ext_start]
        elapsed = time.perf_counter() - t0
        index += 1
        start = stop
        if progress is not None:
            progress(start / n, f"{d.name}: {start:,}/{n:,} samples")
        if not fixed:
            # aim for TARGET_CHUNK_SECONDS per chunk; grow at most 8x per step
            if elapsed > 0:
                ideal = int(size * TARGET_CHUNK_SECONDS / elapsed)
            else:
                ideal = size * 8
            size = max(min_size, min(DEFAULT_CHUNK_SIZE, size * 8, ideal))
    check_cancel()

    if d.nan_propagate and arrays:
        null = np.zeros(n, dtype=bool)
        for a in arrays.values():
            null |= np.isnan(a)
        out[null] = np.nan
    if progress is not None and n == 0:
        progress(1.0, f"{d.name}: done")
    return out


def run_matched(udf: str | UdfDef, curves: Mapping[Hashable, Any], mapping: Mapping[str, Hashable],
                params: Mapping[str, Any] | BaseModel | None = None, **kwargs: Any) -> np.ndarray:
    """Convenience: ``execute`` with inputs looked up from ``curves`` (id -> array) via a
    ``match_inputs`` result."""
    return execute(udf, {name: curves[cid] for name, cid in mapping.items()}, params, **kwargs)
