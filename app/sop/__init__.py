"""The SOP engine: procedures as data, cases and their steps, deadlines in working time."""
from flask import Blueprint

bp = Blueprint("sop", __name__)

from app.sop import routes  # noqa: E402,F401
