# Atrium: `make run` serves on :5005, `make test` runs lint, types and the suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONSTRAINTS := .ci/constraints.txt

.PHONY: install system-deps run serve migrate test lint types pytest test-postgres test-scale test-scale-all fmt bench lock clean

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

# The scale stack: PostgreSQL (throwaway cluster) and S3 (moto's server on loopback, started by the
# tests), on the tests that go through the seams only; tests that look into the local upload
# directory itself stay on the default stack. The tus protocol tests and two server processes on one
# upload are there for the resumable bytes on S3 (a lock object and one object per append);
# tests/test_processes.py runs two server processes on the one database and bucket; the move of a
# SQLite + local deployment (migrate-database, migrate-storage) lands on PostgreSQL + S3.
# More of the suite holds on S3 (tests/files/helpers.py looks at blobs through the store: the
# upload, refusal, trash, rendition, stats, portfolio and compression tests); they are left out
# here only to keep all of `make test` inside 25 minutes on 2 cores; `make test-scale-all` runs them.
SCALE_TESTS ?= tests/storage tests/search tests/uploads/test_protocol.py tests/test_processes.py \
	tests/uploads/test_clients.py::test_two_processes_never_write_one_upload_at_once \
	tests/test_cli.py::test_a_deployment_moves_to_a_fresh_database_and_store
SCALE_MORE = tests/compression tests/files/test_upload.py tests/files/test_upload_refusals.py \
	tests/files/test_upload_hardening.py tests/files/test_files.py tests/files/test_names.py \
	tests/files/test_previews.py tests/images/test_renditions.py tests/maintenance/test_stats.py \
	tests/portfolio/test_artworks.py tests/portfolio/test_protection.py
test-scale: install
	ATRIUM_TEST_S3=1 .ci/postgres-tests $(SCALE_TESTS)

test-scale-all: install
	ATRIUM_TEST_S3=1 .ci/postgres-tests $(SCALE_TESTS) $(SCALE_MORE)

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
