"""Evaluation and analysis over trained models: metrics per image, latency, routing policies, regression checks."""
