# Atrium: `make run` serves on :5005, `make test` runs lint, types and the suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONSTRAINTS := .ci/constraints.txt

.PHONY: install system-deps run serve migrate test lint types pytest test-postgres test-scale fmt bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@$(MAKE) --no-print-directory system-deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -c $(CONSTRAINTS) -e '.[dev]'
	@touch $(STAMP)

# libmagic decides file types; python3-venv makes the virtualenv. Installed when root, named otherwise.
system-deps:
	@missing=""; \
	ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1' || missing="$$missing libmagic1"; \
	$(PY) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Atrium needs these system packages: sudo apt-get install$$missing"; exit 1; fi; \
	fi

run: install migrate serve

serve: install
	$(BIN)/atrium serve --no-migrate

migrate: install
	$(BIN)/atrium migrate

test: lint types pytest test-scale

lint: install
	$(BIN)/ruff check app tests alembic bench
	$(BIN)/ruff format --check app tests alembic bench
	$(BIN)/lint-imports --no-logo

types: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -n 2 --dist loadgroup

# The same suite on PostgreSQL (a throwaway cluster on loopback; installs the server when root).
test-postgres: install
	.ci/postgres-tests

# The scale stack: the suite again on PostgreSQL (a throwaway cluster) and S3 (moto's server on
# loopback, started by the tests), but for tests/internals, which pin the default stack's thread
# hops, statements and reads on purpose, and tests/contract, whose document, generated client and
# docs pages are the same on every stack (tests/test_openapi.py pins that). Tests that look into the
# local directory store itself skip there (`local_store_only`).
SCALE_TESTS ?= tests --ignore=tests/internals --ignore=tests/contract
test-scale: install
	ATRIUM_TEST_S3=1 .ci/postgres-tests $(SCALE_TESTS)

fmt: install
	$(BIN)/ruff check --fix app tests alembic bench
	$(BIN)/ruff format app tests alembic bench

bench: install
	$(BIN)/python -m bench

# Re-pin the versions a fresh install gets to what is installed now.
lock: install
	$(BIN)/pip freeze --exclude-editable --exclude atrium > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .import_linter_cache
