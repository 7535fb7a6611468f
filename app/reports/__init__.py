"""Reports: SOP compliance per procedure and step, exports."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import routes  # noqa: E402,F401
