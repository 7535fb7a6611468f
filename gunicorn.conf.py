"""gunicorn settings, for `make run` and for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Address from HOST and PORT (default 127.0.0.1:5000), workers from the CPU count (2 per core
plus one) unless WEB_CONCURRENCY says otherwise. Several workers share the embedded SQLite
database safely: it runs in WAL mode with a busy timeout (app/database.py), so readers never
wait and writers queue for the write lock instead of failing.
"""
import gc
import multiprocessing
import os
import tempfile
from pathlib import Path

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# The app is built once in the master (static files compressed once) and forked into the
# workers; it opens no database connection while being built, so none is shared across forks.
preload_app = True
# Where the app is mounted comes from the SCRIPT_NAME environment variable of the server, never
# from a request: gunicorn would otherwise take a SCRIPT_NAME (or PATH_INFO) header from loopback.
# Such a header is dropped, as is any other header whose name has an underscore.
forwarder_headers = ""
header_map = "drop"
accesslog = "-"
errorlog = "-"
# gunicorn's default access line plus the request id the app answers with (app/logs.py)
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'

# /metrics sums the workers' request figures from files in this directory (app/metrics.py): it
# must be set before the app is imported, and rid of the files of processes gone (those of a
# scheduler process sharing it stay).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ruang-metrics-")
metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
metrics_dir.mkdir(parents=True, exist_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


for stale in metrics_dir.glob("*.db"):
    if not _alive(int(stale.stem.rsplit("_", 1)[1])):
        stale.unlink()


def child_exit(server, worker):
    """A worker that exits takes its live gauges with it."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def when_ready(server):
    """The app is loaded (preload_app) and no worker is forked yet: what it built is kept out of
    the garbage collector's reach. Without this, each worker's full collection walked every
    object of the loaded app (a 75 ms pause about every thousand requests, in someone's page) and
    touched pages the workers would otherwise share with the master."""
    gc.collect()
    gc.freeze()
