"""The outbox in words: statuses, channels and delivery errors as sentences that say what to check
(the raw error stays stored, and is shown to the admin folded under the sentence)."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _

from app.notifications import bp
from app.notifications.models import Channel, OutboxStatus


@bp.app_template_filter("outbox_status")
def status_label(status) -> str:
    value = getattr(status, "value", status)
    return {OutboxStatus.PENDING.value: _("menunggu dikirim"), OutboxStatus.SENT.value: _("terkirim"),
            OutboxStatus.FAILED.value: _("gagal (berhenti mencoba)"),
            OutboxStatus.UNSENDABLE.value: _("tidak dapat dikirim"),
            OutboxStatus.WITHDRAWN.value: _("ditarik")}.get(value, value)


@bp.app_template_filter("channel_label")
def channel_label(channel) -> str:
    value = getattr(channel, "value", channel)
    return {Channel.EMAIL.value: _("E-mail"), Channel.WHATSAPP.value: _("WhatsApp/SMS")}.get(value, value)


def _mail_server() -> str:
    config = current_app.config
    return f"MAIL_SERVER {config.get('MAIL_SERVER')}:{config.get('MAIL_PORT')}"


def _gateway() -> str:
    return f"WHATSAPP_GATEWAY_URL {current_app.config.get('WHATSAPP_GATEWAY_URL') or '—'}"


def _http_status(error: str) -> int | None:
    found = re.search(r"HTTP(?: Error)? (\d{3})", error)
    return int(found.group(1)) if found else None


def _email_sentence(kind: str, error: str, recipient: str) -> str | None:
    server = _mail_server()
    if kind == "ConnectionRefusedError" or "Connection refused" in error:
        return _("Server e-mail tidak dapat dihubungi (%(server)s). Periksa apakah MAIL_SERVER dan MAIL_PORT benar "
                 "dan server e-mail sedang berjalan, lalu kirim ulang.", server=server)
    if kind in ("gaierror", "herror") or "Name or service not known" in error:
        return _("Alamat server e-mail tidak dikenal (%(server)s). Periksa ejaan MAIL_SERVER dan DNS server ini.",
                 server=server)
    if kind in ("TimeoutError", "timeout", "SMTPConnectError") or "timed out" in error:
        return _("Server e-mail tidak menjawab (%(server)s). Periksa jaringan, firewall dan MAIL_PORT.", server=server)
    if kind == "SMTPAuthenticationError":
        return _("Server e-mail menolak login (MAIL_USERNAME %(user)s). Periksa MAIL_USERNAME dan MAIL_PASSWORD.",
                 user=current_app.config.get("MAIL_USERNAME") or "—")
    if kind == "SMTPRecipientsRefused":
        return _("Server e-mail menolak alamat penerima %(to)s. Periksa alamat e-mail pengguna ini.", to=recipient)
    if kind == "SMTPSenderRefused":
        return _("Server e-mail menolak alamat pengirim (MAIL_DEFAULT_SENDER %(sender)s). Periksa pengaturan itu.",
                 sender=current_app.config.get("MAIL_DEFAULT_SENDER"))
    if kind in ("SSLError", "SSLCertVerificationError", "SMTPNotSupportedError") or "STARTTLS" in error:
        return _("Sambungan aman ke server e-mail gagal (%(server)s). Periksa MAIL_USE_TLS, MAIL_USE_SSL dan MAIL_PORT "
                 "(biasanya 587 untuk TLS, 465 untuk SSL).", server=server)
    if kind == "SMTPServerDisconnected":
        return _("Server e-mail memutus sambungan (%(server)s). Periksa MAIL_PORT dan pengaturan TLS/SSL.",
                 server=server)
    if kind.startswith("SMTP"):
        return _("Server e-mail menolak pesan ini (%(server)s). Lihat rincian teknis; kirim ulang bila masalahnya "
                 "sudah diperbaiki.", server=server)
    return None


def _whatsapp_sentence(kind: str, error: str, recipient: str) -> str | None:
    gateway = _gateway()
    status = _http_status(error)
    if status in (401, 403):
        return _("Gateway WhatsApp menolak akses (HTTP %(status)d). Periksa WHATSAPP_GATEWAY_TOKEN.", status=status)
    if status is not None and 400 <= status < 500:
        return _("Gateway WhatsApp menolak pesan ke %(to)s (HTTP %(status)d). Periksa nomor WhatsApp pengguna ini.",
                 to=recipient, status=status)
    if status is not None:
        return _("Gateway WhatsApp sedang bermasalah (HTTP %(status)d, %(gateway)s). Pesan dicoba lagi otomatis; "
                 "hubungi penyedia gateway bila berlanjut.", status=status, gateway=gateway)
    if "Connection refused" in error or "Name or service not known" in error or kind == "URLError":
        return _("Gateway WhatsApp tidak dapat dihubungi (%(gateway)s). Periksa alamat gateway dan jaringan.",
                 gateway=gateway)
    if kind in ("TimeoutError", "timeout") or "timed out" in error:
        return _("Gateway WhatsApp tidak menjawab (%(gateway)s). Periksa jaringan atau hubungi penyedia gateway.",
                 gateway=gateway)
    return None


@bp.app_template_global()
def outbox_problem(message) -> str | None:
    """What went wrong with a message and what to check, as a sentence; None when nothing did."""
    error = (message.last_error or "").strip()
    if not error:
        return None
    if message.status == OutboxStatus.WITHDRAWN:
        return _("Ditarik sebelum dikirim: waktunya berubah atau dibatalkan.")
    if message.status == OutboxStatus.UNSENDABLE:
        if message.channel == Channel.WHATSAPP:
            return _("Saluran WhatsApp belum diatur (WHATSAPP_GATEWAY_URL kosong). Isi pengaturan itu, lalu kirim ulang.")
        return _("Saluran e-mail belum diatur (MAIL_SERVER). Isi pengaturan itu, lalu kirim ulang.")
    kind, _sep, _rest = error.partition(":")
    kind = kind.strip() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", kind.strip()) else ""
    kind = kind.rpartition(".")[2]
    sentence = (_email_sentence if message.channel == Channel.EMAIL else _whatsapp_sentence)(kind, error,
                                                                                             message.recipient)
    return sentence or _("Pengiriman gagal karena kesalahan yang tidak dikenali. Lihat rincian teknis; kirim ulang "
                         "bila masalahnya sudah diperbaiki.")
