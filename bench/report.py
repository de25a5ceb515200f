"""The results: one dict (latest.json) and its readable rendering (latest.md). Pure."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import GOALS, rounded


@dataclass
class Outcome:
    """What one suite measured: headline figures (None = not measured, with a reason) and details."""

    metrics: dict[str, float | None] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, list[str]] = field(default_factory=dict)

    def merge(self, other: "Outcome") -> None:
        self.metrics.update(other.metrics)
        self.reasons.update(other.reasons)
        self.details.update(other.details)
        self.profiles.update(other.profiles)


def unmeasured(keys: list[str], reason: str) -> Outcome:
    return Outcome(metrics=dict.fromkeys(keys), reasons=dict.fromkeys(keys, reason))


def build_results(outcome: Outcome, run: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in GOALS:
        data[key] = rounded(outcome.metrics.get(key))
    data["goals"] = {
        key: {"op": goal.op, "target": goal.target, "unit": goal.unit, "met": goal.met(data[key])}
        for key, goal in GOALS.items()
    }
    data["reasons"] = {
        key: outcome.reasons.get(key, "not run in this invocation (--only)")
        for key in GOALS
        if key in outcome.reasons or key not in outcome.metrics
    }
    data["details"] = outcome.details
    data["profiles"] = outcome.profiles
    data["run"] = run
    return data


def render_markdown(data: dict[str, Any]) -> str:
    lines = ["# Atrium benchmarks", "", *_run_lines(data["run"]), "", *_summary_lines(data)]
    if data["reasons"]:
        lines += ["", "## Notes on the figures", ""]
        lines += [f"- `{key}`: {reason}" for key, reason in data["reasons"].items()]
    lines += ["", "## Details", ""]
    for suite, detail in data["details"].items():
        lines += [f"### {suite}", "", *_detail_lines(detail), ""]
    if data["profiles"]:
        lines += ["## Profiles (py-spy, server process, top own-time frames)", ""]
        for name, frames in data["profiles"].items():
            lines += [f"### {name}", "", "```", *frames, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_results(directory: Path, data: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "latest.json").write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    (directory / "latest.md").write_text(render_markdown(data))


def _run_lines(run: dict[str, Any]) -> list[str]:
    return [f"- {key}: {value}" for key, value in run.items()]


def _summary_lines(data: dict[str, Any]) -> list[str]:
    lines = ["| figure | value | goal | met | what |", "|---|---|---|---|---|"]
    for key, goal in GOALS.items():
        value = data[key]
        shown = "null" if value is None else f"{value:g}"
        met = {True: "yes", False: "**no**", None: "not measured"}[goal.met(value)]
        lines.append(f"| `{key}` | {shown} | {goal.text} | {met} | {goal.what} |")
    return lines


def _detail_lines(detail: Any) -> list[str]:
    if not isinstance(detail, dict):
        return [f"- {_short(detail)}"]
    return [f"- {key}: {_short(value)}" for key, value in detail.items()]


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and all(isinstance(item, float) for item in value):
        return "[" + ", ".join(f"{item:.4g}" for item in value) + "]"
    if isinstance(value, dict):
        return "; ".join(f"{key} {_short(item)}" for key, item in value.items())
    return str(value)
