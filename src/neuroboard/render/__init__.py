"""Arrays to images, NumPy only: contrast stretching, axis layouts, image grids."""

from neuroboard.render.grid import default_columns, equalize, make_grid, transpose_layout

__all__ = ["default_columns", "equalize", "make_grid", "transpose_layout"]
