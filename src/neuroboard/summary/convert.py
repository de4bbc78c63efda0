"""Convert user values once, at the edge: numbers, steps, tags, arrays, torch tensors.

Every function names the call and the argument in its error, so a user sees
``add_scalar(scalar_value=...): expected a real number, got str``.
torch is never imported here: a tensor is recognised by its type's module.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

import numpy as np

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "as_array",
    "as_float",
    "as_path",
    "as_run_name",
    "as_step",
    "as_steps",
    "as_tag",
    "as_text",
    "as_walltime",
    "is_tensor",
]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_REAL_TYPES = (int, float, np.integer, np.floating, np.bool_)
_NUMERIC_KINDS = "biuf"


def _where(func: str, arg: str) -> str:
    return f"{func}({arg}=...)"


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    return type(value).__name__


def is_tensor(value: Any) -> bool:
    """Return whether ``value`` is a torch tensor, without importing torch.

    >>> is_tensor(1.0)
    False
    """
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _tensor_to_numpy(value: Any) -> np.ndarray:
    value = value.detach().cpu()
    # NumPy has no bfloat16 or float8: float32 holds each of their values exactly.
    if str(value.dtype).startswith(("torch.bfloat16", "torch.float8")):
        value = value.float()
    return value.numpy()


def as_float(value: Any, func: str, arg: str) -> float:
    """Return a real scalar (number, NumPy scalar, array or tensor of one element) as a float.

    An array of one element may have any shape, ``(1,)`` or ``(1, 1)`` as
    well as ``()``: the peers squeeze it, so ``torch.rand(1)`` is a scalar.

    >>> as_float(np.float32(0.5), "add_scalar", "scalar_value"), as_float(np.array([[2]]), "f", "x")
    (0.5, 2.0)
    """
    if isinstance(value, _REAL_TYPES):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(
                f"{_where(func, arg)}: expected a real number within float64's range (about ±1.8e308), "
                f"got an int of {int(value).bit_length()} bits"
            ) from None
    if is_tensor(value):
        value = _tensor_to_numpy(value)
    if isinstance(value, np.ndarray):
        if value.size == 1 and value.dtype.kind in _NUMERIC_KINDS:
            return float(value.reshape(()))
        raise ValueError(
            f"{_where(func, arg)}: expected a real scalar (one element), got {value.dtype} of shape {value.shape}"
        )
    raise TypeError(f"{_where(func, arg)}: expected a real number, got {_describe(value)}")


def as_walltime(value: Any, func: str, arg: str = "walltime") -> float:
    """Return a wall time in seconds since the epoch as a finite float.

    >>> as_walltime(1.5, "add_scalar")
    1.5
    """
    seconds = as_float(value, func, arg)
    if not math.isfinite(seconds):
        raise ValueError(f"{_where(func, arg)}: expected finite seconds since the epoch, got {seconds}")
    return seconds


def as_step(value: Any, func: str, arg: str = "global_step") -> int:
    """Return an integer step (int, NumPy integer, 0-d integer array or tensor) within int64.

    >>> as_step(np.int32(3), "add_scalar")
    3
    """
    if is_tensor(value):
        value = _tensor_to_numpy(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{_where(func, arg)}: expected an integer step, got {_describe(value)}")
    step = int(value)
    if not INT64_MIN <= step <= INT64_MAX:
        raise ValueError(f"{_where(func, arg)}: expected a step within int64, got {step}")
    return step


def as_text(value: Any, func: str, arg: str) -> str:
    """Return ``value`` if it is a str that UTF-8 can encode (no lone surrogates).

    >>> as_text("tau = 10 ms", "add_text", "text_string")
    'tau = 10 ms'
    """
    if not isinstance(value, str):
        raise TypeError(f"{_where(func, arg)}: expected a str, got {_describe(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(
                f"{_where(func, arg)}: expected text that UTF-8 can encode, got {value!r} "
                f"({error.reason} at index {error.start})"
            ) from None
    return value


def as_tag(value: Any, func: str, arg: str = "tag") -> str:
    """Return ``value`` if it is a non-empty str that UTF-8 can encode.

    >>> as_tag("loss/train", "add_scalar")
    'loss/train'
    """
    if not isinstance(value, str):
        raise TypeError(f"{_where(func, arg)}: expected a non-empty str, got {_describe(value)}")
    if not value:
        raise ValueError(f"{_where(func, arg)}: expected a non-empty str, got ''")
    return as_text(value, func, arg)


def as_path(value: Any, func: str, arg: str) -> str:
    """Return a path given as str or ``os.PathLike`` as a non-empty str without NUL.

    >>> from pathlib import Path
    >>> as_path(Path("runs/exp1"), "SummaryWriter", "logdir")
    'runs/exp1'
    """
    path = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(path, str):
        raise TypeError(f"{_where(func, arg)}: expected a path (str or os.PathLike), got {_describe(value)}")
    if not path or "\0" in path:
        raise ValueError(f"{_where(func, arg)}: expected a non-empty path without NUL, got {path!r}")
    return as_text(path, func, arg)


# Separators a run name may not use to climb out of its logdir: "/" everywhere, "\\" on Windows.
_SEPARATORS = re.compile("|".join(re.escape(sep) for sep in {"/", os.sep, os.altsep or "/"}))


def as_run_name(value: Any, func: str, arg: str, name: str | None = None) -> str:
    """Return ``value``, a name that becomes a folder or file below a logdir, if it stays inside.

    The name (or the ``name`` built from it, such as a sub-run ``<main_tag>_<key>``)
    must be relative, hold no NUL, and have no part that is empty or ``..``.
    Tags are not checked this way: they are not paths.

    >>> as_run_name("train/fold1", "log_event", "train")
    'train/fold1'
    >>> as_run_name("../x", "add_hparams", "run_name")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: add_hparams(run_name=...): expected a relative name inside the logdir ..., got '../x'
    """
    as_tag(value, func, arg)
    path = value if name is None else name
    parts = _SEPARATORS.split(path)
    if "\0" in path or os.path.isabs(path) or os.path.splitdrive(path)[0] or "" in parts or ".." in parts:
        raise ValueError(
            f"{_where(func, arg)}: expected a relative name inside the logdir (no '..' part, no empty part, "
            f"no leading '/', no NUL), got {value!r}"
        )
    return value


def as_array(value: Any, func: str, arg: str, dtype: Any = np.float64) -> np.ndarray:
    """Return a numeric array-like (list, NumPy array, tensor) as an array of ``dtype``.

    ``dtype=None`` keeps the input's own numeric dtype.

    >>> as_array([1, 2], "add_series", "values").dtype
    dtype('float64')
    """
    if is_tensor(value):
        value = _tensor_to_numpy(value)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{_where(func, arg)}: expected a numeric array, got {_describe(value)}") from error
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{_where(func, arg)}: expected a numeric array, got dtype {array.dtype}")
    return array if dtype is None else array.astype(dtype, copy=False)


def as_steps(value: Any, count: int, func: str, arg: str = "steps") -> np.ndarray:
    """Return ``count`` integer steps as an int64 array.

    >>> as_steps(range(3), 3, "add_series").tolist()
    [0, 1, 2]
    """
    if is_tensor(value):
        value = _tensor_to_numpy(value)
    array = np.asarray(value)
    if array.dtype.kind not in "iu" or array.ndim != 1:
        raise TypeError(
            f"{_where(func, arg)}: expected a 1-D array of integers, got {array.dtype} of shape {array.shape}"
        )
    if len(array) != count:
        raise ValueError(f"{_where(func, arg)}: expected {count} steps, one per value, got {len(array)}")
    if array.dtype == np.uint64 and len(array) and array.max() > INT64_MAX:
        raise ValueError(f"{_where(func, arg)}: expected steps within int64, got {array.max()}")
    return array.astype(np.int64, copy=False)
