"""The edition pages: the list, a new edition, and one edition's page (stage, committee, surat
tugas, coordination meeting, speakers, checklist) with the forms that change it. Access: P2KLLK
(head, staff of the edition's unit) and the edition's committee; the rectorate may view and decide
on the surat tugas."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import role_required
from app.auth.models import User
from app.auth.services import active_users_with_roles
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import error_text, refuse
from app.htmx import render
from app.sop.access import can_act
from app.sop.models import StepState
from app.workshops import bp
from app.workshops import editions as svc
from app.workshops.access import can_manage, is_member, is_p2kllk, load_workshop, p2kllk_required, runs_workshops
from app.workshops.edition_forms import (ActionForm, AssignForm, DecisionForm, DoneForm, EditionForm, ItemForm,
                                         MeetingForm, MemberForm, OutcomeForm, PreparationForm, SpeakerConfirmForm,
                                         SpeakerForm)
from app.workshops.models import Workshop

VIEWERS = ("head", "staff", "committee", "rectorate")


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def _local(value: datetime | None) -> datetime | None:
    """A naive local form value as an aware moment."""
    return value.replace(tzinfo=_tz()) if value else None


def _member_choices(workshop: Workshop) -> list[tuple[str, str]]:
    taken = {m.user_id for m in workshop.committee}
    return [(str(u.id), u.name) for u in active_users_with_roles({"committee"}) if u.id not in taken]


def _page(workshop: Workshop, status: int = 200, **forms):
    """The edition page; a refused form comes back with its message and what was typed."""
    case = workshop.case
    row = svc.stage(workshop)
    member_form = forms.get("member_form") or MemberForm(formdata=None)
    member_form.user_id.choices = _member_choices(workshop)
    items = svc.workshop_checklist(workshop)
    people = [("", _("— belum ditugaskan —"))] + [(str(m.user_id), m.user.name) for m in workshop.committee]
    assign_forms = {}
    for item in items:
        form = forms.get("assign_form") if forms.get("assign_item") == item.id else None
        form = form or AssignForm(formdata=None, data={"assignee_id": str(item.assignee_id or "")})
        form.assignee_id.choices = people
        assign_forms[item.id] = form
    feed = None
    if is_member(current_user, workshop):
        from app.booking.services import feed_url, profile_for

        feed = feed_url(profile_for(current_user))
    register_url = (url_for("workshops.register", workshop_id=workshop.id)
                    if "workshops.register" in current_app.view_functions else None)
    decision_row = case.step_row(svc.step_key(workshop, "decision"))
    return render("workshops/edition_show.html", block=forms.get("block"), status=status, workshop=workshop,
                  case=case, stage=row, steps=case.current_steps(), values=case.data or {},
                  letter=svc.assignment_letter(workshop),
                  speakers=svc.workshop_speakers(workshop), items=items, assign_forms=assign_forms,
                  manage=can_manage(current_user, workshop), p2kllk=is_p2kllk(current_user, workshop),
                  can_decide=bool(decision_row and can_act(current_user, case, decision_row)),
                  state=lambda key: svc.step_state(workshop, key), StepState=StepState, feed=feed,
                  register_url=register_url, roles=svc.ROLE_WORDS, now=utcnow(),
                  member_form=member_form, action_form=ActionForm(formdata=None),
                  decision_form=forms.get("decision_form") or DecisionForm(formdata=None),
                  meeting_form=forms.get("meeting_form") or MeetingForm(formdata=None, data={
                      "meeting_at": workshop.meeting_at.astimezone(_tz()).replace(tzinfo=None)
                      if workshop.meeting_at else None, "place": workshop.meeting_place}),
                  outcome_form=forms.get("outcome_form") or OutcomeForm(formdata=None, data={"theme": workshop.theme}),
                  speaker_form=forms.get("speaker_form") or SpeakerForm(formdata=None),
                  item_form=forms.get("item_form") or ItemForm(formdata=None),
                  preparation_form=forms.get("preparation_form") or PreparationForm(formdata=None),
                  errors=_button_errors(forms.get("action_form")))


def _button_errors(form) -> list[str]:
    """Why a button's form (remove, propose, confirm, tick) was refused: shown atop the page."""
    if form is None:
        return []
    return [str(e) for e in [*form.form_errors, *(x for xs in form.errors.values() for x in xs)]]


def _done(workshop: Workshop, message: str, anchor: str = ""):
    flash(message, "success")
    return redirect(url_for("workshops.show", workshop_id=workshop.id) + anchor)


def _act(workshop_id: int, form_class, action, message: str, name: str, anchor: str = "", **load):
    """Validate `form_class`, call `action(workshop, form)`; a refusal re-renders the page (422)."""
    workshop = load_workshop(workshop_id, **load)
    form = form_class()
    if form.validate_on_submit():
        try:
            action(workshop, form)
        except DomainError as exc:
            refuse(form, exc)
        else:
            return _done(workshop, message, anchor)
    # the page is long: the reason is also said at its top, where a phone user lands
    flash(_("Belum tersimpan: %(reason)s", reason=error_text(form)), "error")
    return _page(workshop, 422, **{name: form})


# -- list and new ----------------------------------------------------------------------------------
@bp.get("/workshops")
@role_required(*VIEWERS)
def list_workshops():
    """The editions the user runs or may view, newest first."""
    return render("workshops/edition_list.html", workshops=svc.visible_workshops(current_user),
                  can_create=runs_workshops(current_user), stage=svc.stage)


@bp.route("/workshops/new", methods=["GET", "POST"])
@p2kllk_required("head", "staff")
def new_workshop():
    """P2KLLK creates an edition: title, planned date, capacity (its case opens)."""
    form = EditionForm()
    if form.validate_on_submit():
        try:
            workshop = svc.create_workshop(form.title.data, _local(form.starts_at.data), form.capacity.data,
                                           _local(form.register_until.data), current_user)
        except DomainError as exc:
            refuse(form, exc)
        else:
            return _done(workshop, _("Workshop dibuat. Tetapkan panitianya, lalu ajukan surat tugas."))
    return render("workshops/edition_new.html", form=form, status=422 if form.is_submitted() else 200)


# -- one edition --------------------------------------------------------------------------------------
@bp.get("/workshops/<int:workshop_id>")
@bp.get("/cases/<int:case_id>/workshop")
def show(workshop_id: int | None = None, case_id: int | None = None):
    """The edition page (also the screen the SOP case page links its workshop steps to, by case id)."""
    if case_id is not None:
        found = db.session.scalar(db.select(Workshop.id).where(Workshop.case_id == case_id))
        if found is None:
            abort(404)
        return redirect(url_for("workshops.show", workshop_id=load_workshop(found).id))
    return _page(load_workshop(workshop_id))


@bp.post("/workshops/<int:workshop_id>/committee")
def add_member(workshop_id: int):
    """P2KLLK adds a committee member (alumni coordinator or tracer-study division)."""
    workshop = load_workshop(workshop_id, p2kllk=True)
    form = MemberForm()
    form.user_id.choices = _member_choices(workshop)
    if form.validate_on_submit():
        try:
            svc.add_member(workshop, db.session.get(User, int(form.user_id.data)),
                           form.role.data, form.division.data, current_user)
        except DomainError as exc:
            refuse(form, exc)
        else:
            return _done(workshop, _("Anggota panitia ditambahkan."), "#panitia")
    return _page(workshop, 422, member_form=form)


@bp.post("/workshops/<int:workshop_id>/committee/<int:member_id>/remove")
def remove_member(workshop_id: int, member_id: int):
    """P2KLLK takes a member off the committee."""
    return _act(workshop_id, ActionForm, lambda w, f: svc.remove_member(w, member_id, current_user),
                _("Anggota panitia dikeluarkan."), "action_form", "#panitia", p2kllk=True)


@bp.post("/workshops/<int:workshop_id>/proposal")
def propose(workshop_id: int):
    """P2KLLK proposes the surat tugas to the rectorate (box 1)."""
    return _act(workshop_id, ActionForm, lambda w, f: svc.propose_assignment(w, current_user),
                _("Usulan surat tugas dikirim ke rektorat."), "action_form", "#surat-tugas", p2kllk=True)


@bp.post("/workshops/<int:workshop_id>/decision")
def decide(workshop_id: int):
    """The rectorate approves the surat tugas or returns it for revision (box 2)."""
    workshop = load_workshop(workshop_id)
    row = workshop.case.step_row(svc.step_key(workshop, "decision"))
    if not (row and can_act(current_user, workshop.case, row)):
        abort(403)
    return _act(workshop_id, DecisionForm, lambda w, f: svc.decide_assignment(w, f.decision.data, f.note.data,
                                                                              current_user),
                _("Keputusan surat tugas dicatat."), "decision_form", "#surat-tugas")


@bp.post("/workshops/<int:workshop_id>/meeting")
def schedule_meeting(workshop_id: int):
    """Schedule or move the coordination meeting; every member gets an invite."""
    return _act(workshop_id, MeetingForm, lambda w, f: svc.schedule_meeting(w, _local(f.meeting_at.data),
                                                                            f.place.data, current_user),
                _("Rapat dijadwalkan; undangan kalender dikirim ke setiap panitia."), "meeting_form", "#rapat",
                manage=True)


@bp.post("/workshops/<int:workshop_id>/outcome")
def record_outcome(workshop_id: int):
    """The meeting's outcome: the agreed theme (with the speakers recorded)."""
    return _act(workshop_id, OutcomeForm, lambda w, f: svc.record_outcome(w, f.theme.data, current_user),
                _("Hasil rapat koordinasi dicatat."), "outcome_form", "#rapat", manage=True)


@bp.post("/workshops/<int:workshop_id>/speakers")
def add_speaker(workshop_id: int):
    """Add a speaker (narasumber)."""
    return _act(workshop_id, SpeakerForm, lambda w, f: svc.add_speaker(
        w, f.name.data, f.institution.data, f.topic.data, f.contact.data, f.confirmed.data),
        _("Narasumber ditambahkan."), "speaker_form", "#narasumber", manage=True)


@bp.post("/workshops/<int:workshop_id>/speakers/<int:speaker_id>/confirm")
def confirm_speaker(workshop_id: int, speaker_id: int):
    """Mark a speaker confirmed (or not)."""
    return _act(workshop_id, SpeakerConfirmForm, lambda w, f: svc.set_speaker_confirmed(
        w, speaker_id, f.confirmed.data != "0"), _("Konfirmasi narasumber diperbarui."), "action_form",
        "#narasumber", manage=True)


@bp.post("/workshops/<int:workshop_id>/checklist")
def add_item(workshop_id: int):
    """Add an item to the preparation checklist."""
    return _act(workshop_id, ItemForm, lambda w, f: svc.add_item(w, f.title.data), _("Butir persiapan ditambahkan."),
                "item_form", "#preparation", manage=True)


@bp.post("/workshops/<int:workshop_id>/checklist/<int:item_id>/assign")
def assign_item(workshop_id: int, item_id: int):
    """Give an item to a committee member."""
    workshop = load_workshop(workshop_id, manage=True)
    form = AssignForm()
    form.assignee_id.choices = [("", "")] + [(str(m.user_id), m.user.name) for m in workshop.committee]
    if form.validate_on_submit():
        try:
            svc.assign_item(workshop, item_id, int(form.assignee_id.data) if form.assignee_id.data else None)
        except DomainError as exc:
            refuse(form, exc)
        else:
            return _done(workshop, _("Penanggung jawab dicatat."), "#preparation")
    return _page(workshop, 422, assign_form=form, assign_item=item_id)


@bp.post("/workshops/<int:workshop_id>/checklist/<int:item_id>/done")
def tick_item(workshop_id: int, item_id: int):
    """Tick an item done (who, when) or undo it."""
    return _act(workshop_id, DoneForm, lambda w, f: svc.set_item_done(w, item_id, f.done.data != "0", current_user),
                _("Daftar persiapan diperbarui."), "action_form", "#preparation", manage=True)


@bp.post("/workshops/<int:workshop_id>/preparation")
def finish_preparation(workshop_id: int):
    """Every item done: the preparation step is done."""
    return _act(workshop_id, PreparationForm, lambda w, f: svc.finish_preparation(w, f.venue.data, current_user),
                _("Persiapan selesai."), "preparation_form", "#preparation", manage=True)

