"""Admin user management: list, search (full page and htmx fragment), create, edit, deactivate."""
from __future__ import annotations

from app.auth.models import User, find_user_by_email
from app.extensions import db


def test_search_returns_fragment_for_htmx_and_page_otherwise(login_as, make_user):
    client, _ = login_as("admin")
    make_user("counselor", name="Endang Lestari")
    make_user("student", name="Rina Kartika")
    page = client.get("/admin/users?q=lest")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Endang Lestari" in html and "Rina Kartika" not in html
    fragment = client.get("/admin/users?q=lest", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.strip().startswith('<div id="user-results"')
    assert "Endang Lestari" in body and "HX-Request" in fragment.headers["Vary"]


def test_filter_by_role(login_as, make_user):
    client, _ = login_as("admin")
    make_user("counselor", name="Konselor Satu")
    make_user("student", name="Mahasiswa Satu")
    html = client.get("/admin/users?role=counselor").get_data(as_text=True)
    assert "Konselor Satu" in html and "Mahasiswa Satu" not in html


def test_create_user_with_several_roles(login_as):
    client, _ = login_as("admin")
    response = client.submit("/admin/users/new", {
        "name": "Dewi Anggraini", "email": "Dewi@Kampus.ac.id", "phone": "+62 812 3456 7890",
        "roles": ["advisor", "counselor"], "active": "y", "password": "kuatsekali1"})
    assert response.status_code == 302
    user = find_user_by_email("dewi@kampus.ac.id")
    assert user.roles == {"advisor", "counselor"} and user.active


def test_create_user_without_password_shows_generated_one(login_as):
    client, _ = login_as("admin")
    response = client.submit("/admin/users/new", {"name": "Tanpa Sandi", "email": "ts@test.id",
                                                  "roles": ["student"], "active": "y"}, follow_redirects=True)
    assert "Kata sandi awal untuk ts@test.id" in response.get_data(as_text=True)


def test_duplicate_email_is_refused_and_nothing_changes(login_as, make_user):
    client, _ = login_as("admin")
    make_user("student", email="ada@test.id")
    before = db.session.scalar(db.select(db.func.count(User.id)))
    response = client.submit("/admin/users/new", {"name": "Lain", "email": "ADA@test.id", "roles": ["student"]})
    assert response.status_code == 422
    assert "E-mail ada@test.id sudah terdaftar." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id))) == before


def test_edit_user_changes_roles_and_keeps_password_when_blank(login_as, make_user, app):
    client, _ = login_as("admin")
    user = make_user("student", name="Budi")
    form = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="student" checked' in form or 'checked value="student"' in form or "checked" in form
    response = client.submit(f"/admin/users/{user.id}", {"name": "Budi Santoso", "email": user.email,
                                                          "roles": ["alumni"], "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.name == "Budi Santoso" and user.roles == {"alumni"}
    other = app.test_client()
    assert other.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302


def test_deactivate_user_blocks_login(login_as, make_user, app):
    client, _ = login_as("admin")
    user = make_user("student")
    assert client.submit(f"/admin/users/{user.id}/active", {"active": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    assert app.test_client().submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 422


def test_admin_cannot_deactivate_self(login_as):
    client, me = login_as("admin")
    response = client.submit(f"/admin/users/{me.id}/active", {"active": "0"}, follow_redirects=True)
    assert "tidak dapat menonaktifkan akun Anda sendiri" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, me.id).active


def test_unknown_user_is_404(login_as):
    client, _ = login_as("admin")
    assert client.get("/admin/users/99999").status_code == 404
    assert client.get("/admin/users/99999", headers={"HX-Request": "true"}).status_code == 404


def test_deactivating_asks_first_in_the_page(login_as, make_user):
    """One tap opens the confirmation (no script needed); only its button deactivates."""
    client, _admin = login_as("admin")
    make_user("student", name="Rina Kartika")
    page = client.get("/admin/users").get_data(as_text=True)
    confirms = page.split('<details class="confirm"><summary>Nonaktifkan…')[1:]
    rina = next(c.split("</details>", 1)[0] for c in confirms if "Rina Kartika tidak dapat masuk lagi" in c)
    assert "Ya, nonaktifkan" in rina


def test_an_address_whose_confirmation_never_came_is_confirmed_by_the_admin(login_as, app):
    """A self-registered account waits for its link ("e-mail belum dikonfirmasi" in the list, no
    login); the admin who made sure of the address confirms it on the account's form (audited),
    with a temporary password given in person: the one chosen when registering may be anyone's
    (someone who registered another's address first), so it no longer signs in."""
    from app.auth.accounts import register_account
    from app.auth.audit import AuditEvent

    client, _ = login_as("admin")
    register_account("sinta@kampus.ac.id", "Sinta Wulandari", "student", "pilihan-sinta-1")
    db.session.commit()
    user = find_user_by_email("sinta@kampus.ac.id")
    person = app.test_client()
    assert person.submit("/login", {"email": user.email, "password": "pilihan-sinta-1"}).status_code == 403
    listed = client.get("/admin/users?q=Sinta").get_data(as_text=True)
    assert "e-mail belum dikonfirmasi" in listed
    form = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'name="confirm_email"' in form
    fields = {"name": user.name, "email": user.email, "roles": ["student"], "active": "y"}
    assert client.submit(f"/admin/users/{user.id}", fields).status_code == 302  # unticked: unchanged
    assert person.submit("/login", {"email": user.email, "password": "pilihan-sinta-1"}).status_code == 403
    refused = client.submit(f"/admin/users/{user.id}", {**fields, "confirm_email": "y"})
    assert refused.status_code == 422 and "kata sandi sementara" in refused.get_data(as_text=True)
    assert not find_user_by_email("sinta@kampus.ac.id").email_confirmed
    confirmed = {**fields, "confirm_email": "y", "password": "sementara-123"}
    assert client.submit(f"/admin/users/{user.id}", confirmed).status_code == 302
    assert person.submit("/login", {"email": user.email, "password": "pilihan-sinta-1"}).status_code == 422
    signed_in = person.submit("/login", {"email": user.email, "password": "sementara-123"})
    assert signed_in.status_code == 302 and "/account/password" in signed_in.headers["Location"]  # theirs to choose
    assert db.session.scalar(db.select(AuditEvent.actor_id).where(AuditEvent.action == "user.confirm_email"))
    assert 'name="confirm_email"' not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
