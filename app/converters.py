"""Record ids as the app reads them: the URL converter used in place of Werkzeug's `int`, and the
same bound for ids that arrive in form fields."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

# The largest id our INTEGER primary keys hold on every supported database: PostgreSQL's INTEGER
# is 32-bit (SQLite's is 64-bit). Raise it to 2**63 - 1 if the keys become BIGINT.
ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` that matches only 0..ID_MAX: a larger number is no record of ours, so the route
    answers 404 instead of letting the database or its driver overflow into a 500."""

    regex = r"[0-9]+"  # ASCII digits only: "/cases/١" is no id

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_id(value) -> int | None:
    """A form or query value as a record id, or None when it is not one (garbage, negative,
    beyond what the database holds)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(ID_MAX)):
        return None
    number = int(text)
    return number if number <= ID_MAX else None
