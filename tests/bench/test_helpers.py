"""The bench's pure helpers: statistics, goals, parsers and the report (no servers started)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bench.curl import parse_write_out
from bench.nginx import render_config
from bench.procs import process_tree_cpu
from bench.profile import top_frames
from bench.report import Outcome, build_results, render_markdown, unmeasured, write_results
from bench.soak import CpuUse
from bench.stats import GOALS, alternate, median, percentile, ratio
from bench.wrk import lua_script, parse_output


def test_median_of_even_and_odd_counts() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 99) == 99.0
    assert percentile(values, 50) == 50.0
    assert percentile([5.0], 99) == 5.0


def test_statistics_refuse_no_values() -> None:
    with pytest.raises(ValueError, match="no values"):
        median([])
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_ratio_is_none_when_a_side_is_missing() -> None:
    assert ratio(3.0, 4.0) == 0.75
    assert ratio(None, 4.0) is None
    assert ratio(3.0, 0.0) is None


def test_goals_compare_in_their_direction() -> None:
    assert GOALS["upload_vs_nginx"].met(0.6) is True
    assert GOALS["upload_vs_nginx"].met(0.59) is False
    assert GOALS["list_p99_ms"].met(100.1) is False
    assert GOALS["list_p99_ms"].met(100) is True
    assert GOALS["list_p99_ms"].met(None) is None


def test_alternate_swaps_order_every_round_and_runs_b_alone() -> None:
    calls: list[str] = []
    a, b = alternate(3, lambda: calls.append("a") or 1, lambda: calls.append("b") or 2)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert (a, b) == ([1, 1, 1], [2, 2, 2])
    assert alternate(2, None, lambda: 7) == ([], [7, 7])


def test_curl_write_out_is_parsed_per_transfer() -> None:
    (first, second) = parse_write_out("201 1.5 1073741824 120\n206 0.001 0 1048576\n")
    assert (first.status, first.seconds, first.uploaded) == (201, 1.5, 1073741824)
    assert (second.status, second.downloaded) == (206, 1048576)


def test_wrk_result_line_is_parsed() -> None:
    line = 'WRKJSON {"requests": 1000, "duration_us": 2000000, "p50_us": 1500, "p99_us": 42000, '
    line += '"errors": 0, "non_2xx": 3}'
    result = parse_output("Running 2s test\n" + line + "\n")
    assert (result.rps, result.p50_ms, result.p99_ms, result.non_2xx) == (500.0, 1.5, 42.0, 3)
    with pytest.raises(ValueError, match="no result line"):
        parse_output("nothing")


def test_lua_script_sets_the_bearer_token() -> None:
    assert 'wrk.headers["Authorization"] = "Bearer tok123"' in lua_script("tok123")


def test_nginx_config_allows_unlimited_put_and_sendfile(tmp_path: Path) -> None:
    config = render_config(prefix=tmp_path, port=8123, as_root=False)
    assert "listen 127.0.0.1:8123;" in config
    assert "client_max_body_size 0;" in config
    assert "dav_methods PUT" in config
    assert "sendfile on;" in config
    assert "user root" not in config


def test_top_frames_counts_own_time_of_busy_leaves_and_app_inclusive_time() -> None:
    collapsed = (
        "serve (/w/app/files/serve.py:5);read (x/site-packages/starlette/responses.py:9) 30\n"
        "serve (/w/app/files/serve.py:5) 10\n"
        "run (/usr/lib/python3.11/threading.py:1);Condition.wait (/usr/lib/python3.11/threading.py:327) 60\n"
    )
    assert top_frames(collapsed) == [
        "busy: 40% of samples; shares below are of busy samples",
        "own time:",
        " 75.0%  read (starlette/responses.py:9)",
        " 25.0%  serve (app/files/serve.py:5)",
        "inclusive, app code:",
        "100.0%  serve (app/files/serve.py:5)",
    ]
    assert top_frames("") == ["no busy samples"]


def test_results_keep_every_figure_with_goal_and_reason(tmp_path: Path) -> None:
    outcome = Outcome(metrics={"upload_vs_nginx": 0.4567}, details={"upload": {"atrium_mib_s": [1.0]}})
    outcome.merge(unmeasured(["search_vs_raw"], "GET /api/search is not on this branch yet"))
    data = build_results(outcome, {"date": "today"})
    assert data["upload_vs_nginx"] == 0.457
    assert data["search_vs_raw"] is None
    assert data["goals"]["upload_vs_nginx"]["met"] is False
    assert data["reasons"]["search_vs_raw"] == "GET /api/search is not on this branch yet"
    assert set(GOALS) <= set(data)
    write_results(tmp_path, data)
    assert json.loads((tmp_path / "latest.json").read_text()) == data
    markdown = (tmp_path / "latest.md").read_text()
    assert markdown == render_markdown(data)
    assert "| `upload_vs_nginx` | 0.457 | >= 0.6 | **no** |" in markdown
    assert "| `search_vs_raw` | null | <= 3 | not measured |" in markdown


def test_process_tree_cpu_counts_a_busy_child_once() -> None:
    """The soak's server CPU: a process and its children, each counted once however it is named,
    and a child that ended (waited for) still counted."""
    spin = "import time\nwhile time.process_time() < 1.0: pass"
    ended_before = sum(psutil.Process().cpu_times()[2:4])  # this process's children that ended earlier
    busy = subprocess.Popen([sys.executable, "-c", spin])
    try:
        child = psutil.Process(busy.pid)
        while sum(child.cpu_times()[:2]) < 0.3:
            time.sleep(0.02)
        own = sum(psutil.Process().cpu_times()[:2])
        tree = process_tree_cpu([os.getpid()])
        twice = process_tree_cpu([os.getpid(), busy.pid, os.getpid()])
        busy.wait(60)
    finally:
        busy.kill()
    # the child, running; less one clock tick, since sums of tick counts in floats can land below
    assert tree - own - ended_before >= 0.3 - 0.01
    assert twice == pytest.approx(tree, abs=0.2)  # not twice the child
    own = sum(psutil.Process().cpu_times()[:2])
    assert process_tree_cpu([os.getpid()]) - own - ended_before >= 0.95  # all of it, after it ended
    use = CpuUse([os.getpid()], server_s=3.0, clients_s=1.0, wall_s=2.0)
    summary = use.summary(ops=100)
    assert summary["ops_per_s"] == 50.0
    assert summary["server_cpu_ms_per_op"] == 30.0
    assert summary["cpu_busy_share"] == round(4.0 / (2.0 * (os.cpu_count() or 1)), 2)
