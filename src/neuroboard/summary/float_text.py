"""float32 matrices as tab-separated text, each value the shortest decimal that reads back exactly.

The text of each value is what ``str(numpy.float32(x))`` prints (NumPy's
shortest round-trip digits, positional from 1e-4 to 1e6, scientific
outside), but computed for whole arrays at once: :func:`float32_tsv` is the
fast path, :func:`float32_tsv_reference` the per-value reference, and the
tests check that they give the same bytes.

"Reads back" means as TensorBoard's projector reads it: Python's ``float``
(the nearest double), then rounded to float32. For a value ``x`` and ``p``
digits, the candidates are the two p-digit decimals around ``x``; with
``10**k`` exact in float64 for ``k <= 22``, one multiplication or division
gives the same double as ``float(text)``, so each candidate is checked
exactly. The fewest digits that work are found by bisection over ``p`` in
1..9 (nine always work for float32). Values too small or too large for exact
powers (below 1e-14, from 1e22), zeros aside, and NaN and infinities take
the reference path one by one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["float32_tsv", "float32_tsv_reference"]

_POW10 = np.array([10.0**k for k in range(23)])
_INT10 = 10 ** np.arange(10, dtype=np.int64)
# float64, so that float32 values are compared with the exact bounds (float32(1e-4) is below 1e-4).
_FAST_LOW, _FAST_HIGH = np.float64(1e-14), np.float64(1e22)
# NumPy prints a float32 positionally when 1e-4 <= |x| < 1e6.
_POSITIONAL_LOW, _POSITIONAL_HIGH = np.float64(1e-4), np.float64(1e6)
# Fifteen characters at most ('-1.2345678e-05', '-0.00012345678'), then the separator.
_WIDTH = 16
# Values formatted at a time: the work arrays of a block (128 kB of float64) stay in cache.
_BLOCK = 1 << 14

# Each value's characters are gathered from a row of sources: its nine
# digits, then these columns.
_MINUS, _DOT, _ZERO, _E, _EXP_SIGN, _EXP_TENS, _EXP_ONES, _NUL = range(9, 17)
_SOURCES = 17
# Layouts: positional with first-digit exponent e (e + 4 for e in -4..5), and scientific.
_SCIENTIFIC = 10


def _gather_table() -> np.ndarray:
    """Return, per (sign, layout, digit count), the source column of each output character."""
    table = np.full((2, 11, 9, _WIDTH - 1), _NUL, np.int32)
    for negative in (0, 1):
        for layout in range(11):
            for count in range(1, 10):
                chars = [_MINUS] if negative else []
                exponent = layout - 4
                if layout == _SCIENTIFIC:
                    fraction = [_DOT, *range(1, count)] if count > 1 else []
                    chars += [0, *fraction, _E, _EXP_SIGN, _EXP_TENS, _EXP_ONES]
                elif exponent >= 0:
                    # The integer part, then the fraction, or '.0' when there is none.
                    whole = list(range(exponent + 1))
                    chars += (
                        whole
                        + [_DOT]
                        + (list(range(exponent + 1, count)) if count > exponent + 1 else [_ZERO])
                    )
                else:
                    chars += [_ZERO, _DOT] + [_ZERO] * (-exponent - 1) + list(range(count))
                table[negative, layout, count - 1, : len(chars)] = chars
    return table.reshape(-1, _WIDTH - 1)


_GATHER = _gather_table()


def _shortest(a32: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return, for positive float32 values ``a32`` from 1e-14 to 1e22 (``a`` in float64), their shortest digits.

    That is ``(digits, count, exponent, found)``: the value reads as
    ``digits * 10**(exponent - count + 1)``; ``found`` is False where nine
    digits did not work either (never seen; the caller then takes the reference).
    """
    exponent = np.floor(np.log10(a)).astype(np.int64)
    # log10 may be one off next to a power of ten: the leading digit must lie in [1, 10).
    lead = a * np.take(_POW10, np.maximum(-exponent, 0)) / np.take(_POW10, np.maximum(exponent, 0))
    exponent += (lead >= 10.0).astype(np.int64) - (lead < 1.0)

    def candidates(count: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        shift = count - 1 - exponent
        # One of the two is 1.0, so each product below is rounded once.
        up = np.take(_POW10, np.maximum(shift, 0))
        down = np.take(_POW10, np.maximum(-shift, 0))
        scaled = a * up / down
        near = np.rint(scaled)
        other = near + np.sign(scaled - near)
        near_ok = (near * down / up).astype(np.float32) == a32
        other_ok = (other * down / up).astype(np.float32) == a32
        return near, other, near_ok, other_ok

    # Bisection is sound: if some p-digit decimal reads back, so does the (p+1)-digit one next to x on its side.
    low = np.ones(len(a), np.int64)
    high = np.full(len(a), 9, np.int64)
    while True:
        open_ = low < high
        if not open_.any():
            break
        middle = (low + high) >> 1
        _, _, near_ok, other_ok = candidates(middle)
        works = near_ok | other_ok
        high = np.where(open_ & works, middle, high)
        low = np.where(open_ & ~works, middle + 1, low)
    near, other, near_ok, other_ok = candidates(low)
    digits = np.where(near_ok, near, other).astype(np.int64)
    # Rounding up to 10**p gives a single 1, one decade up.
    carried = digits == _INT10[low]
    digits[carried] = 1
    low[carried] = 1
    exponent[carried] += 1
    return digits, low, exponent, near_ok | other_ok


def _format_block(x32: np.ndarray) -> np.ndarray:
    """Return the text of each value of a 1-D float32 array as a row of ``_WIDTH`` bytes, 0 where unused."""
    size = len(x32)
    magnitude = np.abs(x32)
    negative = np.signbit(x32)
    # Signalling NaNs make the casts warn; they take the reference path anyway.
    with np.errstate(invalid="ignore"):
        wide = magnitude.astype(np.float64)
        fast = (wide >= _FAST_LOW) & (wide < _FAST_HIGH)
        positional = ((wide >= _POSITIONAL_LOW) & (wide < _POSITIONAL_HIGH)) | (wide == 0)
    zero = magnitude == 0
    if fast.all():
        digits, count, exponent, found = _shortest(magnitude, wide)
    else:
        # Zeros print as '0.0': one digit 0 at exponent 0.
        digits = np.zeros(size, np.int64)
        count = np.ones(size, np.int64)
        exponent = np.zeros(size, np.int64)
        found = zero.copy()
        where = np.flatnonzero(fast)
        if len(where):
            digits[where], count[where], exponent[where], found[where] = _shortest(
                magnitude[where], wide[where]
            )
    sources = np.empty((size, _SOURCES), np.uint8)
    left = (digits * _INT10[9 - count]).astype(np.uint32)
    ten = np.uint32(10)
    for column in range(8, -1, -1):
        left, sources[:, column] = np.divmod(left, ten)
    sources[:, :9] += ord("0")
    sources[:, _MINUS] = ord("-")
    sources[:, _DOT] = ord(".")
    sources[:, _ZERO] = ord("0")
    sources[:, _E] = ord("e")
    sources[:, _EXP_SIGN] = np.where(exponent < 0, ord("-"), ord("+"))
    power = np.abs(exponent)
    sources[:, _EXP_TENS] = power // 10 + ord("0")
    sources[:, _EXP_ONES] = power % 10 + ord("0")
    sources[:, _NUL] = 0
    layout = np.where(positional, exponent + 4, _SCIENTIFIC)
    key = ((negative * 11 + layout) * 9 + count - 1).astype(np.int32)
    index = np.take(_GATHER, key, axis=0)
    # In place: a new array for the sum makes the gather below several times slower.
    index += (np.arange(size, dtype=np.int32) * _SOURCES)[:, None]
    out = np.zeros((size, _WIDTH), np.uint8)
    out[:, : _WIDTH - 1] = np.take(sources.ravel(), index)
    for position in np.flatnonzero(~found):
        text = str(x32[position]).encode()
        out[position] = 0
        out[position, : len(text)] = np.frombuffer(text, np.uint8)
    return out


def float32_tsv(matrix: np.ndarray) -> bytes:
    """Return a 2-D float32 array as text: values tab-separated, each row ending in a newline.

    >>> float32_tsv(np.array([[0.1, -2.0], [1e-5, np.inf]], np.float32))
    b'0.1\\t-2.0\\n1e-05\\tinf\\n'
    """
    rows, columns = matrix.shape
    flat = np.ascontiguousarray(matrix, dtype=np.float32).ravel()
    per_block = max(1, _BLOCK // columns)
    pieces = []
    for start in range(0, rows, per_block):
        out = _format_block(flat[start * columns : (start + per_block) * columns])
        out[:, -1] = ord("\t")
        out.reshape(-1, columns, _WIDTH)[:, -1, -1] = ord("\n")
        chars = out.ravel()
        pieces.append(chars[chars != 0].tobytes())
    return b"".join(pieces)


def float32_tsv_reference(matrix: np.ndarray) -> bytes:
    """Return what :func:`float32_tsv` returns, one ``str(numpy.float32(x))`` at a time.

    >>> float32_tsv_reference(np.array([[0.1, -2.0]], np.float32))
    b'0.1\\t-2.0\\n'
    """
    values = np.asarray(matrix, dtype=np.float32)
    return "".join("\t".join(str(value) for value in row) + "\n" for row in values).encode()
