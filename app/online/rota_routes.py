"""The head's duty rota page: who answers online requests, by weekday and hours."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.guards import get_or_404, role_required
from app.auth.models import User, UserRole
from app.errors import DomainError
from app.extensions import db
from app.forms import refuse
from app.htmx import render
from app.online import bp
from app.online.forms import DeleteShiftForm, ShiftForm
from app.online.models import DutyShift
from app.online.rota import add_shift, remove_shift, rota_units, shifts_of
from app.org.models import UserUnit


def _shift_form(units, formdata=True) -> ShiftForm:
    form = ShiftForm() if formdata else ShiftForm(formdata=None)
    form.unit.choices = [SelectChoice(str(u.id), u.name) for u in units]
    rows = db.session.execute(
        db.select(User.id, User.name, UserUnit.unit_id).join(UserRole).join(UserUnit, UserUnit.user_id == User.id)
        .where(UserRole.role == "counselor", User.active.is_(True), UserUnit.unit_id.in_([u.id for u in units]))
        .order_by(User.name, User.id)).all() if units else []
    names = {u.id: u.name for u in units}
    counselors: dict[int, tuple[str, list[str]]] = {}
    for user_id, name, unit_id in rows:
        counselors.setdefault(user_id, (name, []))[1].append(names[unit_id])
    # a head of several units sees each counselor's units: a shift is of one unit's counselor
    form.counselor.choices = [SelectChoice(str(user_id), f"{name} ({', '.join(of)})" if len(units) > 1 else name)
                              for user_id, (name, of) in counselors.items()]
    return form


def _page(units, form, status=200):
    shifts = shifts_of(u.id for u in units)
    by_unit = [(unit, [s for s in shifts if s.unit_id == unit.id]) for unit in units]
    return render("online/rota.html", units=units, by_unit=by_unit, form=form,
                  delete_form=DeleteShiftForm(formdata=None), status=status)


@bp.route("/rota", methods=["GET", "POST"])
@role_required("head")
def rota():
    """The rota of the head's units; a shift added below."""
    units = rota_units(current_user)
    form = _shift_form(units)
    if form.validate_on_submit():
        try:
            add_shift(current_user, int(form.unit.data), int(form.counselor.data), int(form.weekday.data),
                      form.start_time.data, form.end_time.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Jadwal piket ditambahkan."), "success")
            return redirect(url_for("online.rota"))
        return _page(units, form, 422)
    return _page(units, form, 422 if form.is_submitted() else 200)


@bp.post("/rota/<int:shift_id>/delete")
@role_required("head")
def delete_shift(shift_id: int):
    """Take a shift off the rota (only of one's own units: another unit's shift is 404)."""
    shift = get_or_404(DutyShift, shift_id)
    if shift.unit_id not in {u.id for u in rota_units(current_user)}:
        abort(404)
    form = DeleteShiftForm()
    if form.validate_on_submit():
        remove_shift(current_user, shift)
        flash(_("Jadwal piket dihapus."), "success")
    return redirect(url_for("online.rota"))
