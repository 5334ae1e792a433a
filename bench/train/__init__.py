"""Training: the paper's stages (reference net, branches, -O baselines, ClassSR, joint fine-tuning), one trainer."""
