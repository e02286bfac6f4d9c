"""`make bench`: the project's assistant and stock `rasa init` under one load generator on loopback.

Measures, in one run on this machine: training time (cold and cached), start-up time, memory per process,
`/model/parse` time, and latency p50/p95/p99 + messages per second at 1, 20 and 50 concurrent conversations
for FAQ turns and form turns. Three servers are measured one after the other, never at the same time:
stock `rasa init` (built here in a temporary folder), the project on its embedded defaults (`make run`),
and the project scaled out (`make run-scaled`: PostgreSQL tracker store, Redis lock store, 2 Sanic workers).
Writes docs/benchmarks.md (and the raw numbers as JSON beside it, in var/bench/).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import Service, Stack  # noqa: E402

VENV_BIN = Path(sys.executable).parent
RASA = str(VENV_BIN / "rasa")
TOKEN = "bench-token"
LEVELS = (1, 20, 50)
REQUEST_TIMEOUT_S = 120.0
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

STOCK_TURNS = ["hello", "I am feeling very sad", "yes", "great, thanks", "are you a bot?", "bye"]
FAQ_TURNS = ["补办要登报吗", "补办要交钱吗", "多久能办好", "需要带什么材料", "可以网上办吗", "在哪里办理"]
FORM_TURNS = [
    "我的一建证书丢了想补办", "领过", "没有电子证书", "建筑工程", "2018年9月", "张三",
    "370102198805120033", "不记得", "济南", "13800138000", "确认提交",
]
PARSE_TEXTS = {"stock": ["hello there", "I am sad", "bye"], "project": ["补办要登报吗", "多久能办好", "我的证书丢了"]}


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` percentile (nearest rank) of `values`; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(pct / 100.0 * len(ordered) + 0.4999))))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    """One load level's outcome."""

    scenario: str
    concurrency: int
    messages: int
    errors: int
    empty: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    msg_per_s: float
    completed: int = 0
    conversations: int = 0
    runs: int = 1
    msg_per_s_range: List[float] = field(default_factory=list)
    cpu_ms_per_msg: Dict[str, float] = field(default_factory=dict)


@dataclass
class ServerResult:
    """Everything measured for one server configuration."""

    name: str
    startup_s: float = float("nan")
    rss_mb: Dict[str, float] = field(default_factory=dict)
    parse_p50_ms: float = float("nan")
    loads: List[LoadResult] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


async def run_load(urls: Sequence[str], scenario: str, turns: List[str], concurrency: int, conversations: int,
                   expect_last: str = "") -> LoadResult:
    """`conversations` conversations of `turns`, at most `concurrency` at a time; every turn timed.

    Simulated user i sends to `urls[i % len(urls)]` (several URLs: a balancer spreading users over processes).
    A conversation counts as completed when the reply to its last turn contains `expect_last`.
    """
    import aiohttp

    latencies: List[float] = []
    errors = empty = completed = 0
    queue: asyncio.Queue = asyncio.Queue()
    for _ in range(conversations):
        queue.put_nowait(f"bench-{uuid.uuid4().hex[:12]}")
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)

    async def worker(session: "aiohttp.ClientSession", url: str) -> None:
        """Run whole conversations from the queue, one turn after another."""
        nonlocal errors, empty, completed
        while True:
            try:
                sender = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            for text in turns:
                started = time.perf_counter()
                try:
                    async with session.post(url, json={"sender": sender, "message": text}) as response:
                        body = await response.json(content_type=None)
                        ok = response.status == 200
                except Exception:  # noqa: BLE001 - counted, not fatal
                    ok, body = False, None
                latencies.append((time.perf_counter() - started) * 1000.0)
                if not ok:
                    errors += 1
                elif not body:
                    empty += 1
            if ok and expect_last in json.dumps(body, ensure_ascii=False):
                completed += 1

    connector = aiohttp.TCPConnector(limit=concurrency + 2)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session, urls[user % len(urls)]) for user in range(concurrency)))
        seconds = time.perf_counter() - started
    return LoadResult(
        scenario=scenario, concurrency=concurrency, messages=len(latencies), errors=errors, empty=empty,
        seconds=round(seconds, 2), p50_ms=round(percentile(latencies, 50), 1), p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1), msg_per_s=round(len(latencies) / seconds, 2) if seconds else 0.0,
        completed=completed, conversations=conversations,
    )


MIN_MESSAGES = 300  # per level: a few seconds of load, so one slow moment does not decide a percentile
REPEATS = 3  # each level runs this often; the run with the median throughput is reported


def median_run(runs: List[LoadResult]) -> LoadResult:
    """The run with the median messages per second; errors and empty replies summed over all runs."""
    ordered = sorted(runs, key=lambda run: run.msg_per_s)
    chosen = ordered[len(ordered) // 2]
    return LoadResult(**{**asdict(chosen), "errors": sum(r.errors for r in runs), "empty": sum(r.empty for r in runs),
                         "runs": len(runs), "msg_per_s_range": [ordered[0].msg_per_s, ordered[-1].msg_per_s]})


def conversations_for(concurrency: int, turns: int) -> int:
    """How many conversations a level runs: at least one per user and at least MIN_MESSAGES in all."""
    return max(concurrency, -(-MIN_MESSAGES // turns))


def process_tree(pid: int) -> List[int]:
    """`pid` and all its descendants (from /proc)."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_tree_mb(pid: int) -> float:
    """Resident memory (MB) of `pid` and all its descendants, from /proc."""
    total_kb = 0
    for current in process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return round(total_kb / 1024.0, 0)


def process_cpu_s(stat_line: str) -> float:
    """User + system CPU seconds from one /proc/<pid>/stat line (the command may contain spaces)."""
    fields = stat_line.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s(proc_stat: str) -> float:
    """CPU seconds the whole machine spent busy (every core; idle and iowait excluded), from /proc/stat."""
    fields = [int(x) for x in proc_stat.splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(roots: Dict[str, int]) -> Dict[str, float]:
    """CPU seconds used so far by each named process tree, and by the whole machine ("machine")."""
    snapshot = {"machine": machine_busy_s(Path("/proc/stat").read_text())}
    for name, pid in roots.items():
        total = 0.0
        for current in process_tree(pid):
            try:
                total += process_cpu_s(Path(f"/proc/{current}/stat").read_text())
            except (OSError, ValueError, IndexError):
                pass
        snapshot[name] = total
    return snapshot


def cpu_per_message(before: Dict[str, float], after: Dict[str, float], messages: int) -> Dict[str, float]:
    """CPU milliseconds per message of each tree between two snapshots (a tree that ended counts 0)."""
    if not messages:
        return {}
    return {name: round(max(0.0, after.get(name, 0.0) - used) * 1000.0 / messages, 1) for name, used in before.items()}


def wait_http(url: str, deadline: float, process: Optional[subprocess.Popen] = None) -> None:
    """Block until `url` answers 200."""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited early while waiting for {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} not up in time")


def parse_p50(base: str, texts: List[str], rounds: int = 20) -> float:
    """Median `/model/parse` time (ms) over `rounds` × `texts`, after one warm-up call."""
    import requests

    url = f"{base}/model/parse?token={TOKEN}"
    requests.post(url, json={"text": texts[0]}, timeout=60).raise_for_status()
    times = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            requests.post(url, json={"text": text}, timeout=60).raise_for_status()
            times.append((time.perf_counter() - started) * 1000.0)
    return round(statistics.median(times), 1)


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages of the machine."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(argv: List[str], cwd: Path, env: Dict[str, str], log: Path) -> float:
    """Run a command to completion (output to `log`); seconds taken; raise on failure."""
    started = time.monotonic()
    with open(log, "ab") as out:
        subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    return round(time.monotonic() - started, 1)


def measured_run(urls: Sequence[str], scenario: str, turns: List[str], level: int, expect_last: str,
                 processes: Dict[str, int]) -> LoadResult:
    """One load run, with the CPU time each process tree (and the machine) spent per message."""
    before = cpu_snapshot(processes)
    load = asyncio.run(run_load(urls, scenario, turns, level, conversations_for(level, len(turns)), expect_last))
    load.cpu_ms_per_msg = cpu_per_message(before, cpu_snapshot(processes), load.messages)
    return load


def measure_loads(result: ServerResult, urls: Sequence[str], scenarios: Dict[str, List[str]], levels: Sequence[int],
                  processes: Dict[str, int], expect: Optional[Dict[str, str]] = None) -> None:
    """Every scenario at every level, after a short warm-up."""
    result.notes.append(f"load average when its load runs started: {loadavg()}")
    for scenario, turns in scenarios.items():
        asyncio.run(run_load(urls, f"{scenario}-warmup", turns, 2 * len(urls), 2 * len(urls)))
        for level in levels:
            runs = [measured_run(urls, scenario, turns, level, (expect or {}).get(scenario, ""), processes)
                    for _ in range(REPEATS)]
            load = median_run(runs)
            print(f"   {result.name:16} {scenario:5} c={level:<3} p50={load.p50_ms:7.1f} ms p95={load.p95_ms:7.1f} "
                  f"ms p99={load.p99_ms:7.1f} ms {load.msg_per_s:6.2f} msg/s errors={load.errors} empty={load.empty} "
                  f"completed={load.completed}/{load.conversations} cpu ms/msg {load.cpu_ms_per_msg}")
            result.loads.append(load)


def bench_stock(work: Path, env: Dict[str, str], levels: Sequence[int], port: int) -> Dict[str, Any]:
    """Build, train (cold, cached) and measure the stock `rasa init` assistant."""
    import rasa.cli

    project = work / "stock"
    shutil.copytree(Path(rasa.cli.__file__).parent / "initial_project", project)
    log = work / "stock.log"
    print("==> stock rasa init: training cold (its own empty cache)")
    cold = timed([RASA, "train", "--fixed-model-name", "stock"], project, env, log)
    print(f"   cold {cold} s; training again from the cache")
    # Not --force: that skips Rasa's cache. A fresh --out folder holds no old model to compare with.
    cached = timed([RASA, "train", "--fixed-model-name", "stock", "--out", "models-cached"], project, env, log)
    result = ServerResult(name="stock rasa init")
    started = time.monotonic()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [RASA, "run", "--enable-api", "--auth-token", TOKEN, "-i", "127.0.0.1", "-p", str(port),
             "--model", "models/stock.tar.gz"],
            cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/", time.monotonic() + 300, process)
        result.startup_s = round(time.monotonic() - started, 1)
        print(f"   stock up in {result.startup_s} s")
        result.parse_p50_ms = parse_p50(base, PARSE_TEXTS["stock"])
        measure_loads(result, [f"{base}/webhooks/rest/webhook"], {"faq": STOCK_TURNS}, levels, {"rasa": process.pid})
        result.rss_mb = {"rasa": rss_tree_mb(process.pid)}
        result.notes.append("stock has no form and no custom action: its dialogue turns stand for both scenarios")
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    return {"server": result, "train_cold_s": cold, "train_cached_s": cached}


def train_project(work: Path, env: Dict[str, str]) -> Dict[str, float]:
    """Train the project into a temporary folder: cold with an empty cache, then cached (models/ untouched)."""
    log = work / "project-train.log"
    cache = work / "project-cache"
    cold_env = {**env, "RASA_CACHE_DIRECTORY": str(cache)}
    argv = [RASA, "train", "--fixed-model-name", "bench", "--out"]
    print("==> project: training cold (empty cache in the temporary folder)")
    cold = timed(argv + [str(work / "project-models")], ROOT, cold_env, log)
    print(f"   cold {cold} s; training again from that cache")
    cached = timed(argv + [str(work / "project-models-cached")], ROOT, cold_env, log)
    return {"train_cold_s": cold, "train_cached_s": cached}


def bench_project(name: str, work: Path, overrides: Dict[str, str], levels: Sequence[int], base_port: int,
                  rasa_processes: int = 1) -> ServerResult:
    """Start the project's stack (backend, actions, outbox worker, Rasa) and measure it.

    With `rasa_processes` > 1, that many Rasa processes listen on consecutive ports from `base_port` and the
    load generator spreads its users over them, as a balancer in front of them would.
    """
    var = work / name.replace(" ", "-")
    env = {
        "RASA_PORT": str(base_port), "ACTION_PORT": str(base_port + 50), "BACKEND_PORT": str(base_port + 3000),
        "WEB_PORT": str(base_port + 3080), "LOOKUP_PORT": str(base_port + 3090), "REISSUE_VAR_DIR": str(var),
        "RASA_AUTH_TOKEN": TOKEN, "LOG_LEVEL": "WARNING", "OUTBOX_WORKER_INTERVAL": "1",
        "REST_RATE_LIMIT": "30",
    }
    env.update(overrides)
    stack = Stack.from_environment(env, parts=["backend", "actions", "outbox-worker", "rasa"])
    stack.services += [more_rasa(stack.service("rasa"), base_port + extra) for extra in range(1, rasa_processes)]
    result = ServerResult(name=name)
    print(f"==> {name}: starting backend, action server, outbox worker and Rasa")
    started = time.monotonic()
    try:
        stack.start(timeout_s=400)
        result.startup_s = round(time.monotonic() - started, 1)
        print(f"   up in {result.startup_s} s")
        base = f"http://127.0.0.1:{base_port}"
        result.parse_p50_ms = parse_p50(base, PARSE_TEXTS["project"])
        processes = {service.name: service.process.pid for service in stack.services if service.process}
        urls = [f"http://127.0.0.1:{base_port + extra}/webhooks/rest/webhook" for extra in range(rasa_processes)]
        measure_loads(result, urls, {"faq": FAQ_TURNS, "form": FORM_TURNS}, levels,
                      processes, expect={"form": "申请编号"})
        for service in stack.services:
            if service.process:
                result.rss_mb[service.name] = rss_tree_mb(service.process.pid)
    finally:
        stack.stop()
    return result


def more_rasa(rasa: Service, port: int) -> Service:
    """Another Rasa process like `rasa`, on `port`."""
    argv = list(rasa.argv)
    argv[argv.index("-p") + 1] = str(port)
    health = (rasa.health_url or "").rsplit(":", 1)[0] + f":{port}/"
    return Service(f"rasa-{port}", argv, health)


def scaled_overrides(database: str, prefix: str) -> Dict[str, str]:
    """The environment of `make run-scaled`, on a throw-away database and Redis key prefix."""
    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    return {
        "SANIC_WORKERS": "2", "ACTION_SERVER_SANIC_WORKERS": "2", "RASA_ENDPOINTS": "config/scaled/endpoints.yml",
        "TRACKER_STORE_URL": url, "DATABASE_URL": url, "REDIS_HOST": "127.0.0.1",  # the outbox stays on local disk
        "REDIS_PORT": "6379", "REDIS_LOCK_DB": "1", "LOCK_KEY_PREFIX": prefix,
        "RATE_LIMIT_REDIS_URL": "redis://127.0.0.1:6379/2",
    }


def admin_sql(statement: str) -> None:
    """Run one statement on PostgreSQL's maintenance database in autocommit mode."""
    import psycopg2

    connection = psycopg2.connect(PG_ADMIN_URL)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def fmt(value: float, digits: int = 0) -> str:
    """A number for the table ('—' for NaN)."""
    if value != value:  # NaN
        return "—"
    return f"{value:.{digits}f}"


def ratio(ours: float, theirs: float) -> str:
    """ours / theirs as "1.23×"."""
    if not theirs or ours != ours or theirs != theirs:
        return "—"
    return f"{ours / theirs:.2f}×"


def load_of(server: ServerResult, scenario: str, level: int) -> Optional[LoadResult]:
    """The load result for one scenario and level, if measured."""
    return next((load for load in server.loads if load.scenario == scenario and load.concurrency == level), None)


def spread(load: LoadResult) -> str:
    """The lowest and highest msg/s of a level's runs, e.g. "61–70 (3 runs)"."""
    if load.runs <= 1 or not load.msg_per_s_range:
        return "—"
    low, high = load.msg_per_s_range
    return f"{fmt(low, 1)}–{fmt(high, 1)} ({load.runs} runs)"


def target_rows(server: ServerResult, stock: ServerResult, scenario: str) -> List[str]:
    """The latency and throughput target rows of `server`'s `scenario` turns against stock's turns."""
    rows: List[str] = []
    name = f"{server.name}, {scenario} turns"
    one, ref_one = load_of(server, scenario, 1), load_of(stock, "faq", 1)
    twenty, ref_twenty = load_of(server, scenario, 20), load_of(stock, "faq", 20)
    if one and ref_one:
        rows.append(f"| {name}: 1 user p50 ≤ stock's | {fmt(one.p50_ms)} ms vs {fmt(ref_one.p50_ms)} ms "
                    f"= {ratio(one.p50_ms, ref_one.p50_ms)} | {'yes' if one.p50_ms <= ref_one.p50_ms else 'no'} |")
    if twenty and ref_twenty:
        met = twenty.msg_per_s >= 2 * ref_twenty.msg_per_s
        rows.append(f"| {name}: 20 users throughput ≥ 2× stock's | {fmt(twenty.msg_per_s, 1)} vs "
                    f"{fmt(ref_twenty.msg_per_s, 1)} msg/s = {ratio(twenty.msg_per_s, ref_twenty.msg_per_s)} | "
                    f"{'yes' if met else 'no'} |")
        rows.append(f"| {name}: 20 users p95 < 500 ms | {fmt(twenty.p95_ms)} ms | {'yes' if twenty.p95_ms < 500 else 'no'} |")
    return rows


def render(report: Dict[str, Any]) -> str:
    """docs/benchmarks.md from the raw numbers."""
    servers: List[ServerResult] = report["servers"]
    stock = servers[0]
    lines = [
        "# Benchmarks: the assistant against stock `rasa init`",
        "",
        f"Measured by `make bench` (`scripts/bench.py`) on {report['when']}, on this machine: {report['machine']}.",
        f"Load average when the run started: {report['loadavg']} (the machine's 2 cores are shared with other work,",
        "so absolute numbers move between runs; the ratios are taken within the same run).",
        "",
        "One async load generator (aiohttp) on loopback posts to each server's REST webhook. A *conversation* is a",
        "fresh sender id sending its turns one after another (each turn waits for the reply); *c* conversations run",
        "at once. FAQ turns: six questions of the service guide (stock: its own six dialogue turns). Form turns:",
        "the whole reissue application, ten answers and the confirmation (custom actions on the action server, the",
        "backend storing the application; *finished* counts conversations whose last reply is the expected one:",
        "for forms, an application number). The three servers were measured one after the other, never together.",
        f"Each level runs {REPEATS} times with at least {MIN_MESSAGES} messages; the table shows the run with the median",
        "messages per second (its latencies), the range over the runs, and errors and empty replies summed over all.",
        "",
        "## Latency and throughput",
        "",
        "| server | turns | c | messages | p50 ms | p95 ms | p99 ms | msg/s | msg/s of the runs | errors | empty | finished |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server in servers:
        for load in server.loads:
            lines.append(
                f"| {server.name} | {load.scenario} | {load.concurrency} | {load.messages} | {fmt(load.p50_ms)} | "
                f"{fmt(load.p95_ms)} | {fmt(load.p99_ms)} | {fmt(load.msg_per_s, 1)} | {spread(load)} | "
                f"{load.errors} | {load.empty} | "
                f"{load.completed}/{load.conversations} |"
            )
    lines += ["", "## CPU time per message", "",
              "CPU milliseconds per message in the median run, from /proc: each server process with its workers and",
              "children, and the whole machine (both cores: the servers, PostgreSQL, Redis and the load generator).",
              "Steadier than messages per second when other work shares the machine: 2 cores give 2,000 ms per second.",
              "", "| server | turns | c | CPU ms per message |", "|---|---|---|---|"]
    for server in servers:
        for load in server.loads:
            if load.cpu_ms_per_msg:
                used = ", ".join(f"{name} {fmt(ms, 1)}" for name, ms in load.cpu_ms_per_msg.items())
                lines.append(f"| {server.name} | {load.scenario} | {load.concurrency} | {used} |")
    lines += ["", "## Start-up, memory, parse time, training", "",
              "| server | start-up s | RSS MB per process | `/model/parse` p50 ms | training cold s | training cached s |",
              "|---|---|---|---|---|---|"]
    for server in servers:
        training = report["training"].get("stock" if server is stock else "project", {})
        rss = ", ".join(f"{k} {fmt(v)}" for k, v in server.rss_mb.items())
        lines.append(
            f"| {server.name} | {fmt(server.startup_s, 1)} | {rss} | {fmt(server.parse_p50_ms, 1)} | "
            f"{training.get('train_cold_s', '—')} | {training.get('train_cached_s', '—')} |"
        )
    lines += ["", "## Targets (ratios in the same run)", "",
              "Stock has no form, so its dialogue turns are the reference for both the FAQ and the form turns.", "",
              "| target | measured | met? |", "|---|---|---|"]
    for server in servers[1:]:
        for scenario in ("faq", "form"):
            lines += target_rows(server, stock, scenario)
        lines.append(f"| {server.name}: start-up ≤ stock's | {fmt(server.startup_s, 1)} s vs {fmt(stock.startup_s, 1)} s "
                     f"= {ratio(server.startup_s, stock.startup_s)} | {'yes' if server.startup_s <= stock.startup_s else 'no'} |")
    lines += ["", "## Notes", ""]
    for server in servers:
        lines += [f"- {server.name}: {note}" for note in server.notes]
    lines += [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


START, END = "<!-- bench:start (written by scripts/bench.py) -->", "<!-- bench:end -->"


def merge_generated(existing: str, generated: str) -> str:
    """`existing` with the part between the bench markers replaced by `generated` (hand-written text kept)."""
    block = f"{START}\n{generated}{END}\n"
    if START in existing and END in existing:
        head, rest = existing.split(START, 1)
        return head + block + rest.split(END, 1)[1].lstrip("\n")
    return block + existing


def write_preserving(path: Path, generated: str) -> None:
    """Write the generated tables into `path`, keeping what people wrote outside the markers."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(merge_generated(existing, generated), encoding="utf-8")


def load_report(path: Path) -> Dict[str, Any]:
    """A report as `main` saved it in var/bench/bench.json, with its dataclasses rebuilt."""
    report = json.loads(path.read_text(encoding="utf-8"))
    servers = []
    for raw in report["servers"]:
        loads = [LoadResult(**load) for load in raw.pop("loads", [])]
        servers.append(ServerResult(**raw, loads=loads))
    return {**report, "servers": servers}


def main() -> int:
    """Run the whole benchmark and write docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="concurrent conversations, e.g. 1,20,50")
    parser.add_argument("--no-train", action="store_true", help="skip timing the project's training")
    parser.add_argument("--only", choices=["stock", "embedded", "scaled", "scaled-processes"], action="append",
                        help="measure only these (scaled-processes: run-scaled as 2 single-worker Rasa processes)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--from-json", metavar="PATH", help="only re-render the page from a run's raw numbers")
    args = parser.parse_args()
    if args.from_json:
        write_preserving(Path(args.out), render(load_report(Path(args.from_json))))
        print(f"==> wrote {args.out} from {args.from_json}")
        return 0
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    only = set(args.only or ["stock", "embedded", "scaled"])
    if "scaled-processes" in only and "scaled" not in only:
        parser.error("--only scaled-processes is a comparison with --only scaled")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    work = Path(tempfile.mkdtemp(prefix="reissue-bench-"))
    report: Dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M %Z"), "loadavg": loadavg(),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, rasa 3.6.21",
        "servers": [], "training": {}, "notes": [],
    }
    database, prefix = f"reissue_bench_{uuid.uuid4().hex[:8]}", f"bench{uuid.uuid4().hex[:8]}"
    try:
        if "stock" in only:
            stock = bench_stock(work, env, levels, 25005)
            report["servers"].append(stock["server"])
            report["training"]["stock"] = {k: stock[k] for k in ("train_cold_s", "train_cached_s")}
        if not args.no_train:
            report["training"]["project"] = train_project(work, env)
            report["notes"].append("training: cold = `rasa train` with an empty cache (the project's in a temporary "
                                   "cache folder, so models/ and .rasa/ are untouched); cached = `rasa train` again "
                                   "into a fresh output folder, every component restored from that cache")
        if "embedded" in only:
            report["servers"].append(bench_project("project (make run)", work, {}, levels, 26005))
        if "scaled" in only:
            admin_sql(f"CREATE DATABASE {database}")
            report["servers"].append(
                bench_project("project (make run-scaled)", work, scaled_overrides(database, prefix), levels, 27005)
            )
            report["notes"].append("make run-scaled: 2 Sanic workers, Redis lock store, PostgreSQL tracker store, "
                                   "backend on PostgreSQL, outbox on local disk, 2 action-server workers")
        if "scaled-processes" in only:
            report["servers"].append(bench_project(
                "run-scaled, 2 processes", work, {**scaled_overrides(database, prefix), "SANIC_WORKERS": "1"}, levels,
                28005, rasa_processes=2))
            report["notes"].append("run-scaled, 2 processes: as make run-scaled, but 2 single-worker Rasa processes on "
                                   "two ports, the load generator's users spread over them (a balancer's work)")
    finally:
        try:
            admin_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        except Exception as error:  # noqa: BLE001
            print(f"!! could not drop {database}: {error}")
        shutil.rmtree(work, ignore_errors=True)
    raw = ROOT / "var" / "bench"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "bench.json").write_text(json.dumps(
        {**report, "servers": [asdict(s) for s in report["servers"]]}, ensure_ascii=False, indent=1), encoding="utf-8")
    if not report["servers"] or report["servers"][0].name != "stock rasa init":
        print(f"stock was not measured: the page needs it for the ratios; raw numbers only, in {raw / 'bench.json'}")
        return 0
    write_preserving(Path(args.out), render(report))
    print(f"==> wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
