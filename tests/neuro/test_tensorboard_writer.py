"""TensorboardWriter: Sapicore's calls and tags, read back with TensorBoard's reader and ours."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard.plugins.hparams import metadata as hparams_metadata

from neuroboard import collect_events
from neuroboard.neuro.tensorboard_writer import TensorboardWriter
from neuroboard.neuro.view_settings import (
    MAX_PIXELS,
    RASTER_LINE,
    RASTER_SIZE,
    TRACE_SIZE,
    Where,
    parse_settings,
)
from neuroboard.render import heatmap_image, raster_image, trace_image
from neuroboard.summary.image import decode_image
from tests.tb import accumulator, multiplexer, scalar_arrays

RNG = np.random.default_rng(7)


class Data:
    """A stand-in for Sapicore's HDFData: a buffer, an identifier and the file's attributes."""

    def __init__(
        self, buffer: dict[str, Any], identifier: str | None = None, attrs: dict | None = None
    ) -> None:
        self.buffer = buffer
        self.identifier = identifier
        self.attrs = attrs or {}


def images(run: Path, tag: str) -> list[tuple[int, np.ndarray]]:
    """Return (step, pixels) of every image of ``tag``, as TensorBoard reads them."""
    return [(event.step, decode_image(event.encoded_image_string)) for event in accumulator(run).Images(tag)]


def tags(run: Path) -> set[str]:
    found = accumulator(run).Tags()
    return set(found["scalars"]) | set(found["images"]) | set(found["tensors"])


def run_scalars(logdir: Path) -> dict[str, set[str]]:
    """Return the scalar tags of every run of ``logdir`` that has any, by run."""
    mux = multiplexer(logdir)
    return {run: set(found["scalars"]) for run, found in mux.Runs().items() if found["scalars"]}


def sapicore_raster(spikes: Any) -> np.ndarray:
    """Return the pixels of a dense raster at Sapicore's default size and line size."""
    width, height = RASTER_SIZE
    return raster_image(spikes, width=width, height=height, line_size=RASTER_LINE)


def session_hparams(run: Path) -> dict[str, Any]:
    acc = accumulator(run)
    content = acc.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    info = hparams_metadata.parse_session_start_info_plugin_data(content)
    return {name: getattr(value, value.WhichOneof("kind")) for name, value in info.hparams.items()}


# -- raster ---------------------------------------------------------------------


def test_raster_dense_is_the_render_pixel_for_pixel(tmp_path: Path) -> None:
    spikes = RNG.random((300, 40)) < 0.05
    with TensorboardWriter(tmp_path) as tw:
        tw.raster("L1", spikes, {"global_step": 4})
        tw.raster("L2", spikes.T.astype(np.float32), {"time_axis": 1})
    [(step, pixels)] = images(tmp_path, "L1/raster")
    assert step == 4
    # Sapicore's figure: 15 × 10 inches, each spike a quarter of its neuron's row.
    assert pixels.shape == (1000, 1500, 3)
    np.testing.assert_array_equal(pixels, sapicore_raster(spikes))
    # Neurons × time with time_axis=1 draws the same raster.
    [(step, pixels)] = images(tmp_path, "L2/raster")
    assert step == 0
    np.testing.assert_array_equal(pixels, sapicore_raster(spikes))


def test_raster_line_size(tmp_path: Path) -> None:
    spikes = np.eye(4, dtype=bool)
    with TensorboardWriter(tmp_path) as tw:
        tw.raster("full", spikes, {"line_size": 1.0, "size": (0.04, 0.4)})
        tw.raster("thin", spikes, {"line_size": 0.5, "size": (0.04, 0.4)})
        with pytest.raises(ValueError, match=r"raster\(settings\['line_size'\]=\.\.\.\): expected .*got 1.5"):
            tw.raster("bad", spikes, {"line_size": 1.5})
    full = images(tmp_path, "full/raster")[0][1][..., 0]
    thin = images(tmp_path, "thin/raster")[0][1][..., 0]
    # 10 rows per neuron: a full line covers them all, a half line the 5 in the middle.
    assert (full[:10, 0] == 0).all() and (full[10:, 0] == 255).all()
    assert (thin[:, 0] == 0).nonzero()[0].tolist() == [2, 3, 4, 5, 6]


def test_raster_event_lists_and_counts(tmp_path: Path) -> None:
    steps, neurons = np.array([0, 3, 3, 9]), np.array([2, 0, 1, 4])
    counts = np.zeros((10, 5), dtype=np.int64)
    counts[steps, neurons] = [1, 3, 2, 1]
    with TensorboardWriter(tmp_path) as tw:
        tw.raster("tuple", (steps, neurons))
        tw.raster("pairs", np.stack([steps, neurons], axis=1))
        tw.raster("counts", counts)
    # Event lists keep one pixel per step and neuron; a dense array of counts is drawn as Sapicore's.
    expected = raster_image((steps, neurons))
    assert expected.shape == (5, 10, 3)
    np.testing.assert_array_equal(images(tmp_path, "tuple/raster")[0][1], expected)
    np.testing.assert_array_equal(images(tmp_path, "pairs/raster")[0][1], expected)
    np.testing.assert_array_equal(images(tmp_path, "counts/raster")[0][1], sapicore_raster(counts))


def test_raster_size_and_default_cap(tmp_path: Path) -> None:
    spikes = RNG.random((2500, 8)) < 0.1
    with TensorboardWriter(tmp_path) as tw:
        tw.raster("capped", np.argwhere(spikes), {"n_steps": 2500, "n_neurons": 8})
        tw.raster("sized", spikes, {"size": (3, 0.5)})
    capped = images(tmp_path, "capped/raster")[0][1]
    np.testing.assert_array_equal(capped, raster_image(spikes, width=2000, height=8))
    assert images(tmp_path, "sized/raster")[0][1].shape == (50, 300, 3)


@pytest.mark.parametrize(
    ("array", "got"),
    [
        (np.ones(5), r"shape \(5,\) and dtype float64"),
        (np.ones((2, 3, 4)), r"shape \(2, 3, 4\)"),
        (np.full((3, 4), -1), "negative"),
        (np.full((3, 4), 0.5), "not whole numbers"),
        (np.full((3, 4), np.nan), "not whole numbers"),
    ],
)
def test_raster_rejects_what_is_not_spikes(tmp_path: Path, array: np.ndarray, got: str) -> None:
    with TensorboardWriter(tmp_path) as tw:
        with pytest.raises(
            ValueError,
            match=r"raster\(array=\.\.\.\): expected a 2-D binary array \(time × neurons\) or event lists",
        ):
            tw.raster("L1", array)
        with pytest.raises(ValueError, match=got):
            tw.raster("L1", array)
    assert tags(tmp_path) == set()


def test_raster_rejects_bad_events_and_axes(tmp_path: Path) -> None:
    with TensorboardWriter(tmp_path) as tw:
        with pytest.raises(ValueError, match=r"array=.*equal length"):
            tw.raster("L1", (np.array([0, 1]), np.array([0])))
        with pytest.raises(ValueError, match=r"array=.*negative neuron"):
            tw.raster("L1", (np.array([0, 1]), np.array([0, -1])))
        with pytest.raises(ValueError, match=r"array=.*no events"):
            tw.raster("L1", (np.array([], dtype=int), np.array([], dtype=int)))
        with pytest.raises(ValueError, match=r"time_axis.*ndim 2.*got 2|time_axis.*got 2"):
            tw.raster("L1", np.ones((3, 4), dtype=bool), {"time_axis": 2})
        with pytest.raises(ValueError, match=r"time_axis.*event lists"):
            tw.raster("L1", (np.array([0]), np.array([0])), {"time_axis": 1})
    assert tags(tmp_path) == set()


# -- trace ----------------------------------------------------------------------


def test_trace_1d_is_one_float32_series(tmp_path: Path) -> None:
    v = RNG.normal(size=50)
    with TensorboardWriter(tmp_path) as tw:
        tw.trace("L1", "v", v)
        tw.trace("L1", "u", v[:5], {"steps": [10, 20, 30, 40, 50]})
    steps, values, _ = scalar_arrays(accumulator(tmp_path), "L1/v")
    np.testing.assert_array_equal(steps, np.arange(50))
    np.testing.assert_array_equal(values, v.astype(np.float32))
    ours = collect_events(tmp_path, type="scalar")
    u = ours[ours.tag == "L1/u"]
    assert u.step.tolist() == [10, 20, 30, 40, 50]
    np.testing.assert_array_equal(u.value.to_numpy(), v[:5].astype(np.float32))


def test_trace_2d_scalar_writes_one_series_per_neuron(tmp_path: Path) -> None:
    v = RNG.normal(size=(40, 3)).astype(np.float64)
    with TensorboardWriter(tmp_path) as tw:
        tw.trace("L1", "v", v, {"format": "scalar"})
        tw.trace("L1", "u", v[:, :1], {"format": "scalar"})
    # Sapicore's runs: neuron j is the tag L1/N<j> of the sub-run L1_N<j>_<attr>, the main run has none.
    assert run_scalars(tmp_path) == {
        "L1_N0_v": {"L1/N0"},
        "L1_N1_v": {"L1/N1"},
        "L1_N2_v": {"L1/N2"},
        "L1_N0_u": {"L1/N0"},
    }
    for j in range(3):
        steps, values, _ = scalar_arrays(accumulator(tmp_path / f"L1_N{j}_v"), f"L1/N{j}")
        np.testing.assert_array_equal(steps, np.arange(40))
        np.testing.assert_array_equal(values, v[:, j].astype(np.float32))


def test_trace_time_axis(tmp_path: Path) -> None:
    # (neurons, time): time moves to the front.
    v = RNG.normal(size=(4, 30))
    with TensorboardWriter(tmp_path) as tw:
        tw.trace("L1", "v", v, {"format": "scalar", "time_axis": 1})
    for j in range(4):
        _, values, _ = scalar_arrays(accumulator(tmp_path / f"L1_N{j}_v"), f"L1/N{j}")
        np.testing.assert_array_equal(values, v[j].astype(np.float32))


@pytest.mark.parametrize("shape", [(2, 2, 30), (30, 2, 2, 1)])
def test_trace_refuses_more_than_two_axes_naming_the_shape(tmp_path: Path, shape: tuple[int, ...]) -> None:
    # Flattening the trailing axes into neurons used to be silent: N<j> then named no neuron the user knew.
    v = RNG.normal(size=shape)
    with TensorboardWriter(tmp_path) as tw:
        got = re.escape(str(shape))
        with pytest.raises(ValueError, match=rf"trace\(array=\.\.\.\): expected .*got shape {got}"):
            tw.trace("L1", "v", v, {"format": "scalar", "time_axis": -1})
        with pytest.raises(ValueError, match=r"write\(data\['v'\]=\.\.\.\): expected .*\(time, neurons\)"):
            tw.write({"ok": np.ones(3), "v": v}, kind="trace")
    assert tags(tmp_path) == set()
    assert collect_events(tmp_path, type="scalar").empty


def test_trace_2d_image_is_the_render(tmp_path: Path) -> None:
    v = RNG.normal(size=(100, 3))
    with TensorboardWriter(tmp_path) as tw:
        tw.trace("L1", "v", v, {"global_step": 2})
        tw.trace("L1", "w", v, {"size": (2, 1), "vmin": -1, "vmax": 1})
    # One image per neuron, as Sapicore's, all on the y scale of the whole array.
    assert {tag for tag in accumulator(tmp_path).Tags()["images"]} == {
        f"L1/N{j}/{attr}" for j in range(3) for attr in ("v", "w")
    }
    low, high = float(v.min()), float(v.max())
    for j in range(3):
        [(step, pixels)] = images(tmp_path, f"L1/N{j}/v")
        assert step == 2 and pixels.shape == (500, 1000, 3) and TRACE_SIZE == (1000, 500)
        expected = trace_image(v[:, j], width=TRACE_SIZE[0], height=TRACE_SIZE[1], vmin=low, vmax=high)
        np.testing.assert_array_equal(pixels, expected)
        [(_, pixels)] = images(tmp_path, f"L1/N{j}/w")
        np.testing.assert_array_equal(pixels, trace_image(v[:, j], width=200, height=100, vmin=-1, vmax=1))
    assert accumulator(tmp_path).Tags()["scalars"] == []


def test_trace_rejects_bad_input(tmp_path: Path) -> None:
    with TensorboardWriter(tmp_path) as tw:
        with pytest.raises(ValueError, match=r"trace\(array=\.\.\.\).*shape \(\).*kind='hparam'"):
            tw.trace("L1", "v", np.float64(1.0))
        with pytest.raises(ValueError, match=r"trace\(settings\['steps'\]=\.\.\.\): expected 3 steps"):
            tw.trace("L1", "v", np.ones(3), {"steps": [0, 1]})
        with pytest.raises(TypeError, match=r"trace\(array=\.\.\.\): expected a numeric array"):
            tw.trace("L1", "v", np.array(["a", "b"]))
        with pytest.raises(ValueError, match=r"settings\['format'\]=.*'image', 'scalar'.*'svg'"):
            tw.trace("L1", "v", np.ones(3), {"format": "svg"})
        with pytest.raises(ValueError, match=r"settings\['kind'\]=.*draws 'trace'"):
            tw.trace("L1", "v", np.ones(3), {"kind": "heatmap"})
    assert tags(tmp_path) == set()


# -- heatmap --------------------------------------------------------------------


def test_heatmap_2d_is_the_render(tmp_path: Path) -> None:
    w = RNG.normal(size=(6, 9))
    with TensorboardWriter(tmp_path) as tw:
        tw.heatmap("L1", "weights", w, {"global_step": 7, "symmetric": True, "colorbar": False})
    [(step, pixels)] = images(tmp_path, "L1/weights")
    assert step == 7
    np.testing.assert_array_equal(pixels, heatmap_image(w, symmetric=True, colorbar=False))


def test_heatmap_3d_step_gives_frames_on_one_scale(tmp_path: Path) -> None:
    w = RNG.normal(size=(10, 4, 5))
    w[9] *= 10  # a frame that is never drawn still sets the colour scale
    with TensorboardWriter(tmp_path) as tw:
        tw.heatmap("L1", "weights", w, {"step": 3})
    frames = images(tmp_path, "L1/weights")
    assert [step for step, _ in frames] == [0, 3, 6, 9]
    low, high = w.min(), w.max()
    for step, pixels in frames:
        np.testing.assert_array_equal(pixels, heatmap_image(w[step], vmin=low, vmax=high))


def test_heatmap_draws_every_100th_frame_by_default(tmp_path: Path) -> None:
    w = RNG.normal(size=(300, 2, 3))
    with TensorboardWriter(tmp_path) as tw:
        tw.heatmap("L1", "w", w)
    assert [step for step, _ in images(tmp_path, "L1/w")] == [0, 100, 200]


def test_heatmap_time_axis_and_limits(tmp_path: Path) -> None:
    # (rows, columns, time): time is the last axis.
    w = RNG.random((3, 4, 5))
    with TensorboardWriter(tmp_path) as tw:
        tw.heatmap("L1", "w", w, {"time_axis": -1, "vmin": 0.0, "vmax": 2.0, "size": (0.08, 0.06), "step": 1})
    frames = images(tmp_path, "L1/w")
    assert [step for step, _ in frames] == [0, 1, 2, 3, 4]
    for step, pixels in frames:
        expected = heatmap_image(w[:, :, step], vmin=0.0, vmax=2.0, width=8, height=6)
        np.testing.assert_array_equal(pixels, expected)


def test_heatmap_rejects_bad_input(tmp_path: Path) -> None:
    with TensorboardWriter(tmp_path) as tw:
        with pytest.raises(ValueError, match=r"heatmap\(array=\.\.\.\): expected .*got shape \(3,\)"):
            tw.heatmap("L1", "w", np.ones(3))
        with pytest.raises(ValueError, match=r"heatmap\(settings\['time_axis'\]=\.\.\.\).*ndim 3.*got 3"):
            tw.heatmap("L1", "w", np.ones((2, 3, 4)), {"time_axis": 3})
        with pytest.raises(ValueError, match=r"settings\['step'\]=.*>= 1, got 0"):
            tw.heatmap("L1", "w", np.ones((2, 3, 4)), {"step": 0})
        with pytest.raises(ValueError, match=r"settings\['vmin'\]=.*vmin <= vmax"):
            tw.heatmap("L1", "w", np.ones((2, 3, 4)), {"vmin": 5.0})
        with pytest.raises(ValueError, match=r"settings\['size'\]=.*two positive numbers"):
            tw.heatmap("L1", "w", np.ones((3, 4)), {"size": (1, -2)})
        with pytest.raises(ValueError, match=r"settings\['size'\]=.*\(width, height\)"):
            tw.heatmap("L1", "w", np.ones((3, 4)), {"size": 3})
        with pytest.raises(TypeError, match=r"settings\['colour'\]=.*unknown setting"):
            tw.heatmap("L1", "w", np.ones((3, 4)), {"colour": "red"})
        with pytest.raises(TypeError, match=r"settings\['colorbar'\]=.*True or False"):
            tw.heatmap("L1", "w", np.ones((3, 4)), {"colorbar": "yes"})
    assert tags(tmp_path) == set()


# -- hparams --------------------------------------------------------------------


def test_hparams_are_collected_and_written_once_on_close(tmp_path: Path) -> None:
    tw = TensorboardWriter(tmp_path)
    tw.hparam("L1", "tau", np.float32(20.0))
    tw.hparam("L1", "model", "LIF")
    tw.hparam("L1", "n", np.array([100]))
    tw.hparam("L1", "plastic", np.bool_(True))
    tw.trace("L1", "v", np.arange(3.0))
    assert dict(tw.hparams) == {"L1/tau": 20.0, "L1/model": "LIF", "L1/n": 100, "L1/plastic": True}
    assert type(tw.hparams["L1/tau"]) is float and type(tw.hparams["L1/n"]) is int
    with pytest.raises(TypeError):
        tw.hparams["L1/tau"] = 1.0  # type: ignore[index]
    tw.flush()
    assert "_hparams_/session_start_info" not in accumulator(tmp_path).Tags()["tensors"]
    tw.close()
    tw.close()
    assert session_hparams(tmp_path) == {"L1/tau": 20.0, "L1/model": "LIF", "L1/n": 100.0, "L1/plastic": True}
    events = collect_events(tmp_path, type="summary")
    assert (events.tag == "_hparams_/session_start_info").sum() == 1


def test_hparam_of_an_array_is_one_per_neuron_or_sapicore_scalars(tmp_path: Path) -> None:
    with TensorboardWriter(tmp_path) as tw:
        tw.hparam("L1", "thresh", np.array([-55.0, -50.0]))
        tw.hparam("L1", "tau", np.array([5.0, 6.0, 7.0]), {"format": "scalar"})
        tw.hparam("L1", "n", 3, {"format": "scalar"})
    assert session_hparams(tmp_path) == {"L1/N0/thresh": -55.0, "L1/N1/thresh": -50.0, "L1/n": 3.0}
    assert run_scalars(tmp_path) == {f"L1_N{i}_tau": {f"L1/N{i}"} for i in range(3)}
    for i, value in enumerate([5.0, 6.0, 7.0]):
        steps, values, _ = scalar_arrays(accumulator(tmp_path / f"L1_N{i}_tau"), f"L1/N{i}")
        assert steps.tolist() == [0] and values.tolist() == [value]


def test_hparam_rejects_arrays(tmp_path: Path) -> None:
    with TensorboardWriter(tmp_path) as tw:
        with pytest.raises(
            ValueError,
            match=r"hparam\(array=\.\.\.\).*got float64 of shape \(3, 2\).*kind='trace' or kind='heatmap'",
        ):
            tw.hparam("L1", "delays", np.ones((3, 2)))
        with pytest.raises(TypeError, match=r"hparam\(array=\.\.\.\)"):
            tw.hparam("L1", "z", 1j)
        assert dict(tw.hparams) == {}
    assert tags(tmp_path) == set()


# -- write ----------------------------------------------------------------------


def test_write_mapping_infers_kinds(tmp_path: Path) -> None:
    spikes = RNG.random((50, 6)) < 0.2
    v = RNG.normal(size=50)
    i = RNG.normal(size=(50, 2))
    w = RNG.normal(size=(4, 3, 3))
    with TensorboardWriter(tmp_path) as tw:
        tw.write({"spikes": spikes, "v": v, "i": i, "w": w, "tau": 10.0})
        assert dict(tw.hparams) == {"tau/tau": 10.0}
    assert tags(tmp_path) >= {"spikes/raster", "v/v", "i/N0/i", "i/N1/i", "w/w"}
    np.testing.assert_array_equal(images(tmp_path, "spikes/raster")[0][1], sapicore_raster(spikes))
    np.testing.assert_array_equal(scalar_arrays(accumulator(tmp_path), "v/v")[1], v.astype(np.float32))
    low, high = float(i.min()), float(i.max())
    np.testing.assert_array_equal(
        images(tmp_path, "i/N1/i")[0][1], trace_image(i[:, 1], width=1000, height=500, vmin=low, vmax=high)
    )
    # Every 100th frame, as Sapicore draws a heatmap over time.
    assert [step for step, _ in images(tmp_path, "w/w")] == [0]
    assert session_hparams(tmp_path) == {"tau/tau": 10.0}


def test_write_hdfdata_uses_identifier_keys_and_attrs(tmp_path: Path) -> None:
    v = RNG.normal(size=(20, 2))
    u = RNG.normal(size=(20, 2))
    data = Data(
        {"v": v, "u": u, "spikes": np.zeros((20, 2))}, identifier="L1", attrs={"tau": np.float64(5.0)}
    )
    with TensorboardWriter(tmp_path) as tw:
        tw.write(data, ["v", "u"], kind="trace", format="scalar")
        tw.write(data, "tau", kind="hparam")
        tw.write(data, "spikes", name="exc")
    assert {t for t in tags(tmp_path) if not t.startswith("_")} == {"exc/raster"}
    assert run_scalars(tmp_path) == {f"L1_N{j}_{attr}": {f"L1/N{j}"} for j in range(2) for attr in "vu"}
    np.testing.assert_array_equal(
        scalar_arrays(accumulator(tmp_path / "L1_N1_u"), "L1/N1")[1], u[:, 1].astype(np.float32)
    )
    assert session_hparams(tmp_path) == {"L1/tau": 5.0}


def test_write_key_none_and_no_identifier(tmp_path: Path) -> None:
    data = Data({"a": np.arange(4.0), "b": np.arange(3.0)})
    with TensorboardWriter(tmp_path) as tw:
        tw.write(data, None, steps=None)
    assert tags(tmp_path) == {"a/a", "b/b"}


def test_write_accepts_torch_tensors(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    spikes = torch.rand(30, 5) < 0.3
    v = torch.randn(30, 2)
    with TensorboardWriter(tmp_path) as tw:
        tw.write({"spikes": spikes, "v": v, "tau": torch.tensor(3.0)}, name="L1", format="scalar")
        tw.raster("L2", (torch.tensor([0, 1]), torch.tensor([1, 0])))
    np.testing.assert_array_equal(images(tmp_path, "L1/raster")[0][1], sapicore_raster(spikes.numpy()))
    np.testing.assert_array_equal(
        scalar_arrays(accumulator(tmp_path / "L1_N1_v"), "L1/N1")[1], v[:, 1].numpy().astype(np.float32)
    )
    assert images(tmp_path, "L2/raster")[0][1].shape == (2, 2, 3)
    assert session_hparams(tmp_path) == {"L1/tau": 3.0}


def test_write_checks_every_key_before_writing_any(tmp_path: Path) -> None:
    good, bad = RNG.normal(size=10), RNG.normal(size=(2, 3))
    data = Data({"good": good, "bad": bad}, attrs={"tau": 1.0})
    with TensorboardWriter(tmp_path) as tw:
        with pytest.raises(ValueError, match=r"write\(time_axis=\.\.\.\).*data\['good'\] \(ndim 1\), got 1"):
            tw.write(data, ["bad", "good"], time_axis=1)
        with pytest.raises(ValueError, match=r"write\(data\['bad'\]=\.\.\.\): expected a 2-D binary"):
            tw.write(data, ["bad"], kind="raster")
        with pytest.raises(
            KeyError, match=r"write\(key=\.\.\.\): no 'missing' in data; data has keys \['bad', 'good'\]"
        ):
            tw.write(data, ["good", "missing"])
        with pytest.raises(KeyError, match=r"'tau' is a file attribute: pass kind='hparam'"):
            tw.write(data, "tau")
        with pytest.raises(ValueError, match=r"write\(data\['bad'\]=\.\.\.\).*kind='trace'"):
            tw.write(data, ["good", "bad"], kind="hparam")
        with pytest.raises(ValueError, match=r"write\(kind=\.\.\.\).*'spikes'"):
            tw.write(data, kind="spikes")
        with pytest.raises(TypeError, match=r"write\(colour=\.\.\.\): unknown setting"):
            tw.write(data, colour="red")
        with pytest.raises(TypeError, match=r"write\(key=\.\.\.\)"):
            tw.write(data, 3)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"write\(data=\.\.\.\): expected a dict of arrays"):
            tw.write([good])
        with pytest.raises(ValueError, match=r"write\(data\['cube'\]=\.\.\.\): cannot infer"):
            tw.write({"ok": good, "cube": np.ones((2, 2, 2, 2))})
        assert dict(tw.hparams) == {}
    assert tags(tmp_path) == set()


def test_closed_writer_refuses_more(tmp_path: Path) -> None:
    tw = TensorboardWriter(tmp_path)
    tw.close()
    with pytest.raises(ValueError, match="closed"):
        tw.trace("L1", "v", np.ones(3))
    with pytest.raises(ValueError, match="closed"):
        tw.write({"v": np.ones(3)})
    with pytest.raises(ValueError, match="closed"):
        tw.flush()
    assert tags(tmp_path) == set()


def test_hparams_still_written_when_the_block_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), TensorboardWriter(tmp_path) as tw:
        tw.hparam("L1", "tau", 2.0)
        raise RuntimeError("simulation diverged")
    assert session_hparams(tmp_path) == {"L1/tau": 2.0}
    content = accumulator(tmp_path).SummaryMetadata("_hparams_/session_end_info").plugin_data.content
    assert hparams_metadata.parse_session_end_info_plugin_data(content).status == 2  # STATUS_FAILURE


# -- where values enter ---------------------------------------------------------


@pytest.mark.parametrize(
    ("log_dir", "error"), [(123, TypeError), (None, TypeError), ("runs\0x", ValueError), ("", ValueError)]
)
def test_log_dir_is_checked_as_a_path_naming_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log_dir: Any, error: type
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=r"TensorboardWriter\(log_dir=\.\.\.\): expected .*path"):
        TensorboardWriter(log_dir)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", ["/../../x", "/../escaped", "\0", "/x"])
def test_a_filename_suffix_that_leaves_the_run_is_refused(tmp_path: Path, suffix: str) -> None:
    run = tmp_path / "logs" / "run"
    with pytest.raises(
        ValueError, match=r"TensorboardWriter\(filename_suffix=\.\.\.\): expected the end of a file name"
    ):
        TensorboardWriter(run, filename_suffix=suffix)
    assert [files for _, _, files in os.walk(tmp_path) if files] == []
    assert collect_events(tmp_path).empty


def test_a_plain_filename_suffix_still_names_the_files(tmp_path: Path) -> None:
    with TensorboardWriter(tmp_path, filename_suffix=".v1") as tw:
        tw.trace("L1", "v", np.arange(3.0))
    assert [name for name in os.listdir(tmp_path) if name.endswith(".v1")]
    assert scalar_arrays(accumulator(tmp_path), "L1/v")[1].tolist() == [0.0, 1.0, 2.0]


def test_a_dense_raster_extent_must_match_its_shape(tmp_path: Path) -> None:
    spikes = RNG.random((30, 4)) < 0.2
    with TensorboardWriter(tmp_path) as tw:
        extent = r"expected 30 for a dense array of 30 steps × 4 neurons, got 100"
        with pytest.raises(ValueError, match=rf"raster\(settings\['n_steps'\]=\.\.\.\): {extent}"):
            tw.raster("L1", spikes, {"n_steps": 100})
        with pytest.raises(ValueError, match=r"raster\(settings\['n_neurons'\]=\.\.\.\): expected 4 .* 30"):
            tw.raster("L1", spikes.T, {"time_axis": 1, "n_neurons": 30})
        with pytest.raises(ValueError, match=r"write\(n_neurons=\.\.\.\): expected 4 "):
            tw.write({"spikes": spikes}, kind="raster", n_neurons=5)
        # An extent that matches says nothing new and is accepted.
        tw.raster("L2", spikes, {"n_steps": 30, "n_neurons": 4})
    assert tags(tmp_path) == {"L2/raster"}
    np.testing.assert_array_equal(images(tmp_path, "L2/raster")[0][1], sapicore_raster(spikes))


def _draw(tw: TensorboardWriter, kind: str, settings: dict[str, Any]) -> None:
    if kind == "raster":
        tw.raster("L1", np.ones((3, 4), dtype=bool), settings)
    elif kind == "raster events":
        tw.raster("L1", (np.array([0, 9]), np.array([1, 0])), settings)
    elif kind == "trace":
        tw.trace("L1", "v", np.ones((3, 2)), {"format": "image", **settings})
    else:
        tw.heatmap("L1", "w", np.ones((2, 3, 4)), settings)


@pytest.mark.parametrize("kind", ["raster", "raster events", "trace", "heatmap"])
@pytest.mark.parametrize("size", [(1000, 1000), (1e308, 1.0), (40.01, 40), (200_000, 0.01)])
def test_a_size_beyond_the_cap_is_a_value_error_before_any_pixel(
    tmp_path: Path, kind: str, size: tuple
) -> None:
    # (1000, 1000) inches used to ask for 74.5 GiB and raise MemoryError; (1e308, 1) an OverflowError.
    method = "raster" if kind.startswith("raster") else kind
    with TensorboardWriter(tmp_path) as tw:
        cap = r"expected .*at most 16,000,000 pixels"
        with pytest.raises(ValueError, match=rf"{method}\(settings\['size'\]=\.\.\.\): {cap}"):
            _draw(tw, kind, {"size": size})
        with pytest.raises(ValueError, match=rf"write\(size=\.\.\.\): {cap}"):
            tw.write({"w": np.ones((2, 3, 4))}, size=size)
    assert tags(tmp_path) == set()
    assert collect_events(tmp_path, type="summary").empty


def test_the_size_cap_is_40_by_40_inches() -> None:
    assert MAX_PIXELS == 16_000_000
    assert parse_settings({"size": (40, 40)}, Where("f")).size == (4000, 4000)
    assert parse_settings({"size": (160, 1)}, Where("f")).size == (16000, 100)
    with pytest.raises(ValueError, match=r"f\(settings\['size'\]=\.\.\.\)"):
        parse_settings({"size": (40, 40.01)}, Where("f"))


def test_write_passes_over_keys_the_file_lacks_and_its_attributes(tmp_path: Path) -> None:
    from neuroboard.neuro import DataAccumulator, HDFData

    with DataAccumulator(tmp_path / "data", "L1", component_class="LIFEnsemble") as acc:
        for _ in range(5):
            acc.append(v=np.arange(3.0))
    with TensorboardWriter(tmp_path / "tb") as tw:
        # Sapicore's plot_tensorboard asks every file for every key: one it lacks writes nothing.
        tw.write(HDFData(acc.path, key="weights"), "weights", kind="heatmap")
        tw.write(HDFData(acc.path), None, kind="trace", format="image")
        with pytest.raises(KeyError, match=r"no 'weights' in data"):
            tw.write(HDFData(acc.path), "weights", kind="heatmap")
    assert tags(tmp_path / "tb") == {"L1/N0/v", "L1/N1/v", "L1/N2/v"}


def test_raster_events_are_bars_in_their_colours(tmp_path: Path) -> None:
    spikes = np.zeros((10, 2), dtype=bool)
    with TensorboardWriter(tmp_path) as tw:
        tw.raster("L1", spikes, {"size": (0.1, 0.02), "events": [2, 7], "event_colors": ["red", (0, 0, 1)]})
        tw.raster("L2", spikes, {"size": (0.1, 0.02), "events": [5]})
        with pytest.raises(ValueError, match=r"settings\['event_colors'\]=.*one colour per event \(2\)"):
            tw.raster("L3", spikes, {"events": [2, 7], "event_colors": ["red"]})
        with pytest.raises(ValueError, match=r"settings\['event_colors'\]=.*not a colour"):
            tw.raster("L3", spikes, {"events": [2], "event_colors": ["no such colour"]})
    pixels = images(tmp_path, "L1/raster")[0][1]
    # Half-transparent over white, as Sapicore's axvline(alpha=0.5).
    assert pixels[:, 2].tolist() == [[255, 127, 127]] * 2 and pixels[:, 7].tolist() == [[127, 127, 255]] * 2
    assert (pixels[:, [0, 1, 3, 4, 5, 6, 8, 9]] == 255).all()
    # Without colours, matplotlib's first one (Sapicore raises: its default colour 0 is none).
    assert images(tmp_path, "L2/raster")[0][1][0, 5].tolist() == [143, 187, 217]


@pytest.mark.parametrize("kind", ["trace", "hparam"])
def test_a_sub_run_that_would_leave_the_logdir_is_refused_before_any_key_is_written(
    tmp_path: Path, kind: str
) -> None:
    shape = (3, 2) if kind == "trace" else (2,)
    data = {"identifier": "L1", "v": np.ones(shape), "a/../../x": np.ones(shape)}
    tw = TensorboardWriter(tmp_path / "logs")
    with pytest.raises(ValueError) as error:
        tw.write(data, ["v", "a/../../x"], kind=kind, format="scalar")
    assert str(error.value).startswith(
        "TensorboardWriter.write(data['a/../../x']=...): expected a relative name"
    )
    with pytest.raises(ValueError, match=re.escape(f"TensorboardWriter.{kind}(attr=...)")):
        getattr(tw, kind)("L1", "../../x", data["a/../../x"], {"format": "scalar"})
    tw.close()
    # No sub-run of the valid key either: the whole call was refused.
    assert [p.name for p in (tmp_path / "logs").iterdir() if p.is_dir()] == []
    assert not (tmp_path / "x").exists()
