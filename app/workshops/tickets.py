"""What a registrant receives: the personal QR ticket, the calendar invite of the workshop
(RFC 5545 with its VTIMEZONE, as booking's invites) and the e-mails of the waiting list, all
through the outbox, each once per registration (its ticket is in the idempotency key)."""
from __future__ import annotations

import functools
import hashlib
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import segno
from flask import current_app
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

from app.filters import datetime_filter
from app.notifications.models import Channel
from app.notifications.services import attachment, enqueue
from app.urls import external_url
from app.workshops.models import Registration, RegistrationStatus, Workshop

PRODID = "-//Ruang Konseling//Workshop minat bakat//ID"
DEFAULT_LENGTH = timedelta(hours=3)


def ticket_url(registration: Registration) -> str:
    """The absolute address of the ticket page (also what its QR code holds)."""
    return external_url("workshops.show_ticket", ticket=registration.ticket)


def qr_png(registration: Registration) -> bytes:
    buffer = io.BytesIO()
    segno.make(ticket_url(registration), error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def qr_data_uri(registration: Registration) -> str:
    """The ticket's QR code as an SVG data URI for the page (CSP allows data: images)."""
    return segno.make(ticket_url(registration), error="m").svg_data_uri(scale=6, border=2)


def when(workshop: Workshop) -> str:
    return datetime_filter(workshop.starts_at)


@functools.lru_cache(maxsize=4)
def _vtimezone(tzid: str) -> bytes:
    """The VTIMEZONE of a zone, computed once per process: icalendar derives it from the zone's
    transitions over 1970–2038, some 40 ms, which a burst of 300 registrations should not pay each."""
    return Timezone.from_tzid(tzid).to_ical()


def invite(workshop: Workshop, registration: Registration) -> bytes:
    """The workshop as one VEVENT for this registrant: METHOD:REQUEST while they hold a seat,
    METHOD:CANCEL once they cancelled (same UID, a higher SEQUENCE)."""
    tz = ZoneInfo(current_app.config["APP_TIMEZONE"])
    cancelled = registration.status == RegistrationStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    # stable per registration, without the ticket itself (calendars are shared more than e-mails)
    event.add("uid", f"workshop-{workshop.id}-{hashlib.sha256(registration.ticket.encode()).hexdigest()[:20]}"
                     "@ruang-konseling")
    event.add("dtstamp", registration.cancelled_at or registration.confirmed_at or registration.created_at)
    event.add("dtstart", workshop.starts_at.astimezone(tz))
    event.add("dtend", (workshop.ends_at or workshop.starts_at + DEFAULT_LENGTH).astimezone(tz))
    event.add("summary", workshop.title)
    event.add("sequence", 1 if cancelled else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{_sender_address()}")
    organizer.params["cn"] = vText("P2KLLK")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(registration.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    if workshop.venue:
        event.add("location", workshop.venue)
    event.add("url", ticket_url(registration))
    event.add("description", _("Tiket Anda (tunjukkan kode QR-nya di pintu masuk): %(url)s",
                               url=ticket_url(registration)))
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", workshop.title)
        alarm.add("trigger", -timedelta(days=1))
        event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_component(Timezone.from_ical(_vtimezone(current_app.config["APP_TIMEZONE"])))
    return calendar.to_ical()


def _sender_address() -> str:
    from email.utils import parseaddr

    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "noreply@ruang-konseling.local"


def _details(workshop: Workshop, registration: Registration) -> str:
    return (_("Workshop: %(title)s", title=workshop.title) + "\n"
            + _("Waktu: %(when)s", when=when(workshop)) + "\n"
            + _("Tempat: %(venue)s", venue=workshop.venue or "—") + "\n"
            + _("Nama: %(name)s (NIM %(nim)s)", name=registration.name, nim=registration.nim) + "\n")


def _key(registration: Registration, what: str) -> str:
    return f"workshop-registration:{registration.ticket}:{what}"


def ticket_files(workshop: Workshop, registration: Registration) -> list[dict]:
    """The attachments of a seat: the calendar invite and the QR ticket. Built from the ticket
    code and the registrant's details, so a registration can prepare them before it takes the
    edition's lock (the lock is held only for counting and writing)."""
    return [{**attachment("undangan.ics", "text/calendar", invite(workshop, registration)), "method": "REQUEST"},
            attachment(f"tiket-{registration.nim}.png", "image/png", qr_png(registration))]


def send_confirmed(workshop: Workshop, registration: Registration, now: datetime, promoted: bool = False,
                   files: list[dict] | None = None) -> bool:
    """The seat is theirs: the ticket with its QR code and the calendar invite."""
    url = ticket_url(registration)
    subject = (_("Anda mendapat kursi: %(title)s", title=workshop.title) if promoted
               else _("Pendaftaran terkonfirmasi: %(title)s", title=workshop.title))
    opening = (_("Seorang peserta membatalkan pendaftarannya, dan kursinya sekarang milik Anda.") if promoted
               else _("Pendaftaran Anda terkonfirmasi."))
    body = (f"{opening}\n\n{_details(workshop, registration)}\n"
            + _("Tunjukkan kode QR terlampir (atau halaman tiket) di pintu masuk. Kode tiket: %(code)s",
                code=registration.ticket) + "\n\n"
            + _("Tiket Anda: %(url)s", url=url) + "\n"
            + _("Tidak jadi hadir? Batalkan di sini agar kursinya diberikan ke daftar tunggu: %(url)s",
                url=url + "#batal") + "\n")
    files = files if files is not None else ticket_files(workshop, registration)
    return enqueue(Channel.EMAIL, registration.email, body, _key(registration, "confirmed"), subject=subject,
                   attachments=files, now=now)


def send_waiting(workshop: Workshop, registration: Registration, position: int, now: datetime) -> bool:
    """The workshop is full: their place on the waiting list, and what happens next."""
    url = ticket_url(registration)
    subject = _("Daftar tunggu: %(title)s", title=workshop.title)
    body = (_("Kursi workshop sudah penuh. Anda berada di daftar tunggu nomor %(n)d.", n=position) + "\n\n"
            + _details(workshop, registration) + "\n"
            + _("Bila ada peserta yang membatalkan, kursinya diberikan menurut urutan daftar tunggu dan Anda "
                "menerima e-mail berisi tiket.") + "\n\n"
            + _("Status pendaftaran Anda: %(url)s", url=url) + "\n"
            + _("Tidak jadi ikut? Batalkan di sini: %(url)s", url=url + "#batal") + "\n")
    return enqueue(Channel.EMAIL, registration.email, body, _key(registration, "waiting"), subject=subject, now=now)


def send_cancelled(workshop: Workshop, registration: Registration, now: datetime) -> bool:
    """Their cancellation, confirmed; a seat holder's calendar gets the CANCEL."""
    subject = _("Pendaftaran dibatalkan: %(title)s", title=workshop.title)
    body = (_("Pendaftaran Anda untuk workshop ini sudah dibatalkan.") + "\n\n" + _details(workshop, registration)
            + "\n" + _("Ingin ikut lagi? Daftar ulang selama pendaftaran masih dibuka: %(url)s",
                       url=external_url("workshops.register", workshop_id=workshop.id)) + "\n")
    files = []
    if registration.confirmed_at is not None:
        files = [{**attachment("batal.ics", "text/calendar", invite(workshop, registration)), "method": "CANCEL"}]
    return enqueue(Channel.EMAIL, registration.email, body, _key(registration, "cancelled"), subject=subject,
                   attachments=files, now=now)
