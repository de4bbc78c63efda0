"""annarchy_to_observer without ANNarchy: what is not a Monitor is refused before anything is read.

The conversions themselves are compared with ANNarchy's own Monitor in
tests/compat/test_annarchy_monitor.py (``make compat``, run by CI).
"""

from __future__ import annotations

import pytest

from neuroboard.neuro.annarchy_io import annarchy_to_observer, annarchy_to_tensorboard


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


def test_to_tensorboard_checks_its_writer_and_prefix_first() -> None:
    with pytest.raises(
        TypeError, match=r"^annarchy_to_tensorboard\(writer_or_logdir=...\): expected a logdir, .* got float"
    ):
        annarchy_to_tensorboard([object()], 3.5)
    with pytest.raises(TypeError, match=r"^annarchy_to_tensorboard\(prefix=...\): expected a str, got int"):
        annarchy_to_tensorboard([object()], "runs", prefix=3)
    with pytest.raises(
        TypeError, match=r"^annarchy_to_tensorboard\(keep=...\): expected True or False, got str"
    ):
        annarchy_to_tensorboard([object()], "runs", keep="no")
