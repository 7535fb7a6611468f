"""The case's assessment: the unit's sheet (the version current when it is filled, kept with
the answers), answers sealed at rest and read only on a confidential ground, each read logged."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.auth.models import User
from app.crypto import seal, unseal
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import strip
from app.sop.access import log_access, read_ground
from app.sop.models import Case, CaseState, StepState
from app.sop.services import complete_step
from app.casefiles.consent import require_consent
from app.casefiles.models import Assessment, AssessmentSheet
from app.casefiles.settings import current_sheet

MAX_ANSWER = {"text": 500, "textarea": 4000}


def assessment_step(case: Case):
    return case.procedure.screen_step("assessment")


def assessment_of(case: Case) -> Assessment | None:
    return db.session.scalar(db.select(Assessment).where(Assessment.case_id == case.id))


def sheet_for(case: Case) -> AssessmentSheet | None:
    """The sheet a case fills: the one it was filled with, else the unit's current one."""
    done = assessment_of(case)
    return done.sheet if done else current_sheet(case.unit_id)


def _summary_key(step) -> str | None:
    return next((f.key for f in step.inputs if f.confidential), None)


def submit_assessment(case: Case, user: User, answers: dict, summary: str = "",
                      now: datetime | None = None) -> Assessment:
    """Keep the filled sheet (sealed) and complete the assessment step. Needs the consent."""
    now = now or utcnow()
    step = assessment_step(case)
    row = case.step_row(step.key) if step else None
    if row is None or case.state != CaseState.OPEN or row.state != StepState.ACTIVE:
        raise DomainError(_("Asesmen tidak sedang dikerjakan pada kasus ini."))
    require_consent(case)
    existing = assessment_of(case)
    sheet = existing.sheet if existing else current_sheet(case.unit_id)
    if sheet is None:
        raise DomainError(_("Unit belum menyusun lembar asesmen; kepala unit menyusunnya di pengaturan berkas kasus."))
    clean = {}
    for section in sheet.sections:
        for question in section["questions"]:
            value = strip(str(answers.get(question["key"]) or ""))
            if len(value) > MAX_ANSWER[question["kind"]]:
                raise DomainError(_("Jawaban \u201c%(q)s\u201d paling panjang %(n)d karakter.", q=question["label"],
                                    n=MAX_ANSWER[question["kind"]]), field=question["key"])
            clean[question["key"]] = value
    if not any(clean.values()):
        raise DomainError(_("Isi minimal satu jawaban lembar asesmen."))
    if existing is None:
        existing = Assessment(case_id=case.id, sheet_id=sheet.id, filled_by_id=user.id)
        db.session.add(existing)
    existing.sealed, existing.filled_by_id, existing.filled_at = seal(clean), user.id, now
    db.session.flush()
    key = _summary_key(step)
    complete_step(case, step.key, user, {key: strip(summary or "")} if key else {}, now=now)
    return existing


def read_assessment(case: Case, user: User) -> tuple[Assessment | None, dict | None]:
    """The filled sheet and its answers for `user` (None: not theirs to read); the read is logged."""
    done = assessment_of(case)
    step = assessment_step(case)
    if done is None or step is None:
        return done, None
    key = _summary_key(step)
    ground = read_ground(user, case, key) if key else None
    if ground is None:
        return done, None
    log_access(case, user, "read", {key: ground})
    return done, unseal(done.sealed)


def check_assessment_step(case: Case, step, values: dict) -> None:
    """STEP_CHECKS: the assessment step is done by filling the sheet, under a consent."""
    require_consent(case)
    if assessment_of(case) is None:
        raise DomainError(_("Lembar asesmen belum diisi; isi melalui halaman asesmen."))
