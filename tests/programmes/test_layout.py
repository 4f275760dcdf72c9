"""The programmes service's shape: sub-domain folders with the same files, no import cycles,
shared words defined once, and no sub-domain reaching into another's routes or graph types."""

from __future__ import annotations

import ast
from pathlib import Path

from services.stack import ROOT

SERVICE = ROOT / "services" / "programmes"
SUB_DOMAINS = sorted(
    p.name for p in SERVICE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
)
# Graph modules that show another sub-domain's objects in that sub-domain's own graph types:
# the Programme entity gathers each sub-domain's fields (its actions, milestones, ...), and the
# plans' comparison shows each plan's RAG grades as the plan's RagGrade.
SHOWS_OTHERS = {
    SERVICE / "plan" / "graphql.py": {
        "actions",
        "governance",
        "highlights",
        "milestones",
        "savings",
    },
    SERVICE / "comparison" / "graphql.py": {"plan"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The modules of this project ``path`` imports (``from a import b`` counts ``a.b`` when
    ``b`` is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                as_file = ROOT / (candidate.replace(".", "/") + ".py")
                found.add(candidate if as_file.exists() else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("services.")}


def modules() -> dict[str, set[str]]:
    return {
        module_name(path): imported_modules(path)
        for path in SERVICE.rglob("*.py")
        if "seed_data" not in path.parts
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert cycles(modules()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_sub_domains_have_the_same_files_for_the_same_jobs() -> None:
    for name in SUB_DOMAINS:
        files = {p.name for p in (SERVICE / name).glob("*.py")}
        assert {"service.py", "schemas.py", "api.py"} <= files, f"{name} has {sorted(files)}"


def test_no_sub_domain_reaches_into_another_s_routes_or_graph() -> None:
    for name in SUB_DOMAINS:
        for path in (SERVICE / name).glob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if len(parts) < 4 or parts[2] not in SUB_DOMAINS or parts[2] == name:
                    continue
                if parts[3] == "graphql" and parts[2] in SHOWS_OTHERS.get(path, set()):
                    continue
                assert parts[3] not in {"api", "graphql"}, (
                    f"{path.relative_to(ROOT)} imports {module}"
                )


def test_shared_words_are_defined_once() -> None:
    shared = {"Status", "DCA"}
    for path in SERVICE.rglob("*.py"):
        if path.name == "vocabulary.py":
            continue
        defined = {
            node.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ClassDef)
        }
        assert not defined & shared, f"{path.relative_to(ROOT)} defines {defined & shared}"


def test_the_readme_describes_every_sub_domain_folder() -> None:
    import re

    text = (ROOT / "README.md").read_text()
    described = set(re.findall(r"^services/programmes/(\w+)/", text, flags=re.MULTILINE))
    folders = {p.name for p in SERVICE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert described == folders
