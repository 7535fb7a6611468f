"""Data saya: what the app holds about the signed-in person, to read and to download (UU PDP).

It sits above every domain it gathers from (auth, sop, booking, documents, notifications) and
nothing imports it."""
from flask import Blueprint

bp = Blueprint("account", __name__)

from app.account import routes  # noqa: E402,F401
