"""The functional API: log_event, the default logdir, global steps, as_event."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import neuroboard
from neuroboard import (
    as_event,
    collect_events,
    get_default_logdir,
    get_global_step,
    local_logdir,
    log_event,
    set_global_step,
    summary_histogram,
    summary_scalar,
    summary_text,
    value,
    with_logdir,
)
from neuroboard.api.functional import flush_all
from neuroboard.format.codec import Event
from tests.tb import multiplexer


def _scalars(logdir) -> list[tuple[str, str, int, float]]:
    flush_all()
    df = collect_events(logdir, type="scalar")
    return list(zip(df.run, df.tag, df.step.tolist(), df.value.tolist()))


def test_the_r_example_five_scalars(tmp_path) -> None:
    with with_logdir(tmp_path):
        for _ in range(5):
            log_event(my_log=0.25)
    flush_all()
    assert len(collect_events(tmp_path)) == 6
    summary = collect_events(tmp_path, n=1, type="summary")
    assert value(summary["summary"]) == 0.25
    assert [s for *_, s, _ in _scalars(tmp_path)] == [0, 1, 2, 3, 4]


def test_nested_dicts_are_runs_and_tensorboard_sees_them(tmp_path) -> None:
    with with_logdir(tmp_path):
        logged = log_event(loss=1.0, train={"loss": 0.5, "deep": {"acc": 0.75}}, step=7)
    assert logged == {"loss": 1.0, "train": {"loss": 0.5, "deep": {"acc": 0.75}}}
    assert sorted(_scalars(tmp_path)) == [(".", "loss", 7, 1.0), ("train", "loss", 7, 0.5), ("train/deep", "acc", 7, 0.75)]
    mux = multiplexer(tmp_path)
    assert mux.Scalars("train/deep", "acc")[0].value == 0.75


def test_text_numbers_and_summaries(tmp_path) -> None:
    with with_logdir(tmp_path):
        log_event(
            note="hello",
            n=np.float32(2.5),
            k=3,
            h=summary_histogram(np.arange(10.0), buckets=5),
            s=summary_scalar(1.5, tag="named"),
            t=summary_text("x", tag="texts"),
        )
    flush_all()
    df = collect_events(tmp_path, type="summary")
    got = dict(zip(df.tag, df.plugin))
    assert got == {"note": "text", "n": "scalars", "k": "scalars", "h": "histograms", "named": "scalars", "texts": "text"}
    assert value(df[df.tag == "note"]["summary"]) == "hello"


def test_global_steps_are_per_root_logdir(tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    with with_logdir(a):
        assert get_global_step() == 0
        set_global_step(100)
        assert get_global_step() == 101
        with with_logdir(b):
            assert get_global_step() == 0
        assert get_global_step(increment=False) == 101


def test_with_logdir_restores_on_error_and_decorates(tmp_path) -> None:
    before = get_default_logdir()
    with pytest.raises(RuntimeError), with_logdir(tmp_path):
        raise RuntimeError
    assert get_default_logdir() == before

    @local_logdir(tmp_path / "deco")
    def inner() -> str:
        return get_default_logdir()

    assert inner() == str(tmp_path / "deco")
    assert get_default_logdir() == before


def test_threads_keep_their_own_logdirs(tmp_path) -> None:
    def work(i: int) -> None:
        with with_logdir(tmp_path / f"t{i}"):
            for step in range(200):
                log_event(x=float(i), step=step)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        got = _scalars(tmp_path / f"t{i}")
        assert [s for _, _, s, _ in got] == list(range(200))
        assert {v for *_, v in got} == {float(i)}


class Spikes:
    def __init__(self, count: int) -> None:
        self.count = count


def test_registered_types_go_through_as_event(tmp_path) -> None:
    @as_event.register
    def _(x: Spikes, step: int, wall_time: float) -> Event:
        return as_event(summary_scalar(float(x.count)), step, wall_time)

    with with_logdir(tmp_path):
        log_event(spikes=Spikes(12), step=2)
    assert _scalars(tmp_path) == [(".", "spikes", 2, 12.0)]


@pytest.mark.parametrize(
    ("values", "error", "names"),
    [
        ({"thing": object()}, TypeError, "as_event.register"),
        ({"d": {1: 2.0}}, TypeError, "d=...["),
        ({"h": summary_histogram}, TypeError, "h=..."),
    ],
)
def test_bad_input_names_the_argument_and_writes_nothing(tmp_path, values, error, names) -> None:
    with with_logdir(tmp_path):
        step = get_global_step(increment=False)
        with pytest.raises(error, match=names.replace("[", r"\[").replace(".", r"\.")):
            log_event(ok=1.0, **values)
        assert get_global_step(increment=False) == step
    flush_all()
    assert not (tmp_path / "events").exists() and not list(tmp_path.rglob("events.out.*"))


def test_histogram_of_strings_is_refused() -> None:
    with pytest.raises(TypeError, match="summary_histogram"):
        summary_histogram(["a", "b"])


def test_histogram_edge_cases() -> None:
    assert len(summary_histogram([]).value[0].histo.bucket) == 0
    assert [c for c in summary_histogram([2.0] * 5).value[0].histo.bucket if c] == [5.0]


def test_package_exports_the_functional_names() -> None:
    for name in ("log_event", "with_logdir", "summary_audio", "summary_image", "summary_metadata"):
        assert hasattr(neuroboard, name)
