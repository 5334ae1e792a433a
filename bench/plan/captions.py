"""What a profile is, in words, for every table caption: the authors' released checkpoints evaluated as published,
or a trained run with what it changes from the paper's recipe (Kong et al., CVPR 2021; spec §3.2). No torch."""
from __future__ import annotations

from ..backbones import spec
from ..profile import Profile


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def scale_note(profile: Profile) -> str:
    """What this profile is, for every table caption: the authors' released checkpoints evaluated as published,
    or a trained run with what it changes from the paper's recipe ("" at paper scale)."""
    from ..train.recipes import paper_recipe

    if profile.official.folder:  # nothing is trained: the recipe's reductions do not apply
        return ("the authors' released checkpoints, evaluated as published (no training in this run; "
                f"{profile.official.folder})")
    parts = []
    if profile.data.source != "div2k":
        parts.append(f"training data {profile.data.source} (paper: DIV2K)")
    backbones = tuple(profile.train.backbones)
    overrides = [(stage, "", backbones, cfg) for stage, cfg in profile.train.stages.items()]
    overrides += [(stage, f"{b} ", (b,), cfg) for b, bb in profile.train.backbones.items()
                  for stage, cfg in bb.stages.items()]
    for stage, who, names, cfg in overrides:
        for key in ("iterations", "batch_size", "lr"):
            value = getattr(cfg, key)
            # the paper's value of this stage for every backbone the override applies to (lr differs by backbone)
            paper = sorted({paper_recipe(stage, "srresnet" if stage == "reference" else b)[key] for b in names})
            if value is not None and paper and paper != [value]:
                parts.append(f"{who}{stage} {key} {_num(value)} (paper {'/'.join(map(_num, paper))})")
    ref = profile.train.reference
    if (ref.widths and ref.widths[-1] != 64) or ref.blocks not in (None, 16):
        parts.append(f"reference MSRResNet width {ref.widths[-1] if ref.widths else 64}, {ref.blocks or 16} blocks "
                     "(paper 64, 16)")
    for b, cfg in profile.train.backbones.items():
        s = spec(b)
        if cfg.widths and tuple(cfg.widths) != s.paper_widths:
            parts.append(f"{b} widths {list(cfg.widths)} (paper {list(s.paper_widths)})")
        if cfg.model_kwargs():
            parts.append(f"{b} depth {cfg.model_kwargs()} (paper {s.describe_depth()})")
    return ("demo scale: " + "; ".join(parts)) if parts else ""
