"""The assurance pack's cost as the portfolio grows: compose, HTML, PDF and XLSX for the demo
month (16 programmes) and for ten times as many programmes, as ratios against composing the
demo month in the same run. The sources are fixed data, so this times the pack's own work
(sections and rendering), not the services behind the gateway.

Run: `.venv/bin/python bench/bench_pack.py [--scale 10]`
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.reporting.render import pdf, xlsx
from services.reporting.render.links import Links
from services.reporting.sections.pack import compose
from services.reporting.service import render_html
from tests.reporting import demo_pack

LINKS = Links("http://127.0.0.1:8101", "http://127.0.0.1:8102", "http://127.0.0.1:8103")


def scaled(times: int) -> dict[str, Any]:
    """The demo month with each programme (and its savings) repeated under new codes."""
    base = demo_pack.data()
    data = {**base, "programmes": [], "savingsInitiatives": []}
    for k in range(times):
        for p in base["programmes"]:
            q = copy.deepcopy(p)
            q["id"] = str(int(p["id"]) + 1000 * k)
            q["code"] = f"{p['code']}-{k}" if k else p["code"]
            data["programmes"].append(q)
        for i in base["savingsInitiatives"]:
            j = dict(i)
            j["id"] = str(int(i["id"]) + 10000 * k)
            j["code"] = f"{i['code']}-{k}"
            j["programmeId"] = str(int(i["programmeId"]) + 1000 * k)
            data["savingsInitiatives"].append(j)
    return data


def seconds(work: Callable[[], object], repeat: int = 1) -> float:
    """The fastest of ``repeat`` runs: the least disturbed by other work on the machine."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def measure(times: int) -> dict[str, float]:
    data = scaled(times)
    content: dict[str, Any] = {}
    html: list[str] = []

    def build() -> None:
        content.update(
            compose(
                period=demo_pack.PERIOD,
                data=data,
                errors=[],
                smart=demo_pack.SMART,
                confidence=demo_pack.confidence(data),
            )
        )

    return {
        "compose": seconds(build, repeat=5),
        "html": seconds(lambda: html.append(render_html(content, LINKS)), repeat=3),
        "pdf": seconds(lambda: pdf.render(html[0])),
        "xlsx": seconds(lambda: xlsx.render(content)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    # Fonts and templates load once per process: not the pack's cost.
    pdf.render("<p>warm up the fonts</p>")
    render_html(demo_pack.content(), LINKS)
    small, large = measure(1), measure(args.scale)
    baseline = small["compose"]
    print(f"pack work, x{args.scale} programmes vs 16; ratios against composing 16 (baseline)")
    print(f"  {'step':<8} {'16 progs':>10} {'x' + str(args.scale):>10} {'growth':>8}")
    for step in small:
        print(
            f"  {step:<8} {small[step] / baseline:9.1f}x {large[step] / baseline:9.1f}x "
            f"{large[step] / small[step]:7.1f}x"
        )
    print(f"  (baseline: composing 16 programmes took {baseline * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
