"""The announcement's burst and the door, on gunicorn (2 sync workers) with PostgreSQL:
registrations per second when 300 students register at once (16 at a time, each from its own
address: the form's GET for its CSRF token, then the POST) for 250 seats, beside a bare Flask
endpoint on the same gunicorn in the same run; then check-in latency at 300 attendees (each
ticket scanned once, then once again: "sudah hadir").

    .venv/bin/python bench/workshop.py [--students 300] [--seats 250] [--concurrency 16]

Needs a PostgreSQL server (TEST_DATABASE_URL, or the test suite's defaults on 127.0.0.1:5432):
a private database is created, migrated and dropped at the end. Target: a scan answers in
under 100 ms (p99); the burst ends with exactly `seats` confirmed.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import KEY, admin_execute, fetch, free_port, server_url, wait_up  # noqa: E402

PASSWORD = "bench12345"
SCAN_LIMIT_MS = 100


def bench_app():
    """What gunicorn serves here: the app as wsgi.py builds it, a bare Flask endpoint beside it."""
    from bench.pages import bench_app as pages_app

    return pages_app()


def setup(database_url: str, seats: int) -> int:
    """Users, two study programmes and an edition open for registration; returns its id."""
    os.environ["DATA_ENCRYPTION_KEY"] = KEY
    from datetime import datetime, timedelta, timezone

    from app import create_app
    from app.auth.services import create_user
    from app.config import TestConfig
    from app.extensions import db
    from app.org.services import add_user_to_units
    from app.sop.offerings import sync_offerings
    from app.sop.registry import get_procedure
    from app.sop.services import open_case
    from app.workshops.models import StudyProgram, Workshop

    app = create_app(TestConfig(database_url))
    with app.app_context():
        sync_offerings()
        head = create_user(email="head@bench.test", name="Kepala", roles=["head"], password=PASSWORD)
        staff = create_user(email="staff@bench.test", name="Petugas Pintu", roles=["staff"], password=PASSWORD)
        add_user_to_units(head, ["P2KLLK"])  # a role counts in one's own units: the door is P2KLLK's
        add_user_to_units(staff, ["P2KLLK"])
        db.session.add_all([StudyProgram(code="PMAT", name="Pendidikan Matematika"),
                            StudyProgram(code="TI", name="Teknik Informatika")])
        case = open_case(get_procedure("pgri-minat-bakat"), head,
                         {"panitia_ditetapkan": "2030-12-01T09:00", "committee": "Panitia"})
        workshop = Workshop(case=case, title="Workshop Bench", capacity=seats, registration_open=True,
                            starts_at=datetime.now(timezone.utc) + timedelta(days=7))
        db.session.add(workshop)
        db.session.commit()
        workshop_id = workshop.id
        db.engine.dispose()
    return workshop_id


def with_address(n: int) -> dict:
    return {"X-Forwarded-For": f"10.{n // 250}.{n % 250}.7"}


def request(port, method, path, cookie=None, form=None, headers=None):
    """fetch() of bench/pages.py with extra headers (the student's address)."""
    import http.client
    import urllib.parse

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {**(headers or {}), **({"Cookie": f"session={cookie}"} if cookie else {})}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=sent)
    answer = connection.getresponse()
    text = answer.read().decode()
    found = re.search(r"(?:^|,\s*)session=([^;]+)", answer.getheader("Set-Cookie") or "")
    connection.close()
    return answer.status, text, found.group(1) if found else cookie


def register_one(port: int, workshop_id: int, n: int) -> int:
    path = f"/workshops/{workshop_id}/register"
    _status, page, cookie = request(port, "GET", path, headers=with_address(n))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    status, _body, _cookie = request(port, "POST", path, cookie, {
        "nim": f"2301{n:05d}", "name": f"Mahasiswa {n}", "prodi": "PMAT" if n % 2 else "TI", "semester": "3",
        "email": f"mhs{n}@kampus.test", "whatsapp": "081234567890", "csrf_token": token}, with_address(n))
    return status


def bare_one(port: int, n: int) -> int:
    return request(port, "GET", "/__bare/", headers=with_address(n))[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seats", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server = sa.engine.make_url(server_url())
    name = f"bench_workshop_{os.getpid()}"
    admin_execute(server.render_as_string(hide_password=False), f"CREATE DATABASE {name}")
    database_url = server.set(database=name).render_as_string(hide_password=False)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key", "DATA_ENCRYPTION_KEY": KEY,
           "FLASK_APP": "wsgi.py", "APP_BASE_URL": f"http://127.0.0.1:{port}", "HOST": "127.0.0.1",
           "PORT": str(port), "WEB_CONCURRENCY": "2", "PROXY_COUNT": "1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    bin_dir = Path(sys.executable).parent
    gunicorn = None
    try:
        subprocess.run([str(bin_dir / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        workshop_id = setup(database_url, args.seats)
        gunicorn = subprocess.Popen([str(bin_dir / "gunicorn"), "--config", "gunicorn.conf.py",
                                     "bench.workshop:bench_app()"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(port, gunicorn)
        with ThreadPoolExecutor(args.concurrency) as pool:  # warm both workers up
            list(pool.map(lambda n: bare_one(port, n), range(50)))
            started = time.perf_counter()
            bare = list(pool.map(lambda n: bare_one(port, n), range(args.students * 2)))
            bare_rps = len(bare) / (time.perf_counter() - started)
            started = time.perf_counter()
            answers = list(pool.map(lambda n: register_one(port, workshop_id, n), range(args.students)))
            registrations_ps = args.students / (time.perf_counter() - started)
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT status, count(*) FROM workshop_registrations GROUP BY status")).all())
            tickets = conn.scalars(sa.text("SELECT ticket FROM workshop_registrations WHERE status = 'confirmed'")).all()
        engine.dispose()
        # the door: staff signs in and scans every ticket, then each once more
        _s, page, cookie = fetch(port, "GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _b, cookie = fetch(port, "POST", "/login", cookie, {"email": "staff@bench.test", "password": PASSWORD,
                                                                    "csrf_token": token})
        assert status == 302, status
        _s, page, cookie = fetch(port, "GET", f"/workshops/{workshop_id}/checkin", cookie)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        scans, again = [], []
        for times, expected in ((scans, "hadir"), (again, "sudah hadir")):
            for ticket in tickets:
                started = time.perf_counter()
                status, body, _c = request(port, "POST", f"/workshops/{workshop_id}/checkin", cookie,
                                           {"code": ticket, "csrf_token": token}, {"HX-Request": "true"})
                times.append((time.perf_counter() - started) * 1000)
                assert status == 200 and expected in body, (status, body[:300])
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(30)
        admin_execute(server.render_as_string(hide_password=False), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def p99(values):
        return statistics.quantiles(values, n=100)[98]

    print(f"gunicorn, 2 sync workers, PostgreSQL; {args.students} students at {args.concurrency} at a time, "
          f"{args.seats} seats")
    print(f"{'what':<34}{'per second':>12}")
    print(f"{'registrations (GET form + POST)':<34}{registrations_ps:>12.0f}")
    print(f"{'bare Flask endpoint (requests)':<34}{bare_rps:>12.0f}")
    print(f"{'ratio (registration requests/bare)':<34}{2 * registrations_ps / bare_rps:>12.3f}")
    print(f"answers: {sorted(set(answers))}; confirmed {rows.get('confirmed', 0)}, waiting {rows.get('waiting', 0)}")
    print(f"check-in at {len(tickets)} attendees: first scan median {statistics.median(scans):.1f} ms, "
          f"p99 {p99(scans):.1f} ms; second scan median {statistics.median(again):.1f} ms, p99 {p99(again):.1f} ms")
    ok = rows.get("confirmed") == min(args.seats, args.students) and p99(scans) < SCAN_LIMIT_MS \
        and p99(again) < SCAN_LIMIT_MS and set(answers) == {303}
    print("all targets met" if ok else f"targets: exactly {args.seats} confirmed, every answer 303, scan p99 < "
          f"{SCAN_LIMIT_MS} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
