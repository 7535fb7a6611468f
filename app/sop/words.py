"""The SOP engine in words: states, actors, conditions, deadlines and input values as people read
them ("Rabu, 25 November 2026, 10.15 WIB", the counselor's name, "ya"), never as stored
(`2026-11-25T10:15:00`, `4`, `True`, `pending`). Template filters and globals of the sop blueprint."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from app.auth.models import User
from app.auth.roles import role_label
from app.extensions import db
from app.filters import date_filter, datetime_filter, time_left, yesno
from app.sop import bp
from app.sop.definitions import Field, Procedure, Step
from app.sop.durations import Duration


@bp.app_template_filter("step_state")
def step_state(state) -> str:
    """menunggu / aktif / selesai / dilewati."""
    value = getattr(state, "value", state)
    return {"pending": _("menunggu"), "active": _("aktif"), "done": _("selesai"),
            "skipped": _("dilewati")}.get(value, value)


@bp.app_template_filter("case_state")
def case_state(state) -> str:
    """berjalan / selesai / dibatalkan."""
    value = getattr(state, "value", state)
    return {"open": _("berjalan"), "closed": _("selesai"), "cancelled": _("dihentikan")}.get(value, value)


@bp.app_template_filter("actor_label")
def actor_label(role: str) -> str:
    """Who does a step: the person served, the appointed officer, or a role by its name."""
    return {"subject": _("penerima layanan"), "assignee": _("petugas yang ditunjuk")}.get(role) or role_label(role)


@bp.app_template_filter("duration_words")
def duration_words(duration: Duration | None) -> str:
    """'1 jam kerja', '3 hari kerja', '2 menit (waktu berjalan)': a standard time says what it counts."""
    if duration is None:
        return ""
    if duration.wall_clock:
        return _("%(n)d %(unit)s (waktu berjalan, termasuk di luar jam kantor)", n=duration.amount,
                 unit={"minutes": _("menit"), "hours": _("jam")}[duration.unit])
    return working_amount(duration.amount, duration.unit)


def working_amount(amount: int, unit: str) -> str:
    """'1 jam kerja', '3 hari kerja' (in English with the plural it needs)."""
    if unit == "minutes":
        return ngettext("%(num)d menit kerja", "%(num)d menit kerja", amount)
    if unit == "hours":
        return ngettext("%(num)d jam kerja", "%(num)d jam kerja", amount)
    if unit == "days":
        return ngettext("%(num)d hari kerja", "%(num)d hari kerja", amount)
    return ngettext("%(num)d minggu kerja", "%(num)d minggu kerja", amount)


@bp.app_template_global()
def deadline_words(step: Step, row, now=None) -> str:
    """'Baku mutu 1 jam kerja · tenggat Rabu, 25 November 2026, 10.15 WIB (13 jam lagi)': the
    standard time, that it counts working time, the due moment and, while active, what is left."""
    parts = []
    if step.duration is not None:
        parts.append(_("Baku mutu %(d)s", d=duration_words(step.duration)))
    if row is not None and row.due_at is not None:
        due = _("tenggat %(when)s", when=datetime_filter(row.due_at))
        if getattr(row.state, "value", row.state) == "active":
            due += f" ({time_left(row.due_at, now)})"
        parts.append(due)
    return " · ".join(parts)


def _label(procedure: Procedure, key: str) -> str:
    found = procedure.field_origins().get(key)
    return found[0].label if found else key


@bp.app_template_global()
def condition_words(procedure: Procedure, when: dict | None) -> str:
    """A step's condition by the field's label and the answer: 'hanya bila “Membutuhkan layanan
    lanjutan dari pihak eksternal?” dijawab “ya”'."""
    if not when:
        return ""
    label = _label(procedure, when["field"])
    if "equals" in when:
        equals = when["equals"]
        answer = yesno(equals) if isinstance(equals, bool) else equals
        return _("hanya bila \u201c%(label)s\u201d dijawab \u201c%(answer)s\u201d", label=label, answer=answer)
    if when.get("truthy", True):
        return _("hanya bila \u201c%(label)s\u201d diisi atau dicentang", label=label)
    return _("hanya bila \u201c%(label)s\u201d kosong atau tidak dicentang", label=label)


@bp.app_template_global()
def start_words(procedure: Procedure, step: Step) -> str:
    """When a step's standard time starts counting, in words."""
    if step.anchor_field:
        return _("sejak %(label)s", label=_label(procedure, step.anchor_field).lower())
    if step.start == "start":
        return _("sejak pengajuan")
    return _("sejak langkah sebelumnya selesai")


def _user_name(value) -> str:
    if isinstance(value, User):
        return value.name
    try:
        user = db.session.get(User, int(value))
    except (TypeError, ValueError):
        return str(value)
    return user.name if user else _("pengguna #%(id)s (sudah dihapus)", id=value)


@bp.app_template_global()
def field_value(field: Field, value) -> str:
    """An input's value as people read it: a person by name, a time in the one format, yes/no
    as 'ya'/'tidak', a link as a link; '—' when empty."""
    if value is None or value == "" or (value is False and field.type != "boolean"):
        return "—"
    if field.type == "user":
        return _user_name(value)
    if field.type == "datetime":
        return datetime_filter(value)
    if field.type == "date":
        return date_filter(value)
    if field.type == "boolean":
        return yesno(value)
    if field.type == "url" or (isinstance(value, str) and value.startswith(("https://", "http://"))
                               and " " not in value.strip()):
        url = value.strip()
        return Markup('<a href="{0}" rel="noopener noreferrer" target="_blank">{0}</a>').format(url)
    return escape(value) if isinstance(value, str) else str(value)


def step_labels(procedure: Procedure) -> dict[str, str]:
    """Each step's key in words ("3. Rekomendasi kepala"), for the access log's actions."""
    return {s.key: f"{s.number}. {s.title}" for s in procedure.steps}
