"""DataAccumulator writes Sapicore's HDF5 layout, HDFData reads it back, the hook drives it from torch."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import neuroboard
from neuroboard.neuro.accumulator import DataAccumulator, DataAccumulatorHook, HDFData

# What Sapicore's DataAccumulatorHook puts at the root, besides the datasets.
ROOT = ["class", "identifier", "version"]

T, N = 23, 5


def _sapicore_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Write a file the way Sapicore's DataAccumulatorHook lays it out, with h5py directly.

    float32 datasets, lzf, identifier/class/version at the root and the configurables, as the
    repr strings Sapicore writes, in /configuration (tests/neuro/test_sapicore_side_by_side.py
    compares with a file Sapicore itself writes).
    """
    rng = np.random.default_rng(0)
    voltage = rng.normal(size=(T, N)).astype(np.float32)
    spiked = rng.random((T, N)) < 0.3
    with h5py.File(path, "w") as f:
        f.attrs["identifier"] = "L5"
        f.attrs["class"] = "LIFNeuron"
        f.attrs["version"] = "0.4.1"
        configuration = f.create_group("configuration").attrs
        configuration["tau_mem"] = "tensor([20., 20.])"
        configuration["cycle_length"] = "None"
        for name, data in {"voltage": voltage, "spiked": spiked.astype(np.float32)}.items():
            f.create_dataset(name, data=data, maxshape=(None, N), chunks=(4, N), compression="lzf")
    return voltage, spiked


def _rows(path: Path) -> dict[str, int]:
    with h5py.File(path, "r") as f:
        return {name: len(f[name]) for name in f}


# --- HDFData ------------------------------------------------------------------------------------------


def test_hdfdata_reads_sapicore_layout_value_for_value(tmp_path: Path) -> None:
    voltage, spiked = _sapicore_file(tmp_path / "L5.h5")
    data = HDFData(tmp_path / "L5.h5")
    # Read at construction, root attributes in the buffer, as Sapicore's HDFData.
    assert sorted(data.keys()) == sorted([*ROOT, "spiked", "voltage"])
    assert data["identifier"] == "L5" and data["class"] == "LIFNeuron" and data["version"] == "0.4.1"
    assert all(isinstance(data[name], str) for name in ROOT)
    buffer = data.read()
    assert buffer is data.buffer
    np.testing.assert_array_equal(data["voltage"], voltage)
    assert data["voltage"].dtype == np.float32
    np.testing.assert_array_equal(data["spiked"].astype(bool), spiked)
    assert data.identifier == "L5"
    assert data.configuration == {"tau_mem": "tensor([20., 20.])", "cycle_length": "None"}
    assert data.attrs["class"] == "LIFNeuron" and data.attrs["tau_mem"] == "tensor([20., 20.])"
    assert "voltage" in data and "current" not in data and data.missing == ()


def test_hdfdata_key_reads_one_dataset(tmp_path: Path) -> None:
    voltage, _ = _sapicore_file(tmp_path / "L5.h5")
    data = HDFData(str(tmp_path / "L5.h5"), key="voltage")
    assert list(data.read()) == ["identifier", "class", "voltage"]
    np.testing.assert_array_equal(data["voltage"], voltage)


def test_hdfdata_key_may_name_an_attribute_or_nothing(tmp_path: Path) -> None:
    _sapicore_file(tmp_path / "L5.h5")
    assert HDFData(tmp_path / "L5.h5", key="version").buffer == {
        "identifier": "L5",
        "class": "LIFNeuron",
        "version": "0.4.1",
    }
    assert HDFData(tmp_path / "L5.h5", key="tau_mem")["tau_mem"] == "tensor([20., 20.])"
    # A key the file lacks is no error, as in Sapicore (its plot_tensorboard asks every file).
    absent = HDFData(tmp_path / "L5.h5", key="weights")
    assert absent.missing == ("weights",) and list(absent) == ["identifier", "class"]


def test_hdfdata_nested_groups_and_group_key(tmp_path: Path) -> None:
    path = tmp_path / "net.h5"
    with h5py.File(path, "w") as f:
        f["top"] = np.arange(3)
        f["layer1/v"] = np.ones((2, 2))
        f["layer1/deep/w"] = np.zeros(4)
        f["layer2/v"] = np.full(2, 7.0)
    data = HDFData(path)
    assert sorted(data.keys()) == ["layer1/deep/w", "layer1/v", "layer2/v", "top"]
    np.testing.assert_array_equal(data["layer2/v"], [7.0, 7.0])
    assert data.identifier == "net"  # no identifier attribute: the file stem

    group = HDFData(path, key="layer1").read()
    assert sorted(group) == ["layer1/deep/w", "layer1/v"]
    assert list(HDFData(path, key="layer1/deep/w").read()) == ["layer1/deep/w"]


def test_hdfdata_buffer_kept_and_copied(tmp_path: Path) -> None:
    _sapicore_file(tmp_path / "L5.h5")
    initial = {"dt": 0.1, "seed": 4}
    assert HDFData(buffer=initial).identifier is None
    data = HDFData(tmp_path / "L5.h5", buffer=initial)
    assert data["dt"] == 0.1 and data.identifier == "L5"
    assert sorted(data.keys()) == sorted(["dt", "seed", *ROOT, "spiked", "voltage"])
    assert initial == {"dt": 0.1, "seed": 4}


def test_hdfdata_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape("HDFData(path=...)")):
        HDFData().read()
    missing = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        HDFData(missing).read()
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(ValueError, match=re.escape(f"HDFData(path=...): not an HDF5 file: {text}")):
        HDFData(text).read()
    _sapicore_file(tmp_path / "L5.h5")
    with h5py.File(tmp_path / "link.h5", "w") as f:
        f["v"] = h5py.SoftLink("/nowhere")
    with pytest.raises(KeyError, match=r"nowhere.*link.h5"):
        HDFData(tmp_path / "link.h5", key="v")


# --- DataAccumulator ----------------------------------------------------------------------------------


def test_accumulator_writes_sapicore_layout(tmp_path: Path) -> None:
    voltage, spiked = _sapicore_file(tmp_path / "reference.h5")
    out = tmp_path / "new" / "dir"
    configurables = {"tau_mem": np.float32(20.0), "thresh": np.array([-55.0, -50.0]), "learning": True}
    # 5 float32 per row and 100 bytes per chunk: 5 rows per chunk, so 23 steps write 4 full chunks and a rest.
    acc = DataAccumulator(
        out,
        "L5",
        ["voltage", "spiked"],
        component_class="LIFNeuron",
        configurables=configurables,
        chunk_bytes=100,
    )
    for step in range(T):
        acc.append(voltage=voltage[step], spiked=spiked[step])
    assert acc.steps == T
    acc.close()
    assert acc.path == out / "L5.h5"

    with h5py.File(acc.path, "r") as f:
        assert sorted(f.attrs) == ROOT
        assert f.attrs["identifier"] == "L5" and f.attrs["class"] == "LIFNeuron"
        assert f.attrs["version"] == neuroboard.__version__
        configuration = f["configuration"].attrs
        assert sorted(configuration) == ["learning", "tau_mem", "thresh"]
        assert configuration["tau_mem"] == np.float32(20.0)
        np.testing.assert_array_equal(configuration["thresh"], [-55.0, -50.0])
        assert sorted(f) == ["configuration", "spiked", "voltage"]
        for name in ("spiked", "voltage"):
            assert f[name].maxshape[0] is None and f[name].compression == "lzf"
            assert len(f[name]) == T
        assert f["voltage"].dtype == np.float32
        assert f["voltage"].chunks == (5, N)
        np.testing.assert_array_equal(f["voltage"][()], voltage)
        np.testing.assert_array_equal(f["spiked"][()].astype(bool), spiked)

    data = HDFData(acc.path)
    assert data.identifier == "L5" and data.attrs["class"] == "LIFNeuron" and data.attrs["learning"] is True
    np.testing.assert_array_equal(data["voltage"], voltage)


def test_final_flush_happens_on_close(tmp_path: Path) -> None:
    with DataAccumulator(tmp_path, "n", ["v"], chunk_bytes=4 * 8) as acc:
        for step in range(10):
            acc.append(v=np.full(2, step, np.float32))
        written = len(acc.series["v"].dataset)
        assert written < acc.steps == 10  # 4 rows per chunk: the last 2 are still in memory
    assert acc.closed
    np.testing.assert_array_equal(HDFData(acc.path).read()["v"][:, 0], np.arange(10))


def test_flush_writes_pending_rows(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "n", chunk_bytes=1 << 16)
    acc.append(v=1.0)
    assert len(acc.series["v"].dataset) == 0
    acc.flush()
    assert len(acc.series["v"].dataset) == 1
    acc.close()
    acc.close()


def test_rows_flushed_at_interpreter_exit_without_close(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import numpy as np
        from neuroboard.neuro.accumulator import DataAccumulator
        acc = DataAccumulator({str(tmp_path)!r}, "exit", ["v"], chunk_bytes=64)
        for step in range(37):
            acc.append(v=np.full(3, step, np.float32))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "PYTHONWARNINGS": "error"})
    v = HDFData(tmp_path / "exit.h5").read()["v"]
    assert v.shape == (37, 3)
    np.testing.assert_array_equal(v[:, 0], np.arange(37))


def test_rows_flushed_when_garbage_collected(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "gc", ["v"], chunk_bytes=64)
    for step in range(11):
        acc.append(v=np.full(3, step, np.float32))
    path = acc.path
    del acc
    gc.collect()
    v = HDFData(path).read()["v"]
    np.testing.assert_array_equal(v[:, 0], np.arange(11))


def test_memory_bounded_to_one_chunk(tmp_path: Path) -> None:
    with DataAccumulator(tmp_path, "big", ["v"], chunk_bytes=4096) as acc:
        row = np.zeros(1000, np.float32)
        for step in range(100):
            acc.append(v=row + step)
            dataset = acc.series["v"].dataset
            assert acc.steps - len(dataset) <= dataset.chunks[0]
        assert len(acc.series["v"]) == 100
    assert _rows(acc.path) == {"v": 100}


def test_names_fixed_by_first_append_without_attributes(tmp_path: Path) -> None:
    with DataAccumulator(tmp_path, "n") as acc:
        acc.append(a=1, b=2.0)
        with pytest.raises(ValueError, match=re.escape("append(c=...)")):
            acc.append(a=1, b=2.0, c=3.0)
        acc.log(type("State", (), {"a": 3, "b": 4.0})())
    data = HDFData(acc.path).read()
    assert data["a"].tolist() == [1, 3] and data["b"].tolist() == [2.0, 4.0]


def test_tensors_detached(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    with DataAccumulator(tmp_path, "t", ["w"]) as acc:
        w = torch.ones(3, requires_grad=True) * 2
        acc.append(w=w)
    np.testing.assert_array_equal(HDFData(acc.path).read()["w"], [[2.0, 2.0, 2.0]])


def test_for_component_defaults(tmp_path: Path) -> None:
    class SomaLayer:
        loggable_props = ("v",)
        configurable_props = ("tau", "gains")

        def __init__(self) -> None:
            self.tau, self.gains, self.v = 10.0, [1.0, 2.0], np.zeros(2)

    with DataAccumulator.for_component(SomaLayer(), tmp_path, chunk_bytes=64) as acc:
        acc.log(SomaLayer())
    assert acc.path == tmp_path / "somalayer.h5" and acc.attributes == ("v",)
    data = HDFData(acc.path)
    data.read()
    assert data.identifier == "somalayer" and data.attrs["class"] == "SomaLayer" and data.attrs["tau"] == 10.0
    np.testing.assert_array_equal(data.attrs["gains"], [1.0, 2.0])


# --- DataAccumulatorHook ------------------------------------------------------------------------------


def test_hook_logs_each_forward(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")

    class LIF(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.identifier = "lif0"
            self.loggable_props = ["voltage", "spiked"]
            self.configurable_props = ["tau", "thresh"]
            self.tau = 20.0
            self.thresh = torch.tensor([1.0, 1.5, 2.0])
            self.voltage = torch.zeros(3)
            self.spiked = torch.zeros(3, dtype=torch.bool)

        def forward(self, current: torch.Tensor) -> torch.Tensor:
            self.voltage = self.voltage + current
            self.spiked = self.voltage > self.thresh
            return self.spiked

    lif = LIF()
    hook = DataAccumulatorHook(lif, tmp_path)
    expected_v, expected_s = [], []
    for step in range(7):
        lif(torch.full((3,), 0.4))
        expected_v.append(lif.voltage.numpy().copy())
        expected_s.append(lif.spiked.numpy().copy())
    hook.remove()
    lif(torch.full((3,), 0.4))  # detached: logs nothing, and does not fail on the closed file

    data = HDFData(tmp_path / "lif0.h5")
    data.read()
    assert data["voltage"].shape == (7, 3)
    np.testing.assert_array_equal(data["voltage"], np.stack(expected_v))
    # Stored as float32, as Sapicore's hook stores every attribute.
    np.testing.assert_array_equal(data["spiked"], np.stack(expected_s))
    assert data["spiked"].dtype == np.float32 and data["voltage"].dtype == np.float32
    assert data.identifier == "lif0" and data.attrs["class"] == "LIF" and data.attrs["tau"] == 20.0
    np.testing.assert_allclose(data.attrs["thresh"], [1.0, 1.5, 2.0])
    hook.close()


def test_hook_as_context_manager_and_bad_component(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(2, 2)
    with DataAccumulatorHook(net, tmp_path, ["weight"]) as hook:
        net(torch.ones(2))
        net(torch.ones(2))
    assert hook.accumulator.closed
    assert HDFData(tmp_path / "linear.h5").read()["weight"].shape == (2, 2, 2)
    with pytest.raises(TypeError, match=re.escape("DataAccumulatorHook(component=...)")):
        DataAccumulatorHook(object(), tmp_path, ["v"])
    with pytest.raises(ValueError, match=re.escape("DataAccumulatorHook(attributes=...)")):
        DataAccumulatorHook(torch.nn.Identity(), tmp_path)
    assert not (tmp_path / "identity.h5").exists()


# --- bad input ----------------------------------------------------------------------------------------


def test_rejected_append_writes_nothing(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "bad", ["v", "s"], chunk_bytes=8)
    acc.append(v=np.zeros(3), s=1.0)
    acc.append(v=np.zeros(3), s=2.0)

    def counts() -> dict[str, int]:
        return {name: len(series) for name, series in acc.series.items()}

    before = counts()
    with pytest.raises(ValueError, match=re.escape("append(w=...)")):
        acc.append(v=np.zeros(3), s=1.0, w=1.0)
    with pytest.raises(ValueError, match="missing.*'s'"):
        acc.append(v=np.zeros(3))
    # The first value is valid: it must not be written when the second is rejected.
    with pytest.raises(ValueError) as shape_error:
        acc.append(s=3.0, v=np.zeros(4))
    assert str(shape_error.value) == (
        "DataAccumulator.append(v=...): expected shape (3,) as at the first step, got (4,)"
    )
    with pytest.raises(TypeError, match=re.escape("append(v=...)")):
        acc.append(s=3.0, v=np.array(["a", "b", "c"]))
    with pytest.raises(TypeError, match=re.escape("append(s=...)")):
        acc.append(v=np.zeros(3), s=[1.0, 2.0 + 1j])
    assert counts() == before and acc.steps == 2
    acc.close()
    assert _rows(acc.path) == {"s": 2, "v": 2}


def test_float_into_integer_dataset_rejected(tmp_path: Path) -> None:
    with DataAccumulator(tmp_path, "ints", ["n"]) as acc:
        acc.append(n=np.array([1, 2]))
        acc.append(n=np.array([True, False]))
        with pytest.raises(TypeError, match=re.escape("append(n=...)")):
            acc.append(n=np.array([0.5, 1.5]))
        assert acc.steps == 2


def test_append_after_close(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "closed", ["v"])
    acc.close()
    with pytest.raises(ValueError, match=r"DataAccumulator\.append\(\).*closed"):
        acc.append(v=1.0)
    with pytest.raises(ValueError, match="closed"):
        acc.log(type("S", (), {"v": 1.0})())


def test_log_missing_attribute(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "n", ["v"])
    with pytest.raises(AttributeError, match=re.escape("DataAccumulator.log(obj=...)") + ".*'v'"):
        acc.log(object())
    acc.close()


def test_constructor_errors(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=re.escape("configurables['delays']")):
        DataAccumulator(tmp_path, "c", configurables={"delays": {"a": 1}})
    with pytest.raises(TypeError, match=re.escape("configurables['w']")):
        DataAccumulator(tmp_path, "c", configurables={"w": np.zeros((2, 2))})
    # Configurables live in /configuration, so that a name such as "class" clashes with nothing.
    with pytest.raises(ValueError, match=re.escape("configurables['']")):
        DataAccumulator(tmp_path, "c", configurables={"": "x"})
    with pytest.raises(
        ValueError, match=re.escape("DataAccumulator(entries=...): expected the number of steps")
    ):
        DataAccumulator(tmp_path, "c", entries=0)
    with pytest.raises(TypeError, match=re.escape("DataAccumulator(dtype=...)")):
        DataAccumulator(tmp_path, "c", dtype="U3")
    with pytest.raises(ValueError, match=re.escape("DataAccumulator(compression=...)")):
        DataAccumulator(tmp_path, "c", compression="zstd")
    with pytest.raises(ValueError, match=re.escape("DataAccumulator(identifier=...)")):
        DataAccumulator(tmp_path, "a/b")
    with pytest.raises(ValueError, match=re.escape("DataAccumulator(attributes=...)")):
        DataAccumulator(tmp_path, "c", ["v", "v"])
    with pytest.raises(ValueError, match=re.escape("DataAccumulator(chunk_bytes=...)")):
        DataAccumulator(tmp_path, "c", chunk_bytes=0)
    assert not (tmp_path / "c.h5").exists()


# --- HDF5 files stay inside themselves ------------------------------------------------------------------

SECRET = b"TOKEN=hunter2\n"


def _secret_files(folder: Path) -> tuple[Path, Path]:
    """Write a readable local file holding a secret, and an HDF5 file holding it as /data."""
    secret = folder / "secret.txt"
    secret.write_bytes(SECRET)
    other = folder / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.frombuffer(SECRET, np.uint8)
    return secret, other


def _external(f: h5py.File, name: str, secret: Path) -> None:
    f.create_dataset(name, shape=(len(SECRET),), dtype=np.uint8, external=[(str(secret), 0, len(SECRET))])


def _vds(f: h5py.File, name: str, file_name: str, source: str) -> None:
    layout = h5py.VirtualLayout(shape=(len(SECRET),), dtype=np.uint8)
    layout[:] = h5py.VirtualSource(file_name, source, shape=(len(SECRET),))
    f.create_virtual_dataset(name, layout)


def hostile_file(folder: Path, case: str) -> tuple[Path, str]:
    """Write ``folder/<case>.h5``, an HDF5 file whose dataset ``leak`` reads data kept outside it.

    Returns the path and the name the refusal must give. Each file also holds an innocent ``ok``.
    """
    secret, other = _secret_files(folder)
    path = folder / f"{case}.h5"
    with h5py.File(path, "w") as f:
        f["ok"] = np.linspace(0.0, 1.0, 8)
        if case == "external_storage":
            _external(f, "leak", secret)
        elif case == "external_link":
            f["leak"] = h5py.ExternalLink(str(other), "/data")
        elif case == "external_link_to_group":
            f["leak"] = h5py.ExternalLink(str(other), "/")
        elif case == "virtual_from_other_file":
            _vds(f, "leak", str(other), "data")
        elif case == "virtual_from_external_storage":
            # The source is in this file, but keeps its bytes in the secret file.
            _external(f, "zz", secret)
            _vds(f, "leak", ".", "zz")
            return path, "zz"
        elif case == "soft_link_to_external_link":
            f["zz"] = h5py.ExternalLink(str(other), "/data")
            f["leak"] = h5py.SoftLink("/zz")
            return path, "zz"
        else:
            raise AssertionError(case)
    return path, "leak"


HOSTILE = [
    "external_storage",
    "external_link",
    "external_link_to_group",
    "virtual_from_other_file",
    "virtual_from_external_storage",
    "soft_link_to_external_link",
]


def _holds_secret(buffer: dict) -> bool:
    return any(
        isinstance(value, np.ndarray) and value.dtype == np.uint8 and SECRET in value.tobytes()
        for value in buffer.values()
    )


@pytest.mark.parametrize("case", HOSTILE)
@pytest.mark.parametrize("key", [None, "leak"])
def test_hdfdata_refuses_data_kept_outside_the_file(tmp_path: Path, case: str, key: str | None) -> None:
    path, name = hostile_file(tmp_path, case)
    with pytest.raises(ValueError) as error:
        HDFData(path, key=key)
    message = str(error.value)
    assert message.startswith("HDFData(path=...): expected an HDF5 file whose data stays inside it")
    assert repr(name) in message and str(path) in message and "allow_external=True" in message
    # Checked before anything is read: not even the innocent dataset came in.
    data = HDFData()
    data.path, data.key = str(path), key
    with pytest.raises(ValueError):
        data.read()
    assert data.buffer == {} and data.attrs == {}
    assert not _holds_secret(data.buffer)


@pytest.mark.parametrize("case", HOSTILE)
def test_hdfdata_reads_data_outside_the_file_when_allowed(tmp_path: Path, case: str) -> None:
    path, _ = hostile_file(tmp_path, case)
    data = HDFData(path, allow_external=True).read()
    assert _holds_secret(data)
    assert data["ok"].tolist() == np.linspace(0.0, 1.0, 8).tolist()


def test_hdfdata_reads_virtual_datasets_and_soft_links_inside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "inside.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.frombuffer(SECRET, np.uint8)
        _vds(f, "view", ".", "data")
        f["alias"] = h5py.SoftLink("/data")
    assert sorted(HDFData(path).read()) == ["data", "view"]
    assert HDFData(path, key="view").read()["view"].tobytes() == SECRET
    assert HDFData(path, key="alias").read()["alias"].tobytes() == SECRET


def test_hdfdata_refuses_a_file_that_declares_more_than_max_bytes(tmp_path: Path) -> None:
    path = tmp_path / "huge.h5"
    with h5py.File(path, "w") as f:
        # 2 GB declared, nothing stored: only the fill value exists.
        f.create_dataset("v", shape=(500_000_000,), dtype=np.float32, chunks=(1 << 20,), fillvalue=0.5)
    assert path.stat().st_size < 10_000
    with pytest.raises(ValueError) as error:
        HDFData(path, max_bytes=1 << 30)
    message = str(error.value)
    assert message.startswith("HDFData(max_bytes=...): expected datasets of at most 1073741824 bytes")
    assert "2000000000 bytes" in message and "'v'" in message and str(path) in message


def test_hdfdata_reads_in_bounded_slabs(tmp_path: Path) -> None:
    from neuroboard.neuro.h5series import read_bounded

    rng = np.random.default_rng(3)
    path = tmp_path / "slabs.h5"
    with h5py.File(path, "w") as f:
        layouts = [((37,), None), ((37,), (5,)), ((9, 7), (2, 3)), ((4, 5, 6), None), ((3, 1, 8), (1, 1, 3))]
        for i, (shape, chunks) in enumerate([*layouts, ((0, 4), None)]):
            f.create_dataset(f"d{i}", data=rng.normal(size=shape), chunks=chunks)
        for name, dataset in f.items():
            for limit in (1, 8, 24, 100, 1 << 20):
                assert np.array_equal(read_bounded(dataset, limit), dataset[()]), (name, limit)
        f.create_dataset("empty", data=h5py.Empty("f4"))
        f["text"] = ["a", "bb"]
    data = HDFData(path, max_bytes=10_000).read()
    assert sorted(data) == ["d0", "d1", "d2", "d3", "d4", "d5", "empty", "text"]
    assert data["text"].tolist() == [b"a", b"bb"]


def test_hdfdata_reading_costs_the_result_and_one_slab(tmp_path: Path) -> None:
    from neuroboard.neuro.h5series import READ_BYTES

    path = tmp_path / "filled.h5"
    declared = 64 << 20
    with h5py.File(path, "w") as f:
        f.create_dataset("v", shape=(declared // 4,), dtype=np.float32, chunks=(1 << 16,), fillvalue=0.5)
    script = textwrap.dedent(
        f"""
        import resource
        from neuroboard.neuro import HDFData
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        v = HDFData({str(path)!r}).read()["v"]
        assert v.shape == ({declared // 4},) and float(v[-1]) == 0.5
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < declared + 2 * READ_BYTES


def test_hdfdata_argument_errors_name_the_argument(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=re.escape("HDFData(path=...): expected a path (str or os.PathLike)")):
        HDFData(123)
    with pytest.raises(ValueError, match=re.escape("HDFData(path=...)")):
        HDFData("a\0b.h5")
    with pytest.raises(TypeError, match=re.escape("HDFData(key=...)")):
        HDFData(tmp_path / "a.h5", key=5)
    with pytest.raises(TypeError, match=re.escape("HDFData(buffer=...)")):
        HDFData(buffer=[1, 2])
    with pytest.raises(TypeError, match=re.escape("HDFData(allow_external=...)")):
        HDFData(tmp_path / "a.h5", allow_external="yes")
    with pytest.raises(ValueError, match=re.escape("HDFData(max_bytes=...)")):
        HDFData(tmp_path / "a.h5", max_bytes=0)
    assert os.listdir(tmp_path) == []


RUN = "{tmp}/run"


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "named"),
    [
        ((123, "n"), {}, TypeError, "DataAccumulator(directory=...)"),
        (("{tmp}/a\0b", "n"), {}, ValueError, "DataAccumulator(directory=...)"),
        ((RUN, "a\0b"), {}, ValueError, "DataAccumulator(identifier=...)"),
        ((RUN, "bad\ud800"), {}, ValueError, "DataAccumulator(identifier=...)"),
        ((RUN, "/abs"), {}, ValueError, "DataAccumulator(identifier=...)"),
        ((RUN, 5), {}, TypeError, "DataAccumulator(identifier=...)"),
        ((RUN, "n", ["."]), {}, ValueError, "DataAccumulator(attributes=...)"),
        ((RUN, "n", [".."]), {}, ValueError, "DataAccumulator(attributes=...)"),
        ((RUN, "n", ["a\0b"]), {}, ValueError, "DataAccumulator(attributes=...)"),
        ((RUN, "n", ["bad\ud800"]), {}, ValueError, "DataAccumulator(attributes=...)"),
        ((RUN, "n"), {"configurables": {"bad\ud800": 1}}, ValueError, "DataAccumulator(configurables=...)"),
        ((RUN, "n"), {"configurables": {"k": "bad\ud800"}}, ValueError, "configurables['k']=..."),
        ((RUN, "n"), {"component_class": "bad\ud800"}, ValueError, "DataAccumulator(component_class=...)"),
    ],
)
def test_accumulator_names_that_become_files_stay_inside(
    tmp_path: Path, args: tuple, kwargs: dict, error: type, named: str
) -> None:
    args = tuple(arg.format(tmp=tmp_path) if isinstance(arg, str) else arg for arg in args)
    with pytest.raises(error, match=re.escape(named)):
        DataAccumulator(*args, **kwargs)
    assert os.listdir(tmp_path) == []


def test_accumulator_first_append_names_are_checked(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "n")
    for name in (".", "..", "a\0b"):
        with pytest.raises(ValueError, match=re.escape(f"DataAccumulator.append({name}=...)")):
            acc.append(**{name: 1.0})
    acc.append(v=1.0)
    acc.close()
    assert HDFData(acc.path)["v"].tolist() == [1.0]


def test_hook_log_dir_is_checked(tmp_path: Path) -> None:
    import types

    module = types.SimpleNamespace(register_forward_hook=lambda f: None, v=1.0)
    with pytest.raises(TypeError, match=re.escape("DataAccumulatorHook(log_dir=...)")):
        DataAccumulatorHook(module, 123, ["v"])
    with pytest.raises(ValueError, match=re.escape("DataAccumulatorHook(log_dir=...)")):
        DataAccumulatorHook(module, "a\0b", ["v"])
    module.identifier = "../up"
    with pytest.raises(ValueError, match=re.escape("DataAccumulator(identifier=...)")):
        DataAccumulatorHook(module, tmp_path, ["v"])
    assert os.listdir(tmp_path) == []


def test_entries_writes_the_file_out_and_releases_it(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "run", ["v"], entries=3, dtype="float32")
    for step in range(3):
        acc.append(v=np.full(2, step, np.float64))
    # Complete without a close, and open to another process (HDF5 locks a file open for writing).
    script = f"import h5py; print(h5py.File({str(acc.path)!r}, 'r')['v'][()].sum())"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == 6.0
    # Steps past the expected number are still logged, each written at once.
    acc.append(v=np.full(2, 3.0))
    data = HDFData(acc.path)
    assert data["v"].dtype == np.float32 and data["v"][:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert len(acc.series["v"]) == 4 and not acc.closed
    # The view opened the file again: flush() releases it for the other process once more.
    acc.flush()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == 12.0
    acc.close()
    assert acc.closed


def test_a_new_empty_value_is_refused_before_any_row_is_kept(tmp_path: Path) -> None:
    acc = DataAccumulator(tmp_path, "empty")
    with pytest.raises(ValueError) as error:
        acc.append(a=1.0, b=np.zeros(0))
    assert str(error.value) == "DataAccumulator.append(b=...): expected a non-empty value, got shape (0,)"
    # Nothing of the refused step is kept: the next step may declare the names afresh.
    acc.append(a=2.0, b=np.zeros(1))
    acc.append(a=3.0, b=np.ones(1))
    assert acc.steps == 2 and {name: len(series) for name, series in acc.series.items()} == {"a": 2, "b": 2}
    acc.close()
    assert HDFData(acc.path, "a")["a"].tolist() == [2.0, 3.0]


def test_hook_reads_the_forward_dict_then_the_attributes(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")

    class Soma(torch.nn.Module):
        identifier = "soma"

        def __init__(self, returns_dict: bool) -> None:
            super().__init__()
            self.returns_dict = returns_dict
            self.v = torch.zeros(2)
            self.u = torch.ones(2)

        def forward(self, x: torch.Tensor) -> Any:
            self.u = self.u + 1
            return {"v": x} if self.returns_dict else x

    for returns_dict, expected in ((True, [5.0, 5.0]), (False, [0.0, 0.0])):
        soma = Soma(returns_dict)
        # Positional, as Sapicore's Network.add_data_hook passes them; dtype=None keeps the values' own.
        with DataAccumulatorHook(soma, tmp_path / str(returns_dict), ["v", "u"], 1, dtype=None) as hook:
            soma(torch.full((2,), 5.0))
        data = HDFData(hook.accumulator.path)
        assert data["v"].tolist() == [expected] and data["u"].tolist() == [[2.0, 2.0]]
    with pytest.raises(ValueError, match=re.escape("DataAccumulatorHook(entries=...)")):
        DataAccumulatorHook(Soma(True), tmp_path / "bad", ["v"], 0)
    assert not (tmp_path / "bad").exists()
