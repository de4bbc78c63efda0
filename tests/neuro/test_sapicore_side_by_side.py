"""Sapicore 0.4.1 and neuroboard side by side: the same network, files and settings through both.

Sapicore's own DataAccumulatorHook, HDFData, TensorboardWriter and plot_tensorboard run beside
ours (ours are swapped into Sapicore's modules where its code looks them up, as a user's
import would), into sibling folders; HDF5 files are compared dataset by dataset, event
files through TensorBoard's EventMultiplexer.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import sapicore.engine.network as sapicore_network
import sapicore.utils.io as sapicore_io
import torch
from sapicore.engine.ensemble.spiking import LIFEnsemble
from sapicore.engine.network import Network
from sapicore.engine.synapse import Synapse
from sapicore.utils.io import DataAccumulatorHook as SapicoreHook
from sapicore.utils.tensorboard import HDFData as SapicoreHDFData
from sapicore.utils.tensorboard import TensorboardWriter as SapicoreWriter

import neuroboard
from neuroboard.neuro import DataAccumulatorHook, HDFData, TensorboardWriter
from tests.tb import multiplexer

STEPS = 210  # three heatmap frames at Sapicore's default step of 100

# Sapicore's writer leaves its matplotlib figures open and its hook creates datasets without a dtype.
pytestmark = pytest.mark.filterwarnings(
    "ignore:More than 20 figures:RuntimeWarning", "ignore:Creating a dataset without passing data or dtype"
)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _datasets(path: Path) -> dict[str, h5py.Dataset]:
    file = h5py.File(path, "r")
    return {name: item for name, item in file.items() if isinstance(item, h5py.Dataset)}


def _describe(path: Path) -> dict[str, Any]:
    """Return everything of an HDF5 file but the values: attributes, groups, each dataset's layout."""
    with h5py.File(path, "r") as file:
        return {
            "root": sorted(file.attrs),
            "groups": {
                name: sorted(item.attrs) for name, item in file.items() if isinstance(item, h5py.Group)
            },
            "datasets": {
                name: (item.dtype, item.shape, item.maxshape, item.compression, sorted(item.attrs))
                for name, item in file.items()
                if isinstance(item, h5py.Dataset)
            },
        }


def _events(logdir: Path) -> dict[str, dict[str, Any]]:
    """Return, per run: scalar tags with (step, value) points, image tags with (step, width, height)."""
    mux = multiplexer(logdir)
    found: dict[str, dict[str, Any]] = {}
    for run, tags in mux.Runs().items():
        scalars = {tag: [(e.step, e.value) for e in mux.Scalars(run, tag)] for tag in tags["scalars"]}
        images = {tag: [(e.step, e.width, e.height) for e in mux.Images(run, tag)] for tag in tags["images"]}
        tensors = set(tags["tensors"])
        if scalars or images or tensors:
            found[run] = {"scalars": scalars, "images": images, "tensors": tensors}
    return found


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """One network run once, logged by Sapicore's hooks and by ours (through Network.add_data_hook)."""
    root = tmp_path_factory.mktemp("side_by_side")
    torch.manual_seed(0)
    net = Network(identifier="net")
    first, second = LIFEnsemble(identifier="L1", num_units=3), LIFEnsemble(identifier="L2", num_units=2)
    net.add_ensembles(first, second)
    synapse = Synapse(identifier="S", src_ensemble=first, dst_ensemble=second)
    net.add_synapses(synapse)
    net.add_data_hook(str(root / "sapicore"), STEPS)
    patch = pytest.MonkeyPatch()
    # Network.add_data_hook builds whatever DataAccumulatorHook names in its module: ours, here.
    patch.setattr(sapicore_network, "DataAccumulatorHook", DataAccumulatorHook)
    ours = net.add_data_hook(str(root / "ours"), STEPS)
    patch.undo()
    assert all(isinstance(hook, DataAccumulatorHook) for hook in ours)
    for _ in range(STEPS):
        net(torch.rand(3) * 400)
    # No close: after `entries` steps the files are whole, as Sapicore's are.
    return root / "sapicore", root / "ours", {"L1": first, "L2": second, "S": synapse}


def test_the_hook_takes_sapicores_four_arguments() -> None:
    theirs = list(inspect.signature(SapicoreHook).parameters)
    ours = inspect.signature(DataAccumulatorHook).parameters
    assert list(ours)[:4] == theirs == ["component", "log_dir", "attributes", "entries"]
    assert all(ours[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for name in theirs)


def test_the_files_are_laid_out_as_sapicores(recorded) -> None:
    theirs, ours, _ = recorded
    assert sorted(os.listdir(ours)) == sorted(os.listdir(theirs)) == ["L1.h5", "L2.h5", "S.h5"]
    for name in os.listdir(theirs):
        layout = _describe(theirs / name)
        assert _describe(ours / name) == layout
        assert layout["root"] == ["class", "identifier", "version"] and "configuration" in layout["groups"]
        assert {dtype for dtype, *_ in layout["datasets"].values()} == {np.dtype(np.float32)}
        assert {compression for *_, compression, _ in layout["datasets"].values()} == {"lzf"}


def test_the_files_hold_the_same_values(recorded) -> None:
    theirs, ours, components = recorded
    for name in os.listdir(theirs):
        with h5py.File(theirs / name, "r") as left, h5py.File(ours / name, "r") as right:
            for key in ("identifier", "class"):
                assert right.attrs[key] == left.attrs[key]
            assert left.attrs["version"] == "0.4.1" and right.attrs["version"] == neuroboard.__version__
            for key, dataset in left.items():
                if isinstance(dataset, h5py.Dataset):
                    np.testing.assert_array_equal(right[key][()], dataset[()], err_msg=f"{name}:{key}")
            component = components[name.removesuffix(".h5")]
            configuration = right["configuration"].attrs
            # Sapicore keeps each configurable as its repr; we keep the value when HDF5 can hold it.
            for key, text in left["configuration"].attrs.items():
                value = getattr(component, key)
                assert text == repr(value)
                if isinstance(configuration[key], str):
                    assert configuration[key] == text
                else:
                    np.testing.assert_array_equal(configuration[key], np.asarray(value))
    with h5py.File(ours / "L1.h5", "r") as file:
        assert file["spiked"][()].any(), "the network should spike in this comparison"


def test_hdfdata_reads_what_sapicores_reads(recorded) -> None:
    theirs, ours, _ = recorded
    for name in os.listdir(theirs):
        keys = ["identifier", "class", "version", "nothing", *_datasets(theirs / name)]
        for key in keys:
            left = SapicoreHDFData(str(theirs / name), key=key).buffer
            for path in (theirs / name, ours / name):
                right = HDFData(path, key=key).buffer
                assert list(right) == list(left), (name, key)
                for k, value in left.items():
                    if path == ours / name and k == "version":
                        continue
                    np.testing.assert_array_equal(right[k], value)
                    assert type(_plain(right[k])) is type(_plain(value)) or isinstance(value, np.ndarray)
        # Sapicore's reader of a whole file of its own raises on the /configuration group; ours reads it.
        with pytest.raises(TypeError):
            SapicoreHDFData(str(theirs / name))
        whole = HDFData(theirs / name)
        assert set(whole) == {"identifier", "class", "version", *_datasets(theirs / name)}
        assert whole.configuration == dict(h5py.File(theirs / name, "r")["configuration"].attrs)


def test_hdfdata_of_a_whole_file_reads_what_sapicores_reads(recorded, tmp_path: Path) -> None:
    theirs, _, _ = recorded
    # A file of Sapicore's without its /configuration group is one Sapicore's reader reads whole.
    path = tmp_path / "L1.h5"
    path.write_bytes((theirs / "L1.h5").read_bytes())
    with h5py.File(path, "a") as file:
        del file["configuration"]
    left, right = SapicoreHDFData(str(path)).buffer, HDFData(path).buffer
    assert list(right) == list(left)
    for key, value in left.items():
        np.testing.assert_array_equal(right[key], value)
        assert type(_plain(right[key])) is type(_plain(value)), key


class _Kept:
    """Keeps the writers plot_tensorboard makes, so that the test can close them (it never does)."""

    def __init__(self) -> None:
        self.made: list[Any] = []

    def wrap(self, cls: type) -> type:
        kept = self

        class Kept(cls):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                kept.made.append(self)

        return Kept


TASKS = [
    {"spiked": {"kind": "raster"}},
    {"voltage": {"kind": "trace", "format": "scalar"}},
    {"input": {"kind": "trace"}},
    {"weights": {"kind": "heatmap"}},
]


def test_plot_tensorboard_writes_the_same_runs_tags_steps_and_values(recorded, tmp_path: Path) -> None:
    theirs, ours, _ = recorded
    configuration = {"simulation": {"tensorboard": TASKS}}
    kept = _Kept()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sapicore_io, "TensorboardWriter", kept.wrap(SapicoreWriter))
        sapicore_io.plot_tensorboard(configuration, str(theirs), str(tmp_path / "sapicore"))
        # The same function with our reader and writer in its module, as a user's import swaps them.
        patch.setattr(sapicore_io, "TensorboardWriter", kept.wrap(TensorboardWriter))
        patch.setattr(sapicore_io, "HDFData", HDFData)
        sapicore_io.plot_tensorboard(configuration, str(ours), str(tmp_path / "ours"))
    for writer in kept.made:
        writer.writer.close() if isinstance(writer, SapicoreWriter) else writer.close()

    left, right = _events(tmp_path / "sapicore"), _events(tmp_path / "ours")
    assert sorted(right) == sorted(left)
    assert {run for run in left if run != "."} == {
        f"L{i}_N{j}_voltage" for i, n in ((1, 3), (2, 2)) for j in range(n)
    }
    for run, found in left.items():
        assert right[run]["scalars"] == found["scalars"], run
        assert right[run]["tensors"] == found["tensors"] == set()
        assert sorted(right[run]["images"]) == sorted(found["images"])
        for tag, images in found["images"].items():
            if tag == "S/weights":
                # A heatmap is one pixel per weight here, Sapicore's a 15 × 10 inch figure: same steps.
                assert [step for step, *_ in right[run]["images"][tag]] == [step for step, *_ in images]
                assert [step for step, *_ in images] == [0, 100, 200]
                assert {(width, height) for _, width, height in right[run]["images"][tag]} == {(3 + 8, 2)}
            else:
                assert right[run]["images"][tag] == images, tag
    main = left["."]["images"]
    assert {"L1/raster", "L2/raster", "S/weights"} <= set(main)
    assert {"L1/N0/input", "L1/N2/input", "L2/N1/input"} <= set(main)
    assert main["L1/raster"] == [(0, 1500, 1000)] and main["L1/N0/input"] == [(0, 1000, 500)]


def test_the_writers_agree_on_settings_and_hparam_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    buffer = {
        "identifier": "L1",
        "spiked": (rng.random((40, 4)) < 0.3).astype(np.float32),
        "tau": np.array([5.0, 6.0, 7.0], np.float32),
    }
    calls = [
        ("spiked", {"kind": "raster", "line_size": 0.5, "size": (4, 3)}),
        ("tau", {"kind": "hparam", "format": "scalar"}),
    ]
    sapicore = SapicoreWriter(str(tmp_path / "sapicore"))
    for key, settings in calls:
        sapicore.write(SapicoreHDFData(buffer=dict(buffer)), key, **settings)
    sapicore.writer.close()
    with TensorboardWriter(tmp_path / "ours") as tw:
        for key, settings in calls:
            tw.write(HDFData(buffer=dict(buffer)), key, **settings)
    left, right = _events(tmp_path / "sapicore"), _events(tmp_path / "ours")
    assert sorted(right) == sorted(left) == [".", "L1_N0_tau", "L1_N1_tau", "L1_N2_tau"]
    assert left["."]["images"] == right["."]["images"] == {"L1/raster": [(0, 400, 300)]}
    for i, value in enumerate([5.0, 6.0, 7.0]):
        assert (
            left[f"L1_N{i}_tau"]["scalars"] == right[f"L1_N{i}_tau"]["scalars"] == {f"L1/N{i}": [(0, value)]}
        )


def test_write_without_kind_is_inferred_where_sapicore_writes_nothing(tmp_path: Path) -> None:
    buffer = {"identifier": "L1", "voltage": np.linspace(0.0, 1.0, 20, dtype=np.float32)}
    sapicore = SapicoreWriter(str(tmp_path / "sapicore"))
    sapicore.write(SapicoreHDFData(buffer=dict(buffer)), "voltage", format="scalar")
    sapicore.writer.close()
    with TensorboardWriter(tmp_path / "ours") as tw:
        tw.write(HDFData(buffer=dict(buffer)), "voltage", format="scalar")
    assert _events(tmp_path / "sapicore") == {}
    assert list(_events(tmp_path / "ours")["."]["scalars"]) == ["L1/voltage"]


def test_a_whole_sapicore_file_writes_no_identifier_or_none_tags(recorded, tmp_path: Path) -> None:
    theirs, _, _ = recorded
    with TensorboardWriter(tmp_path) as tw:
        tw.write(HDFData(theirs / "L1.h5"), step=1000)
    found = _events(tmp_path)
    tags = {tag for run in found.values() for kind in ("scalars", "images") for tag in run[kind]}
    assert all(tag.startswith("L1/") for tag in tags), tags
    assert {"L1/raster", "L1/N0/voltage", "L1/N0/input"} <= tags
    assert not {tag for tag in tags if "identifier" in tag or "None" in tag or "version" in tag}


class DictOnly(torch.nn.Module):
    """A component whose forward returns its state in a dict and leaves its attribute as it was."""

    identifier = "dict_only"
    loggable_props = ("x",)

    def __init__(self) -> None:
        super().__init__()
        self.x = torch.zeros(1)

    def forward(self, data: torch.Tensor) -> dict:
        return {"x": data * 2}


def test_the_hook_logs_what_the_forward_returns(tmp_path: Path) -> None:
    component = DictOnly()
    theirs = SapicoreHook(component, str(tmp_path / "sapicore") + "/", ["x"], 3)
    ours = DataAccumulatorHook(component, str(tmp_path / "ours") + "/", ["x"], 3)
    assert ours.hdf_file_path == f"{tmp_path}/ours/dict_only.h5"
    assert theirs.hdf_file_path == f"{tmp_path}/sapicore/dict_only.h5"
    assert ours.log_dir == f"{tmp_path}/ours/" and theirs.log_dir == f"{tmp_path}/sapicore/"
    assert ours.attributes == theirs.attributes == ["x"] and ours.entries == theirs.entries == 3
    defaults = DataAccumulatorHook(component, tmp_path / "defaults", None, 3)
    assert defaults.attributes is component.loggable_props
    assert ours.component is theirs.component is component
    for value in (1.0, 2.0, 3.0):
        component(torch.tensor([value]))
    for folder in ("sapicore", "ours"):
        with h5py.File(tmp_path / folder / "dict_only.h5", "r") as file:
            assert file["x"][()].ravel().tolist() == [2.0, 4.0, 6.0], folder
