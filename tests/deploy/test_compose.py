"""docker-compose.yml, the Dockerfiles it builds and .dockerignore, checked against the code.

No Docker engine is needed: the files are parsed, not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.common.settings import CommonSettings, Mode
from services.stack import DEFAULT_PORTS, SERVICES
from tests.deploy.helpers import (
    GATEWAY,
    LIVENESS,
    POSTGRES,
    READINESS,
    ROOT,
    TEST_JWT_SECRET,
    ComposeError,
    base_images,
    components,
    compose,
    compose_raw,
    compose_service,
    copies,
    dockerfile_instructions,
    dockerignore_excludes,
    env_values,
    environment,
    exec_form,
    expand,
    expected_ports,
    gateway_health_paths,
    gateway_port,
    gateway_subgraph_env,
    healthcheck_urls,
    interpolate,
    last,
    published_ports,
    python_service,
    python_services,
    readme_ports,
    service_health_routes,
    settings_env,
    stage_args,
    url_parts,
)

POSTGRES_INIT_DIR = "/docker-entrypoint-initdb.d"


def dockerfile_of(name: str) -> Path:
    build = compose_service(name).get("build")
    assert isinstance(build, dict), f"{name}: build must name its context and dockerfile"
    context = (ROOT / build.get("context", ".")).resolve()
    return context / build.get("dockerfile", "Dockerfile")


def build_args(name: str) -> dict[str, str]:
    args = compose_service(name)["build"].get("args") or {}
    if isinstance(args, list):
        args = dict(item.split("=", 1) for item in args)
    return {key: str(value) for key, value in args.items()}


def database_urls() -> dict[str, str]:
    return {
        s.name: environment(compose_service(s.name)).get(f"{s.prefix}DATABASE_URL", "")
        for s in python_services()
    }


def init_databases() -> list[str]:
    """The databases the postgres init scripts mounted by compose create, in order."""
    created = []
    for volume in compose_service(POSTGRES).get("volumes") or []:
        source, _, rest = str(volume).partition(":")
        target = rest.split(":")[0]
        if not target.startswith(POSTGRES_INIT_DIR) or not source.startswith("."):
            continue
        script = (ROOT / source).resolve()
        assert script.is_file(), f"postgres init script {source} does not exist"
        created += re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)\"?", script.read_text(), re.I)
    return created


# --- the components ------------------------------------------------------------------------------


def test_the_five_components_and_postgres_exist() -> None:
    services = compose_raw()["services"]
    for name in [*components(), POSTGRES]:
        assert name in services, f"docker-compose.yml has no service {name!r}"


def test_ports_agree_with_the_code() -> None:
    """Python services' ports come from their settings classes, the gateway's from its config;
    both must match what ./cpmo up uses (services/stack.py)."""
    assert expected_ports() == DEFAULT_PORTS
    assert gateway_port() == 4000


@pytest.mark.parametrize("name", [*SERVICES, GATEWAY])
def test_published_port_is_the_components_port_on_loopback_only(name: str) -> None:
    port = expected_ports()[name]
    published = published_ports(compose_service(name))
    assert published, f"{name}: no port published"
    for entry in published:
        assert entry.container_port == port, (
            f"{name}: publishes container port {entry.container_port}"
        )
        assert entry.host_port == port, f"{name}: published on host port {entry.host_port}"
        assert entry.host_ip == "127.0.0.1", (
            f"{name}: published on {entry.host_ip or 'all addresses'}"
        )


def test_nothing_is_published_beyond_loopback() -> None:
    for name, service in compose()["services"].items():
        for entry in published_ports(service):
            assert entry.host_ip == "127.0.0.1", f"{name}: port {entry.host_port} is public"


@pytest.mark.parametrize("name", SERVICES)
def test_python_service_listens_on_its_port(name: str) -> None:
    service = python_service(name)
    env = environment(compose_service(name))
    assert build_args(name).get("SERVICE") == name
    assert build_args(name).get("PORT") == str(service.port)
    # The image runs uvicorn on $PORT; the settings' own port, if set, must say the same.
    assert env.get("PORT", str(service.port)) == str(service.port)
    assert env.get(f"{service.prefix}PORT", str(service.port)) == str(service.port)
    assert env.get(f"{service.prefix}HOST", "0.0.0.0") == "0.0.0.0"


# --- settings ------------------------------------------------------------------------------------


def test_production_mode_and_a_required_jwt_secret() -> None:
    for name in SERVICES:
        raw = compose_raw()["services"][name]["environment"]
        assert raw["CPMO_MODE"] == "production", name
        assert re.fullmatch(r"\$\{CPMO_JWT_SECRET:\?[^}]+\}", raw["CPMO_JWT_SECRET"]), (
            f"{name}: CPMO_JWT_SECRET must be ${{CPMO_JWT_SECRET:?message}}"
        )
    for env in ({}, {"CPMO_JWT_SECRET": ""}):
        with pytest.raises(ComposeError, match="CPMO_JWT_SECRET"):
            compose(env)
    assert environment(compose_service("programmes"))["CPMO_JWT_SECRET"] == TEST_JWT_SECRET


@pytest.mark.parametrize("name", SERVICES)
def test_settings_accept_the_compose_environment(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's env, read by its real settings classes: names, prefixes and values."""
    service = python_service(name)
    env = environment(compose_service(name))
    settings_env(monkeypatch, env)
    common = CommonSettings()
    assert common.mode == Mode.production
    assert common.jwt_secret == TEST_JWT_SECRET
    # Every component finds its peers under the same names; each service reads those it calls.
    peers = {
        "gateway": f"http://{GATEWAY}:{gateway_port()}/graphql",
        **{other.name: f"http://{other.name}:{other.port}" for other in python_services()},
    }
    for peer, url in peers.items():
        assert env[f"CPMO_{peer.upper()}_URL"] == url
    settings = service.settings_cls()
    for peer, url in peers.items():
        if f"{peer}_url" in type(settings).model_fields:
            assert getattr(settings, f"{peer}_url") == url
    assert settings.port == service.port
    assert settings.host == "0.0.0.0"
    assert settings.database_url, f"{service.prefix}DATABASE_URL is not set"
    assert settings.resolved_database_url().startswith("postgresql+asyncpg://")


def test_each_service_has_its_own_postgres_database() -> None:
    postgres_env = environment(compose_service(POSTGRES))
    urls = database_urls()
    names = {}
    for name, url in urls.items():
        scheme, host, port, path = url_parts(url)
        assert scheme in ("postgresql", "postgres"), f"{name}: {url}"
        assert host == POSTGRES, f"{name}: database host {host}, not the compose service"
        assert port in (None, 5432), f"{name}: database port {port}"
        assert path == f"/cpmo_{name}", f"{name}: uses database {path.lstrip('/')}"
        assert url.startswith(
            f"{scheme}://{postgres_env['POSTGRES_USER']}:{postgres_env['POSTGRES_PASSWORD']}@"
        ), f"{name}: credentials differ from the postgres service's"
        names[name] = path.lstrip("/")
    assert len(set(names.values())) == len(names), f"services share a database: {names}"


def test_postgres_creates_every_services_database() -> None:
    service = compose_service(POSTGRES)
    assert str(service["image"]).startswith("postgres:15")
    created = init_databases()
    wanted = {url_parts(url)[3].lstrip("/") for url in database_urls().values()}
    assert wanted <= set(created), f"not created by the init script: {wanted - set(created)}"
    # The healthcheck must not pass before the init script has run: it asks for its last database.
    test = " ".join(service["healthcheck"]["test"])
    assert f"-d {created[-1]}" in test and "-h 127.0.0.1" in test


@pytest.mark.parametrize("subgraph", SERVICES)
def test_gateway_reaches_each_subgraph_by_service_name(subgraph: str) -> None:
    env = environment(compose_service(GATEWAY))
    var = gateway_subgraph_env()[subgraph]
    scheme, host, port, path = url_parts(env.get(var, ""))
    assert (scheme, host, port, path) == (
        "http",
        subgraph,
        python_service(subgraph).port,
        "/graphql",
    ), f"gateway {var}={env.get(var)!r}"


def test_gateway_environment() -> None:
    env = environment(compose_service(GATEWAY))
    assert env.get("GATEWAY_HOST") == "0.0.0.0"
    assert env.get("GATEWAY_PORT", str(gateway_port())) == str(gateway_port())
    assert env.get("NODE_ENV") == "production"
    assert set(gateway_subgraph_env()) == set(SERVICES)


# --- start-up order and health -------------------------------------------------------------------


def healthy_dependencies(name: str) -> set[str]:
    depends = compose_service(name).get("depends_on") or {}
    assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
    return {
        dep for dep, spec in depends.items() if (spec or {}).get("condition") == "service_healthy"
    }


def test_start_up_waits_for_health() -> None:
    for name in SERVICES:
        assert POSTGRES in healthy_dependencies(name), f"{name} must wait for a healthy postgres"
    assert set(SERVICES) <= healthy_dependencies(GATEWAY), (
        "the gateway must wait for every subgraph"
    )
    for name in compose()["services"]:
        for dep in healthy_dependencies(name):
            assert compose_service(dep).get("healthcheck"), f"{name} waits on {dep}, which has none"


@pytest.mark.parametrize("name", [*SERVICES, GATEWAY])
def test_healthchecks_request_real_routes(name: str) -> None:
    urls = healthcheck_urls(compose_service(name).get("healthcheck"))
    assert len(urls) == 1, f"{name}: healthcheck requests {urls}"
    _, host, port, path = url_parts(urls[0])
    assert host in ("127.0.0.1", "localhost")
    assert port == expected_ports()[name], f"{name}: healthcheck on port {port}"
    routes = set(gateway_health_paths().values()) if name == GATEWAY else service_health_routes()
    assert path in routes, f"{name}: healthcheck path {path} is not one of {sorted(routes)}"


def test_health_routes_exist() -> None:
    assert {LIVENESS, READINESS} <= service_health_routes()


# --- images --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SERVICES, GATEWAY])
def test_dockerfile_exists(name: str) -> None:
    path = dockerfile_of(name)
    assert path.is_file(), f"{name}: {path} does not exist"
    assert path.is_relative_to(ROOT / "deploy")


def copy_sources(path: Path) -> list[str]:
    return [
        src
        for c in copies(dockerfile_instructions(path))
        if c.from_stage is None
        for src in c.sources
    ]


def all_dockerfiles() -> list[str]:
    return sorted({str(dockerfile_of(name).relative_to(ROOT)) for name in components()})


@pytest.mark.parametrize("dockerfile", all_dockerfiles())
def test_copied_files_exist_and_reach_the_build_context(dockerfile: str) -> None:
    missing, ignored = [], []
    for source in copy_sources(ROOT / dockerfile):
        if not (ROOT / source).exists():
            missing.append(source)
        if dockerignore_excludes(source):
            ignored.append(source)
    assert not ignored, f"{dockerfile} copies what .dockerignore excludes: {ignored}"
    assert not missing, f"{dockerfile} copies what does not exist (yet): {missing}"


def test_dockerignore_keeps_local_state_out() -> None:
    for path in (
        ".venv",
        ".git",
        ".tools",
        "data",
        "gateway/node_modules",
        "tests",
        "services/__pycache__",
    ):
        assert dockerignore_excludes(path), f".dockerignore lets {path} into the build context"
    for path in (
        "services/common/app.py",
        "migrations/alembic.ini",
        "uv.lock",
        "gateway/package-lock.json",
    ):
        assert not dockerignore_excludes(path), f".dockerignore keeps {path} out"


def non_root(user: str | None) -> bool:
    return user is not None and user.split(":")[0] not in ("", "root", "0")


def test_python_dockerfile() -> None:
    names = {dockerfile_of(name) for name in SERVICES}
    assert len(names) == 1, "the four services build from one Dockerfile"
    path = names.pop()
    instructions = dockerfile_instructions(path)
    args = stage_args(instructions)
    text = expand("\n".join(f"{i.keyword} {i.value}" for i in instructions), args)

    assert set(base_images(instructions)) == {"python:3.11-slim"}
    script = (ROOT / "cpmo").read_text()
    uv_version = re.search(r"^UV_VERSION=(\S+)", script, re.M)
    assert uv_version and f'uv=={uv_version.group(1)}"' in text, "not the uv ./cpmo pins"
    syncs = re.findall(r"uv sync[^\n&]*", text)
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs), syncs
    assert any("--no-install-project" not in s for s in syncs), (
        "the project itself is never installed"
    )

    final = max(i.stage for i in instructions)
    copied = copies(instructions)
    into_final = {src.rstrip("/"): c.dest for c in copied if c.stage == final for src in c.sources}
    for needed in ("services", "migrations", "gateway/supergraph.graphql"):
        assert needed in into_final, f"the runtime image lacks {needed}"
    # services/common/migrate.py finds migrations/ beside services/; reporting reads the
    # supergraph where services/stack.py puts GATEWAY_DIR.
    assert Path(into_final["services"]).parent == Path(into_final["migrations"]).parent
    supergraph = Path(into_final["gateway/supergraph.graphql"])
    assert supergraph.parent.parent == Path(into_final["services"]).parent
    venv = [
        c for c in copied if c.stage == final and c.from_stage and ".venv" in " ".join(c.sources)
    ]
    assert venv and venv[0].dest == f"{Path(into_final['services']).parent}/.venv"
    assert {"pyproject.toml", "uv.lock"} <= set(copy_sources(path))

    final_env = env_values(instructions, final)
    assert final_env.get("SERVICE") == "${SERVICE}" and final_env.get("PORT") == "${PORT}"
    assert non_root(last(instructions, "USER").value)  # type: ignore[union-attr]
    expose = last(instructions, "EXPOSE")
    assert expose and expose.value == "${PORT}"

    healthcheck = last(instructions, "HEALTHCHECK")
    assert healthcheck and "CMD" in healthcheck.value
    check = exec_form(healthcheck.value.split("CMD", 1)[1].strip())
    assert check and check[0] == "python", "HEALTHCHECK must use python (slim has no curl)"
    urls = healthcheck_urls({"test": check})
    assert urls and urls[0].endswith(LIVENESS) and LIVENESS in service_health_routes()

    cmd = exec_form(last(instructions, "CMD").value)  # type: ignore[union-attr]
    assert cmd and cmd[:2] == ["sh", "-c"]
    assert re.search(
        r"exec python -m uvicorn services\.\$\{SERVICE\}\.main:app"
        r" --host 0\.0\.0\.0 --port \$\{PORT\}",
        cmd[2],
    ), cmd


@pytest.mark.parametrize("name", SERVICES)
def test_the_app_module_the_image_runs_exists(name: str) -> None:
    assert build_args(name)["SERVICE"] == name
    assert (ROOT / "services" / name / "main.py").is_file(), f"services/{name}/main.py is missing"


def test_gateway_dockerfile() -> None:
    path = dockerfile_of(GATEWAY)
    instructions = dockerfile_instructions(path)
    assert set(base_images(instructions)) == {"node:22-slim"}
    runs = " ".join(i.value for i in instructions if i.keyword == "RUN")
    assert re.search(r"npm ci\b[^&]*--omit=dev", runs), (
        "dependencies must come from npm ci --omit=dev"
    )
    sources = set(copy_sources(path))
    for needed in ("package-lock.json", "package.json", "gateway.config.ts", "supergraph.graphql"):
        assert f"gateway/{needed}" in sources, f"the gateway image lacks gateway/{needed}"

    final = max(i.stage for i in instructions)
    env = env_values(instructions, final)
    assert env.get("NODE_ENV") == "production"
    assert env.get("GATEWAY_HOST") == "0.0.0.0"
    assert env.get("GATEWAY_PORT", str(gateway_port())) == str(gateway_port())
    expose = last(instructions, "EXPOSE")
    assert expose and expose.value == str(gateway_port())
    assert non_root(last(instructions, "USER").value)  # type: ignore[union-attr]
    healthcheck = last(instructions, "HEALTHCHECK")
    assert healthcheck
    assert f"{gateway_health_paths()['liveness']}'" in healthcheck.value
    cmd = exec_form(last(instructions, "CMD").value)  # type: ignore[union-attr]
    assert cmd and cmd[-2:] == ["node_modules/.bin/hive-gateway", "supergraph"]


# --- the README ----------------------------------------------------------------------------------


def test_readme_documents_the_same_ports() -> None:
    documented = readme_ports()
    if not documented:
        pytest.skip("README.md has no ports table yet")
    assert set(documented) == set(components()), f"README ports table lists {sorted(documented)}"
    ports = expected_ports()
    for name, numbers in documented.items():
        assert ports[name] in numbers, f"README gives {name} port(s) {numbers}, not {ports[name]}"
        others = {p for other, p in ports.items() if other != name}
        assert not others & set(numbers), f"README gives {name} another component's port: {numbers}"


# --- the parsing these tests rely on -------------------------------------------------------------


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert (
        interpolate("${SET:-d} ${EMPTY:-d} ${UNSET:-d} ${EMPTY-d} $SET $$SET", env)
        == "x d d  x $SET"
    )
    with pytest.raises(ComposeError):
        interpolate("${EMPTY:?no}", env)
    assert interpolate("${EMPTY?no}", env) == ""
