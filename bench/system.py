"""Install what the bench runs against when it is missing (Debian packages, as root)."""

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# One apt-get at a time across processes: the suite's two workers may each need a package, and a
# second apt-get would fail on dpkg's lock; apt itself also waits for a dpkg run by someone else.
APT_LOCK = Path(tempfile.gettempdir()) / "atrium-apt.lock"
APT_WAIT = ["-o", "DPkg::Lock::Timeout=900"]

# tool on PATH -> Debian package that brings it. nginx's PUT comes from the core dav module;
# dav-ext adds PROPFIND and friends, which the bench does not use.
TOOLS = {"nginx": "nginx", "vipsthumbnail": "libvips-tools", "wrk": "wrk", "curl": "curl"}


class MissingTools(RuntimeError):
    pass


def missing_packages() -> list[str]:
    return sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})


def ensure_tools() -> None:
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise MissingTools("the bench needs: sudo apt-get install " + " ".join(missing))
    print(f"bench: installing {' '.join(missing)}", flush=True)
    apt_install(*missing)
    if still := missing_packages():
        raise MissingTools("still missing after apt-get: " + " ".join(still))


def apt_install(*packages: str, recommends: bool = True, timeout: float = 900) -> None:
    """Debian packages through apt-get (the caller checks for root), one install at a time; each
    apt-get run is stopped after `timeout` seconds."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    options = [*APT_WAIT, "-y", "-qq"] + ([] if recommends else ["--no-install-recommends"])
    with APT_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["apt-get", *APT_WAIT, "update", "-qq"], check=True, env=env, timeout=timeout)
        subprocess.run(["apt-get", "install", *options, *packages], check=True, env=env, timeout=timeout)
