"""``neuroboard demo``: a coupling sweep of LIF networks, written as one TensorBoard run per coupling.

The sweep is written into a hidden staging folder beside the logdir, where TensorBoard serving the
logdir does not look, and moved into the logdir when complete: a demo that fails (a full disk) or
is killed leaves no partial sweep among the runs. The next demo clears the staging folders of
demos that were killed outright.
"""

from __future__ import annotations

import errno
import os
import shutil
from datetime import datetime

import click
import numpy as np

from neuroboard.api.frames import collect_events
from neuroboard.api.summary_writer import SummaryWriter
from neuroboard.cli.common import Path, clear_scratch, command_name, progress, reports_errors, scratch, table
from neuroboard.neuro import Observer
from neuroboard.sim import LIFNetwork

__all__ = ["couplings", "demo", "staging_folder", "sweep_folder"]

# Coupling strengths J (mV per population spike) span inhibition to strong excitation, so the
# runs' rates and rasters differ at a glance.
J_RANGE = (-3.0, 5.0)
# Mean and spread of the external drive, in mV: above threshold (15 mV) on average, so every
# network fires, with per-neuron differences so that they do not fire in lockstep.
DRIVE = (16.0, 4.0)
HISTOGRAMS = 5
CHUNK = 100
STAGING = ".staging"
# The name of the staging folders made inside the logdir, when they cannot go beside it.
INSIDE = "sweep"


def couplings(runs: int) -> list[float]:
    """Return the coupling strength of each run of a sweep of ``runs`` networks.

    >>> couplings(3)
    [-3.0, 1.0, 5.0]
    """
    if runs == 1:
        return [1.0]
    return [round(float(j), 2) for j in np.linspace(*J_RANGE, runs)]


def staging_folder(logdir: str) -> str:
    """Create and return a hidden folder to write a sweep into before it moves into the existing ``logdir``.

    It is made beside ``logdir`` (outside the tree TensorBoard lists), or inside it when the
    folder above cannot be written or is another file system (a rename could not move it). The
    staging folders of demos killed before they finished are removed first.

    >>> import tempfile; logdir = os.path.join(tempfile.mkdtemp(), "demo"); os.mkdir(logdir)
    >>> os.path.dirname(staging_folder(logdir)) == os.path.dirname(logdir)
    True
    """
    parent, name = os.path.split(os.path.abspath(logdir))
    clear_scratch(parent, name, STAGING)
    clear_scratch(logdir, INSIDE, STAGING)
    try:
        beside = os.stat(parent).st_dev == os.stat(logdir).st_dev and os.access(parent, os.W_OK)
    except OSError:
        beside = False
    if beside:
        return scratch(parent, name, STAGING, directory=True)
    return scratch(logdir, INSIDE, STAGING, directory=True)


def sweep_folder(logdir: str, staging: str, stamp: str | None = None) -> str:
    """Move the folder ``staging`` to a new ``<logdir>/<stamp>`` (suffixed ``-2``, ... if taken); return that.

    ``stamp`` defaults to the time now, ``YYYYmmdd-HHMMSS``.

    >>> import tempfile; logdir = tempfile.mkdtemp()
    >>> os.path.basename(sweep_folder(logdir, tempfile.mkdtemp(dir=logdir), "20250101-120000"))
    '20250101-120000'
    """
    stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        path = os.path.join(logdir, stamp if attempt == 1 else f"{stamp}-{attempt}")
        if os.path.lexists(path):
            continue
        try:
            os.rename(staging, path)
        except OSError as error:
            # Taken since the check, by a sweep that finished at the same second.
            if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                continue
            raise
        return path
    raise FileExistsError(f"cannot make a new sweep folder in {logdir}: {stamp}-1..999 all exist")


def _simulate(
    writer: SummaryWriter, coupling: float, neurons: int, steps: int, seed: int, bar: object
) -> None:
    net = LIFNetwork(n=neurons, coupling=coupling, seed=seed)
    rng = np.random.default_rng(seed)
    drive = rng.normal(DRIVE[0], DRIVE[1], neurons).astype(np.float32)
    obs = Observer(
        net.dt,
        record_loss=False,
        record_vars=[("lif", "v", False), ("lif", "v_mean", True)],
        record_spikes=[("lif", "spikes")],
    )
    checkpoints = set(np.linspace(0, steps - 1, HISTOGRAMS).astype(int).tolist())

    def record(i: int, state: object) -> None:
        step = done + i
        obs.record(step, output=state.output, record_vars=[state.v, state.v], record_spikes=[state.spikes])
        if step in checkpoints:
            writer.add_histogram("lif/v_histogram", state.v, step)

    weights = net.weights
    weights = weights[weights != 0]
    if weights.size:
        writer.add_histogram("lif/weights", weights, 0)
    done = 0
    while done < steps:
        chunk = min(CHUNK, steps - done)
        net.run(chunk, input=drive, callback=record)
        done += chunk
        bar.update(chunk)
    obs.to_tensorboard(writer)
    spikes, _ = obs.spikes("lif", "spikes")
    rate = len(spikes) / (neurons * steps * net.dt / 1000.0)
    mean_v = float(obs.to_numpy(("lif", "v_mean")).mean())
    writer.add_hparams(
        {"coupling": coupling, "neurons": neurons, "steps": steps, "seed": seed},
        {"rate/mean": rate, "v/mean": mean_v},
    )


def _sweep(folder: str, runs: int, neurons: int, steps: int, seed: int) -> None:
    with progress(total=runs * steps, desc="demo", unit="step", unit_scale=True) as bar:
        for coupling in couplings(runs):
            bar.set_postfix_str(f"J={coupling:g}")
            with SummaryWriter(os.path.join(folder, f"J={coupling:g}")) as writer:
                _simulate(writer, coupling, neurons, steps, seed, bar)


def _missing(folder: str) -> list[str]:
    """Return ``folder`` and its ancestors that do not exist yet, outermost first."""
    missing = []
    while folder and not os.path.exists(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return missing[::-1]


def _summary_table(folder: str) -> str:
    tags = ["rate/mean", "v/mean", "lif/spikes/rate"]
    frame = collect_events(folder, type="scalar", tags=tags)
    rows = []
    for run, group in frame.groupby("run", sort=False):
        by_tag = {tag: values["value"].to_numpy() for tag, values in group.groupby("tag")}
        # The population rate is spikes per neuron per ms: the last 10% of the run, in Hz.
        trace = by_tag.get("lif/spikes/rate", np.zeros(1))
        late = float(trace[-max(1, len(trace) // 10) :].mean()) * 1000.0
        rows.append([run, float(by_tag["rate/mean"][-1]), late, float(by_tag["v/mean"][-1])])
    rows.sort(key=lambda row: float(row[0].partition("=")[2]))
    return table(["run", "mean rate (Hz)", "final rate (Hz)", "mean v (mV)"], rows)


@click.command(short_help="Write a coupling sweep of LIF networks.")
@click.option(
    "--logdir",
    default=os.path.join("runs", "demo"),
    show_default=True,
    type=Path(),
    help="Folder of the sweeps.",
)
@click.option(
    "--neurons", type=click.IntRange(min=2), default=200, show_default=True, help="Neurons per network."
)
@click.option(
    "--steps", type=click.IntRange(min=1), default=2000, show_default=True, help="Steps of 0.1 ms per run."
)
@click.option(
    "--runs", type=click.IntRange(min=1, max=100), default=3, show_default=True, help="Networks in the sweep."
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the networks and their drive.",
)
@reports_errors
def demo(logdir: str, neurons: int, steps: int, runs: int, seed: int) -> None:
    """Simulate a coupling sweep of LIF networks and write it for TensorBoard.

    Each call writes a new sweep, LOGDIR/<YYYYmmdd-HHMMSS>/J=<coupling>, one run per
    coupling strength: mean and per-neuron membrane potentials, spike rasters, population
    rates, weight and potential histograms, and the hyperparameters with their metrics.
    """
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        raise NotADirectoryError(f"logdir is not a folder: {logdir}")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    created = _missing(os.path.abspath(logdir))
    os.makedirs(logdir, exist_ok=True)
    try:
        staging = staging_folder(logdir)
        try:
            _sweep(staging, runs, neurons, steps, seed)
            folder = sweep_folder(logdir, staging, stamp)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except BaseException:
        # Folders made for a sweep that never came are not left behind either.
        for made in reversed(created):
            try:
                os.rmdir(made)
            except OSError:
                break
        raise
    path = os.path.abspath(folder)
    click.echo(f"wrote {runs} run{'s' if runs > 1 else ''} of {neurons} neurons x {steps} steps to {path}")
    command = command_name()
    click.echo(f"view them:  {command} serve {path}")
    click.echo(f"every sweep so far:  {command} serve {os.path.abspath(logdir)}")
    click.echo("")
    click.echo(_summary_table(folder))
