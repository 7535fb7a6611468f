"""The audit log: who changed which account, role, template or setting, when and from where.

Append-only: no route edits or deletes an event, and the ORM refuses to update or delete one.
Every domain records through `record_audit(...)` (auth is the lowest layer, so all may import it).
"""
from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db

# Action codes and how the audit screen names them.
ACTIONS = {
    "user.create": _l("Akun dibuat"),
    "user.update": _l("Akun diubah"),
    "user.activate": _l("Akun diaktifkan"),
    "user.deactivate": _l("Akun dinonaktifkan"),
    "user.role_grant": _l("Peran diberikan"),
    "user.role_revoke": _l("Peran dicabut"),
    "user.password_set": _l("Kata sandi diatur admin"),
    "account.password_change": _l("Kata sandi diganti pemiliknya"),
    "account.password_reset": _l("Kata sandi diatur ulang lewat e-mail"),
    "account.register": _l("Pendaftaran mandiri"),
    "account.confirm_email": _l("E-mail dikonfirmasi"),
    "user.confirm_email": _l("E-mail dipastikan admin"),
    "account.profile": _l("Profil diubah pemiliknya"),
    "template.update": _l("Templat surat diubah"),
    "letterhead.update": _l("Kop surat diubah"),
    "calendar.closure_add": _l("Hari libur/koreksi kalender ditambah"),
    "calendar.closure_delete": _l("Hari libur/koreksi kalender dihapus"),
    "outbox.retry": _l("Pesan kotak keluar dikirim ulang"),
}

SECRET_WORDS = ("password", "token", "secret", "hash", "sandi")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: the system (CLI)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def action_label(self) -> str:
        return str(ACTIONS.get(self.action, self.action))


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target):
    raise PermissionError("audit events are append-only")


def _clean(details):
    """Details without anything that looks like a password, token or other secret."""
    if isinstance(details, dict):
        return {str(k): _clean(v) for k, v in details.items()
                if not any(word in str(k).lower() for word in SECRET_WORDS)}
    if isinstance(details, (list, tuple, set)):
        return [_clean(v) for v in (sorted(details) if isinstance(details, set) else details)]
    if details is None or isinstance(details, (bool, int, float)):
        return details
    return str(details)[:500]


def _target(target) -> tuple[str | None, str | None]:
    if target is None:
        return None, None
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind)[:40], str(ident)[:64]
    return target.__tablename__, str(target.id)


def record_audit(action: str, target=None, *, summary: str, details: dict | None = None,
                 actor: User | None = None) -> AuditEvent:
    """Append one event. `target` is a model instance or a (type, id) pair; the actor is the
    signed-in user of the current request unless given (None outside requests: "sistem")."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    target_type, target_id = _target(target)
    address = request.remote_addr if has_request_context() else None
    audit_event = AuditEvent(
        at=utcnow(), actor_id=actor.id if actor else None, action=action, target_type=target_type,
        target_id=target_id, summary=str(summary)[:500], details=_clean(details or {}),
        remote_addr=address[:64] if address else None)
    db.session.add(audit_event)
    db.session.flush()
    return audit_event
