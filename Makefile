# OneCall 311. `make run` and `make test` each do their own setup on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: install run test lint bench clean browser screenshots

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

run: install
	$(PY) run.py $(ARGS)

test: install browser
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(ARGS)

# The console's browser tests drive Debian's Chromium (never a browser Playwright downloads): installed here when it is
# missing and we are root, otherwise one line says what to install; without it those tests are skipped, saying why.
browser:
	@test -x /usr/bin/chromium || command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the console's browser tests"; \
	    apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	      || echo "browser tests: apt-get install chromium failed; they will be skipped"; \
	  else echo "browser tests: install Debian's chromium (apt-get install chromium, as root) to run them"; fi; }

# The console's pictures in docs/, taken by the browser tests in real Chromium.
screenshots: install browser
	ONECALL_SCREENSHOTS=docs $(PY) -m pytest tests/console/test_browser*.py tests/console/test_scenarios_browser.py

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m ruff format --check .

bench: install
	$(PY) bench/kb_accuracy.py
	$(PY) bench/ewt_accuracy.py
	$(PY) bench/webhook_speed.py
	$(PY) bench/surge_detection.py

clean:
	rm -rf $(VENV) var .tools .pytest_cache .ruff_cache
