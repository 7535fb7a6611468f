"""Built-in role codes (INTERFACE.md) and their labels."""
from flask_babel import lazy_gettext as _l

BUILTIN_ROLES = {
    "admin": _l("Admin / LPM"),
    "staff": _l("Tata usaha / admin layanan"),
    "head": _l("Kepala / sekretaris unit"),
    "counselor": _l("Konselor / psikolog"),
    "committee": _l("Panitia"),
    "kaprodi": _l("Kaprodi"),
    "rectorate": _l("Rektorat / pimpinan"),
    "advisor": _l("Dosen pembimbing akademik"),
    "student": _l("Mahasiswa / praja"),
    "alumni": _l("Alumni / calon alumni"),
    "client": _l("Klien umum"),
    "employee": _l("Pegawai"),
}

# Roles whose holders may read confidential counseling content: granting one is announced.
SENSITIVE_ROLES = frozenset({"head", "counselor", "psychiatrist", "kasubbag"})

# Roles that procedures name besides the built-in ones; the SOP engine adds to this set.
EXTRA_ROLES: dict[str, str] = {}


def known_roles() -> dict:
    """Every role a user may hold: built-in ones first, then those procedures name."""
    return {**BUILTIN_ROLES, **EXTRA_ROLES}


def role_label(code: str) -> str:
    return str(known_roles().get(code, code))


def sensitive(codes) -> set[str]:
    """Those of `codes` that may read confidential counseling content."""
    return set(codes) & SENSITIVE_ROLES
