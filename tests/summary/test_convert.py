"""The checks at the edge: text UTF-8 can encode, paths, and names that become folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from neuroboard.summary.convert import as_float, as_path, as_run_name, as_tag, as_text


@pytest.mark.parametrize(
    "name", ["train", "train/fold1", "loss_..", "..x", "x..", ".", "a b/c", "数据/ü", "loss_/abs"]
)
def test_names_inside_the_logdir_are_kept(name) -> None:
    assert as_run_name(name, "log_event", "train") == name


@pytest.mark.parametrize(
    "name", ["..", "../x", "a/../..", "a/..", "/abs", "//x", "a//b", "a/", "/", "x\0y", "ok\ud800"]
)
def test_names_that_leave_the_logdir_are_refused(name) -> None:
    with pytest.raises(ValueError, match=r"^add_hparams\(run_name=\.\.\.\): expected "):
        as_run_name(name, "add_hparams", "run_name")


def test_a_built_name_is_checked_and_the_given_part_reported() -> None:
    assert as_run_name("..", "add_scalars", "key", name="loss_..") == ".."
    with pytest.raises(ValueError, match=r"add_scalars\(key=\.\.\.\): .* got '\.\./\.\./x'"):
        as_run_name("../../x", "add_scalars", "key", name="loss_../../x")


@pytest.mark.parametrize(
    ("value", "error"), [(None, TypeError), (3, TypeError), (b"x", TypeError), ("", ValueError)]
)
def test_run_names_must_be_non_empty_str(value, error) -> None:
    with pytest.raises(error, match=r"f\(a=\.\.\.\): expected a non-empty str"):
        as_run_name(value, "f", "a")


def test_paths() -> None:
    assert as_path(Path("runs") / "a", "SummaryWriter", "logdir") == os.path.join("runs", "a")
    assert as_path("s3://bucket/exp", "SummaryWriter", "logdir") == "s3://bucket/exp"
    for value, error, message in [
        (123, TypeError, r"expected a path \(str or os.PathLike\), got int"),
        (None, TypeError, r"expected a path .*, got NoneType"),
        ("", ValueError, r"expected a non-empty path without NUL, got ''"),
        ("a\0b", ValueError, r"expected a non-empty path without NUL, got 'a\\x00b'"),
        ("bad\udc80", ValueError, r"expected text that UTF-8 can encode"),
    ]:
        with pytest.raises(error, match=rf"^SummaryWriter\(logdir=\.\.\.\): {message}"):
            as_path(value, "SummaryWriter", "logdir")


def test_text_and_tags_utf8_cannot_encode() -> None:
    assert as_text("ünïcode 数据", "add_text", "text_string") == "ünïcode 数据"
    with pytest.raises(
        ValueError, match=r"add_text\(text_string=\.\.\.\): .*surrogates not allowed at index 3"
    ):
        as_text("bad\ud800", "add_text", "text_string")
    with pytest.raises(ValueError, match=r"add_scalar\(tag=\.\.\.\): expected text that UTF-8 can encode"):
        as_tag("x\udfff", "add_scalar")


def test_ints_beyond_float64_are_a_value_error() -> None:
    assert as_float(2**1000, "add_scalar", "scalar_value") == float(2**1000)
    with pytest.raises(
        ValueError, match=r"add_scalar\(scalar_value=\.\.\.\): expected a real number within float64"
    ):
        as_float(10**400, "add_scalar", "scalar_value")
