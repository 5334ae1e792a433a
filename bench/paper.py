"""Facts of the ClassSR paper (Kong et al., CVPR 2021; spec §1.2) that configuration code needs without torch."""
from __future__ import annotations

#: Branch widths of the paper (simple, medium, hard); the last one is the original ("-O") network.
PAPER_WIDTHS = {"fsrcnn": (16, 36, 56), "carn": (36, 52, 64), "srresnet": (36, 52, 64), "rcan": (36, 50, 64)}
