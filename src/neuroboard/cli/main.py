"""The ``neuroboard`` command line: ``neuroboard demo`` and friends."""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

from neuroboard.api.summary_writer import SummaryWriter, default_logdir

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    """Write a short training-like run of scalars and say how to view it."""
    logdir = args.logdir or default_logdir("_demo")
    rng = np.random.default_rng(args.seed)
    steps = np.arange(args.steps)
    with SummaryWriter(logdir) as writer:
        for step in steps.tolist():
            loss = math.exp(-step / (args.steps / 4)) + 0.05 * rng.random()
            writer.add_scalar("loss/train", loss, step)
            writer.add_scalars("rate", {"exc": 5 + rng.normal(), "inh": 12 + rng.normal()}, step)
        trace = np.sin(steps / 25.0)[:, None] + 0.1 * rng.standard_normal((args.steps, 3))
        writer.add_series("membrane/mean_v", trace, names=["pop0", "pop1", "pop2"])
    print(f"wrote {args.steps} steps to {os.path.abspath(logdir)}")
    print(f"view it with: tensorboard --logdir {os.path.dirname(os.path.abspath(logdir))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``neuroboard`` command.

    >>> build_parser().parse_args(["demo", "--steps", "10"]).steps
    10
    """
    parser = argparse.ArgumentParser(prog="neuroboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="write a short demo run and print how to view it")
    demo.add_argument("--logdir", help="run folder (default: runs/<MonDD_HH-MM-SS>_<host>_demo)")
    demo.add_argument("--steps", type=int, default=500, help="number of steps (default: 500)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``neuroboard`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError, TypeError) as error:
        print(f"neuroboard {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
