"""A disposisi: a leader's written instruction on a report, from whom to whom, with the standard
choices of a lembar disposisi, free text and a deadline; done (by whom, when) once its recipient
acted on it. The dispositions of one case, in order, are its chain (kepala unit → kepala biro →
rektor → back to the unit that carries it out)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db


class Disposition(db.Model):
    """One link of a case's disposisi chain."""

    __tablename__ = "dispositions"
    __table_args__ = (
        # "Tugas saya" reads the open dispositions addressed to a user.
        Index("ix_dispositions_to_user_id_done_at", "to_user_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # The step that gave it (a step declaring `screen: disposisi`) and its pass.
    step_key: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(default=1)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_role: Mapped[str] = mapped_column(String(40))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_role: Mapped[str] = mapped_column(String(40))
    # Codes of the standard choices ticked, comma-separated (app/dispositions/services.py INSTRUCTIONS).
    instructions: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(String(1000))
    due_on: Mapped[date] = mapped_column(Date)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Where it was acted on: the step (a further disposition, or carrying it out) and what was done.
    done_step: Mapped[str | None] = mapped_column(String(40))
    done_note: Mapped[str | None] = mapped_column(String(1000))

    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id], lazy="joined")
    to_user: Mapped[User] = relationship(foreign_keys=[to_user_id], lazy="joined")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id], lazy="joined")

    @property
    def codes(self) -> list[str]:
        return [c for c in self.instructions.split(",") if c]
