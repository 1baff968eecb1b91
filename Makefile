# Setup is idempotent: each step runs only when its inputs changed.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
PEERS := bench/peers
PYODIDE_WHEELS := .cache/pyodide-wheels
# Extra server options for `make run`, such as short token lifetimes:
# make run SERVER_ARGS="--access-token-ttl 20 --refresh-token-ttl 600"
SERVER_ARGS ?=
# `make dist RUNTIME=cdn` loads Pyodide and PyScript from jsDelivr instead of
# copying them; API_ORIGIN adds API origins to the CSP connect-src.
RUNTIME ?= local
API_ORIGIN ?=

.PHONY: setup run test unit unit-pyodide e2e dist soak bench clean

setup: $(VENV)/.installed runtime/.installed .cache/debian.installed $(PYODIDE_WHEELS)/.installed

# Debian packages: Chromium for the browser tests, WordNet 3.0 for the paraphraser.
.cache/debian.installed:
	@mkdir -p .cache
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/wordnet/data.noun ]; then \
		echo "Installing Debian packages: chromium wordnet-base"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium wordnet-base; \
	fi
	@touch $@

$(VENV)/.installed: pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# The browser runtime comes from npm at the versions pinned in package-lock.json
# and is copied into runtime/, which the server and dist/ serve.
runtime/.installed: package.json package-lock.json scripts/copy_runtime.sh
	npm ci --no-audit --no-fund --loglevel=error
	sh scripts/copy_runtime.sh
	@touch $@

# pytest and its dependencies as pure-Python wheels for the unit tests under
# Pyodide, at the versions pinned in scripts/pyodide/requirements.txt.
$(PYODIDE_WHEELS)/.installed: scripts/pyodide/requirements.txt $(VENV)/.installed
	rm -rf $(PYODIDE_WHEELS)
	$(VPY) -m pip download -q --disable-pip-version-check --no-deps \
		--only-binary=:all: --python-version 3.14 --platform any --implementation py \
		-r scripts/pyodide/requirements.txt -d $(PYODIDE_WHEELS)
	@touch $@

run: setup
	$(VPY) -m server --host $(HOST) --port $(PORT) $(SERVER_ARGS)

unit: setup
	$(VPY) -m pytest -q tests $(PYTEST_ARGS)

# The plain-module tests (tests/app) again inside Pyodide's Python 3.14 on
# Node.js, with deprecation warnings as errors.
unit-pyodide: setup
	node scripts/pyodide/run.mjs $(PYODIDE_WHEELS) -W error::DeprecationWarning

# The browser tests serve dist/ from a plain static server, so they build it
# first (about a second; it copies the runtime).
e2e: setup dist
	$(VPY) -m pytest -q e2e $(PYTEST_ARGS)

test: setup dist unit-pyodide
	$(VPY) -m pytest -q tests e2e $(PYTEST_ARGS)

# The comparison pages of the benchmark: Uppy from npm at the versions pinned in
# bench/peers/package-lock.json, bundled with esbuild into bench/peers/site/.
$(PEERS)/site/.built: $(PEERS)/package.json $(PEERS)/package-lock.json $(wildcard $(PEERS)/src/*)
	cd $(PEERS) && npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(PEERS)/site && mkdir -p $(PEERS)/site
	cp $(PEERS)/src/plain.html $(PEERS)/src/plain.js $(PEERS)/src/rows.js $(PEERS)/src/uppy.html $(PEERS)/site/
	$(PEERS)/node_modules/.bin/esbuild $(PEERS)/src/uppy.js --bundle --minify \
		--format=esm --target=es2022 --log-level=warning --outfile=$(PEERS)/site/uppy.js
	@touch $@

bench: setup $(PEERS)/site/.built
	$(VPY) -m bench $(BENCH_ARGS)

dist: setup
	$(VPY) -m deploy --out dist --runtime $(RUNTIME) $(foreach origin,$(API_ORIGIN),--connect-src $(origin))

# The chaos soak: SOAK_FILES files through the page under injected faults.
# SOAK_SEED replays a run; without it a seed is chosen and printed.
SOAK_FILES ?= 200
SOAK_SEED ?=
soak: setup
	$(VPY) e2e/soak.py --files $(SOAK_FILES) $(if $(SOAK_SEED),--seed $(SOAK_SEED))

clean:
	rm -rf runtime node_modules .cache dist data $(PEERS)/node_modules $(PEERS)/site
