"""``cpmo``: run the whole system, load demo data, mint tokens, keep the supergraph current.

Run it as ./cpmo, which installs what is missing first. ./cpmo <command> --help describes one
command and starts nothing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from services import demo
from services.common.auth import Role, issue_token
from services.common.settings import CommonSettings
from services.kpis import permissions
from services.reporting import cli as reporting_cli
from services.stack import (
    DEFAULT_PORTS,
    GATEWAY_DIR,
    SERVICES,
    Stack,
    components,
    port_setting,
    taken_ports,
)


def _ports() -> dict[str, int]:
    ports = dict(DEFAULT_PORTS)
    for name in SERVICES:
        ports[name] = int(os.environ.get(f"{name.upper()}_PORT", ports[name]))
    ports["gateway"] = int(os.environ.get("GATEWAY_PORT", ports["gateway"]))
    return ports


def refuse_taken_ports(ports: dict[str, int]) -> bool:
    """Say which ports are taken and how to move each; True when ``up`` must not start."""
    taken = taken_ports(ports)
    for name, port in taken.items():
        print(
            f"cpmo up: port {port} ({name}) is already in use, perhaps by another CPMO stack;"
            f" stop it, or set {port_setting(name)} to another port",
            file=sys.stderr,
        )
    return bool(taken)


def subgraph_sdl(service: str) -> str:
    schema = importlib.import_module(f"services.{service}.graphql").schema
    return schema.as_str().rstrip() + "\n"


def cmd_sdl(_: argparse.Namespace) -> int:
    out = GATEWAY_DIR / "subgraphs"
    out.mkdir(exist_ok=True)
    for service in SERVICES:
        (out / f"{service}.graphql").write_text(subgraph_sdl(service))
        print(f"wrote {out / service}.graphql")
    return subprocess.call(["node", "compose.mjs"], cwd=GATEWAY_DIR)


def cmd_token(args: argparse.Namespace) -> int:
    extra = permissions.grants(args.kpis.split(",")) if args.kpis else None
    print(issue_token(CommonSettings(), subject=args.subject, roles=args.role, grants=extra))
    return 0


def cmd_seed(_: argparse.Namespace) -> int:
    ports = _ports()
    token = issue_token(CommonSettings(), subject="cpmo-demo-loader", roles=[Role.admin])
    created = demo.load({n: f"http://127.0.0.1:{ports[n]}" for n in SERVICES}, token)
    print(
        "created: "
        + (", ".join(f"{v} {k}" for k, v in created.items()) or "nothing (already loaded)")
    )
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Post each document to the programmes loader and say what it made of it."""
    import httpx

    url = f"http://127.0.0.1:{_ports()['programmes']}"
    token = issue_token(CommonSettings(), subject="cpmo-loader", roles=[Role.admin])
    failed = 0
    for number, path in enumerate(args.files, start=1):
        document = json.loads(Path(path).read_text())
        endpoint = "/imports/highlight-reports" if "reports" in document else "/imports/plan"
        dry = " (dry run)" if args.dry_run else ""
        print(f"[{number}/{len(args.files)}] {path} -> {endpoint}{dry}")
        response = httpx.post(
            url + endpoint,
            json=document,
            params={"dry_run": str(args.dry_run).lower()},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        if response.status_code >= 400:
            print(f"  refused ({response.status_code}): {response.text}", file=sys.stderr)
            failed += 1
            continue
        report = response.json()
        for label in ("created", "unchanged"):
            counts = ", ".join(f"{v} {k}" for k, v in sorted(report[label].items())) or "nothing"
            print(f"  {label}: {counts}")
        print(f"  could not be read ({len(report['unparsed'])}):")
        for item in report["unparsed"]:
            text = f" {item['text']!r}" if item["text"] else ""
            print(f"    - {item['where']}:{text[:80]} ({item['reason'][:120]})")
    return 1 if failed else 0


def cmd_pack(args: argparse.Namespace) -> int:
    token = issue_token(CommonSettings(), subject="cpmo-cli", roles=[Role.editor])
    return reporting_cli.run(
        url=f"http://127.0.0.1:{_ports()['reporting']}",
        token=token,
        period=args.period,
        portfolio_code=args.portfolio,
        out=args.out,
    )


def cmd_up(_: argparse.Namespace) -> int:
    settings = CommonSettings()  # refuses a default secret outside development mode
    ports = _ports()
    # Before anything starts: another stack would answer our readiness probes and get re-seeded.
    if refuse_taken_ports(ports):
        return 2
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(
        components(ports=ports, log_dir=data_dir / "logs", env={"CPMO_DATA_DIR": str(data_dir)})
    )
    print(f"Starting CPMO ({settings.mode.value} mode, data in {data_dir}) ...")
    try:
        seconds = stack.start()
        print(f"All five components ready in {seconds:.1f}s. Loading demo data:")
        token = issue_token(settings, subject="dev-admin", roles=[Role.admin])
        created = demo.load({n: f"http://127.0.0.1:{ports[n]}" for n in SERVICES}, token)
        print(
            "  created: "
            + (", ".join(f"{v} {k}" for k, v in created.items()) or "nothing new (already loaded)")
        )
        print()
        for name in SERVICES:
            print(
                f"  {name:<11} http://127.0.0.1:{ports[name]}   docs http://127.0.0.1:{ports[name]}/docs"
            )
        print(f"  {'gateway':<11} http://127.0.0.1:{ports['gateway']}/graphql")
        print(f"  logs        {data_dir / 'logs'}")
        print(f"\nDevelopment admin token (12 h):\n{token}\n")
        print("Ctrl-C stops everything.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while (dead := stack.first_exited()) is None:
            time.sleep(0.5)
        print(f"{dead.name} stopped unexpectedly:\n{dead.tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping ...")
        return 0
    finally:
        stack.stop()


def cmd_test(_: argparse.Namespace) -> int:
    print("cpmo: run the tests with ./cpmo test (it installs and runs the gates first)")
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cpmo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up",
        help="install, migrate, run all five components on SQLite with demo data until Ctrl-C",
        description="Migrate, start the four services and the gateway on SQLite under"
        " CPMO_DATA_DIR, load the demo plans and reporting month (2025-03), print a development"
        " admin token; Ctrl-C stops"
        " everything. Refuses to start when a port it needs is taken (ports move with"
        " PROGRAMMES_PORT, RISKS_PORT, KPIS_PORT, REPORTING_PORT, GATEWAY_PORT).",
    )
    up.set_defaults(func=cmd_up)
    test = sub.add_parser(
        "test",
        help="quality gates (ruff check, ruff format --check, mypy), then pytest",
        description="./cpmo test [pytest arguments]: run ruff check, ruff format --check and mypy"
        " over services and tests, stopping at the first gate with a finding (it prints the"
        " command that reproduces it), then pytest on PostgreSQL (CPMO_TEST_PG; a local server"
        " is started if it is down). Example: ./cpmo test tests/risks -q -x",
    )
    test.set_defaults(func=cmd_test)
    sub.add_parser(
        "seed", help="load the demo plans and reporting month into running services"
    ).set_defaults(func=cmd_seed)
    sub.add_parser("sdl", help="export subgraph SDL and compose the supergraph").set_defaults(
        func=cmd_sdl
    )
    load = sub.add_parser("load", help="load plan documents into the running programmes service")
    load.add_argument("files", nargs="+", help="e.g. services/programmes/seed_data/ap_2015.json")
    load.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    load.set_defaults(func=cmd_load)
    reporting_cli.add_parser(sub, cmd_pack)
    token = sub.add_parser("token", help="print a bearer token")
    token.add_argument("--subject", default="dev-admin")
    token.add_argument("--role", action="append", choices=[r.value for r in Role], default=None)
    token.add_argument("--kpis", help="comma-separated KPI codes a machine client may push")
    token.set_defaults(func=cmd_token)
    args = parser.parse_args(argv)
    if getattr(args, "role", "unset") is None:
        args.role = ["admin"]
    try:
        return int(args.func(args))
    except ValidationError as exc:
        # Settings refused (e.g. the development secret outside development mode): say why.
        for error in exc.errors():
            print(f"cpmo: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
