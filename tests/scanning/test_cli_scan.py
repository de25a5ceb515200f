"""`atrium import` is scanned like an upload; `atrium verify --rescan` finds what came in before."""

from pathlib import Path

import pytest

from app.storage import keys
from app.storage.local import LocalBlobStore
from bench.clamd import EICAR_SIGNATURE, Clamd
from tests.maintenance.helpers import Atrium
from tests.scanning.helpers import EICAR


@pytest.fixture
def atrium(tmp_path: Path) -> Atrium:
    runner = Atrium(tmp_path / "deployment")
    assert runner("migrate").returncode == 0
    runner.create_user("alice")
    return runner


def tree(root: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "notes.txt").write_text("clean notes\n" * 50)
    (root / "docs" / "eicar.txt").write_bytes(EICAR)
    return root


def test_import_refuses_malware_and_keeps_the_rest(atrium: Atrium, clamd: Clamd, tmp_path: Path) -> None:
    result = atrium("import", str(tree(tmp_path / "in")), "--user", "alice", CLAMD_ADDRESS=clamd.unix)
    assert result.returncode == 1, result.stderr
    assert "imported 1 files" in result.stdout
    assert "refused docs/eicar.txt: malware_detected: 'eicar.txt' was flagged" in result.stdout
    assert EICAR_SIGNATURE in result.stdout
    assert atrium.rows("SELECT name FROM file") == [("notes.txt",)]
    assert atrium.rows("SELECT action, file_id FROM activity WHERE action = 'malware'") == [("malware", None)]


def test_rescan_reports_then_quarantines(atrium: Atrium, clamd: Clamd, tmp_path: Path) -> None:
    assert atrium("import", str(tree(tmp_path / "in")), "--user", "alice").returncode == 0  # no scanner yet
    [(storage_key,)] = atrium.rows("SELECT storage_key FROM file WHERE name = 'eicar.txt'")

    found = atrium("verify", "--rescan", CLAMD_ADDRESS=clamd.tcp)
    assert found.returncode == 1
    assert "scanned 2 files: 1 flagged, 0 unscanned" in found.stdout
    assert f"'eicar.txt': {EICAR_SIGNATURE}" in found.stdout
    assert len(atrium.rows("SELECT id FROM file")) == 2  # reporting changes nothing

    quarantined = atrium("verify", "--rescan", "--quarantine", CLAMD_ADDRESS=clamd.tcp)
    assert "quarantined 1 files" in quarantined.stdout
    assert atrium.rows("SELECT name FROM file") == [("notes.txt",)]
    store = LocalBlobStore(atrium.uploads)
    with store.open_sync(keys.quarantined(str(storage_key))) as kept_aside:
        assert kept_aside.read() == EICAR
    assert not store.path_of(keys.original(str(storage_key))).exists()

    again = atrium("verify", "--rescan", CLAMD_ADDRESS=clamd.tcp)
    assert again.returncode == 0, again.stdout
    assert "scanned 1 files: 0 flagged" in again.stdout


def test_rescan_needs_a_scanner(atrium: Atrium) -> None:
    result = atrium("verify", "--rescan")
    assert result.returncode == 2
    assert "CLAMD_ADDRESS" in result.stderr
