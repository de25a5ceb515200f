"""A ClamAV daemon of our own on loopback, for tests and benches: Debian's `clamd` (installed with
apt-get when missing and root), a tiny signature database written here (no freshclam), a TCP port
and a unix socket."""

import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.procs import Service, ServiceError, free_port
from bench.system import apt_install

CLAMD = Path("/usr/sbin/clamd")
PACKAGE = "clamav-daemon"
# The EICAR test file (68 bytes), split so that this source file is no test file itself.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Atrium.Test.EICAR"
# A body signature (.ndb): these bytes anywhere in any file.
MARKER = b"ATRIUM-TEST-MALWARE-BODY-MARKER-" + b"7f3a9c"
MARKER_SIGNATURE = "Atrium.Test.Marker"


@dataclass(frozen=True)
class Clamd:
    tcp: str  # tcp://127.0.0.1:port
    unix: str  # unix:///path
    stream_max: int


def ensure_clamd() -> None:
    """Install Debian's clamav-daemon when clamd is missing (as root), without starting it."""
    if CLAMD.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ServiceError(f"the malware scanning tests need: sudo apt-get install {PACKAGE}")
    with services_not_started():
        apt_install(PACKAGE, recommends=False)


@contextmanager
def services_not_started() -> Iterator[None]:
    """Debian's policy-rc.d (exit 101) keeps the packages' own clamd and freshclam (which would try
    to download signatures) from starting on install; removed afterwards if it was ours."""
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        yield
    finally:
        if ours:
            policy.unlink(missing_ok=True)


def write_database(directory: Path) -> None:
    import hashlib

    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5(EICAR).hexdigest()  # noqa: S324 - the .hdb format is MD5
    (directory / "atrium.hdb").write_text(f"{digest}:{len(EICAR)}:{EICAR_SIGNATURE}\n")
    (directory / "atrium.ndb").write_text(f"{MARKER_SIGNATURE}:0:*:{MARKER.hex()}\n")


def write_config(root: Path, *, port: int, stream_max: int) -> Path:
    write_database(root / "db")
    (root / "tmp").mkdir(exist_ok=True)
    lines = [
        "Foreground yes",
        f"DatabaseDirectory {root / 'db'}",
        f"TemporaryDirectory {root / 'tmp'}",
        f"LocalSocket {root / 'clamd.sock'}",
        "TCPAddr 127.0.0.1",
        f"TCPSocket {port}",
        f"StreamMaxLength {stream_max}",
        f"MaxFileSize {stream_max}",
        f"MaxScanSize {stream_max}",
        "MaxThreads 4",
        "LogTime yes",
    ]
    config = root / "clamd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def ping(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=2) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


@contextmanager
def running_clamd(root: Path, *, stream_max: int = 4 * 1024 * 1024, timeout: float = 60) -> Iterator[Clamd]:
    """Start clamd under `root`, wait until it answers PING, and stop it afterwards."""
    ensure_clamd()
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_config(root, port=port, stream_max=stream_max)
    service = Service("clamd", [str(CLAMD), "-c", str(config)], log=root / "clamd.log")
    try:
        deadline = time.monotonic() + timeout
        while not ping(("127.0.0.1", port)):
            if service.proc.poll() is not None or time.monotonic() > deadline:
                raise ServiceError(f"clamd did not start:\n{service.log_tail()}")
            time.sleep(0.05)
        yield Clamd(
            tcp=f"tcp://127.0.0.1:{port}", unix=f"unix://{root / 'clamd.sock'}", stream_max=stream_max
        )
    finally:
        service.stop()
