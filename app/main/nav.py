"""The navigation: each item shows only to the roles that may use it."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from app.cache import rendered

# (endpoint, label, roles that see it; None = every signed-in user)
NAV = [
    ("main.index", _l("Beranda"), None),
    ("sop.tasks", _l("Tugas saya"), None),
    ("sop.list_cases", _l("Kasus"), None),
    ("sop.list_procedures", _l("Layanan"), None),
    ("booking.my_appointments", _l("Jadwal"), None),
    ("booking.settings", _l("Ketersediaan"), {"counselor"}),
    ("workshops.list_workshops", _l("Workshop"), {"head", "staff", "committee", "rectorate"}),
    ("workshops.kaprodi_home", _l("Workshop prodi"), {"kaprodi"}),
    ("notifications.preferences", _l("Pemberitahuan"), None),
    ("auth.change_password", _l("Kata sandi"), None),
    ("admin.list_users", _l("Pengguna"), {"admin"}),
    ("sop.calendar_settings", _l("Kalender kerja"), {"admin"}),
    ("notifications.outbox", _l("Kotak keluar"), {"admin"}),
    ("documents.list_templates", _l("Templat surat"), {"admin"}),
    ("reports.compliance_page", _l("Kepatuhan SOP"), {"admin", "head"}),
    ("admin.audit", _l("Log audit"), {"admin", "head"}),
    ("auth.profile", _l("Profil"), None),
    ("account.my_data_page", _l("Data saya"), None),
    ("auth.register_client", _l("Daftarkan klien"), {"staff"}),
    ("admin.list_units", _l("Unit layanan"), {"admin"}),
    ("workshops.list_programs", _l("Program studi"), {"admin", "head"}),
    ("referrals.my_referrals", _l("Rujukan"), {"advisor"}),
    ("referrals.logbook", _l("Buku log"), {"staff", "counselor", "head"}),
    ("referrals.desk", _l("Mahasiswa datang langsung"), {"staff"}),
    ("online.rota", _l("Jadwal piket"), {"head"}),
    ("casefiles.units", _l("Berkas dan laporan klien"), {"admin", "head"}),
]


# Menus keep the header on one line (base.html): "Meja layanan" gathers what staff do for someone
# standing at the desk, "Kelola" the pages only admins and heads see, "Akun" the user's own
# settings; every other item stands on its own.
MANAGERS = frozenset({"admin", "head"})
ACCOUNT_PAGES = frozenset({"auth.change_password", "auth.profile", "notifications.preferences"})
DESK_PAGES = frozenset({"referrals.desk", "auth.register_client"})


def menu_of(endpoint: str, roles: set | None) -> str | None:
    """'desk', 'account', 'manage' or None (a link of its own in the header)."""
    if endpoint in DESK_PAGES:
        return "desk"
    if endpoint in ACCOUNT_PAGES or endpoint.startswith("account."):
        return "account"
    if roles and roles <= MANAGERS:
        return "manage"
    return None


def nav_for(user) -> list[tuple[str, str, str | None]]:
    """(endpoint, label, menu) for each item the user may see, in NAV's order."""
    if not user or not user.is_authenticated:
        return []
    return [(endpoint, label, menu_of(endpoint, roles)) for endpoint, label, roles in NAV
            if roles is None or user.has_role(*roles)]


def navigation() -> Markup:
    """The signed-in user's main navigation (templates/_nav.html), rendered once per process for
    each set of roles, page and language: the header costs a page as much as its own content."""
    key = (frozenset(current_user.roles), request.endpoint, str(get_locale()), request.script_root)
    return rendered("navigation", key, lambda: Markup(render_template("_nav.html", nav_items=nav_for(current_user))),
                    bound=5000)  # roles × pages × languages
