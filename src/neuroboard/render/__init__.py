"""Arrays to images, NumPy only: contrast stretching, axis layouts, image grids, rasters, heatmaps, traces."""

from neuroboard.render.grid import default_columns, equalize, make_grid, transpose_layout
from neuroboard.render.heatmap import VIRIDIS, heatmap_image, viridis_lut
from neuroboard.render.raster import raster_image
from neuroboard.render.traces import trace_image

__all__ = [
    "VIRIDIS",
    "default_columns",
    "equalize",
    "heatmap_image",
    "make_grid",
    "raster_image",
    "trace_image",
    "transpose_layout",
    "viridis_lut",
]
