"""The minat-bakat workshop on the SOP engine: editions and committee, prodi and roster,
announcements to kaprodi, public registration with a waiting list, check-in, evaluation and
certificates, the report and its follow-up counseling."""
from flask import Blueprint

bp = Blueprint("workshops", __name__)

from app.workshops import report_routes  # noqa: E402,F401
