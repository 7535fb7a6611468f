"""Generated letters and records: templates, numbering, PDF, verification."""
from flask import Blueprint

bp = Blueprint("documents", __name__)

from app.documents import routes  # noqa: E402,F401
from app.documents.types import DOC_TYPES  # noqa: E402
from app.sop.services import ACTION_DETAILS, CASE_PANELS, step_completed  # noqa: E402

ACTION_DETAILS.update({f"letter:{code}": kind.label for code, kind in DOC_TYPES.items()})


@step_completed.connect
def _issue_step_letter(case, step, row, user, now):
    from app.documents.services import issue_for_step

    issue_for_step(case, step, row, user, now)


def _letters_panel(case, user):
    """The case's letters (a new version of each current one, for those who may issue it), and
    the steps whose letter this user may issue and that have none yet."""
    from app.documents.routes import issuable_steps
    from app.documents.services import hidden_from, letters_of
    from app.documents.types import DOC_TYPES

    letters = [letter for letter in letters_of(case) if not hidden_from(user, case, letter.doc_type)]
    steps = issuable_steps(user, case)
    if not (letters or steps):
        return None
    current = {(letter.step_key, letter.doc_type) for letter in letters if letter.superseded_by_id is None}
    return "documents/_case_letters.html", {
        "letters": letters, "issuable": {doc_type for _key, doc_type in steps}, "doc_types": DOC_TYPES,
        "to_issue": [(key, doc_type) for key, doc_type in steps if (key, doc_type) not in current]}


CASE_PANELS.append(_letters_panel)
