"""The programmes service's shape: sub-domain folders with the same files, no import cycles,
shared words defined once, no sub-domain reaching into another's routes or graph types, and
none reading or writing another's tables except through that one's service.py."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

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
# The only modules that may name another sub-domain's tables (other than in a type annotation,
# where a row its service returned is named as ``plan.Programme``), each with its reason.
NAMES_OTHERS_TABLES: dict[Path, tuple[set[str], str]] = {
    SERVICE / "models.py": (
        set(SUB_DOMAINS),
        "the service's one metadata: gathers every sub-domain's tables for Alembic and the "
        "as-of history",
    ),
    SERVICE / "plan" / "service.py": (
        {"governance"},
        "a programme's board_id is checked to name a board before it is written; governance's "
        "service reads plan's, so going through it would be an import cycle",
    ),
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


def table_owner(obj: Any) -> str | None:
    """The sub-domain whose table class ``obj`` is, if it is one."""
    if not (isinstance(obj, type) and hasattr(obj, "__table__")):
        return None
    parts = obj.__module__.split(".")
    return parts[2] if parts[:2] == ["services", "programmes"] and len(parts) > 3 else None


def tables_named(path: Path) -> list[tuple[int, str, str]]:
    """Where ``path`` names a sub-domain's table (line, what, whose): an import of a ``models``
    module or of a table class, or ``module.Table`` outside a type annotation."""
    tree = ast.parse(path.read_text())
    in_annotation = {
        id(inner)
        for node in ast.walk(tree)
        for hint in (
            [node.annotation]
            if isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation
            else [node.returns]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns
            else []
        )
        for inner in ast.walk(hint)
    }
    modules_bound: dict[str, str] = {}
    found: list[tuple[int, str, str]] = []

    def imported(line: int, module: str) -> bool:
        parts = module.split(".")
        if parts[:2] == ["services", "programmes"] and len(parts) == 4 and parts[3] == "models":
            found.append((line, f"import {module}", parts[2]))
            return True
        return False

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if not node.module.startswith("services.programmes") or imported(
                node.lineno, node.module
            ):
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (ROOT / (candidate.replace(".", "/") + ".py")).exists():
                    if not imported(node.lineno, candidate):
                        modules_bound[alias.asname or alias.name] = candidate
                    continue
                owner = table_owner(getattr(importlib.import_module(node.module), alias.name))
                if owner is not None:
                    found.append((node.lineno, f"from {node.module} import {alias.name}", owner))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules_bound
            and id(node) not in in_annotation
        ):
            module = importlib.import_module(modules_bound[node.value.id])
            owner = table_owner(getattr(module, node.attr, None))
            if owner is not None:
                found.append((node.lineno, f"{node.value.id}.{node.attr}", owner))
    return found


def test_a_sub_domain_reaches_another_s_tables_only_through_its_service() -> None:
    """Plan's tables (and every sub-domain's) are read and written by its service.py, which
    keeps its rules and its audit; other sub-domains call that service and may name the rows
    it returns in their type annotations."""
    wrong = []
    for path in sorted(SERVICE.rglob("*.py")):
        if "seed_data" in path.parts:
            continue
        parts = path.relative_to(SERVICE).parts
        own = parts[0] if len(parts) > 1 else None
        allowed = NAMES_OTHERS_TABLES.get(path, (set(), ""))[0]
        wrong += [
            f"{path.relative_to(ROOT)}:{line} {what} ({owner}'s table)"
            for line, what, owner in tables_named(path)
            if owner != own and owner not in allowed
        ]
    assert wrong == []


def test_the_table_check_finds_each_way_of_naming_a_table(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(
        "from services.programmes.plan.models import Aim\n"
        "from services.programmes.plan import models\n"
        "from services.programmes.plan import service as plan\n"
        "from services.programmes.plan.service import Workstream\n"
        "from services.programmes.plan.graphql import Programme as ProgrammeType\n"
        "def rows(programme: plan.Programme) -> plan.Portfolio:\n"
        "    return select(plan.Outcome, plan.get)\n"
    )
    assert [(line, what) for line, what, _ in tables_named(module)] == [
        (1, "import services.programmes.plan.models"),
        (2, "import services.programmes.plan.models"),
        (4, "from services.programmes.plan.service import Workstream"),
        (7, "plan.Outcome"),
    ]


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
