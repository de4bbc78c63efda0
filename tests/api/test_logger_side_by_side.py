"""The Logger beside tensorboardX, called the way ANNarchy's Logger calls it (the full comparison: tests/compat).

ANNarchy's Logger hands each call to a tensorboardX ``SummaryWriter``; these
tests make the same tensorboardX calls and compare tags and run folders.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboardX import SummaryWriter as TensorboardXWriter
from tensorboardX import summary as tensorboardx_summary

from neuroboard import Logger
from neuroboard.api.logger_quirks import clean_tag
from tests.tb import multiplexer

TIME_RUN = re.compile(r"\d+\.\d+$")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_tags_are_cleaned_by_tensorboardx_rule(tag) -> None:
    expected = tensorboardx_summary.scalar(tag, 1.0).value[0].tag
    if expected:
        assert clean_tag(tag, "add_scalar") == expected


def runs_and_tags(logdir) -> dict[str, list[str]]:
    mux = multiplexer(logdir)
    return {TIME_RUN.sub("<time>", run): sorted(tags["scalars"]) for run, tags in mux.Runs().items()}


def test_folders_and_tags_match_tensorboardx(tmp_path) -> None:
    values = {"First neuron": 1.0, "Second/neuron": 2.0}
    with TensorboardXWriter(str(tmp_path / "tensorboardX" / "run"), flush_secs=10) as writer:
        writer.add_scalar("Global performance/Accuracy", 0.5, 0)
        writer.add_scalars("Neural activity/Population 1", values, 0)
        writer.add_hparams({"tau": 10.0}, {"Error rate": 0.25})
    with Logger(tmp_path / "neuroboard", experiment="run") as logger:
        logger.add_scalar("Global performance/Accuracy", 0.5, 0)
        logger.add_scalars("Neural activity/Population 1", values, 0)
        logger.add_parameters({"tau": 10.0}, {"Error rate": 0.25})
    theirs = runs_and_tags(tmp_path / "tensorboardX")
    assert runs_and_tags(tmp_path / "neuroboard") == theirs
    assert theirs == {
        "run": ["Global_performance/Accuracy"],
        "run/<time>": ["Error_rate"],
        "run/Neural activity/Population 1/First neuron": ["Neural_activity/Population_1"],
        "run/Neural activity/Population 1/Second/neuron": ["Neural_activity/Population_1"],
    }
