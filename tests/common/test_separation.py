"""Each service owns its tables: separate metadata, and no service imports another."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from sqlmodel import SQLModel

from services.common import asof
from services.stack import ROOT, SERVICES


def test_each_service_has_its_own_metadata() -> None:
    metadatas = {s: importlib.import_module(f"services.{s}.models").Base.metadata for s in SERVICES}
    assert len({id(m) for m in metadatas.values()}) == len(SERVICES)
    assert not SQLModel.metadata.tables, "tables leaked into SQLModel's global metadata"
    # The plumbing every service has its own copy of, in its own database: the audit table and
    # the as-of commit times (services/common/asof.py).
    plumbing = {"audit_entry", asof.COMMITS}
    domain_tables = {s: set(m.tables) - plumbing for s, m in metadatas.items()}
    for a in SERVICES:
        assert "audit_entry" in metadatas[a].tables, f"{a} has no audit table"
        for b in SERVICES:
            if a < b:
                assert not domain_tables[a] & domain_tables[b], f"{a} and {b} share tables"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_service_imports_another() -> None:
    for service in SERVICES:
        others = {f"services.{o}" for o in SERVICES if o != service}
        for path in (ROOT / "services" / service).rglob("*.py"):
            bad = {
                m for m in _imports(path) if any(m == o or m.startswith(o + ".") for o in others)
            }
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_common_knows_no_domain() -> None:
    for path in (ROOT / "services" / "common").rglob("*.py"):
        bad = {m for m in _imports(path) if any(m.startswith(f"services.{s}") for s in SERVICES)}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def _words(path: Path) -> set[str]:
    """The names and string literals of a module's code (not its comments and docstrings):
    what it would act on."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            words.add(node.name)
        elif isinstance(node, ast.arg):
            words.add(node.arg)
        elif isinstance(node, ast.alias):
            words.add(node.asname or node.name)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            words.add(node.value)
    return words


def test_common_names_no_service() -> None:
    """Plumbing holds no service's URL, grant or rule: each service declares its own."""
    names = {*SERVICES, *(s.rstrip("s") for s in SERVICES)}
    for path in (ROOT / "services" / "common").rglob("*.py"):
        bad = {
            word
            for word in _words(path)
            if any(
                name in part for part in word.lower().replace(".", "_").split("_") for name in names
            )
        }
        assert not bad, f"{path.relative_to(ROOT)} names {sorted(bad)}"


def test_the_check_finds_a_service_named_in_common(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""Talks of programmes."""\nkpis_url = "x"\ndef may_push_kpi(): ...\n')
    assert {"kpis_url", "may_push_kpi"} <= _words(sample)
    assert "Talks of programmes." not in _words(sample)
