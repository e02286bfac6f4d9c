"""The benchmark's pure parts: percentiles, the median run, CPU accounting from /proc, the page merge."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from scripts.bench import (
    LoadResult,
    cpu_per_message,
    cpu_snapshot,
    machine_busy_s,
    median_run,
    merge_generated,
    more_rasa,
    percentile,
    process_cpu_s,
    process_tree,
)
from scripts.stack import Service

TICK = os.sysconf("SC_CLK_TCK")


def run(msg_per_s: float, errors: int = 0) -> LoadResult:
    """A load result that differs only in throughput and errors."""
    return LoadResult(scenario="faq", concurrency=20, messages=300, errors=errors, empty=0, seconds=1.0,
                      p50_ms=1.0, p95_ms=2.0, p99_ms=3.0, msg_per_s=msg_per_s)


def test_percentile_is_nearest_rank() -> None:
    """p50 of 1..100 is 50, p95 is 95, p100 the maximum; nothing measured gives NaN."""
    values = list(range(1, 101))
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 100)) == (50, 95, 100)
    assert percentile([], 50) != percentile([], 50)


def test_median_run_reports_the_middle_throughput_and_sums_the_errors() -> None:
    """Three runs: the middle one is shown, with the range and every run's errors."""
    chosen = median_run([run(90.0, 1), run(60.0), run(75.0, 2)])
    assert chosen.msg_per_s == 75.0 and chosen.errors == 3 and chosen.msg_per_s_range == [60.0, 90.0]


def test_process_cpu_reads_user_and_system_time_even_with_spaces_in_the_name() -> None:
    """Fields 14 and 15 of /proc/<pid>/stat, counted after the closing parenthesis of the command."""
    line = f"123 (rasa worker (2)) S 1 1 1 0 -1 0 0 0 0 0 {3 * TICK} {TICK} 0 0 20 0 1 0"
    assert process_cpu_s(line) == pytest.approx(4.0)


def test_machine_busy_time_leaves_out_idle_and_iowait() -> None:
    """user + nice + system + irq + softirq + steal, in seconds."""
    stat = f"cpu  {TICK} {TICK} {TICK} {100 * TICK} {50 * TICK} {TICK} {TICK} {TICK} 0 0\ncpu0 1 2 3\n"
    assert machine_busy_s(stat) == pytest.approx(6.0)


def test_cpu_per_message_divides_each_trees_time_by_the_messages() -> None:
    """Seconds between snapshots become milliseconds per message; a tree that vanished counts zero."""
    before = {"machine": 10.0, "rasa": 2.0, "gone": 1.0}
    after = {"machine": 13.0, "rasa": 3.5}
    assert cpu_per_message(before, after, 100) == {"machine": 30.0, "rasa": 15.0, "gone": 0.0}
    assert cpu_per_message(before, after, 0) == {}


def test_a_busy_child_process_is_counted_in_its_parents_tree() -> None:
    """A child burning CPU shows up in the snapshot of the parent's tree (workers are children of Rasa)."""
    child = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass"])
    try:
        assert child.pid in process_tree(os.getpid())
        before = cpu_snapshot({"tests": os.getpid()})
        time.sleep(0.5)
        after = cpu_snapshot({"tests": os.getpid()})
    finally:
        child.wait(timeout=10)
    assert after["tests"] - before["tests"] >= 0.2
    assert after["machine"] - before["machine"] >= 0.2


def test_merge_keeps_hand_written_text_outside_the_markers() -> None:
    """Regenerating the page replaces only the generated block."""
    start, end = "<!-- bench:start (written by scripts/bench.py) -->", "<!-- bench:end -->"
    page = f"intro\n{start}\nold table\n{end}\n## Faults\nkept\n"
    merged = merge_generated(page, "new table\n")
    assert "old table" not in merged and "new table" in merged
    assert merged.startswith("intro\n") and merged.endswith("## Faults\nkept\n")


def test_more_rasa_is_the_same_process_on_another_port() -> None:
    rasa = Service("rasa", ["python", "-m", "bot.server", "run", "-i", "127.0.0.1", "-p", "27005", "--model", "m"],
                         "http://127.0.0.1:27005/")
    other = more_rasa(rasa, 27006)
    assert other.argv == ["python", "-m", "bot.server", "run", "-i", "127.0.0.1", "-p", "27006", "--model", "m"]
    assert other.health_url == "http://127.0.0.1:27006/" and other.name == "rasa-27006"
    assert rasa.argv[-3] == "27005"
