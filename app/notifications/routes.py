"""Notification preferences for everyone; the outbox for admins."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.audit import record_audit
from app.auth.guards import get_or_404, role_required
from app.extensions import db
from app.htmx import render
from app.keyset import keyset_page
from app.notifications import bp
from app.notifications.forms import PreferencesForm
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.services import attention_counts, retry

PAGE_SIZE = 50


@bp.route("/account/notifications", methods=["GET", "POST"])
def preferences():
    """Choose the channels reminders and invitations come by."""
    form = PreferencesForm(obj=current_user)
    if form.validate_on_submit():
        form.populate_obj(current_user)
        current_user.phone = form.phone.data or None
        flash(_("Preferensi pemberitahuan tersimpan."), "success")
        return redirect(url_for("notifications.preferences"))
    return render("notifications/preferences.html", form=form, status=422 if request.method == "POST" else 200)


@bp.get("/admin/outbox")
@role_required("admin")
def outbox():
    """Every queued, sent and failed message with its status (no message bodies), newest first,
    paged by keyset; the counts are of what may need an admin (pending, failed, unsendable)."""
    status = request.args.get("status", "")
    query = db.select(OutboxMessage)
    if status in {s.value for s in OutboxStatus}:
        query = query.where(OutboxMessage.status == status)
    messages = keyset_page(query, OutboxMessage.created_at, OutboxMessage.id, PAGE_SIZE)
    counts = attention_counts()
    return render("notifications/outbox.html", block="results", messages=messages, status_filter=status, counts=counts)


@bp.post("/admin/outbox/<int:message_id>/retry")
@role_required("admin")
def retry_message(message_id: int):
    """Queue a failed or unsendable message again; back to the list as it was filtered."""
    message = get_or_404(OutboxMessage, message_id)
    status = request.form.get("status", "")
    if message.status == OutboxStatus.SENT:
        flash(_("Pesan ini sudah terkirim."), "error")
    else:
        retry(message)
        record_audit("outbox.retry", message, summary=_("Pesan #%(id)d ke %(to)s dijadwalkan ulang.", id=message.id, to=message.recipient))
        flash(_("Pesan #%(id)d dijadwalkan ulang.", id=message.id), "success")
    return redirect(url_for("notifications.outbox", status=status if status in {s.value for s in OutboxStatus} else None))
