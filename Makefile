# Set-up and test on a fresh machine with Python >= 3.11: `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# Exact torch pin: on these machines 2.13.0 is a local CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
TORCH ?= torch==2.13.0

.PHONY: install test flops clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q

flops: install
	$(PY) -m bench flops

clean:
	rm -rf $(VENV) .snakemake .pytest_cache
