"""Units and what they offer: created from the procedures' `unit:` on first use, procedures
switched on and off per unit, unit settings and membership, each change in the audit log.
Services flush, never commit."""
from __future__ import annotations

from datetime import time

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import true
from sqlalchemy.orm import lazyload, selectinload

from app.auth.audit import ACTIONS, record_audit
from app.auth.models import User
from app.cache import forget, kept
from app.errors import DomainError
from app.extensions import db
from app.org.models import Institution, Unit, UnitProcedure, UserUnit

ACTIONS.update({
    "unit.update": _l("Unit layanan diubah"),
    "unit.procedure_on": _l("Layanan unit diaktifkan"),
    "unit.procedure_off": _l("Layanan unit dinonaktifkan"),
    "user.units": _l("Keanggotaan unit diubah"),
})

DEFAULT_HOURS = {str(day): ["08:00", "16:00"] for day in range(5)}  # Monday..Friday
# What a new installation starts with until an admin fills the letterhead (kop surat).
NEW_INSTITUTION = dict(name="Institusi", unit="Unit layanan konseling")
LETTERHEAD_FIELDS = ("address", "city", "phone", "email", "website")


def current_institution() -> Institution:
    """The installation's institution (created with neutral defaults on first use; the admin's
    letterhead page names it)."""
    institution = db.session.scalar(db.select(Institution).order_by(Institution.id).limit(1))
    if institution is None:
        institution = Institution(timezone=current_app.config["APP_TIMEZONE"], office_hours=dict(DEFAULT_HOURS),
                                  **NEW_INSTITUTION)
        db.session.add(institution)
        db.session.flush()
    return institution


# -- units and their offers ----------------------------------------------------------------
def sync_units(offers: dict[str, dict | None]) -> None:
    """Give every procedure (code -> its `unit:` spec) a unit offering it, once: a procedure seen
    for the first time is offered, switched on, by the unit its file names (created when missing;
    None: the institution's main unit). After that only admins change what a unit offers.
    The very first units of an installation that already has people and cases (an upgrade) take
    them all in, so nothing anyone used disappears until an admin narrows it."""
    known = kept("offered_codes", None, lambda: set(db.session.scalars(db.select(UnitProcedure.code).distinct())))
    missing = {code: spec for code, spec in offers.items() if code not in known}
    if not missing:
        return
    forget("offered_codes")
    institution = current_institution()
    units = {u.code: u for u in db.session.scalars(db.select(Unit))}
    first = not units
    for code, spec in missing.items():
        spec = spec or {"code": institution.unit_code, "name": institution.unit, "institution": institution.name}
        unit = units.get(spec["code"])
        if unit is None:
            unit = Unit(institution_id=institution.id, code=spec["code"], name=spec["name"],
                        institution_name=spec["institution"], office_hours={})
            if spec["code"] == institution.unit_code:  # the institution's own unit keeps its letterhead
                if (institution.name, institution.unit) == (NEW_INSTITUTION["name"], NEW_INSTITUTION["unit"]):
                    # a new installation: its letterhead starts as its procedure files name the unit
                    institution.name, institution.unit = spec["institution"], spec["name"]
                unit.name, unit.institution_name = institution.unit, institution.name
                for name in LETTERHEAD_FIELDS:
                    setattr(unit, name, getattr(institution, name))
            db.session.add(unit)
            units[unit.code] = unit
        db.session.add(UnitProcedure(unit=unit, code=code, enabled=True))
    db.session.flush()
    if first:
        _take_in_existing(list(units.values()))


def _take_in_existing(units: list[Unit]) -> None:
    cases = db.metadata.tables["cases"]  # org sits below sop: it fills the column, not the model
    user_ids = list(db.session.scalars(db.select(User.id)))
    db.session.add_all(UserUnit(user_id=user_id, unit_id=unit.id) for user_id in user_ids for unit in units)
    by_code = {offer.code: offer.unit_id for unit in units for offer in unit.offers}
    for code, unit_id in by_code.items():
        db.session.execute(cases.update().where(cases.c.code == code, cases.c.unit_id.is_(None)).values(unit_id=unit_id))
    db.session.flush()


def all_units() -> list[Unit]:
    """Every unit with what it offers (one query for the offers)."""
    return list(db.session.scalars(db.select(Unit).options(selectinload(Unit.offers)).order_by(Unit.name)))


def unit_ids_of(user: User) -> set[int]:
    return set(db.session.scalars(db.select(UserUnit.unit_id).where(UserUnit.user_id == user.id)))


def belongs_to(unit_id: int | None, user_id):
    """SQL condition: the user whose id is `user_id` (a column) is a member of the unit; anyone,
    for no unit (a case of no unit belongs to every unit)."""
    if unit_id is None:
        return true()
    return user_id.in_(db.select(UserUnit.user_id).where(UserUnit.unit_id == unit_id))


def cached_unit_ids(user: User) -> set[int]:
    """unit_ids_of, read once per loaded user (access checks ask for every case on a page); the
    changes below forget it."""
    cached = user.__dict__.get("_unit_ids")
    if cached is None:
        cached = user.__dict__["_unit_ids"] = unit_ids_of(user)
    return cached


def _memberships(user: User) -> tuple[list[Unit], dict[str, list[Unit]]]:
    """The user's units by name and, per procedure code, those of them offering it now: one
    query, read once per loaded user (the home page and the service list ask for both)."""
    cached = user.__dict__.get("_memberships")
    if cached is None:
        units: dict[int, Unit] = {}
        offered: dict[str, list[Unit]] = {}
        for unit, code in db.session.execute(
                db.select(Unit, UnitProcedure.code).join(UserUnit, UserUnit.unit_id == Unit.id)
                .outerjoin(UnitProcedure, (UnitProcedure.unit_id == Unit.id) & UnitProcedure.enabled.is_(True))
                .where(UserUnit.user_id == user.id).order_by(Unit.name, Unit.id)
                .options(lazyload(Unit.institution))):  # not its letterhead (a logo among it)
            units[unit.id] = unit
            if code is not None:
                offered.setdefault(code, []).append(unit)
        cached = user.__dict__["_memberships"] = (list(units.values()), offered)
        user.__dict__.setdefault("_unit_ids", set(units))
    return cached


def units_of(user: User) -> list[Unit]:
    return _memberships(user)[0]


def offered_to(user: User) -> dict[str, list[Unit]]:
    """Procedure code -> the user's units that offer it now (switched on)."""
    return _memberships(user)[1]


def units_offering_to(user: User, codes) -> list[Unit]:
    """The user's units that offer any of these procedures now (from offered_to: no query more)."""
    offered = offered_to(user)
    return list({unit.id: unit for code in codes for unit in offered.get(code, [])}.values())


def enabled_codes() -> dict[str, Unit]:
    """Procedure code -> the first unit offering it now (for cases opened outside a request
    form: the command line, jobs)."""
    rows = db.session.execute(db.select(UnitProcedure.code, Unit).join(Unit, UnitProcedure.unit_id == Unit.id)
                              .where(UnitProcedure.enabled.is_(True)).order_by(Unit.id))
    result: dict[str, Unit] = {}
    for code, unit in rows:
        result.setdefault(code, unit)
    return result


def set_offer(unit: Unit, code: str, enabled: bool, title: str) -> None:
    """Switch a procedure on or off for a unit. Open cases go on; new requests stop."""
    offer = next((o for o in unit.offers if o.code == code), None)
    if offer is None:
        raise DomainError(_("Unit ini tidak menawarkan layanan tersebut."))
    if offer.enabled == enabled:
        return
    offer.enabled = enabled
    db.session.flush()
    record_audit("unit.procedure_on" if enabled else "unit.procedure_off", unit,
                 details={"procedure": code},
                 summary=(_("%(unit)s kembali menawarkan %(title)s.", unit=unit.name, title=title) if enabled
                          else _("%(unit)s berhenti menawarkan %(title)s.", unit=unit.name, title=title)))


def office_hours_of(unit: Unit) -> dict:
    """The unit's working hours (weekday -> [open, close]); the institution's when not set."""
    return unit.office_hours or unit.institution.office_hours or dict(DEFAULT_HOURS)


def update_unit(unit: Unit, *, office_hours: dict[int, tuple[time, time]], **values) -> None:
    """Save a unit's name, letterhead and working hours (at least one working day)."""
    if not office_hours:
        raise DomainError(_("Isi jam kerja minimal untuk satu hari."))
    clash = db.session.scalar(db.select(Unit.id).where(Unit.code == values["code"], Unit.id != unit.id))
    if clash:
        raise DomainError(_("Kode unit %(code)s sudah dipakai unit lain.", code=values["code"]), "code")
    for name, value in values.items():
        setattr(unit, name, value)
    unit.office_hours = {str(day): [start.strftime("%H:%M"), end.strftime("%H:%M")]
                         for day, (start, end) in sorted(office_hours.items())}
    db.session.flush()
    record_audit("unit.update", unit, summary=_("Data unit %(unit)s diubah.", unit=unit.name))


def letterhead_of(unit: Unit) -> dict:
    """What a letter of this unit prints in its kop and number (same keys as the institution's)."""
    return {"name": unit.institution_name, "unit": unit.name, "address": unit.address or "",
            "city": unit.city or "", "phone": unit.phone or "", "email": unit.email or "",
            "website": unit.website or "", "unit_code": unit.code}


def set_user_units(user: User, unit_ids, actor: User | None = None) -> bool:
    """Make the user a member of exactly these units; says whether anything changed."""
    wanted = {int(i) for i in unit_ids}
    found = set(db.session.scalars(db.select(Unit.id).where(Unit.id.in_(wanted)))) if wanted else set()
    if found != wanted:
        raise DomainError(_("Unit tidak dikenal."), "units")
    current = unit_ids_of(user)
    if current == wanted:
        return False
    db.session.execute(db.delete(UserUnit).where(UserUnit.user_id == user.id, UserUnit.unit_id.in_(current - wanted)))
    db.session.add_all(UserUnit(user_id=user.id, unit_id=unit_id) for unit_id in sorted(wanted - current))
    db.session.flush()
    for name in ("_unit_ids", "_memberships"):  # cached_unit_ids and units_of read them again
        user.__dict__.pop(name, None)
    names = ", ".join(db.session.scalars(db.select(Unit.name).where(Unit.id.in_(wanted)).order_by(Unit.name))) or "—"
    record_audit("user.units", user, actor=actor, details={"units": sorted(wanted)},
                 summary=_("Unit %(name)s: %(units)s.", name=user.name, units=names))
    return True


def units_offering(codes) -> list[Unit]:
    """The units that offer any of these procedures now (switched on)."""
    offering = db.select(UnitProcedure.unit_id).where(UnitProcedure.code.in_(list(codes)),
                                                      UnitProcedure.enabled.is_(True))
    return list(db.session.scalars(db.select(Unit).where(Unit.id.in_(offering)).order_by(Unit.id)))


def add_user_to_units(user: User, codes) -> None:
    """Add the user to the units with these codes (registration, demo data); unknown codes are ignored."""
    ids = set(db.session.scalars(db.select(Unit.id).where(Unit.code.in_(list(codes)))))
    have = unit_ids_of(user)
    db.session.add_all(UserUnit(user_id=user.id, unit_id=unit_id) for unit_id in sorted(ids - have))
    db.session.flush()
    user.__dict__.pop("_unit_ids", None)
