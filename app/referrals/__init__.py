"""Referral and self-initiated counseling (instruksi kerja konseling & asesmen): the advisor and
student relation, referrals by the dosen pembimbing akademik, the desk where staff record a
student's own request, the external parties' directory and the log book of services."""
from flask import Blueprint

bp = Blueprint("referrals", __name__)

from app.referrals import routes, logbook_routes  # noqa: E402,F401
from app.sop.services import CASE_PANELS, STEP_SCREENS  # noqa: E402

# Steps declaring these screens are carried out on this domain's pages (reached by the case id).
STEP_SCREENS["logbook"] = "referrals.logbook_step"
STEP_SCREENS["external_referral"] = "referrals.external_step"
STEP_SCREENS["student_status"] = "referrals.status_step"


def _referral_panel(case, user):
    """On a referral's case page: who referred, whether the student was informed, and for staff
    of the unit the form to inform them (the report itself stays in the case's confidential data)."""
    from app.referrals.forms import InformForm
    from app.referrals.services import may_inform, referral_of_case

    referral = referral_of_case(case.id)
    if referral is None:
        return None
    return "referrals/_case_panel.html", {"referral": referral, "inform_form": InformForm() if may_inform(
        user, referral) else None}


CASE_PANELS.append(_referral_panel)
