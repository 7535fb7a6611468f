"""The monthly client report of a unit: page with charts, PDF and XLSX."""
from __future__ import annotations

from io import BytesIO

from flask import abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from app.database import utcnow
from app.documents.pdf import render_pdf
from app.extensions import db
from app.htmx import render
from app.org.models import Unit
from app.casefiles import bp
from app.casefiles.report import XLSX_MIME, can_see_report, monthly_figures, parse_month, to_xlsx


def _figures(unit_id: int):
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_see_report(current_user, unit):
        abort(404)
    year, month, understood = parse_month(request.args.get("month"), utcnow().date())
    return monthly_figures(unit, year, month), understood


@bp.get("/units/<int:unit_id>/client-report")
def client_report(unit_id: int):
    """Laporan bulanan klien for any month (?month=YYYY-MM): figures by category, with charts."""
    figures, understood = _figures(unit_id)
    return render("casefiles/report.html", f=figures, understood=understood,
                  month_value=f"{figures.year:04d}-{figures.month:02d}")


@bp.get("/units/<int:unit_id>/client-report.pdf")
def client_report_pdf(unit_id: int):
    """The monthly client report as PDF."""
    figures, _understood = _figures(unit_id)
    pdf = render_pdf(render_template("casefiles/report_pdf.html", f=figures))
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"laporan-bulanan-klien-{figures.year:04d}-{figures.month:02d}.pdf")


@bp.get("/units/<int:unit_id>/client-report.xlsx")
def client_report_xlsx(unit_id: int):
    """The monthly client report as a spreadsheet."""
    figures, _understood = _figures(unit_id)
    return send_file(BytesIO(to_xlsx(figures)), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=f"laporan-bulanan-klien-{figures.year:04d}-{figures.month:02d}.xlsx")
