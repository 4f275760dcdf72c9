"""The fault suite: abuse queries, a subgraph down, and KPI pushes through a kill -9.

Prints figures, asserts nothing timed: the abuse queries' refusal time as a ratio of an
ordinary query's in the same run, what a client sees with risks down, and for the push crash
test how many acknowledged pushes were lost or applied twice (both must be 0)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services import demo
from services.common.auth import issue_token
from services.common.settings import CommonSettings
from services.stack import SERVICES, Stack, components

PORTS = {"programmes": 18211, "risks": 18212, "kpis": 18213, "reporting": 18214, "gateway": 14210}
SECRET = "bench-fault-suite-secret-0123456789abcdef"
ORDINARY = '{ programmeByCode(code: "IRP-01") { code name risks(top: 3) { code } } }'
ALIAS = "a{i}: programmes { items { code } }"
ABUSE = {
    "depth 50": "{ programmes { items { "
    + "risks { programme { " * 25
    + "code"
    + " } }" * 25
    + " } } }",
    "1,000 aliases": "{ "
    + " ".join(f"a{i}: programmes {{ items {{ code }} }}" for i in range(1000))
    + " }",
    "100 aliases": "{ "
    + " ".join(f"a{i}: programmes {{ items {{ code }} }}" for i in range(100))
    + " }",
    "wide (cost)": "{ programmes { items { code "
    + " ".join(
        f"r{i}: risks {{ code title programme {{ code name purpose directorate "
        "risks { code title owner } } }"
        for i in range(28)
    )
    + " } } }",
}


def pg_databases(pg: str, names: list[str]) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(f"{pg}/postgres")
        try:
            for name in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())


def timed(client: httpx.Client, url: str, query: str) -> tuple[float, dict]:
    started = time.perf_counter()
    body = client.post(url, json={"query": query}).json()
    return (time.perf_counter() - started) * 1000, body


def abuse(stack: Stack, client: httpx.Client) -> None:
    gateway = f"http://127.0.0.1:{PORTS['gateway']}/graphql"
    risks = f"http://127.0.0.1:{PORTS['risks']}/graphql"
    baseline = statistics.median(timed(client, gateway, ORDINARY)[0] for _ in range(20))
    print(f"abuse queries (ordinary query through the gateway: {baseline:.1f} ms median):")
    for name, query in ABUSE.items():
        for where, url in (("gateway", gateway), ("risks direct", risks)):
            ms, body = timed(client, url, query)
            refused = not body.get("data") and body.get("errors")
            message = body["errors"][0]["message"][:60] if refused else "ANSWERED"
            print(f"  {name:<14} {where:<13} {ms / baseline:5.2f}x  {message}")
    healthy = all(stack[n].ready() for n in SERVICES)
    print(f"  every service ready afterwards: {healthy}")


def subgraph_down(stack: Stack, client: httpx.Client) -> None:
    gateway = f"http://127.0.0.1:{PORTS['gateway']}/graphql"
    stack["risks"].stop()
    _, body = timed(client, gateway, ORDINARY)
    errors = body.get("errors") or []
    print("risks stopped:")
    print(f"  programme still answered: {bool((body.get('data') or {}).get('programmeByCode'))}")
    print(f"  errors: {[(e['message'], e.get('path')) for e in errors][:3]}")
    stack["risks"].start()
    while not stack["risks"].ready():
        time.sleep(0.2)


def push_crash(stack: Stack, token: str, reader: str, clients: int, pushes: int) -> None:
    """Each client pushes values nobody else pushes, retrying with the same Idempotency-Key
    until acknowledged; the kpis service is killed (SIGKILL) and restarted half-way."""
    base = f"http://127.0.0.1:{PORTS['kpis']}"
    url = f"{base}/kpis/KPI-01/measurements"
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged: list[float] = []
    retries = 0
    lock = threading.Lock()
    total = clients * pushes

    def run(client_no: int) -> None:
        nonlocal retries
        with httpx.Client(headers=headers, timeout=10) as http:
            for i in range(pushes):
                k = client_no * pushes + i
                value = k * 0.25 + 0.125  # unique, exact, and a sane % (KPI-01's unit)
                body = {"period": f"{2000 + k % 24}-{(k // 24) % 12 + 1:02d}", "value": value}
                key = {"Idempotency-Key": f"crash-{client_no}-{i}"}
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    try:
                        response = http.post(
                            f"{base}/kpis/KPI-01/measurements", json=body, headers=key
                        )
                        if response.status_code in (200, 201):
                            with lock:
                                acknowledged.append(value)
                            break
                    except httpx.HTTPError:
                        pass
                    with lock:
                        retries += 1
                    time.sleep(0.05)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while len(acknowledged) < total // 2:
        time.sleep(0.01)
    kpis = stack["kpis"]
    assert kpis.process is not None
    os.killpg(kpis.process.pid, signal.SIGKILL)
    kpis.process.wait()
    killed_at = len(acknowledged)
    kpis.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    rows = httpx.get(url, headers={"Authorization": f"Bearer {reader}"}, timeout=30).json()
    stored = [r["value"] for r in rows]
    mine = {k * 0.25 + 0.125 for k in range(total)}
    lost = sum(1 for v in set(acknowledged) if v not in stored)
    doubled = sum(stored.count(v) - 1 for v in mine if stored.count(v) > 1)
    print(f"push crash test: {clients} clients x {pushes} pushes, kill -9 after {killed_at}:")
    print(f"  acknowledged {len(set(acknowledged))}/{total}, retries {retries}, {elapsed:.1f}s")
    print(f"  lost {lost}, applied twice {doubled}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--pg", default=os.environ.get("CPMO_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--pushes", type=int, default=20)
    args = parser.parse_args()
    names = {s: f"cpmo_bench_faults_{s}" for s in SERVICES}
    pg_databases(args.pg, list(names.values()))
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            "CPMO_DATA_DIR": data_dir,
            "CPMO_MODE": "production",
            "CPMO_JWT_SECRET": SECRET,
            **{f"{s.upper()}_DATABASE_URL": f"{args.pg}/{n}" for s, n in names.items()},
        }
        os.environ.update(env)
        stack = Stack(components(ports=PORTS, log_dir=Path(data_dir) / "logs", env=env))
        try:
            stack.start(timeout=180)
            admin = issue_token(CommonSettings(), subject="bench", roles=["admin"])
            urls = {n: f"http://127.0.0.1:{PORTS[n]}" for n in SERVICES}
            demo.load(urls, admin, progress=lambda *_: None)
            with httpx.Client(headers={"Authorization": f"Bearer {admin}"}, timeout=60) as client:
                abuse(stack, client)
                subgraph_down(stack, client)
            # The demo's registered client granted KPI-01 (grants live in the registry).
            machine = issue_token(CommonSettings(), subject="finance-ledger", roles=["machine"])
            push_crash(stack, machine, admin, args.clients, args.pushes)
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
