# One virtualenv, created on demand; every target depends on it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest lark-versions bench bench-env fuzz parser-cache demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev,server,postgres,sqlalchemy,fastapi,starlette,flask,django,pydantic]'
	touch $(STAMP)

test: $(STAMP) lark-versions
	$(BIN)/ruff check graphfields tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check graphfields tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# The parser's tests (fuzz tests included) under the lowest Lark that pyproject.toml declares
# and under the newest it allows, each in its own virtualenv with only Lark and the test tools
# (the checkout's graphfields is imported from the source tree). The shipped parser tables
# are made with one Lark version; under another they are ignored and rebuilt in memory.
LARK_SPEC := $(shell sed -n 's/.*"\(lark>=[^"]*\)".*/\1/p' pyproject.toml)
LARK_MIN := $(shell sed -n 's/.*"lark>=\([0-9.]*\).*/\1/p' pyproject.toml)
LARK_TESTS := tests/test_parser.py tests/test_fuzz.py tests/test_printer.py tests/test_grammar_tables.py
LARK_TOOLS := "pytest>=8" "hypothesis>=6.100"

.venv-lark-min/.installed: pyproject.toml
	test -x .venv-lark-min/bin/python || $(PY) -m venv .venv-lark-min
	.venv-lark-min/bin/python -m pip install -q "lark==$(LARK_MIN)" $(LARK_TOOLS)
	touch $@

.venv-lark-new/.installed: pyproject.toml
	test -x .venv-lark-new/bin/python || $(PY) -m venv .venv-lark-new
	.venv-lark-new/bin/python -m pip install -q --upgrade "$(LARK_SPEC)" $(LARK_TOOLS)
	touch $@

lark-versions: .venv-lark-min/.installed .venv-lark-new/.installed
	@for venv in .venv-lark-min .venv-lark-new; do \
		echo "== parser tests under lark $$($$venv/bin/python -c 'import lark; print(lark.__version__)') ($$venv)"; \
		PYTHONPATH=$(CURDIR) $$venv/bin/python -m pytest -q -p no:cacheprovider $(LARK_TESTS) || exit 1; \
	done

# Strawberry (a reference of bench_async) and strawberry-sqlalchemy-mapper (of
# bench_sqlalchemy) need graphql-core 3.3, the project pins 3.2: they get a virtualenv of
# their own, when they install (`make bench-env` makes it alone).
STRAWBERRY := $(VENV)/strawberry
bench-env: $(STAMP)
	@test -x $(STRAWBERRY)/bin/python || { $(PY) -m venv $(STRAWBERRY) && \
		$(STRAWBERRY)/bin/python -m pip install -q 'strawberry-graphql' \
		'strawberry-sqlalchemy-mapper>=0.9' \
		'sqlalchemy>=2.0,<2.1' 'psycopg[binary]>=3.1' 'lark>=1.1.9,<2' \
		'uvicorn>=0.29' 'starlette>=0.36' 'orjson>=3.9' || \
		{ rm -rf $(STRAWBERRY); echo "strawberry-sqlalchemy-mapper did not install: skipped"; }; }

bench: bench-env
	$(BIN)/python -m benchmarks

# Hypothesis with the `deep` profile (tests/conftest.py), then atheris (libFuzzer) when it
# installs; FUZZ_RUNS sets the atheris run count.
FUZZ_RUNS ?= 300000
fuzz: $(STAMP)
	GRAPHFIELDS_FUZZ=1 $(BIN)/pytest tests -k fuzz -p no:cacheprovider --hypothesis-profile=deep
	@if $(BIN)/python -m pip install -q atheris; then \
		$(BIN)/python tests/fuzz_atheris.py -runs=$(FUZZ_RUNS) -max_len=256; \
	else \
		echo "atheris did not install here: skipped (the hypothesis fuzzing above ran)"; \
	fi

# After editing grammar/fields.lark: ship ready-made parser tables (graphfields/syntax/_lalr_cache.pickle).
parser-cache: $(STAMP)
	$(BIN)/python -c "from graphfields.syntax._lark import write_parser_cache as w; print(w())"

demo: $(STAMP)
	$(BIN)/graphfields serve --demo --host 127.0.0.1 --port 8000

clean:
	rm -rf $(VENV) .venv-lark-min .venv-lark-new build dist .mypy_cache .pytest_cache .ruff_cache
