#!/usr/bin/env python3
"""Extract CPMO seed data for the 2018 Corporate Governance Improvement Plan.

Reads ``003_1587715d67fed1ad.txt`` from the seeds folder (a PDF-to-text extraction of the plan's
tables) and writes ``gov_2018.json`` next to this script.

Usage::

    python3 extract_2018.py [SEEDS_DIR] [--out OUT_DIR]

How it works
------------
The plan is one table per improvement theme ("1 Political leadership" ...), repeated on every
page with its outcome statement, column headings (Improvement Aim | Current Status / Relevant
Background | Required Action | Outputs/Outcomes | Lead / RAG status) and the RAG legend
(Green - complete / evaluated; Amber - on track; Red - off track).  The extraction kept only
parts of most pages.  The parser

1. reads a theme header (``^ N  Title``) and its outcome statement (the line after it);
2. skips the repeated headings and legend (page furniture);
3. starts an item at a numbered improvement aim (``1.10  A need to focus ...``); two or more
   spaces on that line separate the aim from the first line of its current status;
4. splits the lines that follow into cells at empty lines (a line holding only spaces is a
   paragraph break inside a cell), and gives the cells in column order: aim, current status,
   required action, outputs/outcomes, lead / RAG;
5. takes the date an item is due as written in its outputs or required action
   ("(September 2018)"), and a RAG only where the lead cell names Green, Amber or Red.

Rows whose number fell off the page are not numbered by guessing: the ones whose cells line up
paragraph by paragraph are given by ``ROW_FIXES`` (keyed by source line, with the reason) and
numbered ``<theme>.line<N>`` after the line they start on; a line the cell rule would give to
the wrong column is moved by ``CELL_FIXES``; every other fragment goes to the ``unparsed`` list
with its lines and why.  Re-running gives byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

PLAN_FILE = "003_1587715d67fed1ad.txt"
PORTFOLIO_CODE = "CGIP-2018"
OUT_FILE = "gov_2018.json"

THEME = re.compile(r"^\s*(?P<n>\d)\s{4,}(?P<title>\S.*?)\s*$")
ITEM = re.compile(r"^(?P<num>\d\.\d{1,2})\s+(?P<aim>\S.*?)(?:\s{2,}(?P<status>\S.*?))?\s*$")
FURNITURE = re.compile(
    r"^\s*(?:Improvement Aim\s+Current Status.*|Required Action\s+Outputs/Outcomes|"
    r"Lead / RAG status|\(Green .* Amber .* on|track; Red .* off track\)|\d{1,3}|\u2013.*)\s*$"
)
DATE_AS_WRITTEN = re.compile(
    r"\(((?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December) \d{4})\)"
)
RAG_WORD = re.compile(r"\b(Green|Amber|Red)\b")
COLUMNS = ("aim", "status", "action", "outputs", "lead")

# The plan's own RAG legend (repeated on every page of the text), as a scale: what each grade
# means, how it reads on the common Red/Amber/Green scale (where Green is "on track"), and the
# status an item in that grade has.  The 2018 plan's Amber means on track, which is Green on
# the common scale; it is not a delivery confidence judgement, so it has no DCA point.
RAG_SCALE = [
    {
        "code": "Green",
        "colour": "#00703c",
        "meaning": "complete / evaluated",
        "common": "Green",
        "dca": None,
        "status": "Completed",
    },
    {
        "code": "Amber",
        "colour": "#ffbf47",
        "meaning": "on track",
        "common": "Green",
        "dca": None,
        "status": "On track",
    },
    {
        "code": "Red",
        "colour": "#d4351c",
        "meaning": "off track",
        "common": "Red",
        "dca": None,
        "status": "Late",
    },
]

# --------------------------------------------------------------------------------------------
# Fixes keyed by 1-based source line, each with why the rules cannot place it.
#
# ROW_FIXES[first line] = (theme, {column: (first, last)}): a row whose number is not in the
# text but whose cells are whole on one page, lined up paragraph by paragraph across columns.
# --------------------------------------------------------------------------------------------
ROW_FIXES: dict[int, tuple[int, dict[str, tuple[int, int]]]] = {
    # Theme 1, page at lines 45-102: the page starts mid-row (lines 46-48, 60-62, 75-77 are the
    # tails of a row from the previous page), then two rows follow whose paragraphs line up: the
    # second and third paragraphs of each column, and "City Solicitor" twice in the lead column.
    50: (1, {"status": (50, 51), "action": (64, 65), "outputs": (79, 83), "lead": (92, 92)}),
    56: (1, {"status": (56, 57), "action": (70, 73), "outputs": (85, 86), "lead": (98, 98)}),
}
# Lines the fixed rows use, and the page-tail fragments before them, are not fragments.
ROW_TAILS = {
    46: "status tail of a row begun on a page the text lost (its number is not in the text)",
    60: "required-action tail of a row begun on a page the text lost",
    75: "outputs tail of a row begun on a page the text lost",
}
# CELL_FIXES[line] = (item, column): a line the cell-splitting rule would give to the wrong
# column.
CELL_FIXES: dict[int, tuple[str, str]] = {
    # 6.5's row lost its empty lines: "Cabinet Member for Health and" follows the status on
    # the next line, but a Cabinet Member is a lead; the rest of the post is not in the text.
    330: ("6.5", "lead"),
}


def _clean(text: str) -> str:
    # The PDF's hyphen is U+2010; the plan means an ordinary hyphen.
    return " ".join(text.replace("\u2010", "-").split())


def _join(lines: list[str]) -> str:
    """Lines of one cell: paragraphs (split at space-only lines) joined with newlines."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(_clean(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n".join(" ".join(p) for p in paragraphs if p)


def parse(lines: list[str]) -> dict[str, Any]:
    themes: dict[int, dict[str, Any]] = {}
    items: list[dict[str, Any]] = []
    unparsed: list[dict[str, Any]] = []
    fixed_lines = {
        no for _, cells in ROW_FIXES.values() for a, b in cells.values() for no in range(a, b + 1)
    }

    theme: int | None = None
    item: dict[str, Any] | None = None
    cells: list[list[str]] = []
    fragment: list[tuple[int, str]] = []

    def close_fragment() -> None:
        text = [t for _, t in fragment if t.strip()]
        if fragment and text:
            first = fragment[0][0]
            unparsed.append(
                {
                    "source": PLAN_FILE,
                    "line": first,
                    "text": _join([t for _, t in fragment]),
                    "reason": ROW_TAILS.get(first)
                    or (
                        "the plan's introduction (the criteria it answers), cut off; not an item"
                        if theme is None
                        else None
                    )
                    or f"theme {theme}: cells of a row whose improvement aim (and number) is not "
                    f"in the text; columns cannot be told apart, so not loaded",
                }
            )
        fragment.clear()

    def close_item() -> None:
        nonlocal item
        if item is not None:
            for column, cell in zip(COLUMNS, cells, strict=False):
                item[column] = _join(cell) or None
            for extra in (c for c in cells[len(COLUMNS) :] if _join(c)):
                unparsed.append(
                    {
                        "source": PLAN_FILE,
                        "line": item["source_line"],
                        "text": _join(extra),
                        "reason": f"item {item['number']}: more cells than the table has columns",
                    }
                )
            items.append(item)
        item = None
        cells.clear()

    i = 0
    while i < len(lines):
        no, line = i + 1, lines[i]
        m = THEME.match(line)
        if m:
            close_item()
            close_fragment()
            theme = int(m["n"])
            statement = _clean(lines[i + 1]) if i + 1 < len(lines) else ""
            is_statement = statement and not FURNITURE.match(lines[i + 1])
            known = themes.setdefault(
                theme, {"number": theme, "title": _clean(m["title"]), "outcome": None, "line": no}
            )
            if is_statement and not lines[i + 1].lstrip().startswith("Improvement Aim"):
                text = statement
                # The statement may wrap onto a second line before the column headings.
                if (
                    i + 2 < len(lines)
                    and lines[i + 2].strip()
                    and not FURNITURE.match(lines[i + 2])
                ):
                    if not THEME.match(lines[i + 2]) and not lines[i + 2].startswith("Note"):
                        text += " " + _clean(lines[i + 2])
                        i += 1
                # Keep the longest reading: some pages cut the statement short.
                if known["outcome"] is None or len(text) > len(known["outcome"]):
                    known["outcome"] = text
                i += 1
            i += 1
            continue
        if FURNITURE.match(line) and line.strip():
            i += 1
            continue
        if no in CELL_FIXES:
            number, column = CELL_FIXES[no]
            target = next(it for it in [*items, item] if it and it["number"] == number)
            target["_fixed"] = {**target.get("_fixed", {}), column: _clean(line)}
            i += 1
            continue
        m = ITEM.match(line)
        if m and theme is not None:
            close_item()
            close_fragment()
            item = {"number": m["num"], "theme": theme, "source_line": no, "alignment": "parsed"}
            # The aim wraps until the first break unless its line already carries the status.
            cells.extend([[m["aim"]], [m["status"]]] if m["status"] else [[m["aim"]]])
            i += 1
            continue
        if item is not None:
            if line == "":
                if cells[-1] and any(c.strip() for c in cells[-1]):
                    cells.append([])
            else:
                cells[-1].append(line)
            i += 1
            continue
        if no in fixed_lines or no in ROW_FIXES:
            close_fragment()
            i += 1
            continue
        if line == "" and fragment and any(t.strip() for _, t in fragment):
            close_fragment()
        elif line.strip() or fragment:
            fragment.append((no, line))
        i += 1
    close_item()
    close_fragment()

    for first, (theme_no, spans) in sorted(ROW_FIXES.items()):
        row: dict[str, Any] = {
            "number": f"{theme_no}.line{first}",
            "theme": theme_no,
            "source_line": first,
            "alignment": "manual",
            "aim": None,
        }
        for column, (a, b) in spans.items():
            row[column] = _join(lines[a - 1 : b])
        items.append(row)
    return {"themes": themes, "items": items, "unparsed": unparsed}


def _item_cells(item: dict[str, Any]) -> dict[str, Any]:
    """The item with the cells CELL_FIXES moved to it."""
    for column, text in item.pop("_fixed", {}).items():
        item[column] = "\n".join(t for t in (item.get(column), text) if t)
    return item


def build(seeds: Path) -> dict[str, Any]:
    lines = (seeds / PLAN_FILE).read_text(encoding="utf-8").split("\n")
    # The PDF's cells are padded with no-break spaces; a line of them is still not empty.
    lines = [line.replace("\u00a0", " ") for line in lines]
    parsed = parse(lines)
    themes = parsed["themes"]
    unparsed: list[dict[str, Any]] = list(parsed["unparsed"])
    for missing in sorted(set(range(1, max(themes) + 1)) - set(themes)):
        unparsed.append(
            {
                "source": PLAN_FILE,
                "line": None,
                "text": None,
                "reason": f"theme {missing}: no page of it is in the text (themes "
                f"{', '.join(str(t) for t in sorted(themes))} are)",
            }
        )

    by_theme: dict[int, list[dict[str, Any]]] = {}
    for raw in parsed["items"]:
        item = _item_cells(raw)
        # An aim is a title: its wrapped paragraphs are one line.
        item["aim"] = " ".join((item.get("aim") or "").split()) or None
        lead = item.get("lead")
        rag = RAG_WORD.findall(lead or "")
        dates = DATE_AS_WRITTEN.findall(
            "\n".join(filter(None, [item.get("outputs"), item.get("action")]))
        )
        if not rag:
            unparsed.append(
                {
                    "source": PLAN_FILE,
                    "line": item["source_line"],
                    "text": lead,
                    "reason": f"item {item['number']}: no RAG status in the text "
                    "(the lead / RAG cell names no colour)",
                }
            )
        for column in ("status", "action", "outputs", "lead"):
            if not item.get(column):
                unparsed.append(
                    {
                        "source": PLAN_FILE,
                        "line": item["source_line"],
                        "text": item.get("aim"),
                        "reason": f"item {item['number']}: no {LABELS[column]} in the text",
                    }
                )
        by_theme.setdefault(item["theme"], []).append(
            {
                "number": item["number"],
                "improvement_aim": item["aim"],
                "current_status": item.get("status"),
                "required_action": item.get("action"),
                "outputs": item.get("outputs"),
                "lead": item.get("lead"),
                "rag": rag[-1] if rag else None,
                "timescale": dates[-1] if dates else None,
                "source_line": item["source_line"],
                "alignment": item["alignment"],
            }
        )

    aims, programmes = [], []
    for number, theme in sorted(themes.items()):
        if theme["outcome"] is None:
            unparsed.append(
                {
                    "source": PLAN_FILE,
                    "line": theme["line"],
                    "text": theme["title"],
                    "reason": f"theme {number}: its outcome statement is not in the text",
                }
            )
        aims.append(
            {
                "code": f"T{number}",
                "name": theme["title"],
                "focus": None,
                "outcomes": [theme["outcome"]] if theme["outcome"] else [],
                "source_line": theme["line"],
            }
        )
        programmes.append(
            {
                "code": f"CGIP-{number}",
                "name": theme["title"],
                "aim_code": f"T{number}",
                "outcomes": [1] if theme["outcome"] else [],
                "directorate": None,
                "purpose": theme["outcome"],
                "sao": None,
                "rdl": None,
                "lead_member": None,
                "actions": [
                    _action(entry)
                    for entry in sorted(by_theme.get(number, []), key=lambda e: e["source_line"])
                ],
            }
        )
    unparsed.sort(key=lambda u: (u["line"] is None, u["line"] or 0, u["reason"]))
    return {
        "portfolio": {
            "code": PORTFOLIO_CODE,
            "name": "Corporate Governance Improvement Plan 2018",
            "source": PLAN_FILE,
            "rag_definition": "Green - complete / evaluated; Amber - on track; Red - off track",
            "rag_scale": RAG_SCALE,
            "financial_year_start": 2018,
        },
        "aims": aims,
        "programmes": programmes,
        "unparsed": unparsed,
    }


LABELS = {
    "status": "current status / background",
    "action": "required action",
    "outputs": "outputs / outcomes",
    "lead": "lead",
}


def _action(entry: dict[str, Any]) -> dict[str, Any]:
    parts = [
        ("Improvement aim", entry["improvement_aim"]),
        ("Current status", entry["current_status"]),
        ("Required action", entry["required_action"]),
    ]
    description = "\n\n".join(f"{label}: {text}" for label, text in parts if text)
    return {
        "number": entry["number"],
        "description": description or "(no text survives in the source)",
        "timescale": entry["timescale"],
        "measures": entry["outputs"],
        "responsible": entry["lead"].replace("\n", "; ") if entry["lead"] else None,
        "rag": entry["rag"],
        "improvement_aim": entry["improvement_aim"],
        "current_status": entry["current_status"],
        "required_action": entry["required_action"],
        "source_line": entry["source_line"],
        "alignment": entry["alignment"],
    }


def seeds_folders(here: Path) -> list[Path]:
    """Where the council's seed texts may be: ``CPMO_SEEDS``, else a ``shared/seeds`` beside any
    folder above this script (the workplace keeps them outside the repository)."""
    named = [Path(os.environ["CPMO_SEEDS"])] if os.environ.get("CPMO_SEEDS") else []
    return [d for d in [*named, *(a / "shared" / "seeds" for a in here.parents)] if d.is_dir()]


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    found = seeds_folders(here)
    parser.add_argument("seeds", nargs="?", type=Path, default=found[0] if found else None)
    parser.add_argument("--out", type=Path, default=here)
    args = parser.parse_args()
    document = build(args.seeds)
    (args.out / OUT_FILE).write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    items = sum(len(p["actions"]) for p in document["programmes"])
    print(
        f"{OUT_FILE}: {len(document['aims'])} themes, {items} items, "
        f"{len(document['unparsed'])} unparsed notes"
    )


if __name__ == "__main__":
    main()
