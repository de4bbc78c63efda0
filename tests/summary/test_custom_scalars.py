"""summary.custom_scalars: the Custom Scalars layout, checked whole before anything is written."""

from __future__ import annotations

import pytest

from neuroboard import SummaryWriter
from neuroboard.summary.custom_scalars import layout_from_dict
from tests.tb import accumulator


def test_a_multiline_tag_that_is_no_regular_expression_is_refused(tmp_path) -> None:
    # The dashboard matches Multiline tags as regular expressions: "(" would only fail there.
    with pytest.raises(ValueError, match=r"add_custom_scalars\(layout\['c'\]\['t'\]=\.\.\.\): .*'loss\/\('"):
        layout_from_dict({"c": {"t": ["Multiline", ["loss/("]]}}, func="add_custom_scalars")
    with SummaryWriter(tmp_path / "run") as writer, pytest.raises(ValueError, match="regular expressions"):
        writer.add_custom_scalars_multilinechart(["a", "b["], category="c", title="t")
    assert accumulator(tmp_path / "run").Tags()["tensors"] == []


def test_margin_tags_are_names_not_patterns() -> None:
    layout = layout_from_dict({"c": {"t": ["Margin", ["v(", "lo", "hi"]]}}, func="add_custom_scalars")
    assert layout.category[0].chart[0].margin.series[0].value == "v("
