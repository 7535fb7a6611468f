"""Accounts, roles, login and logout, and the guards every other domain uses."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
