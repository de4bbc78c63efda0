"""Side by side with Brian2 itself: ``make compat-brian2`` runs these tests.

Brian2 2.9 (what installs on Python 3.11) calls ``np.ndarray.ptp``, which
NumPy 2 removed, so it cannot share the test venv (NumPy 2): ``make
compat-brian2`` makes a venv of its own with ``numpy<2`` and sets
``NEUROBOARD_COMPAT_BRIAN2=1``, without which nothing here is collected.
"""

from __future__ import annotations

import os

if os.environ.get("NEUROBOARD_COMPAT_BRIAN2") != "1":
    collect_ignore_glob = ["test_*.py", "brian2_table.py"]
