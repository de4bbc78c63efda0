"""What the functional API refuses, as R's tfevents does: each refusal names the call and writes nothing."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import neuroboard
from neuroboard import (
    SummaryWriter,
    as_event,
    collect_events,
    get_global_step,
    log_event,
    set_global_step,
    summary_audio,
    summary_histogram,
    summary_image,
    summary_metadata,
    summary_scalar,
    summary_text,
    value,
    with_logdir,
)
from neuroboard.api.functional import flush_all
from neuroboard.format.codec import Event, Summary, SummaryMetadata
from tests.tb import accumulator


def _files(logdir) -> list[str]:
    flush_all()
    return [name for _, _, names in os.walk(logdir) for name in names]


@pytest.mark.parametrize(
    ("txt", "error", "got"),
    [
        (["a", "b"], ValueError, "a list of 2"),
        ([], ValueError, "a list of 0"),
        ((), ValueError, "a tuple of 0"),
        (np.array(["a", "b"]), ValueError, r"an ndarray of shape \(2,\)"),
        ([["a", "b"], ["c", "d"]], ValueError, r"a table of shape \(2, 2\)"),
        (np.array([["a"], ["b"]]), ValueError, r"an ndarray of shape \(2, 1\)"),
        ([["a", "b"], ["c"]], ValueError, "a list of 2"),
        ([1], TypeError, "a list of 1 holding int"),
        (42, TypeError, "int"),
        (None, TypeError, "NoneType"),
        (b"a", TypeError, "bytes"),
    ],
)
def test_summary_text_takes_one_string(txt, error, got) -> None:
    with pytest.raises(error, match=rf"^summary_text\(txt=\.\.\.\): expected one str.*got {got}"):
        summary_text(txt)


@pytest.mark.parametrize("txt", ["a", ["a"], ("a",), np.array("a"), np.array(["a"]), [["a"]], np.str_("a")])
def test_one_string_in_any_container_of_one_is_that_string(tmp_path, txt) -> None:
    # R has no scalars: its "a" is a character vector of length 1.
    with with_logdir(tmp_path):
        log_event(note=summary_text(txt), step=0)
    flush_all()
    assert value(collect_events(tmp_path, type="summary")["summary"]) == "a"
    (event,) = accumulator(tmp_path).Tensors("note")
    assert event.tensor_proto.string_val == [b"a"]


def test_add_text_still_writes_tables(tmp_path) -> None:
    with SummaryWriter(tmp_path) as writer:
        writer.add_text("table", [["a", "b"], ["c", "d"]], 0)
        writer.add_text("row", ["a", "b"], 0)
    acc = accumulator(tmp_path)
    assert [d.size for d in acc.Tensors("table/text_summary")[0].tensor_proto.tensor_shape.dim] == [2, 2]
    assert [d.size for d in acc.Tensors("row/text_summary")[0].tensor_proto.tensor_shape.dim] == [2]


CONSTRUCTORS = [
    ("summary_scalar", "scalars", lambda metadata: summary_scalar(1.0, metadata=metadata)),
    ("summary_text", "text", lambda metadata: summary_text("a", metadata=metadata)),
    ("summary_histogram", "histograms", lambda metadata: summary_histogram([1.0, 2.0], metadata=metadata)),
    ("summary_image", "images", lambda metadata: summary_image(np.zeros((4, 4, 3)), metadata=metadata)),
    ("summary_audio", "audio", lambda metadata: summary_audio(np.zeros(80), 8000, metadata=metadata)),
]


@pytest.mark.parametrize(("func", "plugin", "build"), CONSTRUCTORS)
@pytest.mark.parametrize("other", ["text2", "tensor", "scalar"])
def test_metadata_of_another_plugin_is_refused(func, plugin, build, other) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^{func}\(metadata=\.\.\.\): expected metadata of the '{plugin}' plugin, got '{other}'",
    ):
        build(summary_metadata(other))


@pytest.mark.parametrize(("func", "plugin", "build"), CONSTRUCTORS)
def test_metadata_without_a_plugin_name_is_refused(func, plugin, build) -> None:
    with pytest.raises(ValueError, match=rf"^{func}\(metadata=\.\.\.\): .*'{plugin}' plugin, got ''"):
        build(SummaryMetadata(display_name="x"))


@pytest.mark.parametrize(("func", "plugin", "build"), CONSTRUCTORS)
def test_metadata_of_the_kind_is_kept(tmp_path, func, plugin, build) -> None:
    summary = build(summary_metadata(plugin, display_name="Shown", description="said"))
    assert {(v.metadata.plugin_data.plugin_name, v.metadata.display_name) for v in summary.value} == {
        (plugin, "Shown")
    }
    with with_logdir(tmp_path):
        log_event(x=summary, step=0)
    flush_all()
    assert set(collect_events(tmp_path, type="summary").plugin) == {plugin}


def _tagged_event() -> Event:
    event = Event()
    event.summary.value.add(tag="hello", simple_value=1.0)
    return event


@pytest.mark.parametrize(
    ("values", "where", "kind"),
    [
        ({"x": summary_scalar(1, tag="hello")}, "x", "summary"),
        ({"loss": 0.5, "x": summary_text("t", tag="hello")}, "x", "summary"),
        ({"train": {"x": summary_histogram([1.0], tag="hello")}}, r"train=\.\.\.\[x", "summary"),
        (
            {"a": 1.0, "train": {"deep": {"x": summary_scalar(1, tag="hello")}}},
            r"train=\.\.\.\[deep=\.\.\.\[x",
            "summary",
        ),
        ({"x": _tagged_event()}, "x", "event"),
    ],
)
@pytest.mark.parametrize("step", [None, 7])
def test_a_summary_with_its_own_tag_under_another_name_is_refused(
    tmp_path, values, where, kind, step
) -> None:
    with with_logdir(tmp_path):
        set_global_step(4)
        with pytest.raises(
            TypeError,
            match=rf"^log_event\({where}=\.\.\.\): the {kind} has its own tag 'hello'; drop tag= to log it as 'x', "
            r"or log it under its tag",
        ):
            log_event(step, **values)
        assert get_global_step(increment=False) == 4
    assert _files(tmp_path) == []


def test_a_summary_whose_tag_is_its_name_is_logged(tmp_path) -> None:
    with with_logdir(tmp_path):
        log_event(hello=summary_scalar(1, tag="hello"), train={"note": summary_text("t", tag="note")}, step=2)
    flush_all()
    df = collect_events(tmp_path, type="summary")
    assert sorted(zip(df.run, df.tag, df.step)) == [(".", "hello", 2), ("train", "note", 2)]


def test_a_converter_keeps_the_tags_it_gives(tmp_path) -> None:
    # A registered type names its own values: the caller did not give two names.
    class Rate:
        def __init__(self, hz: float) -> None:
            self.hz = hz

    @as_event.register(Rate)
    def _(x: Rate, step: int, wall_time: float) -> Event:
        return as_event(summary_scalar(x.hz, tag="rate/hz"), step, wall_time)

    with with_logdir(tmp_path):
        log_event(spikes=Rate(12.0), step=1)
    flush_all()
    assert list(collect_events(tmp_path, type="scalar").tag) == ["rate/hz"]


def test_a_hand_built_summary_with_two_tags_is_refused(tmp_path) -> None:
    summary = Summary()
    summary.value.add(tag="x", simple_value=1.0)
    summary.value.add(tag="y", simple_value=2.0)
    with with_logdir(tmp_path), pytest.raises(TypeError, match=r"^log_event\(x=\.\.\.\): .* own tag 'y'"):
        log_event(x=summary, step=0)
    assert _files(tmp_path) == []


def test_a_refused_call_leaves_the_callers_event_untagged(tmp_path) -> None:
    event = as_event(0.5, 0, 0.0)
    with with_logdir(tmp_path), pytest.raises(TypeError):
        log_event(a=event, bad=object())
    assert event.summary.value[0].tag == ""


@pytest.mark.parametrize(
    ("build", "call"),
    [
        (lambda: neuroboard.hparams_hparam("lr", display_name=5), "hparams_hparam(display_name=...)"),
        (lambda: neuroboard.hparams_hparam("lr", description=b"x"), "hparams_hparam(description=...)"),
        (lambda: neuroboard.hparams_metric("loss", group=1), "hparams_metric(group=...)"),
        (lambda: neuroboard.hparams_metric("loss", description=5), "hparams_metric(description=...)"),
    ],
)
def test_hparams_texts_that_are_not_str_are_refused(build, call) -> None:
    with pytest.raises(TypeError, match=re.escape(call) + ": expected a str or None, got "):
        build()
