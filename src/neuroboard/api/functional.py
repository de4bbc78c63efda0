"""The functional API: one verb to write (``log_event``), a default logdir and a global step.

State lives in one place. The default logdir is a context variable, so each
thread and each asyncio task sees its own ``with_logdir`` blocks, falling back
to the process-wide default that ``set_default_logdir`` sets. Global steps are
counted per root logdir. Writers are opened once per run and cached; they
flush in the background and are closed at exit.
"""

from __future__ import annotations

import contextvars
import dis
import functools
import os
import sys
import threading
import time
from contextlib import ContextDecorator
from typing import Any

from neuroboard.api.summaries import summary_hparams, summary_hparams_config
from neuroboard.format.codec import SCALARS_METADATA, Event, Summary, SummaryMetadata
from neuroboard.io.files import is_event_file
from neuroboard.io.storage import absolute, folder_prefix
from neuroboard.io.writer import EventWriter, Flusher, flush_each
from neuroboard.summary.convert import (
    INT64_MAX,
    INT64_MIN,
    as_float,
    as_path,
    as_run_name,
    as_step,
    as_tag,
    is_tensor,
)
from neuroboard.summary.text import text

__all__ = [
    "as_event",
    "flush_all",
    "flush_logdir",
    "get_default_logdir",
    "get_global_step",
    "local_logdir",
    "log_event",
    "log_hparams",
    "log_hparams_config",
    "set_default_logdir",
    "set_global_step",
    "with_logdir",
    "writer_for",
]

# R's tfevents reads a value as a scalar only if the value itself names the plugin.
_SCALARS = SummaryMetadata.FromString(SCALARS_METADATA)

_process_default = "logs"
_logdir: contextvars.ContextVar[str | None] = contextvars.ContextVar("neuroboard_logdir", default=None)
_lock = threading.Lock()
_steps: dict[str, int] = {}
_writers: dict[str, EventWriter] = {}
_flusher: Flusher | None = None


def get_default_logdir() -> str:
    """Return the logdir that ``log_event`` writes to here and now.

    >>> with with_logdir("runs/a"):
    ...     get_default_logdir()
    'runs/a'
    """
    current = _logdir.get()
    return _process_default if current is None else current


def set_default_logdir(logdir: str | os.PathLike = "logs") -> None:
    """Make ``logdir`` the default, for the whole process and for the current context.

    >>> set_default_logdir("logs"); get_default_logdir()
    'logs'
    """
    global _process_default
    logdir = as_path(logdir, "set_default_logdir", "logdir")
    _process_default = logdir
    if _logdir.get() is not None:
        _logdir.set(logdir)


class with_logdir(ContextDecorator):
    """Within the block (or the decorated function), make ``logdir`` the default logdir.

    The previous default comes back on exit, also when the block raises.

    >>> with with_logdir("runs/b"):
    ...     print(get_default_logdir())
    runs/b
    """

    def __init__(self, logdir: str | os.PathLike) -> None:
        self.logdir = as_path(logdir, "with_logdir", "logdir")
        if type(self) is with_logdir and _dropped(sys._getframe(1)):
            raise _plain_call("with_logdir", self.logdir)
        self._tokens: list[contextvars.Token] = []

    def __enter__(self) -> str:
        self._tokens.append(_logdir.set(self.logdir))
        return self.logdir

    def __exit__(self, *exc_info: object) -> None:
        _logdir.reset(self._tokens.pop())


def _dropped(frame: Any) -> bool:
    """Return whether the call that ``frame`` is making is a statement of its own, its result dropped."""
    # CPython: the instruction after the call pops its result. Anything else
    # (a decorator, a with, an assignment, another interpreter) is left alone.
    offset = getattr(frame, "f_lasti", -1)
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset > offset >= 0:
            return instruction.opname == "POP_TOP"
    return False


def _plain_call(func: str, logdir: str) -> TypeError:
    return TypeError(
        f"{func}(logdir=...): expected a decorator or a with block, got a plain call with {logdir!r}, "
        "which changes nothing (Python cannot undo it when the calling function returns); "
        f"write @{func}({logdir!r}) above the function, or put the lines in "
        f"`with {func}({logdir!r}):`"
    )


def local_logdir(logdir: str | os.PathLike) -> with_logdir:
    """Return a decorator that runs its function with ``logdir`` as the default logdir.

    It is also a ``with`` block. Called as a statement of its own, as in R
    (``local_logdir(path)`` at the top of a function body), it would change
    nothing, so it raises a ``TypeError`` that shows both forms.

    >>> @local_logdir("runs/c")
    ... def where(): return get_default_logdir()
    >>> where()
    'runs/c'
    """
    logdir = as_path(logdir, "local_logdir", "logdir")
    if _dropped(sys._getframe(1)):
        raise _plain_call("local_logdir", logdir)
    return with_logdir(logdir)


@functools.lru_cache(maxsize=1024)
def _absolute(path: str) -> str:
    # Called on every log_event: a relative logdir is resolved against the
    # working directory of its first use; a URL (s3://...) is already absolute.
    return absolute(path)


def get_global_step(increment: bool = True) -> int:
    """Return the global step of the default logdir, first advancing it by one if ``increment``.

    Each root logdir has its own counter; the first step is 0.

    >>> import tempfile
    >>> with with_logdir(tempfile.mkdtemp()):
    ...     get_global_step(), get_global_step(), get_global_step(increment=False)
    (0, 1, 1)
    """
    return _global_step(get_default_logdir(), increment, "get_global_step")


def _global_step(logdir: str, increment: bool, func: str = "log_event") -> int:
    key = _absolute(logdir)
    with _lock:
        step = _steps.get(key, -1)
        if increment:
            if step == INT64_MAX:
                raise ValueError(
                    f"{func}(step=None): expected a global step within int64 (at most {INT64_MAX}), got "
                    f"{step + 1} for logdir {logdir!r}, whose global step is {step}: pass step=... or "
                    f"set_global_step() to a lower step"
                )
            step += 1
            _steps[key] = step
        return step


def set_global_step(step: int) -> None:
    """Set the global step of the default logdir; the next ``log_event`` uses ``step + 1``.

    >>> import tempfile
    >>> with with_logdir(tempfile.mkdtemp()):
    ...     set_global_step(100); get_global_step()
    101
    """
    step = as_step(step, "set_global_step", "step")
    with _lock:
        _steps[_absolute(get_default_logdir())] = step


def writer_for(run_dir: str) -> EventWriter:
    """Return the cached writer of the run folder ``run_dir``, opening it on first use.

    Its scalars carry the ``scalars`` plugin's metadata, as R's tfevents
    writes them (``EventWriter(scalar_metadata=True)``): write through it
    what R must read.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> writer_for(d) is writer_for(d)
    True
    """
    key = _absolute(run_dir)
    writer = _writers.get(key)
    if writer is not None and not writer.closed:
        return writer
    global _flusher
    with _lock:
        writer = _writers.get(key)
        if writer is None or writer.closed:
            if _flusher is None:
                _flusher = Flusher(2.0)
            writer = _writers[key] = EventWriter(key, flusher=_flusher, scalar_metadata=True)
        return writer


@functools.singledispatch
def as_event(x: Any, step: int, wall_time: float) -> Event:
    """Return ``x`` as an Event; register converters for your own types on it.

    >>> class Loss:
    ...     def __init__(self, v): self.v = v
    >>> @as_event.register
    ... def _(x: Loss, step, wall_time): return as_event(x.v, step, wall_time)
    >>> as_event(Loss(0.5), 1, 2.0).summary.value[0].simple_value
    0.5
    """
    if is_tensor(x) or hasattr(x, "__float__"):
        return _scalar_event(as_float(x, "as_event", "x"), step, wall_time)
    raise TypeError(
        f"as_event(x=...): cannot log a {type(x).__name__}; teach neuroboard with "
        f"@neuroboard.as_event.register and a function (x, step, wall_time) -> Event"
    )


def _scalar_event(value: float, step: int, wall_time: float) -> Event:
    event = Event(step=step, wall_time=wall_time)
    event.summary.value.add(simple_value=value).metadata.CopyFrom(_SCALARS)
    return event


@as_event.register
def _(x: Event, step: int, wall_time: float) -> Event:
    return x


@as_event.register
def _(x: Summary, step: int, wall_time: float) -> Event:
    return Event(step=step, wall_time=wall_time, summary=x)


@as_event.register
def _(x: str, step: int, wall_time: float) -> Event:
    summary = text("_", x, caller="log_event")
    summary.value[0].tag = ""
    return Event(step=step, wall_time=wall_time, summary=summary)


@as_event.register
def _(x: dict, step: int, wall_time: float) -> Event:
    # Flat dicts only: nested ones are runs, which need a file each (log_event writes those).
    event = Event(step=step, wall_time=wall_time)
    for name, item in x.items():
        if not isinstance(name, str) or not name or isinstance(item, dict):
            raise TypeError(
                f"as_event(x=...): expected a dict of str names to loggable values (nested dicts are runs: "
                f"use log_event), got key {name!r}"
            )
        for value in as_event(item, step, wall_time).summary.value:
            value.tag = value.tag or name
            event.summary.value.append(value)
    return event


@as_event.register(int)
@as_event.register(float)
def _(x: float, step: int, wall_time: float) -> Event:
    return _scalar_event(as_float(x, "as_event", "x"), step, wall_time)


_Item = tuple[str, str, Any]  # (run folder, tag, float or Event)


def _collect(values: dict, folder: str, step: int, wall: float, path: str, out: list[_Item]) -> None:
    for name, x in values.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"log_event({path}...): expected names that are non-empty str, got {name!r}")
        where = f"{path}{name}"
        if isinstance(x, dict):
            # A dict's key becomes a run folder: it must stay inside the logdir.
            as_run_name(name, "log_event", where)
            _collect(x, os.path.join(folder, name), step, wall, f"{where}=...[", out)
            continue
        as_tag(name, "log_event", where)
        if type(x) is float or (type(x) is int and not isinstance(x, bool)):
            out.append((folder, name, float(x)))
        else:
            if isinstance(x, (Summary, Event)):
                _check_own_tags(x, name, where)
            try:
                event = as_event(x, step, wall)
            except TypeError as error:
                raise TypeError(f"log_event({where}=...): {error}") from None
            if not isinstance(event, Event):
                raise TypeError(
                    f"log_event({where}=...): as_event returned a {type(event).__name__}, not an Event"
                )
            # The caller's own Event (or a converter's cached one) is left as it was given.
            own = Event()
            own.CopyFrom(event)
            event = own
            for value in event.summary.value:
                if not value.tag:
                    value.tag = name
            out.append((folder, name, event))


def _check_own_tags(x: Summary | Event, name: str, where: str) -> None:
    """Refuse a summary (or event) given a tag of its own and logged under another name, as R does."""
    # One of the two names would be dropped without a word; R's log_event
    # refuses both together. A tag equal to the name says the same thing twice.
    summary, kind = (x.summary, "event") if isinstance(x, Event) else (x, "summary")
    for value in summary.value:
        if value.tag and value.tag != name:
            raise TypeError(
                f"log_event({where}=...): the {kind} has its own tag {value.tag!r}; drop tag= to log it "
                f"as {name!r}, or log it under its tag, with the name {value.tag!r}"
            )


def _short(x: Any) -> str:
    """Return ``x``'s type, and its repr when that is one short line."""
    text = repr(x)
    short = len(text) <= 40 and "\n" not in text
    return f"{type(x).__name__} {text}" if short else type(x).__name__


def log_event(step: int | None = None, **values: Any) -> dict[str, Any]:
    """Log each keyword as a tag of the default logdir; return what was logged.

    Numbers become scalars and ``str`` text; a ``dict`` is a run below the
    logdir (``train={"loss": 0.1}`` gives run ``train``, tag ``loss``; deeper
    dicts give deeper runs); summaries (``summary_*``) are written as they are,
    and one with a ``tag=`` other than its name is refused, as in R;
    any other type goes through :func:`as_event`. Without ``step``, the
    default logdir's global step advances by one. Every value is converted
    before any is written, so bad input writes nothing. A step with nothing
    to log (``log_event(1)``, where R's ``log_event`` takes the 1 as an
    untagged value) is refused. What is written is R's tfevents' wire form:
    one summary value per event (a summary of several gives several events
    at the same step and wall time), every scalar with the ``scalars``
    plugin's metadata.

    >>> import tempfile
    >>> with with_logdir(tempfile.mkdtemp()):
    ...     log_event(loss=0.5, train={"acc": 0.9}, step=3)
    {'loss': 0.5, 'train': {'acc': 0.9}}
    """
    if not values and step is not None:
        unpack = (
            "; to log a dict's keys as tags, unpack it: log_event(**values)" if isinstance(step, dict) else ""
        )
        raise TypeError(
            "log_event(...): expected named values, e.g. log_event(loss=1.0) or log_event(train={'loss': 1.0}), "
            f"got nothing to log but the step, {_short(step)} (a positional argument is the step){unpack}"
        )
    current = _logdir.get()
    root = _process_default if current is None else current
    if step is not None and not (type(step) is int and INT64_MIN <= step <= INT64_MAX):
        step = as_step(step, "log_event", "step")
    wall = time.time()
    if len(values) == 1:
        # The common call, one plain number: no conversion machinery.
        ((name, x),) = values.items()
        # Non-ASCII names take the long way, which checks that UTF-8 can encode them.
        if type(x) is float and name and name.isascii():
            if step is None:
                step = _global_step(root, increment=True)
            writer_for(root).add_scalar(name, x, step, wall)
            return values
    items: list[_Item] = []
    # A placeholder step while converting: the global step moves only once the input is good.
    _collect(values, root, 0 if step is None else step, wall, "", items)
    if step is None:
        step = _global_step(root, increment=True)
    for _folder, _tag, item in items:
        if isinstance(item, Event):
            item.step = step
    for folder, tag, item in items:
        writer = writer_for(folder)
        if isinstance(item, Event):
            for event in _one_value_each(item):
                writer.add_event(event)
        else:
            writer.add_scalar(tag, item, step, wall)
    return values


def _one_value_each(event: Event) -> list[Event]:
    """Return ``event`` as events of one summary value each, its scalars with their plugin named.

    R's tfevents drops an event of several values without a word, and reads
    a ``simple_value`` as a scalar only when the value names the plugin.
    """
    if event.WhichOneof("what") != "summary":
        return [event]
    values = event.summary.value
    for value in values:
        if value.WhichOneof("value") == "simple_value" and not value.metadata.plugin_data.plugin_name:
            value.metadata.plugin_data.plugin_name = _SCALARS.plugin_data.plugin_name
    if len(values) < 2:
        return [event]
    bare = Event()
    bare.CopyFrom(event)
    bare.summary.ClearField("value")
    parts = []
    for value in values:
        part = Event()
        part.CopyFrom(bare)
        part.summary.value.append(value)
        parts.append(part)
    return parts


def _write_here(summary: Summary) -> None:
    """Write ``summary`` into the default logdir itself (not a sub-run), at step 0."""
    writer_for(get_default_logdir()).add_event(Event(wall_time=time.time(), summary=summary))


def log_hparams_config(hparams: Any, metrics: Any = (), time_created_secs: float | None = None) -> Summary:
    """Write the experiment config (hyperparameter domains, metrics) at the root of the default logdir.

    Each run then logs its values with :func:`log_hparams` in a child logdir.

    >>> import tempfile
    >>> from neuroboard.api.summaries import hparams_hparam, hparams_metric
    >>> with with_logdir(tempfile.mkdtemp()):
    ...     log_hparams_config([hparams_hparam("lr", (0.0, 1.0))], [hparams_metric("loss")]).value[0].tag
    '_hparams_/experiment'
    """
    summary = summary_hparams_config(hparams, metrics, time_created_secs)
    _write_here(summary)
    return summary


def log_hparams(
    trial_id: str | None = None, time_created_secs: float | None = None, **hparams: Any
) -> Summary:
    """Give the run of the default logdir its hyperparameter values (one row of the HPARAMS tab).

    >>> import tempfile
    >>> with with_logdir(tempfile.mkdtemp()):
    ...     log_hparams(lr=0.1, optimizer="adam").value[0].tag
    '_hparams_/session_start_info'
    """
    summary = summary_hparams(trial_id, time_created_secs, **hparams)
    _write_here(summary)
    return summary


def flush_all(close: bool = False) -> None:
    """Flush every writer the functional API opened (and close them with ``close``).

    Every writer is tried; then the first error is raised.

    >>> flush_all()
    """
    with _lock:
        writers = list(_writers.values())
        if close:
            _writers.clear()
    _flush(writers, close)


def flush_logdir(logdir: str | os.PathLike) -> None:
    """Flush the writers the functional API opened in ``logdir`` and its runs (or for that event file).

    The error of a writer elsewhere is left for that writer's own next call.

    >>> import tempfile; d = tempfile.mkdtemp()
    >>> with with_logdir(d): _ = log_event(loss=0.5)
    >>> flush_logdir(d)
    """
    root = _absolute(os.fspath(logdir))
    prefix = folder_prefix(root)
    # An event file's own run is its folder.
    run = os.path.dirname(root) if is_event_file(os.path.basename(root)) else root
    with _lock:
        writers = [writer for key, writer in _writers.items() if key in (root, run) or key.startswith(prefix)]
    _flush(writers, close=False)


def _flush(writers: list[EventWriter], close: bool) -> None:
    errors = flush_each(writers, close=close)
    if errors:
        raise errors[0]
