"""Admin powers are separated and audited: who changed which account, role, template or setting,
when; nobody edits the log; admins cannot raise their own access; heads hear of sensitive grants."""
from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.auth.audit import AuditEvent, record_audit
from app.auth.models import User, find_user_by_email
from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus
from app.notifications.services import deliver_due


def _events(action=None) -> list[AuditEvent]:
    db.session.expire_all()
    query = db.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def test_user_changes_are_recorded_with_actor_address_and_no_password(login_as, make_user):
    admin, me = login_as("admin")
    admin.submit("/admin/users/new", {"name": "Dewi", "email": "dewi@test.id", "roles": ["student"], "active": "y",
                                      "password": "rahasia-awal-1"}, environ_base={"REMOTE_ADDR": "192.0.2.5"})
    dewi = find_user_by_email("dewi@test.id")
    admin.submit(f"/admin/users/{dewi.id}", {"name": "Dewi A.", "email": "dewi@test.id", "roles": ["alumni"],
                                             "active": "y", "password": "sandi-baru-22"})
    admin.submit(f"/admin/users/{dewi.id}/active", {"active": "0"})
    admin.submit(f"/admin/users/{dewi.id}/active", {"active": "1"})
    events = _events()
    assert [e.action for e in events] == [
        "user.create", "user.role_grant", "user.update", "user.role_grant", "user.role_revoke",
        "user.password_set", "user.deactivate", "user.activate"]
    assert {e.actor_id for e in events} == {me.id}
    assert {e.target_type for e in events} == {"users"} and {e.target_id for e in events} == {str(dewi.id)}
    assert events[0].remote_addr == "192.0.2.5"
    assert events[2].details == {"fields": ["name"]}
    assert events[3].details == {"roles": ["alumni"]} and events[4].details == {"roles": ["student"]}
    dump = repr([(e.summary, e.details) for e in events])
    assert "rahasia-awal-1" not in dump and "sandi-baru-22" not in dump and "$argon2" not in dump
    assert dewi.must_change_password


def test_details_never_keep_secrets(app):
    event = record_audit("user.update", ("users", 1), summary="x",
                         details={"password": "p", "new_token": "t", "fields": ["name"], "nested": {"secret": 1}})
    assert event.details == {"fields": ["name"], "nested": {}}


def test_the_log_is_append_only(app, make_user):
    event = record_audit("user.update", ("users", 1), summary="asli")
    db.session.commit()
    event.summary = "dipalsukan"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    assert [e.summary for e in _events()] == ["asli"]


def test_admin_cannot_change_own_roles_state_or_password_here(login_as):
    admin, me = login_as("admin")
    grab = admin.submit(f"/admin/users/{me.id}", {"name": me.name, "email": me.email, "active": "y",
                                                  "roles": ["admin", "head", "counselor"]})
    assert grab.status_code == 422 and "tidak dapat mengubah peran Anda sendiri" in grab.get_data(as_text=True)
    off = admin.submit(f"/admin/users/{me.id}", {"name": me.name, "email": me.email, "roles": ["admin"]})
    assert off.status_code == 422 and "tidak dapat menonaktifkan akun Anda sendiri" in off.get_data(as_text=True)
    db.session.expire_all()
    own_password = admin.submit(f"/admin/users/{me.id}", {"name": me.name, "email": me.email, "active": "y",
                                                          "roles": ["admin"], "password": "kukenal-sendiri"})
    assert own_password.status_code == 422 and "/account/password" not in own_password.headers.get("Location", "")
    assert "Ganti kata sandi Anda sendiri" in own_password.get_data(as_text=True)
    me = db.session.get(User, me.id)
    assert me.roles == {"admin"} and me.active and not me.must_change_password and _events() == []
    rename = admin.submit(f"/admin/users/{me.id}", {"name": "Admin Baru", "email": me.email, "active": "y",
                                                    "roles": ["admin"]})
    assert rename.status_code == 302  # own details stay editable


def test_sensitive_grant_is_announced_to_every_active_head(login_as, make_user, smtp_server):
    admin, me = login_as("admin", name="Admin Satu")
    make_user("head", email="kepala@test.id")
    make_user("head", email="ketua@test.id")
    make_user("head", email="pensiun@test.id", active=False)
    target = make_user("student", name="Calon Konselor")
    fields = {"name": target.name, "email": target.email, "active": "y"}
    admin.submit(f"/admin/users/{target.id}", {**fields, "roles": ["student", "alumni"]})
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0  # not sensitive: no announcement
    admin.submit(f"/admin/users/{target.id}", {**fields, "roles": ["student", "alumni", "counselor"]})
    deliver_due()
    assert sorted(m["To"] for m in smtp_server.messages) == ["kepala@test.id", "ketua@test.id"]
    body = smtp_server.messages[0].get_content()
    assert "Admin Satu" in body and "Calon Konselor" in body and "Konselor / psikolog" in body
    [grant] = _events("user.role_grant")[-1:]
    assert grant.details == {"roles": ["counselor"]}


def test_created_with_a_sensitive_role_is_announced_too(login_as, make_user):
    admin, _ = login_as("admin")
    make_user("head", email="kepala@test.id")
    admin.submit("/admin/users/new", {"name": "Psikolog", "email": "psi@test.id", "roles": ["counselor"], "active": "y"})
    assert [m.recipient for m in db.session.scalars(db.select(OutboxMessage))] == ["kepala@test.id"]


def test_other_domains_record_their_administrative_actions(login_as):
    admin, _ = login_as("admin")
    assert admin.submit("/admin/letters/surat_tugas", {"body": "<p>{{ person }}</p>", "number_format": "{seq:03d}/ST/{year}",
                                                       "action": "save"}).status_code == 302
    assert admin.submit("/admin/letterhead", {"name": "Universitas Contoh", "unit": "Pusat Karier",
                                              "unit_code": "PK"}).status_code == 302
    assert admin.submit("/admin/calendar", {"day": "2031-01-02", "open": "closed", "reason": "Dies natalis"}).status_code == 302
    from app.sop.models import Closure

    closure = db.session.scalar(db.select(Closure))
    assert admin.submit(f"/admin/calendar/{closure.id}/delete").status_code == 302
    message = OutboxMessage(key="k", channel=Channel.EMAIL, recipient="a@test.id", body="x", status=OutboxStatus.FAILED)
    db.session.add(message)
    db.session.commit()
    assert admin.submit(f"/admin/outbox/{message.id}/retry").status_code == 302
    events = _events()
    assert [e.action for e in events] == ["template.update", "letterhead.update", "calendar.closure_add",
                                          "calendar.closure_delete", "outbox.retry"]
    assert "2031-01-02" in events[2].summary and "2031-01-02" in events[3].summary
    assert events[0].target_id == "surat_tugas"


def test_cli_user_creation_is_recorded_as_the_system(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "cli@test.id", "--name", "Dari CLI",
                                                "--role", "admin"])
    assert result.exit_code == 0, result.output
    event, grant = _events()
    assert event.action == "user.create" and event.actor_id is None and "Dari CLI" in event.summary
    assert grant.action == "user.role_grant" and grant.actor_id is None
    assert find_user_by_email("cli@test.id").must_change_password  # the printed password is known to others


def test_cli_creation_with_a_role_that_reads_content_is_announced_to_the_heads(app, make_user):
    from app.notifications.models import OutboxMessage

    head = make_user("head", email="kepala@test.id")
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "baru@test.id", "--name", "Konselor Baru",
                                                "--role", "counselor"])
    assert result.exit_code == 0, result.output
    assert [m.recipient for m in db.session.scalars(sa.select(OutboxMessage))] == [head.email]


def _seed(make_user):
    actor = make_user("admin", name="Admin Pencatat")
    for n in range(3):
        record_audit("user.update", ("users", n), summary=f"Data akun Orang {n} diubah.", actor=actor)
    record_audit("template.update", ("letter_template", "surat_tugas"), summary="=HYPERLINK(\"http://x\")")
    db.session.commit()


@pytest.mark.parametrize("role", ["admin", "head"])
def test_audit_screen_reads_filters_and_pages(login_as, make_user, role):
    _seed(make_user)
    client, _ = login_as(role)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Data akun Orang 2 diubah." in page and "Admin Pencatat" in page and "sistem" in page
    only = client.get("/admin/audit?action=template.update").get_data(as_text=True)
    assert "HYPERLINK" in only and "Orang 1" not in only
    fragment = client.get("/admin/audit?q=orang%201", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.strip().startswith('<div id="audit-results"') and "Orang 1" in body and "Orang 2" not in body
    from zoneinfo import ZoneInfo

    from app.database import utcnow

    today = utcnow().astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()  # the institution's day
    assert "Orang 0" in client.get(f"/admin/audit?from={today}&to={today}").get_data(as_text=True)
    assert "Orang 0" not in client.get("/admin/audit?from=2001-01-01&to=2001-01-02").get_data(as_text=True)


@pytest.mark.parametrize("query", ["from=kemarin", "to=9999-12-31", "from=0001-01-01", "to=2026-02-30"])
def test_bad_dates_get_a_clear_message(login_as, query):
    client, _ = login_as("head")
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True)
    assert client.get(f"/admin/audit.xlsx?{query}").status_code == 422


def test_audit_pages_beyond_range_are_empty_not_errors(login_as):
    client, _ = login_as("admin")
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200


def test_audit_export_is_private_and_keeps_text_as_text(login_as, make_user):
    _seed(make_user)
    client, _ = login_as("head")
    response = client.get("/admin/audit.xlsx?action=user.update")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    rows = list(load_workbook(BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Waktu", "Pelaku", "E-mail pelaku", "Tindakan") and len(rows) == 4
    assert {r[6] for r in rows[1:]} == {f"Data akun Orang {n} diubah." for n in range(3)}
    formula = client.get("/admin/audit.xlsx?action=template.update")
    sheet = load_workbook(BytesIO(formula.data)).active
    assert sheet.cell(row=2, column=7).data_type == "s" and sheet.cell(row=2, column=2).value == "sistem"


def test_a_password_or_address_set_by_an_admin_is_told_to_the_owner_and_for_counselors_the_heads(app, make_user):
    """Setting a counselor's password would let an admin read as that counselor: it is announced."""
    from app.admin.services import admin_update_user
    from app.notifications.models import OutboxMessage

    admin, head = make_user("admin"), make_user("head", email="kepala@test.id")
    counselor = make_user("counselor", email="konselor@test.id")
    student = make_user("student", email="mhs@test.id")
    admin_update_user(admin, counselor, roles=["counselor"], active=True, password="baru-sekali-123",
                      email=counselor.email, name=counselor.name)
    admin_update_user(admin, student, roles=["student"], active=True, email="mhs-baru@test.id", name=student.name)
    db.session.commit()
    recipients = sorted(m.recipient for m in db.session.scalars(sa.select(OutboxMessage)))
    assert recipients == ["kepala@test.id", "konselor@test.id", "mhs@test.id"]  # the student's old address


def test_a_head_reads_what_the_people_of_their_own_units_did(app, make_user):
    """The PUSPAGA desk registering a client is in the log for PUSPAGA's head and the quality office
    (admin), not for the head of another institution's unit, on the page or in the spreadsheet."""
    desk = make_user("staff", units=["PUSPAGA"])
    client = make_user("client", name="Siti Klien Puspaga", units=["PUSPAGA"])
    with app.test_request_context():
        record_audit("user.create", client, actor=desk, summary=f"{desk.name} mendaftarkan {client.name}.")
    db.session.commit()
    readers = {"PUSPAGA": make_user("head", units=["PUSPAGA"]), "P2KLLK": make_user("head", units=["P2KLLK"]),
               "admin": make_user("admin", units=["P2KLLK"])}
    for who, reader in readers.items():
        web = app.test_client()
        web.submit("/login", {"email": reader.email, "password": "rahasia123"})
        page = web.get("/admin/audit?q=Siti").get_data(as_text=True)
        sheet = load_workbook(BytesIO(web.get("/admin/audit.xlsx?q=Siti").data)).active
        found = "Siti Klien Puspaga" in page, sheet.max_row > 1
        assert found == ((True, True) if who != "P2KLLK" else (False, False)), who
