"""``CosineAnnealingLR_Restart`` of the authors' code (BasicSR), in closed form (spec §3.2).

Segment 0 starts at iteration 0 with lr0; a restart at iteration r (listed in ``restarts``) starts segment j at
r + 1 with lr0·w_j. Within a segment of period T starting at s: lr(t) = η_min + (w·lr0 − η_min)(1 + cos(π(t − s)/T))/2.
The scheduler is stepped once per iteration *before* the update, so iteration t (1-based) trains with lr(t).
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CosineRestart:
    lr: float
    eta_min: float
    periods: tuple[int, ...]
    restarts: tuple[int, ...] = ()
    restart_weights: tuple[float, ...] = ()

    def __post_init__(self):
        if len(self.restart_weights) != len(self.restarts):
            raise ValueError(f"{len(self.restarts)} restarts but {len(self.restart_weights)} restart_weights")
        if len(self.periods) < len(self.restarts) + 1:
            # The authors' RCAN branch config (one period, a restart at 500k, 1M iterations) crashes here with an
            # IndexError at iteration 500,001 (spec §8.10); we refuse it up front.
            raise ValueError(f"{len(self.restarts)} restart(s) need {len(self.restarts) + 1} periods, got "
                             f"{list(self.periods)}")
        if list(self.restarts) != sorted(self.restarts) or any(p <= 0 for p in self.periods):
            raise ValueError("restarts must be ascending and periods positive")

    def __call__(self, t: int) -> float:
        segment = sum(1 for r in self.restarts if t > r)
        start = 0 if segment == 0 else self.restarts[segment - 1] + 1
        top = self.lr * (1.0 if segment == 0 else self.restart_weights[segment - 1])
        period = self.periods[segment]
        return self.eta_min + (top - self.eta_min) * (1 + math.cos(math.pi * (t - start) / period)) / 2
