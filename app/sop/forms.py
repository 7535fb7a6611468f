"""Forms built from a procedure's field definitions (case fields, a step's inputs), and the
working-calendar form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, SelectField,
                     StringField, TextAreaField, URLField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, URL

from app.auth.models import User, UserRole
from app.auth.roles import role_label
from app.extensions import db
from app.forms import BaseForm, InCalendar, PlainText, WholeNumberField, strip
from app.org.services import belongs_to
from app.sop.definitions import Field


def _required(field: Field):
    return [DataRequired(_l("%(label)s wajib diisi.", label=field.label))] if field.required else [Optional()]


def _form_field(field: Field):
    label, help_text = field.label, field.help or ""
    if field.type == "textarea":
        return TextAreaField(label, filters=[strip], description=help_text, validators=_required(field) + [
            Length(max=field.max, message=_l("Paling panjang %(n)d karakter.", n=field.max))])
    if field.type == "date":
        return DateField(label, description=help_text, validators=_required(field) + [InCalendar()],
                         render_kw={"type": "date"})
    if field.type == "datetime":
        return DateTimeLocalField(label, format="%Y-%m-%dT%H:%M", description=help_text,
                                  validators=_required(field) + [InCalendar()])
    if field.type == "choice":
        return SelectField(label, choices=[SelectChoice("", _l("— pilih —"))] + [SelectChoice(o) for o in field.options],
                           description=help_text, validators=_required(field))
    if field.type == "boolean":
        validators = [DataRequired(_l("%(label)s harus dicentang.", label=field.label))] if field.required else []
        return BooleanField(label, description=help_text, validators=validators)
    if field.type == "number":
        validators = ([InputRequired(_l("%(label)s wajib diisi dengan angka.", label=field.label))]
                      if field.required else [Optional()])
        return WholeNumberField(label, description=help_text, validators=validators + [
            NumberRange(min=0, max=10**9, message=_l("Angka harus antara 0 dan 1.000.000.000."))])
    if field.type == "user":
        return SelectField(label, coerce=str, description=help_text, validators=_required(field))
    if field.type == "email":
        return EmailField(label, filters=[strip], description=help_text, validators=_required(field) + [
            Email(_l("Alamat e-mail tidak valid."), check_deliverability=False), Length(max=254)])
    if field.type == "url":
        return URLField(label, filters=[strip], description=help_text, validators=_required(field) + [
            URL(message=_l("Tautan tidak valid (awali dengan https://).")),
            Length(max=field.max, message=_l("Paling panjang %(n)d karakter.", n=field.max))])
    return StringField(label, filters=[strip], description=help_text, validators=_required(field) + [
        Length(max=field.max, message=_l("Paling panjang %(n)d karakter.", n=field.max)), PlainText()])


def build_form(fields: tuple[Field, ...], base: type = BaseForm, unit_id: int | None = None, **kwargs) -> BaseForm:
    """A form with one input per field; user pickers list active users of the field's role in the
    case's unit `unit_id` (a role holds in one's own units). A domain's screen passes its own form
    as `base` to add the step's inputs to its fields."""
    form_class = type("ProcedureForm", (base,), {f.key: _form_field(f) for f in fields})
    form = form_class(**kwargs)
    pickers = [f for f in fields if f.type == "user"]
    if pickers:
        roles = {f.role for f in pickers}
        rows = db.session.execute(db.select(User.id, User.name, UserRole.role).join(UserRole).where(
            UserRole.role.in_(roles), User.active.is_(True), belongs_to(unit_id, User.id)).order_by(User.name)).all()
        for f in pickers:
            getattr(form, f.key).choices = [SelectChoice("", _l("— pilih —"))] + [
                SelectChoice(str(r.id), r.name) for r in rows if r.role == f.role]
    return form


def form_values(form: BaseForm, fields: tuple[Field, ...]) -> dict:
    return {f.key: getattr(form, f.key).data for f in fields}


class ClosureForm(BaseForm):
    day = DateField(_l("Tanggal"), validators=[DataRequired(_l("Tanggal wajib diisi.")), InCalendar()])
    open = SelectField(_l("Jenis"), choices=[SelectChoice("closed", _l("Tutup (libur kantor, keputusan susulan)")),
                                             SelectChoice("open", _l("Tetap buka meskipun libur nasional"))],
                       validators=[DataRequired()])
    reason = StringField(_l("Keterangan"), filters=[strip], validators=[
        DataRequired(_l("Keterangan wajib diisi.")), Length(max=200, message=_l("Paling panjang 200 karakter.")),
        PlainText()])


class ReviewForm(BaseForm):
    """Break-glass: the head's written reason for opening a case's confidential content."""

    reason = TextAreaField(_l("Alasan telaah"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan alasan telaah.")),
        Length(min=10, max=1000, message=_l("Alasan 10 sampai 1000 karakter."))])


class TeamForm(BaseForm):
    """The head adds someone to a case's team, with a reason."""

    user_id = SelectField(_l("Pengguna"), coerce=str, validators=[DataRequired(_l("Pilih pengguna."))])
    note = StringField(_l("Alasan"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan alasan perubahan tim.")), Length(max=400), PlainText()])


class RemoveMemberForm(BaseForm):
    note = StringField(_l("Alasan"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan alasan perubahan tim.")), Length(max=400), PlainText()])


def team_candidates(form: TeamForm, case) -> None:
    """Active holders of the procedure's team roles in the case's unit, not on the team yet and not
    the person served, as "user id:role" choices."""
    members = {m.user_id for m in case.team()} | ({case.subject_id} if case.subject_id else set())
    rows = db.session.execute(db.select(User.id, User.name, UserRole.role).join(UserRole).where(
        UserRole.role.in_(case.procedure.team_roles), User.active.is_(True), User.id.not_in(members or {0}),
        belongs_to(case.unit_id, User.id)).order_by(User.name)).all()
    form.user_id.choices = [SelectChoice("", _l("— pilih —"))] + [
        SelectChoice(f"{r.id}:{r.role}", f"{r.name} ({role_label(r.role)})") for r in rows]
