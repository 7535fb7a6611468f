"""The lembar disposisi screen (a leader gives a disposition on the report), and the screen on
which its recipient reports it carried out. Both are step screens: a step declares
`screen: {name: lembar_disposisi, to: <role>}` or `screen: pelaksanaan_disposisi` in its procedure."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.roles import role_label
from app.database import utcnow
from app.dispositions import bp
from app.dispositions.forms import CarryOutForm, DispositionForm
from app.dispositions.services import (CARRY_OUT_SCREEN, GIVE_SCREEN, INSTRUCTIONS, active_screen_row, carry_out,
                                       chain_of, give_disposition, instruction_labels, may_carry_out, may_give,
                                       recipients_for)
from app.errors import DomainError
from app.forms import refuse
from app.htmx import render
from app.sop.access import load_case, log_access, readable_values


def _report(case):
    """The confidential values the current user may read on this case (the report they receive),
    as (label, value) in the procedure's order; the read is logged."""
    try:
        values, grounds = readable_values(current_user, case)
    except DomainError as exc:
        flash(exc.message, "error")
        return []
    if grounds:
        log_access(case, current_user, "read", grounds)
    origins = case.procedure.field_origins()
    return [(origins[key][0].label, values[key]) for key in origins if key in values]


@bp.route("/cases/<int:case_id>/disposisi", methods=["GET", "POST"])
def give(case_id: int):
    """The lembar disposisi of the case's active disposisi step, for its actor: the report, the
    chain so far, and the form (to whom, the standard choices, a note, a deadline)."""
    case = load_case(case_id, may_give)
    row = active_screen_row(case, GIVE_SCREEN)
    to_role = case.procedure.step(row.key).screen.get("to")
    form = DispositionForm()
    form.to_user.choices = [("", _("— pilih —"))] + [(str(u.id), u.name + (f" — {u.position}" if u.position else ""))
                                                      for u in recipients_for(case, to_role)]
    form.instructions.choices = [(code, str(label)) for code, label in INSTRUCTIONS.items()]
    if not form.is_submitted():
        form.due_on.data = (utcnow() + timedelta(days=2)).date()
    if form.validate_on_submit():
        try:
            give_disposition(case, current_user, int(form.to_user.data), form.instructions.data, form.note.data,
                             form.due_on.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            log_access(case, current_user, f"step:{row.key}")
            flash(_("Disposisi diberikan dan diteruskan."), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return render("dispositions/give.html", case=case, row=row, form=form, chain=chain_of(case),
                  report=_report(case), to_role=role_label(to_role), now=utcnow(), instruction_words=instruction_labels,
                  status=422 if form.is_submitted() else 200)


@bp.route("/cases/<int:case_id>/disposisi/laksana", methods=["GET", "POST"])
def carry(case_id: int):
    """The recipient of the last disposition reports it carried out."""
    case = load_case(case_id, may_carry_out)
    row = active_screen_row(case, CARRY_OUT_SCREEN)
    form = CarryOutForm()
    if form.validate_on_submit():
        try:
            carry_out(case, current_user, form.note.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            log_access(case, current_user, f"step:{row.key}")
            flash(_("Pelaksanaan disposisi dicatat."), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    chain = chain_of(case)
    return render("dispositions/carry_out.html", case=case, row=row, form=form, chain=chain,
                  mine=[d for d in chain if d.done_at is None and d.to_user_id == current_user.id],
                  report=_report(case), now=utcnow(), instruction_words=instruction_labels,
                  status=422 if form.is_submitted() else 200)
