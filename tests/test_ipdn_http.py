"""The disposisi screens over HTTP: each recipient acts from "Tugas saya"; the report a leader
receives is what the procedure grants them (read logged); the confidentiality axis of the screens
(who sees the page, who reads the report); ids that are not one's own are refused."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.dispositions.models import Disposition
from app.extensions import db
from app.sop.models import Case, CaseAccess
from tests.test_ipdn_dispositions import SECRET, people, therapy_case  # noqa: F401 - the fixture

DUE = (date.today() + timedelta(days=3)).isoformat()


def login(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


def give(client, case, to_user, instructions=("ditindaklanjuti",), note="Mohon arahan."):
    return client.submit(f"/cases/{case.id}/disposisi", {"to_user": str(to_user.id), "instructions": list(instructions),
                                                         "note": note, "due_on": DUE})


def test_each_recipient_acts_from_tugas_saya(app, people):
    p = people
    case = therapy_case(p, "disposisi_kepala")
    head = login(app, p["head"])
    tasks = head.get("/tasks").get_data(as_text=True)
    assert f"/cases/{case.id}/disposisi" in tasks
    page = head.get(f"/cases/{case.id}/disposisi").get_data(as_text=True)
    assert "Laporan hasil terapi untuk pimpinan." in page and "Untuk dibicarakan dengan saya" in page
    assert give(head, case, p["bureau"]).status_code == 302
    bureau = login(app, p["bureau"])
    tasks = bureau.get("/tasks").get_data(as_text=True)
    assert "Disposisi dari Orang head" in tasks and f"/cases/{case.id}/disposisi" in tasks
    assert tasks.count(f"/cases/{case.id}/disposisi") == 1  # the disposition stands for the step
    assert give(bureau, case, p["rector"], ("dipertimbangkan",), "").status_code == 302
    rector = login(app, p["rector"])
    assert "Disposisi dari Orang bureau" in rector.get("/tasks").get_data(as_text=True)
    assert SECRET in rector.get(f"/cases/{case.id}/disposisi").get_data(as_text=True)  # the report, granted
    assert give(rector, case, p["head"]).status_code == 302
    tasks = head.get("/tasks").get_data(as_text=True)
    assert "Disposisi dari Orang rector" in tasks and f"/cases/{case.id}/disposisi/laksana" in tasks
    assert head.submit(f"/cases/{case.id}/disposisi/laksana", {"note": "Dilaksanakan."}).status_code == 302
    assert f"/cases/{case.id}/disposisi" not in head.get("/tasks").get_data(as_text=True)
    page = head.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Disposisi pimpinan" in page and "Dilaksanakan." in page
    done = db.session.scalars(db.select(Disposition).order_by(Disposition.id)).all()
    assert [d.done_by_id for d in done] == [p["bureau"].id, p["rector"].id, p["head"].id]
    reads = db.session.scalars(db.select(CaseAccess.reason).where(
        CaseAccess.case_id == case.id, CaseAccess.user_id == p["rector"].id, CaseAccess.action == "read")).all()
    assert reads and all("grant:rectorate" in r for r in reads)


def test_ids_that_are_not_ones_own_are_refused(app, people):
    p = people
    case = therapy_case(p, "disposisi_kepala")
    head = login(app, p["head"])
    # a recipient who does not hold the role the step names: refused, nothing written
    response = give(head, case, p["praja"])
    assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Disposition.id))) == 0
    # a case the user may not see: 404; one they see but whose step is not theirs: 403
    assert login(app, p["outsider"]).get(f"/cases/{case.id}/disposisi").status_code == 404
    assert login(app, p["kasubbag"]).get(f"/cases/{case.id}/disposisi").status_code == 403
    assert head.get(f"/cases/{case.id}/disposisi/laksana").status_code == 403
    assert head.get("/cases/999999/disposisi").status_code == 404
    # another kepala biro cannot take the addressee's turn
    assert give(head, case, p["bureau"]).status_code == 302
    other = login(app, p["other_bureau"])
    response = give(other, case, p["rector"])
    assert response.status_code == 422 and "hanya penerimanya" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Disposition.id))) == 1


# The disposisi screen × the people around a therapy case at the kepala unit's disposition:
# (status, the psychiatrist's report shown).
SCREEN = {"head": (200, True), "bureau": (404, False), "rector": (404, False), "kasubbag": (403, False),
          "counselor": (403, False), "psychiatrist": (403, False), "staff": (403, False), "praja": (403, False),
          "outsider": (404, False)}


@pytest.mark.parametrize("who", sorted(SCREEN))
def test_the_screen_answers_each_person_as_the_table_says(app, people, who):
    case = therapy_case(people, "disposisi_kepala")
    response = login(app, people[who]).get(f"/cases/{case.id}/disposisi")
    assert (response.status_code, SECRET in response.get_data(as_text=True)) == SCREEN[who]


def test_the_lembar_disposisi_is_downloadable_from_the_case(app, people):
    p = people
    case = therapy_case(p, "disposisi_kepala")
    assert give(login(app, p["head"]), case, p["bureau"]).status_code == 302
    page = login(app, p["bureau"]).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Lembar Disposisi" in page and "Disposisi pimpinan" in page
    # the leaders' instructions about the praja are not shown to the praja
    assert "Disposisi pimpinan" not in login(app, p["praja"]).get(f"/cases/{case.id}").get_data(as_text=True)
    assert db.session.get(Case, case.id).step_row("disposisi_biro").state == "active"


def test_the_leaders_paper_about_the_praja_is_not_the_prajas_to_read(app, people):
    """The lembar disposisi and the nota dinas (DocType.internal): listed and downloadable for the
    leaders and the case team, absent from the praja's case page and 404 for the praja."""
    from app.documents.models import Letter

    p = people
    case = therapy_case(p, "disposisi_kepala")
    assert give(login(app, p["head"]), case, p["bureau"]).status_code == 302
    letters = db.session.scalars(db.select(Letter).where(Letter.case_id == case.id,
                                                         Letter.doc_type.in_(["lembar_disposisi", "nota_dinas"]))).all()
    assert {letter.doc_type for letter in letters} == {"lembar_disposisi", "nota_dinas"}
    praja, bureau = login(app, p["praja"]), login(app, p["bureau"])
    page = praja.get(f"/cases/{case.id}").get_data(as_text=True)
    for letter in letters:
        assert praja.get(f"/letters/{letter.id}.pdf").status_code == 404
        assert f"/letters/{letter.id}.pdf" not in page
        assert bureau.get(f"/letters/{letter.id}.pdf").status_code == 200
