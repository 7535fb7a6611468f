"""Reports: SOP compliance per procedure and step, exports."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import models, routes  # noqa: E402,F401
from app.sop.services import step_completed  # noqa: E402


@step_completed.connect
def _keep_figures(case, step, row, user, now):
    """The pass just done joins its day's and month's rollups, in the same transaction."""
    from app.reports.rollups import record

    record(case.code, row)
