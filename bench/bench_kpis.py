"""KPI pushes beside the physical-limit anchors (../shared/bench-anchors), in one run.

Starts the real kpis service on a throwaway PostgreSQL database (pinned to the server CPU, as
the anchors are), creates 50 monthly KPIs and a registered machine client through its own REST
API, then runs the anchors' harness with the service's single and bulk push endpoints as
targets, and reads the service's resident memory after the load. The harness prints every
number as a ratio to the anchors measured in the same run.

    .venv/bin/python bench/bench_kpis.py                       # about 5 minutes
    .venv/bin/python bench/bench_kpis.py --repeats 5 --duration 10

Needs PostgreSQL reachable as postgres@127.0.0.1:5432 (PGHOST/PGPORT/PGUSER/PGPASSWORD) and wrk
(the harness installs it with apt when it can).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.common.auth import issue_token  # noqa: E402
from services.common.settings import CommonSettings  # noqa: E402

# shared/ sits beside the repository (CI), or one level further up (a git worktree).
ANCHORS = Path(
    os.environ.get("BENCH_ANCHORS")
    or next(
        (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
        ROOT.parent / "shared",
    )
    / "bench-anchors"
)
RESULTS = ROOT / "bench" / "results"  # git-ignored
PORT = 18303
CODES = 50
CODE_FMT = "BENCH-%03d"


def pg_url(database: str) -> str:
    user = os.environ.get("PGUSER", "postgres")
    password = os.environ.get("PGPASSWORD", "postgres")
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    return f"postgresql://{user}:{password}@{host}:{port}/{database}"


async def recreate(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(base: str, admin: str) -> None:
    """50 monthly count KPIs (any value >= 0 is sane) and a client granted all of them."""
    headers = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        codes = [CODE_FMT % n for n in range(CODES)]
        for code in codes:
            response = client.post(
                "/kpis",
                json={
                    "code": code,
                    "name": f"bench measure {code}",
                    "portfolio_code": "BENCH",
                    "aim_code": "AIM-1",
                    "outcome": "bench",
                    "unit": "count",
                    "higher_is_better": True,
                    "frequency": "monthly",
                    "target": 50000,
                    "tolerance": 5000,
                },
            )
            response.raise_for_status()
        client.post(
            "/push-clients",
            json={"client_id": "bench-client", "name": "bench", "kpi_codes": codes},
        ).raise_for_status()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--database", default="cpmo_bench_kpis")
    ap.add_argument("--port", type=int, default=PORT, help="for the kpis service (free)")
    args = ap.parse_args()
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is taken: pass --port")

    RESULTS.mkdir(exist_ok=True)
    asyncio.run(recreate(args.database))
    secret = secrets.token_hex(32)
    env = {
        **os.environ,
        "CPMO_JWT_SECRET": secret,
        "KPIS_DATABASE_URL": pg_url(args.database),
        "KPIS_MIGRATE_ON_START": "true",
    }
    os.environ["CPMO_JWT_SECRET"] = secret
    settings = CommonSettings()
    admin = issue_token(settings, subject="bench-admin", roles=["admin"])
    machine = issue_token(settings, subject="bench-client", roles=["machine"])
    log = open(RESULTS / "kpis_service.log", "w")
    service = subprocess.Popen(
        [
            "taskset", "-c", os.environ.get("BENCH_SERVER_CPU", "1"),
            str(ROOT / ".venv" / "bin" / "uvicorn"), "services.kpis.main:app",
            "--host", "127.0.0.1", "--port", str(args.port),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(120):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        prepare(base, admin)
        print(f"kpis service RSS before load: {rss_mb(service.pid):.0f} MB", flush=True)
        harness_env = {
            **os.environ,
            "BENCH_TOKEN": machine,
            "BENCH_KEY_HEADER": "Idempotency-Key",
            "BENCH_CODE_FMT": CODE_FMT,
            "BENCH_NCODES": str(CODES),
            "BENCH_CODE_BASE": "0",
            "BENCH_OUT_DIR": str(RESULTS),
            # the anchors' own database, beside this run's (another run may use the default)
            "BENCH_DB": os.environ.get("BENCH_DB", f"{args.database}_anchors"),
        }
        subprocess.run(
            [
                "bash", str(ANCHORS / "run.sh"),
                "--only", "copy,unnest,http_echo,http_asyncpg,http_sa_core,http_bulk",
                "--repeats", str(args.repeats), "--duration", str(args.duration),
                "--target", f"kpi={base}/kpis/{{code}}/measurements",
                "--bulk-target", f"kpi_bulk={base}/kpis/{{code}}/measurements/bulk",
            ],
            cwd=RESULTS, env=harness_env, check=False,
        )  # fmt: skip
        print(f"kpis service RSS after load: {rss_mb(service.pid):.0f} MB (target <= 150 MB)")
    finally:
        service.terminate()
        service.wait(timeout=30)
        log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
