"""Run the benchmarks: ``python -m benchmarks [write|read ...] [--quick] [--repeats N]``."""

from __future__ import annotations

import argparse
import platform
import sys
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from benchmarks import (
    bench_brian2,
    bench_curves,
    bench_dask,
    bench_graph,
    bench_images,
    bench_media,
    bench_neuro,
    bench_nwb,
    bench_projector,
    bench_read,
    bench_sonata,
    bench_summaries,
    bench_write,
)
from benchmarks.common import markdown_table, print_header, print_table, write_results

AREAS = {
    "write": bench_write.run,
    "read": bench_read.run,
    "summaries": bench_summaries.run,
    "images": bench_images.run,
    "media": bench_media.run,
    "neuro": bench_neuro.run,
    "nwb": bench_nwb.run,
    "brian2": bench_brian2.run,
    "sonata": bench_sonata.run,
    "dask": bench_dask.run,
    "curves": bench_curves.run,
    "projector": bench_projector.run,
    "graph": bench_graph.run,
}
QUICK_SCALE = 0.1
#: The page whose results table a full run (every area, full sizes) rewrites.
PAGE = Path(__file__).parents[1] / "docs" / "benchmarks.md"


def _versions() -> str:
    found = []
    for package in ("neuroboard", "tensorboardX", "torch", "tensorboard", "protobuf", "numpy"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "areas", nargs="*", metavar="AREA", help=f"areas to run: {', '.join(AREAS)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help=f"sizes x {QUICK_SCALE:g}, for a smoke run")
    parser.add_argument(
        "--repeats", type=int, default=3, help="best of this many runs, when cheap (default: 3)"
    )
    args = parser.parse_args(argv)
    unknown = [area for area in args.areas if area not in AREAS]
    if unknown:
        parser.error(f"unknown area {unknown[0]!r}: choose from {', '.join(AREAS)}")
    areas = args.areas or list(AREAS)
    scale = QUICK_SCALE if args.quick else 1.0

    # The peers warn about their own deprecated internals; that noise is not ours to report.
    for module in ("tensorboardX", "torch", "tensorboard"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)

    print(f"Python {platform.python_version()} on {platform.machine()}; {_versions()}")
    print(f"rates are the best of up to {args.repeats} runs; {'quick sizes' if args.quick else 'full sizes'}")
    measured = []
    for area in areas:
        print(f"\n== {area} ==")
        print_header()
        measured += [(area, row) for row in AREAS[area](scale=scale, repeats=args.repeats)]
    print("\n== summary ==")
    print_table([row for _, row in measured])
    # Only a full run speaks for the whole page; one area or quick sizes leave it alone.
    if not args.areas and not args.quick:
        write_results(PAGE, markdown_table(measured))
        print(f"\nresults written to {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
