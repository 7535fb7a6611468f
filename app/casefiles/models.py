"""Case files: the requirement documents a unit asks for and the files uploaded to a case, the
informed consent, the unit's assessment sheets (versioned) and a case's filled sheet, and the
categories a unit counts its clients by."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.crypto import register_sealed
from app.database import UTCDateTime, utcnow
from app.extensions import db


class RequiredDocument(db.Model):
    """A document a unit asks its clients to bring (KTP, kartu keluarga, surat rujukan…)."""

    __tablename__ = "casefile_required_documents"
    __table_args__ = (UniqueConstraint("unit_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Upload(db.Model):
    """A file uploaded to a case: stored encrypted under a random name outside the web root."""

    __tablename__ = "casefile_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("casefile_required_documents.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # the name it was uploaded with, cleaned
    kind: Mapped[str] = mapped_column(String(10))  # pdf | jpeg | png, as read from its content
    size: Mapped[int]
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship(lazy="joined")
    requirement: Mapped[RequiredDocument | None] = relationship(lazy="joined")


class Consent(db.Model):
    """The informed consent of a case: who agreed (or refused), who explained, the signature;
    a withdrawal is recorded on the same row and closes the case."""

    __tablename__ = "casefile_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    agreed: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(100))
    explained_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signature_kind: Mapped[str] = mapped_column(String(10))  # typed | drawn
    signature: Mapped[str] = mapped_column(Text)  # the typed name, or a PNG data URL
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(1000))

    explained_by: Mapped[User] = relationship(foreign_keys=[explained_by_id], lazy="joined")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id], lazy="joined")


class AssessmentSheet(db.Model):
    """One version of a unit's assessment sheet (sections of questions); a filled sheet keeps
    the version it was filled with, as a case keeps its procedure version."""

    __tablename__ = "casefile_assessment_sheets"
    __table_args__ = (UniqueConstraint("unit_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    # [{"title": section, "questions": [{"key": "q1", "label": …, "kind": "text" | "textarea"}]}]
    sections: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Assessment(db.Model):
    """A case's filled assessment sheet: the answers sealed (encrypted at rest)."""

    __tablename__ = "casefile_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("casefile_assessment_sheets.id"), index=True)
    sealed: Mapped[str] = mapped_column(Text)
    filled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sheet: Mapped[AssessmentSheet] = relationship(lazy="joined")
    filled_by: Mapped[User] = relationship(lazy="joined")


class ReportCategory(db.Model):
    """A category the unit counts its clients by: kind service | channel | problem."""

    __tablename__ = "casefile_categories"
    __table_args__ = (UniqueConstraint("unit_id", "kind", "label"),
                      Index("ix_casefile_categories_unit_kind", "unit_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


register_sealed(Assessment, "sealed")
