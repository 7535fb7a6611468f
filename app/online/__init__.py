"""Online counseling on the SOP engine: the self-service e-konseling wizard, the acknowledgement
sent by the app itself, the head's duty rota, and each case's private conversation (messages,
a proposed video or tatap muka session through booking, the closing report)."""
from flask import Blueprint

bp = Blueprint("online", __name__, url_prefix="/online")

from app.online import routes, rota_routes  # noqa: E402,F401
from app.booking.services import session_changed  # noqa: E402
from app.sop.offerings import NEWS, News  # noqa: E402
from app.sop.services import CASE_PANELS, START_SCREENS, STEP_SCREENS, TASK_SOURCES  # noqa: E402

# The wizard's stages are done on the wizard; the steps done in the conversation, on it.
STEP_SCREENS["online_intake"] = "online.wizard"
STEP_SCREENS["thread"] = "online.show_thread"
STEP_SCREENS["acknowledge"] = "online.show_thread"
# The person served asks for it on the wizard (its stages, then the conversation).
START_SCREENS["online_intake"] = "online.start"


def _thread_panel(case, user):
    """The way to the private conversation, for the person served and the team (and a counselor
    who may take the case)."""
    from app.online.thread import may_open

    return ("online/_case_panel.html", {}) if may_open(user, case) else None


CASE_PANELS.append(_thread_panel)


def _tasks(user, now):
    """New requests waiting for a counselor, in "Tugas saya" of the counselors who may take them."""
    from app.online.tasks import tasks

    return tasks(user, now)


TASK_SOURCES.append(_tasks)


def _unread_reply():
    """A counselor's message the person served has not read yet, said on their service card."""
    from app.online.thread import unread_reply

    return unread_reply()


NEWS.append(News(_unread_reply, "online.show_thread", "terbaru"))


@session_changed.connect
def _session_line(appointment, **change):
    """A session moved or called off is said in the case's conversation."""
    from app.online.thread import say_session_change

    say_session_change(appointment, **change)
