#!/usr/bin/env python3
"""Extract CPMO seed data for the 2015 Organisational Improvement Action Plan.

Reads two PDF-to-text extractions from the seeds folder:

* ``000_8cc2926d097384ad.txt`` - the 2015 action plan (five action plans, each with theme,
  sub-theme, Kerslake references, issues, aims and numbered actions with timescale, measures
  and responsible officer);
* ``002_944e59d5f7056beb.txt`` - the first monthly highlight report (April 2015);

and writes, next to this script:

* ``ap_2015.json``                       - portfolio, aims, programmes (action plans) and actions;
* ``ap_2015_highlight_2015-04.json``     - the April 2015 highlight report.

Usage::

    python3 extract_2015.py [SEEDS_DIR] [--out OUT_DIR] [--review]

``SEEDS_DIR`` defaults to ``/work/shared/seeds`` found by walking up from this script
(``../../../../shared/seeds``).  ``--review`` prints a line-by-line classification of the
action-plan tables, which is what the manual-fix tables below were built from.

How it works
------------
Everything is parsed from the text with regexes over the layout.

File 000: the header of each action plan (theme, sub-theme, Kerslake reference, issues, aims,
"what will make the difference") is read by its labels.  The action tables are the hard part:
the PDF's four columns (action, timescale, measures, responsible) were flattened and their cells
come out interleaved and out of order.  The parser

1. classifies every line of an action page (page furniture, numbered action, description
   continuation, workstream heading, timescale, responsible officer, measure text);
2. gives timescales to actions by reading order within a page (a timescale trailing an action's
   first line, e.g. ``2 Consult ... supplementary Mar-15``, is pinned to that action);
3. matches a run of k timescales followed by k measures (or k responsible cells) one to one,
   gives remaining responsible cells by reading order and remaining measures to the row of the
   latest timescale.

Where the flattened layout defeats those rules, manual fixes keyed by source line number say
which action a line belongs to, each with a comment giving the reason:

* ``LINE_FIXES``   - the whole line is one cell (or part of one) of the given action;
* ``SPLIT_FIXES``  - the line holds two cells side by side; the pieces must make up the line;
* ``REJOIN_FIXES`` - the words of two cells were interleaved across lines; the cells must use
  exactly the characters of those lines (words re-ordered, never added or dropped).

Every action records ``alignment``: ``parsed`` (placed by the rules alone) or ``manual`` (at least
one of its cells placed by a fix).

File 002 is tab-separated and parses directly, except a few milestone, lead and Action Plan 4
cells that the extraction garbled; ``MILESTONE_FIXES``, ``LEAD_FIXES`` and ``ITEM_FIXES`` give
those as labelled reconstructions (``reconstructed: true`` beside the text as extracted).

Anything that could not be parsed, placed or was reconstructed is recorded in an ``unparsed``
list (source file, line, text, reason) instead of being guessed silently.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

PLAN_FILE = "000_8cc2926d097384ad.txt"
HIGHLIGHT_FILE = "002_944e59d5f7056beb.txt"
PORTFOLIO_CODE = "OIAP-2015"

# The plan defines no RAG. Its monthly highlight report (file 002) rates each row's confidence
# High / Med / Low, so that is the scale the plan is read on, mapped to the common RAG as the
# words suggest; the mapping is ours, and says so.
RAG_DEFINITION = (
    "The plan defines no RAG; its highlight reports rate confidence High / Med / Low, "
    "read on the common scale as Green / Amber / Red."
)
RAG_SCALE = [
    {
        "code": "High",
        "colour": "#00703c",
        "meaning": "high confidence of delivery (highlight report); read as common Green",
        "common": "Green",
        "dca": None,
        "status": None,
    },
    {
        "code": "Medium",
        "colour": "#ffbf47",
        "meaning": "medium confidence of delivery (highlight report 'Med'); read as common Amber",
        "common": "Amber",
        "dca": None,
        "status": None,
    },
    {
        "code": "Low",
        "colour": "#d4351c",
        "meaning": "low confidence of delivery (highlight report); read as common Red",
        "common": "Red",
        "dca": None,
        "status": None,
    },
]
PERIOD = "2015-04"

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
TIMESCALE = rf"(?:{MONTH}-\d{{2}}|(?:Spring|Summer|Autumn|Winter) \d{{2}}|TBC|Ongoing)"
TIMESCALE_LINE = re.compile(rf"^{TIMESCALE}$")
TRAILING_TIMESCALE = re.compile(rf"^(?P<text>.*\S)\s+(?P<ts>{TIMESCALE})$")
ACTION_START = re.compile(r"^(?P<num>\d{1,2}) (?P<text>\S.*)$")
PLAN_HEADER = re.compile(r"^ACTION PLAN (?P<n>\d)\.$")
PAGE_HEADER = re.compile(r"^ACTION PLAN 2015$")

# Responsible officers as the plan writes them.  A line that is wholly one of these (or a
# recognised wrap of one) is a Responsible-column cell.
OFFICER = re.compile(
    r"^(?:"
    r"CEx(?: (?:&|and) (?:Leader|Strategic|Director|DCLG lead|Strategic Directors))?"
    r"|CEx, Strategic Directors|CEx and Director Delivery"
    r"|CE|Chief Executive(?: pro tem)?|Leader(?: and (?:CEx|Group))?|Group Leaders(?: and CEx)?"
    r"|Director (?:Delivery|Legal Services|of Corporate)|Strategic Directors?(?: People)?"
    r"|Service Director|Head of Strategy|Executive Management|City Partnership"
    r"|CMBC and cross-party|Leader and Group"
    r")$"
)
# Second lines of officer cells that wrapped in the PDF.
OFFICER_WRAP = re.compile(
    r"^(?:Delivery|Finance|Finance and SDs|Directors|Leaders|officer|Devolution|Team \(EMT\)"
    r"|Governance Review|Group|and Director Delivery|Employment & Skills|Initiative)$"
)


# --------------------------------------------------------------------------------------
# Manual fixes for the action tables (file 000).  Keys are 1-based source line numbers.
#
# LINE_FIXES[line] = (role, action)
#   role: "desc"   - continuation of the action's description
#         "ts"     - the action's timescale
#         "meas"   - starts a new measure item of the action
#         "meas+"  - continues the action's last measure item
#         "resp"   - (part of) the action's responsible cell; consecutive parts are joined
#         "act"    - an unnumbered action row (action gets a letter suffix, e.g. "4.6a")
#         "ws"     - a workstream heading line; action is None
#         "ws2"    - a sub-heading within the current workstream; action is None
#         "skip"   - not content (page furniture); action is None
#         "amb"    - a cell left unplaced on purpose (action = the candidate rows, for the
#                    unparsed list)
#   action: "<plan>.<n>" as in the output, e.g. "1.4"
# --------------------------------------------------------------------------------------
LINE_FIXES: dict[int, tuple[str, str | None]] = {}
REVIEW: list[tuple[int, str, str | None, str]] = []  # filled while parsing, printed by --review

# SPLIT_FIXES[line] = [(role, action, text), ...] for a line holding two cells side by side.
# The pieces, in order, must make up the line exactly.
SPLIT_FIXES: dict[int, list[tuple[str, str | None, str]]] = {}

# REJOIN_FIXES[first_line] = ([lines], [(role, action, text), ...]) for cells whose words the
# extraction interleaved across several lines.  The texts must use exactly the characters of
# the listed lines (spaces aside): words are re-ordered, never added or dropped.
REJOIN_FIXES: dict[int, tuple[list[int], list[tuple[str, str | None, str]]]] = {}


def _cell(role: str, action: str | None, first: int, last: int | None = None) -> None:
    """Lines first..last (inclusive) are one cell of ``action``: for measures the first line
    starts a new measure item and the rest continue it; other roles are simply joined."""
    for no in range(first, (last or first) + 1):
        r = role
        if role == "meas" and no != first:
            r = "meas+"
        if role == "ts" and no != first:
            raise ValueError("a timescale cell is one line")
        LINE_FIXES[no] = (r, action)


# --- Action plan 1, page 1 (lines 113-157) ---------------------------------------------
# Rows 1 and 2 came out interleaved with their Responsible cells.
_cell("meas", "1.2", 134, 136)
_cell("resp", "1.2", 135)
# Rows 3 and 4: four measure lines, then both responsible cells.  The first measure (two
# lines) is taken as row 3's: row 3 is two lines tall and the other two measures are about
# the workshops of row 4.
_cell("meas", "1.3", 149, 150)
_cell("resp", "1.3", 156)
_cell("resp", "1.4", 157)
# --- Action plan 1, page 2 (lines 158-289) ---------------------------------------------
# Rows 7-11: one measure each, in row order (rows 8 and 9 repeat the same text).
_cell("meas", "1.8", 195, 196)
_cell("meas", "1.9", 197, 198)
_cell("meas", "1.10", 199, 200)
_cell("meas", "1.11", 201)
# Rows 12-14: each measure comes out next to its row's Responsible cell.
_cell("resp", "1.12", 237)
_cell("meas", "1.12", 238, 239)
SPLIT_FIXES[240] = [
    ("meas", "1.13", "Detailed model agreed with clarity on expected financial savings"),
    ("resp", "1.13", "Director Delivery"),
]
_cell("meas+", "1.13", 241)
_cell("resp", "1.14", 242)
_cell("meas", "1.14", 243)
_cell("desc", "1.17", 246)  # "Joint Economic Unit" ends action 17's sentence
# Rows 15-20: the measures come in row order, two items each for rows 15 and 16 (each pair
# opens with "Support services clearly aligned to organisational priorities").
_cell("meas", "1.15", 258)
_cell("meas", "1.15", 259)
_cell("meas", "1.16", 260)
_cell("meas", "1.16", 261)
_cell("meas", "1.17", 262, 264)
_cell("meas", "1.18", 265, 266)
_cell("meas", "1.19", 267)
# Responsible cells at the foot of the page: 15, 16, then row 20's ("CEx and DCLG lead
# officer", matching its "submit to DCLG"), then one "Director Delivery" that can only be
# row 8's (the only row of the page left without one), then rows 17-19.
_cell("resp", "1.15", 278)
_cell("resp", "1.16", 280)
_cell("resp", "1.20", 282, 283)
_cell("resp", "1.8", 285)
_cell("resp", "1.17", 286)
_cell("resp", "1.18", 288)
_cell("resp", "1.19", 289)
# --- Action plan 1, page 3 (lines 290-359) ---------------------------------------------
_cell("meas+", "1.22", 326)  # "PDR reflecting the behaviours" continues line 325
_cell("meas", "1.23", 328)
_cell("meas", "1.24", 343, 344)
_cell("meas", "1.25", 345)
_cell("meas", "1.25", 346, 347)
_cell("meas", "1.26", 348, 350)
_cell("meas", "1.27", 351, 352)

# --- Action plan 2, page 1 (lines 397-460) ---------------------------------------------
# Measures for rows 1-3, their responsible cells, then measures for rows 4-6 (plus a second
# measure of row 1: "Forecasts accepted ..."), then one responsible cell, then rows 4-6's
# timescales and the last two responsible cells.  Responsible cells taken in row order.
_cell("meas", "2.2", 422, 423)
_cell("meas", "2.3", 424)
_cell("meas", "2.3", 425)
_cell("meas", "2.1", 433, 434)
_cell("meas", "2.4", 435)
_cell("meas", "2.5", 436, 437)
_cell("meas", "2.6", 438)
_cell("resp", "2.4", 440, 441)
_cell("resp", "2.5", 457, 458)
_cell("resp", "2.6", 459, 460)
# --- Action plan 2, page 2 (lines 461-604) ---------------------------------------------
_cell("desc", "2.7", 469)  # "2020"
_cell(
    "ws", None, 471
)  # "Planning framework and performance" (highlight report: "Planning and Performance Framework")
_cell("ws2", None, 472)  # sub-heading "Planning framework"
_cell("desc", "2.10", 477)
_cell("meas", "2.7", 484, 485)
_cell("meas", "2.8", 486)
_cell("desc", "2.11", 508, 509)
_cell("ws2", None, 514)  # sub-heading "Performance management framework"
_cell("meas", "2.11", 534)
_cell("meas", "2.11", 535, 536)
_cell("meas", "2.12", 537)
_cell("meas", "2.13", 538)
_cell("meas", "2.14", 542)
_cell("resp", "2.14", 544)
_cell("meas", "2.15", 548, 549)
_cell("meas", "2.15", 550)
_cell("resp", "2.15", 552)
# Rows 16-19 have two measures between them; by content the first is the full redesign's
# (18) and the second the development programme's (19).
_cell("meas", "2.18", 559, 560)
_cell("meas", "2.19", 561, 562)
# Responsible cells at the foot of the page: rows 12, 13 (CEx), 16-19 (Head of Strategy,
# matching the performance-framework workstream), 20; row 24's shares a line with its
# measure and row 25's follows its measure.  No cell is left for rows 21-23 (probably one
# merged cell with row 24's); they stay null.
_cell("resp", "2.12", 588)
_cell("resp", "2.13", 589)
_cell("resp", "2.16", 591)
_cell("resp", "2.17", 592)
_cell("resp", "2.18", 593)
_cell("resp", "2.19", 594)
_cell("resp", "2.20", 596, 597)
SPLIT_FIXES[599] = [
    ("meas", "2.24", "Rationalisation of activity and stronger alignment of activity and"),
    ("resp", "2.24", "CEx and Director"),
]
_cell("meas+", "2.24", 600)
_cell("resp", "2.24", 601)
_cell("meas", "2.25", 602)
_cell("resp", "2.25", 604)
# --- Action plan 2, page 3 (lines 605-638) ---------------------------------------------
_cell("meas", "2.26", 629, 630)  # "Vehicle in place ..." is the mobilised programme (26)
_cell("meas", "2.29", 631, 632)  # "Programme designed to support the medium term ..." (29)

# --- Action plan 3, page 1 (lines 673-738) ---------------------------------------------
_cell("desc", "3.2", 683)  # "Deputy Leader." ends action 2's sentence
_cell("meas", "3.1", 700)
_cell("resp", "3.1", 701)
SPLIT_FIXES[702] = [
    ("meas+", "3.1", "Independent Improvement Panel that fulfils the Kerslake Review"),
    ("resp", "3.1", "Delivery"),
]
_cell("meas", "3.2", 703)
_cell("resp", "3.2", 704, 705)
_cell("meas", "3.3", 713)
_cell("resp", "3.3", 715, 716)
# Rows 4 and 5 have the same measure; its two copies were interleaved line by line.
REJOIN_FIXES[720] = (
    [720, 721, 722, 723, 724, 725],
    [
        (
            "meas",
            "3.4",
            "Review completed to the satisfaction of internal monitoring processes and scrutiny "
            "from the Independent Improvement Panel",
        ),
        (
            "meas",
            "3.5",
            "Review completed to the satisfaction of internal monitoring processes and scrutiny "
            "from the Independent Improvement Panel",
        ),
    ],
)
_cell("resp", "3.4", 727)
_cell("meas", "3.6", 729, 730)
_cell("resp", "3.6", 732)  # "Chief Executive" follows row 6's measure (appoint a senior lead)
_cell("resp", "3.5", 738)
# --- Action plan 3, page 2 (lines 739-827) ---------------------------------------------
_cell("meas", "3.8", 768, 769)
_cell("meas", "3.9", 770)  # "As above"
_cell("resp", "3.8", 772)
_cell("resp", "3.9", 774)
# Rows 10-16: the measures come in row order (two each for rows 10 and 11).
_cell("meas", "3.10", 790)
_cell("meas", "3.10", 791)
_cell("meas", "3.11", 792, 793)
_cell("meas", "3.11", 794)
_cell("meas", "3.12", 795, 796)
_cell("meas", "3.13", 797)
_cell("meas", "3.14", 799, 800)
_cell("meas", "3.15", 801, 802)
_cell("meas", "3.16", 803, 804)
# Responsible: "Director Legal Services" right after the whistleblowing measures is row 14's
# (the highlight report gives whistleblowing to the Director Legal); the rest in row order.
_cell("resp", "3.14", 806)
_cell("resp", "3.10", 819)
_cell("resp", "3.11", 821)
_cell("resp", "3.12", 823)
_cell("resp", "3.13", 824)
_cell("resp", "3.15", 826)
_cell("resp", "3.16", 827)

# --- Action plan 4, page 1 (lines 866-908) ---------------------------------------------
# Description and measure lines alternate.
_cell("desc", "4.1", 874)
_cell("desc", "4.3", 883)
_cell("meas", "4.3", 884)
_cell("desc", "4.3", 885)
_cell("meas+", "4.3", 886)
_cell("meas", "4.3", 887)
_cell("meas", "4.4", 896, 897)  # "Proposals submitted on time ..." belongs to the submission
_cell("meas", "4.5", 898)
# --- Action plan 4, page 2 (lines 909-998) ---------------------------------------------
_cell("desc", "4.6", 917)
_cell("meas+", "4.6", 918)
_cell("desc", "4.6", 919)
_cell("meas+", "4.6", 920)
# Three unnumbered rows follow action 6, each opening "In line with 6 above", each with its own
# timescale, measure and responsible officer.  They are kept as actions 4.6a-4.6c
# (number_as_written null) rather than folded into 4.6.
_cell("ts", "4.6a", 921)
_cell("act", "4.6a", 922)
_cell("meas", "4.6a", 923)
_cell("desc", "4.6a", 924)
_cell("meas+", "4.6a", 925)
SPLIT_FIXES[926] = [
    (
        "act",
        "4.6b",
        "In line with 6 above, develop cross party consensus on underpinning principles for",
    ),
    ("ts", "4.6b", "Apr-15"),
]
_cell("meas", "4.6b", 927)
_cell("desc", "4.6b", 928)
SPLIT_FIXES[929] = [
    (
        "act",
        "4.6c",
        "In line with 6 above, develop and appraise options and phasing for changes to city",
    ),
    ("ts", "4.6c", "Apr-15"),
]
_cell("meas", "4.6c", 930)
_cell("desc", "4.6c", 931)
_cell("meas+", "4.6c", 932)
_cell("meas", "4.7", 935)
_cell("desc", "4.7", 936, 937)
_cell("meas", "4.8", 940)
_cell("desc", "4.8", 941)
_cell("meas+", "4.8", 942)
_cell("meas", "4.8", 943, 944)
_cell("desc", "4.9", 949)
_cell("desc", "4.10", 952)
# Responsible cells of rows 6, 6a, 6b, 6c, 7, 8, 9, 10 in order.
_cell("resp", "4.6", 955, 956)
_cell("resp", "4.6a", 957, 958)
_cell("resp", "4.6b", 959)
_cell("resp", "4.6c", 960, 961)
_cell("resp", "4.7", 962)
_cell("resp", "4.8", 964)
_cell("resp", "4.9", 966)
_cell("resp", "4.10", 967)
_cell("meas", "4.12", 992, 993)
_cell("meas", "4.13", 994)
_cell("meas", "4.14", 995)
_cell("resp", "4.13", 997)  # "TBC" here is the Responsible column, not a timescale
_cell("resp", "4.14", 998)

# --- Action plan 5, page 1 (lines 1036-1103) -------------------------------------------
# Actions 1-6 are listed first; then row 1 (Jan-15, measure, responsible), row 6 (Feb-15,
# measure, responsible), rows 7-9, and only then rows 2-5's timescales (Feb-15, Apr-15,
# Jun-15, Dec-15: agree measures, agree with Government, launch, evaluate).
_cell("ts", "5.1", 1059)
_cell("meas", "5.1", 1061)
_cell("resp", "5.1", 1063, 1065)  # "East Birmingham Employment & Skills Initiative"
_cell("ts", "5.6", 1067)
_cell("meas", "5.6", 1069, 1070)
_cell("resp", "5.6", 1072)
_cell("ts", "5.7", 1076)
_cell("desc", "5.8", 1079)  # "Group" ends "the City Partnership Group"
_cell("ts", "5.8", 1082)
REJOIN_FIXES[1084] = (
    [1084, 1085, 1086, 1087, 1088, 1089, 1090, 1091, 1092, 1093, 1094, 1095],
    [
        (
            "meas",
            "5.7",
            "Clarity on purpose and role and how it links to each contributing organisation",
        ),
        ("resp", "5.7", "City Partnership"),
        ("meas", "5.8", 'Clear view of model and approach for establishing the "group"'),
        ("resp", "5.8", "City Partnership"),
        (
            "meas",
            "5.8",
            "Partners report that the council is supporting not controlling the establishment "
            'of "group"',
        ),
        ("meas", "5.9", "Group in place and thefirst formal meeting held."),
    ],
)
_cell("resp", "5.9", 1096)
_cell("ts", "5.2", 1098)
_cell("ts", "5.3", 1099)
_cell("ts", "5.4", 1100)
_cell("ts", "5.5", 1101)
_cell("ts", "5.9", 1103)
# --- Action plan 5, page 2 (lines 1104-1213) -------------------------------------------
# Rows 10-12: the measures column and Responsible column share lines.
SPLIT_FIXES[1145] = [
    ("meas", "5.10", "Terms of reference signed off with appropriate linkages to Young"),
    ("resp", "5.10", "City Partnership"),
]
_cell("meas+", "5.10", 1146)
_cell("meas", "5.11", 1147)
_cell("resp", "5.11", 1148)
_cell("meas", "5.12", 1149)
_cell("meas", "5.12", 1150)
_cell("resp", "5.12", 1152)  # '"City Leadership Group"', third responsible cell of rows 10-12
# Rows 13-16: two measures, for 15 (agree the macro vision) and 16 (plan to deliver it).
_cell("meas", "5.15", 1159)
_cell("meas", "5.16", 1160, 1161)


def find_seeds_dir(arg: str | None) -> Path:
    if arg:
        p = Path(arg).expanduser().resolve()
        if not (p / PLAN_FILE).is_file():
            sys.exit(f"{p} does not contain {PLAN_FILE}")
        return p
    here = Path(__file__).resolve().parent
    candidates = [here / "../../../../shared/seeds"]
    candidates += [anc / "shared" / "seeds" for anc in here.parents]
    for c in candidates:
        c = c.resolve()
        if (c / PLAN_FILE).is_file() and (c / HIGHLIGHT_FILE).is_file():
            return c
    sys.exit("could not find the seeds folder; pass it as the first argument")


def norm(s: str) -> str:
    return " ".join(s.split())


def unparsed(source: str, line: int | None, text: str, reason: str) -> dict:
    return {"source": source, "line": line, "text": text, "reason": reason}


def simple_key(s: str) -> frozenset[str]:
    """Order-insensitive word set used to match headings across the two documents."""
    s = s.lower().replace("&", " and ")
    return frozenset(re.findall(r"[a-z0-9]+", s))


def is_upper_header(s: str) -> bool:
    """Page furniture: theme / sub-theme banners repeated at the top of each table page."""
    t = re.sub(r"\band\b", "AND", s)
    return (
        len(t) > 6
        and any(c.isalpha() for c in t)
        and t == t.upper()
        and not TIMESCALE_LINE.match(s)
    )


def join_wrapped(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join PDF-wrapped lines: a line starting in lower case continues the previous one."""
    out: list[tuple[int, str]] = []
    for no, text in lines:
        if out and (text[:1].islower() or text[:1] in "(["):
            out[-1] = (out[-1][0], out[-1][1] + " " + text)
        else:
            out.append((no, text))
    return out


# ======================================================================================
# File 000: the action plan
# ======================================================================================


class PlanParser:
    def __init__(self, lines: list[str], workstream_names: list[str]):
        self.raw = lines
        self.lines = [norm(x) for x in lines]
        self.unparsed: list[dict] = []
        self.ws_keys = {simple_key(n) for n in workstream_names}
        self.review = REVIEW

    def miss(self, line: int | None, text: str, reason: str) -> None:
        self.unparsed.append(unparsed(PLAN_FILE, line, text, reason))

    # ---------------------------------------------------------------- structure
    def sections(self) -> tuple[list[tuple[int, int, int]], int]:
        starts = [
            (i, int(m["n"])) for i, line in enumerate(self.lines) if (m := PLAN_HEADER.match(line))
        ]
        secs = []
        for k, (i, n) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else len(self.lines)
            secs.append((n, i, end))
        return secs, (starts[0][0] if starts else len(self.lines))

    def preamble(self, end: int) -> None:
        """The introduction is prose.  Two headings promise content the extraction lost."""
        for i in range(end):
            line = self.lines[i]
            if line.startswith("VISION FOR THE WAY WE OPERATE"):
                nxt = self.lines[i + 1] if i + 1 < end else ""
                self.miss(
                    i + 1,
                    line,
                    "vision statements heading: the statements themselves (page 6 of the PDF) "
                    "are not in the text; only the introductory sentence follows: " + repr(nxt),
                )
            elif line.startswith("MILESTONE MAP"):
                self.miss(
                    i + 1,
                    line,
                    "milestone map heading with no content in the text (presumably a graphic in "
                    "the PDF)",
                )

    # ---------------------------------------------------------------- header block
    def parse_header(self, start: int, end: int) -> dict:
        """Theme, sub-theme, Kerslake reference, issues, aims, success factors."""
        out: dict[str, Any] = {
            "theme": None,
            "sub_theme": None,
            "refs": None,
            "issues": [],
            "aims": [],
            "factors": [],
            "numerals": 0,
        }
        state = None
        prev_state = None
        banners: list[str] = []
        issues: list[tuple[int, str]] = []
        aims: list[tuple[int, str]] = []
        factors: list[tuple[int, str]] = []
        for i in range(start + 1, end):
            line = self.lines[i]
            no = i + 1
            if not line:
                continue
            if line in ("Theme", "Sub theme"):
                state = "banner"
                continue
            if line == "Kerslake reference":
                prev_state, state = state, "ref"
                continue
            if line == "Issues we need to address":
                state = "issues"
                continue
            if line == "Aim":
                state = "aim"
                continue
            if line.startswith("What will make the difference"):
                state = "factors"
                continue
            if state == "ref":
                out["refs"] = (no, line)
                state = prev_state
                continue
            if state == "banner":
                banners.append(line)
            elif state == "issues":
                issues.append((no, line))
            elif state == "aim":
                if re.fullmatch(r"[ivx]+", line):
                    out["numerals"] += 1
                else:
                    aims.append((no, line))
            elif state == "factors":
                factors.append((no, line))
            else:
                self.miss(no, line, "text in action-plan header outside any labelled field")
        if len(banners) >= 2:
            out["theme"], out["sub_theme"] = banners[0], banners[1]
        for b in banners[2:]:
            self.miss(None, b, "extra banner line after theme and sub-theme")
        if any(t.startswith("- ") for _, t in issues):
            # bulleted: an item runs from one "- " to the next
            items: list[tuple[int, str]] = []
            for no, t in issues:
                if t.startswith("- ") or not items:
                    items.append((no, t[2:] if t.startswith("- ") else t))
                else:
                    items[-1] = (items[-1][0], items[-1][1] + " " + t)
            out["issues"] = items
        else:
            out["issues"] = join_wrapped(issues)
        out["aims"] = join_wrapped(aims)
        out["factors"] = factors
        return out

    # ---------------------------------------------------------------- action tables
    def classify(self, start: int, end: int) -> list[dict]:
        """Classify every line of a plan's action pages (lines start..end-1, 0-based)."""
        recs: list[dict] = []
        page = 0
        expected = 1
        prev_role = None
        gap = False
        consumed: set[int] = set()

        def add(no: int, role: str, text: str, action: str | None = None, **kw) -> None:
            recs.append(
                {
                    "line": no,
                    "role": role,
                    "action": action,
                    "text": text,
                    "page": page,
                    "gap": gap,
                    **kw,
                }
            )

        for i in range(start, end):
            no = i + 1
            raw = self.raw[i]
            line = self.lines[i]
            if not line:
                gap = True
                continue
            if no in consumed:
                continue
            if no in REJOIN_FIXES:
                lines, cells = REJOIN_FIXES[no]
                src = "".join(self.lines[n - 1] for n in lines)
                got = "".join(t for _, _, t in cells)
                if sorted(src.replace(" ", "")) != sorted(got.replace(" ", "")):
                    raise SystemExit(
                        f"REJOIN_FIXES[{no}] does not use exactly the characters of lines {lines}"
                    )
                for role, act, text in cells:
                    add(no, role, norm(text), act, fixed=True)
                consumed.update(lines)
                prev_role = cells[-1][0]
                gap = False
                continue
            if no in SPLIT_FIXES:
                parts = SPLIT_FIXES[no]
                if "".join(norm(t) for _, _, t in parts).replace(" ", "") != line.replace(" ", ""):
                    raise SystemExit(f"SPLIT_FIXES[{no}] pieces do not make up line {line!r}")
                for role, act, text in parts:
                    add(no, role, norm(text), act, fixed=True)
                prev_role = parts[-1][0]
                gap = False
                continue
            if no in LINE_FIXES:
                role, act = LINE_FIXES[no]
                if role == "page":
                    page += 1
                add(no, role, line, act, fixed=True)
                prev_role = role
                gap = False
                continue
            if PAGE_HEADER.match(line) or (raw.startswith(" ") and is_upper_header(line)):
                page += 1
                add(no, "page", line)
                prev_role = None
            elif line in ("Action", "Timescale", "Measures", "Responsible") or is_upper_header(
                line
            ):
                add(no, "skip", line)
            elif (m := ACTION_START.match(line)) and int(m["num"]) == expected:
                text = m["text"]
                t = TRAILING_TIMESCALE.match(text)
                aid = f"{self.plan_no}.{expected}"
                add(no, "act", t["text"] if t else text, aid)
                if t:  # a timescale cell that trails the action's first line belongs to it
                    add(no, "ts", t["ts"], aid, pinned=True)
                expected += 1
                prev_role = "act"
            elif TIMESCALE_LINE.match(line):
                add(no, "ts", line)  # a timescale cell does not interrupt a wrapped description
            elif simple_key(line) in self.ws_keys and self._next_is_action(i, end, expected):
                add(no, "ws", line)
                prev_role = "ws"
            elif OFFICER.match(line):
                add(no, "resp", line)
                prev_role = "resp"
            elif OFFICER_WRAP.match(line) and prev_role == "resp":
                add(no, "resp+", line)
            else:
                lower = line[:1].islower() or (line[:1] in "\"'[(" and line[1:2].islower())
                if lower and prev_role in ("act", "desc"):
                    role = "desc"
                elif lower:
                    role = "meas+"
                else:
                    role = "meas"
                add(no, role, line)
                prev_role = role
            gap = False
        return recs

    def _next_is_action(self, i: int, end: int, expected: int) -> bool:
        for j in range(i + 1, end):
            line = self.lines[j]
            if not line:
                continue
            m = ACTION_START.match(line)
            return bool(m and int(m["num"]) == expected) or simple_key(line) in self.ws_keys
        return False

    @staticmethod
    def assign_runs(
        page_recs: list[dict], role: str, wrap_role: str | None = None, split_on_gap: bool = False
    ) -> None:
        """Give each action at most one cell of ``role`` by reading order within a page.

        Cells come in runs (consecutive cells of the role).  A run goes first to the actions
        begun since the previous run; if it has more cells than that, the earlier unfilled
        actions of the page are included, in order.  Cells left over at the end of the page fill
        the page's remaining actions in order.  Cells already placed (pinned to their action's
        line, or by a manual fix) are left alone."""
        filled = {r["action"] for r in page_recs if r["role"] == role and r.get("action")}
        started: list[str] = []
        since: list[str] = []
        leftover: list[dict] = []
        run: list[dict] = []

        def place(cell: dict, a: str) -> None:
            cell["action"] = a
            filled.add(a)
            for extra in cell.pop("_wraps", []):
                extra["action"] = a

        def flush() -> None:
            if not run:
                return
            carried = [a for a in started if a not in filled and a not in since]
            current = [a for a in since if a not in filled]
            k = len(run)
            if k >= len(carried) + len(current):
                targets = carried + current
            elif k <= len(current):
                targets = current[:k]
            else:  # more cells than new actions: the earliest unfilled ones take the surplus
                targets = carried[: k - len(current)] + current
            for cell, a in zip(run, targets, strict=False):
                place(cell, a)
            leftover.extend(run[len(targets) :])
            run.clear()
            since.clear()

        for r in page_recs:
            if r["role"] == role and not r.get("action"):
                if split_on_gap and r["gap"]:
                    flush()
                r["_wraps"] = []
                run.append(r)
                continue
            if wrap_role and r["role"] == wrap_role and not r.get("action") and run:
                run[-1]["_wraps"].append(r)
                continue
            flush()
            if r["role"] == "act":
                started.append(r["action"])
                since.append(r["action"])
        flush()
        remaining = [a for a in started if a not in filled]
        for cell, a in zip(leftover, remaining, strict=False):
            place(cell, a)
        for r in page_recs:
            r.pop("_wraps", None)

    @staticmethod
    def assign_bands(page_recs: list[dict]) -> None:
        """A run of k timescale cells is often followed by the same rows' measures and then
        their responsible cells, each in row order.  Where a group has exactly k cells, match
        them one to one."""
        n = len(page_recs)
        i = 0
        while i < n:
            if page_recs[i]["role"] != "ts":
                i += 1
                continue
            j = i
            targets = []
            while j < n and page_recs[j]["role"] == "ts":
                targets.append(page_recs[j].get("action"))
                j += 1
            meas: list[list[dict]] = []
            resp: list[list[dict]] = []
            while j < n and page_recs[j]["role"] not in ("ts", "act", "page", "ws", "ws2"):
                r = page_recs[j]
                if r["role"] == "meas":
                    meas.append([r])
                elif r["role"] == "meas+" and meas:
                    meas[-1].append(r)
                elif r["role"] == "resp":
                    resp.append([r])
                elif r["role"] == "resp+" and resp:
                    resp[-1].append(r)
                j += 1
            if None not in targets:
                for group in (meas, resp):
                    if len(group) == len(targets):
                        for cell, a in zip(group, targets, strict=True):
                            for r in cell:
                                r.setdefault("action", None)
                                if r["action"] is None:
                                    r["action"] = a
            i = j

    def build_actions(self, plan_no: int, start: int, end: int) -> list[dict]:
        self.plan_no = plan_no
        recs = self.classify(start, end)
        # descriptions follow their action
        last = None
        for r in recs:
            if r["role"] == "act":
                last = r["action"]
            elif r["role"] == "desc" and not r.get("action"):
                r["action"] = last
        pages: dict[int, list[dict]] = {}
        for r in recs:
            pages.setdefault(r["page"], []).append(r)
        for page_recs in pages.values():
            self.assign_runs(page_recs, "ts", split_on_gap=True)
            self.assign_bands(page_recs)
            self.assign_runs(page_recs, "resp", "resp+")
        # remaining measures go to the row of the most recent timescale cell (else the latest
        # action)
        row = None
        for r in recs:
            if r["role"] == "page":
                row = None
            elif r["role"] == "act":
                row = row or r["action"]
            elif r["role"] == "ts" and r.get("action"):
                row = r["action"]
            elif r["role"] == "meas" and not r.get("action"):
                r["action"] = row
            elif r["role"] == "meas+" and not r.get("action"):
                r["action"] = "+"  # continues whatever measure item came before
        # assemble
        actions: dict[str, dict] = {}
        order: list[str] = []
        workstream = None
        sub_ws = None
        last_meas = None
        reasons = {
            "ts": "timescale cell with no action left to take it",
            "resp": "responsible cell with no action left to take it",
            "resp+": "responsible cell continuation with no action",
            "meas": "measure text with no action row",
            "meas+": "measure continuation with no action row",
            "desc": "description continuation with no action",
        }
        # first pass: the actions themselves (a cell may come out before its action's line)
        for r in recs:
            role, a, text = r["role"], r["action"], r["text"]
            if role == "ws":
                workstream, sub_ws = text, None
            elif role == "ws2":
                sub_ws = text
            elif role == "act":
                actions[a] = {
                    "number": a,
                    "workstream": (workstream + (f" / {sub_ws}" if sub_ws else ""))
                    if workstream
                    else None,
                    "description": text,
                    "timescale": [],
                    "measures": [],
                    "responsible": [],
                    "source_line": r["line"],
                    "alignment": "parsed",
                }
                if r.get("fixed"):
                    actions[a]["number_as_written"] = None
                    actions[a]["alignment"] = "manual"
                order.append(a)
        # second pass: their cells
        for r in recs:
            role, a, text = r["role"], r.get("action"), r["text"]
            if role == "meas+" and a == "+":
                a = r["action"] = last_meas
            self.review.append((r["line"], role, a, text))
            if role in ("page", "skip", "ws", "ws2", "act"):
                continue
            if role == "amb":
                self.miss(
                    r["line"],
                    text,
                    f"not placed: the cell could belong to any of actions {a} "
                    "(flattened table; see LINE_FIXES)",
                )
                continue
            if a is None or a not in actions:
                self.miss(r["line"], text, reasons.get(role, role))
                continue
            act = actions[a]
            if r.get("fixed"):
                act["alignment"] = "manual"
            if role == "desc":
                act["description"] += " " + text
            elif role == "ts":
                act["timescale"].append(text)
            elif role in ("resp", "resp+"):
                act["responsible"].append(text)
            elif role == "meas":
                act["measures"].append(text)
                last_meas = a
            elif role == "meas+":
                if act["measures"]:
                    act["measures"][-1] += " " + text
                else:
                    act["measures"].append(text)
                last_meas = a
            else:
                raise SystemExit(f"unknown role {role!r} at line {r['line']}")
        out = []
        for a in order:
            act = actions[a]
            ts = act.pop("timescale")
            if len(ts) > 1:
                raise SystemExit(f"action {a} got several timescales {ts}")
            act["timescale"] = ts[0] if ts else None
            act["measures"] = "\n".join(act["measures"]) or None
            act["responsible"] = " ".join(act["responsible"]) or None
            for field in ("timescale", "measures", "responsible"):
                if act[field] is None:
                    self.miss(
                        act["source_line"],
                        act["description"],
                        f"action {a}: no {field} cell found (blank in the PDF, or merged with a "
                        "neighbouring row's cell)",
                    )
            out.append(
                {
                    k: act[k]
                    for k in (
                        "number",
                        "description",
                        "timescale",
                        "measures",
                        "responsible",
                        "workstream",
                        "source_line",
                        "alignment",
                    )
                }
                | ({"number_as_written": None} if "number_as_written" in act else {})
            )
        return out


# ======================================================================================
# File 002: the April 2015 highlight report
# ======================================================================================

STATUS = re.compile(r"Completed|On track|In progress|Not started|At risk|Late")
QUARTER_LABEL = re.compile(
    r"Q(?P<q>[1-4]):?\s+(?P<m1>January|April|July|October)\s*[\u2013-]\s*"
    r"(?P<m2>March|June|September|December)\s+(?P<y>\d{2})"
)
CONFIDENCE = re.compile(r"^(?P<c>High|Med|Medium|Low)\b\s*(?P<rest>.*)$")
QUARTER_ORDER = ["Q4", "Q1", "Q2", "Q3"]  # the report's columns: Jan-Mar 15 first

# Milestone rows whose cells the extraction split or interleaved.  (quarter, title,
# as_extracted): as_extracted is None when the title is a verbatim piece of the line, else the
# title is a labelled reconstruction and as_extracted the fragments it was made from.
MILESTONE_FIXES: dict[int, list[tuple[str, str, str | None]]] = {
    # AP1: the Q4 cell carries the row label; the Q2 cell came out in two interleaved halves.
    55: [
        ("Q4", "Member roles in HR clarified and changes implemented", None),
        ("Q1", "Launch performance review process & member development", None),
        (
            "Q2",
            "Cultural change programme implemented",
            "Cultural cha implemente | ange programme ed",
        ),
        ("Q3", "New support service model operational?", None),
    ],
    # AP2: two milestones share the Q1 cell.
    68: [
        ("Q4", "Design of council transformation programme", None),
        ("Q1", "Vision, purpose and design principles", None),
        ("Q1", "Draft planning framework", None),
        ("Q2", "Implementation of long term planning approach and planning framework", None),
        ("Q3", "Options for future models", None),
    ],
    # AP3: the Q2 cell lost its first and last letters.
    79: [
        ("Q4", "Address immediate issues in children's safeguarding", None),
        ("Q1", "Organisational recruitment as retention issues identified", None),
        ("Q2", "Whistleblowing and new HR arrangements", "stleblowing and new HR nts"),
        ("Q3", "Draft strategic workforce plan developed", None),
    ],
    # AP4: Q4 and Q1 interleaved; Q2 and Q3 lost letters.  "council size" is the report's own
    # wording (line 96: "initial report on Council size to the Boundary Commission").
    91: [
        (
            "Q4",
            "Community Governance Review consultation completed",
            "ity Governance Review … Iltation completed",
        ),
        (
            "Q1",
            "Submission of initial report on council size to Boundary Commission",
            "Submission of initial report on … size to Boundary Commission",
        ),
        ("Q2", "Role and remit of District Committees", "e and remit of District ommittees"),
        (
            "Q3",
            "New administrative arrangements (below city level)",
            "New adminis (belo | trative arrang ow city level)",
        ),
    ],
    # AP5: no Q4 milestone; Q2 split in two; two milestones share the Q3 cell.
    104: [
        ("Q1", "City Partnership steering group formed", None),
        ("Q2", "City Partnership Group launched", "City Partnersh | nip Group launched"),
        ("Q3", "Assess impact of Skills and Employment Board", None),
        ("Q3", "City Vision and Draft Plan (City Partnership Group)", None),
    ],
}

# Lead / senior-owner cells garbled by the extraction: line -> (field, value, as_extracted).
LEAD_FIXES: dict[int, tuple[str, str, str]] = {
    76: ("senior_owner", "Director Delivery", "Lead/Snr Owner D | | | Director Delivery"),
    77: ("leads", "Director Delivery, Director Legal", "Director Delivery, Director | tor Legal"),
    89: (
        "leads",
        "Head of Electoral Services, Director Localism, CExec",
        "Head of Electoral Serv | | ces, Director Localism, CExec",
    ),
    102: (
        "leads",
        "AD Employment, Snr Policy Officer to CExec",
        "AD Employment, Snr Pe | | olicy Officer to CExec",
    ),
}

# Highlight rows the extraction mangled (all in Action Plan 4).
ITEM_FIXES: dict[int, dict] = {
    # Highlights and next steps interleaved, the rest of both on line 96.  Reconstructed from
    # the fragments of lines 94 and 96; words the extraction lost are in [brackets].
    94: {
        "consumes": [96],
        "highlights": "Work is underway to gather evidence for the submission of an initial "
        "report on Council size to the Boundary Commission by 22nd May (in line with the "
        "agreed process and timetable for the review).",
        "next_steps": "[Submission of initial rep]ort on 22nd May to the Boundary Commission. "
        "The Boundary Commission will be holding awareness-raising sessions in early June. Their "
        "consultation period will run from 23rd June \u2013 31st August.",
    },
    # One cell whose text repeats itself several times: keep the first full pass.
    97: {"cut_after": "considered by the Member Working Group (Governance)."},
    # Who / confidence / when trail the text cell: "... implementation CExec High Q1/2 CExec View".
    99: {
        "tail": re.compile(
            r"\s(?P<who>CExec) (?P<confidence>High) (?P<when>Q1/2) (?P<junk>CExec View)$"
        )
    },
}


def highlight_action_names(lines: list[str]) -> list[str]:
    """First cells of the highlight report's action tables: the plan's workstream names."""
    names = []
    in_table = False
    for line in lines:
        cells = [norm(c) for c in line.split("\t")]
        if any("HIGHLIGHT" in c for c in cells) and any("NEXT" in c or "NEX" in c for c in cells):
            in_table = True
            continue
        if "ACTION PLAN" in line or line.startswith("RISKS"):
            in_table = False
        elif in_table and len(cells) >= 2 and len(cells[0]) > 3 and not cells[0].startswith("Q'ly"):
            names.append(cells[0])
    return names


class HighlightParser:
    def __init__(self, lines: list[str]):
        self.raw = lines
        self.unparsed: list[dict] = []
        self.timescales: set[str] = set()

    def miss(self, line: int | None, text: str, reason: str) -> None:
        self.unparsed.append(unparsed(HIGHLIGHT_FILE, line, text, reason))

    def titles(self) -> dict[int, str]:
        out = {}
        for line in self.raw:
            m = re.match(r"^Action Plan (\d): (.+)$", line.strip())
            if m:
                out[int(m[1])] = m[2].strip()
        return out

    def parse(self) -> tuple[list[dict], list[dict]]:
        lines = self.raw
        qheads = [i for i, line in enumerate(lines) if "Q1: April" in line]
        risks_at = next(i for i, line in enumerate(lines) if line.strip() == "RISKS AND MITIGATION")
        labels_by_head: dict[int, dict[str, str]] = {}
        fallback: dict[str, str] = {}
        for i in qheads:
            labels_by_head[i] = {}
            for m in QUARTER_LABEL.finditer(lines[i].replace("\t", " ")):
                labels_by_head[i].setdefault(f"Q{m['q']}", norm(m[0]))
                fallback.setdefault(f"Q{m['q']}", norm(m[0]))
                self.timescales.add(norm(m[0]))
        reports = []
        for k, qi in enumerate(qheads):
            plan_no = k + 1
            lead_idx = [j for j in range(qi - 1, max(qi - 4, 0), -1) if lines[j].strip()][:2][::-1]
            next_start = (qheads[k + 1] - 3) if k + 1 < len(qheads) else risks_at
            report: dict[str, Any] = {
                "programme_code": f"AP-{plan_no}",
                "overall_status": None,
                "senior_owner": None,
                "leads": None,
                "milestones": [],
                "items": [],
                "notes": "",
            }
            self._leads(lead_idx, report)
            j = qi + 1
            while not lines[j].strip():
                j += 1
            ms_line = j
            st_line = j + 1
            labels = fallback | labels_by_head[qi]  # this section's own label where it is legible
            report["milestones"] = self._milestones(ms_line, st_line, labels)
            hdr = next(x for x in range(st_line, next_start) if "HIGHLIGHT" in lines[x])
            report["items"] = self._items(hdr + 1, next_start)
            reports.append(report)
        for i, line in enumerate(lines[: qheads[0]]):
            if line.count("Vision") >= 2 and len(line) > 1000:
                self.miss(
                    i + 1,
                    line[:120] + " …",
                    "vision statements (three themes) flattened into one line with "
                    "their two columns interleaved; not parsed (the plan's own copy is missing "
                    "too)",
                )
        return reports, self._risks(risks_at)

    def _leads(self, idx: list[int], report: dict) -> None:
        for j in idx:
            no = j + 1
            if no in LEAD_FIXES:
                field, value, extracted = LEAD_FIXES[no]
                report[field] = value
                report.setdefault("reconstructed", []).append(
                    {"field": field, "as_extracted": extracted, "line": no}
                )
                continue
            text = norm(self.raw[j].replace("\t", " "))
            m = re.search(r"Owner\s*(.*)$", text) if "Owner" in text else None
            field = "senior_owner" if m else "leads"
            if not m:
                m = re.search(r"Lead/s\s*(.*)$", text)
            if m and m[1].strip():
                report[field] = m[1].strip()

    def _milestones(self, ms_line: int, st_line: int, labels: dict[str, str]) -> list[dict]:
        no = ms_line + 1
        if no in MILESTONE_FIXES:
            cells = MILESTONE_FIXES[no]
        else:
            content = [norm(c) for c in self.raw[ms_line].split("\t")]
            content = [c for c in content if len(c) > 3 and "ilest" not in c.lower()]
            if len(content) != 4:
                self.miss(
                    no, self.raw[ms_line], "milestone row: could not split into the four quarters"
                )
                return []
            cells = [(q, c, None) for q, c in zip(QUARTER_ORDER, content, strict=True)]
        statuses = STATUS.findall(self.raw[st_line])
        by_q = dict(zip(QUARTER_ORDER, statuses, strict=False))
        out = []
        for q, title, extracted in cells:
            m = {
                "title": title,
                "quarter": q,
                "quarter_label": labels.get(q),
                "status": by_q.get(q),
                "source_line": no,
            }
            if extracted:
                m["reconstructed"] = True
                m["as_extracted"] = extracted
                self.miss(
                    no,
                    extracted,
                    f"milestone title garbled by the extraction; given as the labelled "
                    f"reconstruction {title!r}",
                )
            out.append(m)
        for q in by_q:
            if not any(c[0] == q for c in cells):
                self.miss(
                    st_line + 1,
                    by_q[q],
                    f"status {by_q[q]!r} given for {q} but the extraction has no "
                    f"{q} milestone text",
                )
        return out

    def _items(self, start: int, end: int) -> list[dict]:
        items = []
        consumed: set[int] = set()
        for j in range(start, end):
            no = j + 1
            raw = self.raw[j]
            if not raw.strip() or no in consumed:
                continue
            cells = [norm(c) for c in raw.split("\t")]
            cells = [c for c in cells if c]
            fix = ITEM_FIXES.get(no, {})
            item: dict[str, Any] = {
                "action": cells[0],
                "highlights": None,
                "next_steps": None,
                "when": None,
                "who": None,
                "confidence": None,
                "source_line": no,
            }
            if "highlights" in fix:
                consumed.update(fix["consumes"])
                # the trailing cells (when, who, confidence) are intact
                item.update(
                    when=cells[-3],
                    who=cells[-2],
                    confidence=cells[-1],
                    highlights=fix["highlights"],
                    next_steps=fix["next_steps"],
                    reconstructed=True,
                )
                self.miss(
                    no,
                    raw.strip(),
                    "highlights and next steps interleaved with line(s) "
                    f"{fix['consumes']}; given as a labelled reconstruction",
                )
                for c in fix["consumes"]:
                    self.miss(
                        c,
                        self.raw[c - 1].strip(),
                        f"continuation of line {no}'s cells (used in its reconstruction)",
                    )
            elif len(cells) == 6:
                item.update(
                    highlights=cells[1],
                    next_steps=cells[2],
                    when=cells[3],
                    who=cells[4],
                    confidence=cells[5],
                )
            elif len(cells) == 2:
                text = cells[1]
                if "cut_after" in fix:
                    cut = text.index(fix["cut_after"]) + len(fix["cut_after"])
                    self.miss(
                        no,
                        text[cut:].strip(),
                        "repeated text after the first full pass of the cell; dropped",
                    )
                    text = text[:cut]
                if "tail" in fix:
                    m = fix["tail"].search(text)
                    item.update(who=m["who"], confidence=m["confidence"], when=m["when"])
                    self.miss(
                        no,
                        m[0].strip(),
                        f"who/confidence/when trail the text cell; read as who="
                        f"{m['who']!r}, confidence={m['confidence']!r}, when="
                        f"{m['when']!r}; {m['junk']!r} left over",
                    )
                    text = text[: m.start()]
                item["highlights"] = text
                self.miss(
                    no,
                    cells[0],
                    "row has a single text cell: highlights and next steps not "
                    "separable, kept as highlights"
                    + ("" if "tail" in fix else "; when, who and confidence missing"),
                )
            else:
                self.miss(no, raw.strip(), f"highlight row with {len(cells)} cells; not parsed")
                continue
            if item["confidence"]:
                m = CONFIDENCE.match(item["confidence"])
                if not m:
                    self.miss(
                        no, item["confidence"], "confidence not High/Med/Low; kept as written"
                    )
                elif m["rest"]:
                    self.miss(
                        no,
                        item["confidence"],
                        f"page-number/glyph residue {m['rest']!r} dropped from the confidence cell",
                    )
                    item["confidence"] = m["c"]
            if item["when"]:
                self.timescales.add(item["when"])
            items.append(item)
        return items

    def _risks(self, at: int) -> list[dict]:
        risks: list[dict] = []
        j = at + 1
        while j < len(self.raw):
            raw = self.raw[j]
            no = j + 1
            j += 1
            if not raw.strip():
                if risks:
                    break
                continue
            cells = [norm(c) for c in raw.split("\t")]
            if cells[:2] == ["Risk", "Mitigating Action"]:
                continue
            if len(cells) != 2 or not all(cells):
                self.miss(no, raw.strip(), "risk row not in two cells; not parsed")
                continue
            risks.append(
                {
                    "number": len(risks) + 1,
                    "description": cells[0],
                    "mitigation": cells[1],
                    "owner": None,
                    "source_line": no,
                }
            )
        return risks


DANGLING = {"of", "the", "to", "for", "and", "in", "a", "with", "on"}


def build(seeds: Path) -> tuple[dict, dict]:
    REVIEW.clear()
    plan_lines = (seeds / PLAN_FILE).read_text(encoding="utf-8").split("\n")
    hl_lines = (seeds / HIGHLIGHT_FILE).read_text(encoding="utf-8").split("\n")
    hp = HighlightParser(hl_lines)
    titles = hp.titles()
    reports, risks = hp.parse()
    by_code = {r["programme_code"]: r for r in reports}

    pp = PlanParser(plan_lines, highlight_action_names(hl_lines))
    secs, first = pp.sections()
    pp.preamble(first)
    aims, programmes = [], []
    timescales: set[str] = set(hp.timescales)
    for n, start, end in secs:
        table = next(i for i in range(start, end) if PAGE_HEADER.match(pp.lines[i]))
        h = pp.parse_header(start, table)
        actions = pp.build_actions(n, table, end)
        if h["numerals"] != len(h["aims"]):
            pp.miss(
                start + 1,
                f"{h['numerals']} numerals, {len(h['aims'])} aims",
                f"action plan {n}: aim numerals and aim statements do not pair up",
            )
        for a in actions:
            if a["timescale"]:
                timescales.add(a["timescale"])
            last_word = a["description"].rstrip(".").split()[-1].lower()
            if last_word in DANGLING:
                pp.miss(
                    a["source_line"],
                    a["description"],
                    f"action {a['number']}: description ends mid-phrase "
                    f"({last_word!r}); the rest is not in the extraction",
                )
        title = titles.get(n)
        if title is None:
            pp.miss(
                start + 1,
                f"ACTION PLAN {n}.",
                "no title for this action plan in the highlight report's contents",
            )
        refs_line, refs = h["refs"] if h["refs"] else (None, None)
        name = title or f"{h['theme']}: {h['sub_theme']}"
        report = by_code.get(f"AP-{n}")
        notes = [
            f"Title from the April 2015 highlight report's contents ({HIGHLIGHT_FILE}); the plan "
            f"itself heads this action plan only with its theme and sub-theme (line {start + 1})."
        ]
        if refs:
            notes.append(f"Kerslake reference as written: {refs!r} (line {refs_line}).")
        if h["factors"]:
            notes.append(
                "What will make the difference: " + "; ".join(t for _, t in h["factors"]) + "."
            )
        if report and (report.get("senior_owner") or report.get("leads")):
            notes.append(
                "The plan names no lead officer for the action plan; the April 2015 highlight "
                f"report gives Lead/Snr Owner: {report.get('senior_owner') or 'not given'}; "
                f"Lead/s: {report.get('leads') or 'not given'}."
            )
        manual = sum(1 for a in actions if a["alignment"] == "manual")
        notes.append(
            f"{len(actions)} actions; {manual} placed with manual fixes to the flattened table "
            "(see extract_2015.py LINE_FIXES)."
        )
        aims.append(
            {
                "code": f"AP{n}",
                "name": name,
                "focus": f"{h['theme']} / {h['sub_theme']}",
                "outcomes": [t for _, t in h["aims"]],
            }
        )
        programmes.append(
            {
                "code": f"AP-{n}",
                "name": name,
                "aim_code": f"AP{n}",
                # An action plan is written to achieve its own aims: it serves all of them.
                "outcomes": list(range(1, len(h["aims"]) + 1)),
                "directorate": None,
                "purpose": "\n".join(t for _, t in h["issues"]),
                "sao": None,
                "rdl": None,
                "lead_member": None,
                "theme": h["theme"],
                "sub_theme": h["sub_theme"],
                "review_references": [x.strip() for x in refs.split(",")] if refs else [],
                "actions": actions,
                "notes": " ".join(notes),
            }
        )
    plan = {
        "portfolio": {
            "code": PORTFOLIO_CODE,
            "name": "Organisational Improvement Action Plan 2015",
            "source": PLAN_FILE,
            "rag_definition": RAG_DEFINITION,
            "rag_scale": RAG_SCALE,
            "financial_year_start": 2015,
        },
        "aims": aims,
        "programmes": programmes,
        "timescales": sorted(timescales),
        "unparsed": sorted(pp.unparsed, key=lambda u: u["line"] or 0),
    }
    for r in reports:
        bits = []
        if r["senior_owner"] or r["leads"]:
            bits.append(
                f"Lead/Snr Owner: {r['senior_owner'] or 'not given'}; "
                f"Lead/s: {r['leads'] or 'not given'}."
            )
        bits.append("No overall status is stated in the report.")
        rec = [m for m in r["milestones"] if m.get("reconstructed")] + [
            i for i in r["items"] if i.get("reconstructed")
        ]
        if rec or r.get("reconstructed"):
            bits.append(
                "Some text garbled by the PDF extraction is given as labelled reconstructions "
                "(reconstructed: true, with as_extracted where short)."
            )
        r["notes"] = " ".join(bits)
    highlight = {
        "portfolio_code": PORTFOLIO_CODE,
        "period": PERIOD,
        "source": HIGHLIGHT_FILE,
        "reports": reports,
        "risks": risks,
        "unparsed": sorted(hp.unparsed, key=lambda u: u["line"] or 0),
    }
    return plan, highlight


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seeds", nargs="?", help="folder holding the seed .txt files")
    ap.add_argument("--out", help="output folder (default: this script's folder)")
    ap.add_argument(
        "--review", action="store_true", help="print the action-table line classification"
    )
    args = ap.parse_args()
    seeds = find_seeds_dir(args.seeds)
    out = Path(args.out).resolve() if args.out else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    plan, highlight = build(seeds)
    if args.review:
        for line, role, a, text in REVIEW:
            print(f"{line:5d} {role:6s} {a or '-':6s} {text}")
        return
    for name, data in (("ap_2015.json", plan), (f"ap_2015_highlight_{PERIOD}.json", highlight)):
        (out / name).write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    n_actions = sum(len(p["actions"]) for p in plan["programmes"])
    n_ms = sum(len(r["milestones"]) for r in highlight["reports"])
    n_items = sum(len(r["items"]) for r in highlight["reports"])
    print(
        f"wrote {out / 'ap_2015.json'}: {len(plan['programmes'])} action plans, "
        f"{n_actions} actions, "
        f"{len(plan['timescales'])} distinct timescales, {len(plan['unparsed'])} unparsed"
    )
    print(
        f"wrote {out / f'ap_2015_highlight_{PERIOD}.json'}: {len(highlight['reports'])} reports, "
        f"{n_ms} milestones, {n_items} items, {len(highlight['risks'])} risks, "
        f"{len(highlight['unparsed'])} unparsed"
    )


if __name__ == "__main__":
    main()
