"""Benchmarks of neuroboard against tensorboardX and torch: run ``python -m benchmarks``."""
