"""A case's private conversation between the person served and the case team. Message texts are
sealed at rest; every read of them is written to the access log; e-mails only say that there is
a new message, with the link. A counselor who may take the case claims it by answering (an active
step of theirs, or the procedure's `follow_up` after the last step). A step declaring
`screen: {name: thread, answer: <input>}` is done by the message its actor sends (the intake's
answer). A case in its follow-up is closed here with the counselor's short report."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_time
from flask_babel import gettext as _

from app.auth.models import User
from app.booking.models import Appointment, AppointmentStatus, Mode
from app.booking.services import free_slots, propose, slot_form
from app.booking.words import mode_label
from app.crypto import UndecryptableError, seal, unseal
from app.database import raise_to, utcnow
from app.errors import DomainError
from app.extensions import db
from app.filters import datetime_filter
from app.forms import strip
from app.notifications.services import notify
from app.online.models import ThreadMessage, ThreadRead
from app.sop.access import (can_act, can_claim, can_close, claim, claim_follow_up, claimable_role, follow_up_role,
                            holds_role, in_follow_up, is_participant, lock_case, log_access, on_team, readable_values,
                            undecryptable)
from app.sop.definitions import Field, Procedure, Step
from app.sop.models import Case, CaseAccess, CaseState, CaseStep, StepState
from app.sop.registry import procedure_of
from app.sop.services import close_case, complete_step
from app.urls import external_url

SCREEN = "thread"
MAX_TEXT = 4000
MAX_SHOWN = 500  # messages on one page: the latest
READ = "percakapan"  # the access log's field for a reading of the conversation


def has_thread(procedure: Procedure) -> bool:
    """The procedure's cases have a conversation (a step done in it, or the e-konseling wizard)."""
    return any(s.screen and s.screen["name"] in (SCREEN, "online_intake") for s in procedure.steps)


def may_open(user: User, case: Case) -> bool:
    """The conversation page is for the person served and the team, and for a counselor who may
    still take the case (who sees only the way to take it, never the messages)."""
    return has_thread(case.procedure) and (is_participant(user, case) or can_claim(user, case))


def taken_by_another(user: User, case: Case) -> bool:
    """The open case in its follow-up was taken by a colleague: `user` would have taken it (a role
    that closes it, in its unit) but someone serves it in that role now. What a counselor who
    answered a moment too late is told, instead of a page that is not there."""
    follow_up = case.procedure.follow_up
    return bool(has_thread(case.procedure) and follow_up and in_follow_up(case) and user.id != case.subject_id
                and not on_team(user, case)
                and any(holds_role(user, case, m.role) for m in case.team() if m.role in follow_up.closed_by))


def preview(case: Case) -> list[tuple[str, str]]:
    """What a counselor who may take the case sees of it before answering (beside when it was
    asked): (label, value) of the plain inputs its procedure's `follow_up.preview` names."""
    follow_up = case.procedure.follow_up
    if follow_up is None:
        return []
    origins = case.procedure.field_origins()
    data = case.data or {}
    return [(origins[key][0].label, str(data[key])) for key in follow_up.preview if data.get(key) not in (None, "")]


def sent_at(case: Case) -> datetime:
    """When the request was sent: the last step its person did (the case opened, before any; not
    the app's acknowledgement after it). The waiting requests' list reads the same in SQL
    (online.tasks: Case.waiting_since)."""
    return max((row.done_at for row in case.steps if row.done_at and row.done_by_id == case.subject_id),
               default=case.opened_at)


def _ground(user: User, case: Case) -> str | None:
    if on_team(user, case):
        return "team"
    return "subject" if user.id == case.subject_id else None


def messages(case: Case, reader: User, after: int = 0) -> list[tuple[ThreadMessage, str]]:
    """The messages after id `after`, decrypted, for the subject or the team; reading any logs it
    and moves the reader's position to the newest shown (ThreadRead)."""
    ground = _ground(reader, case)
    if ground is None:
        return []
    rows = list(db.session.scalars(db.select(ThreadMessage).where(ThreadMessage.case_id == case.id,
                                                                   ThreadMessage.id > after)
                                   .order_by(ThreadMessage.id.desc()).limit(MAX_SHOWN)))[::-1]  # the latest
    try:
        result = [(m, unseal(m.sealed).get("text", "")) for m in rows]
    except UndecryptableError:
        raise undecryptable(case) from None
    if result:
        log_access(case, reader, "read", grounds={READ: ground})
        raise_to(ThreadRead, "message_id", rows[-1].id, case_id=case.id, user_id=reader.id)
    return result


def unread_reply():
    """A message to the person served that they have not read: written by someone else after the
    newest one a reading showed them (offerings.NEWS: on their service card). By message, not by
    time: a message written before a reading but committed after it was not shown, so is unread."""
    read_to = (db.select(ThreadRead.message_id)
               .where(ThreadRead.case_id == Case.id, ThreadRead.user_id == Case.subject_id)
               .correlate(Case).scalar_subquery())
    return db.exists().where(ThreadMessage.case_id == Case.id, ThreadMessage.author_id != Case.subject_id,
                             ThreadMessage.id > db.func.coalesce(read_to, 0))


def own_words(case: Case, reader: User) -> list[tuple[str, str]]:
    """What the person served wrote in their own steps (the problem, the complaint), for the
    conversation's head: (label, text) of the confidential inputs `reader` may read; logged."""
    if not is_participant(reader, case):
        return []
    procedure = procedure_of(case.version)
    fields = [f for s in procedure.steps if "subject" in s.roles for f in s.inputs if f.confidential]
    if not fields:
        return []
    values, grounds = readable_values(reader, case)
    shown = {f.key: grounds[f.key] for f in fields if f.key in values}
    if shown:
        log_access(case, reader, "read", grounds=shown)
    return [(f.label, str(values[f.key])) for f in fields if f.key in shown]


def _clean(text: str | None) -> str:
    text = strip(text or "")
    if not text:
        raise DomainError(_("Tuliskan pesan Anda."), field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(_("Pesan paling panjang %(n)d karakter.", n=MAX_TEXT), field="text")
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        raise DomainError(_("Pesan berisi karakter yang tidak diizinkan."), field="text")
    return text


def _claim_by_answering(case: Case, user: User, now: datetime) -> None:
    """A counselor who is not yet on the team takes the case by its active step of their role."""
    row = next((r for r in case.current_steps() if r.state == StepState.ACTIVE and claimable_role(user, case, r)
                and can_act(user, case, r)), None)
    if row is not None:
        claim(case, user, row, now)
    elif follow_up_role(user, case):
        claim_follow_up(case, user, now)  # after the last step: whoever answers first takes it
    else:
        raise DomainError(_("Kasus ini belum dapat atau tidak lagi dapat Anda tangani."), field="text")


def _answering_step(case: Case, author: User) -> tuple[CaseStep, Step] | None:
    """The active step that a message of `author` completes (`screen: {name: thread}`)."""
    procedure = procedure_of(case.version)
    for row in case.current_steps():
        step = procedure.step(row.key)
        if (row.state == StepState.ACTIVE and step.screen and step.screen["name"] == SCREEN
                and can_act(author, case, row)):
            return row, step
    return None


def post_message(case: Case, author: User, text: str, now: datetime | None = None) -> ThreadMessage:
    """Add a message; the other side is told there is one (never what it says). Under the case's
    lock (lock_case): a case's messages get their ids in the order they are committed, so that
    a reading that showed message N has seen every message before it (ThreadRead, the poll)."""
    now = now or utcnow()
    text = _clean(text)
    lock_case(case)
    if case.state != CaseState.OPEN:
        raise DomainError(_("Layanan ini sudah selesai; percakapan ditutup."), field="text")
    if not is_participant(author, case):
        _claim_by_answering(case, author, now)
    message = ThreadMessage(case_id=case.id, author_id=author.id, sealed=seal({"text": text}), created_at=now)
    message.author = author
    db.session.add(message)
    db.session.flush()
    answering = _answering_step(case, author)
    if answering is not None:  # the answer the step asks for (the first answer, the intake's)
        complete_step(case, answering[0].key, author, {answering[1].screen["answer"]: text}, now=now)
    link = external_url("online.show_thread", case_id=case.id)
    subject = _("Pesan baru di Ruang Konseling (#%(id)d)", id=case.id)
    body = _("Ada pesan baru untuk Anda pada layanan %(service)s. Bacalah di aplikasi: %(link)s",
             service=case.procedure.title, link=link)
    recipients = [m.user for m in case.team() if on_team(m.user, case)] if author.id == case.subject_id else (
        [case.subject] if case.subject is not None else [])
    opened = _last_opened(case, [r.id for r in recipients])
    for recipient in recipients:  # one notice per recipient until they open the case again
        notify(recipient, subject, body, key=f"thread:{case.id}:unread-after:{opened.get(recipient.id, 0)}", now=now)
    return message


def _last_opened(case: Case, user_ids: list[int]) -> dict[int, int]:
    """The latest access-log line of each of these people opening or reading the case (one query)."""
    if not user_ids:
        return {}
    rows = db.session.execute(db.select(CaseAccess.user_id, db.func.max(CaseAccess.id)).where(
        CaseAccess.case_id == case.id, CaseAccess.user_id.in_(user_ids), CaseAccess.action.in_(("read", "view")))
        .group_by(CaseAccess.user_id))
    return dict(rows.all())


# -- the follow-up's closing report --------------------------------------------------------
def closing_report(user: User, case: Case) -> Field | None:
    """The report `user` may close the case with now (the procedure's `follow_up.report`), if any:
    the case is in its follow-up and they are on the team in one of its `closed_by` roles."""
    follow_up = case.procedure.follow_up
    return follow_up.report if follow_up and follow_up.report and can_close(user, case) else None


class Sessions(NamedTuple):
    """A case's sessions as its conversation shows them."""
    agreed: Appointment | None  # the agreed session still to come (closing would leave it hanging)
    proposal: Appointment | None  # the first time proposed, waiting for the person's answer
    cancelled: Appointment | None  # the last change was a session called off: said until another


def sessions(case: Case, now: datetime | None = None) -> Sessions:
    """The case's agreed, proposed and called-off sessions, read at once."""
    now = now or utcnow()
    rows = db.session.scalars(db.select(Appointment).where(Appointment.case_id == case.id)
                              .order_by(Appointment.start_at)).all()
    agreed = next((a for a in rows if a.status == AppointmentStatus.AGREED and a.end_at > now), None)
    proposal = next((a for a in rows if a.status == AppointmentStatus.PROPOSED), None)
    latest = max(rows, key=lambda a: (a.updated_at, a.id), default=None)
    cancelled = latest if latest is not None and latest.status == AppointmentStatus.CANCELLED else None
    return Sessions(agreed, proposal, cancelled)


def close_with_report(case: Case, user: User, text: str, now: datetime | None = None) -> Case:
    """Close the case with the counselor's short report (kept on the case, never posted); the
    conversation is read-only afterwards."""
    now = now or utcnow()
    report = closing_report(user, case)
    if report is None:
        raise DomainError(_("Layanan ini belum dapat Anda tutup."), field="text")
    text = _clean(text)
    if len(text) > report.max:
        raise DomainError(_("Laporan paling panjang %(n)d karakter.", n=report.max), field="text")
    session = sessions(case, now).agreed
    if session is not None:  # closed, the case would leave it on both calendars
        raise DomainError(_("Masih ada sesi yang disepakati pada %(when)s. Batalkan sesi itu di halaman jadwal "
                            "bila tidak jadi, atau tutup layanan setelah sesi selesai.",
                            when=datetime_filter(session.start_at)), field="text")
    return close_case(case, user, {report.key: text}, now=now)


# -- a session proposed from the conversation -----------------------------------------------
SESSION_DAYS = 14  # the free slots offered: the next two weeks
SLOT_VALUE = "%Y-%m-%dT%H:%M"  # a slot's start in the app's time zone, as the form sends it


def session_choices(counselor: User, now: datetime | None = None) -> list[tuple[str, str]]:
    """The counselor's free slots of the next two weeks as the session form offers them, each
    named with its day, short enough for a phone's closed list, which shows only the chosen one:
    (value, "Sen, 30 Nov · 09.00–10.00 · tatap muka"). None of them chosen at first."""
    now = now or utcnow()
    today = now.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"])).date()
    return [(slot.start.strftime(SLOT_VALUE), f"{format_date(slot.start, 'EEE, d MMM')} · "
             f"{format_time(slot.start, 'HH.mm')}–{format_time(slot.end, 'HH.mm')} · {mode_label(slot.mode)}")
            for slot in free_slots(counselor, today, SESSION_DAYS, now)]


def propose_session(case: Case, counselor: User, start: datetime, mode: Mode, place: str | None,
                    code: str | None, now: datetime | None = None) -> Appointment:
    """The counselor proposes a video (link and code) or tatap muka session at one of their free
    slots; the person accepts it on the booking page (invite, reminders, the counselor's feed)."""
    now = now or utcnow()
    if not on_team(counselor, case) or case.assignee_id != counselor.id:
        raise DomainError(_("Hanya konselor kasus ini yang dapat mengusulkan sesi."), field="start")
    if mode == Mode.ONLINE and not place:
        raise DomainError(_("Sesi video memerlukan tautan pertemuan."), field="meeting_url")
    local = (start if start.tzinfo else start.replace(tzinfo=ZoneInfo(current_app.config["APP_TIMEZONE"])))
    slot = next((s for s in free_slots(counselor, local.date(), 1, now) if s.start == local), None)
    if slot is None:
        raise DomainError(_("Waktu itu di luar jam layanan Anda atau sudah terisi; pilih salah satu slot Anda."),
                          field="start")
    if slot_form(mode) not in (None, slot.mode):  # tatap muka needs the slot's room
        raise DomainError(_("Sesi tatap muka hanya pada slot tatap muka Anda (yang ada ruangnya)."), field="start")
    minutes = int((slot.end - slot.start) / timedelta(minutes=1))
    proposal = propose(case, counselor, [slot.start], minutes=minutes, now=now, mode=mode,
                       place=place if mode == Mode.ONLINE else slot.place, code=code)[0]
    what = _("sesi video") if mode == Mode.ONLINE else _("sesi tatap muka")
    post_message(case, counselor, _("Saya mengusulkan %(what)s pada %(when)s. Terima atau pilih waktu lain di "
                                    "halaman jadwal.", what=what, when=datetime_filter(slot.start)), now)
    return proposal


def say_session_change(appointment: Appointment, actor: User, what: str, now: datetime,
                       before: datetime | None = None) -> None:
    """An agreed session of a case with a conversation, moved or called off, is a line in it in the
    words of whoever did it: the history both read there (from the counselor, news on the person's
    home page; from the person, a message for the counselor to answer). The other side was sent
    the updated invite or the cancellation already, so no notice of a new message."""
    case = appointment.case
    if case is None or case.state != CaseState.OPEN or not has_thread(case.procedure):
        return
    when = datetime_filter(appointment.start_at)
    if what == "moved":
        text = _("Sesi %(before)s saya pindahkan ke %(when)s (%(mode)s). Alasan: %(reason)s",
                 before=datetime_filter(before), when=when, mode=mode_label(appointment.mode),
                 reason=appointment.reason)
    else:
        text = _("Sesi %(when)s saya batalkan. Alasan: %(reason)s", when=when, reason=appointment.reason)
    lock_case(case)  # ids in commit order, as post_message
    db.session.add(ThreadMessage(case_id=case.id, author_id=actor.id, sealed=seal({"text": text}), created_at=now))
    db.session.flush()
