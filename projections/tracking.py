"""Projection positions: how far along the notification log each read model is.

A read model's rows and its position are written in one transaction, and the position
row is locked first, so concurrent workers never apply an event twice or skip one.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Engine, MetaData, String, Table, select, update
from sqlalchemy.exc import IntegrityError

tracking_metadata = MetaData()

positions = Table(
    "projection_positions",
    tracking_metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("version", String(64), nullable=False),
)


def ensure_position(engine: Engine, name: str, version: str) -> None:
    """Create the position row at 0 if it does not exist (safe when racing other workers)."""
    with engine.begin() as conn:
        if conn.execute(select(positions.c.name).where(positions.c.name == name)).first():
            return
    try:
        with engine.begin() as conn:
            conn.execute(positions.insert().values(name=name, position=0, version=version))
    except IntegrityError:
        pass  # another worker created it first


def lock_position(conn: Connection, name: str) -> int:
    """Lock this projection's position row for the transaction and return the position."""
    conn.execute(update(positions).where(positions.c.name == name).values(position=positions.c.position))
    value = conn.execute(select(positions.c.position).where(positions.c.name == name)).scalar_one()
    return int(value)


def stored_version(conn: Connection, name: str) -> str | None:
    value = conn.execute(select(positions.c.version).where(positions.c.name == name)).scalar()
    return None if value is None else str(value)


def save_position(conn: Connection, name: str, position: int, version: str) -> None:
    conn.execute(update(positions).where(positions.c.name == name).values(position=position, version=version))


def read_position(conn: Connection, name: str) -> int:
    """The position without locking (for status and lag reports)."""
    value = conn.execute(select(positions.c.position).where(positions.c.name == name)).scalar()
    return int(value or 0)
