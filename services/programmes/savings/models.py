"""savings: tables to come."""
