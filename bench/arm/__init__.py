"""ARM (Chen et al., "ARM: Any-Time Super-Resolution Method", ECCV 2022) in one package: edge-score routing, its
lookup tables, the η sweep under this suite's protocol and its report section (the supernet itself is in
bench/models/arm.py, beside the model registry it builds on). Importing the package imports no torch."""
