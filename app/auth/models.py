"""Users and the roles they hold."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

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

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin",
        order_by="UserRole.role",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

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


def email_key(email: str) -> str:
    """E-mail addresses compare without case and surrounding spaces."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(func.lower(User.email) == email_key(email)))
