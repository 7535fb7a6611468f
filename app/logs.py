"""A request id on every request (taken from a sane `X-Request-ID`, else made, and sent back in
that header) and, with LOG_FORMAT=json, log lines as JSON objects that carry it."""
from __future__ import annotations

import logging
import re
import uuid

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # what a proxy or load balancer sends


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_logs(app) -> None:
    """Register the request id hooks (before the other hooks, so a redirect has one too)."""

    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if SAFE_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _send_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    if app.config["LOG_FORMAT"] == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"))
        handler.addFilter(RequestIdFilter())
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        app.logger.handlers.clear()  # Flask's own handler would print each line a second time
