"""gunicorn settings, for `make run` and for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Address from HOST and PORT (default 127.0.0.1:5000), workers from the CPU count (2 per core
plus one) unless WEB_CONCURRENCY says otherwise. Several workers share the embedded SQLite
database safely: it runs in WAL mode with a busy timeout (app/database.py), so readers never
wait and writers queue for the write lock instead of failing.
"""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# The app is built once in the master (static files compressed once) and forked into the
# workers; it opens no database connection while being built, so none is shared across forks.
preload_app = True
accesslog = "-"
errorlog = "-"
