"""Shared helpers: timing in fresh logdirs, optional peers, and the result table."""

from __future__ import annotations

import dataclasses
import datetime
import gc
import importlib
import math
import os
import platform
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "MemoryRow",
    "Row",
    "best_seconds",
    "best_seconds_alternating",
    "compare",
    "load_peers",
    "markdown_table",
    "print_header",
    "print_row",
    "print_table",
    "write_results",
    "writer_loop",
]

# Peers in the order they are reported: display name -> (module, class).
_PEERS = {
    "tensorboardX": ("tensorboardX", "SummaryWriter"),
    "torch": ("torch.utils.tensorboard", "SummaryWriter"),
}


@dataclasses.dataclass(frozen=True)
class Row:
    """One comparison: our rate and a peer's rate for the same work, in items per second."""

    name: str
    unit: str
    ours: float
    peer: float
    target: float | None = None

    @property
    def ratio(self) -> float:
        return self.ours / self.peer

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "PASS" if self.ratio >= self.target else "MISS"


@dataclasses.dataclass(frozen=True)
class MemoryRow(Row):
    """One memory check: our peak bytes (``ours``) against a reference size in bytes (``peer``).

    Lower is better here, so ``target`` is the largest ratio that passes;
    ``reference`` names what ``peer`` measures.
    """

    reference: str = "frame"

    def __post_init__(self) -> None:
        if self.unit != "B":
            raise ValueError(f"MemoryRow(unit=...): expected 'B', got {self.unit!r}")

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "PASS" if self.ratio <= self.target else "MISS"

    def cells(self) -> tuple[str, ...]:
        """Return the table cells: sizes instead of rates, and an upper bound as the target."""
        target = "-" if self.target is None else f"<={self.target:g}x"
        return (
            self.name,
            _bytes(self.ours, "peak"),
            _bytes(self.peer, self.reference),
            f"{self.ratio:8.1f}x",
            target,
            self.verdict,
        )


def best_seconds(run: Callable[[str], object], *, repeats: int = 3, budget: float = 3.0) -> float:
    """Return the fastest of up to ``repeats`` calls of ``run(logdir)``, each in a fresh logdir.

    The logdir is made before the clock starts and removed after it stops, so
    neither counts. Repeating stops once ``budget`` seconds have been spent:
    a slow peer then runs once, which is accurate enough for a run of seconds.
    """
    best = math.inf
    spent = 0.0
    for _ in range(max(1, repeats)):
        with tempfile.TemporaryDirectory(prefix="neuroboard-bench-") as logdir:
            # Collect the previous run's garbage now so it is not charged to this one.
            gc.collect()
            start = time.perf_counter()
            run(logdir)
            elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent >= budget:
            break
    return best


def best_seconds_alternating(runs: dict[str, Callable[[], object]], *, rounds: int = 3) -> dict[str, float]:
    """Return the fastest of ``rounds`` calls of each of ``runs``, called in turn round after round.

    Taking turns spreads a noisy machine's slow spells over every contender
    instead of charging one of them with all of a spell. Every other round
    goes in the reverse order, so that none always runs right after the
    same one (and pays for what that one leaves behind).
    """
    best = dict.fromkeys(runs, math.inf)
    for turn in range(max(1, rounds)):
        for name, run in list(runs.items())[:: -1 if turn % 2 else 1]:
            gc.collect()
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def compare(
    name: str,
    unit: str,
    ours: Callable[[str], object],
    ours_items: int,
    peers: dict[str, Callable[[str], object]],
    peer_items: int,
    target: float | None,
    repeats: int,
    target_peer: str = "tensorboardX",
) -> list[Row]:
    """Time ``ours`` and each peer's work; print and return one row per peer.

    Only the ``target_peer`` row carries ``target``: the others are reported for reference.
    """
    ours_rate = ours_items / best_seconds(ours, repeats=repeats)
    rows = []
    for peer_name, work in peers.items():
        peer_rate = peer_items / best_seconds(work, repeats=repeats)
        row = Row(
            f"{name} vs {peer_name}",
            unit,
            ours_rate,
            peer_rate,
            target if peer_name == target_peer else None,
        )
        print_row(row)
        rows.append(row)
    return rows


def writer_loop(
    writer_class: type, call: Callable[[object, int], object], calls: int
) -> Callable[[str], None]:
    """Return the timed work: open a writer of ``writer_class``, ``call(writer, step)`` per step, close it."""

    def work(logdir: str) -> None:
        writer = writer_class(logdir)
        for step in range(calls):
            call(writer, step)
        writer.close()

    return work


def load_peers(names: Iterable[str] = _PEERS) -> dict[str, type]:
    """Return the peer SummaryWriter classes that import, saying which ones are skipped."""
    peers = {}
    for name in names:
        module, attribute = _PEERS[name]
        try:
            peers[name] = getattr(importlib.import_module(module), attribute)
        except ImportError as error:
            print(f"  (skipping {name}: {error})")
    return peers


def _rate(value: float, unit: str) -> str:
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:7.2f} {prefix} {unit}/s"
    return f"{value:7.2f}   {unit}/s"


def _bytes(value: float, what: str) -> str:
    for scale, prefix in ((1 << 30, "Gi"), (1 << 20, "Mi"), (1 << 10, "ki")):
        if value >= scale:
            return f"{value / scale:7.2f} {prefix}B {what}"
    return f"{value:7.0f}   B {what}"


_HEADER = ("benchmark", "ours", "peer", "ratio", "target", "")
_WIDTHS = (48, 20, 20, 9, 7, 4)


def _line(cells: Iterable[str]) -> str:
    return " | ".join(cell.ljust(width) for cell, width in zip(cells, _WIDTHS)).rstrip()


def _cells(row: Row) -> tuple[str, ...]:
    if isinstance(row, MemoryRow):
        return row.cells()
    target = "-" if row.target is None else f">={row.target:g}x"
    return (
        row.name,
        _rate(row.ours, row.unit),
        _rate(row.peer, row.unit),
        f"{row.ratio:8.1f}x",
        target,
        row.verdict,
    )


def print_header() -> None:
    """Print the column titles and a rule."""
    print(_line(_HEADER))
    print("-" * (sum(_WIDTHS) + 3 * (len(_WIDTHS) - 1)))


def print_row(row: Row) -> None:
    """Print one row, as soon as it is measured."""
    print(_line(_cells(row)), flush=True)


def print_table(rows: list[Row]) -> None:
    """Print every row again as one table, then how many targets were met."""
    print_header()
    for row in rows:
        print_row(row)
    judged = [row for row in rows if row.target is not None]
    passed = sum(row.verdict == "PASS" for row in judged)
    print(f"\n{passed} of {len(judged)} targets met.")


#: The results table of a full run sits between these two lines of the page.
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"


def machine() -> str:
    """Return what the numbers were measured on: cores, Python version, platform."""
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}"
    )


def _md(cell: str) -> str:
    return " ".join(cell.split()).replace("|", "\\|") or "–"


def markdown_table(
    rows: Iterable[tuple[str, Row]], *, date: str | None = None, where: str | None = None
) -> str:
    """Return the results as Markdown: a line saying when and where, then one table row per result.

    ``rows`` holds ``(area, row)`` pairs in the order they were measured.
    """
    date = date or datetime.date.today().isoformat()
    where = where or machine()
    lines = [
        f"Measured {date} on {where}.",
        "",
        "| area | benchmark | ours | peer | ratio | target | pass |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for area, row in rows:
        name, ours, peer, ratio, target, verdict = _cells(row)
        cells = (area, name, ours, peer, ratio.strip(), target, verdict)
        lines.append("| " + " | ".join(_md(cell) for cell in cells) + " |")
    return "\n".join(lines)


def write_results(page: str | os.PathLike[str], table: str) -> None:
    """Replace the text between the bench markers of ``page`` with ``table``.

    The page must hold both markers, start before end; everything outside them is kept.
    """
    path = Path(page)
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"write_results(page={str(path)!r}): expected one {START_MARK} ... {END_MARK} block")
    block = f"{START_MARK}\n{table}\n{END_MARK}"
    path.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")
