"""ARM (Chen et al., "ARM: Any-Time Super-Resolution Method", ECCV 2022): edge-score routing, its tables and sweep."""
