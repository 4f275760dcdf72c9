"""governance: tables to come."""
