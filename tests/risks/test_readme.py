"""The README's RAID section names only paths the risks service serves."""

from __future__ import annotations

import re

from services.stack import ROOT


def test_every_documented_raid_path_is_served() -> None:
    from services.risks.main import app

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The RAID log") : text.index("## The plan")]

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])

    documented = {shape(p) for p in re.findall(r"`(?:POST )?(/[^`\s]*)`", section)}
    served = {shape(path) for path in app.openapi()["paths"]}
    assert len(documented) > 20, documented
    missing = sorted(p for p in documented if p not in served)
    assert not missing, f"README documents paths the risks service does not serve: {missing}"
