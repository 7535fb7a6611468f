"""The institution, its units, the procedures each unit offers, and unit membership."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db


class Institution(db.Model):
    """The institution whose calendar (time zone, closures) and letter counters the app uses."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    # Letterhead (kop surat) and letter numbering
    unit_code: Mapped[str] = mapped_column(String(30), default="P2KLLK", server_default="P2KLLK")
    city: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(120))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_mimetype: Mapped[str | None] = mapped_column(String(40))
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Jakarta")
    # {"0": ["08:00", "16:00"], ...}: weekday (Monday = 0) to opening and closing time.
    office_hours: Mapped[dict] = mapped_column(JSON, default=dict)


class Unit(db.Model):
    """A service unit (P2KLLK, Unit BK, PUSPAGA): its name and letterhead, its working hours, the
    procedures it offers and its members. `institution_name` is the letterhead's first line."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # also the unit part of letter numbers
    name: Mapped[str] = mapped_column(String(200))
    institution_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    city: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(120))
    # Same shape as Institution.office_hours; empty: the institution's hours.
    office_hours: Mapped[dict] = mapped_column(JSON, default=dict)

    institution: Mapped[Institution] = relationship(lazy="joined")
    offers: Mapped[list[UnitProcedure]] = relationship(back_populates="unit", order_by="UnitProcedure.code",
                                                       cascade="all, delete-orphan")


class UnitProcedure(db.Model):
    """A procedure a unit offers (by its code); an admin switches it off and on."""

    __tablename__ = "unit_procedures"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60), index=True)
    enabled: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[Unit] = relationship(back_populates="offers")


class UserUnit(db.Model):
    """A person belongs to a unit: as its staff, or as someone it serves (its students, clients)."""

    __tablename__ = "user_units"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True)

    unit: Mapped[Unit] = relationship(lazy="joined")
    user: Mapped[User] = relationship()
