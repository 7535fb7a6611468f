"""Requests per second and p99 latency of the main pages on gunicorn (2 sync workers) with
PostgreSQL, under wrk with 16 connections, beside a bare Flask endpoint on the same gunicorn in
the same run; the ratio to that endpoint is what counts (the machine's speed and load cancel out).
Also the SQL statements and commits each page costs, counted on a test client.

    .venv/bin/python bench/pages.py [--seconds 5] [--connections 16]

Needs wrk (Debian: `apt-get install -y wrk`) and a PostgreSQL server (TEST_DATABASE_URL, or the
test suite's defaults on 127.0.0.1:5432): a private database is created, loaded with the demo
data (`flask db upgrade`, `flask seed-demo`) and dropped at the end.
Targets (issue 15): logged-in pages ≥ 0.12× the bare endpoint, login ≥ 0.5×, p99 < 100 ms,
at most 5 SQL statements per page. The password form is measured as the floor: what any signed-in
page costs before its own content.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import http.client
import urllib.parse

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "demo12345"
KEY = "PtMGmg1ocPysvzMvwU1vS6Itd8k4FGPuONPr24gVwm4="  # a fixed benchmark key (as the tests')
CANDIDATES = [os.environ.get("TEST_DATABASE_URL"), "postgresql+psycopg://ruang:ruang@127.0.0.1:5432/ruang_test",
              "postgresql+psycopg://postgres@127.0.0.1:5432/test"]
# (label, demo account or None, path, ratio target)
PAGES = [("login (GET)", None, "/login", 0.5),
         ("alumni home /", "alumni", "/", 0.12),
         ("slot page", "alumni", "/cases/{case}/booking", 0.12),
         ("counselor /tasks", "counselor", "/tasks", 0.12),
         ("staff /cases", "staff", "/cases", 0.12),
         # the floor, not a target: the simplest signed-in page (the user's row, a three-field form)
         ("password form", "alumni", "/account/password", None)]
BARE = ("bare Flask", None, "/__bare/", None)
P99_LIMIT_MS = 100
STATEMENT_LIMIT = 5


def bench_app():
    """What gunicorn serves here (`bench.pages:bench_app()`): the app exactly as wsgi.py builds it,
    with a bare Flask endpoint mounted beside it at /__bare/ (a separate WSGI app, so production has
    no extra route)."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from wsgi import app

    bare = Flask("bare")
    bare.add_url_rule("/", "hello", lambda: "ok")  # the floor: Flask routing and a response
    return DispatcherMiddleware(app, {"/__bare": bare})


def server_url() -> str:
    for url in filter(None, CANDIDATES):
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                return url
        except sa.exc.OperationalError:
            continue
        finally:
            engine.dispose()
    raise SystemExit("PostgreSQL not reachable: set TEST_DATABASE_URL or start a server on 127.0.0.1:5432")


def admin_execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, method: str, path: str, cookie: str | None = None, form: dict | None = None):
    """(status, body, the session cookie set or the one sent) of one request, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    text = answer.read().decode()
    found = re.search(r"(?:^|,\s*)session=([^;]+)", answer.getheader("Set-Cookie") or "")
    connection.close()
    return answer.status, text, found.group(1) if found else cookie


def wait_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped while starting")
        try:
            if fetch(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s")


def log_in(port: int, role: str) -> str:
    """The session cookie of a demo account, from a real login."""
    _status, page, cookie = fetch(port, "GET", "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    status, _body, cookie = fetch(port, "POST", "/login", cookie, {
        "email": f"{role}@demo.test", "password": PASSWORD, "csrf_token": token})
    if status != 302:
        raise SystemExit(f"login as {role} failed: {status}")
    return cookie


def wrk(url: str, cookie: str | None, seconds: int, connections: int) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) of `url`; any non-2xx answer stops the run."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", "Accept-Encoding: gzip"]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors on {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out).groups()
    return rate, float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def statements_per_page(database_url: str, case_id: int) -> dict[str, tuple[int, int]]:
    """(SQL statements, commits) of each page's second visit (the first may fill caches)."""
    os.environ["DATA_ENCRYPTION_KEY"] = KEY
    from sqlalchemy import event

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    config = TestConfig(database_url)
    config.TESTING = False
    config.CACHE_RELOAD_SECONDS = 5  # the production default
    config.WTF_CSRF_ENABLED = True
    app = create_app(config)
    counts = {"sql": 0, "commit": 0}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: counts.__setitem__("sql", counts["sql"] + 1))
        event.listen(db.engine, "commit", lambda *a: counts.__setitem__("commit", counts["commit"] + 1))
    result = {}
    for label, role, path, _target in PAGES:
        client = app.test_client()
        if role:
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            client.post("/login", data={"email": f"{role}@demo.test", "password": PASSWORD, "csrf_token": token})
        url = path.format(case=case_id)
        client.get(url)
        counts.update(sql=0, commit=0)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        result[label] = (counts["sql"], counts["commit"])
    with app.app_context():
        db.engine.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/pages.py needs wrk, which is not installed. On Debian: apt-get install -y wrk", file=sys.stderr)
        return 2
    server = sa.engine.make_url(server_url())
    name = f"bench_pages_{os.getpid()}"
    admin_execute(server.render_as_string(hide_password=False), f"CREATE DATABASE {name}")
    database_url = server.set(database=name).render_as_string(hide_password=False)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key", "DATA_ENCRYPTION_KEY": KEY,
           "FLASK_APP": "wsgi.py", "DEMO_PASSWORD": PASSWORD, "APP_BASE_URL": base, "HOST": "127.0.0.1",
           "PORT": str(port), "WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": ""}
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    bin_dir = Path(sys.executable).parent
    gunicorn = None
    try:
        for command in (["flask", "db", "upgrade"], ["flask", "seed-demo"]):
            subprocess.run([str(bin_dir / command[0]), *command[1:]], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:  # the alumnus's case with a counselor assigned and no session yet
            case_id = conn.scalar(sa.text(
                "SELECT c.id FROM cases c JOIN users u ON u.id = c.subject_id WHERE u.email = 'alumni@demo.test' "
                "AND c.assignee_id IS NOT NULL AND c.state = 'open' AND c.id NOT IN "
                "(SELECT case_id FROM appointments) ORDER BY c.id LIMIT 1"))
        engine.dispose()
        statements = statements_per_page(database_url, case_id)
        gunicorn = subprocess.Popen([str(bin_dir / "gunicorn"), "--config", "gunicorn.conf.py",
                                     "bench.pages:bench_app()"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(port, gunicorn)
        cookies = {role: log_in(port, role) for _l, role, _p, _t in PAGES if role}
        for _label, role, path, _target in PAGES:  # each page answers 200 (not a redirect) to that cookie
            status = fetch(port, "GET", path.format(case=case_id), cookies.get(role))[0]
            if status != 200:
                raise SystemExit(f"{path}: {status}")
        for url in (base + BARE[2], base + "/login"):  # warm both workers up
            wrk(url, None, 1, args.connections)
        rows = []
        for label, role, path, target in PAGES:  # the bare endpoint right before each page: the
            bare = wrk(base + BARE[2], None, args.seconds, args.connections)  # machine's load moves
            page = wrk(base + path.format(case=case_id), cookies.get(role), args.seconds, args.connections)
            rows.append((label, page, bare, target))
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(30)
        admin_execute(server.render_as_string(hide_password=False), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(f"gunicorn, 2 sync workers, PostgreSQL, wrk -c{args.connections} -d{args.seconds}s, Accept-Encoding: gzip;"
          " the bare Flask endpoint measured right before each page")
    print(f"{'page':<20}{'req/s':>9}{'p99 ms':>9}{'bare':>9}{'bare p99':>10}{'ratio':>8}{'target':>8}{'SQL':>5}"
          f"{'commits':>9}")
    ok = True
    for label, (rate, p99), (bare, bare_p99), target in rows:
        sql, commits = statements[label]
        ratio = rate / bare
        if target is not None:
            ok &= ratio >= target and p99 < P99_LIMIT_MS and sql <= STATEMENT_LIMIT
        shown = "floor" if target is None else f"{target:.2f}"
        print(f"{label:<20}{rate:>9.0f}{p99:>9.1f}{bare:>9.0f}{bare_p99:>10.1f}{ratio:>8.3f}{shown:>8}{sql:>5}"
              f"{commits:>9}")
    print("all targets met" if ok else
          f"targets: ratio as listed, p99 < {P99_LIMIT_MS} ms, at most {STATEMENT_LIMIT} SQL statements per page")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
