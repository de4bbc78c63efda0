"""Graphs: add_graph of a 10-layer MLP, against torch's SummaryWriter.

Each timed run covers a writer's whole life, from construction to
``close()``; the model and its input are built before the clock starts.
``torch.jit.trace`` is most of the work on both sides, and its time varies a
lot from call to call (it builds and drops a TorchScript class per module),
so ours and the peers take turns, round after round, and each keeps its best.

torch traces every model twice (``check_trace``) to check the trace; ours
traces once by default and writes the same graph, so the first row carries
the target. The second row asks ours for the second trace too
(``check_trace=True``): the same work as torch, where only the conversion of
the traced graph differs. The third row times that conversion alone, ours
against torch's ``_pytorch_graph.parse`` and the GraphDef its ``graph()``
makes of the nodes. tensorboardX's add_graph is torch's, reported for reference.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable

import neuroboard
from benchmarks.common import Row, best_seconds_alternating, load_peers, print_row, writer_loop

__all__ = ["run"]

LAYERS = 10
WIDTH = 64
BATCH = 8
GRAPH_CALLS = 10
CONVERSIONS = 200
MIN_CALLS = 2
# Rounds beyond the asked repeats: a trace's time is noisy, and a best of few is not.
EXTRA_ROUNDS = 2

TARGET_GRAPH = 1.0
TARGET_CONVERSION = 1.0


def _mlp():
    import torch

    layers = []
    for _ in range(LAYERS):
        layers += [torch.nn.Linear(WIDTH, WIDTH), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers), torch.zeros(BATCH, WIDTH)


def _in_fresh_logdir(work: Callable[[str], None]) -> Callable[[], None]:
    def run() -> None:
        with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
            work(logdir)

    return run


def _turns(
    name: str, unit: str, items: int, runs: dict[str, Callable[[], None]], target: float | None, rounds: int
) -> list[Row]:
    """Time ``runs`` (ours under "ours") in turns; print and return one row per peer, the target on torch's."""
    best = best_seconds_alternating(runs, rounds=rounds)
    rows = []
    for peer, seconds in best.items():
        if peer == "ours":
            continue
        row = Row(
            f"{name} vs {peer}",
            unit,
            items / best["ours"],
            items / seconds,
            target if peer == "torch" else None,
        )
        print_row(row)
        rows.append(row)
    return rows


def run(scale: float = 1.0, repeats: int = 3) -> list[Row]:
    """Measure add_graph and the graph conversion at ``scale`` times the full sizes; print and return the rows."""
    try:
        import torch
        from tensorboard.compat.proto.graph_pb2 import GraphDef
        from torch.utils.tensorboard._pytorch_graph import parse
    except ImportError as error:
        print(f"  (skipping graphs: {error})")
        return []
    from neuroboard.summary.graph import graph_def_from_trace

    # torch.jit.trace is deprecated in torch 2.13 and says so on every call, for both sides alike.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch")
    model, x = _mlp()
    peers = load_peers(["torch", "tensorboardX"])
    name = f"add_graph MLP {LAYERS}x(Linear {WIDTH}+ReLU)"
    rounds = repeats + EXTRA_ROUNDS
    calls = max(MIN_CALLS, int(GRAPH_CALLS * scale))

    def graphs(writer_class: type, **keywords) -> Callable[[], None]:
        return _in_fresh_logdir(
            writer_loop(writer_class, lambda w, step: w.add_graph(model, x, **keywords), calls)
        )

    rows = _turns(
        f"{name} x {calls:,}",
        "calls",
        calls,
        {"ours": graphs(neuroboard.SummaryWriter), **{peer: graphs(cls) for peer, cls in peers.items()}},
        TARGET_GRAPH,
        rounds,
    )
    if "torch" in peers:
        rows += _turns(
            f"{name}, check_trace=True x {calls:,}",
            "calls",
            calls,
            {"ours": graphs(neuroboard.SummaryWriter, check_trace=True), "torch": graphs(peers["torch"])},
            None,
            rounds,
        )

    traced = torch.jit.trace(model, x)
    graph = traced.graph
    torch._C._jit_pass_inline(graph)
    conversions = max(MIN_CALLS * 10, int(CONVERSIONS * scale))

    def ours() -> None:
        for _ in range(conversions):
            graph_def_from_trace(traced, graph)

    def theirs() -> None:
        for _ in range(conversions):
            GraphDef(node=parse(graph, traced, (x,)))

    rows += _turns(
        f"traced graph -> GraphDef, {LAYERS}-layer MLP x {conversions:,}",
        "graphs",
        conversions,
        {"ours": ours, "torch": theirs},
        TARGET_CONVERSION,
        rounds,
    )
    return rows
