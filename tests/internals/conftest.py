"""Tests that pin how the code does its work (thread hops, statement counts, query plans, the
intake's batching), apart from the behaviour tests: a change of store or database may break these
where the contract did not change. `make test` runs them; `pytest -m "not internals"` skips them."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/internals/" in str(item.path):
            item.add_marker(pytest.mark.internals)
