"""What the functional API refuses, as R's tfevents does: each refusal names the call and writes nothing."""

from __future__ import annotations

import os

import numpy as np
import pytest

from neuroboard import (
    collect_events,
    log_event,
    summary_audio,
    summary_histogram,
    summary_image,
    summary_metadata,
    summary_scalar,
    summary_text,
    with_logdir,
)
from neuroboard.api.functional import flush_all
from neuroboard.format.codec import SummaryMetadata


def _files(logdir) -> list[str]:
    flush_all()
    return [name for _, _, names in os.walk(logdir) for name in names]


CONSTRUCTORS = [
    ("summary_scalar", "scalars", lambda metadata: summary_scalar(1.0, metadata=metadata)),
    ("summary_text", "text", lambda metadata: summary_text("a", metadata=metadata)),
    ("summary_histogram", "histograms", lambda metadata: summary_histogram([1.0, 2.0], metadata=metadata)),
    ("summary_image", "images", lambda metadata: summary_image(np.zeros((4, 4, 3)), metadata=metadata)),
    ("summary_audio", "audio", lambda metadata: summary_audio(np.zeros(80), 8000, metadata=metadata)),
]


@pytest.mark.parametrize(("func", "plugin", "build"), CONSTRUCTORS)
@pytest.mark.parametrize("other", ["text2", "tensor", "scalar"])
def test_metadata_of_another_plugin_is_refused(func, plugin, build, other) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^{func}\(metadata=\.\.\.\): expected metadata of the '{plugin}' plugin, got '{other}'",
    ):
        build(summary_metadata(other))


@pytest.mark.parametrize(("func", "plugin", "build"), CONSTRUCTORS)
def test_metadata_without_a_plugin_name_is_refused(func, plugin, build) -> None:
    with pytest.raises(ValueError, match=rf"^{func}\(metadata=\.\.\.\): .*'{plugin}' plugin, got ''"):
        build(SummaryMetadata(display_name="x"))


@pytest.mark.parametrize(("func", "plugin", "build"), CONSTRUCTORS)
def test_metadata_of_the_kind_is_kept(tmp_path, func, plugin, build) -> None:
    summary = build(summary_metadata(plugin, display_name="Shown", description="said"))
    assert {(v.metadata.plugin_data.plugin_name, v.metadata.display_name) for v in summary.value} == {
        (plugin, "Shown")
    }
    with with_logdir(tmp_path):
        log_event(x=summary, step=0)
    flush_all()
    assert set(collect_events(tmp_path, type="summary").plugin) == {plugin}
