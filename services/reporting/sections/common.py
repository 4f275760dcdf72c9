"""Small pieces every section uses: people, money, the DCA scale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphql import EnumTypeDefinitionNode, parse

from services.stack import GATEWAY_DIR

# The five-point Delivery Confidence Assessment, greenest first: a lower index is better.
DCA_SCALE = ("Green", "Amber/Green", "Amber", "Amber/Red", "Red")


def person(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {"person_id": value["id"], "name": value["name"]}


def money(value: Any) -> str:
    """Money as an exact decimal string: JSON floats would make the pack's hash depend on
    rounding."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def dca_change(now: str | None, before: str | None) -> str:
    """How the DCA moved since last month: improved, worse, same, new or none."""
    if now is None or now not in DCA_SCALE:
        return "none"
    if before is None or before not in DCA_SCALE:
        return "new"
    step = DCA_SCALE.index(now) - DCA_SCALE.index(before)
    return "same" if step == 0 else ("improved" if step < 0 else "worse")


# The programmes and risks graphs answer statuses and kinds as GraphQL enum names (AMBER_GREEN); the
# pack prints the council's words, as it always has. Where the pack's query reads each enum: a
# field of the object under that parent field (a page's ``items`` is passed through).
READ_AS: dict[str, dict[str, str]] = {
    "latestHighlightReport": {"dca": "DCA", "dcaRag": "CommonRag"},
    "previousHighlightReport": {"dca": "DCA", "dcaRag": "CommonRag"},
    "keyActivities": {"status": "DeliveryStatus"},
    "escalations": {"kind": "EscalationKind", "status": "EscalationStatus"},
    "board": {"kind": "BoardKind"},
    "boards": {"kind": "BoardKind"},
    "savingsInitiatives": {"rag": "SavingsRag"},
    "risks": {"status": "RiskStatus"},
    "riskRegister": {"status": "RiskStatus"},
    "newRisks": {"status": "RiskStatus"},
    "escalatedRisks": {"status": "RiskStatus"},
    # the dependency map's (the pack's query reads no other nodes or edges)
    "nodes": {"kind": "MapNodeKind"},
    "edges": {"status": "DependencyStatus"},
}


def _council_words(enums: set[str]) -> dict[str, dict[str, str]]:
    """Each enum's names and the council's words for them, as the services declare them (each
    value's description: services/common/graphql.py ``graphql_enum``), read from the committed
    supergraph, the schema the pack's query is checked against."""
    document = parse((GATEWAY_DIR / "supergraph.graphql").read_text(), no_location=True)
    return {
        definition.name.value: {
            value.name.value: value.description.value
            for value in definition.values or ()
            if value.description is not None
        }
        for definition in document.definitions
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value in enums
    }


COUNCIL_WORDS = _council_words({enum for fields in READ_AS.values() for enum in fields.values()})


def enum_word(value: str | None) -> str | None:
    """A GraphQL enum name (UPPER_SNAKE) as a word for the page (``AT_RISK`` -> "At risk"), for
    values the pack shows that no table above names."""
    return None if value is None else value.replace("_", " ").capitalize()


def in_council_words(value: Any, parent: str = "") -> Any:
    """What the pack's query answered, each enum name it reads put back into the council's
    words. Words already (a pack's stored data, a test's) and anything else stay as they are."""
    if isinstance(value, list):
        return [in_council_words(item, parent) for item in value]
    if not isinstance(value, dict):
        return value
    enums = READ_AS.get(parent, {})
    return {
        key: COUNCIL_WORDS[enums[key]].get(item, item)
        if key in enums and isinstance(item, str)
        else in_council_words(item, parent if key == "items" else key)
        for key, item in value.items()
    }
