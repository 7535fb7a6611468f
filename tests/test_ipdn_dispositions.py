"""IPDN therapy administration on the engine: the person is the case's subject, a staff member is
assigned to accompany them (reminded the day before the appointment, through the outbox), the
psychiatrist joins the team for this case only, and the disposisi chain kepala unit → kepala biro
→ rektor → carried out, each link a record (from, to, instruction, deadline, done by whom) that
its recipient finds in "Tugas saya" and that prints on the lembar disposisi."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from io import BytesIO

import pytest
from pypdf import PdfReader

from app.dispositions.models import Disposition
from app.dispositions.services import carry_out, chain_of, give_disposition
from app.documents.models import Letter
from app.errors import DomainError
from app.extensions import db
from app.org.services import set_user_units, unit_ids_of
from app.notifications.models import OutboxMessage
from app.sop.access import readable_values
from app.sop.models import CaseState, StepState
from app.sop.notices import sweep
from app.sop.registry import get_procedure
from app.sop.services import TaskItem, complete_step, open_case, task_list

WIB = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
APPOINTMENT = datetime(2026, 11, 25, 9, 0)  # Wednesday, local time as the form gives it
SECRET = "HASIL-TERAPI-RAHASIA-5K"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


@pytest.fixture
def people(app, make_user):
    roles = {"counselor": "counselor", "kasubbag": "kasubbag", "head": "head", "staff": "staff",
             "psychiatrist": "psychiatrist", "bureau": "bureau_head", "other_bureau": "bureau_head",
             "rector": "rectorate", "praja": "student", "outsider": "counselor"}
    made = {who: make_user(role, name=f"Orang {who}") for who, role in roles.items()}
    made["head"].position = "Kepala Unit BK"
    db.session.commit()
    return made


def therapy_world(make_user, head=None, upto: str = "disposisi_kepala") -> dict:
    """A therapy case of a new praja brought to step `upto` (for the authorization matrix and the
    bad-input sweep); at "laksana_disposisi" the chain's last disposition is addressed to `head`."""
    roles = {"counselor": "counselor", "kasubbag": "kasubbag", "staff": "staff", "psychiatrist": "psychiatrist",
             "bureau": "bureau_head", "rector": "rectorate", "praja": "student"}
    people = {who: make_user(role, name=f"IPDN {who}") for who, role in roles.items()}
    people["head"] = head or make_user("head", name="IPDN head")
    case = therapy_case(people, "disposisi_kepala" if upto == "laksana_disposisi" else upto)
    if upto == "laksana_disposisi":
        due = MONDAY.date() + timedelta(days=3)
        for giver, to in [("head", "bureau"), ("bureau", "rector"), ("rector", "head")]:
            give_disposition(case, people[giver], people[to].id, ["ditindaklanjuti"], "", due, now=MONDAY)
        db.session.commit()
    return {"therapy_case": case.id, "bureau": people["bureau"].id, "rector": people["rector"].id,
            "praja": people["praja"].id}


def lazy_therapy_world(world: dict, upto: str) -> dict:
    """therapy_world built once per walk, when a row of the authorization matrix first needs it
    (most rows do not: the letters it issues take time)."""
    key = f"ipdn:{upto}"
    if key not in world:
        from itertools import count

        from app.auth.services import create_user
        from app.org.models import Unit
        from app.org.services import add_user_to_units

        numbers = count(1)

        def make_user(role, name):
            user = create_user(email=f"ipdn-{upto}-{next(numbers)}@test.id", name=name, roles=(role,),
                               password="rahasia123")
            add_user_to_units(user, db.session.scalars(db.select(Unit.code)).all())
            db.session.commit()
            return user

        world[key] = therapy_world(make_user, upto=upto)
    return world[key]


def therapy_case(people, upto: str):
    """A therapy case for the praja, brought to step `upto` (active)."""
    p = people
    case = open_case(get_procedure("ipdn-terapi"), p["counselor"], {}, subject=p["praja"], now=MONDAY)
    steps = [
        ("lapor_kasus", p["counselor"], {"case_summary": "Praja menarik diri dari kegiatan."}),
        ("terima_laporan", p["kasubbag"], {}),
        ("nota_dinas", p["head"], {"companion": p["staff"], "external_party": "dr. Psikiater RSJ",
                                   "appointment_at": APPOINTMENT, "appointment_place": "RSJ Jatinangor"}),
        ("pendampingan", p["staff"], {"accompanied": True}),
        ("terapi", p["psychiatrist"], {"therapy_report": SECRET}),
        ("laporan_hasil", p["kasubbag"], {"result_report": "Laporan hasil terapi untuk pimpinan."}),
    ]
    for key, user, values in steps:
        if key == upto:
            break
        complete_step(case, key, user, values, now=MONDAY)
    db.session.commit()
    return case


def test_the_person_is_the_subject_and_a_companion_is_assigned_and_reminded(people):
    case = therapy_case(people, "pendampingan")
    assert case.subject_id == people["praja"].id
    assert case.assignee_id == people["staff"].id
    assert any(m.user_id == people["staff"].id for m in case.team())
    nota = db.session.scalar(db.select(Letter).where(Letter.case_id == case.id, Letter.step_key == "nota_dinas"))
    text = pdf_text(nota.pdf)
    assert "Orang praja" in text and "Kepala Biro III" in text and "Orang staff" in text
    assert "Rabu, 25 November 2026 pukul 09.00" in " ".join(text.split())  # the appointment, in words
    row = case.step_row("pendampingan")
    local_appointment = APPOINTMENT.replace(tzinfo=WIB)
    assert row.remind_at == local_appointment - timedelta(days=1)
    assert row.due_at == local_appointment + timedelta(minutes=45)
    counts = sweep(local_appointment - timedelta(hours=23))
    db.session.commit()
    assert counts["reminder"] == 1
    sent = db.session.scalars(db.select(OutboxMessage.recipient)).all()
    assert people["staff"].email in sent
    # only the assigned companion accompanies, not every staff member
    with pytest.raises(DomainError):
        complete_step(case, "pendampingan", people["kasubbag"], {"accompanied": True}, now=MONDAY)


def test_the_psychiatrist_joins_this_case_only(people, make_user):
    case = therapy_case(people, "laporan_hasil")
    member = next(m for m in case.team() if m.user_id == people["psychiatrist"].id)
    assert member.role == "psychiatrist"
    other = open_case(get_procedure("ipdn-terapi"), people["counselor"], {}, subject=people["praja"], now=MONDAY)
    db.session.commit()
    assert readable_values(people["psychiatrist"], case)[0]["therapy_report"] == SECRET
    assert not any(m.user_id == people["psychiatrist"].id for m in other.team())


def tasks_of(app, user):
    with app.test_request_context():
        return task_list(user, MONDAY)


def test_the_disposisi_chain_end_to_end(app, people):
    p = people
    case = therapy_case(p, "disposisi_kepala")
    due = date(2026, 11, 25)
    first = give_disposition(case, p["head"], p["bureau"].id, ["diketahui", "ditindaklanjuti"], "Mohon arahan.",
                             due, now=MONDAY)
    db.session.commit()
    assert (first.from_user_id, first.to_user_id, first.to_role, first.done_at) == (
        p["head"].id, p["bureau"].id, "bureau_head", None)
    # the recipient finds it in "Tugas saya" with its deadline, standing for the step
    tasks = tasks_of(app, p["bureau"])
    items = [t for t in tasks if isinstance(t, TaskItem)]
    assert len(items) == 1 and items[0].due_at.date() == due and "Orang head" in items[0].title
    assert not any(getattr(t, "key", None) == "disposisi_biro" for t in tasks)
    p["bureau"].set_roles(["rectorate"])  # moved to another post a disposition may be addressed to:
    db.session.commit()  # this one is no longer theirs to carry out, nor to read in their tasks
    assert not [t for t in tasks_of(app, p["bureau"]) if isinstance(t, TaskItem)]
    p["bureau"].set_roles(["bureau_head"])
    units = unit_ids_of(p["bureau"])
    with app.test_request_context():  # moved out of the unit: the role no longer holds for its cases
        set_user_units(p["bureau"], [], actor=p["head"])
    db.session.commit()
    assert not [t for t in tasks_of(app, p["bureau"]) if isinstance(t, TaskItem)]
    with app.test_request_context():
        set_user_units(p["bureau"], units, actor=p["head"])
    db.session.commit()
    assert [t for t in tasks_of(app, p["bureau"]) if isinstance(t, TaskItem)]
    # another holder of the role cannot take the addressee's turn
    with pytest.raises(DomainError, match="ditujukan kepada Orang bureau"):
        give_disposition(case, p["other_bureau"], p["rector"].id, ["diketahui"], "", due, now=MONDAY)
    db.session.rollback()
    give_disposition(case, p["bureau"], p["rector"].id, ["dipertimbangkan", "petunjuk"], "", due, now=MONDAY)
    give_disposition(case, p["rector"], p["head"].id, ["ditindaklanjuti"], "Segera tindak lanjuti.", due, now=MONDAY)
    db.session.commit()
    chain = chain_of(case)
    assert [(d.from_user_id, d.to_user_id) for d in chain] == [
        (p["head"].id, p["bureau"].id), (p["bureau"].id, p["rector"].id), (p["rector"].id, p["head"].id)]
    assert [d.done_by_id for d in chain] == [p["bureau"].id, p["rector"].id, None]
    assert [t for t in tasks_of(app, p["head"]) if isinstance(t, TaskItem)]
    carry_out(case, p["head"], "Praja dipantau pengasuh; terapi lanjutan dijadwalkan.", now=MONDAY)
    complete_step(case, "arsip", p["kasubbag"], {}, now=MONDAY)
    db.session.commit()
    assert case.state == CaseState.CLOSED
    assert all(d.done_at is not None for d in chain_of(case))
    assert chain_of(case)[-1].done_by_id == p["head"].id
    letters = db.session.scalars(db.select(Letter).where(Letter.case_id == case.id, Letter.doc_type == "lembar_disposisi")
                                 .order_by(Letter.id)).all()
    assert [letter.signer_name for letter in letters] == ["Orang head", "Orang bureau", "Orang rector"]
    text = pdf_text(letters[-1].pdf)
    assert "LEMBAR DISPOSISI" in text.upper() and "Orang praja" in text
    assert "Segera tindak lanjuti." in text and "Untuk ditindaklanjuti" in text
    assert "ND-" in text  # the nota dinas it is about
    report = db.session.scalar(db.select(Letter).where(Letter.case_id == case.id, Letter.step_key == "laporan_hasil"))
    assert report.signer_name == "Orang kasubbag"  # a nota dinas is signed by whoever writes it
    assert SECRET not in text


def test_the_generic_step_form_cannot_skip_the_record(people):
    case = therapy_case(people, "disposisi_kepala")
    with pytest.raises(DomainError, match="lembar disposisi"):
        complete_step(case, "disposisi_kepala", people["head"], {}, now=MONDAY)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Disposition.id))) == 0


@pytest.mark.parametrize("change, message", [
    ({"to_user_id": None}, "penerima"),
    ({"to_user_id": "outsider"}, "penerima"),
    ({"to_user_id": "head"}, "penerima"),
    ({"codes": []}, "minimal satu"),
    ({"codes": ["bebas"]}, "tidak dikenal"),
    ({"note": "x" * 1001}, "1000"),
    ({"due_on": date(2026, 11, 20)}, "Batas waktu"),
    ({"due_on": date(2028, 1, 1)}, "Batas waktu"),
    ({"due_on": None}, "Batas waktu"),
])
def test_a_bad_disposition_is_refused_and_nothing_written(people, change, message):
    case = therapy_case(people, "disposisi_kepala")
    values = {"to_user_id": "bureau", "codes": ["diketahui"], "note": "", "due_on": date(2026, 11, 25), **change}
    who = values["to_user_id"]
    to_user_id = people[who].id if isinstance(who, str) else who
    with pytest.raises(DomainError, match=message):
        give_disposition(case, people["head"], to_user_id, values["codes"], values["note"], values["due_on"],
                         now=MONDAY)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Disposition.id))) == 0
    assert case.step_row("disposisi_kepala").state == StepState.ACTIVE


def test_only_the_active_steps_actor_gives_or_carries_out(people):
    case = therapy_case(people, "disposisi_kepala")
    with pytest.raises(DomainError):
        give_disposition(case, people["bureau"], people["rector"].id, ["diketahui"], "", date(2026, 11, 25), now=MONDAY)
    with pytest.raises(DomainError):
        carry_out(case, people["head"], "selesai", now=MONDAY)


def test_leaderships_paper_never_reaches_the_person_it_is_about_in_another_role(people):
    """A praja who is also a bureau head is not sent the nota dinas about themselves, though it goes
    to the bureau heads: its e-mail would carry what its pages keep from them."""
    from app.notifications.models import OutboxMessage

    people["praja"].set_roles({"student", "bureau_head"})
    db.session.commit()
    case = therapy_case(people, "pendampingan")  # the nota dinas is issued and sent
    db.session.commit()
    sent = set(db.session.scalars(db.select(OutboxMessage.user_id).where(OutboxMessage.key.startswith("letter:"))))
    assert people["bureau"].id in sent and people["praja"].id not in sent
    assert case.subject_id == people["praja"].id


def test_leaderships_paper_goes_to_the_units_holders_and_stays_from_the_person(app, people, make_user):
    """The nota dinas goes to the holders of the role it names in the case's unit only, signed there;
    "Data saya" of the praja it is about does not list it or put it in the download, as its own
    page does not show it to them."""
    import io
    import zipfile

    from app.documents.models import Letter
    from app.documents.services import letter_recipients, signer_for

    elsewhere = make_user("bureau_head", name="Biro Unit Lain", units=["PUSPAGA"])
    case = therapy_case(people, "pendampingan")  # the nota dinas is issued
    here = {u.id for u in letter_recipients(case, ("role:bureau_head",))}
    assert {people["bureau"].id, people["other_bureau"].id} <= here and elsewhere.id not in here
    other_head = make_user("head", name="Kepala Unit Lain", units=["PUSPAGA"])
    assert signer_for(other_head, case).id != other_head.id and signer_for(people["head"], case) == people["head"]
    letters = db.session.scalars(db.select(Letter).where(Letter.case_id == case.id)).all()
    assert any(letter.doc_type == "nota_dinas" for letter in letters)
    client = app.test_client()
    client.submit("/login", {"email": people["praja"].email, "password": "rahasia123"})
    page = client.get("/account/data").get_data(as_text=True)
    assert "Nota Dinas" not in page
    names = zipfile.ZipFile(io.BytesIO(client.get("/account/data.zip").data)).namelist()
    assert not any("nota_dinas" in name for name in names)
