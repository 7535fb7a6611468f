"""Informed consent: the client hears what the service is, from whom, and agrees (or not);
counseling cannot go on without it, and a withdrawal stops the case."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime

from flask_babel import gettext as _

from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.sop.access import is_head_of, on_team
from app.sop.models import Case, CaseAccess, CaseState, StepState
from app.sop.services import complete_step, stop_case
from app.casefiles.models import Consent

SIGNATURE_PNG = "data:image/png;base64,"
MAX_SIGNATURE_BYTES = 200_000


def consent_of(case: Case) -> Consent | None:
    return db.session.scalar(db.select(Consent).where(Consent.case_id == case.id))


def consent_step(case: Case):
    """The step the procedure records the consent on (it declares `screen: consent`)."""
    return case.procedure.screen_step("consent")


def answers(step) -> tuple[str, str]:
    """(agree, refuse): the options of the step's decision; refusing is the one that closes."""
    options = next(f.options for f in step.inputs if f.key == step.decision)
    refuse = next((o for o in options if step.outcomes.get(o) == "close"), options[-1])
    agree = next(o for o in options if o != refuse)
    return agree, refuse


def _signature(kind: str, typed: str, drawn: str, name: str) -> str:
    if kind == "drawn":
        if not drawn.startswith(SIGNATURE_PNG):
            raise DomainError(_("Gambar tanda tangan belum dibuat; gambar di kotak tanda tangan atau ketik nama."),
                              field="signature")
        try:
            raw = base64.b64decode(drawn[len(SIGNATURE_PNG):], validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if not raw.startswith(b"\x89PNG\r\n\x1a\n") or len(raw) > MAX_SIGNATURE_BYTES:
            raise DomainError(_("Gambar tanda tangan tidak dapat dibaca; ulangi atau ketik nama."), field="signature")
        return drawn
    typed = (typed or "").strip()
    if not typed:
        raise DomainError(_("Ketik nama lengkap sebagai tanda tangan."), field="signature")
    if typed.casefold() != name.casefold():
        raise DomainError(_("Tanda tangan yang diketik harus sama dengan nama yang menyatakan persetujuan."),
                          field="signature")
    return typed


def record_consent(case: Case, user: User, agreed: bool, name: str, relation: str, signature_kind: str,
                   typed: str = "", drawn: str = "", now: datetime | None = None) -> Consent:
    """Record the client's answer and complete the consent step: agreeing lets counseling go on,
    refusing closes the case (as the step's decision says). Refused input records nothing."""
    now = now or utcnow()
    step = consent_step(case)
    if step is None:
        raise DomainError(_("Layanan ini tidak meminta persetujuan."))
    row = case.step_row(step.key)
    if case.state != CaseState.OPEN or row is None or row.state != StepState.ACTIVE:
        raise DomainError(_("Persetujuan tidak sedang diminta pada kasus ini."))
    if consent_of(case) is not None:
        raise DomainError(_("Persetujuan kasus ini sudah dicatat."))
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Tuliskan nama yang menyatakan persetujuan."), field="name")
    if len(name) > 200 or len((relation or "").strip()) > 100:
        raise DomainError(_("Nama atau hubungan terlalu panjang."), field="name")
    if signature_kind not in ("typed", "drawn"):
        raise DomainError(_("Pilih cara tanda tangan."), field="signature_kind")
    signature = _signature(signature_kind, typed, drawn, name)
    consent = Consent(case_id=case.id, agreed=agreed, name=name, relation=(relation or "").strip() or None,
                      explained_by_id=user.id, signature_kind=signature_kind, signature=signature, recorded_at=now)
    db.session.add(consent)
    db.session.flush()
    agree, refuse = answers(step)
    inputs = {f.key for f in step.inputs}
    values = {step.decision: agree if agreed else refuse, "consent_name": name, "consent_relation": relation or "",
              "consent_explained_by": user.name,
              "consent_signature": name if signature_kind == "typed" else _("(tanda tangan digambar) %(name)s", name=name)}
    complete_step(case, step.key, user, {k: v for k, v in values.items() if k in inputs}, now=now)
    return consent


def can_withdraw(user: User, case: Case) -> bool:
    consent = consent_of(case)
    return (case.state == CaseState.OPEN and consent is not None and consent.agreed and consent.withdrawn_at is None
            and (case.subject_id == user.id or on_team(user, case) or is_head_of(user, case)))


def withdraw_consent(case: Case, user: User, reason: str, now: datetime | None = None) -> Consent:
    """The client (or the team, at the client's word) withdraws consent: recorded, and the case stops."""
    now = now or utcnow()
    if not can_withdraw(user, case):
        raise DomainError(_("Tidak ada persetujuan aktif yang dapat ditarik pada kasus ini."))
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise DomainError(_("Tuliskan alasan penarikan persetujuan."), field="reason")
    consent = consent_of(case)
    consent.withdrawn_at, consent.withdrawn_by_id, consent.withdrawal_reason = now, user.id, reason[:1000]
    db.session.add(CaseAccess(case_id=case.id, user_id=user.id, action="consent:withdrawn", reason=reason[:400]))
    stop_case(case, now)
    return consent


def check_consent_step(case: Case, step, values: dict) -> None:
    """STEP_CHECKS: the consent step is done only through a recorded consent."""
    if consent_of(case) is None:
        raise DomainError(_("Persetujuan klien (informed consent) belum dicatat; catat melalui halaman persetujuan."))


def require_consent(case: Case) -> None:
    """Counseling goes on only under an agreed, not withdrawn consent."""
    consent = consent_of(case)
    if consent is None or not consent.agreed or consent.withdrawn_at is not None:
        raise DomainError(_("Konseling tidak dapat dilanjutkan tanpa persetujuan klien (informed consent)."))
