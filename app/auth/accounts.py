"""Accounts people make themselves, and the profile every request form reuses.

- Self-registration (`register_account`) for the roles the installation allows
  (`SELF_REGISTER_ROLES`, never a role with staff rights). The account cannot sign in until the
  e-mailed confirmation link is followed and the password chosen at registration is given again
  (`confirm_email`): a link opened by a mail scanner confirms nothing, and someone who registered
  another person's address first gains nothing when that person follows the link.
- The answer never says whether an address has an account: the same page, and an e-mail to the
  address's owner only (a confirmation link, or "you already have an account").
- Staff register walk-in clients (`register_walk_in`): the client gets a link to choose their
  own password; following it also confirms the address.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _

from app.auth.audit import record_audit
from app.auth.models import User, email_key, find_user_by_email
from app.auth.roles import role_label
from app.auth.services import (_check_password, _queue_account_mail, check_password, create_user,
                               generate_password, hash_password, set_password)
from app.auth.tokens import (CONFIRM_EMAIL, LIFETIMES, SET_PASSWORD, find_token, issue_token, new_token,
                             spend_tokens)
from app.database import utcnow
from app.urls import external_url
from app.errors import DomainError

# Sent with the new user (and the staff member who registered them, if any): the units the person
# belongs to are another domain's business (app/sop/offerings.py).
account_created = Namespace().signal("account-created")

# The most self-registration may ever grant: roles that read nothing but their own cases.
SELF_SERVICE_ROLES = ("alumni", "student", "client", "employee")
# What staff may register a walk-in person as.
WALK_IN_ROLES = ("client", "alumni", "student")


def self_register_roles() -> list[str]:
    """The roles /register offers, from the SELF_REGISTER_ROLES setting, in its order."""
    wanted = [r.strip() for r in str(current_app.config.get("SELF_REGISTER_ROLES") or "").split(",")]
    return [r for r in dict.fromkeys(wanted) if r in SELF_SERVICE_ROLES]


def _link(endpoint: str, raw: str) -> str:
    return external_url(endpoint, token=raw)


def _hours(purpose: str) -> int:
    return int(LIFETIMES[purpose].total_seconds() // 3600)


def _send_confirmation(user: User, now: datetime | None = None) -> None:
    raw, token = issue_token(user, CONFIRM_EMAIL, now)
    body = _("Halo %(name)s,\n\nTerima kasih telah mendaftar di Ruang Konseling sebagai %(role)s. Buka tautan "
             "berikut dalam %(hours)d jam untuk mengaktifkan akun Anda, lalu masukkan kata sandi yang Anda buat "
             "saat mendaftar:\n\n%(link)s\n\nTautan ini hanya berlaku satu kali. Jika Anda tidak mendaftar, "
             "abaikan e-mail ini; akun tidak akan aktif.", name=user.name,
             role=", ".join(role_label(r) for r in sorted(user.roles)), hours=_hours(CONFIRM_EMAIL),
             link=_link("auth.confirm_email", raw))
    _queue_account_mail(user, _("Konfirmasi pendaftaran Ruang Konseling"), body, f"confirm-email:{token.id}")


def _send_already_registered(user: User) -> None:
    body = _("Halo %(name)s,\n\nAda yang mencoba mendaftar di Ruang Konseling dengan alamat e-mail ini, padahal "
             "alamat ini sudah memiliki akun. Jika itu Anda, silakan masuk:\n\n%(login)s\n\nLupa kata sandi? "
             "Minta tautan baru di:\n\n%(forgot)s\n\nJika bukan Anda, abaikan e-mail ini; akun Anda tidak berubah.",
             name=user.name, login=external_url("auth.login"), forgot=external_url("auth.forgot_password"))
    _queue_account_mail(user, _("Alamat e-mail Anda sudah terdaftar di Ruang Konseling"), body,
                        f"register-existing:{user.id}:{secrets.token_hex(8)}")


def register_account(email: str, name: str, role: str, password: str, now: datetime | None = None) -> None:
    """Register a person in an allowed role; the account works once its address is confirmed.
    Says nothing about whether the address had an account: its owner hears by e-mail."""
    if role not in self_register_roles():
        raise DomainError(_("Peran ini tidak dapat dipilih saat mendaftar sendiri."), "role")
    _check_password(password)
    existing = find_user_by_email(email)
    if existing is None:
        user = create_user(email, name, [role], password, email_confirmed_at=None, created_at=now or utcnow())
        account_created.send(user, actor=None)
        record_audit("account.register", user, actor=user, details={"roles": [role]},
                     summary=_("%(name)s mendaftar sendiri sebagai %(role)s.", name=user.name, role=role_label(role)))
        _send_confirmation(user, now)
        return
    hash_password(password)  # about the same work as for a new account
    if not existing.active:
        return
    if existing.email_confirmed:
        _send_already_registered(existing)
    else:  # registered before, never confirmed: the link again (the first registration's password stays)
        _send_confirmation(existing, now)


def resend_confirmation(email: str, now: datetime | None = None) -> None:
    """A fresh confirmation link for an active, unconfirmed account with this address; nothing
    (and nothing said) otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.active or user.email_confirmed:
        new_token()
        return
    _send_confirmation(user, now)


def confirm_email(raw_token: str, password: str, now: datetime | None = None) -> User:
    """Follow the confirmation link: with the password chosen at registration, the address is
    confirmed and every confirmation link of the account is spent."""
    now = now or utcnow()
    token = find_token(raw_token, CONFIRM_EMAIL, now)
    if token is None:
        raise DomainError(_("Tautan konfirmasi ini sudah kedaluwarsa atau sudah dipakai."), "password")
    user = token.user
    if not check_password(user, password):
        raise DomainError(_("Kata sandi tidak cocok dengan pendaftaran ini. Lupa kata sandi? Minta tautan "
                            "atur ulang kata sandi; tautan itu juga mengaktifkan akun."), "password")
    user.email_confirmed_at = user.email_confirmed_at or now
    spend_tokens(user, CONFIRM_EMAIL, now)
    record_audit("account.confirm_email", user, actor=user,
                 summary=_("%(name)s mengonfirmasi alamat e-mailnya.", name=user.name))
    return user


def register_walk_in(actor: User, email: str, name: str, role: str, now: datetime | None = None,
                     **profile) -> User:
    """Staff register a walk-in client, student or alumnus; the person gets an e-mailed link to
    choose their own password (valid 3 days), which also confirms the address."""
    if role not in WALK_IN_ROLES:
        raise DomainError(_("Peran ini tidak dapat dipilih untuk klien datang langsung."), "role")
    if find_user_by_email(email):
        raise DomainError(_("E-mail %(email)s sudah terdaftar.", email=email_key(email)), "email")
    user = create_user(email, name, [role], generate_password(), email_confirmed_at=None,
                       **{k: v for k, v in profile.items() if v not in (None, "")})
    account_created.send(user, actor=actor)
    record_audit("user.create", user, actor=actor, details={"roles": [role], "walk_in": True},
                 summary=_("%(actor)s mendaftarkan %(name)s sebagai %(role)s.", actor=actor.name, name=user.name,
                           role=role_label(role)))
    raw, token = issue_token(user, SET_PASSWORD, now)
    body = _("Halo %(name)s,\n\n%(actor)s telah mendaftarkan Anda di Ruang Konseling sebagai %(role)s. Buka tautan "
             "berikut dalam %(days)d hari untuk membuat kata sandi Anda sendiri:\n\n%(link)s\n\nTautan ini hanya "
             "berlaku satu kali. Setelah itu Anda dapat masuk dengan alamat e-mail ini.", name=user.name,
             actor=actor.name, role=role_label(role), days=LIFETIMES[SET_PASSWORD].days,
             link=_link("auth.set_first_password", raw))
    _queue_account_mail(user, _("Akun Ruang Konseling Anda sudah dibuat"), body, f"set-password:{token.id}")
    return user


def set_first_password(raw_token: str, password: str, now: datetime | None = None) -> User:
    """The walk-in person chooses their password through the e-mailed link (works once); the
    address counts as confirmed."""
    now = now or utcnow()
    token = find_token(raw_token, SET_PASSWORD, now)
    if token is None:
        raise DomainError(_("Tautan ini sudah kedaluwarsa atau sudah dipakai."), "password")
    user = token.user
    set_password(user, password, by_admin=False)
    user.email_confirmed_at = user.email_confirmed_at or now
    spend_tokens(user, SET_PASSWORD, now)
    spend_tokens(user, CONFIRM_EMAIL, now)
    record_audit("account.password_reset", user, actor=user,
                 summary=_("%(name)s membuat kata sandi pertamanya lewat tautan e-mail.", name=user.name))
    return user


# -- the profile ----------------------------------------------------------------------------
_PHONE_SEPARATORS = re.compile(r"[\s().-]")


def normalise_whatsapp(text: str | None) -> str | None:
    """An Indonesian mobile number as +62…: accepts 0812…, 62812…, +62 812-…, 812…; None when
    empty; a DomainError for anything else."""
    digits = _PHONE_SEPARATORS.sub("", text or "")
    if not digits:
        return None
    for prefix in ("+62", "62", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
            break
    if not (digits.isascii() and digits.isdigit() and digits.startswith("8") and 9 <= len(digits) <= 12):
        raise DomainError(_("Nomor WhatsApp tidak valid: tulis nomor ponsel Indonesia, mis. 0812 3456 7890."),
                          "whatsapp")
    return "+62" + digits


PROFILE_FIELDS = ("name", "nim", "prodi", "graduation_year", "whatsapp")


def update_profile(user: User, **values) -> User:
    """The owner fills or corrects their profile (name, NIM, prodi, year of graduation, WhatsApp)."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    if "whatsapp" in values:
        values["whatsapp"] = normalise_whatsapp(values["whatsapp"])
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None
        if key == "name" and not value:
            raise DomainError(_("Nama wajib diisi."), "name")
        setattr(user, key, value)
    return user


NIM = re.compile(r"^[0-9A-Za-z./ -]+$")  # what a NIM (or a praja's number) is written with


def remember_profile(user: User, values: dict) -> None:
    """What a person typed on their own request fills the blanks of their profile (NIM, prodi), for
    the next request to prefill (profile_values), when the profile form would take it; what the
    profile holds is never overwritten."""
    from app.forms import plain_text_error

    fits = {"nim": NIM.fullmatch, "prodi": lambda value: not plain_text_error(value)}
    for key, fit in fits.items():
        value = values.get(key)
        value = value.strip() if isinstance(value, str) else None
        if value and not getattr(user, key) and len(value) <= User.__table__.c[key].type.length and fit(value):
            setattr(user, key, value)


def profile_values(user: User) -> dict:
    """What a request form may prefill from the profile, under the field keys procedures use."""
    values = {"nim": user.nim, "prodi": user.prodi, "phone": user.phone, "whatsapp": user.phone,
              "graduation_year": user.graduation_year}
    return {key: value for key, value in values.items() if value not in (None, "")}
