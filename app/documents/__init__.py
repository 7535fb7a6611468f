"""Generated letters and records: templates, numbering, PDF, verification."""
from flask import Blueprint

bp = Blueprint("documents", __name__)

from app.documents import routes  # noqa: E402,F401
from app.sop.services import step_completed  # noqa: E402


@step_completed.connect
def _issue_step_letter(case, step, row, user, now):
    from app.documents.services import issue_for_step

    issue_for_step(case, step, row, user, now)
