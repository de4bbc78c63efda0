"""Python and NumPy values to Summary protos, one module per kind of data."""

from neuroboard.summary.custom_scalars import custom_scalars, layout_from_dict
from neuroboard.summary.scalar import scalar, scalar_metadata

__all__ = ["custom_scalars", "layout_from_dict", "scalar", "scalar_metadata"]
