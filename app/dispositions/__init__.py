"""Disposisi chains: a leader's disposition on a report (from whom, to whom, the standard
choices of a lembar disposisi, a note, a deadline), passed on up the chain and carried out; each
recipient finds it in "Tugas saya"; it prints on the lembar disposisi and the nota dinas."""
from flask import Blueprint

bp = Blueprint("dispositions", __name__)

from app.dispositions import routes  # noqa: E402,F401
from app.documents.services import LETTER_DATA  # noqa: E402
from app.sop.services import CASE_PANELS, STEP_SCREENS, TASK_SOURCES, step_completed  # noqa: E402

# Steps declaring `screen: {name: lembar_disposisi, to: <role>}` are done on the lembar disposisi;
# `screen: pelaksanaan_disposisi` on the report that the last disposition was carried out.
STEP_SCREENS["lembar_disposisi"] = "dispositions.give"
STEP_SCREENS["pelaksanaan_disposisi"] = "dispositions.carry"


@step_completed.connect
def _check_record(case, step, row, user, now):
    from app.dispositions.services import check_step_record

    check_step_record(case, step, row)


def _letter_data(case, step_key, doc_type):
    from app.dispositions.services import letter_data

    return letter_data(case, step_key, doc_type)


LETTER_DATA.append(_letter_data)


def _tasks(user, now):
    """Each open disposition addressed to the user, with its deadline, standing for the step on
    which they act on it."""
    from flask import url_for
    from flask_babel import gettext as _

    from app.dispositions.services import (CARRY_OUT_SCREEN, GIVE_SCREEN, due_moment, instruction_labels,
                                           waiting_for)
    from app.sop.services import TaskItem

    items = []
    for disposition, row in waiting_for(user):
        screen = (row.case.procedure.step(row.key).screen or {}).get("name") if row is not None else None
        endpoint = {GIVE_SCREEN: "dispositions.give", CARRY_OUT_SCREEN: "dispositions.carry"}.get(screen)
        url = url_for(endpoint, case_id=disposition.case_id) if endpoint else url_for(
            "sop.show_case", case_id=disposition.case_id)
        items.append(TaskItem(
            title=_("Disposisi dari %(name)s: %(what)s", name=disposition.from_user.name,
                    what=", ".join(instruction_labels(disposition.codes)).lower()),
            url=url, case_id=disposition.case_id, service=row.case.version.title if row else "",
            due_at=due_moment(disposition.due_on), detail=disposition.note or "",
            replaces=row.id if endpoint else None))
    return items


TASK_SOURCES.append(_tasks)


def _panel(case, user):
    """The case's disposisi chain, for the officers who see the case (the leaders' instructions
    about a person are not shown to that person)."""
    from app.dispositions.services import chain_of, instruction_labels
    from app.sop.access import on_team

    if user.id == case.subject_id and not on_team(user, case):
        return None

    chain = chain_of(case)
    if not chain:
        return None
    return "dispositions/_case_panel.html", {"chain": chain, "labels": instruction_labels}


CASE_PANELS.append(_panel)
