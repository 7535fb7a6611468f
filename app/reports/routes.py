"""The compliance page (with a small chart per procedure) and its XLSX export."""
from __future__ import annotations

from io import BytesIO

from flask import request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import role_required
from app.errors import DomainError
from app.forms import parse_date
from app.htmx import render
from app.reports import bp
from app.reports.services import LATE_EXPORTED, compliance, period, reported, to_xlsx, working_hours


def _filters():
    def parse(name):
        value = request.args.get(name, "")
        return parse_date(value) if value else None

    start, end = period(parse("from"), parse("to"))
    return start, end, request.args.get("code", "")[:60], request.args.get("unit", "")[:200]


@bp.before_request
@role_required("head", "admin")
def _heads_and_quality_office():
    """Compliance figures are for heads and the quality office (admin)."""


@bp.get("/reports/compliance")
def compliance_page():
    """Per procedure and step: done, within the standard, median and P90, late now."""
    shown = reported(current_user)
    units = sorted({p.institution for p in shown.values() if p.institution})
    try:
        start, end, code, unit = _filters()
    except DomainError as exc:
        return render("reports/compliance.html", block="report", error=exc.message, report=None,
                      procedures=shown, units=units, args=request.args, hours=working_hours, status=422)
    report = compliance(start, end, code, unit, viewer=current_user)
    return render("reports/compliance.html", block="report", report=report, error=None, procedures=shown,
                  units=units, args=request.args, hours=working_hours)


@bp.get("/reports/compliance.xlsx")
def compliance_xlsx():
    """The same figures as a spreadsheet."""
    try:
        start, end, code, unit = _filters()
    except DomainError as exc:
        return render("errors/error.html", title=_("Permintaan tidak valid"), message=exc.message, code=422, status=422)
    data = to_xlsx(compliance(start, end, code, unit, viewer=current_user, late_limit=LATE_EXPORTED))
    return send_file(BytesIO(data), download_name=f"kepatuhan-sop-{start}-{end}.xlsx", as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
