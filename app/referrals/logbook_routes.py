"""Pages of the log book (search, export, a line with its corrections) and of this domain's step
screens (the log book line of a service, the surat rujukan's addressee, the student's status)."""
from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.guards import role_required
from app.auth.models import User
from app.errors import DomainError
from app.extensions import db
from app.filters import datetime_filter
from app.forms import refuse
from app.htmx import render
from app.keyset import keyset_page
from app.referrals import bp
from app.referrals.advisees import keeps_advisors
from app.referrals.routes import small_id
from app.referrals.forms import CorrectionForm, ExternalForm, LineForm, SearchArgs, StatusForm
from app.referrals.logbook import (UNIT_STAFF, LineValues, agreed_line, correct_line, counselors, load_entry,
                                   logbook_xlsx, search_query)
from app.referrals.models import LogbookEntry
from app.referrals.screens import (check_status, is_agreement, record_service, refer_externally, screen_step,
                                   step_inputs)
from app.referrals.services import external_parties
from app.sop.access import can_act, holds_role, load_case, log_access
from app.sop.forms import build_form, form_values

PAGE_SIZE = 25


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def _local_naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(_tz()).replace(tzinfo=None) if moment else None


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=_tz()) if moment and moment.tzinfo is None else moment


def _line_values(form) -> LineValues:
    return LineValues(_aware(form.served_at.data), form.service_kind.data,
                      small_id(form.counselor_id.data),
                      form.duration_minutes.data, form.outcome.data)


# The corrected values named as the edit form names them.
HISTORY_LABELS = {"served_at": _l("Tanggal dan jam layanan"), "service_kind": _l("Jenis layanan"),
                  "counselor_id": _l("Staf konseling"), "duration_minutes": _l("Durasi"),
                  "outcome": _l("Hasil layanan")}


def _history(entry: LogbookEntry) -> list[tuple]:
    """The line's corrections as people read them: (revision, label, before, after) with dates in
    the institution's time zone, minutes as "55 menit" and counselors by name (lines corrected
    before names were kept hold an id: the names are fetched in one query)."""
    ids = {int(v) for r in entry.revisions if r.field == "counselor_id"
           for v in (r.old_value, r.new_value) if v and v.isdigit()}
    names = dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}

    def shown(field: str, value: str | None) -> str:
        if value is None or value == "":
            return "—"
        if field == "served_at":
            return datetime_filter(value)
        if field == "duration_minutes" and value.isdigit():
            return _("%(n)d menit", n=int(value))
        if field == "counselor_id" and value.isdigit():
            return names.get(int(value), value)
        return value

    return [(r, HISTORY_LABELS.get(r.field, r.field), shown(r.field, r.old_value), shown(r.field, r.new_value))
            for r in entry.revisions]


def _counselor_choices(form, unit_id: int | None) -> None:
    form.counselor_id.choices = [("", _("— pilih —"))] + [(str(u.id), u.name) for u in counselors(unit_id)]


@bp.get("/logbook")
@role_required(*UNIT_STAFF)
def logbook():
    """The unit's log book, newest first: search as you type, keyset pages."""
    args = SearchArgs(request.args)
    page = keyset_page(search_query(current_user, args.q, args.status), LogbookEntry.served_at, LogbookEntry.id,
                       PAGE_SIZE)
    return render("referrals/logbook.html", block="results", page=page, q=args.q, state=args.status,
                  sets_advisors=keeps_advisors(current_user))


@bp.get("/logbook.xlsx")
@role_required(*UNIT_STAFF)
def logbook_export():
    """The lines matching the search, as a spreadsheet."""
    args = SearchArgs(request.args)
    data = logbook_xlsx(current_user, args.q, args.status, _tz())
    return send_file(BytesIO(data), as_attachment=True, download_name="log-book.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/logbook/<int:entry_id>", methods=["GET", "POST"])
@role_required(*UNIT_STAFF)
def edit_line(entry_id: int):
    """A line with its history; a correction keeps the earlier values."""
    entry = load_entry(current_user, entry_id) or abort(404)
    form = CorrectionForm(data=None if request.method == "POST" else {
        "served_at": _local_naive(entry.served_at), "service_kind": entry.service_kind,
        "counselor_id": str(entry.counselor_id), "duration_minutes": entry.duration_minutes, "outcome": entry.outcome})
    _counselor_choices(form, entry.unit_id)
    if form.validate_on_submit():
        try:
            correct_line(entry, current_user, _line_values(form), form.reason.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Pembetulan log book tersimpan; nilai sebelumnya tetap tercatat."), "success")
            return redirect(url_for("referrals.edit_line", entry_id=entry.id))
    return render("referrals/line.html", entry=entry, form=form, history=_history(entry), status=422 if request.method == "POST" else 200)


# -- step screens ---------------------------------------------------------------------------
def _screen(case_id: int, name: str):
    """The case and its step of screen `name`: shown to its actor and the unit's counseling staff
    (never to the advisor who referred, who sees the status only); posted by its actor only."""
    case = load_case(case_id)
    found = screen_step(case, name) or abort(404)
    step, row = found
    allowed = can_act(current_user, case, row)
    if not allowed and (request.method == "POST" or not holds_role(current_user, case, *UNIT_STAFF)):
        abort(403)
    return case, step, row, allowed


@bp.route("/cases/<int:case_id>/logbook", methods=["GET", "POST"])
def logbook_step(case_id: int):
    """The step that writes the log book: the line of the service (or of the agreed time) and
    the step's own inputs."""
    case, step, row, allowed = _screen(case_id, "logbook")
    extra = step_inputs(step)
    agreed = agreed_line(case)
    defaults = {} if request.method == "POST" else {
        "service_kind": agreed.service_kind if agreed else "",
        "counselor_id": str(agreed.counselor_id if agreed else (case.assignee_id or "")),
        "served_at": _local_naive(agreed.served_at) if agreed else None}
    form = build_form(extra, base=LineForm, unit_id=case.unit_id, data=defaults or None)
    _counselor_choices(form, case.unit_id)
    if allowed and form.validate_on_submit():
        try:
            record_service(case, current_user, _line_values(form), form_values(form, extra))
        except DomainError as exc:
            refuse(form, exc)
        else:
            log_access(case, current_user, f"step:{row.key}")
            flash(_("Log book tercatat dan langkah \u201c%(title)s\u201d selesai.", title=row.title), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return render("referrals/logbook_step.html", case=case, step=step, row=row, form=form, extra=extra,
                  allowed=allowed, agreement=is_agreement(step), status=422 if request.method == "POST" else 200)


@bp.route("/cases/<int:case_id>/external", methods=["GET", "POST"])
def external_step(case_id: int):
    """The surat rujukan's addressee: a party of the directory or a new one (kept for reuse)."""
    case, step, row, allowed = _screen(case_id, "external_referral")
    form = ExternalForm()
    parties = external_parties()
    form.party_id.choices = [("", _("— pihak baru —"))] + [(str(p.id), p.label) for p in parties]
    if allowed and form.validate_on_submit():
        try:
            party = refer_externally(case, current_user, small_id(form.party_id.data),
                                     {"name": form.name.data, "institution": form.institution.data,
                                      "address": form.address.data, "email": form.email.data})
        except DomainError as exc:
            refuse(form, exc)
        else:
            log_access(case, current_user, f"step:{row.key}")
            flash(_("Surat rujukan untuk %(name)s diterbitkan.", name=party.label), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return render("referrals/external_step.html", case=case, step=step, row=row, form=form, parties=parties,
                  allowed=allowed, status=422 if request.method == "POST" else 200)


@bp.route("/cases/<int:case_id>/student-status", methods=["GET", "POST"])
def status_step(case_id: int):
    """The student's status read from the student database by NIM, with a recorded override."""
    case, step, row, allowed = _screen(case_id, "student_status")
    form = StatusForm(data=None if request.method == "POST" else {"nim": (case.subject.nim if case.subject else "")
                                                                  or ""})
    if allowed and form.validate_on_submit():
        try:
            check_status(case, current_user, form.nim.data, form.override.data, form.override_reason.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            log_access(case, current_user, f"step:{row.key}")
            flash(_("Status mahasiswa tercatat."), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return render("referrals/status_step.html", case=case, step=step, row=row, form=form, allowed=allowed,
                  status=422 if request.method == "POST" else 200)
