"""Where each read model is along the notification log, and which generation of its
tables is live.

One row per (view, generation). The live generation is ``active``; a rebuild fills a
``building`` one beside it and swaps them. A view's rows and its position are written in
one transaction, after locking its row, so concurrent workers never apply an event twice
or skip one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

tracking_metadata = MetaData()

positions = Table(
    "projection_positions",
    tracking_metadata,
    Column("name", String(64), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("state", String(12), nullable=False),  # active | building | retired
    Column("position", BigInteger, nullable=False),
    Column("version", String(80), nullable=False),
)

ACTIVE = "active"
BUILDING = "building"
RETIRED = "retired"


@dataclass(frozen=True)
class Generation:
    name: str
    generation: int
    state: str
    position: int
    version: str


def generations(conn: Connection, name: str) -> list[Generation]:
    rows = conn.execute(select(positions).where(positions.c.name == name).order_by(positions.c.generation))
    return [Generation(r.name, r.generation, r.state, int(r.position), r.version) for r in rows]


def active(conn: Connection, name: str) -> Generation | None:
    return next((g for g in generations(conn, name) if g.state == ACTIVE), None)


def create_generation(engine: Engine, name: str, version: str, state: str) -> int | None:
    """Add a generation at position 0; None if another worker added the first one."""
    with engine.begin() as conn:
        existing = generations(conn, name)
        if state == ACTIVE and any(g.state == ACTIVE for g in existing):
            return None
        number = max((g.generation for g in existing), default=0) + 1
        try:
            conn.execute(
                positions.insert().values(
                    name=name, generation=number, state=state, position=0, version=version
                )
            )
        except IntegrityError:
            return None
    return number


def lock(conn: Connection, name: str, generation: int) -> int:
    """Lock one generation's row for this transaction; return its position."""
    row = (positions.c.name == name) & (positions.c.generation == generation)
    conn.execute(update(positions).where(row).values(position=positions.c.position))
    return int(conn.execute(select(positions.c.position).where(row)).scalar_one())


def lock_view(conn: Connection, name: str) -> None:
    """Lock every generation row of a view for this transaction (a swap)."""
    conn.execute(update(positions).where(positions.c.name == name).values(position=positions.c.position))


def save(conn: Connection, name: str, generation: int, position: int) -> None:
    row = (positions.c.name == name) & (positions.c.generation == generation)
    conn.execute(update(positions).where(row).values(position=position))


def set_state(conn: Connection, name: str, generation: int, state: str) -> None:
    row = (positions.c.name == name) & (positions.c.generation == generation)
    conn.execute(update(positions).where(row).values(state=state))
