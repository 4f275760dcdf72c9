"""Start-up, memory, and gateway latency as a ratio of one subgraph answering directly."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services import demo
from services.common.auth import issue_token
from services.common.settings import CommonSettings
from services.stack import SERVICES, Component, Stack, components

PORTS = {"programmes": 18201, "risks": 18202, "kpis": 18203, "reporting": 18204, "gateway": 14200}
ONE = '{ programmeByCode(code: "IRP-01") { code name sao { name } leadMember { name } } }'
CROSSING = (
    '{ programmeByCode(code: "IRP-01") { code name sao { name } leadMember { name } '
    "risks(top: 3) { code residualScore } kpis { code latest { value } } } }"
)


def rss_mib(part: Component) -> float:
    """Resident memory of the component's whole process group (the gateway may fork)."""
    assert part.process is not None
    group = os.getpgid(part.process.pid)
    total_kib = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getpgid(int(pid)) != group:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return total_kib / 1024


def latency_ms(client: httpx.Client, url: str, query: str, n: int) -> tuple[float, float]:
    for _ in range(10):  # warm up connections and caches
        client.post(url, json={"query": query}).raise_for_status()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.post(url, json={"query": query})
        samples.append((time.perf_counter() - started) * 1000)
        body = response.json()
        assert "errors" not in body, body
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {"CPMO_DATA_DIR": data_dir, "CPMO_MODE": "development"}
        os.environ.update(env)
        stack = Stack(components(ports=PORTS, log_dir=Path(data_dir) / "logs", env=env))
        try:
            startup = stack.start()
            print(f"start-up: all five ready in {startup:.2f}s (SQLite, migrations applied)")
            token = issue_token(CommonSettings(), subject="bench", roles=["admin"])
            urls = {n: f"http://127.0.0.1:{PORTS[n]}" for n in SERVICES}
            demo.load(urls, token, progress=lambda *_: None)
            print("memory (RSS after loading the demo plan):")
            for part in stack.parts:
                print(f"  {part.name:<11} {rss_mib(part):7.1f} MiB")
            gateway = f"http://127.0.0.1:{PORTS['gateway']}/graphql"
            n = args.requests
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                rows = [
                    (
                        "programmes subgraph directly (baseline)",
                        latency_ms(client, f"{urls['programmes']}/graphql", ONE, n),
                    ),
                    ("same fields through the gateway", latency_ms(client, gateway, ONE, n)),
                    (
                        "+ risks and kpis (three subgraphs)",
                        latency_ms(client, gateway, CROSSING, n),
                    ),
                ]
            print(f"latency over {n} sequential requests (median / p95 ms, ratio of medians):")
            baseline = rows[0][1][0]
            for label, (median, p95) in rows:
                print(f"  {label:<42} {median:6.2f} / {p95:6.2f}   {median / baseline:.2f}x")
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
