"""Every public call of torch's and tensorboardX's SummaryWriter exists here, with a signature that accepts theirs.

A peer's call is accepted when each of its parameters exists in ours under the
same name, the positional ones at the same place (or as another name of
ours, ``peer_aliases.KEYWORD_ALIASES``), and each default is the peer's. Where the two peers disagree on a position, ours follows torch and the
other name still works as a keyword: those places, and the defaults we keep
on purpose, are listed below with the reason. docs/from-tensorboardx.md
prints the same lists.
"""

from __future__ import annotations

import inspect

import pytest

import neuroboard
from neuroboard.api.peer_aliases import KEYWORD_ALIASES

torch_tb = pytest.importorskip("torch.utils.tensorboard")
tensorboardX = pytest.importorskip("tensorboardX")

PEERS = {"torch": torch_tb.SummaryWriter, "tensorboardX": tensorboardX.SummaryWriter}

# (peer, method, parameter): why ours differs there.
OTHER_POSITION = {
    ("tensorboardX", "__init__", "log_dir"): "torch's first argument is log_dir, tensorboardX's logdir: "
    "ours takes the first positionally and both by name",
    ("tensorboardX", "__init__", "write_to_disk"): "keyword only: torch has no such argument",
    ("tensorboardX", "__init__", "comet_config"): "keyword only: torch has no such argument",
    ("tensorboardX", "add_scalar", "display_name"): "torch's fifth argument is new_style",
    ("tensorboardX", "add_scalar", "summary_description"): "torch's sixth argument is double_precision",
    ("tensorboardX", "add_hparams", "name"): "torch's third argument is hparam_domain_discrete",
    ("tensorboardX", "add_hparams", "global_step"): "torch's fourth argument is run_name",
    ("tensorboardX", "add_image_with_boxes", "dataformats"): "torch's sixth argument is rescale",
    ("tensorboardX", "add_image_with_boxes", "labels"): "torch's seventh argument is dataformats",
    ("tensorboardX", "add_onnx_graph", "onnx_model_file"): "torch names the first argument prototxt: "
    "both take it positionally, and tensorboardX's name works as a keyword",
    ("torch", "__init__", "log_dir"): "the same argument as tensorboardX's logdir, which it names first",
}

# (peer, method, parameter): why our default differs.
OTHER_DEFAULT = {
    ("torch", "__init__", "max_queue"): "10,000 events: a queue of 10 flushes every 10 scalars",
    ("tensorboardX", "__init__", "max_queue"): "10,000 events: a queue of 10 flushes every 10 scalars",
    ("torch", "__init__", "flush_secs"): "2 s: a crash costs seconds, not two minutes",
    ("tensorboardX", "__init__", "flush_secs"): "2 s: a crash costs seconds, not two minutes",
    (
        "tensorboardX",
        "__init__",
        "comet_config",
    ): "None: there is no comet here, and a dict default is shared",
    ("tensorboardX", "add_scalar", "display_name"): "None: the tag is the display name unless one is given",
    ("tensorboardX", "add_scalar", "summary_description"): "None: no description unless one is given",
}


def _public_calls(cls: type) -> list[str]:
    names = [
        name for name, member in inspect.getmembers(cls) if callable(member) and not name.startswith("_")
    ]
    return ["__init__", *names]


def _cases() -> list[tuple[str, str]]:
    return [(peer, name) for peer, cls in PEERS.items() for name in _public_calls(cls)]


def _parameters(function: object) -> list[inspect.Parameter]:
    return [p for name, p in inspect.signature(function).parameters.items() if name != "self"]


@pytest.mark.parametrize(("peer", "name"), _cases())
def test_every_peer_call_is_accepted(peer: str, name: str) -> None:
    assert hasattr(neuroboard.SummaryWriter, name), f"{peer}'s SummaryWriter.{name} is missing"
    ours = {p.name: p for p in _parameters(getattr(neuroboard.SummaryWriter, name))}
    # Another name of one of our parameters, taken as a keyword.
    for alias, own in KEYWORD_ALIASES.get(name, {}).items():
        ours.setdefault(alias, ours[own])
    ours_positional = [
        p.name for p in ours.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for index, theirs in enumerate(_parameters(getattr(PEERS[peer], name))):
        if theirs.kind in (theirs.VAR_KEYWORD, theirs.VAR_POSITIONAL):
            continue
        key = (peer, name, theirs.name)
        assert theirs.name in ours, f"{peer}'s {name}({theirs.name}=...) is not accepted"
        if theirs.kind is theirs.POSITIONAL_OR_KEYWORD and key not in OTHER_POSITION:
            assert index < len(ours_positional) and ours_positional[index] == theirs.name, (
                f"{peer}'s {name}: argument {index + 1} is {theirs.name!r}, ours "
                f"{ours_positional[index] if index < len(ours_positional) else None!r}"
            )
        # A peer's required argument may have a default here: a call that passes it still works.
        if theirs.default is not theirs.empty and key not in OTHER_DEFAULT:
            assert ours[theirs.name].default == theirs.default, (
                f"{peer}'s {name}({theirs.name}=...) defaults to {theirs.default!r}, "
                f"ours to {ours[theirs.name].default!r}"
            )


def test_the_lists_of_differences_name_real_parameters() -> None:
    for peer, name, parameter in {**OTHER_POSITION, **OTHER_DEFAULT}:
        assert parameter in inspect.signature(getattr(PEERS[peer], name)).parameters
