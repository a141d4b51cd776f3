# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow lint typecheck bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== kpolicy lint examples/ (the examples have deliberate mistakes) =="
	@$(BIN)/kpolicy lint examples/; status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi
	@echo
	@echo "== kpolicy plan examples/ =="
	@$(BIN)/kpolicy plan examples/
	@echo
	@echo "== kpolicy plan examples-v2 --from examples (what the change does) =="
	@$(BIN)/kpolicy plan examples-v2 --from examples

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m slow

lint: $(STAMP)
	$(BIN)/ruff check kpolicy tests tools
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/kpolicy rules --format markdown > docs/rules.md
	$(BIN)/python tools/gen_schemas.py --overlay
	$(BIN)/python tools/gen_rule_index.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .kpolicy_cache
