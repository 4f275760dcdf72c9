"""The eight sections of the assurance pack (DOMAIN.md, "The assurance pack"), each built by a
module of its own from what the sources read. Every figure carries the id of its record."""
