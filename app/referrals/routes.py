"""Pages of referrals: the advisor's referrals (refer an advisee, read back, follow the status),
informing the student (staff of the unit), setting a student's dosen PA (staff), and the desk
where staff record a student's own request for counseling."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import role_required
from app.errors import DomainError
from app.forms import refuse
from app.htmx import render
from app.referrals import bp
from app.referrals.advisees import advisees_of, advisors, keeps_advisors, set_advisor
from app.referrals.desk import open_at_desk
from app.referrals.forms import AdvisorForm, DeskForm, InformForm, ReferralForm
from app.referrals.services import (UNIT_STAFF, inform_student, load_own_referral, referral_of_case,
                                    referrals_of, refer_student, status_of)
from app.sop.access import holds_role, load_case, log_access, read_ground, sealed_values
from app.workshops.roster import ADVISOR_ROLE

STAFF = ("staff", "head")


def small_id(text) -> int | None:
    """An id typed in a form: digits that fit a database key, else None (the service refuses it)."""
    text = str(text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) < 2**31 else None


@bp.get("/referrals")
@role_required(ADVISOR_ROLE)
def my_referrals():
    """The advisor's referrals with their status, and their advisees."""
    return render("referrals/list.html", referrals=referrals_of(current_user), advisees=advisees_of(current_user))


@bp.route("/referrals/new", methods=["GET", "POST"])
@role_required(ADVISOR_ROLE)
def new_referral():
    """Refer one of the advisor's own advisees (another student is refused)."""
    form = ReferralForm()
    form.student.choices = [("", _("— pilih —"))] + [(str(s.id), f"{s.name} ({s.nim})") for s in advisees_of(current_user)]
    form.student.pre_validate = lambda _form: None  # the service says whose student it is
    if form.validate_on_submit():
        try:
            referral = refer_student(current_user, small_id(form.student.data), form.reason.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Rujukan untuk %(name)s terkirim ke Bagian Konseling & Asesmen.", name=referral.student.name),
                  "success")
            return redirect(url_for("referrals.show_referral", referral_id=referral.id))
    return render("referrals/new.html", form=form, status=422 if request.method == "POST" else 200)


@bp.get("/referrals/<int:referral_id>")
@role_required(ADVISOR_ROLE)
def show_referral(referral_id: int):
    """What the advisor wrote, read back (logged), and where the service is: the steps' titles,
    states and dates — never the counseling content."""
    referral = load_own_referral(current_user, referral_id) or abort(404)
    case = referral.case
    reason, ground = None, read_ground(current_user, case, "reason")
    if ground:
        reason = sealed_values(case).get("reason")
        log_access(case, current_user, "read", {"reason": ground})
    return render("referrals/show.html", referral=referral, status_=status_of(referral), case=case, reason=reason,
                  rows=case.current_steps())


@bp.post("/referrals/case/<int:case_id>/inform")
def inform(case_id: int):
    """Staff of the unit tell the student of the referral and the service (outbox)."""
    case = load_case(case_id)
    referral = referral_of_case(case.id) or abort(404)
    if not holds_role(current_user, case, *UNIT_STAFF):
        abort(403)
    form = InformForm()
    if form.validate_on_submit():
        try:
            inform_student(referral, current_user, form.service.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Pemberitahuan rujukan dikirim kepada %(name)s.", name=referral.student.name), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return render("referrals/inform.html", case=case, referral=referral, form=form, status=422)


@bp.route("/referrals/advisors", methods=["GET", "POST"])
@role_required(*STAFF)
def advisor_settings():
    """Set a student's dosen PA by NIM (the roster import sets it from its "Dosen PA" column), by
    staff of the unit that receives advisors' referrals."""
    if not keeps_advisors(current_user):
        abort(403)
    form = AdvisorForm()
    form.advisor_id.choices = [("", _("— tanpa dosen PA —"))] + [(str(u.id), f"{u.name} ({u.email})") for u in advisors()]
    if form.validate_on_submit():
        try:
            student = set_advisor(current_user, form.nim.data, small_id(form.advisor_id.data))
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Dosen PA %(name)s tersimpan.", name=student.name) if student.advisor_id else
                  _("Dosen PA %(name)s dikosongkan.", name=student.name), "success")
            return redirect(url_for("referrals.advisor_settings"))
    return render("referrals/advisors.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/counseling/desk", methods=["GET", "POST"])
@role_required(*STAFF)
def desk():
    """A student asks at the desk: staff find them by NIM and record their need (a new case)."""
    form = DeskForm()
    unknown_nim = False
    if form.validate_on_submit():
        try:
            case = open_at_desk(current_user, form.nim.data, form.need.data)
        except DomainError as exc:
            refuse(form, exc)
            unknown_nim = exc.field == "nim"  # the refusal points to "Daftarkan klien": link it
        else:
            flash(_("Permohonan %(name)s tercatat.", name=case.subject.name), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return render("referrals/desk.html", form=form, unknown_nim=unknown_nim,
                  status=422 if request.method == "POST" else 200)
