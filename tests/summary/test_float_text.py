"""summary.float_text: the array formatter gives NumPy's shortest text, and it reads back bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorboard.plugins.projector.projector_plugin import _read_tensor_tsv_file

from neuroboard.summary.float_text import float32_tsv, float32_tsv_reference

RNG = np.random.default_rng(11)

EDGES = [
    0.0, -0.0, 1.0, -1.0, 33.0, 0.1, 0.5, 100.0, 12.5, 2.0**24, 2.0**-24, 1234567.0, 999999.94,
    1e6, 1e-4, 1.00000005e-4, 9.9999e-5, 1e-5, 1e-14, 9.9e-15, 1e20, 9.9e21, 1e22, 1e-30, 1e-45,
    1.17549435e-38, 3.4028235e38, -3.4028235e38, np.nan, np.inf, -np.inf,
]  # fmt: skip


def assert_numpy_text(matrix: np.ndarray) -> None:
    """float32_tsv prints NumPy 2's text; NumPy 1 prints 1e6 <= |x| < 1e16 positionally, the same values."""
    ours, numpys = float32_tsv(matrix), float32_tsv_reference(matrix)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        assert ours == numpys
    else:
        assert same_bits(np.array(ours.split(), np.float32), np.array(numpys.split(), np.float32))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal float32 arrays, bit for bit, with every NaN equal to every NaN."""
    nan = np.isnan(a)
    return bool((nan == np.isnan(b)).all() and (a[~nan].view(np.uint32) == b[~nan].view(np.uint32)).all())


@pytest.mark.parametrize(
    "matrix",
    [
        RNG.standard_normal((300, 17)),
        RNG.random((50, 128)),
        np.round(RNG.standard_normal((60, 40)), 3),
        RNG.integers(-1000, 1000, (40, 30)),
        RNG.standard_normal((70, 50)) * 10.0 ** RNG.integers(-40, 38, (70, 50)),
        np.array([EDGES]),
        np.array(EDGES)[:, None],
        RNG.standard_normal((3000, 23)),  # rows that straddle blocks
    ],
    ids=["normal", "uniform", "rounded", "integers", "all-exponents", "edges-row", "edges-column", "blocks"],
)
def test_same_text_as_numpy_one_value_at_a_time(matrix) -> None:
    matrix = matrix.astype(np.float32)
    assert_numpy_text(matrix)


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.uint32, hnp.array_shapes(min_dims=2, max_dims=2, max_side=40), elements=st.integers(0, 2**32 - 1)
    )
)
def test_any_bit_pattern_prints_as_numpy_prints_it(bits) -> None:
    matrix = bits.view(np.float32)
    assert_numpy_text(matrix)


@pytest.mark.parametrize("source", [np.float32, np.float64])
def test_projector_reads_back_the_same_float32(tmp_path, source) -> None:
    matrix = (RNG.standard_normal((200, 64)) * 10.0 ** RNG.integers(-12, 12, (200, 64))).astype(source)
    matrix[0, : len(EDGES)] = EDGES
    expected = matrix.astype(np.float32)
    path = tmp_path / "tensors.tsv"
    path.write_bytes(float32_tsv(expected))
    assert same_bits(_read_tensor_tsv_file(str(path)), expected)


def test_shortest_digits() -> None:
    # float32(0.1) is 0.100000001490116...; the shortest text that reads back is "0.1".
    assert (
        float32_tsv(np.array([[0.1, 1 / 3, 16777217.0]], np.float32)) == b"0.1\t0.33333334\t1.6777216e+07\n"
    )
