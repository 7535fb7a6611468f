"""Generated letters and records: templates, numbering, PDF, verification."""
from flask import Blueprint

bp = Blueprint("documents", __name__)

from app.documents import routes  # noqa: E402,F401
from app.sop.services import CASE_PANELS, step_completed  # noqa: E402


@step_completed.connect
def _issue_step_letter(case, step, row, user, now):
    from app.documents.services import issue_for_step

    issue_for_step(case, step, row, user, now)


def _letters_panel(case, user):
    """The case's letters, and the ones this user may issue."""
    from app.documents.routes import issuable
    from app.documents.services import letters_of
    from app.documents.types import DOC_TYPES

    letters, types = letters_of(case), issuable(user, case)
    if not (letters or types):
        return None
    return "documents/_case_letters.html", {"letters": letters, "issuable": types, "doc_types": DOC_TYPES}


CASE_PANELS.append(_letters_panel)
