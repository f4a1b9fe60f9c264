# Set-up:     make system-deps && make setup
# Main job:   make demo      (synthesize the app, run it locally as real servers, smoke-test every cache, tear down)
# Tests:      make test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: system-deps setup demo test lint synth bench clean

system-deps:
	bash scripts/install-system-deps.sh

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constructs/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(PY) scripts/local.py demo

synth: setup
	npx cdk synth -q

test: setup
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy constructs/elasticache_constructs stacks app.py scripts

bench: setup
	$(PY) benchmarks/synth_bench.py
	$(PY) benchmarks/smoke_bench.py
	$(PY) benchmarks/local_bench.py --failover

clean:
	rm -rf cdk.out .local-elasticache local-outputs.json
