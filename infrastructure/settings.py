"""Configuration from ``INCIDENTFLOW_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/incidentflow.sqlite"


class Settings(BaseSettings):
    """Every value can be set by an environment variable (prefix ``INCIDENTFLOW_``)."""

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

    @field_validator("reporting_year_start")
    @classmethod
    def _real_month_and_day(cls, value: str) -> str:
        from projections.reports import parse_year_start

        parse_year_start(value)  # 02-30 or 13-01 is refused at start-up, not on every report
        return value
