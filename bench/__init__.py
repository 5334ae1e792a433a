"""classsr-bench: reproduce, measure and extend ClassSR (Kong et al., "ClassSR: A General Framework to
Accelerate Super-Resolution Networks by Data Characteristic", CVPR 2021).

Sub-modules: ``models`` (networks, registry, official checkpoints), ``flops``, ``metrics``, ``tiling``,
``images``. ``bench`` never imports Snakemake.
"""
__version__ = "0.1.0"
