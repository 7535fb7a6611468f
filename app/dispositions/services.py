"""Disposisi rules: giving a disposition on a step that declares `screen: lembar_disposisi`, carrying the
last one out on a step that declares `screen: pelaksanaan_disposisi`, the chain of a case, the
dispositions waiting for a user ("Tugas saya") and what a letter prints of them. Services flush,
never commit."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, lazyload

from app.auth.models import User, UserRole
from app.auth.roles import role_label
from app.database import utcnow
from app.dispositions.models import Disposition
from app.errors import DomainError
from app.extensions import db
from app.org.models import UserUnit
from app.sop.access import can_act, holds_role, in_units_of
from app.sop.models import Case, CaseState, CaseStep, StepState
from app.sop.services import complete_step

# The standard choices of a lembar disposisi ("Dengan hormat harap: …"), in the order printed.
INSTRUCTIONS = {
    "diketahui": _l("Untuk diketahui"),
    "ditindaklanjuti": _l("Untuk ditindaklanjuti"),
    "diproses": _l("Untuk diproses lebih lanjut"),
    "dibicarakan": _l("Untuk dibicarakan dengan saya"),
    "dijawab": _l("Untuk dijawab"),
    "dipertimbangkan": _l("Untuk dipertimbangkan"),
    "dikoordinasikan": _l("Koordinasikan / konfirmasikan"),
    "saran": _l("Mohon saran / pendapat"),
    "petunjuk": _l("Mohon petunjuk"),
    "dihadiri": _l("Untuk dihadiri / diwakili"),
    "simpan": _l("Simpan / arsip"),
}
GIVE_SCREEN, CARRY_OUT_SCREEN = "lembar_disposisi", "pelaksanaan_disposisi"
MAX_NOTE = 1000
MAX_DAYS_AHEAD = 366


def instruction_labels(codes: list[str]) -> list[str]:
    return [str(INSTRUCTIONS[c]) for c in codes if c in INSTRUCTIONS]


def _screen(case: Case, row: CaseStep) -> dict:
    return case.procedure.step(row.key).screen or {}


def active_screen_row(case: Case, screen: str) -> CaseStep | None:
    """The case's active step when it is carried out on this screen."""
    row = next((r for r in case.current_steps() if r.state == StepState.ACTIVE), None)
    return row if row is not None and _screen(case, row).get("name") == screen else None


def may_give(user: User, case: Case) -> bool:
    row = active_screen_row(case, GIVE_SCREEN)
    return row is not None and can_act(user, case, row)


def may_carry_out(user: User, case: Case) -> bool:
    row = active_screen_row(case, CARRY_OUT_SCREEN)
    return row is not None and can_act(user, case, row)


def chain_of(case: Case) -> list[Disposition]:
    """The case's dispositions in the order given."""
    return list(db.session.scalars(db.select(Disposition).where(Disposition.case_id == case.id)
                                   .order_by(Disposition.given_at, Disposition.id)))


def recipients_for(case: Case, role: str) -> list[User]:
    """Who a disposition may go to: active holders of `role` in the case's unit, never the case's
    person served (who acts on it only as its subject)."""
    query = db.select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True))
    if case.subject_id is not None:
        query = query.where(User.id != case.subject_id)
    if case.unit_id is not None:
        query = query.join(UserUnit, UserUnit.user_id == User.id).where(UserUnit.unit_id == case.unit_id)
    return list(db.session.scalars(query.order_by(User.name).distinct()))


def _open_to_others(case: Case, user: User, chain: list[Disposition]) -> list[Disposition]:
    return [d for d in chain if d.done_at is None and d.to_user_id != user.id]


def _check_turn(case: Case, user: User, chain: list[Disposition]) -> list[Disposition]:
    """The open dispositions addressed to `user`; refuse when the chain waits for someone else."""
    mine = [d for d in chain if d.done_at is None and d.to_user_id == user.id]
    if not mine and _open_to_others(case, user, chain):
        names = ", ".join(sorted({d.to_user.name for d in _open_to_others(case, user, chain)}))
        raise DomainError(_("Disposisi terakhir ditujukan kepada %(names)s; hanya penerimanya yang dapat "
                            "melanjutkannya.", names=names))
    return mine


def _local_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"])).date()


def give_disposition(case: Case, user: User, to_user_id: int | None, codes: list[str], note: str | None,
                     due_on: date | None, now: datetime | None = None) -> Disposition:
    """The actor of the case's active disposisi step gives a disposition to a holder of the role
    the step's screen names; the dispositions addressed to them are thereby done (passed on); the
    step is completed (its lembar disposisi is issued)."""
    now = now or utcnow()
    if case.state != CaseState.OPEN:
        raise DomainError(_("Kasus ini sudah ditutup."))
    row = active_screen_row(case, GIVE_SCREEN)
    if row is None or not can_act(user, case, row):
        raise DomainError(_("Tidak ada langkah disposisi yang menunggu Anda pada kasus ini."))
    to_role = _screen(case, row).get("to")
    to_user = db.session.get(User, to_user_id) if to_user_id else None
    if to_user is None or not to_user.active or not holds_role(to_user, case, to_role) or to_user.id == case.subject_id:
        raise DomainError(_("Pilih penerima disposisi: %(role)s yang aktif di unit ini.", role=role_label(to_role)),
                          "to_user")
    if to_user.id == user.id:
        raise DomainError(_("Disposisi tidak dapat ditujukan kepada diri sendiri."), "to_user")
    codes = list(dict.fromkeys(codes or []))
    if not codes:
        raise DomainError(_("Pilih minimal satu isi disposisi."), "instructions")
    unknown = [c for c in codes if c not in INSTRUCTIONS]
    if unknown:
        raise DomainError(_("Isi disposisi '%(value)s' tidak dikenal.", value=unknown[0]), "instructions")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_("Catatan paling panjang %(n)d karakter.", n=MAX_NOTE), "note")
    today = _local_today(now)
    if due_on is None or due_on < today or due_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError(_("Batas waktu harus antara hari ini dan satu tahun ke depan."), "due_on")
    chain = chain_of(case)
    for received in _check_turn(case, user, chain):
        received.done_at, received.done_by_id, received.done_step = now, user.id, row.key
        received.done_note = _("Diteruskan dengan disposisi kepada %(name)s.", name=to_user.name)
    from_role = next((r for r in row.roles if holds_role(user, case, r)), row.roles[0])
    disposition = Disposition(case_id=case.id, step_key=row.key, attempt=row.attempt, from_user_id=user.id,
                              from_role=from_role, to_user_id=to_user.id, to_role=to_role,
                              instructions=",".join(codes), note=note or None, due_on=due_on, given_at=now)
    db.session.add(disposition)
    db.session.flush()
    complete_step(case, row.key, user, {}, now=now)
    _notify(disposition, case, now)
    return disposition


def carry_out(case: Case, user: User, note: str | None, now: datetime | None = None) -> list[Disposition]:
    """The recipient of the last disposition reports it carried out: the dispositions addressed
    to them are done, with what was done; the step is completed."""
    now = now or utcnow()
    if case.state != CaseState.OPEN:
        raise DomainError(_("Kasus ini sudah ditutup."))
    row = active_screen_row(case, CARRY_OUT_SCREEN)
    if row is None or not can_act(user, case, row):
        raise DomainError(_("Tidak ada perintah disposisi yang menunggu Anda laksanakan pada kasus ini."))
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Tuliskan apa yang telah dilaksanakan."), "note")
    if len(note) > MAX_NOTE:
        raise DomainError(_("Catatan paling panjang %(n)d karakter.", n=MAX_NOTE), "note")
    mine = _check_turn(case, user, chain_of(case))
    if not mine:
        raise DomainError(_("Belum ada disposisi pimpinan yang ditujukan kepada Anda pada kasus ini."))
    for received in mine:
        received.done_at, received.done_by_id, received.done_step, received.done_note = now, user.id, row.key, note
    db.session.flush()
    complete_step(case, row.key, user, {}, now=now)
    return mine


def check_step_record(case: Case, step, row: CaseStep) -> None:
    """A disposisi step is done only with its record (given or carried out on its screen): the
    generic step form cannot complete it empty."""
    name = (step.screen or {}).get("name")
    if name == GIVE_SCREEN:
        found = db.session.scalar(db.select(Disposition.id).where(
            Disposition.case_id == case.id, Disposition.step_key == row.key, Disposition.attempt == row.attempt))
    elif name == CARRY_OUT_SCREEN:
        found = db.session.scalar(db.select(Disposition.id).where(
            Disposition.case_id == case.id, Disposition.done_step == row.key, Disposition.done_by_id == row.done_by_id))
    else:
        return
    if found is None:
        raise DomainError(_("Langkah ini diselesaikan melalui halaman lembar disposisi."))


def _notify(disposition: Disposition, case: Case, now: datetime) -> None:
    """The recipient learns of the disposition by their channels (the link opens their task)."""
    from app.notifications.services import notify
    from app.urls import external_url

    labels = ", ".join(instruction_labels(disposition.codes))
    body = _("%(sender)s memberikan disposisi kepada Anda atas kasus #%(id)d: %(what)s. Batas waktu: %(due)s.\n\n%(link)s",
             sender=disposition.from_user.name, id=case.id, what=labels,
             due=format_date(disposition.due_on, "d MMMM y", locale="id"),
             link=external_url("sop.show_case", case_id=case.id))
    notify(disposition.to_user, _("Disposisi: kasus #%(id)d", id=case.id), body, key=f"disposition:{disposition.id}",
           now=now)


# -- what other screens show ----------------------------------------------------------------
def due_moment(due_on: date) -> datetime:
    """The end of the deadline's day, in the institution's zone."""
    tz = ZoneInfo(current_app.config["APP_TIMEZONE"])
    return datetime.combine(due_on, time(23, 59), tz)


def addressed_roles() -> set[str]:
    """The roles a lembar disposisi of a loaded procedure is addressed to (its screen's `to`)."""
    from app.sop.registry import procedures

    return {step.screen.get("to") for procedure in procedures().values() for step in procedure.steps
            if isinstance(step.screen, dict) and step.screen.get("name") == GIVE_SCREEN}


def waiting_for(user: User) -> list[tuple[Disposition, CaseStep | None]]:
    """Open dispositions addressed to the user on open cases, each with the case's active step
    (where the user acts on it). Two queries whatever their number; none for someone holding no
    role a disposition is addressed to (one who lost it could not carry it out either)."""
    if not user.has_role(*addressed_roles()):
        return []
    rows = list(db.session.scalars(db.select(Disposition).join(Case, Case.id == Disposition.case_id).where(
        Disposition.to_user_id == user.id, Disposition.to_role.in_(sorted(user.roles)),  # still theirs to do
        in_units_of(user, Case),  # the role held in the case's unit (holds_role), as giving it asked
        Disposition.done_at.is_(None), Case.state == CaseState.OPEN)
        .options(joinedload(Disposition.from_user).load_only(User.name), lazyload(Disposition.to_user),
                 lazyload(Disposition.done_by))  # a task shows who gave it
        .order_by(Disposition.due_on, Disposition.id)))
    if not rows:
        return []
    active = {row.case_id: row for row in db.session.scalars(db.select(CaseStep).where(
        CaseStep.case_id.in_({d.case_id for d in rows}), CaseStep.state == StepState.ACTIVE)
        .options(joinedload(CaseStep.case)))}
    return [(d, active.get(d.case_id)) for d in rows]


def _moments_in_words(values: dict) -> dict:
    """The case's date-times as a letter writes them ("Rabu, 25 November 2026 pukul 09.00")."""
    from babel.dates import format_datetime

    words = {}
    for key, value in values.items():
        if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
            words[key] = format_datetime(moment, "EEEE, d MMMM y 'pukul' HH.mm", locale="id")
    return words


def letter_data(case: Case, step_key: str | None, doc_type: str) -> dict:
    """What a lembar disposisi or nota dinas prints: the chain so far (the disposition given at
    this step last), the report it is about (the case's latest nota dinas) and the choices."""
    if doc_type not in ("lembar_disposisi", "nota_dinas"):
        return {}
    from app.documents.models import Letter

    chain = chain_of(case)
    report = db.session.scalar(db.select(Letter).where(
        Letter.case_id == case.id, Letter.doc_type == "nota_dinas", Letter.superseded_by_id.is_(None))
        .order_by(Letter.issued_at.desc(), Letter.id.desc()).limit(1))
    tz = ZoneInfo(current_app.config["APP_TIMEZONE"])
    links = [{
        "dari": d.from_user.name, "dari_jabatan": d.from_user.position or role_label(d.from_role),
        "kepada": d.to_user.name, "kepada_jabatan": d.to_user.position or role_label(d.to_role),
        "isi": instruction_labels(d.codes), "kode": d.codes, "catatan": d.note or "",
        "batas_waktu": format_date(d.due_on, "d MMMM y", locale="id"),
        "tanggal": format_date(d.given_at.astimezone(tz).date(), "d MMMM y", locale="id"),
        "selesai": bool(d.done_at), "selesai_oleh": d.done_by.name if d.done_by else "",
    } for d in chain]
    this = next((link for d, link in zip(reversed(chain), reversed(links)) if d.step_key == step_key), None)
    data = {"waktu": _moments_in_words(case.data or {}), "rantai_disposisi": links, "pilihan_disposisi": [[code, str(label)] for code, label in INSTRUCTIONS.items()]}
    if this is not None:
        data["disposisi_ini"] = this
    if doc_type == "nota_dinas" and step_key:
        # "Yth.": the roles the step's letter goes to (the leaders who receive the report)
        step = next((s for s in case.procedure.steps if s.key == step_key), None)
        roles = [spec.split(":", 1)[1] for spec in (step.document_to if step else ()) if spec.startswith("role:")]
        if roles:
            data["yth"] = ", ".join(role_label(r) for r in roles)
    if report is not None and doc_type == "lembar_disposisi":
        data["nota_dinas"] = {"nomor": report.number, "tanggal": report.context.get("date", ""),
                              "dari": report.signer_position or report.signer_name}
    return data
