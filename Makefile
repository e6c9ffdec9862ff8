# OneCall 311. `make run` and `make test` each do their own setup on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
# Prism serves Twilio's own OpenAPI description so tests check every outbound request against Twilio's schema.
PRISM := .tools/prism/node_modules/.bin/prism
PRISM_VERSION := 5.14.2

.PHONY: install run test lint bench clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

$(PRISM):
	mkdir -p .tools/prism
	cd .tools/prism && npm install --no-audit --no-fund --silent @stoplight/prism-cli@$(PRISM_VERSION)

run: install
	$(PY) run.py $(ARGS)

test: install $(PRISM)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(ARGS)

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m ruff format --check .

bench: install
	$(PY) bench/kb_accuracy.py
	$(PY) bench/ewt_accuracy.py
	$(PY) bench/webhook_speed.py

clean:
	rm -rf $(VENV) var .tools .pytest_cache .ruff_cache
