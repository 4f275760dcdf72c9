"""Each service owns its tables: separate metadata, and no service imports another."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from sqlmodel import SQLModel

from services.stack import ROOT, SERVICES


def test_each_service_has_its_own_metadata() -> None:
    metadatas = {s: importlib.import_module(f"services.{s}.models").Base.metadata for s in SERVICES}
    assert len({id(m) for m in metadatas.values()}) == len(SERVICES)
    assert not SQLModel.metadata.tables, "tables leaked into SQLModel's global metadata"
    domain_tables = {s: set(m.tables) - {"audit_entry"} for s, m in metadatas.items()}
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
