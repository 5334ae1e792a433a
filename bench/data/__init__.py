"""Data: HR sources, MATLAB-bicubic degradation, sub-image index, test sets, manifest (spec §4)."""
