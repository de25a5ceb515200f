"""schemathesis over the whole live document: generated requests (bounded examples per operation)
must never get a 5xx, only documented status codes, and bodies that match their schemas."""

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.config import Settings
from tests.conftest import POSTGRES, TEST_SECRET
from tests.servers import running_server

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("ATRIUM_FUZZ_EXAMPLES", "6"))


@schemathesis.serializer("application/offset+octet-stream")
def tus_chunk(ctx: object, value: object) -> bytes:
    """A tus PATCH body is raw bytes, as an octet stream is."""
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory, template_db: str) -> Iterator[str]:
    if POSTGRES:
        pytest.skip("runs on the SQLite template; PostgreSQL is covered by the rest of the suite")
    root = tmp_path_factory.mktemp("schemathesis")
    shutil.copyfile(template_db, root / "atrium.db")
    config = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{root / 'atrium.db'}",
        upload_dir=root / "uploads",
        secret_key=TEST_SECRET,
    )
    with running_server(config, TEST_SECRET) as url:
        yield url


@pytest.fixture(scope="module")
def token(server_url: str) -> str:
    body = {"username": "fuzzer", "email": "fuzzer@example.com", "password": "correct horse battery"}
    response = httpx.post(f"{server_url}/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    access: str = response.json()["access_token"]
    return access


@pytest.fixture(scope="module")
def api_schema(server_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{server_url}/openapi.json", timeout=120)


def check_operation(operation: schemathesis.APIOperation, token: str) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)

    run()


def test_every_operation_keeps_its_contract(api_schema: schemathesis.BaseSchema, token: str) -> None:
    """Each operation gets its own bounded run (the pytest plugin is not used: one test, every
    operation of the live document, so new routes are covered); all failures are reported."""
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 60
    for operation in operations:
        try:
            check_operation(operation, token)
        except Exception as exc:  # collected, reported together below
            failures[operation.label] = str(exc)[:2000]
    assert failures == {}, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
