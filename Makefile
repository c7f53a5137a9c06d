# The two entry points named at the top of the README.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow test-chaos test-browser bench lint clean

$(BIN)/modgate: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $(BIN)/modgate

demo: $(BIN)/modgate
	$(BIN)/modgate demo

lint: $(BIN)/modgate
	$(BIN)/ruff check src tests bench tools examples
	$(BIN)/mypy

# Two workers: the suite is process-safe (every test has its own MODGATE_HOME and temp folders).
test: lint
	$(BIN)/python -m pytest -m "not slow and not browser" -n 2

test-slow: $(BIN)/modgate
	$(BIN)/python -m pytest -m slow

# Random SIGKILLs and a 4-process mix against one home, then audit/state/leftover checks (~2 min).
test-chaos: $(BIN)/modgate
	$(BIN)/python -m tests.chaos

# End-to-end tests in Debian's chromium (/usr/bin/chromium; never a browser download).
test-browser: $(BIN)/modgate
	$(BIN)/python -m pytest -m browser tests/browser

bench: $(BIN)/modgate
	$(BIN)/python bench/run.py --quick --json

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
