"""Prints, for the slot page (a week of a counselor's free slots), the SQL queries per request
with few and with many counselors and appointments, and requests per second next to a plain
Flask endpoint on the same server (werkzeug, loopback, one client).

    .venv/bin/python bench/booking.py
"""
from __future__ import annotations

import http.client
import re
import sys
import tempfile
import threading
import time
from datetime import date, time as clock, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.guards import public  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402

SECONDS = 3


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def setup(app, counselors: int, appointments: int) -> tuple[int, str]:
    from app.auth.services import create_user
    from app.booking.models import Availability, Mode
    from app.booking.services import book, free_slots
    from app.sop.registry import get_procedure
    from app.sop.services import open_case

    with app.app_context():
        alumnus = create_user(email="alumni@bench.id", name="Alumni Bench", roles=["alumni"], password="rahasia123")
        case_id = None
        for n in range(counselors):
            counselor = create_user(email=f"c{n}@bench.id", name=f"Konselor {n}", roles=["counselor"],
                                    password="rahasia123")
            for weekday in range(7):
                db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=clock(7),
                                            end_time=clock(21), session_minutes=30, buffer_minutes=0,
                                            mode=Mode.IN_PERSON, room="R1"))
            db.session.flush()
            for _ in range(appointments // counselors):
                other = open_case(get_procedure("pgri-konseling-karier"), alumnus, {
                    "nim": "1", "prodi": "P", "phone": "1", "question": "q", "mode": "tatap muka"})
                other.assignee = counselor
                slots = free_slots(counselor, date.today() + timedelta(days=1), 14)
                book(other, alumnus, slots[len(slots) // 3].start)
            if case_id is None:
                case = open_case(get_procedure("pgri-konseling-karier"), alumnus, {
                    "nim": "1", "prodi": "P", "phone": "1", "question": "q", "mode": "tatap muka"})
                case.assignee = counselor
                case_id = case.id
        db.session.commit()
    return case_id, "alumni@bench.id"


def rps(port: int, path: str, cookie: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    done, deadline = 0, time.perf_counter() + SECONDS
    while time.perf_counter() < deadline:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
        done += 1
    conn.close()
    return done / SECONDS


def run(counselors: int, appointments: int) -> None:
    app = create_app(TestConfig(f"sqlite:///{tempfile.mkdtemp()}/bench.db"))

    @app.get("/__plain")
    @public
    def plain():
        return "ok"

    with app.app_context():
        db.create_all()
    case_id, email = setup(app, counselors, appointments)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": email, "password": "rahasia123", "csrf_token": token})
    week = (date.today() + timedelta(days=1)).isoformat()
    path = f"/cases/{case_id}/booking?week={week}"
    with app.app_context():
        count = []
        listener = lambda *a: count.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        client.get(path)
        count.clear()
        assert client.get(path).status_code == 200
        event.remove(db.engine, "before_cursor_execute", listener)
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    slots_rps = rps(server.server_port, path, cookie)
    plain_rps = rps(server.server_port, "/__plain", cookie)
    server.shutdown()
    print(f"{counselors:>11}{appointments:>14}{len(count):>10}{slots_rps:>13.0f}{plain_rps:>13.0f}")


if __name__ == "__main__":
    print(f"{'counselors':>11}{'appointments':>14}{'queries':>10}{'slots rps':>13}{'plain rps':>13}")
    run(1, 0)
    run(20, 200)
