# One-command workflows. `make run` and `make test` work on a fresh machine:
# they call `make setup`, which creates .venv and installs what is missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-stamp
RAW ?= datasets/raw
STORE ?= datasets/warehouse
PORT ?= 8501

.PHONY: setup test run etl store bench clean demo

setup: $(STAMP)

$(STAMP): requirements.txt Makefile
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@# pip says what it collects, downloads and installs, one line each: on a
	@# fresh machine this takes 2-3 minutes and the user sees it moving.
	@echo "Installing $$(grep -c '^[A-Za-z]' requirements.txt) pinned packages from requirements.txt into $(VENV) (first time: 2-3 min)"
	@set -o pipefail; $(PY) -m pip install --disable-pip-version-check \
	  --progress-bar off -r requirements.txt 2>&1 \
	  | { grep -v '^Requirement already satisfied' || true; }
	@echo "Python packages ready."
	@# Debian's chromium renders charts to images (kaleido) and runs browser tests.
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian chromium and fonts (image export, browser tests)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium fonts-dejavu-core fonts-liberation >/dev/null) \
	      || echo "WARNING: chromium could not be installed; image export will be off"; \
	  else \
	    echo "NOTE: install chromium (apt-get install chromium) to enable image export"; \
	  fi; \
	fi
	@# A Java runtime runs analytics.batch's Spark engine (and its tests).
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq; \
	    jdk=$$(for p in openjdk-17-jre-headless default-jdk-headless; do \
	      apt-cache policy $$p 2>/dev/null | grep -q 'Candidate: [0-9]' \
	        && { echo $$p; break; }; done); \
	    if [ -n "$$jdk" ]; then \
	      echo "Installing Debian $$jdk (Spark engine of analytics.batch)"; \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$jdk >/dev/null \
	        || echo "WARNING: $$jdk could not be installed; Spark tests will skip"; \
	    else echo "WARNING: no Java package found; Spark tests will skip"; fi; \
	  else \
	    echo "NOTE: install a Java 17 runtime to use the Spark engine"; \
	  fi; \
	fi
	@# The deck measures its text with Liberation Sans (Arial's metrics).
	@if [ ! -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] \
	  && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian fonts-liberation (slide text measurement)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-liberation >/dev/null \
	    || echo "WARNING: fonts-liberation could not be installed; DejaVu is used"; \
	fi
	@touch $(STAMP)

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

etl: setup
	$(PY) -m analytics.etl --raw $(RAW) --store $(STORE) --report $(STORE)/last_report.json

store: setup
	@test -f $(STORE)/CURRENT || $(MAKE) --no-print-directory etl

run: store
	@# serve.py prints the address to open (http://localhost:$(PORT));
	@# another port: make run PORT=8600
	$(PY) serve.py --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false

demo: setup
	$(PY) datasets/make_demo.py --out datasets/raw/demo

bench: setup
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(STORE) .pytest_cache .ruff_cache
