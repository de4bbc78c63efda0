"""Neurons: recording simulations (Observer), HDF5 accumulation (DataAccumulator, HDFData), TensorBoard views."""

from neuroboard.neuro.accumulator import DataAccumulator, DataAccumulatorHook
from neuroboard.neuro.buffers import SeriesBuffer, SpikeBuffer, StoredSeries
from neuroboard.neuro.h5series import H5Series
from neuroboard.neuro.hdf_data import HDFData
from neuroboard.neuro.observer import Observer
from neuroboard.neuro.tensorboard_writer import TensorboardWriter

__all__ = [
    "DataAccumulator",
    "DataAccumulatorHook",
    "H5Series",
    "HDFData",
    "Observer",
    "SeriesBuffer",
    "SpikeBuffer",
    "StoredSeries",
    "TensorboardWriter",
]
