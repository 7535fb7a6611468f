"""One-time links sent by e-mail: issue, look up, spend. Only a hash of the token is stored, so a
copy of the database opens no account. Purposes: `password_reset`, `confirm_email` (a
self-registered account's address) and `set_password` (the first password of an account staff
registered for a walk-in client)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from app.auth.models import User, UserToken
from app.database import utcnow
from app.extensions import db

PASSWORD_RESET = "password_reset"
CONFIRM_EMAIL = "confirm_email"
SET_PASSWORD = "set_password"
LIFETIMES = {PASSWORD_RESET: timedelta(hours=1), CONFIRM_EMAIL: timedelta(hours=24),
             SET_PASSWORD: timedelta(days=3)}


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh random token and its hash (also used to spend equal time when nobody matches)."""
    raw = secrets.token_urlsafe(32)
    return raw, _digest(raw)


def issue_token(user: User, purpose: str, now: datetime | None = None) -> tuple[str, UserToken]:
    """Store a new token for `user`; returns it in clear (for the e-mailed link) and its row."""
    now = now or utcnow()
    raw, digest = new_token()
    token = UserToken(user_id=user.id, purpose=purpose, token_hash=digest, created_at=now,
                      expires_at=now + LIFETIMES[purpose])
    db.session.add(token)
    db.session.flush()
    return raw, token


def find_token(raw: str, purpose: str, now: datetime | None = None) -> UserToken | None:
    """The unused, unexpired token of this purpose whose hash matches, or None."""
    now = now or utcnow()
    token = db.session.scalar(db.select(UserToken).where(
        UserToken.token_hash == _digest(raw[:200]), UserToken.purpose == purpose))
    if token is None or token.used_at is not None or token.expires_at <= now or not token.user.active:
        return None
    return token


def spend_tokens(user: User, purpose: str, now: datetime | None = None) -> None:
    """Mark every open token of this user and purpose as used (the link works once, and an
    older link stops working when a newer one is followed)."""
    db.session.execute(db.update(UserToken).where(
        UserToken.user_id == user.id, UserToken.purpose == purpose, UserToken.used_at.is_(None))
        .values(used_at=now or utcnow()))
