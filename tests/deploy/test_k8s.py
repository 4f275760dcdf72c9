"""deploy/k8s/: the manifests parse, and agree with the code and with docker-compose.yml."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.common.settings import CommonSettings, Mode
from services.stack import SERVICES
from tests.deploy.helpers import (
    GATEWAY,
    K8S_DIR,
    LIVENESS,
    READINESS,
    TEST_JWT_SECRET,
    compose_service,
    container_port,
    expected_ports,
    gateway_health_paths,
    gateway_port,
    gateway_subgraph_env,
    k8s_documents,
    k8s_files,
    k8s_objects,
    kustomization,
    only_container,
    python_service,
    python_services,
    service_health_routes,
    settings_env,
    url_parts,
)

COMPONENTS = [*SERVICES, GATEWAY]


def deployment(name: str) -> dict[str, Any]:
    found = k8s_objects("Deployment")
    assert name in found, f"deploy/k8s has no Deployment {name!r}"
    return found[name]


def secret() -> dict[str, Any]:
    secrets = k8s_objects("Secret")
    assert len(secrets) == 1, f"expected one Secret template, found {sorted(secrets)}"
    return next(iter(secrets.values()))


def secret_data() -> dict[str, str]:
    return {key: str(value) for key, value in (secret().get("stringData") or {}).items()}


def container_env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """name -> the env entry (value or valueFrom)."""
    return {entry["name"]: entry for entry in container.get("env", [])}


def resolved_env(container: dict[str, Any], secrets: dict[str, str]) -> dict[str, str]:
    """What the container's process sees: ConfigMaps (envFrom), then env (values, Secret keys)."""
    configmaps = k8s_objects("ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        assert ref, f"{container['name']}: only ConfigMaps come in through envFrom"
        assert ref["name"] in configmaps, f"{container['name']}: no ConfigMap {ref['name']}"
        env.update({k: str(v) for k, v in configmaps[ref["name"]]["data"].items()})
    for name, entry in container_env(container).items():
        if "value" in entry:
            env[name] = str(entry["value"])
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret()["metadata"]["name"], f"{name}: unknown Secret {ref['name']}"
        if ref.get("optional") is True and ref["key"] not in secret_data():
            continue  # a key the operator may add (CPMO_METRICS_TOKEN); absent, it is unset
        assert ref["key"] in secret_data(), f"{name}: the Secret has no key {ref['key']}"
        env[name] = secrets[ref["key"]]
    return env


def test_every_manifest_parses_and_is_listed() -> None:
    assert k8s_documents(), "no manifests in deploy/k8s"
    for file, doc in k8s_documents():
        assert doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"), (
            file
        )
    listed = kustomization()["resources"]
    assert sorted(listed) == [p.name for p in k8s_files()], (
        "kustomization.yaml and the files differ"
    )
    for resource in listed:
        assert (K8S_DIR / resource).is_file(), resource


def test_namespace() -> None:
    namespaces = k8s_objects("Namespace")
    assert list(namespaces) == [kustomization()["namespace"]]
    for file, doc in k8s_documents():
        if doc["kind"] != "Namespace":
            # Left to the kustomization, so the namespace is named in one place.
            assert "namespace" not in doc["metadata"], f"{file}: {doc['metadata']['name']}"


def test_a_deployment_and_a_service_per_component() -> None:
    assert set(k8s_objects("Deployment")) == set(COMPONENTS)
    assert set(k8s_objects("Service")) == set(COMPONENTS)


@pytest.mark.parametrize("name", COMPONENTS)
def test_deployment_ports_and_probes(name: str) -> None:
    spec = deployment(name)["spec"]
    container = only_container(deployment(name))
    port = expected_ports()[name]
    assert [p["containerPort"] for p in container["ports"]] == [port]
    if name == GATEWAY:
        liveness, readiness = (
            gateway_health_paths()["liveness"],
            gateway_health_paths()["readiness"],
        )
    else:
        liveness, readiness = LIVENESS, READINESS
        assert {liveness, readiness} <= service_health_routes()
    expected = {"livenessProbe": liveness, "readinessProbe": readiness, "startupProbe": liveness}
    for probe, path in expected.items():
        if probe == "startupProbe" and probe not in container:
            continue
        get = container[probe]["httpGet"]
        assert get["path"] == path, f"{name}: {probe} requests {get['path']}, not {path}"
        assert container_port(container, get["port"]) == port, f"{name}: {probe} on another port"
    assert spec["replicas"] >= 2, f"{name} is stateless: run at least 2 replicas"


@pytest.mark.parametrize("name", COMPONENTS)
def test_deployment_resources_and_hardening(name: str) -> None:
    pod = deployment(name)["spec"]["template"]["spec"]
    container = only_container(deployment(name))
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{name}: {kind}"
    # Service links would set e.g. PROGRAMMES_PORT=tcp://10.0.0.1:8101, which the settings read.
    assert pod.get("enableServiceLinks") is False, f"{name}: enableServiceLinks must be false"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("name", COMPONENTS)
def test_service_selects_its_pods_on_the_right_port(name: str) -> None:
    service = k8s_objects("Service")[name]
    template = deployment(name)["spec"]["template"]
    selector = service["spec"]["selector"]
    assert selector.items() <= template["metadata"]["labels"].items(), name
    assert (
        deployment(name)["spec"]["selector"]["matchLabels"].items()
        <= template["metadata"]["labels"].items()
    )
    container = only_container(deployment(name))
    [port] = service["spec"]["ports"]
    assert port["port"] == expected_ports()[name], f"{name}: Service port {port['port']}"
    target = port.get("targetPort", port["port"])
    assert container_port(container, target) == expected_ports()[name], (
        f"{name}: targetPort {target}"
    )


@pytest.mark.parametrize("name", COMPONENTS)
def test_image_is_the_one_compose_builds(name: str) -> None:
    image = only_container(deployment(name))["image"]
    built = str(compose_service(name)["image"]).split(":")[0]
    assert image.split(":")[0] == built, f"{name}: runs {image}, compose builds {built}"
    assert built in {entry["name"] for entry in kustomization().get("images", [])}


def test_secret_is_a_template_that_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    data = secret_data()
    assert data, "the Secret template has no stringData"
    for key, value in data.items():
        assert "REPLACE_ME" in value, f"{key} is not a marked placeholder"
    # Applied unchanged, the placeholder must stop the services rather than sign with it.
    settings_env(
        monkeypatch, {"CPMO_MODE": "production", "CPMO_JWT_SECRET": data["CPMO_JWT_SECRET"]}
    )
    with pytest.raises(ValidationError):
        CommonSettings()


def test_secret_has_a_database_per_service() -> None:
    data = secret_data()
    names = []
    for service in python_services():
        url = data.get(f"{service.prefix}DATABASE_URL", "")
        scheme, _, _, path = url_parts(url)
        assert scheme in ("postgresql", "postgres"), f"{service.name}: {url!r}"
        assert path == f"/cpmo_{service.name}", f"{service.name}: database {path}"
        names.append(path)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", SERVICES)
def test_service_environment_is_accepted_by_settings(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = python_service(name)
    container = only_container(deployment(name))
    entries = container_env(container)
    # Each service gets its own database URL from the Secret, and no other's.
    url_entry = entries.get(f"{service.prefix}DATABASE_URL")
    assert (
        url_entry
        and url_entry["valueFrom"]["secretKeyRef"]["key"] == f"{service.prefix}DATABASE_URL"
    )
    others = {f"{o.prefix}DATABASE_URL" for o in python_services() if o.name != name}
    assert not others & set(entries), f"{name} is given another service's database URL"
    assert "secretKeyRef" in entries["CPMO_JWT_SECRET"]["valueFrom"]

    env = resolved_env(container, {**secret_data(), "CPMO_JWT_SECRET": TEST_JWT_SECRET})
    assert env.get("SERVICE", name) == name
    assert env.get("PORT", str(service.port)) == str(service.port)
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
    assert settings.resolved_database_url().startswith("postgresql+asyncpg://")


@pytest.mark.parametrize("subgraph", SERVICES)
def test_gateway_reaches_each_subgraph_by_service_name(subgraph: str) -> None:
    env = resolved_env(only_container(deployment(GATEWAY)), secret_data())
    var = gateway_subgraph_env()[subgraph]
    scheme, host, port, path = url_parts(env.get(var, ""))
    assert host in k8s_objects("Service"), f"{var}: no Service {host}"
    assert (scheme, host, port, path) == (
        "http",
        subgraph,
        python_service(subgraph).port,
        "/graphql",
    )


def test_gateway_environment() -> None:
    env = resolved_env(only_container(deployment(GATEWAY)), secret_data())
    assert env.get("NODE_ENV") == "production"
    assert env.get("GATEWAY_HOST") == "0.0.0.0"
    assert env.get("GATEWAY_PORT", str(gateway_port())) == str(gateway_port())
