"""Install what the bench runs against when it is missing (Debian packages, as root)."""

import os
import shutil
import subprocess

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
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
    if still := missing_packages():
        raise MissingTools("still missing after apt-get: " + " ".join(still))
