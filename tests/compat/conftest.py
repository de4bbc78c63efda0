"""Comparisons with seed systems too slow to install and run in every test run: ``make compat`` runs them.

ANNarchy installs from source and compiles each network with a C++ compiler
(about 40 s to install, 25 s per network), so its side-by-side tests are
collected only when ``NEUROBOARD_COMPAT=1``, which ``make compat`` sets after
installing ANNarchy into the venv.
"""

from __future__ import annotations

import os

if os.environ.get("NEUROBOARD_COMPAT") != "1":
    collect_ignore_glob = ["test_*.py"]
