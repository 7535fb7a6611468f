"""Data saya: the page, and the download as JSON or as a ZIP with the letters' PDFs."""
from __future__ import annotations

from io import BytesIO

from flask import send_file
from flask_login import current_user

from app.account import bp
from app.account.services import access_entries, my_appointments, my_cases, my_data, my_data_zip, my_letters, to_json
from app.htmx import render
from app.sop.words import step_labels


def _download(content: bytes, name: str, mimetype: str):
    response = send_file(BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/account/data")
def my_data_page():
    """What the app holds about me: profile, cases, appointments, letters, who opened my cases."""
    user = current_user._get_current_object()
    cases = my_cases(user)
    ids = [c.id for c in cases]
    return render("account/data.html", user=user, cases=cases, appointments=my_appointments(user),
                  letters=my_letters(user, ids), access=access_entries(ids)[:200],
                  steps={case.id: step_labels(case.procedure) for case in cases})


@bp.get("/account/data.json")
def download_json():
    """Everything about me as one JSON file (confidential values only where I may read them)."""
    return _download(to_json(my_data(current_user._get_current_object())), "data-saya.json", "application/json")


@bp.get("/account/data.zip")
def download_zip():
    """The JSON file and the PDF of every letter of my cases, in one ZIP."""
    return _download(my_data_zip(current_user._get_current_object()), "data-saya.zip", "application/zip")
