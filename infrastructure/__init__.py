"""Adapters: persistence wiring, HTTP API, CLI, settings."""
