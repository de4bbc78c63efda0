"""Run every ```python block of the documentation pages, each in a fresh namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
#: Pages whose ```python blocks are run, relative to the repository root: the README and every docs page.
PAGES = ["README.md", *sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```(\S*)\s*$")
_NOT_RUN = re.compile(r"#\s*not run:\s*(.+)")
_IMPORTS_TORCH = re.compile(r"^\s*(import torch\b|from torch\b)", re.MULTILINE)


def _blocks(page: str) -> list[tuple[str, int, str]]:
    """Return (page, line of the first code line, source) for each ```python block of ``page``."""
    blocks = []
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    language, start, body = None, 0, []
    for number, line in enumerate(lines, start=1):
        fence = _FENCE.match(line)
        if language is None:
            if fence:
                language, start, body = fence.group(1), number + 1, []
        elif fence and not fence.group(1):
            if language == "python":
                blocks.append((page, start, "\n".join(body) + "\n"))
            language = None
        else:
            body.append(line)
    if language is not None:
        raise ValueError(f"{page}:{start - 1}: unclosed code fence")
    return blocks


BLOCKS = [block for page in PAGES for block in _blocks(page)]


@pytest.mark.parametrize(
    ("page", "line", "source"), BLOCKS, ids=[f"{Path(page).name}:{line}" for page, line, _ in BLOCKS]
)
def test_block_runs(
    page: str, line: int, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = source.lstrip().splitlines()[0] if source.strip() else ""
    skipped = _NOT_RUN.match(first)
    if skipped:
        pytest.skip(skipped.group(1))
    if _IMPORTS_TORCH.search(source):
        pytest.importorskip("torch")
    # Blocks that plot must not open windows.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    # Running the documentation's own code is the point of this test.
    exec(compile(source, f"{page}:{line}", "exec"), {"__name__": "__docs__"})  # noqa: S102


def test_pages_have_blocks() -> None:
    # Every page's fences must close (_blocks raises otherwise); the README and the pages for
    # users of other tools must show at least one example that runs. Others may be prose or shell.
    for page in PAGES:
        blocks = _blocks(page)
        if page == "README.md" or Path(page).name.startswith("from-"):
            assert blocks, f"{page}: no ```python block found"
