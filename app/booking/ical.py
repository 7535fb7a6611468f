"""iCalendar (RFC 5545/5546) for appointments: invites by e-mail and the counselors' feeds.
Calendar text never carries confidential content: the service's name and the client's initials.
The feed, which calendar services copy, names no client at all: no attendee, no address."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from app.booking.models import Appointment, AppointmentStatus, Mode
from app.booking.steps import booking_options
from app.urls import external_url

PRODID = "-//Ruang Konseling//Jadwal layanan//ID"

# Other domains add their events to a person's feed (a workshop committee's meeting): callables
# taking the feed's owner and returning VEVENTs. Booking never imports those domains.
FEED_EVENTS: list[Callable[[object], list[Event]]] = []


def _address(user, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.name)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("ACCEPTED")
    return address


def summary(appointment: Appointment) -> str:
    """The service (the booking step's `summary`, else the procedure's title) and initials."""
    procedure = appointment.case.procedure if appointment.case else None
    options = booking_options(procedure)
    label = (options.get("summary") if options else None) or (procedure.title if procedure else "Konseling")
    return f"{label} — {appointment.client.initials}"


def event(appointment: Appointment, with_client: bool = True) -> Event:
    """One appointment as a VEVENT; `with_client=False` leaves the client's name and address out."""
    tz = ZoneInfo(current_app.config["APP_TIMEZONE"])
    item = Event()
    item.add("uid", appointment.uid)
    item.add("dtstamp", appointment.updated_at)
    item.add("dtstart", appointment.start_at.astimezone(tz))
    item.add("dtend", appointment.end_at.astimezone(tz))
    item.add("summary", summary(appointment))
    item.add("sequence", appointment.sequence)
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    item.add("organizer", _address(appointment.counselor))
    if with_client:
        item.add("attendee", _address(appointment.client, "REQ-PARTICIPANT"))
    link = external_url("booking.show_appointment", appointment_id=appointment.id)
    if appointment.mode == Mode.ONLINE and appointment.meeting_url:
        item.add("location", appointment.meeting_url)
        item.add("url", appointment.meeting_url)
    elif appointment.location:
        item.add("location", appointment.location)
    code = f" Kode rapat: {appointment.meeting_code}." if appointment.meeting_code else ""
    item.add("description", f"Sesi konseling ({appointment.mode.value}).{code} Rincian di Ruang Konseling: {link}")
    if not cancelled:
        for before in (timedelta(days=1), timedelta(hours=1)):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary(appointment))
            alarm.add("trigger", -before)
            item.add_component(alarm)
    return item


def _calendar(method: str | None = None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", current_app.config["APP_TIMEZONE"])
    return calendar


def invite(appointment: Appointment) -> bytes:
    """METHOD:REQUEST for an agreed (or moved) appointment, METHOD:CANCEL for a cancelled one."""
    method = "CANCEL" if appointment.status == AppointmentStatus.CANCELLED else "REQUEST"
    calendar = _calendar(method)
    calendar.add_component(event(appointment))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed(counselor, appointments: list[Appointment]) -> bytes:
    """A person's subscription feed: agreed appointments, cancelled ones marked, no client named;
    then what other domains add (FEED_EVENTS)."""
    calendar = _calendar(name=f"Ruang Konseling — {counselor.name}")
    for appointment in appointments:
        calendar.add_component(event(appointment, with_client=False))
    for contribute in FEED_EVENTS:
        for item in contribute(counselor):
            calendar.add_component(item)
    calendar.add_missing_timezones()
    return calendar.to_ical()
