"""R's tfevents and neuroboard read each other's files: ``make compat-r`` runs these tests.

R's tfevents builds from source with a C++ compiler and protobuf (about 50 s),
so the exchange is collected only when ``NEUROBOARD_COMPAT_R=1``, which
``make compat-r`` sets once R and the packages are built. ``NEUROBOARD_R_LIB``
names the R library they were built into.

The R side is ``exchange.R``, one ``Rscript`` process per direction. It
reports in a table (its header says how the table is written), which
:func:`read_table` parses into one :class:`Entry` per value.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

if os.environ.get("NEUROBOARD_COMPAT_R") != "1":
    collect_ignore_glob = ["test_*.py"]

SCRIPT = Path(__file__).with_name("exchange.R")
R_TIMEOUT = 300.0

# (section, run, tag, step): section is "expected" (what R logged), "summary" (a row of R's
# collect_events(type = "summary")) or "scalar" (a row of its type = "scalar").
Key = tuple[str, str, str, int]


@dataclass
class Entry:
    """One value of the table: its plugin and its fields (float64 arrays, lists of str, or None)."""

    plugin: str
    fields: dict[str, Any] = field(default_factory=dict)

    def array(self, name: str = "values") -> np.ndarray:
        """Return the field ``name`` shaped by the field ``dim``, as R has it (column-major)."""
        return np.reshape(self.fields[name], self.fields["dim"].astype(int), order="F")

    def error(self) -> str | None:
        """Return the message of the error R's value() raised, or None."""
        return self.fields["error"][0] if "error" in self.fields else None


def _payload(kind: str, text: str) -> Any:
    if kind == "na":
        return None
    items = text.split(" ")
    if kind == "str":
        return [bytes.fromhex(item).decode("utf-8") for item in items]
    # R writes NA as "NA"; Python's float() knows "NaN" and "Inf".
    return np.array([np.nan if item == "NA" else float(item) for item in items], dtype=np.float64)


def read_table(path: Path) -> dict[Key, Entry]:
    """Return the table ``exchange.R`` wrote at ``path``, one entry per (section, run, tag, step)."""
    table: dict[Key, Entry] = {}
    for line in path.read_text(encoding="ascii").splitlines():
        section, run, tag, step, plugin, name, kind, text = line.split("\t")
        entry = table.setdefault((section, run, tag, int(step)), Entry(plugin))
        if name in entry.fields or entry.plugin != plugin:
            raise ValueError(
                f"{path}: a second {name!r} (plugin {plugin!r}) for {section} {run} {tag} {step}"
            )
        entry.fields[name] = _payload(kind, text)
    return table


def run_exchange(mode: str, logdir: Path) -> dict[Key, Entry]:
    """Run ``Rscript exchange.R mode logdir table`` and return its table."""
    env = dict(os.environ)
    library = os.environ.get("NEUROBOARD_R_LIB")
    if library:
        env["R_LIBS"] = os.pathsep.join(filter(None, [library, env.get("R_LIBS")]))
    out = logdir.with_name(f"{logdir.name}-{mode}.tsv")
    done = subprocess.run(
        ["Rscript", str(SCRIPT), mode, str(logdir), str(out)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=R_TIMEOUT,
    )
    if done.returncode:
        pytest.fail(f"Rscript exchange.R {mode} {logdir} failed ({done.returncode}):\n{done.stderr}")
    return read_table(out)


@pytest.fixture(scope="session")
def exchange() -> Callable[[str, Path], dict[Key, Entry]]:
    """The R side: ``exchange("write", logdir)`` or ``exchange("read", logdir)`` gives its table."""
    return run_exchange
