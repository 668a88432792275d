"""Reusable widgets: the braille log track and its depth axis."""

from .logtrack import DepthAxis, LogTrack, TrackCurve, default_scale, format_value, value_at

__all__ = ["DepthAxis", "LogTrack", "TrackCurve", "default_scale", "format_value", "value_at"]
