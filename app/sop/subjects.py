"""The person a case is opened for, registered on the request form when they have no account yet
(a procedure's `register_subject`: a praja with an NPP, a pegawai with a NIP)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.auth.audit import record_audit
from app.auth.models import User, UserRole, find_user_by_email
from app.auth.roles import role_label
from app.auth.services import create_user, generate_password
from app.errors import DomainError
from app.extensions import db
from app.forms import plain_text_error, strip
from app.org.models import Unit
from app.org.services import add_user_to_units
from app.sop.definitions import Procedure


def register_subject(procedure: Procedure, unit: Unit, actor: User, name: str, number: str,
                     email: str | None = None) -> User:
    """Register the person a case is opened for, who has no account yet (a praja or pegawai the
    staff list): name and number (NPP / NIP), the procedure's subject role, in the case's unit.
    Without an e-mail address the account receives no mail (nor can sign in) until one is set."""
    label = procedure.register_subject or _("Nomor induk")
    name, number, email = strip(name or ""), strip(number or ""), strip(email or "")
    if not name or len(name) > 120 or plain_text_error(name):
        raise DomainError(_("Tuliskan nama orang yang didaftarkan (paling panjang 120 karakter, tanpa < atau >)."),
                          "new_name")
    if not number or len(number) > 40 or plain_text_error(number):
        raise DomainError(_("Tuliskan %(label)s (paling panjang 40 karakter).", label=label), "new_number")
    if email and (len(email) > 254 or "@" not in email.strip("@") or plain_text_error(email) or " " in email):
        raise DomainError(_("Alamat e-mail tidak valid."), "new_email")
    if email and find_user_by_email(email):
        raise DomainError(_("E-mail %(email)s sudah terdaftar; pilih orangnya dari daftar.", email=email), "new_email")
    known = db.session.scalar(db.select(User.id).join(UserRole).where(
        UserRole.role == procedure.subject_role, User.employee_number == number).limit(1))
    if known is not None:
        raise DomainError(_("%(label)s %(number)s sudah terdaftar; pilih orangnya dari daftar.", label=label,
                            number=number), "new_number")
    address = email or f"{''.join(ch for ch in number.lower() if ch.isalnum())}.{unit.code.lower()}@tanpa-email.invalid"
    if find_user_by_email(address):
        raise DomainError(_("%(label)s %(number)s sudah terdaftar; pilih orangnya dari daftar.", label=label,
                            number=number), "new_number")
    user = create_user(address, name, [procedure.subject_role], generate_password(), employee_number=number,
                       notify_email=bool(email))
    add_user_to_units(user, [unit.code])
    record_audit("user.create", user, actor=actor, details={"roles": [procedure.subject_role]},
                 summary=_("%(actor)s mendaftarkan %(name)s (%(label)s %(number)s) sebagai %(role)s.", actor=actor.name,
                           name=name, label=label, number=number, role=role_label(procedure.subject_role)))
    return user
