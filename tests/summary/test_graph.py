"""torch_graph(): the GraphDef of a traced module, node for node the one torch's own conversion builds."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import torch
from torch.utils.tensorboard._pytorch_graph import graph as torch_reference

from neuroboard.summary.graph import RUN_METADATA_TAG, graph_def_from_trace, run_metadata, torch_graph

# torch.jit.trace is deprecated in torch 2.13 and warns about the LSTM's checks: torch's noise, not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::torch.jit.TracerWarning", "ignore:The input to trace is already"
)


class Linear(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 5)

    def forward(self, x):
        return self.linear(x)


class DictOut(Linear):
    def forward(self, x):
        return {"out": self.linear(x), "twice": x * 2}


class MLP(torch.nn.Module):
    """view, relu, a parameter of the root module, two inputs and a tuple out."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 8)
        self.fc2 = torch.nn.Linear(8, 4)
        self.scale = torch.nn.Parameter(torch.ones(4))

    def forward(self, x, y):
        h = torch.nn.functional.relu(self.fc1(x.view(-1, 16)))
        return self.fc2(h) * self.scale, y + 1


class PairIn(torch.nn.Module):
    def forward(self, pair):
        return pair[0] + pair[1]


class Swap(torch.nn.Module):
    """Multi-output nodes (chunk, ListUnpack) and an input nobody uses."""

    def forward(self, x, unused):
        a, b = x.chunk(2, dim=1)
        return torch.cat([b, a], 1)


class Identity(torch.nn.Module):
    def forward(self, x):
        return x


class Shared(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 3)

    def forward(self, x):
        return self.linear(self.linear(x))


class NamedOutput(Linear):
    """A value called ``output``: its traced name ``output.1`` is also the name torch gives its sink."""

    def forward(self, x):
        output = self.linear(x)
        output = output.relu()
        return output + 1


def nested():
    return torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.ReLU()),
        torch.nn.Sequential(torch.nn.Linear(3, 2)),
    )


def convnet():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Dropout(),
        torch.nn.Linear(36, 2),
    )


# name -> (model factory, input_to_model, keywords)
MODELS = {
    "linear": (Linear, torch.zeros(1, 3), {}),
    "nested-sequential": (nested, torch.zeros(1, 3), {}),
    "mlp-view-relu": (MLP, (torch.zeros(2, 4, 4), torch.zeros(3)), {}),
    "dict-output": (DictOut, (torch.zeros(1, 3),), {"use_strict_trace": False}),
    "tuple-input": (PairIn, ((torch.zeros(2), torch.zeros(2)),), {}),
    "chunk-cat": (Swap, (torch.zeros(1, 4), torch.zeros(1)), {}),
    "identity": (Identity, torch.zeros(2), {}),
    "shared-module": (Shared, torch.zeros(1, 3), {}),
    "conv-bn-pool": (convnet, torch.zeros(2, 1, 8, 8), {}),
    "lstm": (lambda: torch.nn.LSTM(4, 3, batch_first=True), torch.zeros(1, 5, 4), {}),
}


def node_table(graph_def) -> list[tuple]:
    """Each node as (name, op, inputs, device, attr keys)."""
    return [(n.name, n.op, list(n.input), n.device, sorted(n.attr)) for n in graph_def.node]


# -- against torch's own conversion ------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_the_graph_is_torchs(name) -> None:
    make, args, keywords = MODELS[name]
    model = make()
    theirs, their_metadata = torch_reference(model, args, **keywords)
    ours, our_metadata = torch_graph(model, args, **keywords)
    assert len(ours.node) == len(theirs.node)
    assert node_table(ours) == node_table(theirs)
    # And everything else: attribute values, shapes, versions.
    assert ours == theirs
    assert our_metadata == their_metadata


def test_what_the_linear_graph_holds() -> None:
    ours, metadata = torch_graph(Linear(), torch.zeros(1, 3))
    names = {node.name: node for node in ours.node}
    assert [node.op for node in ours.node] == [
        "IO Node",
        "IO Node",
        "prim::GetAttr",
        "prim::GetAttr",
        "aten::linear",
    ]
    assert "input/x" in names and "output/output.1" in names
    (linear,) = [node for node in ours.node if node.op == "aten::linear"]
    assert linear.name.startswith("Linear/Linear[linear]/")
    assert list(linear.input) == [
        "input/x",
        "Linear/Linear[linear]/weight/weight",
        "Linear/Linear[linear]/bias/bias",
    ]
    assert [d.size for d in linear.attr["_output_shapes"].list.shape[0].dim] == [1, 5]
    assert names["Linear/Linear[linear]/bias/bias"].attr["attr"].s == b"{ name :  bias }"
    assert ours.versions.producer == 22
    assert metadata == run_metadata()
    assert metadata.step_stats.dev_stats[0].device == "/device:CPU:0"
    assert RUN_METADATA_TAG == "step1"


def test_check_trace_gives_the_same_graph() -> None:
    model = MLP()
    args = (torch.zeros(2, 4, 4), torch.zeros(3))
    assert node_table(torch_graph(model, args, check_trace=True)[0]) == node_table(
        torch_graph(model, args)[0]
    )


def test_graph_def_from_trace_takes_a_trace_made_elsewhere() -> None:
    traced = torch.jit.trace(nested(), torch.zeros(1, 3))
    graph = traced.graph
    torch._C._jit_pass_inline(graph)
    assert [n.op for n in graph_def_from_trace(traced, graph).node].count("aten::linear") == 2


def test_no_input_traces_a_forward_without_arguments() -> None:
    class Constant(torch.nn.Module):
        def forward(self):
            return torch.ones(2) * 3

    ours, _ = torch_graph(Constant())
    assert not [n for n in ours.node if n.name.startswith("input/")]
    assert "aten::mul" in [n.op for n in ours.node]


# -- where torch's graph loses something ----------------------------------------


def test_a_value_named_like_the_sink_keeps_the_sink() -> None:
    model = NamedOutput()
    theirs, _ = torch_reference(model, torch.zeros(1, 3))
    ours, _ = torch_graph(model, torch.zeros(1, 3))
    # torch's sink "output/output.1" is overwritten by the value "output.1"; ours keeps both.
    assert "output/output.1" not in [n.name for n in theirs.node]
    sink = [n for n in ours.node if n.name == "output/output.1"]
    assert len(sink) == 1 and sink[0].op == "IO Node"
    assert len(ours.node) == len(theirs.node) + 1
    assert sorted(node_table(theirs)) == sorted(
        row for row in node_table(ours) if row[0] != "output/output.1"
    )


def test_each_module_gets_its_own_mode_back() -> None:
    model = nested()
    model.train()
    model[1].eval()
    torch_graph(model, torch.zeros(1, 3))
    assert model.training and model[0].training and model[0][0].training
    assert not model[1].training and not model[1][0].training


def test_a_script_module_keeps_its_own_graph() -> None:
    scripted = torch.jit.script(Linear())
    before = str(scripted.graph)
    ours, _ = torch_graph(scripted, torch.zeros(1, 3))
    assert str(scripted.graph) == before
    assert [n.op for n in ours.node] == [
        n.op for n in torch_reference(torch.jit.script(Linear()), torch.zeros(1, 3))[0].node
    ]


# -- verbose: logged, not printed ---------------------------------------------


def test_verbose_logs_the_traced_graph_and_prints_nothing(caplog, capsys) -> None:
    with caplog.at_level(logging.INFO, logger="neuroboard.summary.graph"):
        torch_graph(Linear(), torch.zeros(1, 3), verbose=True)
    (record,) = [r for r in caplog.records if r.name == "neuroboard.summary.graph"]
    assert record.levelno == logging.INFO
    assert "aten::linear" in record.getMessage()
    assert capsys.readouterr() == ("", "")


def test_quiet_by_default(caplog, capsys) -> None:
    with caplog.at_level(logging.DEBUG, logger="neuroboard.summary.graph"):
        torch_graph(Linear(), torch.zeros(1, 3))
    assert not [r for r in caplog.records if r.name == "neuroboard.summary.graph"]
    assert capsys.readouterr() == ("", "")


# -- errors: torch's own, or ours naming the call --------------------------------


def test_a_wrong_input_size_raises_torchs_runtime_error() -> None:
    with pytest.raises(RuntimeError) as theirs:
        torch_reference(torch.nn.Linear(3, 5), torch.rand(1, 9))
    with pytest.raises(RuntimeError) as ours:
        torch_graph(torch.nn.Linear(3, 5), torch.rand(1, 9))
    assert str(ours.value) == str(theirs.value)


def test_a_dict_output_with_a_strict_trace_raises_torchs_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="strict=False"):
        torch_graph(DictOut(), torch.zeros(1, 3), use_strict_trace=True)


def test_a_failed_trace_still_gives_the_modes_back() -> None:
    model = torch.nn.Linear(3, 5)
    with pytest.raises(RuntimeError):
        torch_graph(model, torch.rand(1, 9))
    assert model.training


@pytest.mark.parametrize("model", [lambda x: x, "model", None], ids=["function", "str", "None"])
def test_not_a_module(model) -> None:
    with pytest.raises(TypeError, match=r"^add_graph\(model=\.\.\.\): expected a torch.nn.Module, got "):
        torch_graph(model, torch.zeros(1), caller="add_graph")


def test_neuroboard_imports_and_refuses_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import neuroboard, tempfile\n"
        "from neuroboard.summary.graph import torch_graph\n"
        "try:\n"
        "    torch_graph(object())\n"
        "except TypeError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "torch_graph(model=...): expected a torch.nn.Module, got object"
