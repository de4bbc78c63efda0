"""The settings of :class:`~neuroboard.neuro.TensorboardWriter`: checked once, named in every error.

Sapicore passes plot settings as a dict (to the methods) or as keywords (to
``write``); both are parsed here into one frozen :class:`Settings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroboard.render.limits import MAX_PIXELS
from neuroboard.summary.convert import as_float, as_step, as_tag, is_tensor

__all__ = [
    "EVENT_COLOR",
    "FORMATS",
    "HEATMAP_STEP",
    "KINDS",
    "MAX_HEIGHT",
    "MAX_PIXELS",
    "MAX_SIZE_INCHES",
    "MAX_WIDTH",
    "PIXELS_PER_INCH",
    "RASTER_LINE",
    "RASTER_SIZE",
    "SETTINGS",
    "TRACE_SIZE",
    "Settings",
    "Where",
    "color_limits",
    "parse_settings",
    "time_axis_of",
]

PIXELS_PER_INCH = 100
MAX_WIDTH = 2000
MAX_HEIGHT = 1000
#: Sapicore's figure sizes at matplotlib's 100 dpi: a raster of 15 × 10 inches, a trace of 10 × 5.
RASTER_SIZE = (1500, 1000)
TRACE_SIZE = (1000, 500)
#: The height of a spike's mark in a dense raster, as a share of its neuron's row (Sapicore's line size).
RASTER_LINE = 0.25
#: The colour of a raster's event bars when ``event_colors`` names none: matplotlib's first cycle colour.
EVENT_COLOR = (31, 119, 180)
#: A heatmap over time draws every 100th frame unless ``step`` says otherwise, as Sapicore's does.
HEATMAP_STEP = 100
#: A square ``size`` at the cap, in inches: MAX_PIXELS, 16 million pixels, is 4000 × 4000 at 100 per inch.
MAX_SIZE_INCHES = 40

KINDS = ("raster", "trace", "heatmap", "hparam")
FORMATS = ("image", "scalar")
SETTINGS = (
    "name",
    "kind",
    "format",
    "size",
    "step",
    "time_axis",
    "global_step",
    "vmin",
    "vmax",
    "symmetric",
    "colorbar",
    "steps",
    "n_steps",
    "n_neurons",
    "line_size",
    "events",
    "event_colors",
)

# Values scanned at once for a heatmap's colour limits: the scan stays within a few dozen MB.
_CHUNK = 1 << 22


@dataclass(frozen=True)
class Where:
    """Names the call, the array and the settings in error messages.

    >>> Where("TensorboardWriter.heatmap").setting("step")
    "TensorboardWriter.heatmap(settings['step']=...)"
    """

    func: str
    arg: str = "array"
    # The methods take settings as one dict; write() takes them as keywords.
    nested: bool = True

    def __call__(self, arg: str | None = None) -> str:
        return f"{self.func}({self.arg if arg is None else arg}=...)"

    def setting_arg(self, key: Any) -> str:
        return f"settings[{key!r}]" if self.nested else str(key)

    def setting(self, key: Any) -> str:
        return self(self.setting_arg(key))


@dataclass(frozen=True)
class Settings:
    """Plot settings, checked: sizes in pixels, limits as floats, steps as an int64 array.

    >>> Settings().step, Settings().colorbar
    (100, True)
    """

    name: str | None = None
    kind: str | None = None
    format: str | None = None
    size: tuple[int, int] | None = None  # pixels
    step: int = HEATMAP_STEP
    time_axis: int | None = None
    global_step: int = 0
    vmin: float | None = None
    vmax: float | None = None
    symmetric: bool = False
    colorbar: bool = True
    steps: np.ndarray | None = None
    n_steps: int | None = None
    n_neurons: int | None = None
    line_size: float | None = None
    events: np.ndarray | None = None
    event_colors: tuple[tuple[int, int, int], ...] | None = None


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str | None:
    if value is None or (isinstance(value, str) and value in allowed):
        return value
    raise ValueError(f"{where}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: expected True or False, got {type(value).__name__}")
    return bool(value)


def _pixels(size: Any, where: str) -> tuple[int, int] | None:
    if size is None:
        return None
    try:
        width, height = size
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected (width, height) in inches, got {size!r}") from None
    numbers = (int, float, np.integer, np.floating)
    for value in (width, height):
        real = isinstance(value, numbers) and not isinstance(value, (bool, np.bool_))
        if not (real and math.isfinite(value) and value > 0):
            raise ValueError(f"{where}: expected (width, height) as two positive numbers, got {size!r}")
    # A size under one pixel still draws one. Far too large a size is refused in floats, before
    # rounding: (1e308, 1) inches has no int, and (1000, 1000) is an image of 74 GiB.
    floats = [max(1.0, float(value) * PIXELS_PER_INCH) for value in (width, height)]
    fits = floats[0] * floats[1] <= 2 * MAX_PIXELS
    pixels = (max(1, round(floats[0])), max(1, round(floats[1]))) if fits else (0, 0)
    if not fits or pixels[0] * pixels[1] > MAX_PIXELS:
        raise ValueError(
            f"{where}: expected (width, height) in inches of at most {MAX_PIXELS:,} pixels at "
            f"{PIXELS_PER_INCH} pixels per inch (e.g. {MAX_SIZE_INCHES} × {MAX_SIZE_INCHES}), got {size!r}"
        )
    return pixels


def _limit(value: Any, where: Where, key: str) -> float | None:
    if value is None:
        return None
    limit = as_float(value, where.func, where.setting_arg(key))
    if not math.isfinite(limit):
        raise ValueError(f"{where.setting(key)}: expected a finite number, got {limit}")
    return limit


def parse_settings(settings: Mapping[str, Any] | None, where: Where) -> Settings:
    """Return ``settings`` (a dict, or None) checked, each bad one named in the error.

    >>> parse_settings({"size": (4, 2), "step": 5}, Where("f")).size
    (400, 200)
    """
    if settings is None:
        return Settings()
    if not isinstance(settings, Mapping):
        raise TypeError(f"{where('settings')}: expected a dict of settings, got {type(settings).__name__}")
    for key in settings:
        if key not in SETTINGS:
            raise TypeError(
                f"{where.setting(key)}: unknown setting {key!r}; expected one of {', '.join(SETTINGS)}"
            )
    get = settings.get
    name = get("name")
    if name is not None:
        as_tag(name, where.func, where.setting_arg("name"))
    step = get("step", HEATMAP_STEP)
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)):
        raise TypeError(f"{where.setting('step')}: expected an int >= 1, got {type(step).__name__}")
    if step < 1:
        raise ValueError(f"{where.setting('step')}: expected an int >= 1, got {step}")
    time_axis = get("time_axis")
    if time_axis is not None and (
        isinstance(time_axis, (bool, np.bool_)) or not isinstance(time_axis, (int, np.integer))
    ):
        raise TypeError(f"{where.setting('time_axis')}: expected an int axis, got {type(time_axis).__name__}")
    global_step = as_step(get("global_step", 0), where.func, where.setting_arg("global_step"))
    vmin = _limit(get("vmin"), where, "vmin")
    vmax = _limit(get("vmax"), where, "vmax")
    if vmin is not None and vmax is not None and vmin > vmax:
        raise ValueError(f"{where.setting('vmin')}: expected vmin <= vmax, got vmin={vmin} and vmax={vmax}")
    steps = get("steps")
    if steps is not None:
        if is_tensor(steps):
            steps = steps.detach().cpu().numpy()
        steps = np.asarray(steps)
        if steps.dtype.kind not in "iu" or steps.ndim != 1:
            raise TypeError(
                f"{where.setting('steps')}: expected a 1-D array of integer steps, "
                f"got {steps.dtype} of shape {steps.shape}"
            )
    line_size = _limit(get("line_size"), where, "line_size")
    if line_size is not None and not 0 < line_size <= 1:
        raise ValueError(
            f"{where.setting('line_size')}: expected a share of a neuron's row, 0 < line_size <= 1, got {line_size}"
        )
    events, event_colors = _events_and_colors(get("events"), get("event_colors"), where)
    extent = {}
    for key in ("n_steps", "n_neurons"):
        count = get(key)
        if count is not None:
            if isinstance(count, (bool, np.bool_)) or not isinstance(count, (int, np.integer)) or count < 1:
                raise ValueError(f"{where.setting(key)}: expected an int >= 1, got {count!r}")
            extent[key] = int(count)
    return Settings(
        name=name,
        kind=_choice(get("kind"), KINDS, where.setting("kind")),
        format=_choice(get("format"), FORMATS, where.setting("format")),
        size=_pixels(get("size"), where.setting("size")),
        step=int(step),
        time_axis=None if time_axis is None else int(time_axis),
        global_step=global_step,
        vmin=vmin,
        vmax=vmax,
        symmetric=_flag(get("symmetric", False), where.setting("symmetric")),
        colorbar=_flag(get("colorbar", True), where.setting("colorbar")),
        steps=steps,
        line_size=line_size,
        events=events,
        event_colors=event_colors,
        **extent,
    )


def _events_and_colors(
    events: Any, colors: Any, where: Where
) -> tuple[np.ndarray | None, tuple[tuple[int, int, int], ...] | None]:
    """Return a raster's event times (a 1-D float array) and their colours as RGB bytes, checked."""
    if events is None:
        if colors is not None:
            raise ValueError(f"{where.setting('event_colors')}: colours for no events; pass events= too")
        return None, None
    if is_tensor(events):
        events = events.detach().cpu().numpy()
    times = np.asarray(events)
    if times.ndim != 1 or times.dtype.kind not in "iuf" or not np.isfinite(times).all():
        raise ValueError(
            f"{where.setting('events')}: expected a 1-D list of finite event times (steps), "
            f"got {times.dtype} of shape {times.shape}"
        )
    if colors is None:
        return times.astype(np.float64), None
    if isinstance(colors, str) or len(colors) != len(times):
        raise ValueError(
            f"{where.setting('event_colors')}: expected one colour per event ({len(times)}), got {colors!r}"
        )
    return times.astype(np.float64), tuple(_rgb(color, where) for color in colors)


def _rgb(color: Any, where: Where) -> tuple[int, int, int]:
    if isinstance(color, str):
        try:
            from matplotlib.colors import to_rgb
        except ImportError:
            raise TypeError(
                f"{where.setting('event_colors')}: a named colour {color!r} needs matplotlib; "
                "pass (r, g, b) in 0..1 instead"
            ) from None
        try:
            color = to_rgb(color)
        except ValueError:
            raise ValueError(f"{where.setting('event_colors')}: not a colour: {color!r}") from None
    try:
        channels = [float(channel) for channel in color][:3]
    except (TypeError, ValueError):
        raise ValueError(
            f"{where.setting('event_colors')}: expected a colour name or (r, g, b) in 0..1, got {color!r}"
        ) from None
    if len(channels) != 3 or not all(0.0 <= channel <= 1.0 for channel in channels):
        raise ValueError(
            f"{where.setting('event_colors')}: expected a colour name or (r, g, b) in 0..1, got {color!r}"
        )
    red, green, blue = (round(255 * channel) for channel in channels)
    return red, green, blue


def time_axis_of(settings: Settings, ndim: int, where: Where) -> int:
    """Return the time axis of an array of ``ndim`` dimensions (0 unless set; negative counts back).

    >>> time_axis_of(Settings(time_axis=-1), 3, Where("f"))
    2
    """
    axis = 0 if settings.time_axis is None else settings.time_axis
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{where.setting('time_axis')}: expected an axis of {where.arg} (ndim {ndim}), got {axis}"
        )
    return axis % ndim


def color_limits(frames: np.ndarray, settings: Settings, where: Where) -> tuple[float, float]:
    """Return the colour (or y) limits of all ``frames`` at once: the given ones, else the finite extremes.

    >>> color_limits(np.array([[[1.0, np.nan], [-2.0, 3.0]]]), Settings(symmetric=True), Where("f"))
    (-3.0, 3.0)
    """
    low, high = settings.vmin, settings.vmax
    if low is None or high is None:
        found_low, found_high = math.inf, -math.inf
        per = max(1, _CHUNK // max(1, frames[0].size))
        for start in range(0, len(frames), per):
            chunk = frames[start : start + per]
            finite = chunk[np.isfinite(chunk)]
            if finite.size:
                found_low = min(found_low, float(finite.min()))
                found_high = max(found_high, float(finite.max()))
        if found_low > found_high:
            found_low = found_high = 0.0
        low = found_low if low is None else low
        high = found_high if high is None else high
    if settings.symmetric:
        high = max(abs(low), abs(high))
        low = -high
    if not low <= high:
        given = "vmin" if settings.vmin is not None else "vmax"
        raise ValueError(
            f"{where.setting(given)}: expected vmin <= vmax, got vmin={low} and vmax={high} "
            f"(the other limit comes from {where.arg})"
        )
    return low, high
