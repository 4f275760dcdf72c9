"""Read the deployment files (compose, Dockerfiles, Kubernetes manifests) without running them,
and what they must agree with: each service's settings, its health routes, the gateway's config.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from services.common.health import router as health_router
from services.common.settings import ServiceSettings
from services.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERIGNORE = ROOT / ".dockerignore"
K8S_DIR = ROOT / "deploy" / "k8s"
GATEWAY_DIR = ROOT / "gateway"
README = ROOT / "README.md"

GATEWAY = "gateway"
POSTGRES = "postgres"
# What a compose file is interpolated with in these tests; long enough for CommonSettings.
TEST_JWT_SECRET = "deploy-test-secret-0123456789abcdefghijkl"
# Liveness and readiness of the Python services (services/common/health.py).
LIVENESS = "/healthz"
READINESS = "/readyz"


# --- what the code says --------------------------------------------------------------------------


@dataclass(frozen=True)
class PythonService:
    name: str
    prefix: str  # the settings' env prefix, e.g. "PROGRAMMES_"
    port: int
    settings_cls: type[ServiceSettings]


@cache
def python_services() -> tuple[PythonService, ...]:
    """Each service's name, env prefix and default port, read from services/<name>/settings.py."""
    found = []
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.settings")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, ServiceSettings)
            and obj is not ServiceSettings
        ]
        assert len(classes) == 1, (
            f"services/{name}/settings.py: expected one ServiceSettings subclass"
        )
        cls = classes[0]
        port = cls.model_fields["port"].default
        prefix = cls.model_config.get("env_prefix", "")
        assert isinstance(port, int) and prefix, f"{cls.__name__}: no default port or env prefix"
        found.append(PythonService(name=name, prefix=prefix, port=port, settings_cls=cls))
    return tuple(found)


def python_service(name: str) -> PythonService:
    return next(s for s in python_services() if s.name == name)


@cache
def gateway_port() -> int:
    """The gateway's default port, as gateway/gateway.config.ts reads it."""
    source = (GATEWAY_DIR / "gateway.config.ts").read_text()
    match = re.search(r"portFromEnv\(\s*'GATEWAY_PORT'\s*,\s*(\d+)\s*\)", source)
    assert match, "gateway.config.ts: no portFromEnv('GATEWAY_PORT', <default>)"
    return int(match.group(1))


@cache
def gateway_subgraph_env() -> dict[str, str]:
    """Subgraph name -> env var overriding its URL, from gateway.config.ts's SUBGRAPH_URL_ENV."""
    source = (GATEWAY_DIR / "gateway.config.ts").read_text()
    block = re.search(r"SUBGRAPH_URL_ENV\s*=\s*\{(.*?)\}", source, re.S)
    assert block, "gateway.config.ts: no SUBGRAPH_URL_ENV"
    return dict(re.findall(r"(\w+)\s*:\s*'(\w+)'", block.group(1)))


@cache
def gateway_health_paths() -> dict[str, str]:
    """{"liveness": path, "readiness": path} as gateway/README.md documents them."""
    text = (GATEWAY_DIR / "README.md").read_text()
    found = {kind: path for path, kind in re.findall(r"`GET (/\S+)`:\s*(liveness|readiness)", text)}
    assert set(found) == {"liveness", "readiness"}, "gateway/README.md: health endpoints not found"
    return found


def service_health_routes() -> set[str]:
    return {route.path for route in health_router.routes}  # type: ignore[attr-defined]


def expected_ports() -> dict[str, int]:
    return {**{s.name: s.port for s in python_services()}, GATEWAY: gateway_port()}


def components() -> list[str]:
    return [*SERVICES, GATEWAY]


# --- docker compose ------------------------------------------------------------------------------


class ComposeError(Exception):
    """What `docker compose` would refuse the file for (a required variable unset)."""


_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
    ${VAR:?error}, ${VAR?error} and $$."""

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset = (not current) if op and op.startswith(":") else current is None
        if op and op.endswith("-"):
            return arg if unset else str(current)
        if op and op.endswith("?"):
            if unset:
                raise ComposeError(f"required variable {name} is missing a value: {arg}")
            return str(current)
        return current or ""

    return _VARIABLE.sub(substitute, value)


def _interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, env) for key, value in node.items()}
    return node


@cache
def compose_raw() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def compose(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """docker-compose.yml as compose would see it with ``env`` (default: the JWT secret set)."""
    return _interpolate_tree(
        compose_raw(), {"CPMO_JWT_SECRET": TEST_JWT_SECRET} if env is None else env
    )


def compose_service(name: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    services = compose(env)["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return services[name]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A compose service's environment, from either the mapping or the list form."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: _scalar(value) for key, value in raw.items()}


@dataclass(frozen=True)
class Published:
    host_ip: str
    host_port: int
    container_port: int


def published_ports(service: Mapping[str, Any]) -> list[Published]:
    found = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            found.append(
                Published(
                    host_ip=str(entry.get("host_ip", "")),
                    host_port=int(entry.get("published") or entry["target"]),
                    container_port=int(entry["target"]),
                )
            )
            continue
        spec = str(entry).split("/")[0]
        parts = spec.rsplit(":", 2)
        if len(parts) == 3:
            host_ip, host_port, container_port = parts
        elif len(parts) == 2:
            host_ip, (host_port, container_port) = "", parts
        else:
            host_ip, host_port, container_port = "", parts[0], parts[0]
        found.append(Published(host_ip.strip("[]"), int(host_port), int(container_port)))
    return found


def healthcheck_urls(check: Mapping[str, Any] | None) -> list[str]:
    """The http(s) URLs a healthcheck's test (or a Dockerfile HEALTHCHECK) requests."""
    if not check:
        return []
    test = check.get("test")
    text = " ".join(test) if isinstance(test, list) else str(test or "")
    return re.findall(r"https?://[^\s'\"`)]+", text)


# --- Dockerfiles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str
    stage: int  # index of the FROM it belongs to; -1 before the first FROM


@dataclass(frozen=True)
class Copy:
    sources: tuple[str, ...]
    dest: str  # absolute, resolved against the stage's WORKDIR
    from_stage: str | None
    stage: int


def dockerfile_instructions(path: Path) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    logical: list[str] = []
    current = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            logical.append(current.strip())
        current = ""
    if current.strip():
        logical.append(current.strip())
    found, stage = [], -1
    for line in logical:
        keyword, _, value = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        found.append(Instruction(keyword, value.strip(), stage))
    return found


def global_args(instructions: list[Instruction]) -> dict[str, str]:
    args = {}
    for ins in instructions:
        if ins.keyword == "ARG" and ins.stage == -1:
            name, _, default = ins.value.partition("=")
            args[name.strip()] = default.strip().strip('"')
    return args


def expand(text: str, values: Mapping[str, str]) -> str:
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: values.get(m.group(1) or m.group(2), m.group(0)),
        text,
    )


def stage_args(instructions: list[Instruction]) -> dict[str, str]:
    """ARG defaults anywhere in the file (global ones win; names are not reused across stages)."""
    found = {}
    for ins in instructions:
        if ins.keyword == "ARG" and "=" in ins.value:
            name, _, default = ins.value.partition("=")
            found[name.strip()] = default.strip().strip('"')
    return {**found, **global_args(instructions)}


def base_images(instructions: list[Instruction]) -> list[str]:
    args = global_args(instructions)
    return [expand(ins.value.split()[0], args) for ins in instructions if ins.keyword == "FROM"]


def exec_form(value: str) -> list[str] | None:
    if value.startswith("["):
        parsed = json.loads(value)
        assert isinstance(parsed, list)
        return [str(item) for item in parsed]
    return None


def copies(instructions: list[Instruction]) -> list[Copy]:
    found = []
    workdir = "/"
    stage = -1
    for ins in instructions:
        if ins.stage != stage:
            stage, workdir = ins.stage, "/"
        if ins.keyword == "WORKDIR":
            workdir = os.path.join(workdir, ins.value)
        if ins.keyword not in ("COPY", "ADD"):
            continue
        words = exec_form(ins.value) or shlex.split(ins.value)
        flags = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        from_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
        dest = os.path.normpath(os.path.join(workdir, paths[-1]))
        found.append(Copy(tuple(paths[:-1]), dest, from_stage, ins.stage))
    return found


def env_values(instructions: list[Instruction], stage: int) -> dict[str, str]:
    found = {}
    for ins in instructions:
        if ins.keyword == "ENV" and ins.stage == stage:
            for word in shlex.split(ins.value):
                name, _, value = word.partition("=")
                found[name] = value
    return found


def last(instructions: list[Instruction], keyword: str) -> Instruction | None:
    matching = [ins for ins in instructions if ins.keyword == keyword]
    return matching[-1] if matching else None


def dockerignore_excludes(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` (relative to the root) out of the build context:
    the last pattern matching it, or one of its parent folders, decides."""
    if not DOCKERIGNORE.exists():
        return False
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = Path(path.rstrip("/")).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        options = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
        if any(fnmatch.fnmatchcase(c, p) for c in candidates for p in options):
            excluded = not negated
    return excluded


# --- Kubernetes ----------------------------------------------------------------------------------


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.glob("*.y*ml") if p.name != "kustomization.yaml")


@cache
def k8s_documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file name, document) for every non-empty document in deploy/k8s/ but the kustomization."""
    found = []
    for path in k8s_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path.name, doc))
    return tuple(found)


def k8s_objects(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc.get("kind") == kind}


def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())


def only_container(deployment: Mapping[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{deployment['metadata']['name']}: expected one container"
    return containers[0]


def container_port(container: Mapping[str, Any], port: int | str) -> int:
    """A probe's or Service's port (a number or a port name) as the container's port number."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    for entry in container.get("ports", []):
        if entry.get("name") == port:
            return int(entry["containerPort"])
    raise AssertionError(f"container {container['name']} has no port named {port!r}")


# --- README --------------------------------------------------------------------------------------


def readme_ports() -> dict[str, list[int]]:
    """Component -> the port-like numbers on its README table row (rows naming one component)."""
    if not README.exists():
        return {}
    found: dict[str, list[int]] = {}
    for line in README.read_text().splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = [cell.strip().strip("`*_ ").lower() for cell in line.strip().strip("|").split("|")]
        names = [cell for cell in cells if cell in components()]
        if len(names) != 1:
            continue
        numbers = [
            int(n) for cell in cells for n in re.findall(r"(?<![\d.])\d{4,5}(?![\d.])", cell)
        ]
        found[names[0]] = numbers
    return found


def settings_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    """Make ``env`` the whole of what the settings classes see (tests/conftest.py sets some)."""
    prefixes = ("CPMO_", *(s.prefix for s in python_services()))
    for key in list(os.environ):
        if key.upper().startswith(prefixes):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def url_parts(url: str) -> tuple[str, str | None, int | None, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port, parts.path
