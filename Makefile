# OneCall 311. `make run` and `make test` each do their own setup on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: install run test lint bench clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

run: install
	$(PY) run.py $(ARGS)

test: install
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
