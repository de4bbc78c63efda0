"""The Observer: rectipy's calls and shapes, at array speed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroboard.neuro import Observer


def _run(obs: Observer, steps: int = 10, n: int = 5) -> np.ndarray:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(steps, n)).astype(np.float32)
    for step in range(steps):
        obs.record(step, output=float(v[step].mean()), loss=0.0, record_vars=[v[step]])
    return v


def _nothing_kept(obs: Observer) -> bool:
    """Whether no step was kept: every key rectipy lists (``recorded_variables``) is empty."""
    return all(len(obs[key]) == 0 for key in obs.recorded_variables)


def test_rectipy_walkthrough_shapes() -> None:
    obs = Observer(1e-3, record_output=True, record_loss=False, record_vars=[("qif", "v", False)])
    v = _run(obs)
    assert obs.recorded_rnn_variables == [("qif", "v")]
    assert obs.to_numpy(("qif", "v")).shape == (10, 5)
    np.testing.assert_array_equal(obs.to_numpy(("qif", "v")), v)
    assert len(obs["out"]) == 10 and obs.to_numpy("out").shape == (10,)
    frame = obs.to_dataframe(("qif", "v"))
    assert frame.shape == (10, 5)
    assert frame.index.tolist() == [step * 1e-3 for step in range(10)]
    with pytest.raises(KeyError, match="loss"):
        obs.to_numpy("loss")


def test_sampling_steps_halves_the_recording() -> None:
    every = Observer(0.1, record_vars=[("qif", "v", True)])
    second = Observer(0.1, record_vars=[("qif", "v", True)], sampling_steps=2)
    v = _run(every)
    _run(second)
    assert len(second[("qif", "v")]) == len(every[("qif", "v")]) // 2
    np.testing.assert_allclose(second.to_numpy(("qif", "v")), v[::2].mean(axis=1), rtol=1e-6)
    assert second.times(("qif", "v")).tolist() == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])


@pytest.mark.parametrize(("reduce", "expect"), [("sum", np.sum), ("std", np.std), (np.max, np.max)])
def test_reducers_and_indices(reduce, expect) -> None:
    obs = Observer(1.0, record_vars=[("n", "v", reduce, [0, 2])])
    v = _run(obs)
    np.testing.assert_allclose(obs.to_numpy(("n", "v")), expect(v[:, [0, 2]], axis=1), rtol=1e-6)


def test_torch_tensors_are_detached_copies() -> None:
    torch = pytest.importorskip("torch")
    obs = Observer(1.0, record_vars=[("n", "v", False)])
    x = torch.zeros(3, requires_grad=True)
    y = x * 2
    obs.record(0, output=y.sum(), record_vars=[y])
    with torch.no_grad():
        x.add_(1)
    assert obs.to_numpy(("n", "v")).tolist() == [[0.0, 0.0, 0.0]]


def test_growth_keeps_every_step() -> None:
    obs = Observer(1.0, record_vars=[("n", "v", False)])
    for step in range(5000):
        obs.record(step, record_vars=[np.full(2, step, np.float32)])
    values = obs.to_numpy(("n", "v"))
    assert values.shape == (5000, 2) and values[:, 0].tolist() == list(range(5000))


def test_save_reset_and_recordings() -> None:
    obs = Observer(1.0, record_vars=[("n", "v", True)])
    _run(obs, steps=3)
    obs.save("weights", np.eye(2))
    assert set(obs.recordings.columns) == {"out", "loss", ("n", "v")}
    assert obs["weights"].shape == (2, 2)
    obs.reset()
    assert _nothing_kept(obs)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"record_vars": [("n", "v")]}, TypeError, "record_vars\\[0\\]"),
        ({"record_vars": [("n", "v", "median")]}, ValueError, "record_vars\\[0\\]"),
        ({"dt": 0}, ValueError, "dt"),
        ({"sampling_steps": 0}, ValueError, "sampling_steps"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, name) -> None:
    with pytest.raises(error, match=name):
        Observer(**{"dt": 1.0, **kwargs})


def test_a_shape_change_between_steps_is_refused() -> None:
    obs = Observer(1.0, record_vars=[("n", "v", False)])
    obs.record(0, record_vars=[np.zeros(3)])
    with pytest.raises(ValueError, match="n/v"):
        obs.record(1, record_vars=[np.zeros(4)])


def test_plot_against_time_and_another_key() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    obs = Observer(1.0, record_vars=[("n", "v", True)])
    _run(obs)
    ax = obs.plot(("n", "v"))
    obs.plot(y=("n", "v"), x="out", ax=ax)
    assert len(ax.lines) == 2


def test_spikes_are_kept_at_every_step_whatever_the_sampling() -> None:
    obs = Observer(0.5, record_vars=[("lif", "v", True)], sampling_steps=4, record_spikes=[("lif", "spikes")])
    fired = np.zeros((20, 3), bool)
    fired[[1, 2, 7, 7, 13], [0, 2, 1, 2, 0]] = True
    for step in range(20):
        obs.record(step, record_vars=[np.zeros(3)], record_spikes=[fired[step]])
    steps, neurons = obs.spikes("lif", "spikes")
    assert list(zip(steps.tolist(), neurons.tolist())) == [(1, 0), (2, 2), (7, 1), (7, 2), (13, 0)]
    assert len(obs[("lif", "v")]) == 5


def test_population_rate_binned_and_smoothed() -> None:
    obs = Observer(0.001, record_output=False, record_loss=False, record_spikes=[("p", "s")])
    for step in range(1000):
        obs.record(step, record_spikes=[np.arange(10) < (5 if step % 2 else 0)])
    rate = obs.population_rate("p", "s")
    # Every other step half of 10 neurons fire: 250 spikes per neuron per second on average.
    assert rate.mean() == pytest.approx(250.0)
    binned = obs.population_rate("p", "s", bin=0.01)
    assert len(binned) == 100 and np.allclose(binned, 250.0)
    assert binned.index[1] == pytest.approx(0.01)
    # Cut at 2 sd (Brian2's kernel) the Gaussian lets 1 % of the alternation through; at 4 sd, 0.1 %.
    smooth = obs.population_rate("p", "s", smooth=("gaussian", 0.005))
    assert np.allclose(smooth[50:-50], 250.0, rtol=1e-2)
    wide = obs.population_rate("p", "s", smooth=("gaussian", 0.005, 4))
    assert np.allclose(wide[50:-50], 250.0, rtol=1e-3)
    flat = obs.population_rate("p", "s", smooth=("flat", 0.002))
    # 2 ms is 2 steps, taken as 3 (odd, as Brian2 takes it): 2 or 1 of 3 steps fire.
    assert np.allclose(flat[10:-10:2], 1000 / 3) and np.allclose(flat[11:-10:2], 500 / 3)


def test_spike_input_errors_name_the_argument() -> None:
    with pytest.raises(TypeError, match="record_spikes\\[0\\]"):
        Observer(1.0, record_spikes=["spikes"])
    obs = Observer(1.0, record_spikes=[("p", "s")])
    with pytest.raises(ValueError, match="record_spikes"):
        obs.record(0, record_spikes=[np.zeros((2, 2))])
    obs.record(0, record_spikes=[np.zeros(3, bool)])
    with pytest.raises(ValueError, match="smooth"):
        obs.population_rate("p", "s", smooth=("box", 1.0))
    with pytest.raises(KeyError):
        obs.population_rate("q", "s")


def test_spike_counts_sum_every_window_so_no_spike_is_lost() -> None:
    rng = np.random.default_rng(5)
    fired = rng.random((100, 7)) < 0.3
    obs = Observer(0.5, sampling_steps=3, record_vars=[("lif", "v", False)], record_spikes=[("lif", "s")])
    for step in range(100):
        obs.record(step, record_vars=[np.zeros(7)], record_spikes=[fired[step]])
    counts = obs.spike_counts("lif", "s")
    expected = np.add.reduceat(fired.astype(np.int64), np.arange(0, 100, 3), axis=0)
    np.testing.assert_array_equal(counts.to_numpy(), expected)
    assert counts.to_numpy().sum() == fired.sum()
    np.testing.assert_allclose(counts.index, obs.times(("lif", "v")))


# -- what record() and the constructor take ---------------------------------------


@pytest.mark.parametrize(
    ("step", "error", "expected"),
    [
        ("a", TypeError, "an integer step, got str"),
        (1.5, TypeError, "an integer step, got float"),
        (True, TypeError, "an integer step, got bool"),
        (2**63, ValueError, "a step within int64"),
        (np.uint64(2**63), ValueError, "a step within int64"),
    ],
)
@pytest.mark.parametrize("indices", [False, True])
def test_the_step_is_checked_and_named_before_anything_is_recorded(
    step: object, error: type, expected: str, indices: bool
) -> None:
    # With neuron indices the first calls take the checked path; without, the fast one: both refuse.
    entry = ("n", "v", False, [0, 1]) if indices else ("n", "v", False)
    obs = Observer(1.0, record_vars=[entry], record_spikes=[("n", "s")])
    with pytest.raises(error, match=rf"Observer\.record\(step=\.\.\.\): expected {expected}"):
        obs.record(step, output=1.0, loss=0.5, record_vars=[np.zeros(3)], record_spikes=[np.ones(3, bool)])
    assert _nothing_kept(obs) and obs.recorded_spikes == []
    obs.record(np.int64(4), output=1.0, record_vars=[np.zeros(3)])
    obs.record(5, output=2.0, record_vars=[np.ones(3)])
    with pytest.raises(error, match=r"Observer\.record\(step=\.\.\.\)"):
        obs.record(step, output=3.0, record_vars=[np.ones(3)])
    assert obs.recorded_steps("out").tolist() == [4, 5] and obs.to_numpy("out").tolist() == [1.0, 2.0]
    assert obs.recorded_steps(("n", "v")).tolist() == [4, 5]


def test_a_step_past_int64_with_spikes_only_records_nothing() -> None:
    obs = Observer(1.0, record_spikes=[("n", "s")])
    obs.record(0, record_spikes=[np.ones(2, bool)])
    with pytest.raises(ValueError, match=r"Observer\.record\(step=\.\.\.\): expected a step within int64"):
        obs.record(2**64, record_spikes=[np.ones(2, bool)])
    assert [a.tolist() for a in obs.spikes("n", "s")] == [[0, 0], [0, 1]]


def test_record_vars_and_values_are_named() -> None:
    obs = Observer(1.0, record_vars=[("n", "v", False)], record_spikes=[("n", "s")])
    with pytest.raises(TypeError, match=r"Observer\.record\(record_vars=\.\.\.\): expected a list of values"):
        obs.record(0, record_vars=5)
    with pytest.raises(TypeError, match=r"Observer\.record\(output=\.\.\.\): expected numbers"):
        obs.record(0, output="fast")
    with pytest.raises(TypeError, match=r"record\(record_vars\[0\]=\.\.\.\) for n/v: expected numbers"):
        obs.record(0, record_vars=[np.array(["a", "b"])])
    with pytest.raises(TypeError, match=r"Observer\.record\(record_spikes=\.\.\.\): expected boolean"):
        obs.record(0, record_spikes=[np.array(["x"])])
    assert _nothing_kept(obs) and obs.recorded_spikes == []
    # A refused first value fixes neither shape nor dtype: the next good one records.
    obs.record(0, output=1.0, record_vars=[np.zeros(2)])
    with pytest.raises(TypeError, match=r"Observer\.record\(output=\.\.\.\): expected numbers .*float64"):
        obs.record(1, output="fast")
    assert obs.to_numpy("out").tolist() == [1.0] and obs.to_numpy(("n", "v")).shape == (1, 2)


@pytest.mark.parametrize(
    ("indices", "message"),
    [
        ([0, 7], r"neuron index 7 is out of range for 5 neurons \(valid: 0 to 4, or -5 to -1"),
        ([-6], r"neuron index -6 is out of range for 5 neurons"),
        ([True, False], r"a mask of 2 neurons cannot select from 5"),
    ],
)
def test_an_out_of_range_neuron_index_is_refused_at_the_first_record(indices: list, message: str) -> None:
    entries = [("n", "u", True), ("n", "v", "mean", indices)]
    obs = Observer(1.0, record_vars=entries, record_spikes=[("n", "s")])
    with pytest.raises(ValueError, match=rf"record\(record_vars\[1\]=\.\.\.\): {message}.*'n', 'v'"):
        obs.record(
            0, output=1.0, loss=2.0, record_vars=[np.zeros(5), np.zeros(5)], record_spikes=[np.ones(5, bool)]
        )
    # Nothing of that step was kept: not the output, the loss, the first variable nor the spikes.
    assert _nothing_kept(obs) and obs.recorded_spikes == []


def test_an_out_of_range_neuron_index_writes_nothing_to_hdf5(tmp_path) -> None:
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "run.h5"
    with Observer(1.0, record_vars=[("n", "v", False, [9])], hdf5=path) as obs:
        with pytest.raises(ValueError, match=r"record_vars\[0\]=.*index 9 is out of range for 3 neurons"):
            obs.record(0, output=1.0, record_vars=[np.zeros(3)])
    with h5py.File(path, "r") as file:
        assert list(file) == []


def test_neuron_indices_in_range_record_and_a_later_shape_change_is_named() -> None:
    obs = Observer(1.0, record_vars=[("n", "v", False, [0, -1]), ("n", "m", "sum", [4])])
    obs.record(0, record_vars=[np.arange(5.0), np.arange(5.0)])
    obs.record(1, record_vars=[np.arange(5.0) + 1, np.arange(5.0)])
    assert obs.to_numpy(("n", "v")).tolist() == [[0.0, 4.0], [1.0, 5.0]]
    # A reduced variable's input may change shape unnoticed by its store; the index still names itself.
    with pytest.raises(ValueError, match=r"record_vars\[1\]=\.\.\.\) for n/m: neuron index 4 .* 3 neurons"):
        obs.record(2, record_vars=[np.arange(5.0), np.arange(3.0)])


@pytest.mark.parametrize("indices", [[0.5], [[0, 1]], np.True_, ["a"]])
def test_neuron_indices_that_cannot_be_indices_are_refused_at_construction(indices: object) -> None:
    with pytest.raises(TypeError, match=r"Observer\(record_vars\[0\]=\.\.\.\): expected the neurons to keep"):
        Observer(1.0, record_vars=[("n", "v", False, indices)])


def test_an_empty_index_list_keeps_no_neuron() -> None:
    obs = Observer(1.0, record_vars=[("n", "v", False, [])])
    obs.record(0, record_vars=[np.arange(3.0)])
    assert obs.to_numpy(("n", "v")).shape == (1, 0)


def test_a_closed_observer_refuses_records() -> None:
    obs = Observer(1.0)
    obs.close()
    with pytest.raises(ValueError, match=r"Observer\.record\(step=0\): the Observer is closed"):
        obs.record(0, output=1.0)
    assert _nothing_kept(obs)


@pytest.mark.parametrize(("hdf5", "error"), [(123, TypeError), ("run\0.h5", ValueError), ("", ValueError)])
def test_the_hdf5_path_is_checked_naming_the_argument(
    tmp_path, monkeypatch, hdf5: object, error: type
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=r"Observer\(hdf5=\.\.\.\): expected .*path"):
        Observer(1.0, hdf5=hdf5)
    assert list(tmp_path.iterdir()) == []


def test_to_tensorboard_names_a_bad_logdir(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    obs = Observer(1.0)
    obs.record(0, output=1.0)
    with pytest.raises(ValueError, match=r"to_tensorboard\(writer_or_logdir=\.\.\.\): expected .*NUL"):
        obs.to_tensorboard("runs\0x")
    assert list(tmp_path.iterdir()) == []


# -- the first value does not fix a dtype that loses later ones -------------------------------------------


def test_an_int_first_loss_is_widened_not_truncated() -> None:
    obs = Observer(dt=1.0, record_loss=True)
    for step, loss in enumerate([0, 0.7, 1.5]):
        obs.record(step, loss=loss)
    assert obs.to_numpy("loss").tolist() == [0.0, 0.7, 1.5]


@pytest.mark.parametrize(
    ("first", "later", "dtype"),
    [
        (np.array([1, 2]), np.array([1.5, 2.5]), np.float64),
        (np.array([1, 2], np.uint8), np.array([300, -1]), np.int64),
        (np.array([True, False]), np.array([2, 3]), np.int64),
        # A float32 recording stays float32: later float64 values are rounded to it, as chosen.
        (np.array([1, 2], np.float32), np.array([1.5, 2.5]), np.float32),
    ],
)
def test_later_values_keep_their_value(first, later, dtype) -> None:
    obs = Observer(dt=1.0, record_output=True)
    for step in range(40):  # past the first block, so that earlier blocks are widened too
        obs.record(step, output=first)
    obs.record(40, output=later)
    values = obs.to_numpy("out")
    assert values.dtype == dtype
    assert values[-1].tolist() == later.astype(dtype).tolist()
    assert (values[:-1] == first).all()


# -- rectipy's view: obs[key] lists, built when asked for ---------------------------------------------


def test_obs_key_is_rectipys_list_of_what_was_recorded() -> None:
    torch = pytest.importorskip("torch")
    obs = Observer(0.1, record_vars=[("n", "v", False), ("n", "m", True)])
    weights = torch.ones(3, requires_grad=True)
    recorded = []
    for step in range(4):
        v = weights * step  # requires grad: kept as it is
        recorded.append(v)
        obs.record(step, output=v.sum(), loss=step * 0.5, record_vars=[v, v])
    assert obs["steps"] == [0, 1, 2, 3]
    assert obs["loss"] == [0.0, 0.5, 1.0, 1.5] and all(type(x) is float for x in obs["loss"])
    assert all(a is b for a, b in zip(obs[("n", "v")], recorded))
    # A reduction of a tensor that requires grad stays in its graph, as rectipy's torch.mean does.
    means = obs[("n", "m")]
    assert all(m.requires_grad for m in means) and torch.stack(means).tolist() == [0.0, 1.0, 2.0, 3.0]
    torch.stack(obs["out"]).sum().backward()
    assert weights.grad.tolist() == [6.0, 6.0, 6.0]


def test_tensors_without_grad_come_back_rebuilt_with_their_dtype() -> None:
    torch = pytest.importorskip("torch")
    obs = Observer(1.0, record_vars=[("n", "i", False)])
    counts = [torch.arange(3, dtype=torch.int32) + step for step in range(3)]
    for step, count in enumerate(counts):
        obs.record(step, output=count.float() / 2, record_vars=[count])
    rebuilt = obs[("n", "i")]
    assert all(isinstance(t, torch.Tensor) and t.dtype == torch.int32 for t in rebuilt)
    assert all(torch.equal(a, b) and a is not b for a, b in zip(rebuilt, counts))
    assert torch.stack(obs["out"]).dtype == torch.float32
    # The arrays stay the fast path, and numbers and arrays come back as they came.
    assert obs.to_numpy(("n", "i")).dtype == np.int32
    arrays = Observer(1.0, record_loss=False)
    row = np.zeros(2)
    arrays.record(0, output=row)
    row += 1  # a simulation writing into the same array: the recording kept the values of its step
    assert [a.tolist() for a in arrays["out"]] == [[0.0, 0.0]]


def test_the_lists_are_built_when_asked_for_not_while_recording(monkeypatch) -> None:
    from neuroboard.neuro.buffers import SeriesBuffer

    built = []
    build = SeriesBuffer._build_list
    monkeypatch.setattr(
        SeriesBuffer, "_build_list", lambda self, count: built.append(count) or build(self, count)
    )
    obs = Observer(1.0, record_loss=False)
    for step in range(100):
        obs.record(step, output=float(step))
    assert built == []
    first = obs["out"]
    assert obs["out"] == first and built == [100]  # kept until the next record
    first.append("mine")  # each call hands out its own list
    obs.record(100, output=100.0)
    assert len(obs["out"]) == 101 and built == [100, 101]


@pytest.mark.parametrize(
    ("reduce", "reduced"), [(1, True), (0, False), ("", False), (np.True_, True), (2.5, True)]
)
def test_any_true_reduce_is_the_mean_as_in_rectipy(reduce: object, reduced: bool) -> None:
    obs = Observer(1.0, record_vars=[("n", "v", reduce)])
    obs.record(0, record_vars=[np.array([1.0, 2.0, 6.0])])
    assert obs.to_numpy(("n", "v")).tolist() == ([3.0] if reduced else [[1.0, 2.0, 6.0]])


def test_a_reduce_that_is_neither_true_nor_false_is_refused() -> None:
    with pytest.raises(ValueError, match=r"record_vars\[0\]=.*got ndarray"):
        Observer(1.0, record_vars=[("n", "v", np.array([1, 0]))])


def test_sampled_outputs_are_the_mean_since_the_last_sample() -> None:
    obs = Observer(1.0, record_vars=[("n", "v", False)], sampling_steps=3)
    outputs = np.arange(10.0) ** 2
    for step in range(10):
        obs.record(step, output=outputs[step], loss=-step, record_vars=[np.full(2, step)])
    # Step 0 alone, then steps 1-3, 4-6, 7-9, as rectipy's run(sampling_steps=3) averages them.
    expected = [outputs[0], outputs[1:4].mean(), outputs[4:7].mean(), outputs[7:10].mean()]
    np.testing.assert_allclose(obs.to_numpy("out"), expected)
    assert obs.to_numpy("loss").tolist() == [0, -3, -6, -9]  # the loss and the variables are instantaneous
    assert obs.to_numpy(("n", "v"))[:, 0].tolist() == [0, 3, 6, 9]
    assert obs["steps"] == [0, 3, 6, 9]


def test_keys_saved_values_and_steps_read_as_in_rectipy() -> None:
    obs = Observer(0.5, record_vars=[("n", "v", True)])
    assert obs.recorded_variables == [("n", "v"), "loss", "out", "steps"]
    assert obs["out"] == [] and obs["steps"] == [] and obs.to_numpy("out").shape == (0,)
    for step in range(3):
        obs.record(step, output=float(step), record_vars=[np.ones(2) * step])
    obs.save("y", [1.0, 2.0, 3.0])
    obs.save("out", "a saved value does not hide a recording")
    assert obs["out"] == [0.0, 1.0, 2.0]
    assert obs["y"] == [1.0, 2.0, 3.0] and obs.to_numpy("y").tolist() == [1.0, 2.0, 3.0]
    assert obs.to_dataframe("y").index.tolist() == [0.0, 0.5, 1.0]  # one row per kept step: their times
    assert obs.to_dataframe("steps")[0].tolist() == [0, 1, 2]
    assert obs.recordings.columns.tolist() == [("n", "v"), "out"]
    assert obs.recordings.index.tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(KeyError, match="'nope' is not recorded"):
        obs["nope"]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-1e4, 1e4, width=32), max_size=300),
    dtype=st.sampled_from(["float16", "float32", "float64", "int32", "bool"]),
    name=st.sampled_from(["mean", "sum", "std"]),
)
def test_the_named_reducers_give_numpys_values(values: list, dtype: str, name: str) -> None:
    # The reducers sum floats with np.add.reduce directly; np.mean, np.sum and np.std are the reference.
    from neuroboard.neuro.observer_vars import REDUCERS

    array = np.asarray(values, dtype=np.float64).astype(dtype)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, reference = REDUCERS[name](array), getattr(np, name)(array)
    assert np.asarray(ours).dtype == np.asarray(reference).dtype
    np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("hdf5", [False, True])
def test_record_spike_events_equals_recording_step_by_step(tmp_path, hdf5) -> None:
    rng = np.random.default_rng(3)
    fired = rng.random((50, 6)) < 0.2
    where = {"hdf5": str(tmp_path / "a.h5")} if hdf5 else {}
    stepwise = Observer(0.1, record_spikes=[("lif", "s")], **where)
    for step, row in enumerate(fired):
        stepwise.record(step, record_spikes=[row])
    steps, neurons = np.nonzero(fired)
    shuffled = rng.permutation(len(steps))
    where = {"hdf5": str(tmp_path / "b.h5")} if hdf5 else {}
    at_once = Observer(0.1, record_spikes=[("lif", "s")], **where)
    at_once.record_spike_events(
        "lif", "s", steps[shuffled][:10], neurons[shuffled][:10], n_neurons=6, start=0
    )
    # Later blocks go on from the last step: here, the rest in step order.
    rest = np.argsort(steps[shuffled][10:], kind="stable")
    later_steps, later_neurons = steps[shuffled][10:][rest], neurons[shuffled][10:][rest]
    keep = later_steps >= at_once.spikes("lif", "s")[0].max()
    at_once.record_spike_events("lif", "s", later_steps[keep], later_neurons[keep], n_neurons=6)
    got_steps, got_neurons = at_once.spikes("lif", "s")
    assert sorted(zip(got_steps.tolist(), got_neurons.tolist())) == sorted(
        zip(
            steps[shuffled][:10].tolist() + later_steps[keep].tolist(),
            neurons[shuffled][:10].tolist() + later_neurons[keep].tolist(),
        )
    )
    assert np.all(np.diff(got_steps) >= 0)


def test_record_spike_events_counts_rates_from_start() -> None:
    obs = Observer(1.0, record_spikes=[("lif", "s")])
    obs.record_spike_events("lif", "s", [2, 3], [0, 1], n_neurons=2, start=0)
    assert obs.population_rate("lif", "s").tolist() == [0.0, 0.0, 0.5, 0.5]


def test_record_spike_events_of_a_silent_population_gives_a_rate_of_zero() -> None:
    obs = Observer(1.0, record_spikes=[("lif", "s")])
    obs.record_spike_events("lif", "s", [], [], n_neurons=3, start=0, stop=3)
    assert obs.recorded_spikes == [("lif", "s")]
    assert obs.population_rate("lif", "s").tolist() == [0.0] * 4
    obs.record_spike_events("lif", "s", [], [], stop=5)
    obs.record_spike_events("lif", "s", [6], [2], stop=7)
    assert obs.population_rate("lif", "s").tolist() == [0.0] * 6 + [1 / 3, 0.0]
    # Without a span nothing is known, so nothing is kept.
    other = Observer(1.0, record_spikes=[("lif", "s")])
    other.record_spike_events("lif", "s", [], [], n_neurons=3)
    assert other.recorded_spikes == []
    for kwargs, message in (
        ({"n_neurons": 0, "start": 0, "stop": 3}, r"\(n_neurons=\.\.\.\): expected an int >= 1, got 0"),
        ({"n_neurons": 2, "start": 4, "stop": 3}, r"\(stop=\.\.\.\): expected a step >= 4, got 3"),
    ):
        with pytest.raises(ValueError, match=message):
            other.record_spike_events("lif", "s", [], [], **kwargs)
    with pytest.raises(ValueError, match=r"\(stop=\.\.\.\): expected a step >= 7, got 6"):
        obs.record_spike_events("lif", "s", [], [], stop=6)
    assert other.recorded_spikes == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"node": "x"}, KeyError, r"\('x', 's'\) is not declared in record_spikes"),
        ({"steps": [0.5]}, TypeError, r"record_spike_events\(steps=\.\.\.\): expected a 1-D array of ints"),
        ({"neurons": [0, 1]}, ValueError, r"\(neurons=\.\.\.\): expected 1 neurons, one per step, got 2"),
        ({"neurons": [-1]}, ValueError, r"\(neurons=\.\.\.\): expected neuron indices >= 0"),
        ({"n_neurons": 3}, ValueError, r"\(n_neurons=\.\.\.\): expected an int >= 6, got 3"),
        ({"start": 9}, ValueError, r"\(start=\.\.\.\): expected a step <= 4, the first spike's, got 9"),
    ],
)
def test_record_spike_events_refuses_bad_input_and_keeps_nothing(kwargs, error, message) -> None:
    obs = Observer(1.0, record_spikes=[("lif", "s")])
    call = {"node": "lif", "var": "s", "steps": [4], "neurons": [5], **kwargs}
    with pytest.raises(error, match=message):
        obs.record_spike_events(**call)
    assert obs.recorded_spikes == []


def test_record_spike_events_does_not_go_back() -> None:
    obs = Observer(1.0, record_spikes=[("lif", "s")])
    obs.record_spike_events("lif", "s", [5], [0])
    with pytest.raises(
        ValueError, match=r"\(steps=\.\.\.\): expected steps from 5 on, the last recorded, got 4"
    ):
        obs.record_spike_events("lif", "s", [4], [0])
    with pytest.raises(ValueError, match=r"\(start=\.\.\.\): 'lif/s' is recorded already, from step 5"):
        obs.record_spike_events("lif", "s", [6], [0], start=0)
    assert obs.spikes("lif", "s")[0].tolist() == [5]


def test_record_spike_events_ends_the_recording_at_stop() -> None:
    obs = Observer(1.0, record_spikes=[("lif", "s")])
    obs.record_spike_events("lif", "s", [1], [0], n_neurons=2, start=0, stop=3)
    assert obs.population_rate("lif", "s").tolist() == [0.0, 0.5, 0.0, 0.0]
    with pytest.raises(ValueError, match=r"\(stop=\.\.\.\): expected a step >= 5, the last spike's, got 4"):
        obs.record_spike_events("lif", "s", [5], [0], stop=4)


def test_dt_and_values_with_units_from_quantities() -> None:
    pq = pytest.importorskip("quantities")
    obs = Observer(0.1 * pq.ms, record_vars=[("lif", "v", False), ("lif", "i", True)], record_loss=False)
    for step in range(3):
        obs.record(step, output=1.0, record_vars=[np.array([-65.0, -70.0]) * pq.mV, np.ones(2)])
    assert obs.dt == 0.0001
    np.testing.assert_array_equal(obs.to_numpy(("lif", "v"))[0], [-65.0, -70.0])
    assert obs.units == {"lif/v": "mV"}
    obs.save("units", {"lif/i": "nA"})
    assert obs.units == {"lif/v": "mV", "lif/i": "nA"}
    # A later value in another unit of the same dimension is converted to the first one's.
    obs.record(3, output=1.0, record_vars=[np.array([-0.065, -0.07]) * pq.V, np.ones(2)])
    np.testing.assert_allclose(obs.to_numpy(("lif", "v"))[3], [-65.0, -70.0])
    with pytest.raises(
        ValueError, match=r"record_vars\[0\]=...\) for lif/v: expected values in mV .*, got nA"
    ):
        obs.record(4, output=1.0, record_vars=[np.ones(2) * pq.nA, np.ones(2)])
    # A reduction or a choice of neurons keeps the unit of the values.
    reduced = Observer(1.0, record_vars=[("a", "v", "mean"), ("b", "v", False, [1])], record_output=False)
    reduced.record(0, loss=0.5, record_vars=[np.array([1.0, 3.0]) * pq.mV, np.array([1.0, 3.0]) * pq.nA])
    assert reduced.units == {"a/v": "mV", "b/v": "nA"} and reduced.to_numpy(("a", "v")).tolist() == [2.0]
    for dt in (1 * pq.mV, np.array([0.1, 0.2]) * pq.ms):
        with pytest.raises(ValueError, match=r"Observer\(dt=...\): expected one time such as 0.1\*pq.ms"):
            Observer(dt)
