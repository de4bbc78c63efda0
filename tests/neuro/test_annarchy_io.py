"""annarchy_to_observer without ANNarchy: what is not a Monitor is refused before anything is read.

The conversions themselves are compared with ANNarchy's own Monitor in
tests/compat/test_annarchy_monitor.py (``make compat``, run by CI).
"""

from __future__ import annotations

import pytest

from neuroboard.neuro.annarchy_io import annarchy_to_observer


@pytest.mark.parametrize(
    ("monitors", "error", "message"),
    [
        (
            "m",
            TypeError,
            r"annarchy_to_observer\(monitors=...\): expected an ANNarchy Monitor or a list of them, got str",
        ),
        ([], ValueError, r"monitors=...\): expected at least one Monitor, got none"),
        ([object()], TypeError, r"monitors\[0\]=...\): expected an ANNarchy Monitor, got object"),
    ],
)
def test_what_is_not_a_monitor_is_refused(monitors, error, message) -> None:
    with pytest.raises(error, match=message):
        annarchy_to_observer(monitors)
