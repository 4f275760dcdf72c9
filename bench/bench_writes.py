"""Audited writes per second with one and two service processes, and what they wait for.

Starts the real risks service (uvicorn, ``--workers 1`` then ``--workers 2``) on a throwaway
PostgreSQL database, creates one risk per client through its REST API, then has N concurrent
clients each update its own risk (``PATCH /risks/{id}`` with If-Match, an editor's token: real
auth, the audit row, the history versions and the change feed's ordering) as fast as the
service answers, for a fixed time. No two clients touch the same row, so nothing waits on a
row lock: any queueing is the service's own. Meanwhile a sampler reads ``pg_stat_activity``
every 20 ms and counts the service's sessions waiting on a lock (advisory, i.e. the feed's
ordering lock, and any other) beside those active, and whether the ordering lock is held.

    .venv/bin/python bench/bench_writes.py                   # 1 and 2 workers, 16 clients, 15 s
    .venv/bin/python bench/bench_writes.py --clients 32 --duration 20 --mode create

Prints, per process count: writes/s, p50/p99 latency, errors, the mean number of sessions
waiting on the ordering lock (and the share of samples where at least one waited), the share
of the time the lock was held and so its hold per write (less sensitive to a busy machine than
writes/s: a lock held all the time caps writes/s at 1 / hold, whatever the CPUs); then the
ratio of writes/s with two processes to one (the baseline, same run). Needs PostgreSQL as
postgres@127.0.0.1:5432 (PGHOST/PGPORT/PGUSER/PGPASSWORD).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_kpis import pg_url, recreate  # noqa: E402
from services.common import audit  # noqa: E402
from services.common.auth import issue_token  # noqa: E402
from services.common.settings import CommonSettings  # noqa: E402

RESULTS = ROOT / "bench" / "results"  # git-ignored
PORT = 18311


def risk_body(code: str) -> dict[str, object]:
    return {
        "code": code,
        "title": "Savings not delivered in year",
        "description": "The council fails to deliver the savings target",
        "owner": "Director of Finance",
        "inherent_likelihood": 4,
        "inherent_impact": 5,
        "residual_likelihood": 3,
        "residual_impact": 4,
    }


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    # sessions waiting on the ordering lock, on other locks, active; whether the lock was held
    samples: list[tuple[int, int, int, int]] = field(default_factory=list)


async def sample(database: str, run: Run, stop: asyncio.Event) -> None:
    conn = await asyncpg.connect(pg_url(database))
    try:
        while not stop.is_set():
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event ="
                " 'advisory') AS advisory, count(*) FILTER (WHERE wait_event_type = 'Lock'"
                " AND wait_event <> 'advisory') AS other, count(*) FILTER (WHERE state ="
                " 'active') AS active, (SELECT count(*) FROM pg_locks WHERE locktype ="
                " 'advisory' AND objid = $2 AND granted AND database = (SELECT oid FROM"
                " pg_database WHERE datname = $1)) AS held FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
                audit.ORDER_LOCK,
            )
            assert row is not None
            run.samples.append((row["advisory"], row["other"], row["active"], row["held"]))
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def load(
    base: str, token: str, database: str, *, clients: int, duration: float, mode: str, tag: str
) -> Run:
    run = Run()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as api:
        risks = []
        for n in range(clients):
            response = await api.post("/risks", json=risk_body(f"BW-{tag}-{n:03d}"))
            response.raise_for_status()
            risks.append((response.json()["id"], response.headers["ETag"]))
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(database, run, stop))
        deadline = time.perf_counter() + duration

        async def client(n: int) -> None:
            risk_id, etag = risks[n]
            count = 0
            while time.perf_counter() < deadline:
                count += 1
                started = time.perf_counter()
                if mode == "update":
                    response = await api.patch(
                        f"/risks/{risk_id}",
                        json={"title": f"Savings not delivered, take {count}"},
                        headers={"If-Match": etag},
                    )
                else:
                    response = await api.post("/risks", json=risk_body(f"BW-{tag}-{n}-{count}"))
                if response.status_code >= 300:
                    run.errors[response.status_code] = run.errors.get(response.status_code, 0) + 1
                    if mode == "update":
                        etag = (await api.get(f"/risks/{risk_id}")).headers["ETag"]
                    continue
                run.latencies.append(time.perf_counter() - started)
                if mode == "update":
                    etag = response.headers["ETag"]

        await asyncio.gather(*(client(n) for n in range(clients)))
        stop.set()
        await sampler
    return run


def start(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "uvicorn"), "services.risks.main:app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log",
        ],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def ready(base: str) -> None:
    for _ in range(240):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code < 300:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base} never became ready")


def report(workers: int, run: Run, duration: float) -> float:
    lat = sorted(run.latencies)
    rate = len(lat) / duration
    p50 = lat[len(lat) // 2] * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
    advisory = [s[0] for s in run.samples]
    other = [s[1] for s in run.samples]
    active = [s[2] for s in run.samples]
    waited = sum(1 for a in advisory if a) / max(1, len(advisory))
    # Share of samples with the lock held, times the run, over the writes: its hold per write.
    busy = sum(1 for s in run.samples if s[3]) / max(1, len(run.samples))
    held_ms = busy * duration * 1000 / max(1, len(lat))
    print(
        f"  {workers} process{'es' if workers > 1 else '  '}: {rate:7.1f} writes/s"
        f"  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms  errors {run.errors or 0}"
        f"  | waiting on the ordering lock: mean {statistics.fmean(advisory or [0]):.2f}"
        f" sessions, >=1 in {waited:.0%} of {len(advisory)} samples; held {busy:.0%} of the"
        f" time, {held_ms:.1f} ms per write;"
        f" other lock waits mean {statistics.fmean(other or [0]):.2f};"
        f" active mean {statistics.fmean(active or [0]):.2f}",
        flush=True,
    )
    return rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--mode", choices=["update", "create"], default="update")
    ap.add_argument("--database", default="cpmo_bench_writes")
    ap.add_argument("--port", type=int, default=PORT, help="for the risks service (free)")
    args = ap.parse_args()
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is taken: pass --port")
    RESULTS.mkdir(exist_ok=True)
    asyncio.run(recreate(args.database))
    secret = secrets.token_hex(32)
    os.environ["CPMO_JWT_SECRET"] = secret
    editor = issue_token(CommonSettings(), subject="bench-editor", roles=["editor"])
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "RISKS_DATABASE_URL": pg_url(args.database),
        "RISKS_MIGRATE_ON_START": "true",
        # The other services are not started: nothing here names a programme or a KPI.
        "RISKS_DATABASE_POOL_SIZE": str(max(10, args.clients)),
    }
    print(
        f"risks: {args.mode} x {args.clients} clients x {args.duration:g} s per run, PostgreSQL"
        f" (load before: {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    rates: dict[int, float] = {}
    migrated = False
    for workers in args.workers:
        run_env = {**env, "RISKS_MIGRATE_ON_START": "false"} if migrated else env
        if not migrated and workers > 1:  # migrate once, alone, before many processes start
            first = start(args.port, 1, env, RESULTS / "writes_migrate.log")
            ready(base)
            first.terminate()
            first.wait(timeout=30)
            run_env = {**env, "RISKS_MIGRATE_ON_START": "false"}
        service = start(args.port, workers, run_env, RESULTS / f"writes_{workers}.log")
        migrated = True
        try:
            ready(base)
            run = asyncio.run(
                load(
                    base,
                    editor,
                    args.database,
                    clients=args.clients,
                    duration=args.duration,
                    mode=args.mode,
                    tag=f"w{workers}",
                )
            )
            rates[workers] = report(workers, run, args.duration)
        finally:
            service.terminate()
            service.wait(timeout=30)
    if len(rates) > 1:
        fewest = min(rates)
        for workers, rate in sorted(rates.items()):
            if workers != fewest:
                print(f"  writes/s with {workers} / with {fewest}: {rate / rates[fewest]:.2f}x")
    print(f"  (load after: {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
