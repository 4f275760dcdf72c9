"""actions: tables to come."""
