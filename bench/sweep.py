"""Prints the deadline sweep's time as closed history grows (1k, 10k, 100k done steps), with the
same 50 steps due each time. Target: flat — the sweep reads only the due rows (partial index on
case_steps.next_notice_at where state = 'active').

    .venv/bin/python bench/sweep.py [--database-url URL]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.sop.models import Case, CaseStep, Notice  # noqa: E402
from app.sop.registry import current_version, get_procedure  # noqa: E402
from app.sop.notices import sweep  # noqa: E402

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
DUE = 50


def fill_history(version_id: int, user_id: int, start: int, count: int) -> None:
    """`count` closed cases of 7 done steps each, written in bulk."""
    cases = [{"id": start + i, "procedure_version_id": version_id, "code": "pgri-konseling-karier",
              "title": "Riwayat", "state": "closed", "opened_by_id": user_id, "opened_at": NOW - timedelta(days=30),
              "closed_at": NOW - timedelta(days=29), "data": {}} for i in range(count // 7)]
    db.session.execute(sa.insert(Case), cases)
    steps = [{"case_id": c["id"], "position": p, "key": f"s{p}", "title": "Langkah",
              "state": "done", "active_at": NOW - timedelta(days=30), "due_at": NOW - timedelta(days=29),
              "done_at": NOW - timedelta(days=29, hours=1), "data": {}} for c in cases for p in range(1, 8)]
    db.session.execute(sa.insert(CaseStep), steps)
    db.session.commit()


def due_steps(version_id: int, user_id: int) -> None:
    db.session.execute(sa.delete(Notice))
    db.session.execute(sa.delete(CaseStep).where(CaseStep.state == "active"))
    db.session.execute(sa.delete(Case).where(Case.state == "open"))
    for _ in range(DUE):
        case = Case(procedure_version_id=version_id, code="pgri-konseling-karier", title="Due", opened_by_id=user_id,
                    opened_at=NOW - timedelta(hours=2), data={})
        db.session.add(case)
        db.session.flush()
        db.session.add(CaseStep(case_id=case.id, position=1, key="izin_tu", title="Langkah",
                                state="active", active_at=NOW - timedelta(hours=2), due_at=NOW - timedelta(minutes=5),
                                remind_at=NOW - timedelta(minutes=20), escalate_at=NOW + timedelta(hours=1),
                                next_notice_at=NOW - timedelta(minutes=5), data={}))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/sweep.db"
    app = create_app(TestConfig(url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        from app.auth.services import create_user

        user = create_user(email="bench@test.id", name="Bench", roles=["staff"], password="rahasia123")
        version = current_version(get_procedure("pgri-konseling-karier"))
        db.session.commit()
        print(f"database: {db.engine.dialect.name}; {DUE} steps due per sweep")
        print(f"{'closed steps':>14}{'sweep median':>15}{'rows read':>11}")
        have, next_id = 0, 1_000_000
        for target in (1_000, 10_000, 100_000):
            fill_history(version.id, user.id, next_id, target - have)
            next_id += target
            have = target
            times = []
            for _ in range(5):
                due_steps(version.id, user.id)
                started = time.perf_counter()
                counts = sweep(NOW)
                db.session.commit()
                times.append(time.perf_counter() - started)
            print(f"{target:>14,}{statistics.median(times) * 1000:>12.1f} ms{counts['checked']:>11}")
        db.drop_all()


if __name__ == "__main__":
    main()
