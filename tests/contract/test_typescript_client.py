"""A frontend team's view of the contract: TypeScript clients generated from the live document
(openapi-typescript + openapi-fetch, and @hey-api/openapi-ts), a program compiled with
`tsc --strict` (no casts, no `any`) and run on Node against a real server: it uploads, lists,
downloads, creates an album, reads a visitor's tagged union and handles a typed 404 and 422."""

import re

import pytest

from app.config import Settings
from tests.conftest import TEST_SECRET
from tests.contract.helpers import NODE, TS_PROJECT, ensure_node, run
from tests.servers import running_server


@pytest.fixture(scope="session")
def node_project() -> None:
    ensure_node()
    version = run(NODE, "--version").strip()
    assert int(version.lstrip("v").split(".")[0]) >= 20, version
    run("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", timeout=600)


def test_the_program_needs_no_cast_and_no_any() -> None:
    source = (TS_PROJECT / "main.ts").read_text()
    code = re.sub(r"^\s*import .*$", "", source, flags=re.MULTILINE)
    code = re.sub(r"//.*$", "", code, flags=re.MULTILINE)
    code = re.sub(r'"[^"\n]*"|`[^`]*`', '""', code)
    assert re.search(r"\bas\s+[A-Za-z{(\[]", code) is None  # no `x as T`
    assert re.search(r"\bany\b", code) is None
    assert re.search(r"<[A-Za-z][\w.\[\]\"]*>\s*[\w(]", code.replace("createClient<paths>(", "")) is None


def test_generated_clients_compile_strict_and_run(node_project: None, settings: Settings) -> None:
    with running_server(settings, TEST_SECRET) as url:
        run(NODE, "generate.mjs", url)
        run(NODE, "node_modules/typescript/bin/tsc", "-p", ".")
        assert run(NODE, "dist/main.js", url).strip() == "contract ok"
