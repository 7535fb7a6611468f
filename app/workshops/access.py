"""Who may see and run a workshop edition: the one home of these rules and the one loader
every workshop route uses (as app/sop/access.py is for cases).

- P2KLLK (head and staff of the unit the edition's case belongs to) run every edition of their
  unit; the follow-up requests are theirs alone.
- The committee members of an edition run that edition (meeting, checklist, announcement, door,
  report), not others.
- The rectorate sees editions (it approves their surat tugas) but runs nothing.
The public pages (registration, ticket, evaluation) go by the attendee's ticket instead."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from app.auth.guards import role_required
from app.auth.models import User
from app.extensions import db
from app.org.services import units_offering_to
from app.sop.access import holds_role
from app.sop.registry import procedures
from app.workshops.models import Workshop

P2KLLK_ROLES = ("head", "staff")


def workshop_procedure():
    """The procedure whose steps the edition page carries out (it declares `screen: workshop`)."""
    return next((p for p in procedures().values() if p.screen_step("workshop")), None)


def runs_workshops(user: User, roles=P2KLLK_ROLES) -> bool:
    """One of `roles` in a unit that offers the workshop (P2KLLK): creates editions, keeps the
    roster and the study programmes. The head of PUSPAGA is not P2KLLK's head."""
    procedure = workshop_procedure()
    if procedure is None or not (user.is_authenticated and user.has_role(*roles)):
        return False
    return bool(units_offering_to(user, [procedure.code]))


def p2kllk_required(*roles: str, admin: bool = False):
    """The view is for `roles` of the unit that offers the workshop (and admins when `admin`);
    403 for anyone else."""

    def decorator(view):
        guarded = role_required(*roles, *(("admin",) if admin else ()))(view)

        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.is_authenticated and not (
                    (admin and current_user.has_role("admin")) or runs_workshops(current_user, roles)):
                abort(403)
            return guarded(*args, **kwargs)

        wrapped.roles = guarded.roles
        return wrapped

    return decorator


def is_p2kllk(user: User, workshop: Workshop) -> bool:
    """Head or staff of the unit the edition's case belongs to."""
    return holds_role(user, workshop.case, *P2KLLK_ROLES)


def is_member(user: User, workshop: Workshop) -> bool:
    """On the edition's committee, while holding the committee role."""
    return user.is_authenticated and user.has_role("committee") and any(
        m.user_id == user.id for m in workshop.committee)


def can_manage(user: User, workshop: Workshop) -> bool:
    """P2KLLK and the edition's committee run it."""
    return is_p2kllk(user, workshop) or is_member(user, workshop)


def can_view(user: User, workshop: Workshop) -> bool:
    """Those who run it, and the rectorate (of the edition's unit: a role holds in one's own units)
    who approves its surat tugas."""
    return can_manage(user, workshop) or holds_role(user, workshop.case, "rectorate")


def load_workshop(workshop_id: int, manage: bool = False, p2kllk: bool = False) -> Workshop:
    """The edition for the current user: 404 when they may not see it (its existence stays
    hidden), 403 when they see it but may not do this (`manage`: P2KLLK or its committee;
    `p2kllk`: P2KLLK only)."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None or not can_view(current_user, workshop):
        abort(404)
    if (manage and not can_manage(current_user, workshop)) or (p2kllk and not is_p2kllk(current_user, workshop)):
        abort(403)
    return workshop


def load_part(workshop: Workshop, model, part_id: int):
    """A row of `model` that belongs to this edition (an announcement, a registration); 404 for
    another edition's, so ids cannot reach across editions."""
    part = db.session.get(model, part_id)
    if part is None or part.workshop_id != workshop.id:
        abort(404)
    return part
