"""rectipy 0.12.2's training code driven by our Observer, compared value by value with its own Observer.

Each test builds the same small QIF network twice (same weights, same
inputs), runs a rectipy call with rectipy's Observer on one and, with
``rectipy.network.Observer`` rebound to ours, the same call on the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib
import numpy as np
import pytest
import rectipy.network
import torch
from rectipy import Network
from rectipy.observer import Observer as RectipyObserver

from neuroboard.neuro import Observer

matplotlib.use("Agg")

N, DT, STEPS = 8, 1e-3, 40
QIF = "neuron_model_templates.spiking_neurons.qif.qif"


def _network(train: str = "gd") -> Network:
    rng = np.random.default_rng(3)
    net = Network(DT, device="cpu")
    net.add_diffeq_node(
        "qif",
        QIF,
        weights=rng.normal(size=(N, N)),
        source_var="s",
        target_var="s_in",
        input_var="I_ext",
        output_var="s",
        spike_var="spike",
        reset_var="v",
        op="qif_op",
        clear=True,
        verbose=False,
        dtype=torch.float32,
        train_params=["weights"],
    )
    net.add_func_node("out", 2, activation_function="tanh")
    net.add_edge("qif", "out", weights=rng.normal(size=(2, N)), train=train, dtype=torch.float32)
    return net


def _data(epochs: int = 2) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(1)
    inputs = [(rng.normal(size=(STEPS, N)) * 20).astype(np.float32) for _ in range(epochs)]
    targets = [rng.normal(size=(STEPS, 2)).astype(np.float32) for _ in range(epochs)]
    return inputs, targets


def _side_by_side(
    call: Callable[[Network, type], Any], train: str = "gd"
) -> tuple[Any, Any, Network, Network]:
    """Run ``call(network, Observer class)`` with rectipy's Observer, then with ours bound in rectipy.network."""
    theirs_net, ours_net = _network(train), _network(train)
    with pytest.MonkeyPatch.context() as patch:
        # rectipy's own, whatever another test (or a docs page) bound there before.
        patch.setattr(rectipy.network, "Observer", RectipyObserver)
        theirs = call(theirs_net, RectipyObserver)
        patch.setattr(rectipy.network, "Observer", Observer)
        ours = call(ours_net, Observer)
    assert type(theirs if not isinstance(theirs, tuple) else theirs[0]) is RectipyObserver
    return theirs, ours, theirs_net, ours_net


def _same_tensors(theirs: list, ours: list) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(theirs, ours):
        assert isinstance(b, torch.Tensor) and b.dtype == a.dtype and b.device == a.device
        assert b.requires_grad == a.requires_grad
        assert torch.equal(a, b)


def _same_recordings(theirs: Any, ours: Any, keys: list) -> None:
    assert ours.recorded_variables == theirs.recorded_variables
    assert ours.recorded_state_variables == theirs.recorded_state_variables
    assert ours["steps"] == theirs["steps"]
    for key in keys:
        _same_tensors(theirs[key], ours[key])
        np.testing.assert_array_equal(ours.to_numpy(key), theirs.to_numpy(key))
        a, b = theirs.to_dataframe(key), ours.to_dataframe(key)
        np.testing.assert_array_equal(b.to_numpy(), a.to_numpy())
        np.testing.assert_array_equal(b.index.to_numpy(), a.index.to_numpy())


@pytest.mark.parametrize(("sampling_steps", "cutoff"), [(1, 0), (3, 5)])
def test_run_records_what_rectipy_records(sampling_steps: int, cutoff: int) -> None:
    inputs, _ = _data(1)
    record_vars = [("qif", "v", False), ("qif", "s", 1)]

    def call(net: Network, _cls: type) -> Any:
        return net.run(
            inputs[0], sampling_steps=sampling_steps, cutoff=cutoff, verbose=False, record_vars=record_vars
        )

    theirs, ours, _, _ = _side_by_side(call)
    assert isinstance(ours, Observer)
    assert ours.recorded_variables == [("qif", "v"), ("qif", "s"), "out", "steps"]
    _same_recordings(theirs, ours, [("qif", "v"), ("qif", "s"), "out"])
    # The recorded output tensors are the live ones: a loss on them backpropagates.
    torch.stack(ours["out"]).sum().backward()
    # rectipy's recordings cannot take tensors that require grad; ours reads its arrays.
    with pytest.raises(RuntimeError, match="requires grad"):
        _ = theirs.recordings
    frame = ours.recordings
    assert frame.columns.tolist() == [("qif", "v"), ("qif", "s"), "out"]
    np.testing.assert_array_equal(frame[("qif", "s")].to_numpy(), ours.to_numpy(("qif", "s")))


def test_run_with_the_loss_lists_rectipys_keys_and_numbers() -> None:
    inputs, _ = _data(1)

    def call(net: Network, cls: type) -> Any:
        obs = cls(dt=DT, record_loss=True, record_vars=[("qif", "v", True)])
        return net.run(inputs[0], verbose=False, obs=obs)

    theirs, ours, _, _ = _side_by_side(call)
    assert ours.recorded_variables == [("qif", "v"), "loss", "out", "steps"]
    assert ours["loss"] == theirs["loss"] == [0.0] * STEPS
    _same_recordings(theirs, ours, [("qif", "v"), "out"])


def test_fit_bptt_over_epochs_trains_the_same_weights() -> None:
    inputs, targets = _data(2)

    def call(net: Network, _cls: type) -> Any:
        return net.fit_bptt(inputs, targets, optimizer="sgd", lr=0.05, verbose=False)

    theirs, ours, theirs_net, ours_net = _side_by_side(call)
    assert ours["epoch_loss"] == theirs["epoch_loss"]
    np.testing.assert_array_equal(ours["epochs"], theirs["epochs"])
    for a, b in zip(theirs_net.parameters(), ours_net.parameters()):
        assert torch.equal(a, b)
    _same_recordings(theirs, ours, ["out"])


def test_fit_bptt_over_one_array_and_fit_rls_record_the_same() -> None:
    inputs, targets = _data(1)

    def bptt(net: Network, _cls: type) -> Any:
        return net.fit_bptt(inputs[0], targets[0], lr=0.05, update_steps=10, sampling_steps=2, verbose=False)

    theirs, ours, theirs_net, ours_net = _side_by_side(bptt)
    assert ours["loss"] == theirs["loss"]
    _same_recordings(theirs, ours, ["out"])
    for a, b in zip(theirs_net.parameters(), ours_net.parameters()):
        assert torch.equal(a, b)

    def rls(net: Network, _cls: type) -> Any:
        return net.fit_rls(inputs[0], targets[0], sampling_steps=2, verbose=False)

    theirs, ours, _, _ = _side_by_side(rls, train="rls")
    _same_recordings(theirs, ours, ["out", "loss"])


def test_test_with_our_observer_gives_rectipys_loss() -> None:
    inputs, targets = _data(1)

    def call(net: Network, cls: type) -> Any:
        obs = cls(dt=DT, record_loss=False, record_vars=[("qif", "v", False)])
        return net.test(inputs[0], targets[0], sampling_steps=1, verbose=False, obs=obs)

    (theirs, theirs_loss), (ours, ours_loss), _, _ = _side_by_side(call)
    assert isinstance(ours, Observer)
    assert ours_loss == theirs_loss
    _same_recordings(theirs, ours, [("qif", "v"), "out"])


def test_fit_ridge_with_our_observer_fits_the_same_readout() -> None:
    inputs, targets = _data(1)

    def call(net: Network, cls: type) -> Any:
        obs = cls(dt=DT, record_loss=False)
        return net.fit_ridge(inputs[0], targets[0], sampling_steps=1, verbose=False, obs=obs)

    theirs, ours, _, _ = _side_by_side(call)
    for key in ("w_out", "y"):
        assert torch.equal(ours[key], theirs[key])
        np.testing.assert_array_equal(ours.to_numpy(key), theirs.to_numpy(key))
    a, b = theirs.to_dataframe("y"), ours.to_dataframe("y")
    np.testing.assert_array_equal(b.to_numpy(), a.to_numpy())
    np.testing.assert_array_equal(b.index.to_numpy(), a.index.to_numpy())
    _same_recordings(theirs, ours, ["out"])


def test_our_sampling_steps_average_the_output_as_rectipys_run() -> None:
    # rectipy's run(sampling_steps=k) records the mean output since the last sample; our Observer, fed at
    # every step with the raw outputs, keeps the same.
    inputs, _ = _data(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rectipy.network, "Observer", RectipyObserver)
        theirs = _network().run(inputs[0], sampling_steps=4, verbose=False, record_vars=[("qif", "v", False)])
    net = _network()
    net.compile()
    ours = Observer(DT, record_loss=False, record_vars=[("qif", "v", False)], sampling_steps=4)
    x = torch.tensor(inputs[0])
    for step in range(STEPS):
        ours.record(step, output=net.forward(x[step]), record_vars=[net.get_var("qif", "v")])
    _same_recordings(theirs, ours, ["out", ("qif", "v")])


def test_recordings_saved_keys_and_reduce_values_as_rectipy() -> None:
    values = [torch.arange(3.0) + step for step in range(4)]
    theirs = RectipyObserver(0.1, record_vars=[("n", "v", 1), ("n", "u", True)])
    ours = Observer(0.1, record_vars=[("n", "v", 1), ("n", "u", True)])
    for obs in (theirs, ours):
        for step, v in enumerate(values):
            obs.record(step, torch.tensor(step / 2), torch.tensor(step * 0.25), [v, v * 2])
        obs.save("w", torch.eye(2))
    for key in [("n", "v"), ("n", "u"), "out", "loss"]:
        _same_tensors(theirs[key], ours[key])
    assert torch.equal(ours["w"], theirs["w"])
    np.testing.assert_array_equal(ours.to_numpy("w"), theirs.to_numpy("w"))
    a, b = theirs.recordings, ours.recordings
    assert b.columns.tolist() == a.columns.tolist() == [("n", "v"), ("n", "u"), "out", "loss"]
    np.testing.assert_array_equal(b.to_numpy(), a.to_numpy())
    np.testing.assert_array_equal(b.index.to_numpy(), a.index.to_numpy())
    # Asking again gives the same frame (rectipy's second call repeats "out" and "loss").
    assert ours.recordings.columns.tolist() == b.columns.tolist()
    assert ours.recorded_state_variables == [("n", "v"), ("n", "u")]


def _plot_facts(ax: Any) -> dict:
    return {
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "lines": [(line.get_xdata().tolist(), line.get_ydata().tolist()) for line in ax.lines],
        "figsize": ax.figure.get_size_inches().tolist(),
    }


def test_plot_and_matshow_draw_what_rectipy_draws() -> None:
    import matplotlib.pyplot as plt

    theirs = RectipyObserver(0.1, record_vars=[("qif", "v", False), ("qif", "m", True)])
    ours = Observer(0.1, record_vars=[("qif", "v", False), ("qif", "m", True)])
    for obs in (theirs, ours):
        for step in range(6):
            v = torch.arange(4.0) * step
            obs.record(step, torch.tensor(float(step)), torch.tensor(0.0), [v, v])
    for kwargs in ({"y": ("qif", "m")}, {"y": ("qif", "m"), "x": "out"}, {"y": ("qif", "v")}):
        a = _plot_facts(theirs.plot(**kwargs, figsize=(5, 2)))
        b = _plot_facts(ours.plot(**kwargs, figsize=(5, 2)))
        assert b == a
    for kwargs in ({}, {"aspect": "equal", "shrink": 0.4, "interpolation": "nearest"}):
        a = theirs.matshow(("qif", "v"), figsize=(6, 3), **{"aspect": "equal", "shrink": 0.6, **kwargs})
        b = ours.matshow(("qif", "v"), figsize=(6, 3), **{"aspect": "equal", **kwargs})
        assert (
            (b.get_xlabel(), b.get_ylabel())
            == (a.get_xlabel(), a.get_ylabel())
            == ("time", "Node: qif, variable: v")
        )
        np.testing.assert_array_equal(b.images[0].get_array(), a.images[0].get_array())
        assert b.get_aspect() == a.get_aspect()
        assert b.figure.get_size_inches().tolist() == a.figure.get_size_inches().tolist()
        # The colorbar: a second axes, of the same place and size, over the same values.
        assert len(b.figure.axes) == len(a.figure.axes) == 2
        a.figure.canvas.draw()
        b.figure.canvas.draw()
        np.testing.assert_allclose(
            b.figure.axes[1].get_position().bounds, a.figure.axes[1].get_position().bounds
        )
        assert b.images[0].colorbar.vmax == a.images[0].colorbar.vmax
    plt.close("all")
