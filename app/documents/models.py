"""Letters and records generated from cases: templates, numbering counters, issued letters."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db


class LetterTemplate(db.Model):
    """An institution's own wording and number format for one document type (else the default)."""

    __tablename__ = "letter_templates"

    doc_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    number_format: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LetterCounter(db.Model):
    """The last number given per institution, type and year; taken under a row lock."""

    __tablename__ = "letter_counters"

    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class Letter(db.Model):
    """An issued letter: its number is given once; a correction is a new version of it."""

    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("institution_id", "doc_type", "year", "seq", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    doc_type: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    seq: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    number: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    step_key: Mapped[str | None] = mapped_column(String(40))
    verify_code: Mapped[str] = mapped_column(String(40), unique=True)
    signer_name: Mapped[str] = mapped_column(String(160))
    signer_position: Mapped[str | None] = mapped_column(String(160))
    signer_nip: Mapped[str | None] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
