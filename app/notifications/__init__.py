"""Notifications: the outbox, e-mail and WhatsApp/SMS channels, users' channel preferences."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.notifications import routes, words  # noqa: E402,F401
