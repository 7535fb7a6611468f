"""The app exactly as gunicorn serves it (wsgi.py), with a bare Flask endpoint mounted beside it
at /__bare/ for bench/pages.py — a separate WSGI app, so production has no extra route.

    gunicorn --config gunicorn.conf.py bench.bare_wsgi:app
"""
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from wsgi import app as application

bare = Flask("bare")


@bare.get("/")
def hello():
    """The floor: Flask routing and a response, nothing of the app."""
    return "ok"


app = DispatcherMiddleware(application, {"/__bare": bare})
