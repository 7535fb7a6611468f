"""What a step done on the case-file screen needs before it is done (asked by complete_step,
whatever form was used): the required documents, a category of the unit's lists, and — for
every step after the informed consent — a consent that stands."""
from __future__ import annotations

from flask_babel import gettext as _

from app.errors import DomainError
from app.sop.models import Case
from app.casefiles.consent import consent_step, require_consent
from app.casefiles.settings import CATEGORY_KINDS, categories
from app.casefiles.uploads import missing_documents


def check_casefile_step(case: Case, step, values: dict) -> None:
    screen = step.screen or {}
    gate = consent_step(case)
    if gate is not None and gate.number < step.number:
        require_consent(case)
    if screen.get("documents"):
        missing = missing_documents(case)
        if missing:
            raise DomainError(_("Dokumen persyaratan belum lengkap: %(docs)s.",
                                docs=", ".join(d.label for d in missing)))
    for kind in CATEGORY_KINDS:
        key = screen.get(kind)
        allowed = categories(case.unit_id, kind) if key else []
        if allowed and values.get(key) not in allowed:
            raise DomainError(_("Pilih salah satu kategori yang ditetapkan unit untuk \u201c%(field)s\u201d.",
                                field=next((f.label for f in step.inputs if f.key == key), key)), field=key)
