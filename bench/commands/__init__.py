"""``python -m bench`` verbs: each module has ``add_arguments(parser)`` and ``run(args) -> int``."""
