"""``neuroboard convert rec.h5 out.nwb``: the options for the NWB file's session metadata, checked as they are read.

Each option is one argument of :meth:`Observer.to_nwb <neuroboard.neuro.Observer.to_nwb>`;
the subject's fields become its ``subject``. A bad value is refused by click, naming the
option, before anything is read or made.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from neuroboard.neuro.nwb import TIME_UNITS

__all__ = ["NWB_OPTIONS", "SEXES", "given", "nwb_metadata_options", "to_nwb_arguments"]

F = TypeVar("F", bound=Callable[..., Any])

#: NWB's and DANDI's codes for a subject's sex.
SEXES = ("M", "F", "U", "O")
# An ISO 8601 duration (P90D, P1Y2M, PT3H), or a range of two (P90D/P120D), as NWB gives a subject's age.
_DURATION = r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_AGE = re.compile(rf"{_DURATION}(/{_DURATION})?")


def _text(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    values = value if isinstance(value, tuple) else (value,)
    for one in values:
        if one is not None and not one.strip():
            raise click.BadParameter("expected a non-empty text, got an empty one")
    return value


def _start_time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected an ISO 8601 date and time with a timezone (2024-05-01T12:00:00+02:00), got {value!r}"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise click.BadParameter(
            f"expected a date and time with a timezone (NWB requires one: +00:00 or Z), got {value!r}"
        )
    return moment


def _age(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _AGE.fullmatch(value):
        raise click.BadParameter(f"expected an ISO 8601 duration such as P90D or P12W, got {value!r}")
    return value


#: (name, option) of every NWB metadata option, in the order ``--help`` lists them.
NWB_OPTIONS: list[tuple[str, Callable[[F], F]]] = [
    (
        "session_description",
        click.option("--session-description", callback=_text, help="NWB output: what the session was."),
    ),
    (
        "identifier",
        click.option(
            "--identifier", callback=_text, help="NWB output: the file's identifier (default: a UUID)."
        ),
    ),
    (
        "session_start_time",
        click.option(
            "--session-start-time",
            callback=_start_time,
            help="NWB output: when the session began, ISO 8601 with a timezone (default: now).",
        ),
    ),
    (
        "experimenter",
        click.option(
            "--experimenter", multiple=True, callback=_text, help="NWB output: a person; repeatable."
        ),
    ),
    ("institution", click.option("--institution", callback=_text, help="NWB output: the institution.")),
    ("lab", click.option("--lab", callback=_text, help="NWB output: the lab.")),
    (
        "subject_id",
        click.option("--subject-id", callback=_text, help="NWB output: the subject's identifier."),
    ),
    (
        "species",
        click.option(
            "--species", callback=_text, help="NWB output: the subject's species, e.g. 'Mus musculus'."
        ),
    ),
    ("sex", click.option("--sex", type=click.Choice(SEXES), help="NWB output: the subject's sex.")),
    (
        "age",
        click.option("--age", callback=_age, help="NWB output: the subject's age, ISO 8601 (e.g. P90D)."),
    ),
    (
        "time_unit",
        click.option(
            "--time-unit",
            type=click.Choice(tuple(TIME_UNITS)),
            help="NWB output: the unit of the recording's dt (default: the one it names, else s).",
        ),
    ),
    (
        "compression",
        click.option(
            "--compression", type=click.Choice(("gzip", "lzf")), help="NWB output: compress the data."
        ),
    ),
]
_SUBJECT = ("subject_id", "species", "sex", "age")


def nwb_metadata_options(command: F) -> F:
    """Return ``command`` with the NWB metadata options, passed to it as one dict, ``nwb_metadata``.

    >>> @click.command()
    ... @nwb_metadata_options
    ... def show(nwb_metadata): click.echo(sorted(k for k, v in nwb_metadata.items() if v))
    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(show, ["--lab", "Models", "--sex", "F"]).output
    "['lab', 'sex']\\n"
    """

    @functools.wraps(command)
    def gathered(*args: Any, **kwargs: Any) -> Any:
        metadata = {name: kwargs.pop(name) for name, _ in NWB_OPTIONS}
        return command(*args, nwb_metadata=metadata, **kwargs)

    for _, option in reversed(NWB_OPTIONS):
        gathered = option(gathered)
    return gathered  # type: ignore[return-value]


def given(metadata: dict[str, Any]) -> list[str]:
    """Return the options of ``metadata`` that were given, as ``--name``.

    >>> given({"lab": "Models", "experimenter": (), "age": None})
    ['--lab']
    """
    return [f"--{name.replace('_', '-')}" for name, value in metadata.items() if value not in (None, ())]


def to_nwb_arguments(metadata: dict[str, Any]) -> dict[str, Any]:
    """Return the options given as :meth:`Observer.to_nwb`'s keyword arguments, the subject's fields as ``subject``.

    >>> to_nwb_arguments({"lab": "Models", "experimenter": ("Doe, Jane",), "sex": "F", "age": None})
    {'lab': 'Models', 'experimenter': ['Doe, Jane'], 'subject': {'sex': 'F'}}
    """
    arguments: dict[str, Any] = {}
    subject = {}
    for name, value in metadata.items():
        if value in (None, ()):
            continue
        if name in _SUBJECT:
            subject[name] = value
        else:
            arguments[name] = list(value) if name == "experimenter" else value
    if subject:
        arguments["subject"] = subject
    return arguments
