"""``cpmo pack PERIOD``: compose a month's draft through the running reporting service and
write its HTML, PDF and workbook, saying what it is doing at each step."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FORMATS = ("html", "pdf", "xlsx")


def run(
    *,
    url: str,
    token: str,
    period: str,
    portfolio_code: str | None,
    out: Path,
    progress: Callable[[str], None] = print,
) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    steps = 1 + len(FORMATS)
    started = time.monotonic()
    progress(f"[1/{steps}] composing the {period} draft through {url} ...")
    body: dict[str, Any] = {"period": period, "portfolio_code": portfolio_code}
    response = httpx.post(f"{url}/packs", json=body, headers=headers, timeout=300)
    if response.status_code != 201:
        problem = response.json() if "json" in response.headers.get("content-type", "") else {}
        progress(f"  refused ({response.status_code}): {problem.get('detail', response.text)}")
        return 1
    pack = response.json()
    missing = ", ".join(pack["content"]["unavailable_sections"])
    progress(
        f"  pack {pack['id']}: {pack['content']['programme_count']} programmes, "
        f"{'complete' if pack['complete'] else 'INCOMPLETE: ' + missing}"
        f", sha256 {pack['content_sha256'][:12]} ({time.monotonic() - started:.1f}s)"
    )
    out.mkdir(parents=True, exist_ok=True)
    for step, fmt in enumerate(FORMATS, start=2):
        begun = time.monotonic()
        progress(f"[{step}/{steps}] {fmt.upper()} ...")
        got = httpx.get(f"{url}/packs/{pack['id']}.{fmt}", headers=headers, timeout=300)
        got.raise_for_status()
        path = out / f"pack-{pack['id']}-{period}.{fmt}"
        path.write_bytes(got.content)
        progress(f"  wrote {path} ({len(got.content):,} bytes, {time.monotonic() - begun:.1f}s)")
    return 0


def add_parser(sub: Any, handler: Callable[[argparse.Namespace], int]) -> None:
    pack = sub.add_parser("pack", help="compose a month's assurance pack and write its files")
    pack.add_argument("period", help="the reporting month, YYYY-MM")
    pack.add_argument("--portfolio", default=None, help="the plan, e.g. IRP-2024; all if omitted")
    pack.add_argument("--out", type=Path, default=Path("."), help="folder for the files")
    pack.set_defaults(func=handler)
