"""Which services a person sees: the procedures their units offer (switched on) to their roles,
each with its plain-language description and how long it takes by its standard times. Units
live in app/org; this joins them with the loaded procedures."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement

from app.auth.accounts import account_created
from app.auth.models import User
from app.org.models import Unit
from app.org.services import add_user_to_units, enabled_codes, offered_to, sync_units, unit_ids_of, units_offering
from app.extensions import db
from app.sop.definitions import Procedure
from app.sop.models import Case, CaseState
from app.sop.registry import procedures
from app.sop.words import working_amount

WORKING_DAY_MINUTES = 8 * 60  # for "how long", in words only; deadlines use the real calendar


@dataclass(frozen=True)
class Service:
    procedure: Procedure
    unit: Unit
    # How the person takes part: "request" (asks for it for themselves), "record" (opens it for
    # someone else or as an event of the unit), None (serves in it: acts on steps, oversees).
    opens: str | None
    mine: bool = False  # the person is whom it serves (holds its subject role)


def sync_offerings() -> dict[str, Procedure]:
    """Every loaded procedure has a unit offering it (the one its file names, at first)."""
    loaded = procedures()
    sync_units({code: procedure.unit for code, procedure in loaded.items()})
    return loaded


@account_created.connect
def join_serving_units(user: User, actor: User | None = None, **_extra) -> None:
    """A person who registers, or whom staff register, joins the units that serve them: those
    offering a service whose subject role they hold (registered by staff: the staff member's own
    units among those, when there are any)."""
    codes = [code for code, p in sync_offerings().items() if p.subject_role and user.has_role(p.subject_role)]
    units = units_offering(codes)
    if actor is not None:
        units = [u for u in units if u.id in unit_ids_of(actor)] or units
    add_user_to_units(user, [u.code for u in units])


def involved_roles(procedure: Procedure) -> set[str]:
    """Every role that takes part in a procedure: asks, acts on a step, oversees, serves."""
    roles = set(procedure.open_roles) | set(procedure.escalate_to) | set(procedure.team_roles)
    roles |= set(procedure.referral_roles)  # who refers someone to it asks too (the dosen PA)
    roles |= {role for step in procedure.steps for role in step.roles}
    if procedure.subject_role:
        roles.add(procedure.subject_role)
    return roles


def _opens(user: User, procedure: Procedure) -> str | None:
    if not user.has_role(*procedure.open_roles):
        return None
    if procedure.subject_role and user.has_role(procedure.subject_role):
        return "request"
    return "record"


def services_for(user: User) -> list[Service]:
    """The services of the user's units that concern the user's roles, by title."""
    loaded = sync_offerings()
    result = []
    for code, units in offered_to(user).items():
        procedure = loaded.get(code)
        if procedure is None or not user.has_role(*involved_roles(procedure)):
            continue
        mine = bool(procedure.subject_role and user.has_role(procedure.subject_role))
        result.append(Service(procedure, units[0], _opens(user, procedure), mine))
    return sorted(result, key=lambda s: (s.procedure.title, s.unit.name))


class News(NamedTuple):
    """What a domain has new for the person served on their case since they last looked (online:
    a counselor's message not read yet)."""
    where: Callable[[], ColumnElement[bool]]  # the condition on Case
    endpoint: str  # where they read it (takes `case_id`)
    anchor: str | None = None  # and the place on that page


NEWS: list[News] = []


class Running(NamedTuple):
    case_id: int  # the newest open case of the service
    news_url: str | None  # where something new waits for the person on one of them (NEWS)


def running_requests(user: User, services: list[Service]) -> dict[str, Running]:
    """The user's open requests by service (procedure code): on their service cards, the request
    to follow instead of a new one, and where something new waits for them. One query, none when
    they are served by none of `services`."""
    if not any(s.mine for s in services):
        return {}
    newest = [db.func.max(db.case((news.where(), Case.id))) for news in NEWS]  # a case with news
    rows = db.session.execute(db.select(Case.code, db.func.max(Case.id), *newest).where(
        Case.subject_id == user.id, Case.state == CaseState.OPEN).group_by(Case.code))
    return {code: Running(case_id, next((url_for(news.endpoint, case_id=news_id, _anchor=news.anchor)
                                         for news, news_id in zip(NEWS, news_ids) if news_id), None))
            for code, case_id, *news_ids in rows}


def can_see_procedure(user: User, procedure: Procedure) -> bool:
    """Admins see every procedure; others those of their units that concern their roles."""
    return user.has_role("admin") or any(s.procedure.code == procedure.code for s in services_for(user))


def unit_for_request(user: User, procedure: Procedure, unit_id: int | None = None) -> Unit | None:
    """The unit a new case of `procedure` opened by `user` belongs to: one of the user's units
    offering it (the chosen one when given), None when the user may not open it."""
    if not user.has_role(*procedure.open_roles):
        return None
    sync_offerings()
    units = offered_to(user).get(procedure.code, [])
    if unit_id is not None:
        units = [u for u in units if u.id == unit_id]
    return units[0] if units else None


def default_unit(procedure: Procedure) -> Unit | None:
    """The unit offering a procedure, for cases opened outside a request form."""
    sync_offerings()
    return enabled_codes().get(procedure.code)


def _words(minutes: int) -> str:
    if minutes < 60:
        return _("%(n)d menit", n=minutes)
    if minutes < WORKING_DAY_MINUTES:
        return working_amount(math.ceil(minutes / 60), "hours")
    return working_amount(math.ceil(minutes / WORKING_DAY_MINUTES), "days")


def _minutes(duration) -> int:
    if duration.unit in ("minutes", "hours"):
        return duration.minutes
    return duration.amount * WORKING_DAY_MINUTES * (5 if duration.unit == "weeks" else 1)


def service_time(procedure: Procedure) -> str:
    """How long it takes, by the standard times (baku mutu) of its steps, in plain words."""
    timed = [s for s in procedure.steps if s.duration is not None]
    if not timed:
        return ""
    first = procedure.steps[0].duration
    total = _words(sum(_minutes(s.duration) for s in timed))
    waits = len(timed) < len(procedure.steps) or any(s.anchor_field for s in procedure.steps)
    parts = []
    if first is not None:
        parts.append(_("Ditanggapi dalam %(time)s.", time=_words(_minutes(first)) if not first.wall_clock
                       else _("%(n)d menit", n=first.minutes)))
    parts.append(_("Seluruh langkah menurut baku mutu: sekitar %(total)s", total=total)
                 + (_(", di luar waktu menunggu jadwal yang disepakati.") if waits else "."))
    return " ".join(parts)
