"""Users and the roles they hold."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from app.database import UTCDateTime, utcnow
from app.extensions import db


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    employee_number: Mapped[str | None] = mapped_column(String(40))  # NIP / NIDN / NIM
    position: Mapped[str | None] = mapped_column(String(160))  # jabatan, printed under a signature
    locale: Mapped[str | None] = mapped_column(String(8))
    notify_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_whatsapp: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A password an admin set (or generated) must be replaced by its owner at the next login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Part of the session's user id: raising it ends every session signed with the old value.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # When the owner proved the address by following an e-mailed link. Accounts an admin or the
    # command line creates count as confirmed at creation; self-registered ones start at None and
    # cannot sign in until the confirmation link is followed.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The profile every request form reuses (filled once by the owner, app/auth/accounts.py).
    nim: Mapped[str | None] = mapped_column(String(40))
    prodi: Mapped[str | None] = mapped_column(String(120))
    graduation_year: Mapped[int | None]
    # The WhatsApp number is the `phone` notifications already send to (normalised +62…).
    whatsapp = synonym("phone")

    # Loaded with the signed-in user in one query (the user loader) and by lists that show them;
    # other users (a case's assignee, an appointment's counselor) load them only when asked.
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.role",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def get_id(self) -> str:
        """Flask-Login's alternative token: "id:version", checked by the user loader."""
        return f"{self.id}:{self.session_version}"

    def end_other_sessions(self) -> None:
        """Sessions signed with the previous version stop counting at their next request."""
        self.session_version = (self.session_version or 1) + 1

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *codes: str) -> bool:
        return bool(self.roles.intersection(codes))

    def set_roles(self, codes) -> None:
        wanted = set(codes)
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            UserRole(role=code) for code in sorted(wanted - self.roles)
        ]

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.name.split()[:3]).upper()

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class UserToken(db.Model):
    """A one-time link sent by e-mail (password reset, e-mail confirmation, a first password for
    an account staff registered): only its hash is kept; it expires and works once."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


def email_key(email: str) -> str:
    """E-mail addresses compare without case and surrounding spaces."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(func.lower(User.email) == email_key(email)))
