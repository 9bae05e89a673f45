# `make demo` and `make test` set themselves up: a .venv with the project installed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test dev bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/recomart demo

dev: $(STAMP)
	$(BIN)/recomart dev

test: $(STAMP)
	$(BIN)/ruff check recomart_assets recomart_assets_tests bench
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .dagster_home
