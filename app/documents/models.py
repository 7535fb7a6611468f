"""Letters and records generated from cases: templates, numbering counters, issued letters."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db


class LetterTemplate(db.Model):
    """An institution's own wording and number format for one document type (else the default)."""

    __tablename__ = "letter_templates"

    doc_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    # "simple": `body` is plain text with {{placeholder}} tokens (app/documents/editor.py turns it
    # into a sandbox template in which everything typed is text); "html": `body` is HTML and Jinja.
    mode: Mapped[str] = mapped_column(String(10), default="html", server_default="html")
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
    """An issued letter: its number is given once; a correction is a new version of it, which
    supersedes the old one. A case step has at most one current letter of a type."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("institution_id", "doc_type", "year", "seq", "version"),
        # Two issues of one step's letter (two tabs, a double click) cannot both stand: the second
        # must be a new version, which supersedes the first (see services.issue_letter).
        Index("uq_letters_current_step_letter", "case_id", "step_key", "doc_type", unique=True,
              sqlite_where=text("superseded_by_id IS NULL"), postgresql_where=text("superseded_by_id IS NULL")),
    )

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
    reason: Mapped[str | None] = mapped_column(String(300))  # why this version was made
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    superseded_by: Mapped[Letter | None] = relationship(remote_side=[id], foreign_keys=[superseded_by_id],
                                                            viewonly=True)
