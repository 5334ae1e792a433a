"""The one trainer behind every stage (ClassSR, Kong et al., CVPR 2021, §3.3–3.4; spec §3).

A run folder holds ``config.yaml`` (the resolved RunConfig), ``train_log.csv`` (iteration, every loss term, lr,
class fractions, samples/s), ``last.pt`` (resume state while running) and, once finished, ``model.pth`` — the
weights in the authors' key format, written atomically, so its presence means the run is complete.

Resumption: a killed run started again with the same command continues from ``last.pt`` and, on CPU, ends
with the same weights as an uninterrupted run (batches depend only on (seed, iteration); see
``bench.data.subimages``). A non-finite loss stops the run with a clear error; ``last.pt`` keeps the last good
state.
"""
from __future__ import annotations

import shutil
import sys
import time
import warnings
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..data.subimages import BatchOrder, SubImages, batch_loader
from ..models import ArmSupernet, ClassSR, build, export_official, fresh_arm, load_arm, load_official
from ..models.common import MeanShift, load_torch_file
from ..models.subpixel import use_subpixel
from ..device import pick_device
from ..plan.layout import train_index
from ..lock import folder_lock
from ..provenance import save_torch, write_atomic
from . import calibrate, oracle
from .losses import average_loss, class_loss, oracle_labels, oracle_loss
from .run import RunConfig
from .schedule import CosineRestart
from ..methods.pcsr.training import HOOKS as PCSR_HOOKS


#: The stages whose model is a ClassSR container (the Class-Module and its branches)
CLASSSR_STAGES = ("classsr", "joint")
#: Stages a registered method brings with their own hooks (model, losses, trainable parts, modes, file format),
#: filled by explicit imports: PCSR's two phases.
STAGE_HOOKS = {**PCSR_HOOKS}


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class RunConflict(RuntimeError):
    """A run folder holds state of a different configuration."""


def build_model(cfg: RunConfig) -> nn.Module:
    if cfg.stage in STAGE_HOOKS:
        return STAGE_HOOKS[cfg.stage].build(cfg)
    kwargs = {**(cfg.model_kwargs or {}), "scale": cfg.scale}
    if cfg.stage == "arm":
        model = fresh_arm(cfg.backbone, **kwargs)
        if cfg.init:
            _copy(load_arm(cfg.backbone, _one(cfg.init, "an ARM checkpoint"), scale=cfg.scale).full, model.full,
                  cfg.init[0])
        return model
    if cfg.stage in ("classsr", "joint"):
        name = f"classsr_{cfg.backbone}"
        model = build(name, widths=list(cfg.widths), **kwargs)
        if cfg.stage == "joint":
            classifier = {k: v for k, v in kwargs.items() if k == "classifier"}
            _copy(load_official(name, _one(cfg.init, "a ClassSR checkpoint"), scale=cfg.scale, **classifier),
                  model, name)
        elif cfg.init:
            if len(cfg.init) != len(model.networks):
                raise ValueError(f"classsr needs one pretrained file per network branch ({len(model.networks)}; a "
                                 f"bicubic class has none), got {len(cfg.init)}")
            for path, branch in zip(cfg.init, model.networks):
                _copy(load_official(cfg.backbone, path, scale=cfg.scale), branch, path)
        return model
    model = build(cfg.backbone, width=cfg.widths[0], **kwargs)
    if cfg.init:
        _copy(load_official(cfg.backbone, _one(cfg.init, "a checkpoint"), scale=cfg.scale), model, cfg.init[0])
    return model


def _layout(cfg: RunConfig) -> torch.memory_format:
    # channels-last (NHWC) convolutions: 1.2–2× the training samples/s on CPU for these small-channel networks
    return torch.channels_last if cfg.channels_last else torch.contiguous_format


def _one(init: tuple[str, ...], what: str) -> str:
    if len(init) != 1:
        raise ValueError(f"init must name exactly {what}, got {list(init)}")
    return init[0]


def _copy(src: nn.Module, dst: nn.Module, origin: str) -> None:
    try:
        dst.load_state_dict(src.state_dict())
    except RuntimeError as e:
        raise ValueError(f"{origin} does not fit the configured model: {str(e).splitlines()[0]}") from None


def stage_data(cfg: RunConfig) -> SubImages:
    data = Path(cfg.data_dir)
    index_path = train_index(data)
    if not index_path.is_file():
        raise FileNotFoundError(f"{index_path} missing: run `python -m bench prepare` first")
    index = pd.read_csv(index_path)
    if cfg.class_id is not None:
        table = pd.read_csv(cfg.classes_csv)
        index = table[table["class"] == cfg.class_id]
        if index.empty:
            raise ValueError(f"class {cfg.class_id} of {cfg.classes_csv} is empty; use quantile thresholds")
    return SubImages(data, index.reset_index(drop=True), scale=cfg.scale)


def losses(model: nn.Module, cfg: RunConfig, lr: torch.Tensor, hr: torch.Tensor, *,
           iteration: int = 0) -> dict[str, torch.Tensor]:
    """Every loss term of the stage and their weighted total (L1 on the backbone's native pixel range)."""
    if cfg.stage in STAGE_HOOKS:
        return STAGE_HOOKS[cfg.stage].losses(model, cfg, lr, hr, iteration=iteration)
    if cfg.stage in CLASSSR_STAGES:  # the stage names the method whose losses it trains
        return classsr_losses(model, cfg, lr, hr)
    if cfg.stage == "arm":
        return arm_losses(model, cfg, lr, hr, iteration)
    native = getattr(model, "native_range", 1.0)
    l1 = F.l1_loss(model(lr) * native, hr * native)
    return {"l1": l1, "loss": cfg.l1_weight * l1}


def classsr_losses(model: ClassSR, cfg: RunConfig, lr: torch.Tensor, hr: torch.Tensor) -> dict[str, torch.Tensor]:
    """The paper's 1000·L1 of the probability-weighted mixture + Class-Loss + Average-Loss (spec §3.1), and, where
    ``oracle_weight`` > 0, the cross-entropy against per-patch oracle labels; the fractions of the batch each class
    and each oracle label take are logged."""
    native = getattr(model.networks[-1], "native_range", 1.0)
    out = model.run(lr)  # training mode: the mixture, and the branch outputs it is made of
    probs, classes = out.probs, out.classes
    terms = {"l1": F.l1_loss(out.sr * native, hr * native), "class_loss": class_loss(probs),
             "average_loss": average_loss(probs)}
    terms["loss"] = (cfg.l1_weight * terms["l1"] + cfg.class_weight * terms["class_loss"]
                     + cfg.average_weight * terms["average_loss"])
    if cfg.oracle_weight:
        labels = oracle_labels(list(out.branch_sr), hr, branch_flops(model), cfg.oracle_lambda)
        terms["oracle_loss"] = oracle_loss(probs, labels)
        terms["loss"] = terms["loss"] + cfg.oracle_weight * terms["oracle_loss"]
        for k in range(model.num_classes):
            terms[f"frac_oracle{k}"] = (labels == k).float().mean()
    for k in range(model.num_classes):
        terms[f"frac_class{k}"] = (classes == k).float().mean()
    return terms


_BRANCH_FLOPS: "weakref.WeakKeyDictionary[nn.Module, torch.Tensor]" = weakref.WeakKeyDictionary()


def branch_flops(model: ClassSR) -> torch.Tensor:
    """Paper-convention FLOPs per 32×32 LR patch of each branch (the method interface's ``path_costs``), counted once
    per model: the online oracle asks on every iteration. Counting moves no BatchNorm statistics (flops.count)."""
    if model not in _BRANCH_FLOPS:
        _BRANCH_FLOPS[model] = torch.tensor(model.path_costs("paper")[0], dtype=torch.float64)
    return _BRANCH_FLOPS[model]


def arm_losses(model: ArmSupernet, cfg: RunConfig, lr: torch.Tensor, hr: torch.Tensor,
               iteration: int) -> dict[str, torch.Tensor]:
    """ARM's step (arm.md §5): one width for the whole batch, drawn with p ∝ C_j², L1 of that sub-net against the
    HR. The draw depends on (seed, iteration) only, like the batches, so a resumed run draws the same widths."""
    rng = np.random.default_rng([cfg.seed, 2_000_003, iteration])  # salted: not the stream of the batch order
    j = int(rng.choice(len(model.widths), p=model.width_probabilities()))
    native = getattr(model.full, "native_range", 1.0)
    l1 = F.l1_loss(model.forward_width(lr, model.widths[j]) * native, hr * native)
    return {"l1": l1, "loss": cfg.l1_weight * l1, "width": torch.tensor(float(model.widths[j]))}


def set_modes(model: nn.Module, stage: str) -> None:
    """Training mode, except frozen ClassSR branches, which run in eval mode so CARN's BatchNorm statistics stay
    those of pretraining (the authors keep them in train mode and let the statistics drift, spec §8.3).

    Frozen branches also run their transposed convs as conv + pixel shuffle (``SubPixelDeconv``, as evaluation
    does): no weight gradient goes through them, the outputs are the same function up to float rounding, and the
    three FSRCNN branches' forward, most of a stage-2 step, takes about half the time on CPU."""
    if stage in STAGE_HOOKS:
        return STAGE_HOOKS[stage].set_modes(model)
    model.train()
    if stage == "classsr":
        for branch in model.branches:
            use_subpixel(branch).eval()


def trainable(model: nn.Module, stage: str) -> list[nn.Parameter]:
    if stage in STAGE_HOOKS:
        return STAGE_HOOKS[stage].trainable(model)
    if stage == "classsr":  # the authors' fix_SR_module: only the Class-Module learns
        for p in model.branches.parameters():
            p.requires_grad_(False)
    if stage == "arm":  # ARM freezes CARN's MeanShift (arm.md §1.3)
        for module in model.modules():
            if isinstance(module, MeanShift):
                module.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def train(cfg: RunConfig, run_dir: str | Path, *, stop_after: int | None = None) -> Path:
    """Run (or resume, or skip if complete) one stage; returns the path of ``model.pth``."""
    run_dir = Path(run_dir)
    with folder_lock(run_dir, what="run folder"):
        return _train_locked(cfg, run_dir, stop_after)


def _train_locked(cfg: RunConfig, run_dir: Path, stop_after: int | None) -> Path:
    final = run_dir / "model.pth"
    state = _prepare_run_dir(cfg, run_dir)
    if state == "complete":
        return final
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    model = build_model(cfg).to(device, memory_format=_layout(cfg))
    opt = torch.optim.Adam(trainable(model, cfg.stage), lr=cfg.lr, betas=tuple(cfg.betas),
                           weight_decay=cfg.weight_decay)
    start = _resume(run_dir, cfg, model, opt) if state == "resume" else 0
    loop = _Loop(cfg, run_dir, model, opt, device, start)
    loop.run(stop_after)
    if loop.iteration < cfg.iterations:
        return final  # stopped early on request (tests): resume state is on disk
    if cfg.calibrate_images:  # the operating point, on photographs stage 2 never saw
        calibrate.operate(model, cfg, run_dir, loop.data, branch_flops(model), device)
    save_torch(final, _exported(model, cfg.stage))
    (run_dir / "last.pt").unlink(missing_ok=True)
    return final


def _exported(model: nn.Module, stage: str) -> dict[str, torch.Tensor]:
    """The weights in the released format: the authors' for ClassSR's stages, ARM's plain supernet state dict, a
    method stage's own (PCSR's {model: {name, args, sd}})."""
    if stage in STAGE_HOOKS:
        return STAGE_HOOKS[stage].export(model)
    return export_official(model.full if stage == "arm" else model)


def _prepare_run_dir(cfg: RunConfig, run_dir: Path) -> str:
    saved = run_dir / "config.yaml"
    has_state = (run_dir / "model.pth").is_file() or (run_dir / "last.pt").is_file()
    if saved.is_file() and has_state:  # a folder without weights holds nothing worth protecting
        previous = RunConfig.load(saved)
        if previous.digest() != cfg.digest():
            raise RunConflict(f"{run_dir} holds a run with another configuration (see {saved}); use a new run "
                              "folder or delete this one")
        if (run_dir / "model.pth").is_file():
            return "complete"
        if (run_dir / "last.pt").is_file():
            return "resume"
    run_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(saved, lambda tmp: cfg.save(Path(tmp)))
    (run_dir / "train_log.csv").unlink(missing_ok=True)
    shutil.rmtree(run_dir / "snapshots", ignore_errors=True)  # an aborted run's weights are not this run's curve
    return "new"


def _resume(run_dir: Path, cfg: RunConfig, model: nn.Module, opt) -> int:
    ckpt = load_torch_file(run_dir / "last.pt")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    torch.set_rng_state(ckpt["rng"])
    log = run_dir / "train_log.csv"
    if log.is_file():  # drop rows logged after the checkpoint: they will be logged again
        df = pd.read_csv(log)
        write_atomic(log, lambda tmp: df[df["iteration"] <= ckpt["iteration"]].to_csv(tmp, index=False))
    print(f"resuming {run_dir} at iteration {ckpt['iteration']}", file=sys.stderr)
    return int(ckpt["iteration"])


class _Loop:
    def __init__(self, cfg: RunConfig, run_dir: Path, model, opt, device, start: int):
        self.cfg, self.run_dir, self.model, self.opt, self.device = cfg, run_dir, model, opt, device
        self.iteration = start
        self.data = stage_data(cfg)
        self.targets, self.batches = self._batches(start)
        self.schedule = CosineRestart(cfg.lr, cfg.eta_min, tuple(cfg.periods), tuple(cfg.restarts),
                                      tuple(cfg.restart_weights))
        if cfg.compile:  # in place, so ClassSR.run and module attributes keep working
            for module in (list(model.branches) + [model.classifier]) if cfg.stage in CLASSSR_STAGES else [model]:
                module.compile()
        self.autocast = cfg.amp and device.type == "cuda"
        if cfg.amp and not self.autocast:
            warnings.warn("amp is only used on CUDA; training in float32", stacklevel=2)
        self.last_logged = start

    def _batches(self, start: int):
        """(oracle targets or None, the batch iterator from ``start``): the cached oracle costs of every sampled
        sub-image (the Class-Module alone), else the training sub-images themselves."""
        cfg = self.cfg
        if cfg.oracle_cache:
            positions = oracle.sample_positions(len(self.data), cfg.oracle_subimages, cfg.seed)
            cache = oracle.load_or_compute(self.run_dir, oracle.cache_key(cfg), self.model.branches, self.data,
                                           positions, branch_flops(self.model), self.device)
            if cfg.calibrate_images:  # the held-out photographs choose the operating point, after training
                cache = cache.subset(calibrate.training_mask(cache.images, self.data.names, cfg.calibrate_images,
                                                             cfg.seed))
            self.order = BatchOrder(len(cache.lr), cfg.batch_size, cfg.seed)
            return cache.targets(cfg), oracle.batches(cache, self.order, start, cfg.iterations)
        self.order = BatchOrder(len(self.data), cfg.batch_size, cfg.seed)
        return None, batch_loader(self.data, self.order, start, cfg.iterations, cfg.loader_workers,
                                  pin=self.device.type == "cuda")

    def run(self, stop_after: int | None) -> None:
        from tqdm import tqdm

        bar = tqdm(total=self.cfg.iterations, initial=self.iteration, disable=not sys.stderr.isatty(),
                   desc=f"{self.cfg.stage} {self.cfg.backbone}", dynamic_ncols=True)
        tick = time.perf_counter()
        if self.iteration == 0:
            self.snapshot()
        while self.iteration < self.cfg.iterations:
            if stop_after is not None and self.iteration >= stop_after:
                break
            self.iteration += 1
            terms = self.step()
            bar.update(1)
            bar.set_postfix(loss=f"{terms['loss']:.4g}")
            if self.iteration % self.cfg.log_every == 0 or self.iteration == self.cfg.iterations:
                self.log(terms, time.perf_counter() - tick, bar.disable)
                tick = time.perf_counter()
            if self.iteration % self.cfg.checkpoint_every == 0:
                self.checkpoint()
            self.snapshot()
        bar.close()

    def step(self) -> dict[str, float]:
        t = self.iteration
        lr, hr = next(self.batches)  # with cached oracle costs: (LR, positions in the cache)
        lr = lr.to(self.device, non_blocking=True).contiguous(memory_format=_layout(self.cfg))
        for group in self.opt.param_groups:
            group["lr"] = self.schedule(t)
        set_modes(self.model, self.cfg.stage)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            if self.targets is not None:
                terms = oracle.losses(self.model, self.cfg, self.targets, lr, hr)
            else:
                terms = losses(self.model, self.cfg, lr, hr.to(self.device, non_blocking=True), iteration=t)
        if not torch.isfinite(terms["loss"]):
            raise TrainingDiverged(f"{self.run_dir}: loss is {terms['loss'].item()} at iteration {t} "
                                   f"({ {k: round(v.item(), 6) for k, v in terms.items()} }); the last good "
                                   f"state is {self.run_dir / 'last.pt'} — lower the lr or check the data")
        self.opt.zero_grad(set_to_none=True)
        terms["loss"].backward()
        self.opt.step()
        return {k: v.item() for k, v in terms.items()}

    def log(self, terms: dict[str, float], seconds: float, plain: bool) -> None:
        n, self.last_logged = self.iteration - self.last_logged, self.iteration
        row = {"iteration": self.iteration, **terms, "lr": self.schedule(self.iteration),
               "samples_per_s": round(n * self.cfg.batch_size / max(seconds, 1e-9), 2)}
        log = self.run_dir / "train_log.csv"
        pd.DataFrame([row]).to_csv(log, mode="a", header=not log.is_file(), index=False)
        if plain:
            print(" ".join(f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                  file=sys.stderr)

    def snapshot(self) -> None:
        """Keep the weights (authors' format) every snapshot_every iterations: the -O's learning curve."""
        every = self.cfg.snapshot_every
        if every and self.iteration % every == 0 and self.iteration < self.cfg.iterations:  # the last is model.pth
            path = self.run_dir / "snapshots" / f"iter_{self.iteration:07d}.pth"
            path.parent.mkdir(exist_ok=True)
            save_torch(path, _exported(self.model, self.cfg.stage))

    def checkpoint(self) -> None:
        state = {"iteration": self.iteration, "model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                 "rng": torch.get_rng_state(), "config_digest": self.cfg.digest()}
        save_torch(self.run_dir / "last.pt", state)
