"""Keyset paging for long lists, newest first: a page is the rows before (or after) a cursor —
the (time, id) of the last (or first) row shown — so the thousandth page costs what the first
does. `?page=N` still works (by offset) for the first pages and old links; the pager's links carry
cursors (`?after=` for older rows, `?before=` for newer ones)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import request

from app.extensions import db
from app.forms import page_arg

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)


@dataclass
class KeysetPage:
    items: list
    newer: str | None  # cursor for the page before (newer rows), None on the first page
    older: str | None  # cursor for the next page (older rows)
    first: bool  # a link back to the newest rows is worth showing


def encode(moment: datetime, row_id: int) -> str:
    """An exact, opaque-enough cursor: microseconds since 1970, a dot, the id."""
    return f"{(moment - EPOCH) // MICROSECOND}.{row_id}"


def decode(text: str | None) -> tuple[datetime, int] | None:
    """The cursor's (time, id); garbage is None (the first page)."""
    micros, _sep, row_id = (text or "").strip().partition(".")
    try:
        micros, row_id = int(micros), int(row_id)
        if abs(micros) > 10**17 or not 0 < row_id < 2**63:
            return None
        return EPOCH + micros * MICROSECOND, row_id
    except (ValueError, OverflowError):
        return None


# A page's statement holds no values: the cursor and the window are bound parameters, so that a
# list may build its statement once for every page (app/sop/access.py: shaped).
_CURSOR_TIME, _CURSOR_ID = sa.bindparam("cursor_time"), sa.bindparam("cursor_id")
_LIMIT, _WINDOW, _SKIP = (sa.bindparam(name, type_=sa.Integer) for name in ("page_limit", "page_window", "page_skip"))


def _older(q, t, i):  # `time <= t` bounds the index scan; the rest breaks ties by id
    return q.where(sa.and_(t <= _CURSOR_TIME, sa.or_(t < _CURSOR_TIME, i < _CURSOR_ID))).order_by(
        t.desc(), i.desc()).limit(_LIMIT)


def _newer(q, t, i):
    return q.where(sa.and_(t >= _CURSOR_TIME, sa.or_(t > _CURSOR_TIME, i > _CURSOR_ID))).order_by(t, i).limit(_LIMIT)


def _numbered(q, t, i):  # subqueries keep every row up to this page; the outer select skips to it
    return q.order_by(t.desc(), i.desc()).limit(_WINDOW)


def keyset_page(query, time_col, id_col, per_page: int, params: dict | None = None) -> KeysetPage:
    """One page of `query` (a select of one entity, unordered) newest first, from the request's
    `?after=`/`?before=` cursor or `?page=` number. `query` may instead be a function of a
    `narrow(select, time_col, id_col)` that applies this page's cursor, order and limit to a
    subquery (see app/sop/access.py: visible_cases_filter), returning the select; it is called
    with one of three narrows (`narrow.__name__` tells which), and `params` are what else its
    statement binds."""
    build = query if callable(query) else (lambda narrow: query)

    def fetch(narrow, **values):
        statement = narrow(build(narrow), time_col, id_col)
        if narrow is _numbered:
            statement = statement.offset(_SKIP).limit(_LIMIT)
        return db.session.scalars(statement, {**(params or {}), "page_limit": per_page + 1, **values}).all()

    after, before = decode(request.args.get("after")), decode(request.args.get("before"))
    if before is not None:
        rows = fetch(_newer, cursor_time=before[0], cursor_id=before[1])
        if len(rows) > per_page:
            return _page(list(reversed(rows[:per_page])), time_col, id_col, newer=True, older=True)
        page = 1  # near the top: the first page, full
    elif after is not None:
        rows = fetch(_older, cursor_time=after[0], cursor_id=after[1])
        return _page(rows[:per_page], time_col, id_col, newer=True, older=len(rows) > per_page)
    else:
        page = page_arg()
    rows = fetch(_numbered, page_window=page * per_page + 1, page_skip=(page - 1) * per_page)
    return _page(rows[:per_page], time_col, id_col, newer=page > 1, older=len(rows) > per_page)


def _page(items: list, time_col, id_col, newer: bool, older: bool) -> KeysetPage:
    def cursor(row):
        return encode(getattr(row, time_col.key), getattr(row, id_col.key))

    return KeysetPage(items, newer=cursor(items[0]) if newer and items else None,
                      older=cursor(items[-1]) if older and items else None, first=newer)
