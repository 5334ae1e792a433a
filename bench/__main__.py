"""``python -m bench <verb>``: the command line of classsr-bench (see ``python -m bench --help``)."""
from .cli import main

raise SystemExit(main())
