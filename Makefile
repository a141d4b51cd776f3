# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow lint typecheck bench docs clean

# the C loader is compiled by the install (hatch_build.py): a change to it installs again, as
# a change to the install's steps here does
$(STAMP): pyproject.toml hatch_build.py kpolicy/_cload.c Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# pip does not show the build hook's warning: say why there is no C loader, if there is none
	@$(BIN)/python -c 'import kpolicy._cload' 2>/dev/null || $(BIN)/python hatch_build.py || true
	@# setuptools comes with the venv (and pbr, which sarif-om needs, needs it); its .pth file
	@# imports _distutils_hack at every start of the venv's interpreter, 0.4 ms of every kpolicy
	@# command, for `import distutils`, which nothing here does (pip builds in its own env)
	rm -f $(VENV)/lib/python*/site-packages/distutils-precedence.pth
	@# a clone's rule files are as new as rules/index.marshal or newer, and kpolicy reads each
	@# such file for its CRC at every start (most of the ninety): a current index is made the
	@# newer; a stale one stays as it is (kpolicy parses the files, tests/test_rule_index.py fails)
	$(BIN)/python tools/gen_rule_index.py --check --touch || true
	@# kpolicy's bytecode written now: where PYTHONDONTWRITEBYTECODE is set, an editable install
	@# would otherwise compile every module from source at every start (a run twice as long)
	$(BIN)/python -m compileall -q kpolicy >/dev/null
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
	@echo
	@echo "== kpolicy plan --live examples-live/cluster.yaml (a live namespace as it stands: a stuck rollout, a rollout half way, a paused one, a crash-looping StatefulSet Pod, a DaemonSet stuck on a crash-looping Pod) =="
	@$(BIN)/kpolicy plan --live examples-live/cluster.yaml
	@echo
	@echo "== kpolicy plan examples-live/change --live examples-live/cluster.yaml (scale the stuck rollout 10 -> 15, rollover, scale while paused, revert the StatefulSet and the DaemonSet, grow the canary) =="
	@$(BIN)/kpolicy plan examples-live/change --live examples-live/cluster.yaml
	@echo
	@echo "== kpolicy plan --live examples-live/cluster.yaml --undo deployment/web --to-revision 1 -n shop =="
	@$(BIN)/kpolicy plan --live examples-live/cluster.yaml --undo deployment/web --to-revision 1 -n shop

# `make test` runs `make lint` first, so CI does
test: lint
	@# (a module added since the install has its bytecode too: see the install step)
	$(BIN)/python -m compileall -q kpolicy >/dev/null
	$(BIN)/python -m pytest -q -n 2

# the tests marked slow, and every property test (hypothesis) with its full example count
# (tests.helpers.examples: make test runs fewer)
test-slow: $(STAMP)
	KPOLICY_TEST_RUN=slow $(BIN)/python -m pytest -q -n 2 -m 'slow or hypothesis'

# mypy checks kpolicy/ and tests/ (the packages of [tool.mypy] in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check kpolicy tests tools benchmarks
	$(BIN)/ruff format --check kpolicy tests tools benchmarks
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/kpolicy rules --format markdown > docs/rules.md
	$(BIN)/python tools/gen_schemas.py --overlay
	$(BIN)/python tools/gen_compiled_schemas.py
	$(BIN)/python tools/gen_rule_index.py
	$(BIN)/python tools/gen_record_shapes.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .kpolicy_cache
