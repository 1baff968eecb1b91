# Setup is idempotent: each step runs only when its inputs changed.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Extra server options for `make run`, such as short token lifetimes:
# make run SERVER_ARGS="--access-token-ttl 20 --refresh-token-ttl 600"
SERVER_ARGS ?=
# `make dist RUNTIME=cdn` loads Pyodide and PyScript from jsDelivr instead of
# copying them; API_ORIGIN adds API origins to the CSP connect-src.
RUNTIME ?= local
API_ORIGIN ?=

.PHONY: setup run test unit e2e dist soak bench clean

setup: $(VENV)/.installed runtime/.installed .cache/debian.installed

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

run: setup
	$(VPY) -m server --host $(HOST) --port $(PORT) $(SERVER_ARGS)

unit: setup
	$(VPY) -m pytest -q tests $(PYTEST_ARGS)

# The browser tests serve dist/ from a plain static server, so they build it
# first (about a second; it copies the runtime).
e2e: setup dist
	$(VPY) -m pytest -q e2e $(PYTEST_ARGS)

test: setup dist
	$(VPY) -m pytest -q tests e2e $(PYTEST_ARGS)

dist: setup
	$(VPY) -m deploy --out dist --runtime $(RUNTIME) $(foreach origin,$(API_ORIGIN),--connect-src $(origin))

clean:
	rm -rf runtime node_modules .cache dist data
