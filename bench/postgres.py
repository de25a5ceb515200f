"""A throwaway PostgreSQL cluster on a free loopback port, the way .ci/postgres-tests starts one:
initdb with trust auth, pg_ctl start (fsync off), removed on exit. As root it runs as `postgres`."""

import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.procs import free_port, run
from bench.system import apt_install


class NoPostgres(RuntimeError):
    pass


def server_bin() -> Path:
    """The newest installed server's bin directory (installs the `postgresql` package as root)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        apt_install("postgresql")
        return server_bin()
    if not found:
        raise NoPostgres("the PostgreSQL bench needs: sudo apt-get install postgresql")
    return found[-1].parent


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(argv)]


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Answers the server URL for asyncpg (`postgresql+asyncpg://postgres@127.0.0.1:PORT`)."""
    bin_dir = server_bin()
    home = Path(tempfile.mkdtemp(prefix="atrium-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    data, port = home / "data", free_port()
    run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]))
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = str(bin_dir / "pg_ctl")
    run(_as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start"]))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    finally:
        run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]))
        shutil.rmtree(home, ignore_errors=True)
