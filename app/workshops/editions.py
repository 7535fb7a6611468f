"""An edition's lifecycle for P2KLLK and its committee: create the edition on its case, compose
the committee (listed in the surat tugas; each member told when it is issued), schedule the
coordination meeting (an invite to every member, an event in their calendar feed), record its
outcome (theme, speakers) and prepare with a checklist. The SOP steps are completed through the
engine (app.sop.services.complete_step), so deadlines and compliance stay the engine's.
Services flush, never commit."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, vCalAddress, vText
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.notifications.services import attachment, notify
from app.sop.access import can_act, join_team, leave_team
from app.sop.models import Case, CaseState, StepState
from app.sop.services import complete_step, open_case
from app.urls import external_url
from app.workshops.access import can_view, workshop_procedure
from app.workshops.models import ChecklistItem, CommitteeMember, CommitteeRole, Speaker, Workshop

DIVISIONS = ("Koordinator alumni", "Divisi tracer study")
DEFAULT_CHECKLIST = ("Tempat", "Tanggal dan waktu", "Narasumber terkonfirmasi", "Materi", "Pendaftaran dibuka")
ROLE_WORDS = {CommitteeRole.CHAIR: "ketua", CommitteeRole.SECRETARY: "sekretaris", CommitteeRole.MEMBER: "anggota"}
PRODID = "-//Ruang Konseling//Workshop minat bakat//ID"


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def visible_workshops(user: User) -> list[Workshop]:
    """The editions the user may open, newest first, with their committee and case steps (a
    constant number of queries)."""
    query = (db.select(Workshop).options(selectinload(Workshop.committee), selectinload(Workshop.case, Case.steps))
             .order_by(Workshop.starts_at.desc()))
    if not user.has_role("head", "staff", "rectorate"):
        query = query.where(Workshop.committee.any(CommitteeMember.user_id == user.id))
    return [w for w in db.session.scalars(query) if can_view(user, w)]


def stage(workshop: Workshop):
    """The case step the edition is at (the active one), or None when the case is closed."""
    return next((row for row in workshop.case.current_steps() if row.state == StepState.ACTIVE), None)



def advance(workshop: Workshop, actor: User, found, values: dict | None = None, now: datetime | None = None) -> bool:
    """Complete the edition's step that `found(step)` picks, when it is active and `actor` may act on
    it: the module's screens move the case as the SOP does, so deadlines, reminders and compliance
    follow the real edition. False when there is nothing to complete (done already, not yet, or
    someone else's step)."""
    case = workshop.case
    step = next((s for s in case.procedure.steps if found(s)), None)
    row = case.step_row(step.key) if step else None
    if row is None or row.state != StepState.ACTIVE or not can_act(actor, case, row):
        return False
    complete_step(case, step.key, actor, values or {}, now=now)
    return True


def screen_is(name: str, part: str | None = None):
    """For `advance`: the step done on this screen (and part of the edition page)."""
    return lambda step: bool(step.screen and step.screen["name"] == name
                             and (part is None or step.screen.get("part") == part))


def step_key(workshop: Workshop, part: str) -> str:
    """The key of the step the procedure does on the edition page as `part` (proposal, decision,
    meeting, preparation): the YAML names its steps, not this code."""
    step = next((s for s in workshop.case.procedure.steps
                 if s.screen and s.screen["name"] == "workshop" and s.screen.get("part") == part), None)
    if step is None:
        raise DomainError(_("Prosedur workshop tidak menyebut langkah '%(part)s'.", part=part))
    return step.key


def step_state(workshop: Workshop, part: str) -> StepState | None:
    row = workshop.case.step_row(step_key(workshop, part))
    return row.state if row else None


def registration_stage(workshop: Workshop) -> str:
    """The step after preparation: from there students are told and register."""
    steps = workshop.case.procedure.steps
    after = next(s for s in steps if s.key == step_key(workshop, "preparation")).number
    return steps[after].key


# -- the edition ---------------------------------------------------------------------------------
def create_workshop(title: str, starts_at: datetime, capacity: int, register_until: datetime | None,
                    actor: User, now: datetime | None = None) -> Workshop:
    """A new edition on a new case of the minat-bakat procedure, with the default checklist.
    The committee is set now: the proposal of its surat tugas is due a day later."""
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Judul workshop wajib diisi."), field="title")
    if capacity is None or not 1 <= capacity <= 10_000:
        raise DomainError(_("Kapasitas 1–10.000 peserta."), field="capacity")
    if starts_at <= now:
        raise DomainError(_("Tanggal workshop harus di masa depan."), field="starts_at")
    if register_until is not None and not now < register_until <= starts_at:
        raise DomainError(_("Batas pendaftaran harus setelah sekarang dan sebelum workshop dimulai."),
                          field="register_until")
    procedure = workshop_procedure()
    if procedure is None:
        raise DomainError(_("Prosedur workshop minat bakat tidak tersedia."))
    local = starts_at.astimezone(_tz()).replace(tzinfo=None)
    case = open_case(procedure, actor, {"panitia_ditetapkan": now.astimezone(_tz()).replace(tzinfo=None),
                                        "hari_workshop": local, "committee": ""},
                     title=f"Workshop Minat Bakat: {title}"[:200], now=now)
    workshop = Workshop(case=case, title=title[:300], starts_at=starts_at, capacity=capacity,
                        register_until=register_until, created_at=now, created_by_id=actor.id)
    db.session.add(workshop)
    db.session.flush()
    for position, item in enumerate(DEFAULT_CHECKLIST):
        db.session.add(ChecklistItem(workshop_id=workshop.id, title=item, position=position))
    db.session.flush()
    return workshop


def committee_text(workshop: Workshop) -> str:
    """The committee as the surat tugas lists it: one numbered line per member."""
    order = {CommitteeRole.CHAIR: 0, CommitteeRole.SECRETARY: 1, CommitteeRole.MEMBER: 2}
    members = sorted(workshop.committee, key=lambda m: (order[m.role], m.id))
    return "\n".join(f"{i}. {m.user.name} — {ROLE_WORDS[m.role]}" + (f" ({m.division})" if m.division else "")
                     for i, m in enumerate(members, start=1))


def _sync_committee(workshop: Workshop) -> None:
    """The case data the surat tugas prints from follows the committee."""
    workshop.case.data = {**(workshop.case.data or {}), "committee": committee_text(workshop)}


def add_member(workshop: Workshop, user: User | None, role: str, division: str | None, actor: User,
               now: datetime | None = None) -> CommitteeMember:
    """P2KLLK puts a committee member on the edition (and on its case team)."""
    now = now or utcnow()
    if user is None or not user.active or not user.has_role("committee"):
        raise DomainError(_("Pilih pengguna aktif yang berperan panitia."), field="user_id")
    if role not in {r.value for r in CommitteeRole}:
        raise DomainError(_("Peran panitia tidak dikenal."), field="role")
    if division and division not in DIVISIONS:
        raise DomainError(_("Unsur panitia tidak dikenal."), field="division")
    if any(m.user_id == user.id for m in workshop.committee):
        raise DomainError(_("%(name)s sudah menjadi panitia.", name=user.name), field="user_id")
    if role == CommitteeRole.CHAIR and any(m.role == CommitteeRole.CHAIR for m in workshop.committee):
        raise DomainError(_("Ketua panitia sudah ada."), field="role")
    member = CommitteeMember(user=user, role=CommitteeRole(role), division=division or None)
    workshop.committee.append(member)
    join_team(workshop.case, user, "committee", actor, now)
    _sync_committee(workshop)
    db.session.flush()
    return member


def remove_member(workshop: Workshop, member_id: int, actor: User, now: datetime | None = None) -> None:
    """Take a member off the committee (and off the case team)."""
    member = next((m for m in workshop.committee if m.id == member_id), None)
    if member is None:
        raise DomainError(_("Anggota panitia tidak ditemukan."))
    workshop.committee.remove(member)
    leave_team(workshop.case, member.user_id, actor, now or utcnow())
    for item in workshop_checklist(workshop):
        if item.assignee_id == member.user_id:
            item.assignee_id = None
    _sync_committee(workshop)
    db.session.flush()


# -- the surat tugas ----------------------------------------------------------------------------
def propose_assignment(workshop: Workshop, actor: User, now: datetime | None = None) -> None:
    """Box 1: P2KLLK proposes the surat tugas of the committee to the rectorate."""
    if not any(m.role == CommitteeRole.CHAIR for m in workshop.committee):
        raise DomainError(_("Tetapkan dulu ketua panitia sebelum mengajukan surat tugas."))
    _sync_committee(workshop)
    complete_step(workshop.case, step_key(workshop, "proposal"), actor, {}, now=now)


def decide_assignment(workshop: Workshop, decision: str, note: str | None, actor: User,
                      now: datetime | None = None) -> None:
    """Box 2: the rectorate approves (the numbered surat tugas is issued by the engine and each
    member is told) or returns the proposal for revision (no letter; back to P2KLLK)."""
    now = now or utcnow()
    complete_step(workshop.case, step_key(workshop, "decision"), actor, {"decision": decision, "catatan": note or ""}, now=now)
    if decision == "disetujui":
        tell_members_assigned(workshop, now)


def assignment_letter(workshop: Workshop):
    """The current surat tugas of the edition, if issued."""
    from app.documents.services import current_letter

    return current_letter(workshop.case_id, step_key(workshop, "decision"), "surat_tugas")


def tell_members_assigned(workshop: Workshop, now: datetime) -> int:
    """Each member is told through the outbox, with the letter attached (once per letter)."""
    letter = assignment_letter(workshop)
    if letter is None:
        return 0
    link = external_url("workshops.show", workshop_id=workshop.id)
    filename = f"surat-tugas-{letter.number.replace('/', '-')}.pdf"
    sent = 0
    for member in workshop.committee:
        body = _("Anda ditugaskan sebagai %(role)s panitia %(title)s dengan surat tugas nomor %(number)s "
                 "(terlampir).\n\nHalaman workshop: %(link)s", role=ROLE_WORDS[member.role], title=workshop.title,
                 number=letter.number, link=link)
        sent += notify(member.user, _("Surat tugas panitia: %(title)s", title=workshop.title), body,
                       key=f"workshop:{workshop.id}:assigned:{letter.id}",
                       attachments=[attachment(filename, "application/pdf", letter.pdf)], now=now)
    return sent


# -- the coordination meeting ---------------------------------------------------------------------
def meeting_uid(workshop: Workshop) -> str:
    return f"workshop-{workshop.id}-rapat@ruang-konseling"


def meeting_event(workshop: Workshop, with_attendees: bool = True) -> Event:
    """The coordination meeting as a VEVENT (60 minutes: "1 jam rapat")."""
    tz = _tz()
    item = Event()
    item.add("uid", meeting_uid(workshop))
    item.add("dtstamp", utcnow())
    item.add("dtstart", workshop.meeting_at.astimezone(tz))
    item.add("dtend", (workshop.meeting_at + timedelta(minutes=workshop.meeting_minutes)).astimezone(tz))
    item.add("summary", f"Rapat koordinasi panitia — {workshop.title}")
    item.add("sequence", workshop.meeting_sequence)
    item.add("status", "CONFIRMED")
    if workshop.meeting_place:
        item.add("location", workshop.meeting_place)
    item.add("description", "Rapat koordinasi tema dan narasumber. Rincian: "
             + external_url("workshops.show", workshop_id=workshop.id))
    if with_attendees:
        for member in workshop.committee:
            address = vCalAddress(f"mailto:{member.user.email}")
            address.params["cn"] = vText(member.user.name)
            address.params["role"] = vText("REQ-PARTICIPANT")
            item.add("attendee", address)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Rapat koordinasi panitia")
    alarm.add("trigger", -timedelta(hours=1))
    item.add_component(alarm)
    return item


def meeting_invite(workshop: Workshop) -> bytes:
    """METHOD:REQUEST with the VTIMEZONE of the app's time zone."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    calendar.add_component(meeting_event(workshop))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def schedule_meeting(workshop: Workshop, when: datetime, place: str, actor: User,
                     now: datetime | None = None) -> None:
    """Set (or move) the coordination meeting; every member gets the calendar invite."""
    now = now or utcnow()
    if step_state(workshop, "meeting") != StepState.ACTIVE:
        raise DomainError(_("Rapat koordinasi dijadwalkan setelah surat tugas disetujui dan sebelum hasilnya "
                            "dicatat."))
    if when <= now:
        raise DomainError(_("Waktu rapat harus di masa depan."), field="meeting_at")
    if when >= workshop.starts_at:
        raise DomainError(_("Rapat koordinasi harus sebelum hari workshop."), field="meeting_at")
    if not workshop.committee:
        raise DomainError(_("Belum ada panitia yang diundang."))
    workshop.meeting_at, workshop.meeting_place = when, place.strip()[:300]
    workshop.meeting_minutes = 60
    workshop.meeting_sequence = (workshop.meeting_sequence or 0) + 1
    db.session.flush()
    ics = meeting_invite(workshop)
    when_text = format_datetime(when.astimezone(_tz()), "EEEE, d MMMM y HH.mm")
    for member in workshop.committee:
        notify(member.user, _("Rapat koordinasi panitia: %(title)s", title=workshop.title),
               _("Rapat koordinasi panitia %(title)s: %(when)s, %(place)s (60 menit). Undangan kalender terlampir.",
                 title=workshop.title, when=when_text, place=workshop.meeting_place),
               key=f"workshop:{workshop.id}:meeting:{workshop.meeting_sequence}",
               attachments=[attachment("rapat-koordinasi.ics", "text/calendar; method=REQUEST", ics)],
               now=now, whatsapp=False)


def feed_events(user: User) -> list[Event]:
    """Coordination meetings of the editions whose committee the user is on (for their feed)."""
    since = utcnow() - timedelta(days=60)
    rows = db.session.scalars(db.select(Workshop).join(CommitteeMember).where(
        CommitteeMember.user_id == user.id, Workshop.meeting_at.is_not(None), Workshop.meeting_at >= since)
        .options(selectinload(Workshop.committee))).unique().all()
    return [meeting_event(w, with_attendees=False) for w in rows]


def record_outcome(workshop: Workshop, theme: str, actor: User, now: datetime | None = None) -> None:
    """The meeting agreed the theme and speakers: the coordination step is done."""
    theme = (theme or "").strip()
    if workshop.meeting_at is None:
        raise DomainError(_("Jadwalkan rapat koordinasi terlebih dahulu."))
    speakers = workshop_speakers(workshop)
    if not speakers:
        raise DomainError(_("Catat minimal satu narasumber hasil rapat."))
    summary = "\n".join(f"{s.name}" + (f" ({s.institution})" if s.institution else "")
                        + (f": {s.topic}" if s.topic else "") for s in speakers)
    complete_step(workshop.case, step_key(workshop, "meeting"), actor, {"theme": theme, "speakers": summary[:4000]}, now=now)
    workshop.theme = theme[:300]
    db.session.flush()


def workshop_speakers(workshop: Workshop) -> list[Speaker]:
    return list(db.session.scalars(db.select(Speaker).where(Speaker.workshop_id == workshop.id).order_by(Speaker.id)))


def add_speaker(workshop: Workshop, name: str, institution: str | None, topic: str | None, contact: str | None,
                confirmed: bool) -> Speaker:
    speaker = Speaker(workshop_id=workshop.id, name=name.strip()[:200], institution=(institution or "").strip() or None,
                      topic=(topic or "").strip() or None, contact=(contact or "").strip() or None,
                      confirmed=bool(confirmed))
    db.session.add(speaker)
    db.session.flush()
    return speaker


def set_speaker_confirmed(workshop: Workshop, speaker_id: int, confirmed: bool) -> Speaker:
    speaker = db.session.get(Speaker, speaker_id)
    if speaker is None or speaker.workshop_id != workshop.id:
        raise DomainError(_("Narasumber tidak ditemukan."))
    speaker.confirmed = confirmed
    db.session.flush()
    return speaker


# -- preparation --------------------------------------------------------------------------------
def workshop_checklist(workshop: Workshop) -> list[ChecklistItem]:
    return list(db.session.scalars(db.select(ChecklistItem).where(ChecklistItem.workshop_id == workshop.id)
                                   .order_by(ChecklistItem.position, ChecklistItem.id)))


def add_item(workshop: Workshop, title: str) -> ChecklistItem:
    items = workshop_checklist(workshop)
    if len(items) >= 100:
        raise DomainError(_("Daftar persiapan paling banyak 100 butir."))
    item = ChecklistItem(workshop_id=workshop.id, title=title.strip()[:300],
                         position=max((i.position for i in items), default=-1) + 1)
    db.session.add(item)
    db.session.flush()
    return item


def _item(workshop: Workshop, item_id: int) -> ChecklistItem:
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.workshop_id != workshop.id:
        raise DomainError(_("Butir persiapan tidak ditemukan."))
    return item


def assign_item(workshop: Workshop, item_id: int, user_id: int | None) -> ChecklistItem:
    """Give a checklist item to a committee member (None: nobody)."""
    item = _item(workshop, item_id)
    if user_id is not None and not any(m.user_id == user_id for m in workshop.committee):
        raise DomainError(_("Pilih anggota panitia."), field="assignee_id")
    item.assignee_id = user_id
    db.session.flush()
    return item


def set_item_done(workshop: Workshop, item_id: int, done: bool, actor: User,
                  now: datetime | None = None) -> ChecklistItem:
    """Tick an item done (by whom, when) or undo it."""
    item = _item(workshop, item_id)
    if done and item.done_at is None:
        item.done_at, item.done_by_id = now or utcnow(), actor.id
    elif not done:
        item.done_at = item.done_by_id = None
    db.session.flush()
    return item


def finish_preparation(workshop: Workshop, venue: str, actor: User, now: datetime | None = None) -> None:
    """Every checklist item done: the preparation step is done, the venue recorded."""
    open_items = [i.title for i in workshop_checklist(workshop) if i.done_at is None]
    if open_items:
        raise DomainError(_("Persiapan belum selesai: %(items)s.", items=", ".join(open_items)))
    complete_step(workshop.case, step_key(workshop, "preparation"), actor, {"venue": (venue or "").strip()}, now=now)
    workshop.venue = venue.strip()[:300]
    db.session.flush()


def open_registration(workshop: Workshop) -> None:
    """Registration opens (the public page of another part of the module reads this flag)."""
    if workshop.case.state != CaseState.OPEN:
        raise DomainError(_("Workshop ini sudah ditutup."))
    workshop.registration_open = True
    db.session.flush()
