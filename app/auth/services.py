"""Account rules: password hashing, authentication, creating and editing users."""
from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from app.auth.audit import record_audit
from app.auth.models import User, email_key, find_user_by_email
from app.auth.tokens import PASSWORD_RESET, find_token, issue_token, new_token, spend_tokens
from app.auth.roles import known_roles
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.urls import external_url

MIN_PASSWORD_LENGTH = 8


@cache
def _hasher_for(profile: str) -> tuple[PasswordHasher, str]:
    """The argon2 hasher of a named argon2-cffi profile, and a hash to verify unknown e-mails
    against, so that a wrong e-mail and a wrong password take the same time."""
    hasher = PasswordHasher.from_parameters(getattr(profiles, profile))
    return hasher, hasher.hash(secrets.token_hex(16))


def _hasher() -> tuple[PasswordHasher, str]:
    return _hasher_for(current_app.config["ARGON2_PROFILE"])


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def check_password(user: User | None, password: str) -> bool:
    hasher, dummy = _hasher()
    try:
        return hasher.verify(user.password_hash if user else dummy, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


class EmailNotConfirmed(DomainError):
    """The password was right, but the account's address was never confirmed (self-registered)."""


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same answer for every failure).
    A self-registered account whose address is not confirmed yet is refused with
    EmailNotConfirmed — only to someone who knows its password."""
    user = find_user_by_email(email)
    if not check_password(user, password) or not user.active:
        return None
    if not user.email_confirmed:
        raise EmailNotConfirmed(_("Alamat e-mail akun ini belum dikonfirmasi. Buka tautan yang kami kirim "
                                  "saat Anda mendaftar, atau minta tautan baru."), "password")
    if _hasher()[0].check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def active_users_with_roles(roles, unit_id: int | None = None) -> list[User]:
    """Active users holding any of `roles` (recipients of notices, letters, digests); with
    `unit_id`, only the members of that unit (a role holds in one's own units: access.holds_role)."""
    from app.auth.models import UserRole
    from app.org.services import belongs_to

    if not roles:
        return []
    # their ids first, by the index on the role: in one statement PostgreSQL reads every user
    # (10,000 of them in 3 ms) where looking up the few hundred holders takes 0.3 ms
    ids = db.session.scalars(db.select(UserRole.user_id).where(
        UserRole.role.in_(sorted(roles)), belongs_to(unit_id, UserRole.user_id)).distinct()).all()
    if not ids:
        return []
    return list(db.session.scalars(db.select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.id)))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _check_roles(roles) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in known_roles()]
    if unknown:
        raise DomainError(_("Peran tidak dikenal: %(roles)s", roles=", ".join(unknown)), "roles")
    return roles


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("Kata sandi minimal %(n)d karakter.", n=MIN_PASSWORD_LENGTH), "password"
        )


def create_user(email: str, name: str, roles, password: str, **fields) -> User:
    """Create an active user; refuses a duplicate e-mail, an unknown role or a short password.
    The address counts as confirmed unless `email_confirmed_at=None` is given (self-registration)."""
    fields.setdefault("email_confirmed_at", utcnow())
    roles = _check_roles(roles)
    _check_password(password)
    if find_user_by_email(email):
        raise DomainError(_("E-mail %(email)s sudah terdaftar.", email=email_key(email)), "email")
    user = User(email=email_key(email), name=name.strip(), password_hash=hash_password(password), **fields)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, email: str, name: str, roles, active: bool,
                password: str | None = None, **fields) -> User:
    """Edit a user's details, roles and state; a new password only when one is given (then it
    must be changed at the next login). Removing a role, deactivating or setting a password
    ends the user's sessions."""
    roles = _check_roles(roles)
    other = find_user_by_email(email)
    if other is not None and other.id != user.id:
        raise DomainError(_("E-mail %(email)s sudah terdaftar.", email=email_key(email)), "email")
    if password:
        set_password(user, password, by_admin=True)
    if user.roles - set(roles) or (user.active and not active):
        user.end_other_sessions()
    user.email = email_key(email)
    user.name = name.strip()
    user.active = active
    for key, value in fields.items():
        setattr(user, key, value)
    user.set_roles(roles)
    db.session.flush()
    return user


def set_password(user: User, password: str, *, by_admin: bool) -> None:
    """Give `user` a new password; one set by an admin must be changed at the next login.
    Every other session of the user ends."""
    _check_password(password)
    user.password_hash = hash_password(password)
    user.must_change_password = by_admin
    user.end_other_sessions()


def change_own_password(user: User, current: str, new: str) -> None:
    """The signed-in user replaces their password; the current one is required."""
    if not check_password(user, current):
        raise DomainError(_("Kata sandi saat ini salah."), "current_password")
    if new == current:
        raise DomainError(_("Kata sandi baru harus berbeda dari yang lama."), "password")
    set_password(user, new, by_admin=False)
    record_audit("account.password_change", user, summary=_("%(name)s mengganti kata sandinya.", name=user.name))


def _queue_account_mail(user: User, subject: str, body: str, key: str) -> None:
    # The outbox sits above auth (it imports auth's models), so it is imported when first needed.
    from app.notifications.models import Channel
    from app.notifications.services import enqueue

    enqueue(Channel.EMAIL, user.email, body, key, subject, user=user)


def request_password_reset(email: str) -> None:
    """E-mail a one-time reset link to the active account with this address. Nothing is said
    about whether one exists: the caller shows the same page either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        new_token()  # about the same work as for a real account
        return
    raw, token = issue_token(user, PASSWORD_RESET)
    link = external_url("auth.reset_password", token=raw)
    body = _("Halo %(name)s,\n\nAda permintaan untuk mengatur ulang kata sandi akun Ruang Konseling Anda. "
             "Buka tautan berikut dalam 1 jam untuk membuat kata sandi baru:\n\n%(link)s\n\n"
             "Tautan ini hanya berlaku satu kali. Jika Anda tidak memintanya, abaikan e-mail ini; "
             "kata sandi Anda tidak berubah.", name=user.name, link=link)
    _queue_account_mail(user, _("Atur ulang kata sandi Ruang Konseling"), body,
                        f"password-reset:{token.id}")


def reset_password_by_token(raw_token: str, password: str) -> User:
    """Set a new password through an e-mailed link; the link (and any older one) is spent."""
    token = find_token(raw_token, PASSWORD_RESET)
    if token is None:
        raise DomainError(_("Tautan ini sudah kedaluwarsa atau sudah dipakai."), "password")
    user = token.user
    set_password(user, password, by_admin=False)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()  # the link proved the mailbox
    spend_tokens(user, PASSWORD_RESET)
    record_audit("account.password_reset", user, actor=user,
                 summary=_("%(name)s mengatur ulang kata sandinya lewat tautan e-mail.", name=user.name))
    return user
