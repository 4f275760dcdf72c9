"""The README's table of the programmes API names only paths the service serves, and says
truly which lists page and which come whole."""

from __future__ import annotations

import re

from services.stack import ROOT


def test_every_documented_path_is_served() -> None:
    from services.programmes.main import app

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The plan") : text.index("## Configuration")]

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])

    documented = {shape(p) for p in re.findall(r"`(/[^`\s]*)`", section) if p != "/"}
    served = {shape(path) for path in app.openapi()["paths"]}
    assert documented, "no paths found in the README's plan section"
    missing = sorted(p for p in documented if p not in served)
    assert not missing, f"README documents paths the service does not serve: {missing}"


def test_the_readme_says_which_lists_page_and_which_come_whole() -> None:
    from services.programmes.main import app

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The plan") : text.index("## Configuration")]
    (sentence,) = re.findall(r"short lists \(([^)]*)\) come whole", section.replace("\n", " "))
    whole = set(re.findall(r"`(/[^`]*)`", sentence))
    api = app.openapi()
    for path, operations in api["paths"].items():
        schema = (
            operations.get("get", {})
            .get("responses", {})
            .get("200", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
        )
        if schema.get("type") == "array":
            # a record's own list sits under the record's path
            assert path in whole or "{" in path, (path, whole)
        elif schema.get("$ref", "").startswith("#/components/schemas/Page_"):
            taken = {p["name"] for p in operations["get"].get("parameters", [])}
            assert {"limit", "offset"} <= taken, path
            assert path not in whole, path
    for path in whole:
        assert (
            api["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
                "type"
            ]
            == "array"
        ), path
