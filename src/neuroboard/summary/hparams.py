"""Hyperparameters: the ``hparams`` plugin's session records and experiment config.

How TensorBoard reads them shapes what is written here:

- each run that holds a *session start* record (its hparams) is one row of the
  HPARAMS tab; its metrics are the last values of the scalars in that run and
  its sub-runs, so metrics are plain scalars, logged whenever;
- TensorBoard keeps the first metadata it sees per run and tag, so a run has
  one set of hparams: a second set needs another run;
- without an *experiment config* TensorBoard builds the columns from every
  run's hparams and scalars, so runs that log different hparam names each get
  their columns. A config, once found, pins the columns, domains and metrics
  for the whole logdir: it is written only on request
  (:func:`hparams_config`), never as a side effect of logging hparams.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.types_pb2 import DT_FLOAT
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

from neuroboard.format.codec import Summary
from neuroboard.summary.convert import as_float, as_tag, is_tensor
from neuroboard.summary.metadata import plugin_metadata

__all__ = [
    "EXPERIMENT_TAG",
    "PLUGIN_NAME",
    "SESSION_END_TAG",
    "SESSION_START_TAG",
    "check_domains",
    "checked_metrics",
    "hparam",
    "hparam_type",
    "hparam_value",
    "hparams_config",
    "metric",
    "session_end",
    "session_group_name",
    "session_start",
]

PLUGIN_NAME = "hparams"
EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_TAG = "_hparams_/session_start_info"
SESSION_END_TAG = "_hparams_/session_end_info"

_STATUSES = {
    "success": api_pb2.STATUS_SUCCESS,
    "failure": api_pb2.STATUS_FAILURE,
    "running": api_pb2.STATUS_RUNNING,
    "unknown": api_pb2.STATUS_UNKNOWN,
}
_DATASETS = {
    None: api_pb2.DATASET_UNKNOWN,
    "training": api_pb2.DATASET_TRAINING,
    "validation": api_pb2.DATASET_VALIDATION,
}
HParamValue = str | bool | int | float


def hparam_value(value: Any, func: str, arg: str) -> HParamValue:
    """Return a hyperparameter value as str, bool, int or float; anything else raises.

    NumPy scalars and 0-d arrays and tensors count as their Python values.

    >>> hparam_value(np.float32(0.5), "add_hparams", "hparam_dict['lr']")
    0.5
    """
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"{func}({arg}=...): expected a str, bool, int or float, got {type(value).__name__}")


def check_domains(
    hparam_dict: Mapping[str, Any], domains: Mapping[str, Sequence[Any]] | None, func: str = "add_hparams"
) -> None:
    """Check ``domains`` (``{name: allowed values}``, torch's ``hparam_domain_discrete``) and the values in it.

    >>> check_domains({"optimizer": "adam"}, {"optimizer": ["adam", "sgd"]})
    >>> check_domains({"optimizer": "rmsprop"}, {"optimizer": ["adam", "sgd"]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: add_hparams(hparam_dict['optimizer']=...): expected one of ['adam', 'sgd'], got 'rmsprop'
    """
    if domains is None:
        return
    if not isinstance(domains, Mapping):
        # tensorboardX's third argument is the run's name: say where it goes here.
        hint = " (a run name goes in run_name= or name=)" if isinstance(domains, str) else ""
        raise TypeError(
            f"{func}(hparam_domain_discrete=...): expected a dict of names to lists, "
            f"got {type(domains).__name__}{hint}"
        )
    for name, allowed in domains.items():
        arg = f"hparam_domain_discrete[{name!r}]"
        if isinstance(allowed, (str, bytes)) or not isinstance(allowed, Sequence):
            raise TypeError(f"{func}({arg}=...): expected a list of values, got {type(allowed).__name__}")
        values = [hparam_value(v, func, arg) for v in allowed]
        if (
            name in hparam_dict
            and hparam_value(hparam_dict[name], func, f"hparam_dict[{name!r}]") not in values
        ):
            raise ValueError(
                f"{func}(hparam_dict[{name!r}]=...): expected one of {values!r}, got {hparam_dict[name]!r}"
            )


def checked_metrics(
    metric_dict: Mapping[str, Any] | None, func: str = "add_hparams", arg: str = "metric_dict"
) -> list[tuple[str, float]]:
    """Return ``metric_dict`` (None: no metric) as ``(tag, value)`` pairs, each checked; errors name ``arg``.

    >>> checked_metrics({"accuracy": np.float32(0.5)})
    [('accuracy', 0.5)]
    """
    if metric_dict is not None and not isinstance(metric_dict, Mapping):
        raise TypeError(
            f"{func}({arg}=...): expected a dict of tags to numbers, got {type(metric_dict).__name__}"
        )
    return [
        (as_tag(tag, func, f"{arg} key"), as_float(value, func, f"{arg}[{tag!r}]"))
        for tag, value in (metric_dict or {}).items()
    ]


def _value(value: HParamValue) -> struct_pb2.Value:
    if isinstance(value, bool):
        return struct_pb2.Value(bool_value=value)
    if isinstance(value, str):
        return struct_pb2.Value(string_value=value)
    return struct_pb2.Value(number_value=float(value))


def _summary(tag: str, data: plugin_data_pb2.HParamsPluginData) -> Summary:
    metadata = plugin_metadata(PLUGIN_NAME, data.SerializeToString())
    # The records live in the metadata; the value is an empty tensor, as TensorBoard expects.
    empty = TensorProto(dtype=DT_FLOAT, tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=0)]))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=empty)])


def session_start(
    hparams: Mapping[str, Any],
    *,
    group_name: str = "",
    start_time_secs: float | None = None,
    func: str = "add_hparams",
    arg: str = "hparam_dict",
) -> Summary:
    """Return the Summary that gives a run its hyperparameters (one row of the HPARAMS tab).

    >>> s = session_start({"lr": 0.1, "optimizer": "adam", "dropout": True})
    >>> s.value[0].tag
    '_hparams_/session_start_info'
    """
    if not isinstance(hparams, Mapping):
        raise TypeError(
            f"{func}({arg}=...): expected a dict of names to values, got {type(hparams).__name__}"
        )
    info = plugin_data_pb2.SessionStartInfo(
        group_name=group_name, start_time_secs=time.time() if start_time_secs is None else start_time_secs
    )
    for name, value in hparams.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"{func}({arg}=...): expected non-empty str names, got {name!r}")
        info.hparams[name].CopyFrom(_value(hparam_value(value, func, f"{arg}[{name!r}]")))
    return _summary(SESSION_START_TAG, plugin_data_pb2.HParamsPluginData(session_start_info=info))


def session_group_name(hparams: Mapping[str, Any], func: str = "hparams", arg: str = "hparams") -> str:
    """Return the session group name TensorFlow's ``hp.hparams`` derives from the values, without a trial id.

    It is the SHA-256 (hex) of the values as compact JSON with sorted keys,
    so the same values give the same group in TensorFlow and here.

    >>> session_group_name({"lr": 0.1, "optimizer": "adam"})[:16]
    '0cf9e0b72a799525'
    """
    values = {name: hparam_value(value, func, f"{arg}[{name!r}]") for name, value in hparams.items()}
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def session_end(status: str = "success", end_time_secs: float | None = None) -> Summary:
    """Return the Summary that closes a run's session with ``status`` (success, failure, running, unknown).

    >>> session_end("failure").value[0].tag
    '_hparams_/session_end_info'
    """
    if status not in _STATUSES:
        raise ValueError(f"session_end(status=...): expected one of {sorted(_STATUSES)}, got {status!r}")
    info = plugin_data_pb2.SessionEndInfo(
        status=_STATUSES[status], end_time_secs=time.time() if end_time_secs is None else end_time_secs
    )
    return _summary(SESSION_END_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=info))


def hparam_type(value: HParamValue) -> int:
    """Return the HParams data type of a checked value: BOOL, STRING, or FLOAT64 for any number.

    >>> hparam_type(True) == api_pb2.DATA_TYPE_BOOL, hparam_type(3) == api_pb2.DATA_TYPE_FLOAT64
    (True, True)
    """
    if isinstance(value, bool):
        return api_pb2.DATA_TYPE_BOOL
    if isinstance(value, str):
        return api_pb2.DATA_TYPE_STRING
    return api_pb2.DATA_TYPE_FLOAT64


def _discrete_type(values: list[HParamValue], func: str) -> int:
    kinds = {hparam_type(v) for v in values}
    if len(kinds) != 1:
        raise TypeError(
            f"{func}(domain=...): expected values of one kind (all str, all bool or all numbers), got {values!r}"
        )
    return kinds.pop()


def _check_texts(func: str, **texts: str | None) -> None:
    for arg, text in texts.items():
        if text is not None and not isinstance(text, str):
            raise TypeError(f"{func}({arg}=...): expected a str or None, got {type(text).__name__} {text!r}")


def hparam(
    name: str,
    domain: Sequence[HParamValue] | tuple[float, float] | None = None,
    display_name: str | None = None,
    description: str | None = None,
    *,
    func: str = "hparam",
) -> api_pb2.HParamInfo:
    """Return the declaration of one hyperparameter for :func:`hparams_config`.

    ``domain`` is a list of the allowed values (str, bool or numbers), a tuple
    ``(min_value, max_value)`` for an interval of reals, or ``None``.

    >>> hparam("lr", (1e-4, 1e-1)).domain_interval.max_value
    0.1
    >>> list(hparam("optimizer", ["adam", "sgd"]).domain_discrete)
    ['adam', 'sgd']
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"{func}(name=...): expected a non-empty str, got {name!r}")
    _check_texts(func, display_name=display_name, description=description)
    info = api_pb2.HParamInfo(name=name, display_name=display_name or "", description=description or "")
    if domain is None:
        return info
    if isinstance(domain, tuple):
        if len(domain) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in domain
        ):
            raise TypeError(f"{func}(domain=...): expected (min_value, max_value) numbers, got {domain!r}")
        low, high = float(domain[0]), float(domain[1])
        if not (math.isfinite(low) and math.isfinite(high) and low <= high):
            raise ValueError(f"{func}(domain=...): expected finite min_value <= max_value, got {domain!r}")
        info.type = api_pb2.DATA_TYPE_FLOAT64
        info.domain_interval.min_value = low
        info.domain_interval.max_value = high
        return info
    if isinstance(domain, (str, bytes)) or not isinstance(domain, Sequence) or not domain:
        raise TypeError(
            f"{func}(domain=...): expected a non-empty list of values or a (min, max) tuple, got {domain!r}"
        )
    values = [hparam_value(v, func, "domain") for v in domain]
    info.type = _discrete_type(values, func)
    info.domain_discrete.extend(values)
    return info


def metric(
    tag: str,
    group: str | None = None,
    display_name: str | None = None,
    description: str | None = None,
    dataset_type: str | None = None,
    *,
    func: str = "metric",
) -> api_pb2.MetricInfo:
    """Return the declaration of one metric (a scalar tag) for :func:`hparams_config`.

    ``group`` is the sub-run that holds the scalar (``""``: the run itself);
    ``dataset_type`` is ``"training"``, ``"validation"`` or ``None``.

    >>> metric("accuracy", display_name="Accuracy").name.tag
    'accuracy'
    """
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"{func}(tag=...): expected a non-empty str, got {tag!r}")
    _check_texts(func, group=group, display_name=display_name, description=description)
    if dataset_type not in _DATASETS:
        raise ValueError(
            f"{func}(dataset_type=...): expected 'training', 'validation' or None, got {dataset_type!r}"
        )
    return api_pb2.MetricInfo(
        name=api_pb2.MetricName(group=group or "", tag=tag),
        display_name=display_name or "",
        description=description or "",
        dataset_type=_DATASETS[dataset_type],
    )


def hparams_config(
    hparams: Sequence[api_pb2.HParamInfo],
    metrics: Sequence[api_pb2.MetricInfo] = (),
    time_created_secs: float | None = None,
) -> Summary:
    """Return the experiment config: the HPARAMS tab's columns, domains and metrics.

    Write it once, at the root of the logdir: TensorBoard takes the first
    config it finds for the whole logdir.

    >>> config = hparams_config([hparam("lr", (0.0, 1.0))], [metric("loss")])
    >>> config.value[0].tag
    '_hparams_/experiment'
    """
    for index, info in enumerate(hparams):
        if not isinstance(info, api_pb2.HParamInfo):
            raise TypeError(
                f"hparams_config(hparams[{index}]=...): expected hparam(...), got {type(info).__name__}"
            )
    for index, info in enumerate(metrics):
        if not isinstance(info, api_pb2.MetricInfo):
            raise TypeError(
                f"hparams_config(metrics[{index}]=...): expected metric(...), got {type(info).__name__}"
            )
    experiment = api_pb2.Experiment(
        time_created_secs=time.time() if time_created_secs is None else time_created_secs,
        hparam_infos=list(hparams),
        metric_infos=list(metrics),
    )
    return _summary(EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(experiment=experiment))
