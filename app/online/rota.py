"""The duty rota: which counselor answers a unit's online requests, by weekday and hours. The
head keeps it; the acknowledgement of a new request goes to whoever is on duty."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists
from sqlalchemy.orm import with_expression

from app.auth.models import User, UserRole
from app.errors import DomainError
from app.extensions import db
from app.online.models import DutyShift
from app.org.models import Unit, UserUnit
from app.org.services import cached_unit_ids, units_of, units_offering_to


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def rota_units(head: User) -> list[Unit]:
    """The units whose rota `head` keeps: their own units (a head's role counts in their units),
    those offering an online service first."""
    from app.online.thread import has_thread
    from app.sop.registry import procedures

    if not head.has_role("head"):
        return []
    online = {unit.id for unit in units_offering_to(head, [p.code for p in procedures().values() if has_thread(p)])}
    return sorted(units_of(head), key=lambda unit: unit.id not in online)


def _serving():
    """The shift's counselor still serves its unit: active, holding the counselor role, a member."""
    return and_(DutyShift.counselor.has(User.active.is_(True)),
                exists().where(UserRole.user_id == DutyShift.counselor_id, UserRole.role == "counselor"),
                exists().where(UserUnit.user_id == DutyShift.counselor_id, UserUnit.unit_id == DutyShift.unit_id))


def shifts_of(unit_ids) -> list[DutyShift]:
    """The shifts of these units, by weekday and hour, each knowing whether it still counts
    (`serving`; one query)."""
    ids = list(unit_ids)
    if not ids:
        return []
    return list(db.session.scalars(db.select(DutyShift).where(DutyShift.unit_id.in_(ids))
                                   .options(with_expression(DutyShift.serving, _serving()))
                                   .order_by(DutyShift.unit_id, DutyShift.weekday, DutyShift.start_time)))


def _check_head(head: User, unit_id: int) -> None:
    if not head.has_role("head") or unit_id not in cached_unit_ids(head):
        raise DomainError(_("Hanya kepala unit yang dapat mengatur jadwal piket unit ini."), field="unit")


def add_shift(head: User, unit_id: int, counselor_id: int, weekday: int, start: time, end: time) -> DutyShift:
    """A counselor of the unit on duty on `weekday` from `start` to `end` (local time)."""
    _check_head(head, unit_id)
    counselor = db.session.get(User, counselor_id)
    if counselor is None or not counselor.active or not counselor.has_role("counselor") \
            or unit_id not in cached_unit_ids(counselor):
        raise DomainError(_("Pilih konselor aktif dari unit ini."), field="counselor")
    if not 0 <= weekday <= 6:
        raise DomainError(_("Pilih hari."), field="weekday")
    if end <= start and end != time(0, 0):
        raise DomainError(_("Jam selesai harus setelah jam mulai."), field="end_time")
    shift = DutyShift(unit_id=unit_id, counselor_id=counselor.id, weekday=weekday, start_time=start,
                      end_time=end, created_by_id=head.id)
    shift.counselor = counselor
    db.session.add(shift)
    db.session.flush()
    return shift


def remove_shift(head: User, shift: DutyShift) -> None:
    _check_head(head, shift.unit_id)
    db.session.delete(shift)
    db.session.flush()


def _covers(shift: DutyShift, moment: datetime) -> bool:
    clock = moment.time().replace(tzinfo=None)
    until_midnight = shift.end_time == time(0, 0)
    return shift.weekday == moment.weekday() and shift.start_time <= clock and (until_midnight or clock < shift.end_time)


def on_duty(unit_id: int | None, now: datetime) -> tuple[list[User], datetime | None]:
    """The counselors on duty for the unit at `now`; when nobody is, those of the next shift and
    when it begins (within a week). ([], None) for a unit without a rota. A shift of a counselor
    who no longer serves the unit (left it, lost the role, deactivated) counts not."""
    shifts = [s for s in shifts_of([unit_id]) if s.serving] if unit_id else []
    if not shifts:
        return [], None
    local = now.astimezone(_tz())
    current = [s.counselor for s in shifts if _covers(s, local)]
    if current:
        return list({u.id: u for u in current}.values()), None
    best: tuple[datetime, list[User]] | None = None
    for s in shifts:
        days = (s.weekday - local.weekday()) % 7
        begins = datetime.combine(local.date() + timedelta(days=days), s.start_time, local.tzinfo)
        if begins <= local:
            begins += timedelta(days=7)
        if best is None or begins < best[0]:
            best = (begins, [s.counselor])
        elif begins == best[0]:
            best[1].append(s.counselor)
    return (best[1], best[0]) if best else ([], None)
