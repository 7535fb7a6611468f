"""The authorization matrix: every route × every role (and anonymous), allow or deny.

Each route of the app must have a row here; a new route without a row fails the test.
A row: (endpoint, method) -> (path builder, roles allowed). Builders get `world`, the records
made for the walk (for now a target user), so that ids in URLs are real.
"""
from __future__ import annotations

import pytest

from app.auth.roles import BUILTIN_ROLES

ANON = "anonymous"
ROLES = tuple(BUILTIN_ROLES)
SIGNED_IN = frozenset(ROLES)
EVERYONE = SIGNED_IN | {ANON}
ADMIN = frozenset({"admin"})

MATRIX = {
    ("main.index", "GET"): (lambda w: "/", SIGNED_IN),
    ("main.healthz", "GET"): (lambda w: "/healthz", EVERYONE),
    ("main.set_language", "POST"): (lambda w: "/language", EVERYONE),
    ("auth.login", "GET"): (lambda w: "/login", EVERYONE),
    ("auth.login", "POST"): (lambda w: "/login", EVERYONE),
    ("auth.logout", "POST"): (lambda w: "/logout", SIGNED_IN),
    ("admin.list_users", "GET"): (lambda w: "/admin/users", ADMIN),
    ("admin.new_user", "GET"): (lambda w: "/admin/users/new", ADMIN),
    ("admin.new_user", "POST"): (lambda w: "/admin/users/new", ADMIN),
    ("admin.edit_user", "GET"): (lambda w: f"/admin/users/{w['user'].id}", ADMIN),
    ("admin.edit_user", "POST"): (lambda w: f"/admin/users/{w['user'].id}", ADMIN),
    ("admin.toggle_user", "POST"): (lambda w: f"/admin/users/{w['user'].id}/active", ADMIN),
}

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app):
    routes = app_routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "routes missing from the authorization matrix"
    assert sorted(MATRIX.keys() - routes) == [], "rows for routes that no longer exist"


def _verdict(response) -> str:
    if response.status_code == 403:
        return "deny"
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return "login"
    return "allow"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_route_allows_exactly_its_roles(app, make_user, route):
    build, allowed = MATRIX[route]
    world = {"user": make_user("student", name="Sasaran")}
    wrong = []
    for who in (ANON, *ROLES):
        client = app.test_client()
        if who != ANON:
            user = make_user(who)
            assert client.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
        path = build(world)
        response = client.get(path) if route[1] == "GET" else client.submit(path, {})
        verdict = _verdict(response)
        expected = "allow" if who in allowed else ("login" if who == ANON else "deny")
        if verdict != expected:
            wrong.append(f"{who}: expected {expected}, got {verdict} ({response.status_code})")
    assert wrong == []
