"""text(): string tensors, read back by TensorBoard's reader and served by TensorBoard."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tensorboard.util import tensor_util

from neuroboard import SummaryWriter
from neuroboard.summary.text import text, text_metadata
from tests.tb import accumulator


def strings_of(summary) -> np.ndarray:
    """Return the summary's strings as a str array of the tensor's shape."""
    array = tensor_util.make_ndarray(summary.value[0].tensor)
    return np.vectorize(lambda item: item.decode("utf-8"), otypes=[object])(array) if array.size else array


# -- the proto -------------------------------------------------------------


def test_a_string_is_a_0d_string_tensor_with_the_text_plugin() -> None:
    value = text("notes", "# Run 3\n*ünïcode* ✓").value[0]
    assert value.tag == "notes"
    assert value.metadata.plugin_data.plugin_name == "text"
    assert value.tensor.dtype == tensor_util.make_tensor_proto("").dtype
    assert list(value.tensor.tensor_shape.dim) == []
    assert list(value.tensor.string_val) == ["# Run 3\n*ünïcode* ✓".encode()]


def test_numpy_str_scalars() -> None:
    assert strings_of(text("t", np.str_("x"))).tolist() == "x"
    assert strings_of(text("t", np.array("y"))).tolist() == "y"


@pytest.mark.parametrize(
    "table",
    [
        ["a", "b", "c"],
        ("a", "b", "c"),
        np.array(["a", "b", "c"]),
        np.array(["a", "b", "c"], dtype=object),
    ],
    ids=["list", "tuple", "str-array", "object-array"],
)
def test_a_row_of_strings(table) -> None:
    summary = text("t", table)
    assert [dim.size for dim in summary.value[0].tensor.tensor_shape.dim] == [3]
    assert strings_of(summary).tolist() == ["a", "b", "c"]


def test_a_table_of_strings_keeps_its_shape() -> None:
    rows = [["lr", "0.1"], ["tau", "10 ms"], ["η", "½"]]
    summary = text("params", rows)
    assert strings_of(summary).tolist() == rows
    assert strings_of(text("params", np.array(rows))).tolist() == rows


def test_an_empty_list_is_an_empty_table() -> None:
    assert strings_of(text("t", [])).shape == (0,)


def test_metadata_names_the_plugin() -> None:
    metadata = text_metadata("Notes", "free text")
    assert (metadata.plugin_data.plugin_name, metadata.display_name) == ("text", "Notes")


# -- errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "got"),
    [
        (3, "int"),
        (None, "NoneType"),
        (b"bytes", "bytes"),
        ({"a": "b"}, "dict"),
        (["a", 1], "list of shape (2,) holding int, str"),
        ([b"a"], "list of shape (1,) holding bytes"),
        ([["a"], ["b", "c"]], "list of shape (2,) holding list"),
        (np.array([1, 2]), "ndarray of dtype int64 and shape (2,)"),
        (np.array([b"a"]), "ndarray of dtype |S1 and shape (1,)"),
    ],
)
def test_non_strings_raise_type_error(value, got) -> None:
    with pytest.raises(TypeError) as error:
        text("t", value)
    assert (
        str(error.value)
        == f"add_text(text_string=...): expected a str, or a 1-D or 2-D array of str, got {got}"
    )


def test_more_than_two_dimensions_raise_value_error() -> None:
    with pytest.raises(ValueError, match=r"^log_notes\(text_string=\.\.\.\): .* got shape \(1, 1, 1\)$"):
        text("t", [[["a"]]], caller="log_notes")


@pytest.mark.parametrize(("tag", "error"), [("", ValueError), (1, TypeError)])
def test_bad_tags_raise(tag, error) -> None:
    with pytest.raises(error, match=r"^add_text\(tag=\.\.\.\)"):
        text(tag, "x")


# -- through TensorBoard ---------------------------------------------------


def test_read_back_by_tensorboard(tmp_path) -> None:
    notes = ["first", "**second**", "ünïcode ✓"]
    with SummaryWriter(tmp_path) as writer:
        for step, note in enumerate(notes):
            writer.add_summary(text("notes", note), step)
        writer.add_summary(text("table", [["a", "b"], ["c", "d"]]), 0)
    acc = accumulator(tmp_path)
    events = acc.Tensors("notes")
    assert [event.step for event in events] == [0, 1, 2]
    assert [tensor_util.make_ndarray(event.tensor_proto).item().decode() for event in events] == notes
    assert acc.SummaryMetadata("notes").plugin_data.plugin_name == "text"
    table = tensor_util.make_ndarray(acc.Tensors("table")[0].tensor_proto)
    assert table.tolist() == [[b"a", b"b"], [b"c", b"d"]]


def test_served_by_tensorboard(tensorboard_server) -> None:
    run = "text_served"
    with SummaryWriter(os.path.join(tensorboard_server.logdir, run)) as writer:
        writer.add_summary(text("notes", "plain words"), 0)
        writer.add_summary(text("notes", "**bold** move"), 1)
        writer.add_summary(text("table", [["lr", "0.1"], ["tau", "10 ms"]]), 0)

    def served(tag: str, **query: str):
        return tensorboard_server.get("/data/plugin/text/text", run=run, tag=tag, **query)

    # "table" is the last event of the file: once it is served, so is everything before it.
    table = tensorboard_server.wait_for(lambda: served("table"), lambda events: len(events) == 1)[0]["text"]
    assert table.count("<tr>") == 2 and table.count("<td>") == 4
    for cell in ("lr", "0.1", "tau", "10 ms"):
        assert f"<td><p>{cell}</p></td>" in table
    notes = served("notes")
    assert [event["step"] for event in notes] == [0, 1]
    assert [event["text"] for event in notes] == ["<p>plain words</p>", "<p><strong>bold</strong> move</p>"]
    assert served("notes", markdown="false")[1]["text"] == "**bold** move"
    assert run in tensorboard_server.get("/data/plugin/text/tags")
