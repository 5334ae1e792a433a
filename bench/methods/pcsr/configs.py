"""PCSR's network sizes and data normalisation (pcsr.md §1.1, §4), torch-free: the job plan reads the encoder
widths of its training runs from here."""
from __future__ import annotations

#: data_norm of PCSR's pipeline: the LR minus this mean goes in, the output plus it comes out (pcsr.md §4).
MEANS = {"carn": (0.4488, 0.4371, 0.4040)}
#: PCSR's phase-1 configurations (pcsr.md §1.1): encoder width, heavy / light / classifier hidden sizes.
CONFIGS = {
    "fsrcnn": {"width": 48, "heavy": (58,) * 4, "light": (10,) * 3, "classifier": ()},
    "carn": {"width": 52, "heavy": (74,) * 4, "light": (20,) * 3, "classifier": (10, 10)},
    "srresnet": {"width": 58, "heavy": (170,) * 4, "light": (40,) * 3, "classifier": (20, 20)},
}
