# swingdesk: `make run` starts the desk on the embedded defaults, `make test` runs every check.
# Both set themselves up: a pinned uv in .tools/ installs the locked dependencies into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# The dashboard (web/, React + Vite) is built into the package; serve needs no Node at run time.
NPM ?= npm
WEB_OUT := src/swingdesk/web
WEB_STAMP := $(WEB_OUT)/.built
WEB_DEPS := web/node_modules/.ci-stamp
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) \
	$(wildcard web/index.html web/package.json web/package-lock.json web/.npmrc \
	web/vite.config.* web/tsconfig*.json web/eslint.config.*)
CHROMIUM := /usr/bin/chromium

.PHONY: install run test lint typecheck unit bench clean dashboard web-test chromium screenshots

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

run: install dashboard
	$(BIN)/swingdesk serve

# npm ci when node_modules is missing or older than the lock file.
$(WEB_DEPS): web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund
	@touch $@

# Rebuild when a source, the page, the package files or the Vite/TS config is newer.
$(WEB_STAMP): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && $(NPM) run build
	@touch $@

# Build the dashboard if needed; without npm, warn and let the API start anyway.
dashboard:
	@if command -v $(NPM) >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(WEB_STAMP); \
	else \
		echo "WARNING: npm not found: the dashboard is NOT built (the API still works;" \
			"install Node 20 + npm and re-run make run to get the dashboard at /)" >&2; \
	fi

# The dashboard's own checks: ESLint (with React's hooks rules), Vitest and the TypeScript compiler.
web-test: $(WEB_STAMP)
	cd web && $(NPM) run lint
	cd web && $(NPM) test
	cd web && $(NPM) run typecheck

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
chromium:
	@test -x $(CHROMIUM) || { \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; \
	}

# Run the browser tests and commit their screenshots as the README's pictures.
screenshots: install $(WEB_STAMP) chromium
	$(BIN)/pytest tests/e2e -q
	mkdir -p docs/screenshots
	cp var/e2e-artifacts/screens/*.png docs/screenshots/

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: lint typecheck web-test chromium
	$(BIN)/pytest

bench: install
	$(UV) sync --frozen --python $(PYTHON) --group bench  # backtrader, for bench_backtest.py only
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache var $(WEB_OUT)
