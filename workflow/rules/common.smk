# Helpers shared by the rules: paths and params are built here so rules stay declarative.
import sys

from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

PY = sys.executable


def flops_params():
    return {"py": PY, "scale": config.get("data", {}).get("scale", 4)}
