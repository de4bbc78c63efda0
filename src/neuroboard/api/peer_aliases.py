"""What SummaryWriter takes from the peers beyond their signatures: argument aliases and quirks, in one place.

The methods of :class:`~neuroboard.api.summary_writer.SummaryWriter` keep
torch's signatures (``inspect.signature`` shows them). Another name for one
of their arguments, tensorboardX's or neuroboard's own earlier one, is a row
of :data:`KEYWORD_ALIASES`, which :func:`with_aliases` maps onto the
method's own parameter; the peers' other habits that neuroboard follows are
the small functions below, so no method carries an ``if`` for a peer.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from neuroboard.summary.convert import as_array, as_tag

__all__ = [
    "KEYWORD_ALIASES",
    "TEXT_TAG_SUFFIX",
    "check_comet_config",
    "check_flags",
    "json_key",
    "stacked_images",
    "text_tag",
    "with_aliases",
]

#: method -> {alias: the method's own parameter}.
KEYWORD_ALIASES: dict[str, dict[str, str]] = {
    # neuroboard's names before it took the peers' img_tensor.
    "add_image": {"img": "img_tensor"},
    "add_images": {"imgs": "img_tensor"},
    # tensorboardX's add_hparams(hparam_dict, metric_dict, name=None, global_step=None); torch's order stays.
    "add_hparams": {"name": "run_name"},
}

#: Both peers write add_text("notes", ...) as the tag "notes/text_summary".
TEXT_TAG_SUFFIX = "/text_summary"

Cls = TypeVar("Cls", bound=type)


def _aliased(method: Callable[..., Any], aliases: Mapping[str, str]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        for alias, name in aliases.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(
                        f"{method.__name__}() got {name}= and {alias}=, two names of one argument: pass one"
                    )
                kwargs[name] = kwargs.pop(alias)
        return method(self, *args, **kwargs)

    return call


def with_aliases(cls: Cls) -> Cls:
    """Let each method of :data:`KEYWORD_ALIASES` take its aliases as keywords; return ``cls``.

    The methods keep their signatures, as ``inspect.signature`` shows them:

    >>> import inspect; from neuroboard import SummaryWriter
    >>> list(inspect.signature(SummaryWriter.add_image).parameters)[:3]
    ['self', 'tag', 'img_tensor']
    """
    for name, aliases in KEYWORD_ALIASES.items():
        setattr(cls, name, _aliased(getattr(cls, name), aliases))
    return cls


def text_tag(tag: Any, func: str = "add_text") -> str:
    """Return the tag the peers give a text: ``<tag>/text_summary``.

    >>> text_tag("notes")
    'notes/text_summary'
    """
    return as_tag(tag, func) + TEXT_TAG_SUFFIX


def stacked_images(img_tensor: Any, dataformats: str, func: str = "add_images") -> tuple[Any, str]:
    """Return a list of single images as one batch and its batch layout, as tensorboardX's ``add_images`` takes it.

    A list or tuple with ``dataformats`` of one image (``"CHW"``, ``"HWC"``,
    ``"HW"``) becomes an array ``"N" + dataformats``; anything else comes
    back as it is, for :func:`neuroboard.summary.image.images` to check.

    >>> batch, layout = stacked_images([np.zeros((3, 4, 5))] * 2, "CHW")
    >>> batch.shape, layout
    ((2, 3, 4, 5), 'NCHW')
    """
    if (
        not isinstance(img_tensor, (list, tuple))
        or not isinstance(dataformats, str)
        or "N" in dataformats.upper()
    ):
        return img_tensor, dataformats
    if not img_tensor:
        raise ValueError(f"{func}(img_tensor=...): expected a non-empty list of images, got an empty list")
    arrays = [
        as_array(item, func, f"img_tensor[{index}]", dtype=None) for index, item in enumerate(img_tensor)
    ]
    shapes = {array.shape for array in arrays}
    if len(shapes) > 1:
        raise ValueError(f"{func}(img_tensor=...): expected images of one shape, got shapes {sorted(shapes)}")
    return np.stack(arrays), "N" + dataformats


def check_flags(new_style: Any, double_precision: Any, func: str = "add_scalar") -> None:
    """Refuse a ``new_style`` or ``double_precision`` that is no bool: tensorboardX's fifth argument is a title.

    >>> check_flags(True, False)
    >>> check_flags("Loss", False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: add_scalar(new_style=...): expected True or False, got str 'Loss' ...
    """
    for name, flag in (("new_style", new_style), ("double_precision", double_precision)):
        if not isinstance(flag, (bool, int, np.bool_, np.integer)):
            raise TypeError(
                f"{func}({name}=...): expected True or False, got {type(flag).__name__} {flag!r} "
                "(tensorboardX's display_name and summary_description go by keyword here)"
            )


def check_comet_config(comet_config: Any, func: str = "SummaryWriter") -> None:
    """Accept tensorboardX's ``comet_config`` when it asks for nothing: None, or Comet disabled.

    >>> check_comet_config({"disabled": True})
    >>> check_comet_config({"api_key": "..."})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: SummaryWriter(comet_config=...): neuroboard does not log to Comet ...
    """
    if comet_config is None or (isinstance(comet_config, Mapping) and comet_config.get("disabled") is True):
        return
    raise ValueError(
        f"{func}(comet_config=...): neuroboard does not log to Comet (tensorboardX's comet_config); "
        f"leave it out, or pass None or {{'disabled': True}}, got {comet_config!r}"
    )


def json_key(logdir: str, *names: str) -> str:
    """Return the key of a series in ``export_scalars_to_json``: tensorboardX's ``<logdir>/<main_tag>/<key>``.

    >>> json_key("runs/a", "loss", "train").replace("\\\\", "/")
    'runs/a/loss/train'
    """
    return os.path.join(logdir, *names)
