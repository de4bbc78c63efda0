"""Run the ```python blocks of every documentation page the way a reader pastes them.

A reader pastes a page top to bottom into one Python session started in an empty folder,
then pastes it all again. So each page is one test: its blocks run in order, in one shared
folder, and then the whole page runs a second time in that same folder, in the same process.
Whatever a block leaves on disk (a run folder, an HDF5 file, an exported table) is there for
the blocks after it and for the second pass, as it would be for the reader, and so is the
library's process-wide state (the functional API's default logdir and global steps).

Each block runs in a fresh namespace, not one namespace per page. Readers arrive at a section
from a link as often as from the top, so a block must import and build what it uses; a shared
namespace would let a block lean on a name an earlier block happened to define and hide a
missing import. The state that makes a second paste fail lives on disk and in the library,
and both are shared here.

A block whose first line is ``# not run: <reason>`` is passed over (it needs a server, a
cluster or credentials). A page is run up to its first block that imports torch when torch is
missing, and then skipped: the blocks after it may need what it writes.
"""

from __future__ import annotations

import re
import tempfile
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
#: Pages whose ```python blocks are run, relative to the repository root: the README and every docs page.
PAGES = ["README.md", *sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "docs").glob("*.md"))]
#: How many times each page is run, top to bottom, in one folder.
PASSES = 2

_FENCE = re.compile(r"^```(\S*)\s*$")
_NOT_RUN = re.compile(r"#\s*not run:\s*(.+)")
_IMPORTS_TORCH = re.compile(r"^\s*(import torch\b|from torch\b)", re.MULTILINE)


def _blocks(page: str) -> list[tuple[int, str]]:
    """Return (line of the first code line, source) for each ```python block of ``page``."""
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
                blocks.append((start, "\n".join(body) + "\n"))
            language = None
        else:
            body.append(line)
    if language is not None:
        raise ValueError(f"{page}:{start - 1}: unclosed code fence")
    return blocks


def _not_run(source: str) -> str | None:
    """Return the reason a block gives on its first line for not being run, or None."""
    first = source.lstrip().splitlines()[0] if source.strip() else ""
    skipped = _NOT_RUN.match(first)
    return skipped.group(1) if skipped else None


def _failure(page: str, line: int, source: str) -> str | None:
    """Run one block in a fresh namespace; return its traceback if it raised, else None."""
    # Padding the source to its place on the page makes tracebacks name the page's own line numbers.
    code = compile("\n" * (line - 1) + source, page, "exec")
    try:
        # Running the documentation's own code is the point of this test.
        exec(code, {"__name__": "__docs__"})  # noqa: S102
    except Exception as error:
        # The first frame is this function's; the reader wants the page's and the library's.
        return "".join(traceback.format_exception(type(error), error, error.__traceback__.tb_next))
    return None


PAGES_WITH_BLOCKS = [page for page in PAGES if _blocks(page)]


@pytest.mark.parametrize("page", PAGES_WITH_BLOCKS)
def test_page_runs_twice_in_one_folder(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks that plot must not open windows.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    # Folders the blocks make with tempfile land in pytest's temporary tree, not in the shared /tmp.
    scratch = tmp_path.parent / f"{tmp_path.name}-tempfile"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    blocks = _blocks(page)
    for run in range(1, PASSES + 1):
        for index, (line, source) in enumerate(blocks, start=1):
            if _not_run(source):
                continue
            if _IMPORTS_TORCH.search(source):
                pytest.importorskip("torch", reason=f"{page}:{line} imports torch")
            failure = _failure(page, line, source)
            if failure:
                pytest.fail(
                    f"{page}:{line}: block {index} of {len(blocks)} failed on pass {run} of {PASSES} "
                    f"(blocks run in order in one folder)\n{failure}",
                    pytrace=False,
                )


def test_pages_have_blocks() -> None:
    # Every page's fences must close (_blocks raises otherwise); the README and the pages for
    # users of other tools must show at least one example that runs. Others may be prose or shell.
    for page in PAGES:
        blocks = _blocks(page)
        if page == "README.md" or Path(page).name.startswith("from-"):
            assert blocks, f"{page}: no ```python block found"
