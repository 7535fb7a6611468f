"""`flask seed-demo`: the demo institution (Universitas PGRI Madiun, P2KLLK) with the units of
every procedure's institution, one user per role (in the units whose services it demonstrates)
and cases of every procedure at different steps. Idempotent."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import click
from flask import current_app
from flask_babel import gettext as _

from app.admin.cli import check_new_password
from app.auth.models import User, UserRole, find_user_by_email
from app.auth.services import create_user
from app.database import utcnow
from app.extensions import db
from app.sop.definitions import Field
from app.sop.models import Case
from app.sop.registry import procedures
from app.sop.access import can_act
from app.sop.services import complete_step, open_case
from app.org.services import add_user_to_units, enabled_codes
from app.sop.offerings import involved_roles, sync_offerings
from app.org.services import current_institution

DEMO_NAMES = {
    "admin": "Admin LPM",
    "staff": "Sri Wahyuni (TU P2KLLK)",
    "head": "Dr. Ratih Christiana, M.Pd.",
    "counselor": "Dra. Endang Lestari, M.Psi.",
    "committee": "Agus Prasetyo (Panitia)",
    "kaprodi": "Dr. Bambang Sutrisno (Kaprodi)",
    "rectorate": "Dr. Jefry Handhika (Wakil Rektor IV)",
    "advisor": "Dewi Anggraini, M.Pd. (Dosen PA)",
    "student": "Rina Kartika",
    "alumni": "Budi Santoso",
    "client": "Siti Aminah",
    "employee": "Hendra Gunawan",
    # roles that procedures name
    "kasubbag": "Yuliana (Kasubbag)",
    "related_unit": "Unit Pengasuhan Praja",
    "psychiatrist": "dr. Arif Wibowo, Sp.KJ",
    "bureau_head": "Kepala Biro III",
    "it": "Tim IT",
}

# (procedure, steps to complete, opened how long ago)
DEMO_CASES = [
    ("pgri-konseling-karier", 0, timedelta(minutes=30)),
    ("pgri-konseling-karier", 3, timedelta(hours=3)),  # counselor assigned: the alumnus can book
    ("pgri-konseling-karier", 3, timedelta(hours=4)),  # booked below
    ("pgri-konseling-karier", 2, timedelta(days=1)),
    ("pgri-konseling-karier", 7, timedelta(days=6)),
    ("unpam-konseling-online", 4, timedelta(hours=2)),
    ("ipdn-bk-praja", 7, timedelta(days=2)),  # supervision, day 2 of 3
    ("ipdn-bk-pegawai", 2, timedelta(days=1)),
    ("ipdn-konseling-online-praja", 3, timedelta(hours=5)),
    ("ipdn-terapi", 6, timedelta(days=4)),
    ("ipdn-terapi", 6, timedelta(days=5)),  # mid-way through the disposisi chain (demo_dispositions)
    ("ik-konseling-rujukan", 2, timedelta(days=1)),
    ("ik-konseling-inisiatif", 1, timedelta(hours=3)),
    # puspaga-konseling: demo_casefiles() walks its cases through uploads, consent and assessment
]

# What students and alumni filled in their profile (NIM, prodi, year of graduation).
DEMO_PROFILES = {
    "student": {"nim": "2302030011", "prodi": "Pendidikan Matematika"},
    "alumni": {"nim": "1901040021", "prodi": "Pendidikan Bahasa Inggris", "graduation_year": 2023},
}


def seed_users(password: str) -> list[tuple[str, str, bool]]:
    rows = []
    procedures()  # registers the roles procedures name
    for number, (role, name) in enumerate(DEMO_NAMES.items(), start=1):
        email = f"{role}@demo.test"
        user = find_user_by_email(email)
        created = user is None
        if created:
            create_user(email=email, name=name, roles=[role], password=password, phone=f"+62812345600{number:02d}",
                        **DEMO_PROFILES.get(role, {}))
        elif not user.has_role(role):
            user.set_roles(user.roles | {role})
        rows.append((email, role, created))
    db.session.flush()
    join_demo_units()
    return rows


def join_demo_units() -> None:
    """Each demo account (not the admin, who sees every unit) joins the units offering the
    procedures its role takes part in: the alumnus P2KLLK only, the client PUSPAGA only, the TU,
    heads and counselors every unit, since they demonstrate every procedure."""
    offering = enabled_codes()
    for code, procedure in sync_offerings().items():
        unit = offering.get(code)
        if unit is None:
            continue
        for role in involved_roles(procedure) - {"admin"}:
            user = find_user_by_email(f"{role}@demo.test")
            if user is not None:
                add_user_to_units(user, [unit.code])


# What the demo cases' fields say: written as the people of the sources would write them.
DEMO_TEXT = {
    "nim": "1901040021 / 2023", "prodi": "Pendidikan Bahasa Inggris", "phone": "+6281234560012",
    "question": "Saya lulus tahun lalu dan ingin beralih dari mengajar ke bidang penerjemahan. Bagaimana "
                "menyusun portofolio dan CV yang sesuai?",
    "place": "Ruang Konseling P2KLLK, Gedung Rektorat lantai 2",
    "report": "Layanan selesai sesuai kesepakatan; tindak lanjut dua minggu lagi.",
    "need": "Sulit berkonsentrasi menjelang ujian dan ingin berbicara dengan konselor.",
    "service_type": "Konseling individual", "external_party": "Psikolog RS Universitas",
    "external_result": "Konseling lanjutan tiga sesi; kondisi membaik.",
    "reason": "Nilai dua semester terakhir menurun dan mahasiswa sering tidak hadir.",
    "notes": "Mahasiswa bersedia mengikuti sesi lanjutan.",
    "level": "Praja Tingkat II (Madya Praja)", "ipdn-bk-pegawai:level": "Penata Muda Tk. I (III/b), Biro Umum", "registration": "Formulir pendaftaran diisi lengkap di Unit BK.",
    "prognosis": "Baik bila pendampingan rutin diikuti.", "plan": "Konseling individual mingguan selama satu bulan.",
    "supervision": "Praja mengikuti seluruh sesi; semangat belajar meningkat.",
    "instruction": "Mohon ditindaklanjuti sesuai prosedur.", "complaint": "Sering cemas dan sulit tidur.",
    "case_summary": "Gangguan kecemasan; disarankan terapi lanjutan.",
    "therapy_report": "Terapi berjalan lima sesi; gejala berkurang.",
    "committee": "Koordinator: Agus Prasetyo; divisi tracer study: Dewi Anggraini dan Rina Kartika.",
    "theme": "Mengenali minat dan bakat untuk karier setelah lulus",
    "speakers": "Dra. Endang Lestari, M.Psi.; HRD PT Kereta Api Indonesia (Persero)",
    "venue": "Aula Gedung Pascasarjana",
    "follow_up": "37 mahasiswa semester 5 dari lima program studi.",
    "assessment": "Orang tua mengeluhkan anak sulit diajak berkomunikasi sejak pindah sekolah.",
    "priorities": "Komunikasi orang tua dan anak.", "advice": "Jadwalkan waktu berbicara setiap hari.",
    "intervention": "Dua sesi konseling keluarga; komunikasi membaik.",
    "problem": "Kesulitan membagi waktu antara kuliah dan pekerjaan.",
    # IPDN: BK and therapy administration
    "reporting_unit": "Bagian Pengasuhan Praja", "biodata": "Praja Madya, 20 tahun, asal Kalimantan Barat.",
    "related_unit_name": "Bagian Pengasuhan Praja",
    "supervision_plan": "Amati kehadiran apel, kelas dan kegiatan asrama; laporkan setiap sore.",
    "progress": "Hadir apel pagi dan seluruh kelas; mulai bergabung dalam kegiatan asrama.",
    "review": "Perkembangan konsisten selama tiga hari; pendampingan dilanjutkan.",
    "leadership_report": "Praja menunjukkan perbaikan; disarankan pemantauan sebulan.",
    "appointment_place": "Klinik Psikiatri RS Universitas", "ipdn-terapi:external_party": "dr. Arif Wibowo, Sp.KJ",
    "accompany_note": "Praja didampingi sejak keberangkatan hingga selesai pemeriksaan.",
    "result_report": "Hasil pemeriksaan psikiater: kecemasan sedang; terapi lima sesi; kondisi membaik.",
}


def _demo_value(field: Field, when: datetime, users: dict[str, User], code: str = "", subject: User | None = None):
    if field.type == "user":
        return str(users[field.role].id)
    if field.type == "choice":
        return field.options[0]
    typed = {"datetime": (when + timedelta(days=2)).replace(tzinfo=None, second=0, microsecond=0),
             "date": (when + timedelta(days=2)).date(), "boolean": True, "number": 42,
             "url": "https://meet.google.com/abc-defg-hij", "email": "siti.aminah@demo.test"}.get(field.type)
    if typed is not None:
        return typed
    if field.key == "phone" and subject is not None and subject.phone:
        return subject.phone  # the person's own number, as in their profile
    return DEMO_TEXT.get(f"{code}:{field.key}") or DEMO_TEXT.get(field.key, field.label)


def seed_cases(now: datetime) -> int:
    """Open the demo cases and walk each to its step, with the right demo user acting."""
    if db.session.scalar(db.select(Case.id).limit(1)) is not None:
        return 0
    users = {row.role: row.user for row in db.session.scalars(
        db.select(UserRole).join(User).where(User.email.like("%@demo.test")))}
    by_code = procedures()
    units = enabled_codes()
    for code, done, ago in DEMO_CASES:
        procedure = by_code[code]
        opened = now - ago
        opener = next(users[r] for r in procedure.open_roles if r in users)
        subject = users.get(procedure.subject_role) if procedure.subject_role else None
        values = {f.key: _demo_value(f, opened - timedelta(days=1), users, code, subject) for f in procedure.fields}
        case = open_case(procedure, opener, values, subject=subject, now=opened, unit=units.get(code))
        moment = opened
        for step in procedure.steps:
            row = case.step_row(step.key)
            if done <= 0 or case.state != "open":
                break
            if row.state != "active":
                continue
            moment += timedelta(minutes=20) if step.duration and step.duration.unit != "days" else timedelta(hours=20)
            actor = next(u for u in [case.subject, case.assignee, *users.values()] if u and can_act(u, case, row))
            complete_step(case, step.key, actor, {f.key: _demo_value(f, moment, users, code) for f in step.inputs},
                          now=min(moment, now))
            done -= 1
    return len(DEMO_CASES)


def seed_institution():
    institution = current_institution()
    sync_offerings()  # the units exist before the accounts join them
    if not institution.city:
        institution.name, institution.unit = "Universitas PGRI Madiun", "Pusat Pengembangan Karier dan Layanan Konseling (P2KLLK)"
        institution.address = "Jl. Setia Budi No. 85, Madiun, Jawa Timur 63118"
        institution.city, institution.phone = "Madiun", "(0351) 462986"
        institution.email, institution.website = "p2kllk@unipma.ac.id", "p2kllk.unipma.ac.id"
    return institution


def seed_booking(now: datetime) -> None:
    """The demo counselor's week and one booked session."""
    from app.booking.models import Availability, Mode
    from app.booking.services import book, free_slots, profile_for

    counselor = find_user_by_email("counselor@demo.test")
    if db.session.scalar(db.select(Availability.id).where(Availability.counselor_id == counselor.id).limit(1)):
        return
    profile_for(counselor).min_notice_minutes = 120
    for weekday in range(5):
        online = weekday == 2
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(9), end_time=time(15),
                                    session_minutes=60, buffer_minutes=15,
                                    mode=Mode.ONLINE if online else Mode.IN_PERSON,
                                    room=None if online else "Ruang Konseling 1, Gedung P2KLLK",
                                    meeting_url="https://meet.google.com/abc-defg-hij" if online else None))
    db.session.flush()
    waiting = db.session.scalars(db.select(Case).where(Case.code == "pgri-konseling-karier", Case.state == "open",
                                                       Case.assignee_id == counselor.id).order_by(Case.id)).all()
    if len(waiting) >= 2:
        case = waiting[-1]
        slots = free_slots(counselor, now.date() + timedelta(days=1), 14, now)
        if slots:
            book(case, case.subject, slots[0].start, now=now)


def _at_nine(now: datetime) -> datetime:
    """09.00 of that day in the institution's time zone."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    local = now.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"]))
    return local.replace(hour=9, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def demo_workshop(now: datetime):
    """A workshop edition in progress: committee, surat tugas approved, meeting held with its
    speakers, checklist under way, registration open. Returns the Workshop (registrations are
    added by the registration part of the module), or None when one exists already."""
    from app.workshops import editions
    from app.workshops.models import Workshop

    if db.session.scalar(db.select(Workshop.id).limit(1)) is not None:
        return None
    head, staff = find_user_by_email("head@demo.test"), find_user_by_email("staff@demo.test")
    rector, committee = find_user_by_email("rectorate@demo.test"), find_user_by_email("committee@demo.test")
    if not all((head, staff, rector, committee)):
        return None
    morning = _at_nine(now)  # office times, not the minute the demo was loaded
    start = morning - timedelta(days=10)
    workshop = editions.create_workshop("Mengenali Minat dan Bakat untuk Karier", morning + timedelta(days=14), 250,
                                        morning + timedelta(days=12, hours=7), staff, now=start)
    editions.add_member(workshop, committee, "ketua", editions.DIVISIONS[0], staff, now=start)
    editions.propose_assignment(workshop, staff, now=start + timedelta(hours=3))
    editions.decide_assignment(workshop, "disetujui", "", rector, now=start + timedelta(hours=6))
    meeting = start + timedelta(days=2)
    editions.schedule_meeting(workshop, meeting, "Ruang Rapat P2KLLK, Gedung Rektorat lantai 2", committee,
                              now=start + timedelta(days=1))
    editions.add_speaker(workshop, "Dra. Endang Lestari, M.Psi.", "Universitas PGRI Madiun", "Mengenali diri",
                         "endang@demo.test", True)
    editions.add_speaker(workshop, "Bagus Santoso", "HRD PT Kereta Api Indonesia (Persero)",
                         "Dunia kerja setelah lulus", "+62812345600", False)
    editions.record_outcome(workshop, DEMO_TEXT["theme"], committee, now=meeting + timedelta(hours=1))
    for item in editions.workshop_checklist(workshop)[:3]:
        editions.assign_item(workshop, item.id, committee.id)
        editions.set_item_done(workshop, item.id, True, committee, now=meeting + timedelta(days=2))
    editions.open_registration(workshop)
    demo_students(workshop, now)
    return workshop


# Study programmes of the demo campus, and a few students of each (NIM: year, programme, number).
DEMO_PROGRAMS = [("PMAT", "Pendidikan Matematika", "FKIP"), ("PBI", "Pendidikan Bahasa Inggris", "FKIP"),
                 ("AKT", "Akuntansi", "Fakultas Ekonomi dan Bisnis")]
DEMO_STUDENTS = [
    ("2401011001", "Ayu Lestari", "PMAT", 5), ("2401011002", "Bima Prasetyo", "PMAT", 5),
    ("2501011003", "Citra Maharani", "PMAT", 3), ("2501011004", "Dimas Saputra", "PMAT", 3),
    ("2601011005", "Eka Putri Wulandari", "PMAT", 1), ("2401021001", "Fajar Nugroho", "PBI", 5),
    ("2501021002", "Gita Permatasari", "PBI", 3), ("2501021003", "Hendra Kurniawan", "PBI", 3),
    ("2301021004", "Intan Kusumawati", "PBI", 7), ("2401031001", "Joko Susilo", "AKT", 5),
    ("2501031002", "Kartika Sari", "AKT", 3), ("2501031003", "Lukman Hakim", "AKT", 3),
]


def demo_students(workshop, now: datetime) -> None:
    """The programmes (the demo kaprodi heads Pendidikan Matematika), their roster, and the
    registrations of semester 3 and 5 students that came in after the announcement."""
    from app.workshops.models import RosterStudent, StudyProgram
    from app.workshops.registrations import Applicant, register

    kaprodi = find_user_by_email("kaprodi@demo.test")
    programs = {code: StudyProgram(code=code, name=name, faculty=faculty,
                                   kaprodi_id=kaprodi.id if kaprodi and code == "PMAT" else None)
                for code, name, faculty in DEMO_PROGRAMS}
    db.session.add_all(programs.values())
    db.session.flush()
    for number, (nim, name, code, semester) in enumerate(DEMO_STUDENTS):
        email = f"{name.split()[0].lower()}.{nim[-4:]}@student.demo.test"
        db.session.add(RosterStudent(nim=nim, name=name, program_id=programs[code].id, semester=semester, email=email,
                                     whatsapp=f"+6285712340{number:03d}", imported_at=now - timedelta(days=5)))
    db.session.flush()
    for number, (nim, name, code, semester) in enumerate(s for s in DEMO_STUDENTS if s[3] in (3, 5)):
        if number % 4 != 3:  # not everyone has registered yet
            register(workshop, Applicant(nim=nim, name=name, program_code=code, semester=semester,
                                         email=f"{name.split()[0].lower()}.{nim[-4:]}@student.demo.test"),
                     now=now - timedelta(days=3, hours=number))


def seed_demo(password: str) -> list[tuple[str, str, bool]]:
    """Create what is missing; existing users keep their data. Returns (email, role, created)."""
    seed_institution()
    rows = seed_users(password)
    head = find_user_by_email("head@demo.test")
    if head.position is None:
        head.position, head.employee_number = "Kepala P2KLLK", "0711078501"
    seed_cases(utcnow())
    demo_casefiles(utcnow())
    seed_booking(utcnow())
    demo_workshop(utcnow())
    demo_referrals(utcnow())
    demo_dispositions(utcnow())
    demo_online(utcnow())
    db.session.flush()
    return rows


# -- referrals and the log book (app/referrals) -----------------------------------------------
def demo_referrals(now: datetime) -> None:
    """The demo advisor's advisees (the demo student, in the roster too, and two more); her
    referral, at the surat rujukan after its service went into the log book; an external party in
    the directory and a few earlier log book lines."""
    from app.referrals.logbook import LineValues
    from app.referrals.models import ExternalParty, LogbookEntry, Referral
    from app.referrals.screens import record_service
    from app.referrals.services import inform_student, refer_student
    from app.workshops.models import RosterStudent, StudyProgram

    advisor, staff = find_user_by_email("advisor@demo.test"), find_user_by_email("staff@demo.test")
    counselor, student = find_user_by_email("counselor@demo.test"), find_user_by_email("student@demo.test")
    program = db.session.scalar(db.select(StudyProgram).where(StudyProgram.code == "PMAT"))
    if (db.session.scalar(db.select(Referral.id).limit(1)) is not None or program is None
            or not all((advisor, staff, counselor, student))):
        return
    mine = db.session.scalar(db.select(RosterStudent).where(RosterStudent.nim == student.nim))
    if mine is None:
        mine = RosterStudent(nim=student.nim, name=student.name, program_id=program.id, semester=7,
                             email=student.email, whatsapp=student.phone, imported_at=now - timedelta(days=5))
        db.session.add(mine)
    others = list(db.session.scalars(db.select(RosterStudent).where(RosterStudent.program_id == program.id,
                                                                    RosterStudent.nim != student.nim)
                                     .order_by(RosterStudent.nim).limit(2)))
    for advisee in (mine, *others):
        advisee.advisor_id = advisor.id
    if others:
        others[-1].status = "cuti"
    db.session.flush()
    morning = _at_nine(now)
    referral = refer_student(advisor, mine.id, DEMO_TEXT["reason"], now=morning - timedelta(days=6))
    case = referral.case
    first = next(r for r in case.current_steps() if r.state == "active")
    complete_step(case, first.key, staff, {"counselor": str(counselor.id)}, now=morning - timedelta(days=5))
    inform_student(referral, staff, "Konseling akademik individual", now=morning - timedelta(days=5))
    given = morning - timedelta(days=3)
    for _n in range(2):  # the agreed time, then the service given at it
        row = next(r for r in case.current_steps() if r.state == "active")
        step = case.procedure.step(row.key)
        complete_step(case, row.key, counselor, {f.key: _demo_value(f, given - timedelta(days=2), {}, "")
                                                 for f in step.inputs if f.type != "user"}, now=given)
    record_service(case, counselor, LineValues(given, "Konseling individual", counselor.id, 50,
                                               "Perlu pemeriksaan psikolog klinis"),
                   {"needs_external": "ya"}, now=given + timedelta(hours=1))
    db.session.add(ExternalParty(name="Dra. Sari Wulandari, M.Psi., Psikolog", institution="RSUD dr. Soedono Madiun",
                                 address="Jl. Dr. Soetomo No. 59, Madiun", created_by_id=staff.id))
    for days, name, nim, kind, minutes, outcome in [
            (9, "Bima Prasetyo", "2401011002", "Konseling akademik", 45, "Rencana studi disusun ulang"),
            (12, "Gita Permatasari", "2501021002", "Konseling pribadi", 60, "Selesai; tidak perlu tindak lanjut"),
            (15, "Joko Susilo", "2401031001", "Asesmen minat", 90, "Hasil asesmen disampaikan")]:
        db.session.add(LogbookEntry(unit_id=case.unit_id, student_name=name, nim=nim, service_kind=kind,
                                    counselor_id=counselor.id, served_at=morning - timedelta(days=days),
                                    duration_minutes=minutes, outcome=outcome, status="terlaksana",
                                    created_by_id=staff.id, created_at=morning - timedelta(days=days)))


# -- dispositions (IPDN) -------------------------------------------------------------------
def demo_dispositions(now: datetime) -> None:
    """The older IPDN therapy case mid-chain (the newer one waits for the kepala unit's
    disposition): the kepala unit has given the disposition to the Kepala Biro III, who finds it in
    "Tugas saya" (then the rector, then the unit carries it out)."""
    from app.dispositions.models import Disposition
    from app.dispositions.services import give_disposition

    if db.session.scalar(db.select(Disposition.id).limit(1)) is not None:
        return
    case = db.session.scalar(db.select(Case).where(Case.code == "ipdn-terapi", Case.state == "open")
                             .order_by(Case.opened_at, Case.id).limit(1))
    row = case.step_row("disposisi_kepala") if case is not None else None
    if row is None or row.state != "active":
        return
    head, bureau = find_user_by_email("head@demo.test"), find_user_by_email("bureau_head@demo.test")
    give_disposition(case, head, bureau.id, ["diketahui", "dipertimbangkan"],
                     "Mohon arahan Bapak atas hasil pemeriksaan psikiater terlampir.",
                     (now + timedelta(days=2)).date(), now=now)


# -- online counseling (app/online) ---------------------------------------------------------
def demo_online(now: datetime) -> None:
    """UNPAM's e-konseling: the head's duty rota (the demo counselor on weekdays and on weekend
    evenings) and the demo student's request through the wizard's 6 steps, acknowledged, then in
    its follow-up (no steps; open until the counselor closes it with a report): answered by the
    counselor on duty (who took the case by answering) and replied to: one open conversation."""
    from app.online.acknowledge import acknowledge_due
    from app.online.intake import current_stage, start_intake, submit_stage
    from app.online.models import DutyShift, ThreadMessage
    from app.online.rota import add_shift
    from app.online.thread import post_message
    from app.org.models import Unit

    unit = db.session.scalar(db.select(Unit).where(Unit.code == "DKT"))
    head, counselor = find_user_by_email("head@demo.test"), find_user_by_email("counselor@demo.test")
    student = find_user_by_email("student@demo.test")
    if unit is None or db.session.scalar(db.select(DutyShift.id).where(DutyShift.unit_id == unit.id).limit(1)):
        return
    add_user_to_units(student, ["DKT"])
    for weekday in range(7):
        start, end = (time(8), time(16)) if weekday < 5 else (time(19), time(0))
        add_shift(head, unit.id, counselor.id, weekday, start, end)
    procedure = procedures()["unpam-konseling-online"]
    moment = now - timedelta(hours=1)
    case = start_intake(procedure, student, now=moment)  # continues the demo case of seed_cases
    answers = {"nim": student.nim or "2302030011", "prodi": student.prodi or "Psikologi",
               "phone": student.phone or "081234560009", "mode": "online", "area": "akademik",
               "problem": "Saya tertinggal dua mata kuliah dan mulai sulit tidur karena cemas menghadapi ujian."}
    while (stage := current_stage(case)) is not None:
        moment = max(moment, stage[0].active_at) + timedelta(minutes=3)
        submit_stage(case, student, {f.key: answers.get(f.key, "") for f in stage[1].inputs}, now=moment)
    acknowledge_due(moment + timedelta(minutes=1))
    if db.session.scalar(db.select(ThreadMessage.id).where(ThreadMessage.case_id == case.id).limit(1)) is None:
        post_message(case, counselor, "Halo Rina, terima kasih sudah bercerita. Mata kuliah mana yang paling "
                     "membuat cemas? Kita bisa bertemu lewat video bila perlu.", now=min(now, moment + timedelta(minutes=5)))
        post_message(case, student, "Statistika dan Kalkulus, Bu. Saya mau bertemu lewat video.",
                     now=min(now, moment + timedelta(minutes=9)))


@click.command("seed-demo")
@click.option("--password", default=None, help="Kata sandi akun demo (bawaan: DEMO_PASSWORD).")
@click.option("--if-empty", is_flag=True, help="Hanya bila belum ada pengguna sama sekali.")
def seed_demo_command(password, if_empty):
    """Load the demo institution, accounts and cases (safe to run again)."""
    password = password or current_app.config["DEMO_PASSWORD"]
    check_new_password(password)
    if if_empty and db.session.scalar(db.select(User.id).limit(1)) is not None:
        click.echo("Basis data sudah berisi pengguna; data demo tidak dimuat ulang.")
        return
    rows = seed_demo(password)
    db.session.commit()
    if any(created for _email, _role, created in rows):
        click.echo(_("Akun demo (kata sandi akun baru: %(password)s):", password=password))
    else:
        click.echo(_("Akun demo sudah ada; kata sandinya tidak diubah:"))
    for email, role, created in rows:
        click.echo(f"  {role:<12} {email}{'' if created else '  (sudah ada)'}")


# -- PUSPAGA case files -------------------------------------------------------------------------
PUSPAGA_SHEET = """## Identitas masalah
Keluhan utama yang disampaikan [panjang]
Sejak kapan masalah dirasakan
Upaya yang sudah dilakukan [panjang]
## Keluarga dan lingkungan
Susunan keluarga dan pengasuh utama [panjang]
Dukungan yang tersedia
## Kondisi klien
Kondisi emosi saat asesmen
Risiko keselamatan (ada / tidak ada, jelaskan) [panjang]"""


def _demo_file(kind: str) -> bytes:
    import io

    if kind == "pdf":
        from pypdf import PdfWriter

        writer, out = PdfWriter(), io.BytesIO()
        writer.add_blank_page(width=595, height=842)
        writer.write(out)
        return out.getvalue()
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, "JPEG")
    return out.getvalue()


def demo_casefiles(now: datetime) -> None:
    """PUSPAGA: the required documents, report categories and assessment sheet of the unit, a
    case in progress (documents in, consent given, assessment filled) and one whose consent was
    withdrawn."""
    from app.casefiles.assessments import submit_assessment
    from app.casefiles.consent import record_consent, withdraw_consent
    from app.casefiles.settings import save_sheet, set_categories, set_required_documents
    from app.casefiles.uploads import required_documents, store_upload
    from app.org.models import Unit

    unit = db.session.scalar(db.select(Unit).where(Unit.code == "PUSPAGA"))
    if unit is None or required_documents(unit.id):
        return
    set_required_documents(unit, "KTP orang tua/wali\nKartu keluarga\n(opsional) Surat rujukan sekolah/lembaga")
    set_categories(unit, "service", "Konseling individu\nKonseling keluarga\nKonsultasi pengasuhan")
    set_categories(unit, "channel", "Datang langsung\nTelepon/WhatsApp\nRujukan sekolah/lembaga")
    set_categories(unit, "problem", "Pengasuhan anak\nPerilaku anak\nRelasi suami-istri\nKekerasan dalam rumah tangga")
    save_sheet(unit, "Lembar Asesmen PUSPAGA", PUSPAGA_SHEET, None)
    procedure = procedures()["puspaga-konseling"]
    staff, counselor = find_user_by_email("staff@demo.test"), find_user_by_email("counselor@demo.test")
    client = find_user_by_email("client@demo.test")
    if not (staff and counselor and client):
        return
    docs = required_documents(unit.id)
    for number, (ago, withdraw) in enumerate([(timedelta(days=2), False), (timedelta(days=5), True)]):
        opened = now - ago
        case = open_case(procedure, staff, {"client_kind": "orang tua", "phone": client.phone or "0812 0000 1111"},
                         subject=client, now=opened, unit=unit)
        first = procedure.steps[0].key
        complete_step(case, first, staff, {
            "appointment_at": (opened + timedelta(hours=2)).replace(tzinfo=None, second=0, microsecond=0),
            "service": ["Konseling keluarga", "Konseling individu"][number], "channel": "Datang langsung",
            "client_sex": "perempuan", "client_age": [38, 15][number]}, now=opened + timedelta(minutes=20))
        for doc, kind in zip(docs[:2], ("pdf", "jpeg")):
            store_upload(case, staff, f"{doc.label.split('/')[0].lower().replace(' ', '-')}.{'jpg' if kind == 'jpeg' else kind}",
                         _demo_file(kind), doc.id, now=opened + timedelta(minutes=25))
        second = procedure.steps[1].key
        complete_step(case, second, counselor, {
            "problem_category": ["Perilaku anak", "Pengasuhan anak"][number],
            "problem": DEMO_TEXT["assessment"], "service_plan": "Asesmen lalu konseling keluarga dua sesi."},
            now=opened + timedelta(hours=1))
        record_consent(case, counselor, True, client.name, "", "typed", typed=client.name,
                       now=opened + timedelta(hours=1, minutes=15))
        if withdraw:
            withdraw_consent(case, client, "Keluarga memilih layanan di dekat tempat tinggal baru.",
                             now=opened + timedelta(hours=2))
            continue
        submit_assessment(case, counselor, {"q1": DEMO_TEXT["assessment"], "q2": "Sejak awal semester",
                                            "q5": "Ibu dan nenek", "q7": "Cemas tetapi kooperatif"},
                          summary="Komunikasi orang tua dan anak terputus sejak pindah sekolah.",
                          now=opened + timedelta(hours=3))
