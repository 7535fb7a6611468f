"""Confidential content is read by the case team only: claims, the team, grants the procedure
names, the head's break-glass review, and the access log — and the route × person table that
walks the confidential routes (the authorization matrix's second axis)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app.errors import DomainError
from app.extensions import db
from app.sop.access import readable_values
from app.sop.models import CaseAccess, CaseMember
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from app.casefiles.models import Upload
from app.casefiles.uploads import store_upload
from tests.puspaga_flow import assess, consent, open_puspaga, png_bytes, to_consent

SECRET = "ASESMEN-RAHASIA-7Q"
WIB = timezone(timedelta(hours=7))


@pytest.fixture
def puspaga(app, make_user):
    """A PUSPAGA case claimed by counselor A, with an assessment; its next step is active."""
    people = {who: make_user(role, name=f"Orang {who}") for who, role in [
        ("team", "counselor"), ("other_counselor", "counselor"), ("head", "head"), ("staff", "staff"),
        ("admin", "admin"), ("other_client", "client"), ("subject", "client")]}
    case = open_puspaga(people["staff"], people["subject"])
    to_consent(case, people["team"])
    consent(case, people["team"])
    assess(case, people["team"], SECRET)
    store_upload(case, people["staff"], "ktp.png", png_bytes(), None)
    db.session.commit()
    return case, people


def first_upload(case_id: int) -> int:
    return db.session.scalar(sa.select(Upload.id).where(Upload.case_id == case_id).order_by(Upload.id).limit(1))


def login(app, user):
    client = app.test_client()
    assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    return client


# The confidential routes × the people around a case: (status, secret shown) per person.
# "head+review" is the head after opening the case for review with a written reason.
TABLE = {
    "case page": (lambda c: ("GET", f"/cases/{c}", None), {
        "team": (200, True), "other_counselor": (404, False), "head": (200, False), "head+review": (200, True),
        "staff": (200, False), "admin": (404, False), "other_client": (404, False), "subject": (200, False)}),
    # A step form shows the earlier steps' outputs its reader may read (the assessment, to the team).
    "step form": (lambda c: ("GET", f"/cases/{c}/steps/prioritas", None), {
        "team": (200, True), "other_counselor": (404, False), "head": (200, False), "head+review": (200, True),
        "staff": (200, False), "admin": (404, False), "other_client": (404, False), "subject": (200, False)}),
    "complete step": (lambda c: ("POST", f"/cases/{c}/steps/prioritas", {"priorities": "P"}), {
        "team": (302, False), "other_counselor": (404, False), "head": (422, False), "head+review": (422, True),
        "staff": (422, False), "admin": (404, False), "other_client": (404, False), "subject": (422, False)}),
    "access log": (lambda c: ("GET", f"/cases/{c}/access", None), {
        "team": (200, False), "other_counselor": (404, False), "head": (200, False), "head+review": (200, False),
        "staff": (403, False), "admin": (404, False), "other_client": (404, False), "subject": (403, False)}),
    # PUSPAGA case files: the assessment sheet's answers for the team (and a head under review);
    # an uploaded document for the team, its uploader and a head under review, 404 for the rest.
    "assessment sheet": (lambda c: ("GET", f"/cases/{c}/assessment", None), {
        "team": (200, True), "other_counselor": (404, False), "head": (200, False), "head+review": (200, True),
        "staff": (200, False), "admin": (404, False), "other_client": (404, False), "subject": (200, False)}),
    "case file": (lambda c: ("GET", f"/cases/{c}/file", None), {
        "team": (200, False), "other_counselor": (404, False), "head": (200, False), "head+review": (200, False),
        "staff": (200, False), "admin": (404, False), "other_client": (404, False), "subject": (200, False)}),
    "uploaded document": (lambda c: ("GET", f"/cases/{c}/file/{first_upload(c)}", None), {
        "team": (200, False), "other_counselor": (404, False), "head": (404, False), "head+review": (200, False),
        "staff": (200, False), "admin": (404, False), "other_client": (404, False), "subject": (404, False)}),
    "consent page": (lambda c: ("GET", f"/cases/{c}/consent", None), {
        "team": (200, False), "other_counselor": (404, False), "head": (200, False), "head+review": (200, False),
        "staff": (200, False), "admin": (404, False), "other_client": (404, False), "subject": (200, False)}),
    "open review": (lambda c: ("POST", f"/cases/{c}/review", {"reason": "Pengaduan orang tua klien"}), {
        "team": (403, False), "other_counselor": (404, False), "head": (302, False), "head+review": (302, False),
        "staff": (403, False), "admin": (404, False), "other_client": (404, False), "subject": (403, False)}),
}


@pytest.mark.parametrize("route", sorted(TABLE))
def test_confidential_routes_answer_each_person_as_the_table_says(app, puspaga, route):
    case, people = puspaga
    build, expected = TABLE[route]
    wrong = []
    for who, (status, shows_secret) in expected.items():
        client = login(app, people["head" if who == "head+review" else who])
        if who == "head+review":
            assert client.submit(f"/cases/{case.id}/review", {"reason": "Telaah atas pengaduan"}).status_code == 302
        method, path, data = build(case.id)
        response = client.get(path) if method == "GET" else client.submit(path, data)
        shown = SECRET.encode() in response.get_data()
        if (response.status_code, shown) != (status, shows_secret):
            wrong.append(f"{who}: expected {(status, shows_secret)}, got {(response.status_code, shown)}")
        db.session.rollback()
    assert wrong == []


def test_only_the_team_completes_a_claimed_case(puspaga):
    case, people = puspaga
    with pytest.raises(DomainError):
        complete_step(case, "prioritas", people["other_counselor"], {"priorities": "P"})
    with pytest.raises(DomainError):
        complete_step(case, "prioritas", people["head"], {"priorities": "P"})
    complete_step(case, "prioritas", people["team"], {"priorities": "P"})


def test_the_first_counselor_claims_the_case_visibly(app, make_user):
    staff, client = make_user("staff"), make_user("client")
    first, second = make_user("counselor", name="Konselor Pertama"), make_user("counselor", name="Konselor Kedua")
    case = open_puspaga(staff, client)
    db.session.commit()
    # Before the claim both may take it; the page offers "Ambil kasus ini" and shows no content.
    page = login(app, second).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Ambil kasus ini" in page
    response = login(app, first).submit(f"/cases/{case.id}/claim/kelengkapan")
    assert response.status_code == 302
    db.session.expire_all()
    [member] = case.team()
    assert (member.user_id, member.how, member.role, case.assignee_id) == (first.id, "claimed", "counselor", first.id)
    assert "Konselor Pertama" in login(app, first).get(f"/cases/{case.id}").get_data(as_text=True)
    assert login(app, second).get(f"/cases/{case.id}").status_code == 404
    assert login(app, second).submit(f"/cases/{case.id}/claim/kelengkapan").status_code == 404
    assert db.session.scalar(sa.select(CaseAccess.action).where(CaseAccess.case_id == case.id,
                                                                 CaseAccess.action == "team:claimed"))


def test_every_read_is_logged_with_what_and_why(app, puspaga):
    case, people = puspaga
    login(app, people["team"]).get(f"/cases/{case.id}")
    login(app, people["head"]).get(f"/cases/{case.id}")
    rows = db.session.execute(sa.select(CaseAccess.user_id, CaseAccess.action, CaseAccess.fields, CaseAccess.reason)
                              .where(CaseAccess.case_id == case.id, CaseAccess.action.in_(["read", "view"]))).all()
    assert (people["team"].id, "read", "assessment,problem,service_plan", "team") in rows
    assert (people["head"].id, "view", None, None) in rows  # the head saw the timeline only
    log = login(app, people["team"]).get(f"/cases/{case.id}/access").get_data(as_text=True)
    assert "Asesmen" in log or "asesmen" in log.lower()
    assert "tim kasus" in log


def test_head_review_is_explicit_recorded_shown_and_ends_with_the_day(app, puspaga):
    case, people = puspaga
    at = datetime(2026, 11, 24, 20, 0, tzinfo=WIB)
    with time_machine.travel(at, tick=False):
        head = login(app, people["head"])
        assert head.submit(f"/cases/{case.id}/review", {"reason": "pendek"}).status_code == 422  # reason too short
        assert SECRET not in head.get(f"/cases/{case.id}").get_data(as_text=True)
        assert head.submit(f"/cases/{case.id}/review", {"reason": "Pengaduan resmi dari orang tua"}).status_code == 302
        assert SECRET in head.get(f"/cases/{case.id}").get_data(as_text=True)
        team_page = login(app, people["team"]).get(f"/cases/{case.id}").get_data(as_text=True)
        assert "dibuka untuk telaah oleh Orang head" in team_page and "Pengaduan resmi dari orang tua" in team_page
        reads = db.session.scalars(sa.select(CaseAccess.reason).where(
            CaseAccess.case_id == case.id, CaseAccess.user_id == people["head"].id, CaseAccess.action == "read")).all()
        assert reads == ["review: Pengaduan resmi dari orang tua"]
    with time_machine.travel(at + timedelta(hours=4, minutes=1), tick=False):  # past midnight
        assert SECRET not in login(app, people["head"]).get(f"/cases/{case.id}").get_data(as_text=True)


def test_team_changes_are_recorded_shown_and_grant_or_end_access(app, puspaga):
    case, people = puspaga
    head = login(app, people["head"])
    other = people["other_counselor"]
    assert head.submit(f"/cases/{case.id}/team", {"user_id": f"{other.id}:counselor", "note": ""}).status_code == 422
    assert head.submit(f"/cases/{case.id}/team", {"user_id": f"{other.id}:counselor",
                                                  "note": "Supervisi kasus"}).status_code == 302
    assert SECRET in login(app, other).get(f"/cases/{case.id}").get_data(as_text=True)
    member = db.session.scalar(sa.select(CaseMember).where(CaseMember.case_id == case.id,
                                                           CaseMember.user_id == other.id))
    assert head.submit(f"/cases/{case.id}/team/{member.id}/remove", {"note": "Supervisi selesai"}).status_code == 302
    assert login(app, other).get(f"/cases/{case.id}").status_code == 404
    page = login(app, people["team"]).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Riwayat tim" in page and "Supervisi selesai" in page
    # The team cannot change itself, and an admin is nobody on a case.
    assert login(app, people["team"]).submit(f"/cases/{case.id}/team", {
        "user_id": f"{other.id}:counselor", "note": "x"}).status_code == 403
    assert login(app, people["admin"]).submit(f"/cases/{case.id}/team", {
        "user_id": f"{people['admin'].id}:counselor", "note": "x"}).status_code == 404


def test_the_team_is_chosen_from_the_cases_unit(app, puspaga, make_user):
    """A counselor of another unit holds no counselor role for this case (holds_role): the head's
    list does not offer them, and naming them anyway is refused with nothing written; an assigning
    step's picker and its check keep to the unit the same way."""
    from app.sop.access import add_member

    case, people = puspaga
    elsewhere = make_user("counselor", name="Konselor Unit Lain", units=["P2KLLK"])
    head = login(app, people["head"])
    assert "Konselor Unit Lain" not in head.get(f"/cases/{case.id}").get_data(as_text=True)
    assert head.submit(f"/cases/{case.id}/team", {"user_id": f"{elsewhere.id}:counselor",
                                                  "note": "Supervisi kasus"}).status_code == 422
    with pytest.raises(DomainError, match="unit kasus ini"):
        add_member(case, people["head"], elsewhere, "counselor", "Supervisi kasus")
    db.session.rollback()
    assert login(app, elsewhere).get(f"/cases/{case.id}").status_code == 404
    career = open_case(get_procedure("pgri-konseling-karier"), people["staff"], {
        "nim": "1", "prodi": "P", "phone": "0812", "question": "Q", "mode": "online"}, subject=make_user("alumni"))
    stranger = make_user("counselor", name="Konselor PUSPAGA Saja", units=["PUSPAGA"])
    head_here = make_user("head", units=["P2KLLK"])
    complete_step(career, "izin_tu", people["staff"], {})
    complete_step(career, "form_permohonan", people["staff"], {"complete": "lengkap"})
    db.session.commit()
    page = login(app, head_here).get(f"/cases/{career.id}/steps/rekomendasi").get_data(as_text=True)
    assert "Konselor Unit Lain" in page and "Konselor PUSPAGA Saja" not in page
    with pytest.raises(DomainError, match="unit kasus ini"):
        complete_step(career, "rekomendasi", head_here, {"counselor": str(stranger.id)})


def test_subject_reads_own_words_and_what_is_shared_back_only(app, make_user):
    staff, head, alumnus, counselor = make_user("staff"), make_user("head"), make_user("alumni"), make_user("counselor")
    case = open_case(get_procedure("pgri-konseling-karier"), staff, {  # opened at the desk for the alumnus
        "nim": "1901", "prodi": "PMat", "phone": "0812", "question": "PERTANYAAN-SAYA", "mode": "online"},
        subject=alumnus)
    for key, actor, values in [("izin_tu", staff, {}), ("form_permohonan", staff, {"complete": "lengkap"}),
                               ("rekomendasi", head, {"counselor": str(counselor.id)}),
                               ("kesepakatan", counselor, {"agreed_at": "2031-01-06T09:00", "place": "R1"}),
                               ("fasilitas", staff, {"room_ready": True}),
                               ("pelaksanaan", counselor, {"attendance": "hadir"}),
                               ("laporan", counselor, {"report": "CATATAN-KONSELOR"})]:
        complete_step(case, key, actor, values)
    db.session.commit()
    values, grounds = readable_values(alumnus, case)
    assert values == {"question": "PERTANYAAN-SAYA"} and grounds == {"question": "subject"}
    assert set(readable_values(counselor, case)[0]) == {"question", "report"}  # assigned: the team
    assert readable_values(head, case)[0] == {}  # the head signed the letter, and reads nothing by role
    assert readable_values(staff, case)[0] == {"question": "PERTANYAAN-SAYA"}  # staff wrote it down: the author
    # PUSPAGA shares its conclusion and advice with the client.
    client, c2 = make_user("client"), make_user("counselor")
    puspaga = open_puspaga(staff, client)
    to_consent(puspaga, c2)
    consent(puspaga, c2)
    assess(puspaga, c2, "A")
    for key, values in [("prioritas", {"priorities": "P"}), ("simpulan", {"advice": "SARAN-UNTUK-KLIEN"})]:
        complete_step(puspaga, key, c2, values)
    assert readable_values(client, puspaga)[0] == {"advice": "SARAN-UNTUK-KLIEN"}


def test_grants_follow_the_source(app, make_user):
    """IPDN: the intake (biodata, prognosis) and the handling plan go to the kasubbag and the kepala
    unit — and only those; the reason staff wrote and the supervision notes do not go to the
    kasubbag (the daily progress reports go to the kepala unit, as the source says)."""
    staff, counselor, kasubbag, head = make_user("staff"), make_user("counselor"), make_user("kasubbag"), make_user("head")
    related = make_user("related_unit")
    praja = make_user("student")
    case = open_case(get_procedure("ipdn-bk-praja"), staff, {"level": "Tingkat II", "source": "pengamatan staf Unit BK",
                                                             "reason": "ALASAN"}, subject=praja)
    for key, actor, values in [("pendataan", staff, {"registration": "Data"}),
                               ("kedatangan", staff, {"arrived_at": datetime(2026, 11, 23, 9, 0)}),
                               ("intake", counselor, {"biodata": "BIODATA", "prognosis": "PROGNOSA"}),
                               ("rencana_kasubbag", counselor, {"plan": "RENCANA"}), ("rencana_kepala", kasubbag, {}),
                               ("rencana_pengawasan", head, {"related_unit_name": "Pengasuhan",
                                                             "supervision_plan": "Pedoman"})]:
        complete_step(case, key, actor, values)
    db.session.commit()
    for person in (kasubbag, head):
        values, grounds = readable_values(person, case)
        assert values == {"biodata": "BIODATA", "prognosis": "PROGNOSA", "plan": "RENCANA"}
        assert set(grounds.values()) == {f"grant:{'kasubbag' if person is kasubbag else 'head'}"}
    assert readable_values(related, case)[0] == {}
    complete_step(case, "pengawasan", related, {"progress": "PERKEMBANGAN"})
    db.session.commit()
    assert "progress" not in readable_values(kasubbag, case)[0]
    assert readable_values(head, case)[0]["progress"] == "PERKEMBANGAN"
    assert readable_values(related, case)[0] == {"progress": "PERKEMBANGAN"}  # what they wrote
    page = login(app, head).get("/procedures/ipdn-bk-praja").get_data(as_text=True)
    assert "Rencana penanganan" in page and "Kasubbag" in page.replace("kasubbag", "Kasubbag")


def test_lists_and_notices_show_administrative_facts_only(app, puspaga):
    case, people = puspaga
    for who, path in [("head", "/cases"), ("head", "/tasks"), ("team", "/cases"), ("team", "/tasks"), ("head", "/")]:
        assert SECRET not in login(app, people[who]).get(path).get_data(as_text=True), (who, path)
    from app.notifications.models import OutboxMessage

    assert not [m for m in db.session.scalars(sa.select(OutboxMessage)) if SECRET in (m.body or "")]


def test_a_value_sealed_under_another_key_is_an_error_not_an_empty_case(app, puspaga):
    """A changed DATA_ENCRYPTION_KEY must never read as "no content" nor let a step overwrite it."""
    from cryptography.fernet import Fernet

    case, people = puspaga
    case.sealed = Fernet(Fernet.generate_key()).encrypt(b'{"assessment": "lama"}').decode()
    db.session.commit()
    team = login(app, people["team"])
    page = team.get(f"/cases/{case.id}")
    assert page.status_code == 200 and "tidak dapat dibuka dengan kunci enkripsi" in page.get_data(as_text=True)
    before = case.sealed
    response = team.submit(f"/cases/{case.id}/steps/prioritas", {"priorities": "baru"})
    assert response.status_code == 422 and "tidak dapat dibuka" in response.get_data(as_text=True)
    db.session.expire_all()
    assert case.sealed == before


def test_losing_the_role_ends_what_the_membership_gave(app, puspaga):
    """A counselor demoted by the admin keeps the membership row but reads and acts no more."""
    from app.auth.services import update_user

    case, people = puspaga
    team = people["team"]
    update_user(team, roles=["student"], active=True, email=team.email, name=team.name)
    db.session.commit()
    page = login(app, team).get(f"/cases/{case.id}")
    assert page.status_code == 200  # they still see the facts of the steps they did…
    assert SECRET not in page.get_data(as_text=True)  # …but not the content, not even what they wrote
    assert readable_values(team, case)[0] == {}
    assert login(app, team).get(f"/cases/{case.id}/access").status_code == 403
    with pytest.raises(DomainError):
        complete_step(case, "prioritas", team, {"priorities": "P"})


def test_a_removed_counselor_cannot_claim_the_case_back_nor_can_anyone_else(app, puspaga):
    case, people = puspaga
    member = case.team()[0]
    head = login(app, people["head"])
    assert head.submit(f"/cases/{case.id}/team/{member.id}/remove", {"note": "konflik kepentingan"}).status_code == 302
    for who in ("team", "other_counselor"):
        client = login(app, people[who])
        assert "Ambil kasus ini" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert client.submit(f"/cases/{case.id}/claim/prioritas").status_code in (403, 404)
    db.session.expire_all()
    assert case.team() == []  # the head chooses who comes next
    assert head.submit(f"/cases/{case.id}/team", {"user_id": f"{people['other_counselor'].id}:counselor",
                                                  "note": "Pengganti"}).status_code == 302
    assert SECRET in login(app, people["other_counselor"]).get(f"/cases/{case.id}").get_data(as_text=True)


def test_openings_cannot_crowd_reviews_out_of_the_access_log(app, puspaga):
    case, people = puspaga
    staff = login(app, people["staff"])
    for _ in range(30):
        staff.get(f"/cases/{case.id}")
    head = login(app, people["head"])
    assert head.submit(f"/cases/{case.id}/review", {"reason": "\u200b" * 12}).status_code == 422  # invisible
    assert head.submit(f"/cases/{case.id}/review", {"reason": "Pengaduan resmi orang tua"}).status_code == 302
    views = db.session.scalar(sa.select(sa.func.count()).select_from(CaseAccess).where(
        CaseAccess.user_id == people["staff"].id, CaseAccess.action == "view"))
    assert views == 1  # thirty openings within ten minutes are one line
    log = login(app, people["team"]).get(f"/cases/{case.id}/access").get_data(as_text=True)
    assert "membuka untuk telaah" in log and "Pengaduan resmi orang tua" in log


def _reads(case, user) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(CaseAccess.id)).where(
        CaseAccess.case_id == case.id, CaseAccess.user_id == user.id, CaseAccess.action == "read"))


def test_a_read_shown_on_a_refused_form_stays_in_the_access_log(app, puspaga):
    """The form a reader posts wrongly answers 422 (and rolls its transaction back) but still shows
    the assessment: that read is logged all the same."""
    case, people = puspaga
    client = login(app, people["team"])
    before = _reads(case, people["team"])
    response = client.submit(f"/cases/{case.id}/steps/prioritas", {"priorities": ""})
    assert response.status_code == 422 and SECRET in response.get_data(as_text=True)
    assert _reads(case, people["team"]) == before + 1


def test_the_client_contact_is_for_whoever_acts_on_the_step_or_the_team(app, puspaga):
    case, people = puspaga
    for who, shown in [("team", True), ("head", False), ("staff", False)]:
        page = login(app, people[who]).get(f"/cases/{case.id}/steps/prioritas").get_data(as_text=True)
        assert (people["subject"].email in page) is shown, who


def test_the_person_served_sees_who_opened_their_case_but_not_the_heads_written_reason(app, puspaga):
    case, people = puspaga
    head = login(app, people["head"])
    assert head.submit(f"/cases/{case.id}/review", {"reason": "Dugaan risiko dilaporkan wali"}).status_code == 302
    client = login(app, people["subject"])
    page = client.get("/account/data").get_data(as_text=True)
    assert people["head"].name in page and "Dugaan risiko" not in page
    assert "Dugaan risiko" not in client.get("/account/data.json").get_data(as_text=True)


def test_a_referred_student_does_not_read_what_the_advisor_wrote(app, make_user):
    """In a referral the request form is the advisor's report about the student, shared with the
    staff only; in a service the student asks for themselves, the form is their own words."""
    advisor, student, staff = make_user("advisor"), make_user("student"), make_user("staff")
    referral = open_case(get_procedure("ik-konseling-rujukan"), advisor, {"reason": "NILAI-MENURUN-RAHASIA"},
                         subject=student, referral=True)
    own = open_case(get_procedure("ik-konseling-inisiatif"), student, {"need": "KEBUTUHAN-SAYA"})
    db.session.commit()
    assert readable_values(student, referral)[0] == {}
    assert readable_values(staff, referral)[0] == {"reason": "NILAI-MENURUN-RAHASIA"}
    assert readable_values(student, own)[0] == {"need": "KEBUTUHAN-SAYA"}


def test_a_team_member_moved_to_another_unit_reads_no_more(app, puspaga):
    """A role holds in one's own units, on the team too: the counselor moved out of PUSPAGA stops
    reading what the team reads until they are back, as a head who leaves the unit does; the case
    itself, steps they did included, is no more theirs to see, by its page or in their lists."""
    from app.org.models import Unit
    from app.org.services import set_user_units, unit_ids_of

    from app.sop.services import my_tasks

    case, people = puspaga
    counselor = people["team"]
    assert case.id in {row.case_id for row in my_tasks(counselor)}
    units = unit_ids_of(counselor)
    elsewhere = db.session.scalar(sa.select(Unit.id).where(Unit.code == "P2KLLK"))
    with app.test_request_context():
        set_user_units(counselor, [elsewhere])
    db.session.commit()
    client = login(app, counselor)
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 404 and SECRET not in page.get_data(as_text=True)
    assert f"/cases/{case.id}\"" not in client.get("/cases?state=all").get_data(as_text=True)
    assert case.id not in {row.case_id for row in my_tasks(counselor)}  # its steps wait for the team
    with app.test_request_context():
        set_user_units(counselor, units)
    db.session.commit()
    assert SECRET in login(app, counselor).get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}\"" in client.get("/cases?state=all").get_data(as_text=True)
