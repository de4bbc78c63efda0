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
    set_default_logdir,
    set_global_step,
    summary_histogram,
    summary_scalar,
    summary_text,
    value,
    with_logdir,
)
from neuroboard.api.functional import flush_all
from neuroboard.format.codec import Event
from neuroboard.summary.convert import INT64_MAX
from tests.tb import accumulator, multiplexer, scalar_arrays


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
    assert sorted(_scalars(tmp_path)) == [
        (".", "loss", 7, 1.0),
        ("train", "loss", 7, 0.5),
        ("train/deep", "acc", 7, 0.75),
    ]
    mux = multiplexer(tmp_path)
    assert mux.Scalars("train/deep", "acc")[0].value == 0.75


def test_text_numbers_and_summaries(tmp_path) -> None:
    with with_logdir(tmp_path):
        log_event(
            note="hello",
            n=np.float32(2.5),
            k=3,
            h=summary_histogram(np.arange(10.0), buckets=5),
            # A summary's own tag must be the name it is logged under.
            named=summary_scalar(1.5, tag="named"),
            texts=summary_text("x", tag="texts"),
        )
    flush_all()
    df = collect_events(tmp_path, type="summary")
    got = dict(zip(df.tag, df.plugin))
    assert got == {
        "note": "text",
        "n": "scalars",
        "k": "scalars",
        "h": "histograms",
        "named": "scalars",
        "texts": "text",
    }
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


def _rows(summary) -> np.ndarray:
    return np.array(summary.value[0].tensor.double_val).reshape(-1, 3)


def test_histogram_edge_cases() -> None:
    # TensorFlow's and R's rule: no data gives zero rows, equal data every edge at the value.
    assert _rows(summary_histogram([])).tolist() == [[0.0, 0.0, 0.0]] * 30
    assert _rows(summary_histogram([2.0] * 5)).tolist() == [[2.0, 2.0, 0.0]] * 29 + [[2.0, 2.0, 5.0]]


def test_package_exports_the_functional_names() -> None:
    for name in ("log_event", "with_logdir", "summary_audio", "summary_image", "summary_metadata"):
        assert hasattr(neuroboard, name)


def test_every_kind_reaches_a_real_tensorboard(tensorboard_server) -> None:
    root = f"{tensorboard_server.logdir}/functional"
    with with_logdir(root):
        for step in range(3):
            log_event(
                step=step,
                loss=1.0 / (step + 1),
                notes=f"step **{step}**",
                weights=summary_histogram(np.arange(step + 5.0)),
                frame=neuroboard.summary_image(np.full((1, 4, 6, 3), 0.5)),
                tone=neuroboard.summary_audio(np.sin(np.arange(800) / 5.0) / 2, sample_rate=8000),
                train={"acc": 0.5 + step / 10},
            )
    flush_all()
    points = tensorboard_server.scalars("functional", "loss", 3)
    assert [p[1:] for p in points] == [[0, 1.0], [1, 0.5], [2, pytest.approx(1 / 3)]]
    assert [p[2] for p in tensorboard_server.scalars("functional/train", "acc", 3)] == pytest.approx(
        [0.5, 0.6, 0.7]
    )
    for plugin, tag in (("text", "notes"), ("histograms", "weights"), ("images", "frame"), ("audio", "tone")):
        tags = tensorboard_server.wait_for(
            lambda plugin=plugin: tensorboard_server.get(f"/data/plugin/{plugin}/tags"),
            lambda answer, tag=tag: tag in answer.get("functional", {}),
        )
        assert tag in tags["functional"]


def test_the_r_hparams_layout_shows_in_the_hparams_tab(tmp_path) -> None:
    from neuroboard import hparams_hparam, hparams_metric, log_hparams, log_hparams_config
    from tests.api.test_hparams import experiment, session_groups
    from tests.conftest import start_tensorboard

    with with_logdir(tmp_path):
        log_hparams_config(
            [
                hparams_hparam("optimizer", domain=["adam", "sgd"]),
                hparams_hparam("num_units", domain=[128, 512, 1024]),
                hparams_hparam("use_cnn", domain=[True, False]),
                hparams_hparam("dropout", domain={"min_value": 0, "max_value": 0.5}, description="drop rate"),
            ],
            [hparams_metric("loss", group="train"), hparams_metric("acc")],
        )
    for i, (optimizer, units) in enumerate((("adam", 128), ("sgd", 512))):
        with with_logdir(tmp_path / f"run{i}"):
            log_hparams(optimizer=optimizer, num_units=units, use_cnn=bool(i), dropout=0.1 * i)
            log_event(train={"loss": 0.5 - i / 10}, acc=0.8 + i / 10)
    flush_all()
    with start_tensorboard(str(tmp_path), str(tmp_path.parent / f"{tmp_path.name}-tb.log")) as server:
        config = server.wait_for(lambda: experiment(server), lambda answer: bool(answer.get("hparamInfos")))
        # Without trial_id each group is named by the hash of its values: list the sessions.
        groups = server.wait_for(lambda: session_groups(server, ""), lambda groups: len(groups) == 2)
    infos = {info["name"]: info for info in config["hparamInfos"]}
    assert infos["optimizer"]["domainDiscrete"] == ["adam", "sgd"]
    assert infos["use_cnn"]["domainDiscrete"] == [True, False]
    assert infos["dropout"]["domainInterval"] == {"minValue": 0.0, "maxValue": 0.5}
    assert infos["dropout"]["description"] == "drop rate"
    # R's defaults: display name and description are the name, or the metric's tag.
    assert (infos["dropout"]["displayName"], infos["optimizer"]["description"]) == ("dropout", "optimizer")
    assert {m["name"]["tag"]: m["displayName"] for m in config["metricInfos"]} == {
        "loss": "loss",
        "acc": "acc",
    }
    assert {session["name"] for group in groups.values() for session in group["sessions"]} == {"run0", "run1"}


@pytest.mark.parametrize("domain", ["adam", 3, {"low": 0, "high": 1}, (0, 1, 2, "x")])
def test_hparam_domain_must_be_a_list_an_interval_or_bools(domain) -> None:
    from neuroboard import hparams_hparam

    with pytest.raises((TypeError, ValueError), match="hparams_hparam\\(domain"):
        hparams_hparam("x", domain=domain)


def test_summary_image_from_png_bytes_and_figures(tmp_path) -> None:
    from neuroboard.summary.image import encode_png

    pixels = np.zeros((3, 5, 4), np.uint8)
    pixels[..., 3] = 255
    image = neuroboard.summary_image(encode_png(pixels)).value[0].image
    assert (image.width, image.height, image.colorspace) == (5, 3, 4)
    with pytest.raises(ValueError, match="summary_image\\(img"):
        neuroboard.summary_image(b"not an image")
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = plt.figure(figsize=(1, 1), dpi=20)
    with with_logdir(tmp_path):
        log_event(fig=neuroboard.summary_image(fig), step=1)
    flush_all()
    got = value(collect_events(tmp_path, type="summary")["summary"])
    assert got.shape == (20, 20, 4) or got.shape[:2] == (20, 20)


def test_the_r_document_examples(tmp_path) -> None:
    rng = np.random.default_rng(0)
    with with_logdir(tmp_path / "runs"):
        log_event(
            train={"loss": rng.random(), "acc": rng.random()},
            valid={"loss": rng.random(), "acc": rng.random()},
        )
        for _ in range(10):
            log_event(x=summary_histogram(rng.normal(size=10_000)))
        log_event(clip=neuroboard.summary_audio(rng.random((1, 100, 1)), sample_rate=8000))
        log_event(clips=neuroboard.summary_audio(rng.uniform(-1, 1, (3, 100, 2)), sample_rate=8000))
        log_event(loss=summary_scalar(1))
    with with_logdir(tmp_path / "hp"):
        neuroboard.log_hparams(optimizer="adam", num_units=16)
    assert as_event({"hello": 1}, step=1, wall_time=1).step == 1
    flush_all()
    scalars = collect_events(tmp_path / "runs", type="scalar")
    assert sorted(set(scalars.run)) == [".", "train", "valid"]
    summaries = collect_events(tmp_path / "runs", type="summary")
    assert (summaries.tag == "x").sum() == 10
    samples, rate = value(summaries[summaries.tag == "clips"]["summary"])
    assert samples.shape == (3, 100, 2) and rate == 8000
    hp = collect_events(tmp_path / "hp", type="summary")
    assert list(hp.plugin) == ["hparams"]


def test_asyncio_tasks_keep_their_own_logdirs(tmp_path) -> None:
    import asyncio

    async def task(name: str) -> str:
        with with_logdir(tmp_path / name):
            await asyncio.sleep(0)
            log_event(x=1.0, step=0)
            return get_default_logdir()

    async def main() -> list[str]:
        return await asyncio.gather(task("a"), task("b"))

    assert asyncio.run(main()) == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert _scalars(tmp_path) == [("a", "x", 0, 1.0), ("b", "x", 0, 1.0)]


def test_collect_events_reads_the_default_logdir(tmp_path) -> None:
    with with_logdir(tmp_path):
        log_event(loss=0.5, step=4)
        flush_all()
        assert collect_events(type="scalar").step.tolist() == [4]


def test_metadata_gives_display_name_and_description(tmp_path) -> None:
    meta = neuroboard.summary_metadata("scalars", display_name="Loss", description="training loss")
    value_ = summary_scalar(0.5, metadata=meta, tag="loss").value[0]
    assert (value_.tag, value_.metadata.display_name, value_.metadata.summary_description) == (
        "loss",
        "Loss",
        "training loss",
    )


def test_unflushed_values_reach_the_file_at_exit(tmp_path) -> None:
    import subprocess
    import sys

    script = (
        "import neuroboard as nb\n"
        f"nb.set_default_logdir({str(tmp_path)!r})\n"
        "for i in range(100): nb.log_event(loss=i / 100)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert [s for *_, s, _ in _scalars(tmp_path)] == list(range(100))


# -- names that become folders, tags, logdirs and global steps: checked before anything is written


def _event_files(folder) -> list:
    return [p for p in folder.rglob("*") if "tfevents" in p.name]


@pytest.mark.parametrize(
    "values",
    [
        {"../escape": {"x": 1.0}},
        {"train": {"../../escape": {"x": 1.0}}},
        {"a/../../escape": {"x": 1.0}},
        {"<absolute>": {"x": 1.0}},
        {"a//b": {"x": 1.0}},
        {"a\0b": {"x": 1.0}},
    ],
)
def test_a_run_name_that_leaves_the_logdir_is_refused_and_nothing_is_written(tmp_path, values) -> None:
    logdir = tmp_path / "logs"
    outside = tmp_path / "absolute"
    values = {str(outside) if key == "<absolute>" else key: x for key, x in values.items()}
    with with_logdir(logdir):
        set_global_step(9)
        refused = r"^log_event\(.*=\.\.\.\): expected a relative name inside the logdir"
        with pytest.raises(ValueError, match=refused):
            log_event(loss=0.5, **values)
        assert get_global_step(increment=False) == 9  # the refused call took no step
    flush_all()
    assert _event_files(tmp_path) == []
    assert not outside.exists()


@pytest.mark.parametrize(
    "values", [{"bad\ud800": 1.0}, {"ok": 1.0, "bad\ud800": 2.0}, {"r": {"t\udfff": 1.0}}]
)
def test_a_tag_utf8_cannot_encode_is_refused_at_the_call(tmp_path, values) -> None:
    with with_logdir(tmp_path):
        with pytest.raises(ValueError, match=r"^log_event\(.*=\.\.\.\): expected text that UTF-8 can encode"):
            log_event(**values, step=0)
        for step in range(1, 1001):
            log_event(good=float(step), step=step)
    flush_all()
    df = collect_events(str(tmp_path), type="scalar")
    assert df["tag"].unique().tolist() == ["good"]
    assert df["step"].tolist() == list(range(1, 1001))
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "good")
    assert steps.tolist() == list(range(1, 1001))
    assert values.tolist() == [float(s) for s in range(1, 1001)]


def test_tags_stay_as_given(tmp_path) -> None:
    with with_logdir(tmp_path):
        log_event(**{"../not/a/path": 1.0, "/also fine": 2.0}, step=0)
    assert sorted(tag for _, tag, _, _ in _scalars(tmp_path)) == ["../not/a/path", "/also fine"]


@pytest.mark.parametrize("func", [with_logdir, set_default_logdir])
@pytest.mark.parametrize(("logdir", "kind"), [(123, TypeError), ("logs\0x", ValueError), ("", ValueError)])
def test_a_logdir_that_is_no_path_is_refused_naming_logdir(func, logdir, kind) -> None:
    before = get_default_logdir()
    with pytest.raises(kind, match=rf"^{func.__name__}\(logdir=\.\.\.\): expected a"):
        func(logdir)
    assert get_default_logdir() == before


def test_a_global_step_past_int64_is_refused_at_the_call(tmp_path) -> None:
    other = tmp_path / "other"
    with with_logdir(other):
        log_event(y=1.0)
    with with_logdir(tmp_path / "full"):
        for step in range(1000):
            log_event(good=float(step), step=step)
        set_global_step(INT64_MAX)
        with pytest.raises(ValueError, match=rf"^log_event\(step=None\): .*global step is {INT64_MAX}"):
            log_event(x=1.0)
        with pytest.raises(ValueError, match=r"^log_event\(step=None\)"):
            log_event(x=1.0, run={"y": 2.0})
        with pytest.raises(ValueError, match=r"^get_global_step\(step=None\)"):
            get_global_step()
        assert get_global_step(increment=False) == INT64_MAX
        log_event(x=2.0, step=INT64_MAX)
    # Nothing waits to fail a later call, here or elsewhere.
    assert collect_events(str(other), type="scalar")["value"].tolist() == [1.0]
    df = collect_events(str(tmp_path / "full"), type="scalar")
    assert len(df) == 1001
    assert df[df.tag == "x"]["step"].tolist() == [INT64_MAX]


# -- R habits ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "got"),
    [
        (1, "int 1"),
        (2.5, "float 2.5"),
        ("loss", "str 'loss'"),
        ([1.0, 2.0], "list [1.0, 2.0]"),
        ({"loss": 1.0}, "dict {'loss': 1.0}"),
    ],
)
def test_a_value_without_a_name_is_refused_and_nothing_written(tmp_path, value, got) -> None:
    with with_logdir(str(tmp_path)), pytest.raises(TypeError) as error:
        log_event(value)
    with with_logdir(str(tmp_path)):
        # The counter has not moved: no step was taken.
        assert get_global_step(increment=False) == -1
    message = str(error.value)
    assert message.startswith("log_event(...): expected named values, e.g. log_event(loss=1.0)")
    assert f"got nothing to log but the step, {got} (a positional argument is the step)" in message
    assert ("unpack it: log_event(**values)" in message) == isinstance(value, dict)
    assert list(tmp_path.iterdir()) == []


def test_a_summary_without_a_name_is_refused(tmp_path) -> None:
    with with_logdir(str(tmp_path)), pytest.raises(TypeError, match=r"but the step, Summary \(a positional"):
        log_event(summary_scalar(1.0))
    assert list(tmp_path.iterdir()) == []


def _plain_call_in_a_body(logdir: str) -> str:
    local_logdir(logdir)
    return get_default_logdir()


@pytest.mark.parametrize(
    ("func", "call"), [("local_logdir", _plain_call_in_a_body), ("with_logdir", with_logdir)]
)
def test_a_plain_call_of_local_logdir_raises_showing_both_forms(func, call) -> None:
    before = get_default_logdir()
    with pytest.raises(TypeError) as error:
        call("runs/r")
    assert str(error.value) == (
        f"{func}(logdir=...): expected a decorator or a with block, got a plain call with 'runs/r', "
        "which changes nothing (Python cannot undo it when the calling function returns); "
        f"write @{func}('runs/r') above the function, or put the lines in `with {func}('runs/r'):`"
    )
    assert get_default_logdir() == before


def test_local_logdir_kept_or_used_at_once_is_no_plain_call() -> None:
    kept = local_logdir("runs/k")
    assert [local_logdir("runs/l")][0].logdir == "runs/l"
    with kept:
        assert get_default_logdir() == "runs/k"
    assert local_logdir("runs/m")(get_default_logdir)() == "runs/m"
