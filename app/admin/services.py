"""What an admin may do to accounts, each step recorded in the audit log.

Admins cannot change their own roles or deactivate themselves; a password they set must be
changed at the owner's next login; granting a role that reads confidential counseling content
is announced by e-mail to every active head.
"""
from __future__ import annotations

from flask_babel import gettext as _

from app.auth.audit import record_audit
from app.auth.models import User
from app.auth.roles import role_label, sensitive
from app.auth.services import active_users_with_roles, create_user, update_user
from app.auth.tokens import CONFIRM_EMAIL, spend_tokens
from app.database import utcnow
from app.errors import DomainError
from app.notifications.models import Channel
from app.notifications.services import enqueue

DETAIL_FIELDS = ("email", "name", "phone", "employee_number")


def _labels(codes) -> str:
    return ", ".join(role_label(code) for code in sorted(codes))


def _announce_sensitive_grant(actor: User, user: User, roles: set[str], event_id: int) -> None:
    """Tell every active head that someone may now read confidential counseling content."""
    subject = _("Peran dengan akses konten rahasia diberikan kepada %(name)s", name=user.name)
    body = _("%(actor)s memberi %(name)s (%(email)s) peran %(roles)s. Peran ini dapat membaca isi "
             "konseling yang rahasia. Jika pemberian ini tidak semestinya, hubungi admin dan lihat "
             "log audit.", actor=actor.name if actor else _("sistem"), name=user.name, email=user.email,
             roles=_labels(roles))
    for head in active_users_with_roles(["head"]):
        enqueue(Channel.EMAIL, head.email, body, f"role-grant:{event_id}:{head.id}", subject, user=head)


def _announce_credentials_change(actor: User, user: User, old_email: str, event_id: int) -> None:
    """An admin set the password or the address of an account: the owner hears of it at the address
    they had, and for an account that can read counseling content, so does every head — an admin
    must not be able to become a counselor unnoticed."""
    subject = _("Kata sandi atau e-mail akun %(name)s diubah oleh admin", name=user.name)
    body = _("%(actor)s mengubah kata sandi atau alamat e-mail akun %(name)s (%(email)s). Jika perubahan ini "
             "tidak semestinya, hubungi kepala unit dan lihat log audit.", actor=actor.name, name=user.name,
             email=user.email)
    enqueue(Channel.EMAIL, old_email, body, f"credentials:{event_id}:owner", subject, user=user)
    if sensitive(user.roles):
        for head in active_users_with_roles(["head"]):
            if head.id != user.id:
                enqueue(Channel.EMAIL, head.email, body, f"credentials:{event_id}:{head.id}", subject, user=head)


def _record_roles(actor: User | None, user: User, added: set[str], removed: set[str]) -> None:
    if added:
        event = record_audit("user.role_grant", user, actor=actor, details={"roles": sorted(added)},
                             summary=_("Peran %(roles)s diberikan kepada %(name)s.", roles=_labels(added), name=user.name))
        if sensitive(added):
            _announce_sensitive_grant(actor, user, sensitive(added), event.id)
    if removed:
        record_audit("user.role_revoke", user, actor=actor, details={"roles": sorted(removed)},
                     summary=_("Peran %(roles)s dicabut dari %(name)s.", roles=_labels(removed), name=user.name))


def _record_state(actor: User | None, user: User) -> None:
    action = "user.activate" if user.active else "user.deactivate"
    summary = (_("Akun %(name)s diaktifkan.", name=user.name) if user.active
               else _("Akun %(name)s dinonaktifkan.", name=user.name))
    record_audit(action, user, actor=actor, summary=summary)


def admin_create_user(actor: User | None, *, email: str, name: str, roles, password: str,
                      active: bool = True, must_change_password: bool = True, **fields) -> User:
    """Create an account (by an admin, or by the command line when `actor` is None) whose password
    must be changed at its first login unless its owner chose it."""
    user = create_user(email=email, name=name, roles=roles, password=password,
                       must_change_password=must_change_password, **fields)
    user.active = active
    record_audit("user.create", user, actor=actor, details={"roles": sorted(user.roles), "active": active},
                 summary=_("Akun %(name)s (%(email)s) dibuat.", name=user.name, email=user.email))
    _record_roles(actor, user, set(user.roles), set())
    return user


def admin_update_user(actor: User, user: User, *, roles, active: bool, password: str | None = None,
                      confirm_email: bool = False, **fields) -> User:
    """Edit an account (one's own only in its details: not its roles, state or password); a
    self-registered address whose link never came may be confirmed by the admin who made sure of
    it, with a temporary password they give in person (the one chosen when registering may be
    anyone's); every change is recorded."""
    if user.id == actor.id and set(roles) != user.roles:
        raise DomainError(_("Anda tidak dapat mengubah peran Anda sendiri; minta admin lain."), "roles")
    if user.id == actor.id and not active:
        raise DomainError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."), "active")
    if user.id == actor.id and password:
        raise DomainError(_("Ganti kata sandi Anda sendiri di halaman Ganti kata sandi (perlu kata sandi saat ini)."),
                          "password")
    confirming = confirm_email and not user.email_confirmed
    if confirming and not password:  # the password chosen when registering may be anyone's
        raise DomainError(_("Isi kata sandi sementara untuk Anda sampaikan sendiri kepada pengguna: kata sandi "
                            "pendaftarannya tidak berlaku lagi setelah alamatnya Anda pastikan."), "password")
    before_roles, before_active = set(user.roles), user.active
    before = {key: getattr(user, key) for key in DETAIL_FIELDS}
    update_user(user, roles=roles, active=active, password=password, **fields)
    changed = [key for key in DETAIL_FIELDS if getattr(user, key) != before[key]]
    if changed:
        record_audit("user.update", user, actor=actor, details={"fields": changed},
                     summary=_("Data akun %(name)s diubah.", name=user.name))
    _record_roles(actor, user, user.roles - before_roles, before_roles - user.roles)
    if user.active != before_active:
        _record_state(actor, user)
    if confirming:  # with the new password: whoever registered the address cannot sign in with theirs
        user.email_confirmed_at = utcnow()
        spend_tokens(user, CONFIRM_EMAIL)
        record_audit("user.confirm_email", user, actor=actor,
                     summary=_("Admin memastikan alamat e-mail %(name)s; akun dapat dipakai masuk.", name=user.name))
    if password:
        event = record_audit("user.password_set", user, actor=actor,
                             summary=_("Admin mengatur kata sandi baru untuk %(name)s; wajib diganti saat masuk.",
                                       name=user.name))
    if password or user.email != before["email"]:
        event = event if password else record_audit("user.email_change", user, actor=actor,
                                                    summary=_("E-mail akun %(name)s diubah.", name=user.name))
        _announce_credentials_change(actor, user, before["email"], event.id)
    return user


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate another account."""
    if user.id == actor.id and not active:
        raise DomainError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."), "active")
    if user.active == active:
        return
    if not active:
        user.end_other_sessions()
    user.active = active
    _record_state(actor, user)
