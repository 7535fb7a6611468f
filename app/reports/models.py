"""Compliance figures kept as they are made: per procedure, step and local day (and month), the
counts and the sorted durations of the step passes done then (app/reports/rollups.py)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class StepRollup(db.Model):
    """Step passes done in one local day (grain "day") or month (grain "month", `start` its first
    day) for one procedure step: how many, how many had a standard time, how many were within it,
    the largest standard, and every duration (sorted, packed 32-bit integers) for exact percentiles."""

    __tablename__ = "step_rollups"
    __table_args__ = (Index("uq_step_rollups_grain_start_code_key", "grain", "start", "code", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(5))  # day | month
    start: Mapped[date] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(40))
    done: Mapped[int] = mapped_column(default=0)
    timed: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    # Passes without a duration (never activated): counted, and ranked last as PostgreSQL ranks NULLs.
    unknown: Mapped[int] = mapped_column(default=0)
    standard: Mapped[int | None]
    minutes: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
