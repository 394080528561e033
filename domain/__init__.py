"""Incident domain model: the aggregate, its rules and policy. No infrastructure here."""
