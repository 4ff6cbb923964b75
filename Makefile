# Two commands: `make run` serves the app on devhost, `make test` runs the whole suite.
# Both set up everything they need from a clean checkout. devhost (devhost/) is a package of its
# own, installed into .venv (editable) from requirements-dev.txt like any other dependency.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV_STAMP := .venv-checkov/.installed
NPM_STAMP := tools/node_modules/.installed
# Domain, security and read-model code is held to mypy --strict.
STRICT := entities security contracts readmodels observability projections/fold.py \
	projections/projector.py projections/rebuild.py projections/products.py projections/history.py

# The soak's offered load: half of the orders bench's measured peak on this machine; and its
# length (the committed bench/results/orders_soak.* ran 1800 s to show memory levels off).
SOAK_RATE ?= 27
SOAK_SECONDS ?= 600

.PHONY: run test test-devhost test-app lint typecheck bench bench-peers infra-check clean chaos soak

$(STAMP): requirements.txt requirements-dev.txt devhost/pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

# checkov pins an older template parser than the tests use, so it lives in its own venv.
$(CHECKOV_STAMP): tools/setup-checkov.sh
	PY=$(PY) tools/setup-checkov.sh
	touch $@

# The npm emulators (Azurite, cosmosdb-server) for the Azure adapters' tests, from the lockfile;
# npm's postinstall applies tools/patches/ (see its README), so a changed patch reinstalls too.
$(NPM_STAMP): tools/package.json tools/package-lock.json $(wildcard tools/patches/*.patch)
	npm ci --prefix tools --no-audit --no-fund
	touch $@

local.settings.json: local.settings.example.json
	test -f $@ || cp $< $@

run: $(STAMP) local.settings.json
	$(BIN)/devhost start --app . --port 7071

# devhost's own suite runs from its folder, with its own configuration, as it would alone.
test: $(STAMP) $(CHECKOV_STAMP) $(NPM_STAMP)
	bash tools/install-browser.sh
	$(BIN)/ruff check .
	$(BIN)/mypy --strict $(STRICT)
	cd devhost && ../$(BIN)/mypy
	cd devhost && ../$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q

test-devhost: $(STAMP)
	cd devhost && ../$(BIN)/python -m pytest -q

test-app: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(STRICT)

# The chaos suites alone (kill under load, Event Grid chaos); make test runs their short versions.
chaos: $(STAMP)
	$(BIN)/python -m pytest -q tests/chaos

# Soak: long API fuzzing (~17 min), kill under load with 2,000 orders and 30 kills (~5 min), and
# SOAK_SECONDS of orders at SOAK_RATE with queries mixed in (bench/orders_soak.py); rewrites
# bench/results/fuzz_api.*, chaos_kill.* and orders_soak.*.
soak: $(STAMP)
	FUZZ_LONG=1 FUZZ_RESULTS=1 $(BIN)/python -m pytest -q tests/fuzz
	CHAOS_LONG=1 CHAOS_RESULTS=1 $(BIN)/python -m pytest -q tests/chaos
	$(BIN)/python bench/orders_soak.py --rate $(SOAK_RATE) --duration $(SOAK_SECONDS)
	$(BIN)/python bench/plots.py bench/results/orders_soak.json

# Every offline infra check: tests/infra (parse, consistency, checkov), and compile and
# bicep lint when a Bicep CLI is on PATH (tools/infra-check.sh lists them).
infra-check: $(STAMP) $(CHECKOV_STAMP)
	tools/infra-check.sh

bench: $(STAMP)
	$(BIN)/python bench/devhost_bench.py
	$(BIN)/python bench/query_bench.py
	$(BIN)/python bench/orders_bench.py
	$(BIN)/python bench/scale_bench.py
	$(BIN)/python bench/plots.py

# devhost beside DBOS and the Temporal dev server (docs/bench-peers.md, ~30 min); the peers
# install into .venv-peers from pinned requirements, so the app's .venv stays as it is.
PEERS_STAMP := .venv-peers/.installed
$(PEERS_STAMP): bench/peers/requirements.txt
	test -x .venv-peers/bin/python || $(PY) -m venv .venv-peers
	.venv-peers/bin/python -m pip install -q -r bench/peers/requirements.txt
	touch $@

bench-peers: $(STAMP) $(PEERS_STAMP)
	$(BIN)/python bench/peers/run.py

clean:
	rm -rf $(VENV) .venv-checkov .devhost .pytest_cache .mypy_cache .ruff_cache tools/node_modules \
		devhost/.pytest_cache devhost/.mypy_cache
