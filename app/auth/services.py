"""Account rules: password hashing, authentication, creating and editing users."""
from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from app.auth.models import User, email_key, find_user_by_email
from app.auth.roles import known_roles
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db

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


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same answer for every failure)."""
    user = find_user_by_email(email)
    if not check_password(user, password) or not user.active:
        return None
    if _hasher()[0].check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def active_users_with_roles(roles) -> list[User]:
    """Active users holding any of `roles` (recipients of notices, letters, digests)."""
    from app.auth.models import UserRole

    if not roles:
        return []
    return list(db.session.scalars(db.select(User).join(UserRole).where(
        UserRole.role.in_(list(roles)), User.active.is_(True)).distinct().order_by(User.id)))


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
    """Create an active user; refuses a duplicate e-mail, an unknown role or a short password."""
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
    """Edit a user's details, roles and state; a new password only when one is given."""
    roles = _check_roles(roles)
    other = find_user_by_email(email)
    if other is not None and other.id != user.id:
        raise DomainError(_("E-mail %(email)s sudah terdaftar.", email=email_key(email)), "email")
    if password:
        _check_password(password)
        user.password_hash = hash_password(password)
    user.email = email_key(email)
    user.name = name.strip()
    user.active = active
    for key, value in fields.items():
        setattr(user, key, value)
    user.set_roles(roles)
    db.session.flush()
    return user
