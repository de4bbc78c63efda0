"""What an Observer's ``record_vars`` declare, and how a recorded value becomes the stored one.

An entry is ``(node, var, reduce)`` or ``(node, var, reduce, indices)``.
``reduce`` follows rectipy, where any true value means the mean over the
neurons and a false one keeps every neuron; ``"mean"``, ``"sum"``, ``"std"``
(the population standard deviation) and a function of the array name other
reductions. A tensor is indexed and reduced by torch, so that a tensor that
requires grad stays in its graph, as rectipy's ``torch.mean`` keeps it; a
function is handed the NumPy array.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from neuroboard.neuro.buffers import as_numpy
from neuroboard.neuro.quantity import is_quantity
from neuroboard.summary.convert import is_tensor

__all__ = ["REDUCERS", "Reducer", "check_var", "out_of_range", "transform"]


class Reducer:
    """A named reduction over the neurons: NumPy's function for arrays, torch's for tensors.

    >>> float(REDUCERS["std"](np.array([1.0, 3.0])))
    1.0
    """

    def __init__(self, name: str, numpy_func: Callable[[np.ndarray], Any], torch_name: str) -> None:
        self.name = name
        self.numpy_func = numpy_func
        self.torch_name = torch_name

    def __call__(self, array: np.ndarray) -> Any:
        # np.mean and np.sum are np.add.reduce behind two layers of Python, which cost more than the sum of
        # a thousand neurons: floats are summed here directly (the same ufunc call, so the same value).
        dtype = array.dtype if type(array) is np.ndarray else None
        # float16 is summed in float32 by np.mean: it keeps the reference path, as empty arrays do.
        if (
            self.name != "std"
            and dtype is not None
            and dtype.kind == "f"
            and dtype.itemsize >= 4
            and array.size
        ):
            total = np.add.reduce(array, axis=None)
            return total if self.name == "sum" else total.dtype.type(total / array.size)
        return self.numpy_func(array)

    def on_tensor(self, tensor: Any) -> Any:
        """Return the reduction of ``tensor`` as a 0-d tensor (in its graph when it requires grad)."""
        if not (tensor.is_floating_point() or tensor.is_complex()):
            # torch has no mean of integers; NumPy's is float64, and so is this one.
            tensor = tensor.double()
        if self.torch_name == "std":
            return tensor.std(correction=0)
        return getattr(tensor, self.torch_name)()

    def __repr__(self) -> str:
        return f"Reducer({self.name!r})"


REDUCERS: dict[str, Reducer] = {
    "mean": Reducer("mean", np.mean, "mean"),
    "sum": Reducer("sum", np.sum, "sum"),
    "std": Reducer("std", np.std, "std"),
}


def _reducer(index: int, reduce: Any) -> Callable | None:
    where = f"Observer(record_vars[{index}]=...)"
    if isinstance(reduce, str) and reduce:
        # A misspelt name would be a mean in rectipy (a non-empty string is true); here it is refused.
        if reduce in REDUCERS:
            return REDUCERS[reduce]
        raise ValueError(
            f"{where}: expected reduce True/False, 'mean', 'sum', 'std' or a function, got {reduce!r}"
        )
    if callable(reduce) and not isinstance(reduce, (bool, np.bool_)):
        return reduce
    try:
        keep_all = not bool(reduce)
    except (TypeError, ValueError):
        raise ValueError(
            f"{where}: expected reduce True/False (any value that is true or false, as in rectipy), "
            f"'mean', 'sum', 'std' or a function, got {type(reduce).__name__}"
        ) from None
    return None if keep_all else REDUCERS["mean"]


def check_var(index: int, entry: Any) -> tuple[tuple[str, str], Callable | None, np.ndarray | None]:
    """Return ``(key, reducer, indices)`` of ``record_vars[index]``, or raise naming that entry.

    >>> check_var(0, ("qif", "v", 1))[:2]
    (('qif', 'v'), Reducer('mean'))
    """
    if not isinstance(entry, (tuple, list)) or len(entry) not in (3, 4):
        raise TypeError(
            f"Observer(record_vars[{index}]=...): expected (node, var, reduce) or "
            f"(node, var, reduce, indices), got {entry!r}"
        )
    node, var, reduce = entry[:3]
    if not isinstance(node, str) or not isinstance(var, str):
        raise TypeError(f"Observer(record_vars[{index}]=...): expected str node and var names, got {entry!r}")
    reducer = _reducer(index, reduce)
    indices = None
    if len(entry) == 4:
        indices = np.asarray(entry[3])
        if indices.size == 0 and indices.dtype.kind == "f":
            indices = indices.astype(np.int64)
        mask = indices.dtype.kind == "b"
        if indices.ndim > 1 or indices.dtype.kind not in "biu" or (mask and indices.ndim == 0):
            raise TypeError(
                f"Observer(record_vars[{index}]=...): expected the neurons to keep as integer indices or "
                f"a boolean mask (1-D), got {indices.dtype} of shape {indices.shape}"
            )
    return (node, var), reducer, indices


def out_of_range(indices: np.ndarray, shape: tuple[int, ...], where: str) -> str | None:
    """Return why ``indices`` (ints or a mask) cannot select neurons from an array of ``shape``, or None.

    >>> out_of_range(np.array([3]), (2,), "f")
    'f: neuron index 3 is out of range for 2 neurons (valid: 0 to 1, or -2 to -1 counting from the end)'
    """
    if not shape:
        return f"{where}: expected an array of neurons to select from, got a scalar"
    n = shape[0]
    if indices.dtype.kind == "b":
        if len(indices) != n:
            return f"{where}: a mask of {len(indices)} neurons cannot select from {n}, got shape {shape}"
        return None
    bad = indices[(indices < -n) | (indices >= n)]
    if bad.size:
        return (
            f"{where}: neuron index {int(bad[0])} is out of range for {n} neurons "
            f"(valid: 0 to {n - 1}, or -{n} to -1 counting from the end)"
        )
    return None


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(value.shape) if is_tensor(value) else np.shape(value)


def transform(
    reducer: Callable | None,
    indices: np.ndarray | None,
    where: str,
    plain: Callable[[Any], np.ndarray] | None = None,
) -> Callable | None:
    """Return what turns a recorded value into the stored one, or None when it is stored as it is.

    ``plain`` turns a value with a unit into plain numbers (keeping the unit) before it is reduced.

    >>> transform(REDUCERS["sum"], np.array([0, 2]), "f")(np.array([1.0, 2.0, 3.0]))
    array(4.)
    """
    if reducer is None and indices is None:
        return None
    torch_indices: list = []

    def select(value: Any) -> Any:
        if indices is None:
            return value
        try:
            if is_tensor(value):
                if not torch_indices:
                    import torch

                    torch_indices.append(torch.as_tensor(indices))
                return value[torch_indices[0].to(value.device)]
            return value[indices]
        except IndexError:
            # The first record checked the indices; a value whose shape changed since lands here.
            problem = out_of_range(indices, _shape(value), where)
            raise ValueError(
                problem or f"{where}: cannot select neurons from shape {_shape(value)}"
            ) from None

    by_torch = reducer is None or isinstance(reducer, Reducer)

    def apply(value: Any) -> Any:
        if type(value) is not np.ndarray:
            if by_torch and is_tensor(value):
                selected = select(value)
                return selected if reducer is None else reducer.on_tensor(selected)
            value = plain(value) if plain is not None and is_quantity(value) else as_numpy(value)
        array = value if indices is None else select(value)
        return array if reducer is None else np.asarray(reducer(array))

    return apply
