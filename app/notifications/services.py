"""Write messages to the outbox (in the caller's transaction) and deliver them with retries."""
from __future__ import annotations

import base64
import hashlib
import json
import smtplib
import ssl
import urllib.request
from datetime import date, datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _

from app.auth.models import User
from app.database import insert_all, insert_ignore, utcnow
from app.errors import DomainError
from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 12
BATCH = 50


def _row(channel: Channel, recipient: str, body: str, key: str, subject: str = "", html: str | None = None,
         attachments: list[dict] | None = None, user: User | None = None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    return dict(key=key[:200], channel=channel, recipient=recipient, subject=subject[:300], body=body, html=html,
                attachments=attachments or [], user_id=user.id if user else None, status=OutboxStatus.PENDING,
                attempts=0, next_attempt_at=now, created_at=now, last_error=None, sent_at=None)


def enqueue(channel: Channel, recipient: str, body: str, key: str, subject: str = "", html: str | None = None,
            attachments: list[dict] | None = None, user: User | None = None, now: datetime | None = None) -> bool:
    """Queue one message; the same key is queued once only. Returns whether it was new."""
    return insert_ignore(OutboxMessage, **_row(channel, recipient, body, key, subject, html, attachments, user, now))


def attachment(filename: str, mimetype: str, content: bytes) -> dict:
    return {"filename": filename, "mimetype": mimetype, "content": base64.b64encode(content).decode()}


def _rows_for(user: User, subject: str, body: str, key: str, html: str | None, attachments: list[dict] | None,
              when: datetime | None, whatsapp: bool) -> list[dict]:
    """The outbox rows of one message to a user: one per channel they chose."""
    rows = []
    if user.notify_email and user.email:
        rows.append(_row(Channel.EMAIL, user.email, body, f"{key}:email:{user.id}", subject, html, attachments, user,
                         when))
    if whatsapp and user.notify_whatsapp and user.phone:
        text = f"{subject}\n\n{body}" if subject else body
        rows.append(_row(Channel.WHATSAPP, user.phone, text, f"{key}:wa:{user.id}", subject, user=user, now=when))
    return rows


def notify(user: User, subject: str, body: str, key: str, html: str | None = None,
           attachments: list[dict] | None = None, now: datetime | None = None, send_at: datetime | None = None,
           whatsapp: bool = True) -> int:
    """Queue a message to a user on each channel they chose (not before `send_at`).
    Returns how many were queued."""
    return notify_all([user], subject, body, key, html, attachments, now=send_at or now, whatsapp=whatsapp)


def notify_all(users, subject: str, body: str, key: str, html: str | None = None,
               attachments: list[dict] | None = None, now: datetime | None = None, whatsapp: bool = True) -> int:
    """notify() for many people at once (an escalation to every head): a few multi-row inserts,
    each message still queued once per person and channel (its key). Returns how many were new."""
    rows = [r for user in users for r in _rows_for(user, subject, body, key, html, attachments, now, whatsapp)]
    return insert_all(OutboxMessage, rows) if rows else 0


def withdraw(key_prefix: str, user_id: int | None = None) -> int:
    """Withdraw queued messages that are no longer true (keys starting with the prefix; only those
    to `user_id` when given)."""
    statement = db.update(OutboxMessage).where(OutboxMessage.key.startswith(key_prefix, autoescape=True),
                                               OutboxMessage.status == OutboxStatus.PENDING)
    if user_id is not None:
        statement = statement.where(OutboxMessage.user_id == user_id)
    result = db.session.execute(statement.values(status=OutboxStatus.WITHDRAWN,
                                                 last_error="ditarik: waktunya berubah atau dibatalkan"))
    return result.rowcount


# -- delivery -------------------------------------------------------------------------------
class NotConfigured(Exception):
    """The channel has no settings: the message is kept as unsendable, with the reason."""


def message_id(message: OutboxMessage) -> str:
    """The same Message-ID on every delivery of one outbox row, so that a message re-sent after a
    crash between sending and recording is recognisable (and dropped by mail clients) as the same."""
    domain = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "ruang-konseling.local"
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:16]
    return f"<outbox-{message.id}-{digest}@{domain}>"


def _send_email(message: OutboxMessage) -> None:
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Message-ID"] = message_id(message)
    email.set_content(message.body)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for item in message.attachments or []:
        content = base64.b64decode(item["content"])
        if item["mimetype"].startswith("text/calendar"):  # RFC 6047: text, with its iTIP method
            email.add_attachment(content.decode(), subtype="calendar", charset="utf-8", filename=item["filename"],
                                 params={"method": item.get("method", "REQUEST")})
            continue
        maintype, _, subtype = item["mimetype"].partition("/")
        email.add_attachment(content, maintype=maintype, subtype=subtype, filename=item["filename"])
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def _send_whatsapp(message: OutboxMessage) -> None:
    config = current_app.config
    url, token = config["WHATSAPP_GATEWAY_URL"], config["WHATSAPP_GATEWAY_TOKEN"]
    if not url:
        raise NotConfigured("WHATSAPP_GATEWAY_URL belum diatur; pesan tidak dikirim.")
    payload = json.dumps({"to": message.recipient, "message": message.body, "reference": message.key}).encode()
    request = urllib.request.Request(url, data=payload, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - the configured gateway
        if response.status >= 300:
            raise RuntimeError(f"gateway menjawab HTTP {response.status}")


SENDERS = {Channel.EMAIL: _send_email, Channel.WHATSAPP: _send_whatsapp}


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes between tries, at most one hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> dict:
    """Send pending messages whose time has come; each outcome is committed at once, so a
    crash re-sends at most the one message that was on the wire."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0, "unsendable": 0}
    query = (db.select(OutboxMessage.id)
             .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    for message_id in db.session.scalars(query).all():
        message = db.session.get(OutboxMessage, message_id, with_for_update={"skip_locked": True})
        if message is None or message.status != OutboxStatus.PENDING:
            db.session.rollback()
            continue
        try:
            SENDERS[message.channel](message)
        except NotConfigured as exc:
            message.status, message.last_error = OutboxStatus.UNSENDABLE, str(exc)
            counts["unsendable"] += 1
        except Exception as exc:  # any delivery failure is recorded and retried
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
                counts["failed"] += 1
            else:
                message.next_attempt_at = now + backoff(message.attempts)
                counts["retry"] += 1
        else:
            message.attempts += 1
            message.status, message.sent_at, message.last_error = OutboxStatus.SENT, now, None
            counts["sent"] += 1
        db.session.commit()
    return counts


def attention_counts() -> dict[str, int]:
    """How many messages wait or need an admin, per status: counted through the status index,
    never the whole table (sent and withdrawn messages are the bulk and need no one)."""
    wanted = [OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.UNSENDABLE]
    counts = dict(db.session.execute(db.select(OutboxMessage.status, db.func.count())
                                     .where(OutboxMessage.status.in_(wanted)).group_by(OutboxMessage.status)).all())
    return {status.value: counts.get(status, 0) for status in wanted}


MIN_RETENTION_DAYS = 30


def retention_cutoff(before: date | None = None) -> date | None:
    """The day before which delivered messages may go: `before`, else today minus
    OUTBOX_RETENTION_DAYS, else None (keep everything). Never less than MIN_RETENTION_DAYS ago, so
    that a message's idempotency key is kept while anything could still queue it again."""
    today = utcnow().date()
    days = current_app.config.get("OUTBOX_RETENTION_DAYS")
    cutoff = before or (today - timedelta(days=days) if days else None)
    if cutoff is not None and cutoff > today - timedelta(days=MIN_RETENTION_DAYS):
        raise DomainError(_("Masa simpan minimal %(n)d hari: pilih tanggal sebelum %(date)s.", n=MIN_RETENTION_DAYS,
                            date=today - timedelta(days=MIN_RETENTION_DAYS - 1)))
    return cutoff


def archive_outbox(before: date) -> int:
    """Delete the messages delivered (sent) or withdrawn that were created before `before`; the
    pending, failed and unsendable ones stay, whatever their age. Nothing else reads them: the
    compliance report counts steps, not messages. Returns how many were deleted."""
    cutoff = datetime.combine(before, time.min, timezone.utc)
    result = db.session.execute(db.delete(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.WITHDRAWN]), OutboxMessage.created_at < cutoff))
    return result.rowcount


def retry(message: OutboxMessage, now: datetime | None = None) -> None:
    """Put a failed or unsendable message back in the queue (admin action)."""
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now or utcnow()
    message.attempts = 0
