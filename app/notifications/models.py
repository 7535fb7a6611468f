"""The outbox: every e-mail and WhatsApp/SMS message, written in the transaction that causes it."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, state_enum, utcnow
from app.extensions import db


class Channel(enum.StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry
    UNSENDABLE = "unsendable"  # no channel configured; kept with the reason
    WITHDRAWN = "withdrawn"  # no longer true (a reminder for a time that moved): never sent


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # The outbox screen pages newest first, with or without a status filter (keyset).
        Index("ix_outbox_messages_created_at_id", "created_at", "id"),
        Index("ix_outbox_messages_status_created_at_id", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency key
    channel: Mapped[Channel] = mapped_column(state_enum(Channel))
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    # [{"filename": ..., "mimetype": ..., "content": base64}, ...]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(state_enum(OutboxStatus),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
