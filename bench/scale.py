"""A campus's data, and a province's: the pages that grow with the data, at 1,000 cases and at
100,000 (about 1,000,000 steps, 1,000,000 outbox rows, 10,000 users both times), on PostgreSQL.

For each size it creates a private database, applies the migrations, seeds in bulk (COPY), builds
the compliance rollups, then prints the server time (Flask test client, the median of several
requests) of the case list (first and deep page), "Tugas saya" (counselor, staff), the user
search, the compliance report for a year, the outbox screen and the deadline sweep; then the ratio.
The measured counselor and alumnus have the same cases at both sizes (MEASURED_CASES), so that
their pages show as much and the ratio is what everyone else's data costs them.
Every SELECT a page ran is run again under EXPLAIN ANALYZE and any sequential scan of a big table
(cases, case_steps, outbox_messages, users) is printed.

    .venv/bin/python bench/scale.py [--base-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                    [--sizes 1000,100000] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.sop.registry import current_version, procedures  # noqa: E402
from tests.conftest import Client  # noqa: E402

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # Monday 10.00 WIB
SWEEP_AT = NOW + timedelta(hours=1)
DUE_IN_SWEEP, ESCALATED_IN_SWEEP = 50, 20
MEASURED_CASES = 40  # the open cases of the measured counselor, the cases of the measured alumnus
USERS = 10_000
PASSWORD = "rahasia123"
BIG_TABLES = {"cases", "case_steps", "case_step_actors", "case_members", "outbox_messages", "users"}
SCAN_ROWS = 1000  # a sequential scan that stops after a few rows (EXISTS, LIMIT) reads no big table
POOLS = {"admin": 5, "head": 200, "staff": 200, "counselor": 400, "kasubbag": 50, "rectorate": 20, "psychiatrist": 30,
         "bureau_head": 10, "committee": 10, "related_unit": 10, "it": 5, "alumni": 1000, "employee": 500,
         "client": 500}
STEP_COLUMNS = ["id", "case_id", "position", "key", "attempt", "title", "state", "active_at", "due_at",
                "remind_at", "escalate_at", "next_notice_at", "done_at", "done_by_id", "duration_minutes",
                "standard_minutes"]
NAMES = ["Sari", "Budi", "Dewi", "Agus", "Rina", "Wahyu", "Putri", "Eko", "Siti", "Joko", "Ayu", "Rudi", "Lestari",
         "Hendra", "Maya", "Bayu", "Indah", "Fajar", "Nur", "Dian"]


# -- seeding -------------------------------------------------------------------------------
def copy(conn, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples) into a table; returns how many."""
    count = 0
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as target:
        for row in rows:
            target.write_row(row)
            count += 1
    return count


def role_holders() -> dict[str, list[int]]:
    """User ids per role: the pools in order, students the rest."""
    holders, next_id = {}, 1
    for role, n in POOLS.items():
        holders[role] = list(range(next_id, next_id + n))
        next_id += n
    holders["student"] = list(range(next_id, USERS + 1))
    return holders


def seed_users(conn) -> dict[str, list[int]]:
    from app.auth.services import hash_password

    digest = hash_password(PASSWORD)
    rng = random.Random(1)
    holders = role_holders()
    users = ((i, f"u{i}@bench.id", f"{rng.choice(NAMES)} {rng.choice(NAMES)}wati {i}", digest, True, NOW, True, False,
              False, 1, NOW) for i in range(1, USERS + 1))
    copy(conn, "users", ["id", "email", "name", "password_hash", "active", "created_at", "notify_email",
                         "notify_whatsapp", "must_change_password", "session_version", "email_confirmed_at"], users)
    copy(conn, "user_roles", ["user_id", "role"], ((i, role) for role, ids in holders.items() for i in ids))
    return holders


def seed_cases(conn, n_cases: int, holders: dict[str, list[int]], versions: dict[str, int]) -> tuple[int, int]:
    """`n_cases` cases over two years with their steps: most closed, the recent ones open at some
    step; a few steps ran twice (sent back). Steps due in the sweep: DUE_IN_SWEEP, of which
    ESCALATED_IN_SWEEP escalate to the heads."""
    rng = random.Random(2)
    subject_pool = {role: holders[role] for role in ("student", "alumni", "employee", "client")}
    active_staff = holders["staff"][:10]  # a TU office of ten does the staff steps
    cases, steps, members, actors, open_tasks = [], [], [], [], []
    step_id = 0
    open_actives, measured_counselor, measured_alumnus = [], [], []
    for case_id in range(1, n_cases + 1):
        code = rng.choice(list(versions))
        procedure = procedures()[code]
        opened = NOW - timedelta(minutes=rng.randint(60, 730 * 24 * 60))
        is_open = opened > NOW - timedelta(days=60) and rng.random() < 0.9
        subject = rng.choice(subject_pool[procedure.subject_role]) if procedure.subject_role else None
        counselor = rng.choice(holders["counselor"])
        # the measured counselor and alumnus (the first of each) have the same cases at every size:
        # their pages show as much, and what grows is everyone else's data
        if counselor == holders["counselor"][0]:
            counselor = holders["counselor"][1]
        if subject == holders["alumni"][0]:
            subject = holders["alumni"][1]
        if is_open and len(measured_counselor) < MEASURED_CASES:
            counselor = holders["counselor"][0]
            measured_counselor.append(case_id)
        if procedure.subject_role == "alumni" and len(measured_alumnus) < MEASURED_CASES:
            subject = holders["alumni"][0]
            measured_alumnus.append(case_id)
        opener = subject or rng.choice(active_staff)
        last = rng.randrange(len(procedure.steps)) if is_open else len(procedure.steps)
        moment = opened
        for index, step in enumerate(procedure.steps):
            standard = (step.duration.amount * 480 if step.duration.unit in ("days", "weeks") else step.duration.minutes
                        ) if step.duration else None
            attempts = 2 if index < last and rng.random() < 0.01 else 1
            for attempt in range(1, attempts + 1):
                step_id += 1
                actors.extend((step_id, role) for role in step.roles)
                row = dict(id=step_id, case_id=case_id, position=step.number, key=step.key, attempt=attempt,
                           title=step.title[:300], state="pending", active_at=None, due_at=None,
                           remind_at=None, escalate_at=None, next_notice_at=None, done_at=None, done_by_id=None,
                           duration_minutes=None, standard_minutes=standard)
                if index < last:
                    minutes = max(1, int(rng.lognormvariate(3.5, 1.0) * (standard or 60) / 40))
                    row.update(state="done", active_at=moment, done_at=moment + timedelta(minutes=minutes * 3),
                               due_at=moment + timedelta(minutes=standard * 3) if standard else None,
                               duration_minutes=minutes, done_by_id=_actor(step.roles, subject, counselor,
                                                                            active_staff, holders, rng))
                    moment = row["done_at"]
                elif index == last:
                    row.update(state="active", active_at=moment,
                               due_at=moment + timedelta(minutes=(standard or 60) * 3))
                    open_actives.append(row)
                    # beyond the team, which is its counselor (below): app/sop/access.py open_roles
                    open_tasks.extend((step_id, role, case_id, code, opened, row) for role in dict.fromkeys(step.roles)
                                      if role not in ("subject", "assignee")
                                      and (role not in procedure.team_roles or role != "counselor"))
                    continue
                steps.append(tuple(row[c] for c in STEP_COLUMNS))
        closed = None if is_open else min(moment, NOW - timedelta(minutes=1))
        cases.append((case_id, versions[code], code, f"{procedure.title} #{case_id}", "open" if is_open else "closed",
                      subject, opener, counselor, opened, closed, "{}"))
        members.append((case_id, counselor, "counselor", "claimed", opened))
    for i, row in enumerate(open_actives):  # the sweep's due steps, the rest already notified
        if i < DUE_IN_SWEEP:
            row.update(remind_at=SWEEP_AT - timedelta(minutes=30), due_at=SWEEP_AT - timedelta(minutes=5),
                       escalate_at=SWEEP_AT - timedelta(minutes=1) if i < ESCALATED_IN_SWEEP else NOW + timedelta(days=1),
                       next_notice_at=SWEEP_AT - timedelta(minutes=5))
        else:
            row["next_notice_at"] = None if row["due_at"] < NOW else row["due_at"]
            if row["next_notice_at"] is not None and row["next_notice_at"] <= SWEEP_AT:
                row["next_notice_at"] = SWEEP_AT + timedelta(hours=2)
    steps.extend(tuple(row[c] for c in STEP_COLUMNS) for row in open_actives)
    open_tasks = [(*task[:5], task[5]["due_at"], task[5]["active_at"]) for task in open_tasks]  # as scheduled above
    copy(conn, "cases", ["id", "procedure_version_id", "code", "title", "state", "subject_id", "opened_by_id",
                         "assignee_id", "opened_at", "closed_at", "data"], cases)
    copy(conn, "case_steps", STEP_COLUMNS + ["data"], (row + ("{}",) for row in steps))
    copy(conn, "case_step_actors", ["case_step_id", "role"], actors)
    copy(conn, "case_members", ["case_id", "user_id", "role", "how", "added_at"], members)
    copy(conn, "open_tasks", ["case_step_id", "role", "case_id", "code", "opened_at", "due_at", "active_at"],
         open_tasks)
    return len(cases), len(steps)


def _actor(roles, subject, counselor, active_staff, holders, rng) -> int:
    role = roles[0]
    if role == "subject" and subject:
        return subject
    if role in ("assignee", "counselor", "subject"):
        return counselor
    if role == "staff":
        return rng.choice(active_staff)
    return rng.choice(holders.get(role) or active_staff)


def seed_outbox(conn, n: int) -> int:
    rng = random.Random(3)

    def rows():
        for i in range(1, n + 1):
            created = NOW - timedelta(minutes=rng.randint(0, 730 * 24 * 60))
            roll = rng.random()
            status, attempts, error, sent = "sent", 1, None, created + timedelta(minutes=1)
            if roll < 0.005 and created > NOW - timedelta(days=1):
                status, attempts, sent = "pending", 0, None
            elif roll < 0.01:
                status, attempts, error, sent = "failed", 12, "SMTPRecipientsRefused: 550", None
            elif roll < 0.015:
                status, attempts, error, sent = "unsendable", 0, "WHATSAPP_GATEWAY_URL belum diatur", None
            elif roll < 0.03:
                status, attempts, error, sent = "withdrawn", 0, "ditarik", None
            channel = "email" if rng.random() < 0.85 else "whatsapp"
            user = rng.randint(1, USERS)
            yield (i, f"seed:{i}", channel, f"u{user}@bench.id" if channel == "email" else "0812000000", user,
                   "Pengingat: langkah SOP menunggu tindakan Anda", "Langkah berikut akan jatuh tempo.", "[]",
                   status, attempts, created, error, created, sent)

    return copy(conn, "outbox_messages", ["id", "key", "channel", "recipient", "user_id", "subject", "body",
                                          "attachments", "status", "attempts", "next_attempt_at", "last_error",
                                          "created_at", "sent_at"], rows())


def seed(app, n_cases: int) -> dict:
    from app.reports.rollups import rebuild

    started = time.perf_counter()
    upgrade()
    versions = {code: current_version(procedure).id for code, procedure in procedures().items()}
    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        holders = seed_users(raw.driver_connection)
        n_cases, n_steps = seed_cases(raw.driver_connection, n_cases, holders, versions)
        n_outbox = seed_outbox(raw.driver_connection, n_cases * 10)
        with raw.driver_connection.cursor() as cursor:
            for table in ("users", "cases", "case_steps", "case_members", "outbox_messages"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        raw.commit()
    finally:
        raw.close()
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    passes = rebuild()
    db.session.commit()
    rebuilt = time.perf_counter() - started
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    print(f"  seeded {n_cases:,} cases, {n_steps:,} steps, {n_outbox:,} outbox rows, {USERS:,} users in {seeded:.0f} s; "
          f"rollups of {passes:,} done passes rebuilt in {rebuilt:.1f} s")
    return holders


# -- measuring -----------------------------------------------------------------------------
class Statements:
    """The SQL statements run while active (for EXPLAIN)."""

    def __init__(self):
        self.seen = []

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._add)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._add)

    def _add(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.seen.append((statement, parameters))


def seq_scans(statements) -> list[str]:
    """Sequential scans of big tables in the plans of the statements (EXPLAIN ANALYZE, rolled back)."""
    found = []
    raw = db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                for node in _nodes(plan[0]["Plan"]):
                    read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
                    if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES and read > SCAN_ROWS:
                        found.append(f"Seq Scan on {node['Relation Name']} ({read} rows read): "
                                     + " ".join(statement.split())[:160])
        raw.rollback()
    finally:
        raw.close()
    return found


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def timed(fn, repeat: int = 11) -> float:
    fn()
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def login(app, user_id: int) -> Client:
    client = app.test_client()
    response = client.submit("/login", {"email": f"u{user_id}@bench.id", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def deepest_page(user_id: int) -> str:
    """The query string of the oldest page of the user's case list (all states): its cursor, or
    its number where the list pages by offset (the code before keyset paging)."""
    from app.auth.models import User
    from app.sop.access import visible_cases_filter
    from app.sop.models import Case

    user = db.session.get(User, user_id)
    try:
        from app.keyset import encode
    except ImportError:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(visible_cases_filter(user)))
        return f"page={(total + 29) // 30}"
    rows = db.session.execute(sa.select(Case.opened_at, Case.id).where(visible_cases_filter(user))
                              .order_by(Case.opened_at, Case.id).limit(31)).all()
    return f"after={encode(*rows[-1])}"


def measure(app, holders) -> tuple[dict, dict]:
    from app.sop.notices import sweep

    app.test_client_class = Client
    staff, counselor, admin, head, alumnus = (holders["staff"][0], holders["counselor"][0], holders["admin"][0],
                                              holders["head"][0], holders["alumni"][0])
    clients = {role: login(app, uid) for role, uid in
               (("staff", staff), ("counselor", counselor), ("admin", admin), ("head", head), ("alumni", alumnus))}
    pages = [
        ("case list, staff (open)", "staff", "/cases"),
        ("case list, staff (all), first page", "staff", "/cases?state=all"),
        ("case list, staff (all), deepest page", "staff", f"/cases?state=all&{deepest_page(staff)}"),
        ("case list, counselor (open)", "counselor", "/cases"),
        ("case list, alumnus (all)", "alumni", "/cases?state=all"),
        ("Tugas saya, counselor", "counselor", "/tasks"),
        ("Tugas saya, staff", "staff", "/tasks"),
        ("home page, alumnus", "alumni", "/"),
        ("user search", "admin", "/admin/users?q=sari"),
        ("compliance report, a year", "head", "/reports/compliance?from=2026-01-01&to=2026-12-31"),
        ("outbox screen", "admin", "/admin/outbox"),
        ("outbox screen, failed", "admin", "/admin/outbox?status=failed"),
    ]
    results, scans = {}, {}
    for name, role, url in pages:
        client = clients[role]

        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        results[name] = timed(get)
        with Statements() as statements:
            get()
        scans[name] = seq_scans(statements.seen)

    def run_sweep():
        counts = sweep(SWEEP_AT)
        assert counts["checked"] == DUE_IN_SWEEP, counts
        db.session.rollback()

    results["deadline sweep (50 due, 20 escalations)"] = timed(run_sweep, repeat=5)
    with Statements() as statements:
        run_sweep()
    scans["deadline sweep (50 due, 20 escalations)"] = seq_scans(statements.seen)
    return results, scans


def database(base_url: str, name: str) -> str:
    url = sa.engine.make_url(base_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop(base_url: str, name: str) -> None:
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--keep", action="store_true", help="keep the databases (scale_bench_<size>)")
    parser.add_argument("--reuse", action="store_true", help="measure kept databases again, without seeding")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    measured = {}
    for size in sizes:
        name = f"scale_bench_{size}" if args.keep or args.reuse else f"scale_bench_{size}_{os.getpid()}"
        print(f"== {size:,} cases (database {name})", flush=True)
        if args.reuse:
            url = sa.engine.make_url(args.base_url).set(database=name).render_as_string(hide_password=False)
        else:
            url = database(args.base_url, name)
        try:
            app = create_app(TestConfig(url))
            with app.app_context():
                holders = role_holders() if args.reuse else seed(app, size)
                results, scans = measure(app, holders)
                db.session.remove()
                db.engine.dispose()
            measured[size] = results
            for page, ms in results.items():
                print(f"  {page:<42}{ms:>9.1f} ms", flush=True)
            for page, found in scans.items():
                for line in found:
                    print(f"  ! {page}: {line}")
            if not any(scans.values()):
                print("  no sequential scan of a big table in any page's queries")
        finally:
            if not (args.keep or args.reuse):
                drop(args.base_url, name)
    if len(sizes) == 2:
        small, large = sizes
        print(f"\n{'':<42}{small:>10,}{large:>10,}  ratio")
        for page in measured[small]:
            a, b = measured[small][page], measured[large][page]
            print(f"{page:<42}{a:>7.1f} ms{b:>7.1f} ms  {b / a:>4.1f}×{'' if b / a <= 2 else '  > 2×'}")


if __name__ == "__main__":
    main()
