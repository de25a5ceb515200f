"""wrk with a Lua script: the Authorization header in, one JSON line of results out."""

import json
from dataclasses import dataclass
from pathlib import Path

from bench.procs import run

LUA = """
wrk.headers["Authorization"] = "Bearer %(token)s"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, \\"p99_us\\": %%d, " ..
    "\\"errors\\": %%d, \\"non_2xx\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def lua_script(token: str) -> str:
    return LUA % {"token": token}


def parse_output(text: str) -> WrkResult:
    for line in text.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line.removeprefix("WRKJSON "))
            return WrkResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                errors=data["errors"],
                non_2xx=data["non_2xx"],
            )
    raise ValueError("wrk printed no result line")


def wrk(url: str, *, script: Path, connections: int, seconds: int, threads: int = 2) -> WrkResult:
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    return parse_output(run([*argv, "-s", str(script), url], timeout=seconds + 60))
