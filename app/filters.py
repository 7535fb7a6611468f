"""The one set of Jinja filters every template formats dates, times and yes/no with.

One reading everywhere: "Rabu, 25 November 2026, 10.15 WIB" for a moment, "Rabu, 25 November
2026" for a day, "10.15 WIB" for a time of day, "13 jam lagi" / "lewat 2 jam" for what is left,
"ya"/"tidak" for yes/no. Values stored as ISO text (a step's inputs) are read the same way: an ISO
time without an offset is the institution's local time, as the forms that wrote it meant it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from babel import dates as babel_dates
from flask import Flask
from flask_babel import get_locale
from flask_babel import format_date, format_datetime, format_decimal, format_time, format_timedelta, get_timezone
from flask_babel import gettext as _

# Named styles; anything else given to a filter is read as a Babel (CLDR) pattern, for the few
# places that need a fragment (a column of times in one day), never for a whole date.
DATETIME_STYLES = {"long": "EEEE, d MMMM y, HH.mm z", "short": "EEE, d MMM y, HH.mm z", "time": "HH.mm z"}
DATE_STYLES = {"long": "EEEE, d MMMM y", "short": "d MMM y"}
# each named moment style's day part ("EEEE, d MMMM y"; empty for "time"); its clock is "HH.mm z"
_DAY_PARTS = {style: pattern.removesuffix("HH.mm z").removesuffix(", ") for style, pattern in DATETIME_STYLES.items()}


def moment(value) -> datetime | date | None:
    """A datetime (aware) or a date from what templates hold: datetimes, dates, ISO text.
    A naive datetime or ISO text without an offset is local time in the institution's zone."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is None:
        zone = get_timezone()  # pytz: localize, never replace (that would give local mean time)
        value = zone.localize(value) if hasattr(zone, "localize") else value.replace(tzinfo=zone)
    return value


def datetime_filter(value, style: str = "long") -> str:
    """'Rabu, 25 November 2026, 10.15 WIB' (in the institution's time zone); '—' when empty."""
    when = moment(value)
    if when is None:
        return "—" if value in (None, "") else str(value)
    if not isinstance(when, datetime):
        return date_filter(when, style if style in DATE_STYLES else "long")
    if style in DATETIME_STYLES:
        return _named_datetime(when, style)
    return format_datetime(when, style)


def _named_datetime(when: datetime, style: str) -> str:
    """A named style as Babel writes it, from parts kept once formatted: a list of twenty
    moments repeats its days and its zone, and Babel reads a pattern's every field each time."""
    zone, locale = get_timezone(), str(get_locale())
    local = when.astimezone(zone)
    clock = f"{local.hour:02d}.{local.minute:02d} {_zone_name(local, zone, locale)}"
    day_pattern = _DAY_PARTS[style]
    return f"{_day_text(local.date(), day_pattern, locale)}, {clock}" if day_pattern else clock


@lru_cache(maxsize=4096)
def _day_text(day: date, pattern: str, locale: str) -> str:
    return babel_dates.format_date(day, pattern, locale=locale)


_ZONE_NAMES: dict[tuple, str] = {}


def _zone_name(local: datetime, zone, locale: str) -> str:
    """'WIB': the zone's short name at that moment (it changes only with the offset). The zone's own
    abbreviation where it has one (WIB, WITA, WIT in every language: CLDR names them in Indonesian
    only, so English would read "+0700"), else the locale's name for it."""
    key = (str(zone), local.utcoffset(), locale)
    name = _ZONE_NAMES.get(key)
    if name is None:
        own = local.tzname() or ""
        name = _ZONE_NAMES[key] = own if own.isalpha() else babel_dates.format_datetime(
            local, "z", tzinfo=zone, locale=locale)
    return name


def date_filter(value, style: str = "long") -> str:
    """'Rabu, 25 November 2026'; '—' when empty."""
    when = moment(value)
    if when is None:
        return "—" if value in (None, "") else str(value)
    if isinstance(when, datetime):
        when = when.astimezone(get_timezone()).date()
    if style in DATE_STYLES:
        return _day_text(when, DATE_STYLES[style], str(get_locale()))
    return format_date(when, style)


def time_filter(value) -> str:
    """'10.15 WIB' for a moment; '10.15' for a time of day (opening hours)."""
    if isinstance(value, time):
        return format_time(value, "HH.mm")
    when = moment(value)
    if not isinstance(when, datetime):
        return "—"
    return _named_datetime(when, "time")


def span_filter(start, end) -> str:
    """A session: 'Kamis, 26 November 2026, 10.15–11.15 WIB' (the end's day when it differs)."""
    first, last = moment(start), moment(end)
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        return datetime_filter(start)
    if date_filter(first) != date_filter(last):
        return f"{datetime_filter(first)} – {datetime_filter(last)}"
    return f"{format_datetime(first, 'EEEE, d MMMM y, HH.mm')}–{time_filter(last)}"


def time_left(due, now=None) -> str:
    """'13 jam lagi' before the moment, 'lewat 2 jam' after it."""
    from app.database import utcnow

    due = moment(due)
    if not isinstance(due, datetime):
        return ""
    delta = due - (now or utcnow())
    span = format_timedelta(abs(delta), threshold=1.1)
    return _("%(span)s lagi", span=span) if delta.total_seconds() >= 0 else _("lewat %(span)s", span=span)


def waited(since, now=None) -> str:
    """How long something has waited since a moment: '12 menit', '2 jam'."""
    from app.database import utcnow

    since = moment(since)
    if not isinstance(since, datetime):
        return ""
    return format_timedelta(max((now or utcnow()) - since, timedelta(0)), threshold=1.1)


def percent(value) -> str:
    """'87,5%' in Indonesian, '87.5%' in English; '—' when there is no figure."""
    return "—" if value is None else f"{format_decimal(value, format='#,##0.#')}%"


def decimal(value) -> str:
    """'4,33' in Indonesian, '4.33' in English (two decimals at most); '—' when there is no figure."""
    return "—" if value is None else format_decimal(value, format="#,##0.##")


def yesno(value) -> str:
    """'ya' / 'tidak' for a yes/no value ('—' when not answered)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = value.strip().lower() in ("1", "true", "ya", "y", "on", "yes")
    return _("ya") if value else _("tidak")


def register_filters(app: Flask) -> None:
    """Bind the filters to the app's Jinja environment (create_app calls this once)."""
    app.jinja_env.filters.update({
        "datetime": datetime_filter, "date": date_filter, "time": time_filter,
        "time_left": time_left, "waited": waited, "yesno": yesno, "span": span_filter, "percent": percent,
        "decimal": decimal,
    })
