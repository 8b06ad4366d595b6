# Two commands: `make demo` runs the demo, `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit fuzz install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pdsync demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -n 4  # four workers: most test time is waiting (servers, subprocesses)

test: lint typecheck unit

# Property tests randomized, with more examples (`make test` runs them derandomized).
fuzz: $(STAMP)
	$(BIN)/pytest -q -m hypothesis --hypothesis-profile=fuzz

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
