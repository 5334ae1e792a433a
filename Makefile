# Set-up, tests and the main job on a fresh machine with Python >= 3.11:
#   make test     unit tests + the ci profile of the workflow + its regression check against results/reference/ci
#   make demo     the default profile: the whole pipeline on the embedded images (19 min on 2 AVX-512 cores, 36 on 2 AVX2 cores: docs/demo.md)
#   make fsrcnn-cpu  ClassSR-FSRCNN at paper widths and its loss ablations on the embedded images (three seeds, ≈ 80 min each on 2 cores)
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# Exact torch pin: on these machines 2.13.0 is a local CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
TORCH ?= torch==2.13.0
CORES ?= 2

.PHONY: install test unit ci-regression demo fsrcnn-cpu flops clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

unit: install
	$(PY) -m pytest -q

ci-regression: install
	rm -rf results/ci logs/ci
	$(PY) -m snakemake --cores $(CORES) --configfile configs/ci.yaml
	$(PY) -m snakemake --configfile configs/ci.yaml --report results/ci/report.html
	$(PY) -m bench compare results/ci results/reference/ci

test: unit ci-regression

demo: install
	$(PY) -m snakemake --cores $(CORES)

fsrcnn-cpu: install
	$(PY) -m snakemake --cores $(CORES) --configfile configs/fsrcnn_cpu.yaml

flops: install
	$(PY) -m bench flops

clean:
	rm -rf $(VENV) .snakemake .pytest_cache
