"""Captions of the report (bench.commands.report): one short line under each table and figure, pointing to the
legend (tables/README.md: what every column means, rendered once per report) and to the scale of the run
(tables/scale.md: the profile beside the paper's recipe), instead of repeating both under every table (issue 26).
"""
from __future__ import annotations

from dataclasses import dataclass

#: Longest caption under a table or figure: two lines of 120 characters.
MAX_CAPTION = 240


@dataclass(frozen=True)
class Legend:
    title: str
    short: str
    """One line under the table or figure."""
    long: str
    """What every column or mark means (tables/README.md)."""


LEGENDS = {
    'table1': Legend(
        'Table 1',
        'Table 1 of ClassSR (Kong et al., CVPR 2021) regenerated: PSNR (dB) and FLOPs per 32×32 LR patch; ClassSR − its -O with a 95 % interval.',
        (
        'Table 1 (ClassSR, Kong et al. CVPR 2021) regenerated. PSNR: dB, RGB, scale-px border crop, mean over images; '
        'gain_over_bicubic_db: PSNR minus MATLAB-bicubic upscaling of the same LR on the same grid and crop (the bicubic '
        "row, 0 FLOPs). flops_paper / flops_pct: our exact FLOPs per 32×32 LR patch in the paper's convention (classifier"
        " included for every ClassSR) and % of the -O network; flops_authors / flops_pct_authors: the authors' "
        'bookkeeping (rounded constants, classifier for FSRCNN only), which the published numbers use, so diff_flops_pct '
        '(relative FLOPs difference, %) and diff_pct_points are computed from it; paper_* = published. max_class_frac: '
        'largest share of the test patches sent to one class; collapsed: ≥ 95 %. delta_vs_original_db: ClassSR − its -O '
        '(mean over images) with its 95 % paired bootstrap interval over the test images (delta_ci_low_db, '
        'delta_ci_high_db; delta_significant: the interval excludes 0). With several training seeds (seeds > 1) each '
        'value is the mean over seeds, psnr_sd_db and flops_pct_sd their sd across seeds, and the intervals resample '
        'images and seeds.')),
    'ablations': Legend(
        'Ablations',
        "ClassSR's ablations: every variant beside its -O and bicubic, PSNR (dB), FLOPs and routing; differences with 95 % intervals.",
        (
        'Ablations: every ClassSR variant next to its -O network and the bicubic reference. flops_pct: % of the -O '
        "network's FLOPs (paper convention, classifier included); mean_max_prob: mean over test patches of the "
        "classifier's largest softmax probability (1 = hard decisions); frac_classK: share of patches routed to class K "
        '(0 = simple); collapsed: ≥ 95 % of the patches to one class. delta_vs_main_db: the variant − the main '
        'ClassSR; max_prob_vs_main and hard_frac_vs_main: the same for the mean max probability and for the share of '
        "patches sent to the variant's hardest class (per image, then the mean over images — the paper's two loss "
        'ablations predict them: without Class-Loss softer, without Average-Loss more hard), each with its 95 % '
        'interval over images (and seeds); * = it excludes 0. With several seeds: means over seeds, psnr_rgb_sd_db '
        'and flops_pct_sd the sd across seeds.')),
    'arm': Legend(
        'ARM',
        "ARM (Chen et al., ECCV 2022) beside ClassSR on one protocol: PSNR (dB) and FLOPs per patch along ARM's η sweep.",
        (
        'ARM (Chen et al., ECCV 2022) beside ClassSR, one protocol: PSNR in dB (RGB, scale-px crop, mean over images; the'
        ' same engine, tiling and overlap averaging for every method); gain_over_bicubic_db against MATLAB bicubic of the'
        " same LR; flops_paper: FLOPs per 32×32 LR patch in the paper's convention (ARM's cost list; its bicubic path, "
        "edge score and table lookup count 0 as ARM counts them; ClassSR's classifier counted); flops_pct: % of the full "
        'network (ARM: its full width; ClassSR: its -O); flops_pct_original: % of the -O network of the same source, one '
        "denominator for all (they differ where the run's -O is narrower than ARM's full width). knob: k (η = k·C_3) or "
        'e<j> (path j forced); frac_pathJ: share of patches on path J (0 = bicubic, J = J-th width). source paper: '
        "ClassSR's Table 1 and ARM's ARM-L/M/S (its test logs; a different k per test set). A table built here (arm.table"
        " calibrate) comes from training sub-images, not DIV2K's validation set as ARM's.")),
    'methods': Legend(
        'Registered methods',
        "Registered methods (e.g. PCSR, ECCV 2024) under ClassSR's protocol, beside bicubic, the -O and ClassSR: PSNR (dB), FLOPs.",
        (
        "Registered methods (bench.methods) under ClassSR's protocol, beside the bicubic reference, the -O network and "
        'the main ClassSR of the same backbone: PSNR in dB (RGB, scale-px crop, mean over images), flops_paper per 32×32 '
        "LR patch (paper convention, the method's routing cost included) and flops_pct (% of the -O network); "
        'frac_classK: share of patches on path K (0 = cheapest); collapsed: ≥ 95 % of the patches on one path.')),
    'protocol': Legend(
        'Protocol matrix',
        "How far each protocol choice (Y or RGB, border crop, whole image or 32/28 grid) moves each model's PSNR (dB), with 95 % intervals.",
        (
        "Protocol matrix: psnr_rgb_db is each model's evaluated cell (RGB, scale-px border crop, its own inference, the "
        "test set's LR bits); every d_* column changes one choice and gives measure − reference in dB, mean over the test"
        " images with a 95 % paired bootstrap interval (2,000 resamples) — '*' marks an interval that excludes 0. "
        "d_whole_minus_grid_db: the same network on the whole covered LR image at once minus on the authors' 32/28 grid "
        "(empty for a routed model, which routes per patch). published_cell: the cell of the method's published numbers; "
        'published_here: whether this row is measured in that cell.')),
    'learning_curve': Legend(
        'Learning curves',
        'Learning curves of the -O networks: PSNR (dB) at kept snapshots and its gain over bicubic.',
        (
        'Learning curves: mean PSNR (dB, RGB, same grid and crop as Table 1) of every -O network at its kept snapshots '
        '(train.snapshot_every) and at the end of training; gain_over_bicubic_db: minus MATLAB-bicubic upscaling of the '
        'same LR (0 FLOPs).')),
    'stage2': Legend(
        'Stage 2',
        'Stage 2 (Class-Module training) at kept iterations: test PSNR (dB), FLOPs and routing, and the routing of training sub-images.',
        (
        "Stage 2 (ClassSR's Class-Module training) at every kept iteration (train.stage2_points) and at its end: test "
        "rows = the evaluation protocol of Table 1 (PSNR dB mean over images; flops_pct: % of the -O's FLOPs per patch, "
        'paper convention, classifier included; frac_classK: share of test patches routed to class K, 0 = simple); '
        'train_frac_classK: the same Class-Module on training sub-images (a fixed seeded sample); mean_max_prob: mean '
        'largest softmax probability; routing_gap: total-variation distance between train and test fractions.')),
    'classifier_efficiency': Legend(
        'Classifier efficiency',
        "How much of the oracle's gain over random routing each trained Class-Module achieves, and its margin over chance.",
        (
        "Classifier efficiency = (PSNR_classifier − PSNR_random) / (PSNR_oracle − PSNR_random) at the classifier's branch"
        ' FLOPs (random keeps its class fractions; the oracle curve is interpolated there): 1 = as good as any routing of'
        ' these branches, 0 = chance, < 0 = worse than chance; empty when the oracle beats random by less than 0.05 dB. '
        'PSNR in dB (patch-decomposed): mean over images as the paper, and pooled (one MSE over all patches; *_pooled) — '
        'the image mean penalises a routing that concentrates its cheap branches in a few images, and the oracle bounds '
        "the pooled PSNR only (its points exactly, interpolated between them). psnr_evaluated_db: the evaluation's "
        '(overlap-averaged) PSNR of the trained routing. classifier_minus_random_pooled_db: pooled PSNR of the trained '
        'routing minus random routing at its fractions (expected), with 95 % bootstrap intervals over patches (narrow: '
        'patches of an image are correlated) and over images (conservative).')),
    'routing_curves': Legend(
        'Routing curves',
        'PSNR (dB) vs FLOPs per patch of every routing of the same branches: oracle, random, logit bias, the trained classifier.',
        (
        'Routing analysis of each trained ClassSR model from one per-patch pass over the test set '
        '(bench.analysis.routing): PSNR from the patch-decomposed image error (each HR pixel counted once, overlaps split'
        ' at their middle; the evaluated, overlap-averaged PSNR of the trained routing is in classifier_efficiency.csv; '
        "psnr_pooled_db: one MSE over all patches), FLOPs per 32×32 LR patch in the paper's convention, classifier "
        'included only where it runs. Oracle: per patch the branch minimising squared error + λ·FLOPs; random: the '
        "classifier's classes shuffled (10 draws); logit bias: logits − knob·k; bicubic path: 0 FLOPs.")),
}

ARM_FIG_NOTE = (
    "Triangles: ARM (filled: this run's η sweep; hollow: ARM's published ARM-L/M/S); an ARM point with every patch on"
    ' its bicubic path (0 FLOPs) lies off the axis: see tables/arm.md.')
METHODS_FIG_NOTE = 'Diamonds: registered methods (tables/methods.md).'
FIG2_SHORT = "PSNR (dB) vs FLOPs per 32×32 LR patch (paper convention), Fig. 2 of ClassSR: this run filled, the paper hollow."
FIG2_LONG = ("Filled: this run; hollow: the paper (Table 1; with ARM: ARM's ARM-L/M/S); dashed: bicubic (0 FLOPs); "
             "bars: 95 % paired interval of a model minus its -O over the test images. ")


def caption(key: str, *, figure: bool = False) -> str:
    """The line under a table (or, ``figure``, a figure) of ``key``."""
    if figure:  # plain text in a PNG
        return f"{LEGENDS[key].short} Legend: tables/README.md#{key}; scale of this run: tables/scale.md."
    return f"{LEGENDS[key].short} [Legend](README.md#{key}) · [scale of this run](scale.md)."


def readme(shown: dict[str, str]) -> str:
    """tables/README.md: the legend of every table rendered (``shown``: key -> its legend text for this run)."""
    parts = ["# Legend of this report\n", "What every table and figure shows and what its columns mean; the scale of "
             "this run (the profile beside the paper's recipe) is in [scale.md](scale.md).\n"]
    for key, text in shown.items():
        title = LEGENDS[key].title if key in LEGENDS else key
        parts.append(f"## {key}\n\n**{title}.** {text.strip()}\n")
    return "\n".join(parts)
