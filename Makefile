# ftf-warehouse: `make run` and `make test` bootstrap .venv from the lock file first.
PY       ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: setup browser run test clean help server deploy worker e2e faults bench-claims bench bench-scale e2e-multi

help:
	@echo "make run    - set up .venv and run the main job on the embedded mirror (offline)"
	@echo "make test   - set up .venv (and headless Chromium for the report test) and run the tests"
	@echo "make server - local Prefect server and UI on http://127.0.0.1:4200 (leave it running; PREFECT_PORT=4377 for another port)"
	@echo "make deploy - create the ftf-process work pool, the refresh-daily / refresh-manual deployments and the alerts"
	@echo "make worker - start a process worker that runs the deployments' flow runs"
	@echo "make e2e    - end-to-end test on a real server, worker and browser (about 2 minutes on an idle machine)"
	@echo "make faults - the fault matrix: hostile documents, HTTP, warehouse, SQL, kill -9 (prints case -> outcome)"
	@echo "make bench-claims - precision/recall of the claim extractor on the labelled devset and held-out sentences"
	@echo "make bench  - no-op and one-source runs against the Prefect floor (a few minutes; BENCH_ARGS=--cold)"
	@echo "make bench-scale ROWS=N - N invented GED events through the real pipeline vs the DuckDB floor (default 10,000,000)"
	@echo "make e2e-multi - two workers on a PostgreSQL-backed Prefect server racing to load (one writer at a time)"

# uv installs the hash-checked lock in seconds; pip is the fallback when uv cannot be had.
UV_VERSION := 0.13.9
$(STAMP): requirements.lock pyproject.toml
	@t0=$$(date +%s); step() { echo "[setup $$(( $$(date +%s) - t0 ))s] $$*"; }; \
	step "creating $(VENV) with $$($(PY) --version)"; \
	$(PY) -m venv $(VENV) || exit 1; \
	if [ ! -x $(BIN)/uv ]; then \
		step "installing uv $(UV_VERSION) into $(VENV) (pip)"; \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) || step "uv not available: falling back to pip"; \
	fi; \
	if [ -x $(BIN)/uv ]; then \
		step "installing requirements.lock with uv (hash-checked)"; \
		$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements.lock || exit 1; \
		$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . || exit 1; \
	else \
		step "installing requirements.lock with pip (hash-checked; a few minutes)"; \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock || exit 1; \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . || exit 1; \
	fi; \
	rm -f $(VENV)/.installed-*; touch $(STAMP); step "environment ready"

setup: $(STAMP)

run: setup
	$(BIN)/ftf run --mode mirror

# Headless Chromium + chromedriver for tests/test_report_browser.py (Debian packages; needs root).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
	fi

test: setup browser
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

clean:
	rm -rf $(VENV) data .pytest_cache

# ---- Prefect: server, deployments, worker (README "Schedule it"; deploy/prefect.yaml) ----------
# `make server` in one terminal, then `make deploy` and `make worker` in another.
# PREFECT_HOST/PREFECT_PORT: where the server listens; PREFECT_PUBLIC_URL: where a browser reaches it
# (the UI asks /ui-settings for its API address, which Prefect would otherwise take from port 4200).
PREFECT_HOST ?= 127.0.0.1
PREFECT_PORT ?= 4200
PREFECT_PUBLIC_URL ?= http://$(PREFECT_HOST):$(PREFECT_PORT)
deploy worker: export PREFECT_API_URL ?= http://127.0.0.1:$(PREFECT_PORT)/api

server: setup
	PREFECT_SERVER_API_HOST=$(PREFECT_HOST) PREFECT_SERVER_API_PORT=$(PREFECT_PORT) \
	PREFECT_UI_API_URL=$(PREFECT_PUBLIC_URL)/api PREFECT_UI_URL=$(PREFECT_PUBLIC_URL) \
	$(BIN)/prefect server start --host $(PREFECT_HOST) --port $(PREFECT_PORT)

deploy: setup
	@$(BIN)/python -m flows.serve wait "$$PREFECT_API_URL" 30
	$(BIN)/prefect work-pool create ftf-process --type process --overwrite
	$(BIN)/prefect --no-prompt deploy --all --prefect-file deploy/prefect.yaml
	$(BIN)/python -m flows.alerts apply deploy/automations.yaml

# FTF_PROJECT_DIR: the checkout the deployments' pull step moves each flow run into.
worker: export FTF_PROJECT_DIR ?= $(CURDIR)
worker: setup
	@$(BIN)/python -m flows.serve wait "$$PREFECT_API_URL" 30
	$(BIN)/prefect worker start --pool ftf-process --type process

# bench/noop/run_bench.py: medians of several runs in bench/results/ (not a timed test).
bench: setup
	$(BIN)/python bench/noop/run_bench.py $(BENCH_ARGS)

e2e: setup
	FTF_E2E=1 $(BIN)/python -m pytest tests/e2e -p no:cacheprovider --durations=0 -s

# The fault matrix (tests/faults/, README "Safety and failure"): about 5-8 minutes with its real
# processes (kill -9 of a run, Prefect task retries), so CI runs it beside `make test`, not inside it.
faults: setup
	FTF_FAULTS=1 $(BIN)/python -m pytest tests/faults -p no:cacheprovider -p no:randomly -q

# ---- claims: precision / recall of flows/claims (README "What to expect from the extractor").
# The devset (real news, used for development) and the held-out sentences (never tuned on) are scored apart.
bench-claims: setup
	@$(BIN)/ftf claims --evaluate tests/claims/devset --evaluate tests/claims/heldout

# ---- Scale (issue 12): event datasets at ten million rows; runs spread over machines ------------
ROWS ?= 10000000
bench-scale: setup
	$(BIN)/python -m bench.scale --rows $(ROWS)

# Two workers on a PostgreSQL-backed Prefect server (Debian postgresql, installed if missing; needs root).
e2e-multi: setup
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; }
	FTF_E2E_MULTI=1 $(BIN)/python -m pytest tests/e2e_multi -p no:cacheprovider --durations=0 -s
