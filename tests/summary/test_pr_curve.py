"""pr_curve(): the curve checked value for value against torch's compute_curve, the proto against torch's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorboard.plugins.pr_curve import metadata as tb_metadata
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from tensorboard.util.tensor_util import make_ndarray

from neuroboard.summary.pr_curve import (
    MAX_THRESHOLDS,
    PLUGIN_NAME,
    ROWS,
    pr_curve,
    pr_curve_data,
    pr_curve_metadata,
    pr_curve_raw,
)

torch = pytest.importorskip("torch")
torch_summary = pytest.importorskip("torch.utils.tensorboard.summary")


def torch_curve(labels, predictions, num_thresholds=127, weights=None) -> np.ndarray:
    """The reference: torch's own computation, on the NumPy arrays torch's writer hands it."""
    return torch_summary.compute_curve(
        np.asarray(labels), np.asarray(predictions), num_thresholds=num_thresholds, weights=weights
    )


@st.composite
def examples(draw, dtypes=(np.float64, np.float32, np.float16)):
    """Labels (bool or 0/1 ints) and predictions in [0, 1], with values on the thresholds now and then."""
    size = draw(st.integers(0, 300))
    num_thresholds = draw(st.sampled_from([2, 3, 10, 127]))
    dtype = draw(st.sampled_from(dtypes))
    on_thresholds = st.integers(0, num_thresholds - 1).map(
        lambda i: float(np.dtype(dtype).type(i / (num_thresholds - 1)))
    )
    elements = st.one_of(st.floats(0, 1, width=np.finfo(dtype).bits), on_thresholds)
    predictions = draw(hnp.arrays(dtype, size, elements=elements))
    labels = draw(
        hnp.arrays(draw(st.sampled_from([np.bool_, np.int64, np.float32])), size, elements=st.booleans())
    )
    return labels, predictions, num_thresholds


# -- values, against torch -------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(example=examples())
def test_curve_equals_torch(example) -> None:
    labels, predictions, num_thresholds = example
    np.testing.assert_array_equal(
        pr_curve_data(labels, predictions, num_thresholds), torch_curve(labels, predictions, num_thresholds)
    )


@settings(max_examples=100, deadline=None)
@given(
    example=examples(),
    weight=st.floats(0, 1e6),
    seed=st.integers(0, 2**32 - 1),
    per_example=st.booleans(),
)
def test_weighted_curve_equals_torch(example, weight, seed, per_example) -> None:
    labels, predictions, num_thresholds = example
    weights = np.random.default_rng(seed).random(len(labels)) * weight if per_example else weight
    np.testing.assert_array_equal(
        pr_curve_data(labels, predictions, num_thresholds, weights),
        torch_curve(labels, predictions, num_thresholds, weights),
    )


@pytest.mark.parametrize("size", [65_536, 65_537, 200_000])
def test_weighted_sums_round_as_numpy_histogram_does_past_one_block(size) -> None:
    rng = np.random.default_rng(size)
    labels, predictions, weights = rng.integers(0, 2, size), rng.random(size), rng.random(size) * 1e3
    np.testing.assert_array_equal(
        pr_curve_data(labels, predictions, 127, weights), torch_curve(labels, predictions, 127, weights)
    )


def test_summary_equals_torchs_summary() -> None:
    rng = np.random.default_rng(3)
    labels, predictions = rng.integers(0, 2, 1000), rng.random(1000).astype(np.float32)
    ours = pr_curve("pr/val", labels, predictions).value[0]
    theirs = torch_summary.pr_curve("pr/val", labels, predictions).value[0]
    assert ours.tag == theirs.tag
    assert ours.metadata == theirs.metadata
    got, expected = make_ndarray(ours.tensor), make_ndarray(theirs.tensor)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_metadata_is_the_plugins() -> None:
    metadata = pr_curve_metadata(201, "PR", "on the test set")
    assert metadata == tb_metadata.create_summary_metadata("PR", "on the test set", 201)
    parsed = tb_metadata.parse_plugin_metadata(metadata.plugin_data.content)
    assert (PLUGIN_NAME, parsed.version, parsed.num_thresholds) == ("pr_curves", 0, 201)


def test_rows_are_in_the_plugins_order() -> None:
    indices = [
        tb_metadata.TRUE_POSITIVES_INDEX,
        tb_metadata.FALSE_POSITIVES_INDEX,
        tb_metadata.TRUE_NEGATIVES_INDEX,
        tb_metadata.FALSE_NEGATIVES_INDEX,
        tb_metadata.PRECISION_INDEX,
        tb_metadata.RECALL_INDEX,
    ]
    assert indices == list(range(6)) and len(ROWS) == 6


def test_a_small_curve_by_hand() -> None:
    # Thresholds 0, 0.5, 1: 0.9 counts at 0 and 0.5; 0.2 and 0.4 only at 0; nothing reaches 1.
    tp, fp, tn, fn, precision, recall = pr_curve_data([True, False, True], [0.9, 0.4, 0.2], 3)
    assert (tp.tolist(), fp.tolist(), tn.tolist(), fn.tolist()) == (
        [2, 1, 0],
        [1, 0, 0],
        [0, 1, 1],
        [0, 1, 2],
    )
    assert precision.tolist() == [2 / 3, 1.0, 0.0]
    assert recall.tolist() == [1.0, 0.5, 0.0]


def test_more_than_127_thresholds_are_kept() -> None:
    rng = np.random.default_rng(4)
    labels, predictions = rng.integers(0, 2, 500), rng.random(500)
    value = pr_curve("pr", labels, predictions, num_thresholds=201).value[0]
    assert make_ndarray(value.tensor).shape == (6, 201)
    assert PrCurvePluginData.FromString(value.metadata.plugin_data.content).num_thresholds == 201
    # torch cuts to 127 without a word.
    assert make_ndarray(torch_summary.pr_curve("pr", labels, predictions, 201).value[0].tensor).shape == (
        6,
        127,
    )
    np.testing.assert_array_equal(
        pr_curve_data(labels, predictions, 201), torch_curve(labels, predictions, 201)
    )


def test_float16_predictions_past_2048_thresholds_use_float32() -> None:
    predictions = np.array([0.0, 0.5, 1.0], dtype=np.float16)
    tp = pr_curve_data([True, True, True], predictions, 5000)[0]
    assert (tp[0], tp[2499], tp[2500], tp[4999]) == (3, 2, 1, 1)


def test_empty_input_gives_a_curve_of_zeros_as_in_torch() -> None:
    np.testing.assert_array_equal(pr_curve_data([], [], 5), np.zeros((6, 5)))
    np.testing.assert_array_equal(pr_curve_data([], [], 5), torch_curve(np.array([]), np.array([]), 5))


# -- input types -----------------------------------------------------------


def test_torch_tensors_give_what_their_arrays_give() -> None:
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (200,), generator=generator)
    predictions = torch.rand(200, generator=generator, requires_grad=True)
    weights = torch.rand(200, generator=generator)
    expected = torch_curve(labels.numpy(), predictions.detach().numpy(), 127, weights.numpy())
    np.testing.assert_array_equal(pr_curve_data(labels, predictions, weights=weights), expected)
    np.testing.assert_array_equal(pr_curve_data(labels.bool(), predictions * 1, weights=weights), expected)
    widened = pr_curve_data(labels, predictions.detach().bfloat16())
    assert widened.shape == (6, 127) and widened[0, 0] == labels.sum()


@pytest.mark.parametrize(
    ("labels", "predictions"),
    [
        ([1, 0, 1], [0.8, 0.3, 0.5]),
        ((True, False, True), (0.8, 0.3, 0.5)),
        (np.array([1.0, 0.0, 1.0]), np.array([0.8, 0.3, 0.5], dtype=np.float32)),
        (np.array([[1, 0], [1, 1]], dtype=np.uint8), np.array([[0.8, 0.3], [0.5, 1.0]])),
        (np.array([1, 0, 1]), np.array([1, 0, 0])),
        (np.array([1, 0, 1]), np.array([True, False, False])),
    ],
    ids=["lists", "tuples", "float-labels", "2-d", "int-predictions", "bool-predictions"],
)
def test_array_likes_give_what_torch_gives(labels, predictions) -> None:
    np.testing.assert_array_equal(
        pr_curve_data(labels, predictions, 11), torch_curve(labels, predictions, 11)
    )


# -- refusals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("predictions", "found"),
    [
        ([0.5, -0.1, 0.2], "values from -0.1 to 0.5"),
        ([0.5, 1.5], "values from 0.5 to 1.5"),
        ([0.5, 1.001], "values from 0.5 to 1.001"),
        ([0.5, np.nan], "NaN"),
        ([np.inf, 0.5], "values from 0.5 to inf"),
    ],
)
def test_predictions_outside_0_1_are_refused(predictions, found) -> None:
    with pytest.raises(ValueError) as error:
        pr_curve("pr", [1] * len(predictions), predictions)
    assert str(error.value) == f"add_pr_curve(predictions=...): expected probabilities in [0, 1], got {found}"


@pytest.mark.parametrize(
    ("labels", "odd"), [([1, 2, 0], "2"), ([0.0, 0.5], "0.5"), ([1.0, np.nan], "nan"), ([-1, 0], "-1")]
)
def test_labels_other_than_0_1_are_refused(labels, odd) -> None:
    with pytest.raises(ValueError) as error:
        pr_curve("pr", labels, [0.5] * len(labels))
    assert str(error.value) == f"add_pr_curve(labels=...): expected bool or 0/1 labels, got {odd} among them"


def test_shapes_must_match() -> None:
    with pytest.raises(
        ValueError,
        match=r"^add_pr_curve\(predictions=\.\.\.\): expected the labels' shape \(3,\), got \(3, 1\)$",
    ):
        pr_curve("pr", [1, 0, 1], [[0.5], [0.2], [0.1]])


@pytest.mark.parametrize(
    ("num_thresholds", "error"),
    [
        (1, ValueError),
        (0, ValueError),
        (MAX_THRESHOLDS + 1, ValueError),
        (2.0, TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_bad_num_thresholds_are_refused(num_thresholds, error) -> None:
    with pytest.raises(
        error, match=r"^add_pr_curve\(num_thresholds=\.\.\.\): expected an int from 2 to 1,000,000"
    ):
        pr_curve("pr", [1], [0.5], num_thresholds)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (
            np.ones(2),
            r"expected a number or an array that broadcasts to the labels' shape \(3,\), got shape \(2,\)",
        ),
        ([1.0, -1.0, 1.0], r"expected finite weights >= 0, got -1.0 among them"),
        (np.nan, r"expected finite weights >= 0, got nan among them"),
        ([1.0, np.inf, 1.0], r"expected finite weights >= 0, got inf among them"),
    ],
)
def test_bad_weights_are_refused(weights, message) -> None:
    with pytest.raises(ValueError, match=rf"^add_pr_curve\(weights=\.\.\.\): {message}$"):
        pr_curve("pr", [1, 0, 1], [0.5, 0.2, 0.1], weights=weights)


@pytest.mark.parametrize(
    ("arg", "labels", "predictions"), [("labels", ["a"], [0.5]), ("predictions", [1], ["x"])]
)
def test_non_numeric_inputs_raise_type_error(arg, labels, predictions) -> None:
    with pytest.raises(TypeError, match=rf"^add_pr_curve\({arg}=\.\.\.\): expected a numeric array"):
        pr_curve("pr", labels, predictions)


@pytest.mark.parametrize(("tag", "error"), [("", ValueError), (None, TypeError)])
def test_bad_tags_are_refused(tag, error) -> None:
    with pytest.raises(error, match=r"^add_pr_curve\(tag=\.\.\.\)"):
        pr_curve(tag, [1], [0.5])


# -- raw curves ------------------------------------------------------------

RAW = {
    "true_positive_counts": [75, 64, 21, 5, 0],
    "false_positive_counts": [150, 105, 18, 0, 0],
    "true_negative_counts": [0, 45, 132, 150, 150],
    "false_negative_counts": [0, 11, 54, 70, 75],
    "precision": [0.3333333, 0.3786982, 0.5384616, 1.0, 0.0],
    "recall": [1.0, 0.8533334, 0.28, 0.0666667, 0.0],
}


def test_raw_curve_equals_torchs() -> None:
    ours = pr_curve_raw("raw", *RAW.values()).value[0]
    theirs = torch_summary.pr_curve_raw("raw", *RAW.values(), num_thresholds=5).value[0]
    assert ours.metadata == theirs.metadata
    np.testing.assert_array_equal(make_ndarray(ours.tensor), make_ndarray(theirs.tensor))
    np.testing.assert_array_equal(make_ndarray(ours.tensor), np.array(list(RAW.values()), dtype=np.float32))


def test_raw_curve_metadata_counts_the_values() -> None:
    # torch writes its num_thresholds argument (127 by default) whatever the length.
    value = pr_curve_raw("raw", *(torch.tensor(row) for row in RAW.values())).value[0]
    assert PrCurvePluginData.FromString(value.metadata.plugin_data.content).num_thresholds == 5


@pytest.mark.parametrize("arg", list(RAW))
def test_raw_rows_of_another_length_are_refused(arg) -> None:
    rows = dict(RAW, **{arg: RAW[arg][:4]})
    if arg == "true_positive_counts":
        arg = "false_positive_counts"
    with pytest.raises(ValueError, match=rf"^add_pr_curve_raw\({arg}=\.\.\.\): expected (5|4) values"):
        pr_curve_raw("raw", *rows.values())


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "a non-empty 1-D array, got shape (0,)"),
        ([[1.0]], "a non-empty 1-D array, got shape (1, 1)"),
        ([np.nan], "finite values, got nan"),
    ],
)
def test_raw_bad_rows_are_refused(bad, message) -> None:
    rows = {name: bad if name == "recall" else [1.0] for name in RAW}
    with pytest.raises(ValueError) as error:
        pr_curve_raw("raw", *rows.values())
    assert str(error.value) == f"add_pr_curve_raw(recall=...): expected {message}"
