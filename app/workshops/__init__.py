"""The minat-bakat workshop on the SOP engine: editions and committee, prodi and roster,
announcements to kaprodi, public registration with a waiting list, check-in, evaluation and
certificates, the report and its follow-up counseling."""
from flask import Blueprint

bp = Blueprint("workshops", __name__)

from app.workshops import public  # noqa: E402,F401 - public registration and tickets
from app.workshops import checkin  # noqa: E402,F401 - attendance at the door
from app.workshops import announce_routes  # noqa: E402,F401
from app.workshops import routes  # noqa: E402,F401
from app.sop.services import STEP_SCREENS  # noqa: E402
from app.booking.ical import FEED_EVENTS  # noqa: E402
from app.workshops.editions import feed_events  # noqa: E402

# Steps declaring `screen: workshop` are done on the edition page (reached by the case id).
STEP_SCREENS["workshop"] = "workshops.show"
# Committee members see their coordination meetings in their calendar feed.
FEED_EVENTS.append(feed_events)
from app.workshops import report_routes  # noqa: E402,F401
