"""The counselor's booking settings: weekly availability, leave days, notice and horizon, and
the calendar feed address; deleting a window and a new feed address are confirmed first."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import get_or_404, role_required
from app.booking import bp
from app.booking.forms import AvailabilityForm, ExceptionForm, SettingsForm
from app.booking.models import Availability, AvailabilityException, Mode, new_token
from app.booking.services import feed_url, profile_for
from app.extensions import db
from app.htmx import render


def _settings_page(status=200, **forms):
    """The settings page; `?delete=<window id>` and `?rotate=1` show the confirmation of those
    actions in place (htmx swaps just that part), a refused form comes back with its errors."""
    profile = profile_for(current_user)
    windows = db.session.scalars(db.select(Availability).where(Availability.counselor_id == current_user.id)
                                 .order_by(Availability.weekday, Availability.start_time)).all()
    leave = db.session.scalars(db.select(AvailabilityException).where(
        AvailabilityException.counselor_id == current_user.id, AvailabilityException.day >= date.today())
        .order_by(AvailabilityException.day)).all()
    https = feed_url(profile)
    confirm_delete = request.args.get("delete", type=int)
    confirm_rotate = request.args.get("rotate") == "1"
    block = "windows" if confirm_delete else "feed" if confirm_rotate else None
    defaults = {"availability_form": AvailabilityForm(formdata=None), "exception_form": ExceptionForm(formdata=None),
                "settings_form": SettingsForm(formdata=None, data={"min_notice_hours": profile.min_notice_minutes // 60,
                                                                   "horizon_days": profile.horizon_days})}
    return render("booking/settings.html", block=block, windows=windows, leave=leave, feed_https=https,
                  feed_webcal="webcal://" + https.split("://", 1)[1], confirm_delete=confirm_delete,
                  confirm_rotate=confirm_rotate, status=status, **{**defaults, **forms})


@bp.get("/booking/settings")
@role_required("counselor")
def settings():
    """Weekly availability, leave days, notice and horizon, and the calendar feed; deleting a
    window and a new feed address are confirmed here first."""
    return _settings_page()


@bp.post("/booking/availability")
@role_required("counselor")
def add_availability():
    """Add a weekly window."""
    form = AvailabilityForm()
    if not form.validate_on_submit():
        return _settings_page(422, availability_form=form)
    db.session.add(Availability(counselor_id=current_user.id, weekday=int(form.weekday.data),
                                start_time=form.start_time.data, end_time=form.end_time.data,
                                session_minutes=form.session_minutes.data, buffer_minutes=form.buffer_minutes.data,
                                mode=Mode(form.mode.data), room=form.room.data or None,
                                meeting_url=form.meeting_url.data or None))
    flash(_("Ketersediaan ditambahkan."), "success")
    return redirect(url_for("booking.settings"))


def _delete_own(model, item_id: int):
    """Delete one of the current counselor's own rows; another counselor's id answers 404."""
    item = get_or_404(model, item_id)
    if item.counselor_id != current_user.id:
        abort(404)
    db.session.delete(item)
    flash(_("Dihapus."), "success")
    return redirect(url_for("booking.settings"))


@bp.post("/booking/availability/<int:item_id>/delete")
@role_required("counselor")
def delete_availability(item_id: int):
    """Remove a weekly window."""
    return _delete_own(Availability, item_id)


@bp.post("/booking/leave")
@role_required("counselor")
def add_leave():
    """Add a leave day."""
    form = ExceptionForm()
    if form.validate_on_submit():
        exists = db.session.scalar(db.select(AvailabilityException.id).where(
            AvailabilityException.counselor_id == current_user.id, AvailabilityException.day == form.day.data))
        if exists:
            form.day.errors.append(_("Tanggal ini sudah ada di daftar."))
        else:
            db.session.add(AvailabilityException(counselor_id=current_user.id, day=form.day.data,
                                                 reason=form.reason.data))
            return redirect(url_for("booking.settings"))
    return _settings_page(422, exception_form=form)


@bp.post("/booking/leave/<int:item_id>/delete")
@role_required("counselor")
def delete_leave(item_id: int):
    """Remove a leave day."""
    return _delete_own(AvailabilityException, item_id)


@bp.post("/booking/rules")
@role_required("counselor")
def save_rules():
    """Minimum notice and booking horizon."""
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(422, settings_form=form)
    profile = profile_for(current_user)
    profile.min_notice_minutes, profile.horizon_days = form.min_notice_hours.data * 60, form.horizon_days.data
    flash(_("Aturan pemesanan tersimpan."), "success")
    return redirect(url_for("booking.settings"))


@bp.post("/booking/feed/rotate")
@role_required("counselor")
def rotate_feed():
    """A new secret feed address; the old one stops working at once."""
    profile_for(current_user).feed_token = new_token()
    flash(_("Alamat kalender baru dibuat; alamat lama tidak berlaku lagi."), "success")
    return redirect(url_for("booking.settings"))
