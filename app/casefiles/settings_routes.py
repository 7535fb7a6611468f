"""A unit's case-file settings (required documents, report categories, assessment sheet), for
admins and the unit's head."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import DomainError
from app.extensions import db
from app.forms import refuse
from app.htmx import render
from app.org.models import Unit
from app.casefiles import bp
from app.casefiles.forms import CategoriesForm, DocumentsForm, SheetForm
from app.casefiles.settings import (CATEGORY_KINDS, can_configure, casefile_units, categories, current_sheet,
                                    required_documents_text, save_sheet, set_categories, set_required_documents,
                                    sheet_text)


def load_unit(unit_id: int) -> Unit:
    """The unit, for those who configure it (404 for everyone else: other units stay hidden)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_configure(current_user, unit):
        abort(404)
    return unit


def _page(unit: Unit, status: int = 200, **forms):
    sheet = current_sheet(unit.id)
    documents = forms.get("documents") or DocumentsForm(formdata=None, documents=required_documents_text(unit))
    cats = forms.get("categories") or CategoriesForm(formdata=None, **{
        kind: "\n".join(categories(unit.id, kind)) for kind in CATEGORY_KINDS})
    sheet_form = forms.get("sheet") or SheetForm(formdata=None, title=sheet.title if sheet else _("Lembar Asesmen"),
                                                 sheet=sheet_text(sheet))
    return render("casefiles/settings.html", unit=unit, sheet=sheet, documents=documents, categories=cats,
                  sheet_form=sheet_form, status=status)


@bp.get("/casefiles")
def units():
    """The units whose case files and monthly client report this user looks after."""
    return render("casefiles/units.html", rows=casefile_units(current_user))


@bp.get("/units/<int:unit_id>/casefiles")
def unit_settings(unit_id: int):
    """The unit's required documents, report categories and assessment sheet."""
    return _page(load_unit(unit_id))


@bp.post("/units/<int:unit_id>/casefiles/documents")
def save_documents(unit_id: int):
    """Replace the list of required documents."""
    unit = load_unit(unit_id)
    form = DocumentsForm()
    if form.validate_on_submit():
        try:
            set_required_documents(unit, form.documents.data or "")
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Daftar dokumen persyaratan disimpan."), "success")
            return redirect(url_for("casefiles.unit_settings", unit_id=unit.id), 303)
    return _page(unit, 422, documents=form)


@bp.post("/units/<int:unit_id>/casefiles/categories")
def save_categories(unit_id: int):
    """Replace the categories the monthly client report counts by."""
    unit = load_unit(unit_id)
    form = CategoriesForm()
    if form.validate_on_submit():
        try:
            for kind in CATEGORY_KINDS:
                set_categories(unit, kind, getattr(form, kind).data or "")
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Kategori laporan disimpan."), "success")
            return redirect(url_for("casefiles.unit_settings", unit_id=unit.id), 303)
    return _page(unit, 422, categories=form)


@bp.post("/units/<int:unit_id>/casefiles/sheet")
def save_assessment_sheet(unit_id: int):
    """A new version of the assessment sheet (cases already assessed keep theirs)."""
    unit = load_unit(unit_id)
    form = SheetForm()
    if form.validate_on_submit():
        try:
            sheet = save_sheet(unit, form.title.data, form.sheet.data, current_user)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Lembar asesmen disimpan (versi %(v)d).", v=sheet.version), "success")
            return redirect(url_for("casefiles.unit_settings", unit_id=unit.id), 303)
    return _page(unit, 422, sheet=form)
