"""ARM's released edge-to-PSNR lookup tables (Chen et al., ECCV 2022; arm.md §2.2): P_j[b] in dB for the paths
[bicubic, w1, w2, w3] over 30 bins, as stored under ``hmap`` of ``ckpt/arm-{fsrcnn,carn}.state`` (6 decimals change
no route). All tables share the bin edges 0 … 219.6474609375 (Δ = 7.32158203125). ARM's SRResNet table is not in
its repository (spec §7.6). Numbers, not code, carried over from ARM's release."""
from __future__ import annotations

import numpy as np

#: ARM's width lists (paths 1, 2, 3; path 0 is bicubic), arm.md §1.2–1.4 — here, torch-free, for the planner too.
ARM_WIDTHS = {"fsrcnn": (16, 36, 56), "carn": (36, 52, 64), "srresnet": (36, 52, 64)}
#: Constructor flavour of ARM's networks beyond width and depth: ARM's CARN has biased fusion convs, no BatchNorm.
ARM_FLAVOUR = {"carn": {"bn": False}}

#: Knobs that force one path: e0 = the bicubic path, e1…e3 = ARM's widths.
FORCED = ("e0", "e1", "e2", "e3")


def parse_knob(text: str | float):
    """A knob as written in a profile or on the command line: "best", "e<j>" (force path j; e0 = bicubic) or k > 0
    (η = k·C_3). Numbers are always k, never a forced path, so YAML's ``1`` means k = 1."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    elif text == "best":
        return "best"
    elif isinstance(text, str) and text in FORCED:
        return int(text[1:])
    else:
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise ValueError(f"ARM knob {text!r}: expected best, {'/'.join(FORCED)} (one path forced) or k > 0 "
                             "(e.g. 1.5)") from None
    if not value > 0:
        raise ValueError(f"ARM knob {text!r}: k must be > 0 (η = k·C_3)")
    return value


DELTA = 7.32158203125
#: bin centres c_b = e_b + Δ/2 of the released tables
CENTRES = 3.660791015625 + DELTA * np.arange(30)

BIC = [49.665666, 40.379667, 36.963098, 34.711673, 32.767854, 31.249627, 29.794846, 28.844648, 28.086064, 27.219880,
       26.246534, 25.184410, 24.353725, 23.475245, 22.931950, 22.147708, 21.589520, 20.888585, 20.302011, 19.612222,
       18.858828, 19.026980, 18.953350, 18.033761, 15.975674, 17.388728, 16.029580, 16.986880, 16.706848, 17.586769]
FSRCNN = [BIC,
          [48.158816, 40.946624, 38.108965, 36.066598, 34.178064, 32.791865, 31.362269, 30.413908, 29.734641, 28.819940,
           27.827395, 26.667628, 25.803974, 24.852252, 24.380775, 23.552317, 22.983904, 22.264357, 21.712828, 20.997074,
           20.129059, 20.390945, 20.349853, 19.340630, 17.128492, 18.847211, 17.169483, 18.697474, 18.344471, 20.064958],
          [49.271579, 41.183676, 38.471683, 36.519473, 34.621964, 33.272185, 31.885759, 30.895244, 30.249751, 29.304776,
           28.279759, 27.135889, 26.238149, 25.277752, 24.819125, 23.987204, 23.411281, 22.694550, 22.142747, 21.445030,
           20.548392, 20.898914, 20.833456, 19.862120, 17.736988, 19.529026, 17.744582, 19.638488, 19.391895, 21.250546],
          [49.289181, 41.212037, 38.510143, 36.583501, 34.699387, 33.358789, 31.994631, 30.988487, 30.352174, 29.407121,
           28.372849, 27.231052, 26.325470, 25.373572, 24.908327, 24.088936, 23.499881, 22.793440, 22.231790, 21.538738,
           20.644574, 21.003398, 20.966709, 19.986178, 17.931353, 19.725332, 17.891160, 19.833021, 19.783426, 21.759208]]
CARN = [BIC,
        [49.297094, 41.395567, 38.822086, 36.926115, 35.055635, 33.739214, 32.387928, 31.329142, 30.739685, 29.757452,
         28.702213, 27.566863, 26.646085, 25.691421, 25.217257, 24.414026, 23.815177, 23.132116, 22.570134, 21.900196,
         20.993370, 21.425114, 21.415314, 20.387375, 18.611642, 20.314003, 18.566140, 20.573758, 20.589542, 23.201131],
        [49.392250, 41.575722, 39.059190, 37.196642, 35.306549, 34.015074, 32.672920, 31.583408, 31.021409, 30.025896,
         28.971830, 27.822272, 26.897063, 25.950236, 25.470860, 24.675883, 24.067025, 23.403546, 22.853704, 22.185472,
         21.285146, 21.744968, 21.730409, 20.773634, 19.095183, 20.841181, 19.277453, 21.280304, 21.005705, 23.945744],
        [49.406195, 41.683949, 39.206265, 37.368125, 35.482624, 34.233713, 32.896468, 31.805790, 31.268219, 30.258112,
         29.218028, 28.069203, 27.141053, 26.207905, 25.734938, 24.937061, 24.324757, 23.695967, 23.151768, 22.495724,
         21.619153, 22.152656, 22.079770, 21.245402, 19.731450, 21.563797, 20.121499, 22.233364, 21.680435, 23.590213]]
# ARM's cost_list (arm.md §3): FLOPs per 32×32 patch of [bicubic, w1, w2, w3]
FSRCNN_COSTS = [0, 141262852, 304570372, 467877892]
CARN_COSTS = [0, 380215296, 771563520, 1154875392]

#: backbone -> LUT (paths × bins, dB)
RELEASED = {"fsrcnn": np.array(FSRCNN), "carn": np.array(CARN)}
