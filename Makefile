# On a fresh Debian/Ubuntu machine two commands do everything (each does all the set-up it needs first:
# system packages when missing, the virtualenv, the CDK CLI; quick when they are present):
#   make demo      synthesize the app, run it locally as real servers, smoke-test every cache, tear down
#   make test      the test suite (unit, moto, live servers, emulator, installed wheels)
# Set-up alone: make setup (= make system-deps + .venv + npm ci).
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
# Test workers (pytest-xdist); the suite's budget is < 2 min on 2 cores.
WORKERS ?= 2
# Wheels of the pinned runtime dependencies, so the packaging test installs into a clean virtualenv offline.
WHEELHOUSE := $(VENV)/wheelhouse
# jsii warns on every start under an end-of-life Node (Debian bookworm ships 18, this project's CI runs 20).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20

.PHONY: system-deps setup demo test test-engines lint synth bench dist clean

system-deps:
	@bash scripts/install-system-deps.sh

setup: system-deps $(VENV)/.installed $(WHEELHOUSE)/.complete node_modules/.installed

# Order-only on system-deps: python3-venv and npm must exist first, but their presence never forces a rebuild.
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-build.txt pyproject.toml constructs/pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(WHEELHOUSE)/.complete: requirements.txt requirements-build.txt | $(VENV)/.installed
	$(VENV)/bin/pip download --quiet --dest $(WHEELHOUSE) -r requirements.txt -r requirements-build.txt
	touch $@

node_modules/.installed: package.json package-lock.json | system-deps
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(PY) scripts/local.py demo

synth: setup
	npx cdk synth -q

test: setup
	$(VENV)/bin/pytest -n $(WORKERS)

test-engines: setup
	ELASTICACHE_TEST_ENGINE=redis $(VENV)/bin/pytest -n $(WORKERS) tests/emulator tests/connect
	ELASTICACHE_TEST_ENGINE=valkey $(VENV)/bin/pytest -n $(WORKERS) tests/emulator tests/connect

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy constructs/elasticache_constructs stacks app.py scripts tests/install

bench: setup
	$(PY) benchmarks/synth_bench.py
	$(PY) benchmarks/smoke_bench.py
	$(PY) benchmarks/local_bench.py --failover

# Wheels and sdists of both distributions (construct library, toolkit) into dist/.
dist: setup
	$(PY) -m build --no-isolation --outdir dist constructs
	$(PY) -m build --no-isolation --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

clean:
	rm -rf cdk.out .local-elasticache local-outputs.json dist
