"""The README's table of the programmes API names only paths the service serves."""

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
