"""Case files on the SOP engine: requirement documents uploaded to a case, the informed consent
(and its withdrawal), the unit's assessment sheet, and the monthly client report. Steps name
these screens in their YAML (`screen: casefile`, `consent`, `assessment`)."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

bp = Blueprint("casefiles", __name__)

from app.casefiles import report_routes, routes, settings_routes  # noqa: E402,F401
from app.casefiles.assessments import check_assessment_step  # noqa: E402
from app.casefiles.checks import check_casefile_step  # noqa: E402
from app.casefiles.consent import check_consent_step  # noqa: E402
from app.sop.services import ACTION_DETAILS, CASE_PANELS, STEP_CHECKS, STEP_SCREENS  # noqa: E402

STEP_SCREENS.update({"casefile": "casefiles.case_file", "consent": "casefiles.consent",
                     "assessment": "casefiles.assessment"})
STEP_CHECKS.update({"casefile": check_casefile_step, "consent": check_consent_step,
                    "assessment": check_assessment_step})
ACTION_DETAILS.update({"file:upload": _l("mengunggah dokumen"), "file:download": _l("mengunduh dokumen"),
                       "consent:withdrawn": _l("menarik persetujuan")})


def _casefile_panel(case, user):
    """The file, the consent and the assessment of a case whose procedure keeps them."""
    procedure = case.procedure
    if not any(procedure.screen_step(name) for name in ("casefile", "consent", "assessment")):
        return None
    from app.casefiles.consent import can_withdraw, consent_of
    from app.casefiles.report import can_see_report
    from app.casefiles.settings import can_configure
    from app.casefiles.uploads import missing_documents, uploads_of

    return "casefiles/_case_panel.html", {
        "has_file": bool(procedure.screen_step("casefile")), "has_consent": bool(procedure.screen_step("consent")),
        "has_assessment": bool(procedure.screen_step("assessment")), "uploads": len(uploads_of(case)),
        "missing": missing_documents(case), "consent": consent_of(case), "may_withdraw": can_withdraw(user, case),
        "configure": case.unit is not None and can_configure(user, case.unit),
        "report": case.unit is not None and can_see_report(user, case.unit)}


CASE_PANELS.append(_casefile_panel)
