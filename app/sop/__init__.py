"""The SOP engine: procedures as data, cases and their steps, deadlines in working time."""
from flask import Blueprint

bp = Blueprint("sop", __name__)


@bp.record_once
def _load_procedures(state) -> None:
    """Read the procedure files when the app is built, so the roles they name are known to every
    command and form from the start (not only after someone opens /procedures)."""
    from app.sop.registry import procedures

    with state.app.app_context():
        procedures()

from app.sop import routes  # noqa: E402,F401
