"""The Brian2 examples of docs/from-brian2.md, which the regular doc test passes over, run with Brian2."""

from __future__ import annotations

import brian2 as b2
import pytest

from tests.test_docs import _blocks

PAGE = "docs/from-brian2.md"
NEEDS_BRIAN2 = [
    (line, source) for line, source in _blocks(PAGE) if source.startswith("# not run: needs Brian2")
]


def test_the_page_has_brian2_examples() -> None:
    assert len(NEEDS_BRIAN2) >= 3


@pytest.mark.parametrize("line,source", NEEDS_BRIAN2, ids=[f"line {line}" for line, _ in NEEDS_BRIAN2])
def test_brian2_example_runs(line: int, source: str, tmp_path, monkeypatch) -> None:
    b2.prefs.codegen.target = "numpy"
    monkeypatch.chdir(tmp_path)
    # The page is ours: its examples run as the regular doc test runs the others.
    exec(compile(source, f"{PAGE}:{line}", "exec"), {"__name__": "__docs__"})  # noqa: S102
