"""Compliance figures kept as they are made. Each step pass done adds itself to its day's and its
month's rollup, in the transaction that completes it (the `step_completed` signal); the report
adds up whole months and the days at the edges of the period, and takes the median and P90
nearest-rank from the sorted durations, so a year reads a few hundred rows, not half the steps.
`rebuild()` (`flask reports rebuild`) recomputes every rollup from the steps, e.g. after an import
or a change of APP_TIMEZONE."""
from __future__ import annotations

import sys
from array import array
from bisect import bisect_right, insort
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.database import insert_ignore
from app.extensions import db
from app.reports.models import StepRollup
from app.sop.models import Case, CaseStep, StepState


def pack(values) -> bytes:
    """Durations as little-endian 32-bit integers."""
    packed = array("i", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack(data: bytes | None) -> array:
    values = array("i")
    values.frombytes(data or b"")
    if sys.byteorder == "big":
        values.byteswap()
    return values


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"])).date()


@dataclass
class Tally:
    """One procedure step's figures over a set of rollups."""

    done: int = 0
    timed: int = 0
    on_time: int = 0
    unknown: int = 0
    standard: int | None = None
    runs: list = field(default_factory=list)  # sorted arrays of durations

    def add(self, done, timed, on_time, unknown, standard, minutes) -> None:
        self.done += done
        self.timed += timed
        self.on_time += on_time
        self.unknown += unknown
        if standard is not None:
            self.standard = standard if self.standard is None else max(self.standard, standard)
        if len(minutes):
            self.runs.append(minutes)

    def rank(self, k: int) -> int | None:
        """The k-th smallest duration (1-based); passes without a duration rank last (None)."""
        known = self.done - self.unknown
        if k < 1 or k > known:
            return None
        if len(self.runs) == 1:
            return self.runs[0][k - 1]
        lo, hi = min(r[0] for r in self.runs), max(r[-1] for r in self.runs)
        while lo < hi:  # the smallest value with at least k durations at or below it
            mid = (lo + hi) // 2
            if sum(bisect_right(r, mid) for r in self.runs) >= k:
                hi = mid
            else:
                lo = mid + 1
        return lo

    @property
    def median(self) -> int | None:
        return self.rank((self.done + 1) // 2)

    @property
    def p90(self) -> int | None:
        return self.rank((9 * self.done + 9) // 10)


def _figures(row: CaseStep) -> tuple[int, int, int, int | None]:
    timed = row.due_at is not None
    return int(timed), int(timed and row.done_at <= row.due_at), int(row.duration_minutes is None), row.duration_minutes


def record(code: str, row: CaseStep) -> None:
    """Add one done pass to its day's and month's rollups (locking each rollup row)."""
    day = local_day(row.done_at)
    timed, on_time, unknown, minutes = _figures(row)
    for grain, start in (("day", day), ("month", day.replace(day=1))):
        where = (StepRollup.grain == grain, StepRollup.start == start, StepRollup.code == code,
                 StepRollup.key == row.key)
        insert_ignore(StepRollup, grain=grain, start=start, code=code, key=row.key, done=0, timed=0, on_time=0,
                      unknown=0, minutes=b"")
        rollup = db.session.scalars(db.select(StepRollup).where(*where).with_for_update()
                                    .execution_options(populate_existing=True)).one()
        rollup.done += 1
        rollup.timed += timed
        rollup.on_time += on_time
        rollup.unknown += unknown
        if row.standard_minutes is not None:
            rollup.standard = max(rollup.standard or 0, row.standard_minutes)
        if minutes is not None:
            values = unpack(rollup.minutes)
            insort(values, minutes)
            rollup.minutes = pack(values)
    db.session.flush()


def tallies(start: date, end: date, codes: list[str]) -> dict[tuple[str, str], Tally]:
    """Per (procedure, step): the figures of the passes done from `start` to `end` (local days)."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    months = []
    while True:
        after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        if after - timedelta(days=1) > end:
            break
        months.append(first)
        first = after
    if months:
        whole = sa.or_(sa.and_(StepRollup.grain == "month", StepRollup.start.in_(months)),
                       sa.and_(StepRollup.grain == "day", StepRollup.start >= start, StepRollup.start < months[0]),
                       sa.and_(StepRollup.grain == "day", StepRollup.start >= first, StepRollup.start <= end))
    else:
        whole = sa.and_(StepRollup.grain == "day", StepRollup.start >= start, StepRollup.start <= end)
    rows = db.session.execute(sa.select(
        StepRollup.code, StepRollup.key, StepRollup.done, StepRollup.timed, StepRollup.on_time, StepRollup.unknown,
        StepRollup.standard, StepRollup.minutes).where(whole, StepRollup.code.in_(codes)))
    result: dict[tuple[str, str], Tally] = {}
    for code, key, done, timed, on_time, unknown, standard, minutes in rows:
        result.setdefault((code, key), Tally()).add(done, timed, on_time, unknown, standard, unpack(minutes))
    return result


def rebuild() -> int:
    """Recompute every rollup from the done steps; returns how many passes were counted."""
    db.session.execute(sa.delete(StepRollup))
    groups: dict[tuple[str, date, str, str], dict] = {}
    query = (sa.select(Case.code, CaseStep.key, CaseStep.done_at, CaseStep.due_at, CaseStep.duration_minutes,
                       CaseStep.standard_minutes).join(Case).where(CaseStep.state == StepState.DONE))
    passes = 0
    for code, key, done_at, due_at, minutes, standard in db.session.execute(query.execution_options(yield_per=20000)):
        passes += 1
        day = local_day(done_at)
        timed = due_at is not None
        for grain, start in (("day", day), ("month", day.replace(day=1))):
            g = groups.setdefault((grain, start, code, key), {"done": 0, "timed": 0, "on_time": 0, "unknown": 0,
                                                               "standard": None, "minutes": []})
            g["done"] += 1
            g["timed"] += timed
            g["on_time"] += timed and done_at <= due_at
            if minutes is None:
                g["unknown"] += 1
            else:
                g["minutes"].append(minutes)
            if standard is not None:
                g["standard"] = max(g["standard"] or 0, standard)
    rows = [dict(grain=grain, start=start, code=code, key=key, done=g["done"], timed=g["timed"],
                 on_time=g["on_time"], unknown=g["unknown"], standard=g["standard"], minutes=pack(sorted(g["minutes"])))
            for (grain, start, code, key), g in groups.items()]
    for i in range(0, len(rows), 1000):
        db.session.execute(sa.insert(StepRollup), rows[i:i + 1000])
    db.session.flush()
    return passes
