"""Configuration from ``INCIDENTFLOW_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/incidentflow.sqlite"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCIDENTFLOW_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path (embedded) or postgresql+psycopg://user@host:port/db",
    )
    policy_dir: Path | None = Field(
        default=None, description="Directory of policy TOML files; default: the shipped policy."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    tick_seconds: float = Field(
        default=60.0, gt=0, description="How often the scheduler sweeps for due deadlines."
    )
    reporting_year_start: str = Field(
        default="04-01",
        pattern=r"^\d{2}-\d{2}$",
        description="MM-DD on which the board report's reporting year starts.",
    )
    scheduler_in_serve: bool = Field(
        default=True, description="Run the deadline scheduler inside `incidentflow serve`."
    )
