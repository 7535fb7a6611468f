"""Booking rules: free slots, booking without double booking, proposals, reschedule and cancel
with reminders that follow the appointment, the waiting list, invites."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Date, Integer, and_, bindparam, cast, false, null, or_, true, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, lazyload

from app.auth.models import User
from app.booking.ical import invite
from app.booking.steps import booking_options, record_agreement, record_outcome, reopen_agreement, requested_mode
from app.booking.models import (Appointment, AppointmentStatus, Availability, AvailabilityException,
                                CounselorProfile, Mode, WaitlistEntry, new_token)
from app.database import insert_ignore, utcnow
from app.errors import DomainError
from app.extensions import db
from app.filters import datetime_filter
from app.notifications.services import attachment, notify, withdraw
from app.sop.access import on_team, shaped, team_member_of
from app.sop.models import Case, CaseState
from app.sop.workcal import working_calendar
from app.urls import external_url

MAX_PROPOSALS = 3
REMINDERS = {"h-1": timedelta(days=1), "j-1": timedelta(hours=1)}


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    mode: Mode
    place: str | None


COUNSELOR = "counselor"


def served_by(user: User):
    """SQL condition: the appointments `user` gives as counselor and still reads (mirrors the
    appointment page): while on the case's team in a role they hold, as on_team says (a counselor
    who lost the role reads neither the time nor the client of their former sessions), or, for an
    appointment whose case is gone (archived), while holding the counselor role."""
    return and_(Appointment.counselor_id == user.id,
                or_(team_member_of(user, Appointment.case_id),
                    and_(Appointment.case_id.is_(None), true() if user.has_role(COUNSELOR) else false())))


def appointments_of(user: User, since: datetime) -> list[Appointment]:
    """The appointments `user` has as client or gives as counselor (served_by) starting from
    `since`, by start (the /appointments page). The statement is built once per set of roles."""
    query = shaped("appointments_of", user, lambda someone: db.select(Appointment).where(
        (Appointment.client_id == someone.id) | served_by(someone),
        Appointment.start_at >= bindparam("since", type_=Appointment.start_at.type)).order_by(Appointment.start_at))
    return list(db.session.scalars(query, {"user_id": user.id, "since": since}))


def upcoming_appointments(user: User, now: datetime, limit: int = 3) -> list[Appointment]:
    """The user's next agreed appointments not over yet, as appointments_of counts them, and the
    times a counselor proposed to them as a client waiting for their answer (one per case: the
    first; its page offers them all) — the home page: the time and the other person's name only."""
    query = shaped("upcoming_appointments", user, _upcoming_query)
    return list(db.session.scalars(query, {"user_id": user.id, "now": now, "limit": limit}))


def _upcoming_query(someone):
    """upcoming_appointments' statement, built once per set of roles (shaped)."""
    proposed = aliased(Appointment)
    first_proposal = db.select(db.func.min(proposed.id)).where(
        proposed.case_id == Appointment.case_id, proposed.status == AppointmentStatus.PROPOSED).scalar_subquery()
    return (db.select(Appointment).where(
        or_(and_((Appointment.client_id == someone.id) | served_by(someone),
                 Appointment.status == AppointmentStatus.AGREED),
            and_(Appointment.client_id == someone.id, Appointment.status == AppointmentStatus.PROPOSED,
                 Appointment.id == first_proposal)),
        Appointment.end_at >= bindparam("now", type_=Appointment.end_at.type))
        .options(lazyload(Appointment.case), joinedload(Appointment.counselor).load_only(User.name),
                 joinedload(Appointment.client).load_only(User.name))
        .order_by(Appointment.start_at).limit(bindparam("limit", type_=Integer)))


def feed_url(profile: CounselorProfile) -> str:
    """The absolute address of a counselor's subscription feed."""
    return external_url("booking.calendar_feed", token=profile.feed_token)


def profile_for(counselor: User) -> CounselorProfile:
    """The counselor's booking profile, created on first use (safely under concurrency)."""
    profile = db.session.get(CounselorProfile, counselor.id)
    if profile is None:
        insert_ignore(CounselorProfile, user_id=counselor.id, min_notice_minutes=12 * 60, horizon_days=30,
                      feed_token=new_token(), lock_version=0)
        profile = db.session.get(CounselorProfile, counselor.id)
    return profile


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def free_slots(counselor: User, first_day: date, days: int = 7, now: datetime | None = None,
               mode: Mode | None = None) -> list[Slot]:
    """Availability minus agreed appointments, leave days, holidays and closures, within the
    counselor's minimum notice and booking horizon; only windows of `mode` when given.
    A constant number of queries."""
    now = now or utcnow()
    tz = _tz()
    calendar = working_calendar()
    profile, windows = _profile_and_windows(counselor)
    last_day = first_day + timedelta(days=days)
    lo = datetime.combine(first_day, time.min, tz)
    hi = datetime.combine(last_day, time.min, tz)
    # the agreed appointments near the days and the leave days among them, in one statement
    stamp = Appointment.start_at.type
    rows = db.session.execute(union_all(
        db.select(Appointment.start_at, Appointment.end_at, cast(null(), Date)).where(
            Appointment.counselor_id == counselor.id, Appointment.status == AppointmentStatus.AGREED,
            Appointment.start_at < hi + timedelta(hours=4), Appointment.end_at > lo - timedelta(hours=4)),
        db.select(cast(null(), stamp), cast(null(), stamp), AvailabilityException.day).where(
            AvailabilityException.counselor_id == counselor.id, AvailabilityException.day >= first_day,
            AvailabilityException.day < last_day))).all()
    taken = [(start, end) for start, end, day in rows if day is None]
    leave = {day for _start, _end, day in rows if day is not None}
    earliest = now + timedelta(minutes=profile.min_notice_minutes)
    latest = now + timedelta(days=profile.horizon_days)
    slots = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day in leave or not calendar.is_working_day(day):
            continue
        for window in (w for w in windows if w.weekday == day.weekday() and mode in (None, w.mode)):
            start = datetime.combine(day, window.start_time, tz)
            close = datetime.combine(day, window.end_time, tz)
            step = timedelta(minutes=window.session_minutes + window.buffer_minutes)
            length = timedelta(minutes=window.session_minutes)
            buffer = timedelta(minutes=window.buffer_minutes)
            while start + length <= close:
                end = start + length
                busy = any(s - buffer < end and e + buffer > start for s, e in taken)
                if not busy and earliest <= start <= latest:
                    place = window.meeting_url if window.mode == Mode.ONLINE else window.room
                    slots.append(Slot(start.astimezone(tz), end.astimezone(tz), window.mode, place))
                start += step
    return slots


def _profile_and_windows(counselor: User) -> tuple[CounselorProfile, list[Availability]]:
    """The counselor's booking profile (created on first use) and weekly windows, in one statement."""
    query = (db.select(CounselorProfile, Availability)
             .outerjoin(Availability, Availability.counselor_id == CounselorProfile.user_id)
             .where(CounselorProfile.user_id == counselor.id)
             .order_by(Availability.weekday, Availability.start_time))
    rows = db.session.execute(query).all()
    if not rows:
        profile_for(counselor)
        rows = db.session.execute(query).all()
    return rows[0][0], [window for _profile, window in rows if window is not None]


# -- locking and conflicts -----------------------------------------------------------------
def lock_counselor(counselor: User) -> None:
    """Serialize bookings of one counselor: the UPDATE holds the row lock (PostgreSQL) or the
    write lock (SQLite) until the transaction ends."""
    profile_for(counselor)
    db.session.execute(update(CounselorProfile).where(CounselorProfile.user_id == counselor.id)
                       .values(lock_version=CounselorProfile.lock_version + 1))


def _conflict(counselor_id: int, start: datetime, end: datetime, ignore_id: int | None = None) -> bool:
    query = db.select(Appointment.id).where(
        Appointment.counselor_id == counselor_id, Appointment.status == AppointmentStatus.AGREED,
        Appointment.start_at < end, Appointment.end_at > start)
    if ignore_id:
        query = query.where(Appointment.id != ignore_id)
    return db.session.scalar(query.limit(1)) is not None


def _taken() -> DomainError:
    return DomainError(_("Slot baru saja diambil orang lain. Silakan pilih waktu lain."))


def _matching_slot(counselor: User, start: datetime, now: datetime) -> Slot:
    local = start.astimezone(_tz())
    slot = next((s for s in free_slots(counselor, local.date(), 1, now) if s.start == local), None)
    if slot is None:
        raise _taken()
    return slot


def _already_agreed() -> DomainError:
    return DomainError(_("Permohonan ini sudah memiliki jadwal yang disepakati; ubah jadwalnya bila perlu."))


def _save(appointment: Appointment) -> None:
    """Flush; the partial unique indexes turn a double booking of a slot, or a second agreed time
    for one case, into a clear message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        with db.session.no_autoflush:
            if appointment.case is not None and _active_appointment_id(appointment.case.id, appointment.id):
                raise _already_agreed() from None
        raise _taken() from None


def _open_case(case: Case | None) -> None:
    """Booking acts on a running case only, of a service that books sessions with the person it
    serves."""
    if case is not None and case.state != CaseState.OPEN:
        raise DomainError(_("Permohonan ini sudah ditutup atau dibatalkan; jadwal tidak dapat diubah."))
    if case is not None and not books_sessions(case):
        raise DomainError(_("Layanan ini tidak menjadwalkan sesi."))


def slot_form(mode: Mode) -> Mode | None:
    """The form of slot a session of `mode` is held in: a tatap muka session in a tatap muka slot
    (its room); a video session in any free slot (with its own link). None: any."""
    return Mode.IN_PERSON if mode == Mode.IN_PERSON else None


def books_sessions(case: Case) -> bool:
    """The case's service agrees sessions on the booking page, and someone is served by them."""
    return case.subject_id is not None and booking_options(case.procedure) is not None


def _check_client(case: Case, client: User) -> None:
    """Only the person the case serves books its sessions or waits for an earlier one."""
    if client.id != case.subject_id:
        raise DomainError(_("Hanya orang yang dilayani permohonan ini yang dapat memesan jadwalnya."))


# -- messages -------------------------------------------------------------------------------
def _when(appointment: Appointment) -> str:
    return datetime_filter(appointment.start_at)


def send_invites(appointment: Appointment, now: datetime) -> None:
    """The iCalendar invite (or cancellation) to both, by e-mail; WhatsApp gets the text."""
    ics = invite(appointment)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    subject = (_("Dibatalkan: konseling %(when)s", when=_when(appointment)) if cancelled
               else _("Jadwal konseling: %(when)s", when=_when(appointment)))
    place = appointment.meeting_url or appointment.location or "—"
    link = external_url("booking.show_appointment", appointment_id=appointment.id)
    body = (f"{subject}\n\nKonselor: {appointment.counselor.name}\nBentuk: {appointment.mode.value}\n"
            f"Tempat/tautan: {place}\n" + (f"Kode rapat: {appointment.meeting_code}\n" if appointment.meeting_code else "")
            + (f"Alasan: {appointment.reason}\n" if appointment.reason else "")
            + f"\nRincian: {link}")
    method = "CANCEL" if cancelled else "REQUEST"
    files = [{**attachment("undangan.ics", "text/calendar", ics), "method": method}]
    for user in (appointment.counselor, appointment.client):
        notify(user, subject, body, key=f"appt:{appointment.id}:{appointment.sequence}:invite", attachments=files,
               now=now)


def schedule_reminders(appointment: Appointment, now: datetime) -> None:
    """Reminders the day before and an hour before, for this time only."""
    for name, before in REMINDERS.items():
        send_at = appointment.start_at - before
        if send_at <= now:
            continue
        subject = _("Pengingat konseling: %(when)s", when=_when(appointment))
        body = (f"{subject}\nKonselor: {appointment.counselor.name}\n"
                f"Tempat/tautan: {appointment.meeting_url or appointment.location or '—'}\n"
                f"{external_url('booking.show_appointment', appointment_id=appointment.id)}")
        for user in (appointment.counselor, appointment.client):
            notify(user, subject, body, key=f"appt:{appointment.id}:{appointment.sequence}:remind:{name}",
                   now=now, send_at=send_at)


def _withdraw_reminders(appointment: Appointment) -> None:
    withdraw(f"appt:{appointment.id}:{appointment.sequence}:remind:")


def withdraw_counselor(case: Case, user_id: int, now: datetime | None = None) -> None:
    """`user_id` was taken off the case's team: no session of the case stays agreed with them. The
    times they proposed on it are withdrawn, their sessions still to come cancelled (both
    calendars told, the person served told why), and the reminders still on their way to them
    withdrawn."""
    now = now or utcnow()
    db.session.execute(db.delete(Appointment).where(Appointment.case_id == case.id, Appointment.counselor_id == user_id,
                                                    Appointment.status == AppointmentStatus.PROPOSED))
    for appointment in db.session.scalars(db.select(Appointment).where(
            Appointment.case_id == case.id, Appointment.counselor_id == user_id)):
        withdraw(f"appt:{appointment.id}:", user_id)
        if appointment.status == AppointmentStatus.AGREED and appointment.start_at > now:  # the cancellation
            _cancelled(appointment, _("Konselor tidak lagi menangani layanan ini."), now)  # frees both calendars
            reopen_agreement(appointment, now)
            notify(appointment.client, _("Jadwal konseling dibatalkan"),
                   _("Jadwal %(when)s dibatalkan karena konselor tersebut tidak lagi menangani layanan Anda. "
                     "Konselor pengganti akan menghubungi Anda.", when=_when(appointment)),
                   key=f"appt:{appointment.id}:{appointment.sequence}:counselor-left", now=now)


def _serving(case: Case) -> User:
    """The case's counselor, while they serve it."""
    if case.assignee is None:
        raise DomainError(_("Konselor belum ditugaskan untuk permohonan ini."))
    _check_serves(case.assignee, case)
    return case.assignee


def _check_serves(counselor: User, case: Case | None) -> None:
    """Refuse a session with a counselor no longer serving the case (off its team, or the role
    they served in lost); a session of no case has nobody to check."""
    if case is not None and not on_team(counselor, case):
        raise DomainError(_("Konselor tersebut tidak lagi menangani layanan ini; tunggu konselor penggantinya."))


def _new(case: Case | None, counselor: User, client: User, slot_start: datetime, slot_end: datetime, mode: Mode,
         place: str | None, status: AppointmentStatus, now: datetime) -> Appointment:
    appointment = Appointment(uid=f"{uuid.uuid4()}@ruang-konseling", case=case,
                              counselor_id=counselor.id, client_id=client.id, start_at=slot_start, end_at=slot_end,
                              mode=mode, status=status, created_at=now, updated_at=now,
                              location=None if mode == Mode.ONLINE else place,
                              meeting_url=place if mode == Mode.ONLINE else None)
    appointment.counselor, appointment.client = counselor, client
    db.session.add(appointment)
    return appointment


# A case's agreed session moved or called off by one of its two people (`what`: "moved" or
# "cancelled"; `before`: the earlier start of one moved), for the domains that follow the case
# elsewhere to say so there (online: in its conversation)
session_changed = Namespace().signal("session-changed")


def _confirm(appointment: Appointment, actor: User, now: datetime) -> Appointment:
    _save(appointment)
    if appointment.case_id is not None:  # an agreed time replaces every open proposal
        db.session.execute(db.delete(Appointment).where(Appointment.case_id == appointment.case_id,
                                                        Appointment.status == AppointmentStatus.PROPOSED))
    send_invites(appointment, now)
    schedule_reminders(appointment, now)
    record_agreement(appointment, actor, now)
    db.session.execute(db.delete(WaitlistEntry).where(WaitlistEntry.counselor_id == appointment.counselor_id,
                                                      WaitlistEntry.client_id == appointment.client_id))
    return appointment


# -- actions --------------------------------------------------------------------------------
def book(case: Case, client: User, start: datetime, now: datetime | None = None) -> Appointment:
    """The client takes one of the assigned counselor's free slots."""
    now = now or utcnow()
    _open_case(case)
    _check_client(case, client)
    counselor = _serving(case)
    lock_counselor(counselor)  # every booking of this case goes through its counselor's lock
    if _active_appointment_id(case.id):
        raise _already_agreed()
    slot = _matching_slot(counselor, start, now)
    if _conflict(counselor.id, slot.start, slot.end):
        raise _taken()
    appointment = _new(case, counselor, client, slot.start, slot.end, slot.mode, slot.place,
                       AppointmentStatus.AGREED, now)
    return _confirm(appointment, client, now)


def propose(case: Case, counselor: User, starts: list[datetime], minutes: int = 60,
            now: datetime | None = None, mode: Mode | None = None, place: str | None = None,
            code: str | None = None) -> list[Appointment]:
    """The counselor proposes up to three times; the client accepts one. The form of service is
    the one asked for unless `mode` is given; the place (room or meeting link) is the counselor's
    window's unless `place` is given; `code` is the meeting's access code."""
    now = now or utcnow()
    _open_case(case)
    if _active_appointment_id(case.id):
        raise _already_agreed()
    starts = sorted(set(starts))
    if not starts or len(starts) > MAX_PROPOSALS:
        raise DomainError(_("Usulkan satu sampai tiga waktu."))
    if any(s <= now for s in starts):
        raise DomainError(_("Waktu yang diusulkan harus di masa depan."))
    if any(_conflict(counselor.id, s, s + timedelta(minutes=minutes)) for s in starts):
        raise DomainError(_("Salah satu waktu bentrok dengan jadwal Anda yang lain."))
    options = booking_options(case.procedure)
    if options is not None and options.get("working_hours"):
        _check_working_hours(counselor, starts, minutes)
    db.session.execute(db.delete(Appointment).where(Appointment.case_id == case.id,
                                                    Appointment.status == AppointmentStatus.PROPOSED))
    mode = mode or requested_mode(case) or Mode.IN_PERSON
    if not place:
        window = db.session.scalar(db.select(Availability).where(Availability.counselor_id == counselor.id,
                                                                 Availability.mode == mode).limit(1))
        place = (window.meeting_url if mode == Mode.ONLINE else window.room) if window else None
    proposals = [_new(case, counselor, case.subject, s, s + timedelta(minutes=minutes), mode, place,
                      AppointmentStatus.PROPOSED, now) for s in starts]
    for proposal in proposals:
        proposal.meeting_code = (code or "").strip()[:100] or None
    db.session.flush()
    notify(case.subject, _("Usulan waktu konseling"), _("Konselor Anda mengusulkan %(n)d pilihan waktu. Pilih salah satu: %(url)s",
           n=len(proposals), url=external_url("booking.case_booking", case_id=case.id)),
           key=f"proposal:{case.id}:{proposals[0].id}", now=now)
    return proposals


def _check_working_hours(counselor: User, starts: list[datetime], minutes: int) -> None:
    """Each proposed time lies inside one of the counselor's weekly availability windows (the
    step's `working_hours: true`: "pada jam kerja konselor")."""
    _profile, windows = _profile_and_windows(counselor)
    tz = _tz()
    for start in starts:
        local = start.astimezone(tz)
        end = (local + timedelta(minutes=minutes)).time()
        if not any(w.weekday == local.weekday() and w.start_time <= local.time() and end <= w.end_time
                   and end > local.time() for w in windows):
            raise DomainError(_("Waktu %(when)s di luar jam kerja Anda (ketersediaan mingguan).",
                                when=datetime_filter(local)))


def accept(proposal: Appointment, client: User, now: datetime | None = None) -> Appointment:
    now = now or utcnow()
    if proposal.status != AppointmentStatus.PROPOSED or proposal.client_id != client.id or proposal.start_at <= now:
        raise DomainError(_("Usulan ini tidak lagi berlaku."))
    case = db.session.get(Case, proposal.case_id) if proposal.case_id else None
    _open_case(case)
    _check_serves(proposal.counselor, case)
    lock_counselor(proposal.counselor)
    if proposal.case_id is not None and _active_appointment_id(proposal.case_id):
        raise _already_agreed()
    if _conflict(proposal.counselor_id, proposal.start_at, proposal.end_at):
        raise _taken()
    proposal.status, proposal.updated_at = AppointmentStatus.AGREED, now
    db.session.execute(db.delete(Appointment).where(Appointment.case_id == proposal.case_id,
                                                    Appointment.status == AppointmentStatus.PROPOSED,
                                                    Appointment.id != proposal.id))
    return _confirm(proposal, client, now)


def _check_change(appointment: Appointment, actor: User, reason: str, now: datetime) -> None:
    if appointment.status != AppointmentStatus.AGREED:
        raise DomainError(_("Hanya jadwal yang disepakati yang dapat diubah atau dibatalkan."))
    if actor.id not in (appointment.client_id, appointment.counselor_id):
        raise DomainError(_("Anda bukan peserta jadwal ini."))
    if appointment.start_at <= now:
        raise DomainError(_("Sesi sudah dimulai atau lewat; catat kehadirannya saja."))
    if not reason or not reason.strip():
        raise DomainError(_("Tuliskan alasannya."))


def _is_late(appointment: Appointment, now: datetime) -> bool:
    return appointment.start_at - now < timedelta(minutes=profile_for(appointment.counselor).min_notice_minutes)


def reschedule(appointment: Appointment, actor: User, start: datetime, reason: str,
               now: datetime | None = None) -> Appointment:
    """Move to another free slot; the old reminders are withdrawn, both get the updated invite."""
    now = now or utcnow()
    _check_change(appointment, actor, reason, now)
    case = db.session.get(Case, appointment.case_id) if appointment.case_id else None
    _open_case(case)
    _check_serves(appointment.counselor, case)  # (it may still be cancelled)
    lock_counselor(appointment.counselor)
    slot = _matching_slot(appointment.counselor, start, now)
    if slot_form(appointment.mode) not in (None, slot.mode):  # as the page offers
        raise DomainError(_("Sesi tatap muka hanya dapat dipindahkan ke slot tatap muka."), field="start")
    if _conflict(appointment.counselor_id, slot.start, slot.end, ignore_id=appointment.id):
        raise _taken()
    _withdraw_reminders(appointment)
    appointment.late_change = appointment.late_change or _is_late(appointment, now)
    before = appointment.start_at
    appointment.start_at, appointment.end_at = slot.start, slot.end
    if appointment.mode == Mode.ONLINE:  # a video session is held in any of the counselor's free
        # slots (as proposed: propose_session), with the link the two agreed on
        appointment.meeting_url = appointment.meeting_url or (slot.place if slot.mode == Mode.ONLINE else None)
    else:  # tatap muka: in the room of its new slot
        appointment.location = slot.place
    appointment.sequence += 1
    appointment.reason, appointment.updated_at = reason.strip(), now
    _save(appointment)
    send_invites(appointment, now)
    schedule_reminders(appointment, now)
    if reopen_agreement(appointment, now):  # the case follows: agreed again at the new time
        record_agreement(appointment, actor, now)
    session_changed.send(appointment, actor=actor, what="moved", before=before, now=now)
    return appointment


def cancel(appointment: Appointment, actor: User, reason: str, now: datetime | None = None) -> Appointment:
    """Cancel: reminders withdrawn, cancellation sent, the freed slot offered to the waiting list,
    and the case's agreement step open again for the client to choose a new time."""
    now = now or utcnow()
    _check_change(appointment, actor, reason, now)
    _cancelled(appointment, reason, now)
    if reopen_agreement(appointment, now) and actor.id != appointment.client_id:
        _ask_to_rebook(appointment, now)
    session_changed.send(appointment, actor=actor, what="cancelled", now=now)
    return appointment


def _cancelled(appointment: Appointment, reason: str, now: datetime) -> None:
    """Reminders withdrawn, the cancellation sent to both calendars, the slot offered on."""
    _withdraw_reminders(appointment)
    appointment.late_change = _is_late(appointment, now)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.sequence += 1
    appointment.reason, appointment.updated_at = reason.strip(), now
    db.session.flush()
    send_invites(appointment, now)
    offer_freed_slot(appointment, now)


def _ask_to_rebook(appointment: Appointment, now: datetime) -> None:
    """The counselor cancelled: the client is asked to choose a new time."""
    url = external_url("booking.case_booking", case_id=appointment.case_id)
    notify(appointment.client, _("Pilih waktu konseling baru"),
           _("Jadwal %(when)s dibatalkan oleh konselor (%(reason)s). Pilih waktu baru: %(url)s",
             when=_when(appointment), reason=appointment.reason, url=url),
           key=f"rebook:{appointment.id}:{appointment.sequence}", now=now)


def _check_outcome(appointment: Appointment, actor: User, now: datetime) -> None:
    if actor.id != appointment.counselor_id or appointment.status != AppointmentStatus.AGREED:
        raise DomainError(_("Hanya konselor yang dapat mencatat hasil sesi pada jadwal yang disepakati."))
    if appointment.start_at > now:
        raise DomainError(_("Hasil sesi baru dapat dicatat setelah sesi dimulai."))


def record_session(appointment: Appointment, actor: User, now: datetime | None = None) -> Appointment:
    """The counselor records, after its start, that the session took place: the appointment is
    done, and so is the case's session step (the berita acara and the report follow from it)."""
    now = now or utcnow()
    _check_outcome(appointment, actor, now)
    appointment.status, appointment.updated_at = AppointmentStatus.DONE, now
    record_outcome(appointment, actor, "held", now)
    return appointment


def mark_no_show(appointment: Appointment, actor: User, rebook: bool = True,
                 now: datetime | None = None) -> Appointment:
    """The counselor records that the client did not come; the case records it too and either
    goes back to agreeing a new time (`rebook`) or closes."""
    now = now or utcnow()
    _check_outcome(appointment, actor, now)
    appointment.status, appointment.updated_at = AppointmentStatus.NO_SHOW, now
    appointment.sequence += 1
    record_outcome(appointment, actor, "no_show_rebook" if rebook else "no_show_close", now)
    return appointment


def join_waitlist(case: Case, client: User, now: datetime | None = None) -> WaitlistEntry:
    """The person served is told when an earlier slot with the case's counselor opens."""
    _open_case(case)
    _check_client(case, client)
    _serving(case)
    entry = db.session.scalar(db.select(WaitlistEntry).where(WaitlistEntry.counselor_id == case.assignee_id,
                                                             WaitlistEntry.client_id == client.id))
    if entry is None:
        entry = WaitlistEntry(counselor_id=case.assignee_id, client_id=client.id, case_id=case.id,
                              created_at=now or utcnow())
        db.session.add(entry)
        db.session.flush()
    return entry


def offer_freed_slot(appointment: Appointment, now: datetime) -> WaitlistEntry | None:
    """Tell the first in line (not yet offered) that a slot is free; whoever books first gets it."""
    entry = db.session.scalar(db.select(WaitlistEntry).where(
        WaitlistEntry.counselor_id == appointment.counselor_id, WaitlistEntry.client_id != appointment.client_id,
        WaitlistEntry.offered_at.is_(None)).order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(1))
    if entry is None:
        return None
    entry.offered_at = now
    client = db.session.get(User, entry.client_id)
    url = external_url("booking.case_booking", case_id=entry.case_id)
    notify(client, _("Slot konseling lebih awal tersedia"),
           _("Slot %(when)s dengan %(name)s baru saja kosong. Siapa cepat dia dapat: %(url)s",
             when=_when(appointment), name=appointment.counselor.name, url=url),
           key=f"waitlist:{entry.id}:{appointment.id}", now=now)
    return entry


def _active_appointment_id(case_id: int, other_than: int | None = None) -> int | None:
    query = db.select(Appointment.id).where(Appointment.case_id == case_id, Appointment.status == AppointmentStatus.AGREED)
    if other_than is not None:
        query = query.where(Appointment.id != other_than)
    return db.session.scalar(query.limit(1))


def appointments_for_case(case: Case) -> list[Appointment]:
    """The case's appointments (their `case` is the one given, not loaded again)."""
    return list(db.session.scalars(db.select(Appointment).where(Appointment.case_id == case.id)
                                   .options(lazyload(Appointment.case)).order_by(Appointment.start_at)))
