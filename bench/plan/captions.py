"""What a profile is, in words, for every table caption: the authors' released checkpoints evaluated as published,
or a trained run with what it changes from the paper's recipe (Kong et al., CVPR 2021; spec §3.2). No torch."""
from __future__ import annotations

from ..backbones import spec
from ..profile import Profile


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def scale_rows(profile: Profile) -> list[dict[str, str]]:
    """Where this run departs from the paper's recipe, one row each: ``setting``, ``this_run``, ``paper`` (and
    ``note``, the phrase the scale note uses). Empty at paper scale; one row for the authors' released checkpoints."""
    from ..train.recipes import paper_recipe

    if profile.official.folder:  # nothing is trained: the recipe's reductions do not apply
        return [_row("networks", f"the authors' released checkpoints ({profile.official.folder})", "trained on DIV2K",
                     note="the authors' released checkpoints, evaluated as published (no training in this run; "
                          f"{profile.official.folder})")]
    rows = []
    if profile.data.source != "div2k":
        rows.append(_row("training data", profile.data.source, "DIV2K",
                         note=f"training data {profile.data.source} (paper: DIV2K)"))
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
                rows.append(_row(f"{who}{stage} {key}", _num(value), "/".join(map(_num, paper))))
    ref = profile.train.reference
    if (ref.widths and ref.widths[-1] != 64) or ref.blocks not in (None, 16):
        rows.append(_row("reference MSRResNet", f"width {ref.widths[-1] if ref.widths else 64}, {ref.blocks or 16} "
                         "blocks", "64, 16", note=f"reference MSRResNet width {ref.widths[-1] if ref.widths else 64}, "
                         f"{ref.blocks or 16} blocks (paper 64, 16)"))
    for b, cfg in profile.train.backbones.items():
        s = spec(b)
        if cfg.widths and tuple(cfg.widths) != s.paper_widths:
            rows.append(_row(f"{b} widths", str(list(cfg.widths)), str(list(s.paper_widths))))
        if cfg.model_kwargs():
            rows.append(_row(f"{b} depth", str(cfg.model_kwargs()), s.describe_depth()))
    return rows


def _row(setting: str, this_run: str, paper: str, *, note: str | None = None) -> dict[str, str]:
    return {"setting": setting, "this_run": this_run, "paper": paper,
            "note": note or f"{setting} {this_run} (paper {paper})"}


def scale_note(profile: Profile) -> str:
    """What this profile is, in one line: the authors' released checkpoints evaluated as published, or a trained
    run with what it changes from the paper's recipe ("" at paper scale)."""
    rows = scale_rows(profile)
    if profile.official.folder:
        return rows[0]["note"]
    return ("demo scale: " + "; ".join(r["note"] for r in rows)) if rows else ""
