"""curl as the client for byte transfers: C, streams from disk, and reports its own timings."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.procs import ServiceError, run

WRITE_OUT = r"%{http_code} %{time_total} %{size_upload} %{size_download}\n"


@dataclass(frozen=True)
class Transfer:
    status: int
    seconds: float
    uploaded: int
    downloaded: int


def parse_write_out(text: str) -> list[Transfer]:
    transfers = []
    for line in text.splitlines():
        if line.strip():
            status, seconds, up, down = line.split()
            transfers.append(Transfer(int(status), float(seconds), int(float(up)), int(float(down))))
    return transfers


def curl(args: Sequence[str], *, timeout: float = 300) -> list[Transfer]:
    # `Expect:` off: neither side pays a 100-continue round trip.
    argv = ["curl", "-sS", "-H", "Expect:", "-w", WRITE_OUT, *args]
    return parse_write_out(run(argv, timeout=timeout))


def one(args: Sequence[str], *, expect: int, timeout: float = 300) -> Transfer:
    (transfer,) = curl(args, timeout=timeout)
    if transfer.status != expect:
        raise ServiceError(f"curl {' '.join(args[-1:])}: status {transfer.status}, expected {expect}")
    return transfer


def repeated_get(url: str, *, count: int, headers: Sequence[str], config: Path) -> list[Transfer]:
    """`count` GETs of `url` over one kept-alive connection (a curl config file lists them)."""
    entries = "".join(f'url = "{url}"\noutput = "/dev/null"\n' for _ in range(count))
    config.write_text(entries)
    header_args = [arg for header in headers for arg in ("-H", header)]
    return curl([*header_args, "-K", str(config)])
