"""Keyset paging: the case list and the outbox walk every row exactly once, forward by `?after=`
and back by `?before=`, with ties on the time broken by id; `?page=` still works; a cursor that is
garbage is the first page, never an error."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Channel
from app.notifications.services import enqueue
from app.sop.models import Case
from app.sop.registry import get_procedure
from app.sop.routes import PAGE_SIZE
from app.sop.services import open_case

KARIER = {"nim": "1", "prodi": "P", "phone": "0812", "mode": "online", "question": "Q"}
START = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)


def _ids(html: str, pattern: str) -> list[int]:
    return [int(i) for i in re.findall(pattern, html)]


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def walk(client, url: str, pattern: str) -> tuple[list[list[int]], list[str]]:
    pages, urls = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        pages.append(_ids(html, pattern))
        urls.append(url)
        url = _link(html, "next")
    return pages, urls


def test_case_list_walks_every_case_once_forward_and_back(app, login_as, make_user):
    client, staff = login_as("staff", "head")
    alumnus = make_user("alumni")
    for i in range(2 * PAGE_SIZE + 5):  # pairs opened at the same instant: ties broken by id
        open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=START + timedelta(hours=i // 2))
    db.session.commit()
    expected = list(db.session.scalars(sa.select(Case.id).order_by(Case.opened_at.desc(), Case.id.desc())))
    pages, urls = walk(client, "/cases?state=all", r'<td[^>]*><a href="/cases/(\d+)">#')
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 5]
    assert sum(pages, []) == expected
    assert "after=" in urls[1] and "state=all" in urls[1]
    last = client.get(urls[2]).get_data(as_text=True)
    back = client.get(_link(last, "prev")).get_data(as_text=True)
    assert _ids(back, r'<td[^>]*><a href="/cases/(\d+)">#') == pages[1]
    first = client.get(_link(back, "prev")).get_data(as_text=True)
    assert _ids(first, r'<td[^>]*><a href="/cases/(\d+)">#') == pages[0] and _link(first, "prev") is None
    numbered = client.get("/cases?state=all&page=2").get_data(as_text=True)
    assert _ids(numbered, r'<td[^>]*><a href="/cases/(\d+)">#') == pages[1]
    for garbage in ("x", "1.", "99999999999999999999.1", "-5.-5", "1.99999999999999999999"):
        response = client.get(f"/cases?state=all&after={garbage}")
        assert response.status_code == 200
        assert _ids(response.get_data(as_text=True), r'<td[^>]*><a href="/cases/(\d+)">#') == pages[0]


def test_case_list_pages_keep_to_what_the_user_may_see(app, login_as, make_user):
    client, staff = login_as("staff")
    other = make_user("alumni")
    for i in range(PAGE_SIZE + 3):
        open_case(get_procedure("pgri-konseling-karier"), other, dict(KARIER), now=START + timedelta(hours=i))
    db.session.commit()
    hidden = make_user("counselor")
    seen, _urls = walk(client, "/cases", r'<td[^>]*><a href="/cases/(\d+)">#')
    assert len(sum(seen, [])) == PAGE_SIZE + 3  # staff act on every case's first step
    counselor_client = app.test_client()
    counselor_client.submit("/login", {"email": hidden.email, "password": "rahasia123"})
    none, _urls = walk(counselor_client, "/cases", r'<td[^>]*><a href="/cases/(\d+)">#')
    assert sum(none, []) == []


def test_outbox_pages_by_cursor(app, login_as):
    client, _admin = login_as("admin")
    for i in range(120):
        enqueue(Channel.EMAIL, f"u{i}@test.id", "isi", f"k{i}", "subjek", now=START + timedelta(minutes=i // 3))
    db.session.commit()
    pages, urls = walk(client, "/admin/outbox", r"<tr>\s*<td[^>]*>(\d+)</td>")
    assert [len(p) for p in pages] == [50, 50, 20]
    assert len(set(sum(pages, []))) == 120
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "menunggu dikirim: 120" in html and "gagal (berhenti mencoba): 0" in html


def test_case_list_gathers_every_way_of_seeing_a_case_once(app, login_as, make_user):
    """The list reads each way of seeing a case on its own (subject, opener, team member, head,
    acted on, may act on now) and shows the newest of them together: for people holding different
    roles, every page walked is exactly the cases can_view lets them see, each once (cases seen
    several ways at a time), in order, open only or all; team rows of people who no longer hold
    the role they served in show nothing."""
    import random

    from app.sop.access import join_team, visible_cases_filter
    from app.sop.models import CaseState
    from app.sop.services import stop_case

    rng = random.Random(15)
    people = [login_as(*roles) for roles in (("alumni",), ("counselor",), ("counselor",), ("staff",),
                                             ("head",), ("admin",))]
    moved = make_user("counselor", units=["PUSPAGA"])  # on teams of career cases, of another unit now
    web = app.test_client()
    web.submit("/login", {"email": moved.email, "password": "rahasia123"})
    people.append((web, moved))
    users = [user for _client, user in people] + [make_user("alumni") for _ in range(2)]
    opener = make_user("staff")
    karier = get_procedure("pgri-konseling-karier")
    for i in range(3 * PAGE_SIZE):
        case = open_case(karier, opener, dict(KARIER), subject=users[-1], now=START + timedelta(hours=i // 3))
        case.subject_id, case.opened_by_id = rng.choice(users).id, rng.choice([opener, *users]).id  # ties on the
        if rng.random() < 0.4:  # time are broken by id
            case.assignee_id = rng.choice(users).id
        if rng.random() < 0.3:  # of people holding the role, and of others (it was taken from them),
            others = [u for u in users if u.id != case.subject_id]  # never its person served (refused)
            join_team(case, rng.choice(others), "counselor", opener)
        if rng.random() < 0.3:
            case.steps[0].done_by_id = rng.choice(users).id
        if rng.random() < 0.3:
            stop_case(case)
    db.session.commit()
    cases = db.session.scalars(sa.select(Case).order_by(Case.opened_at.desc(), Case.id.desc())).all()
    for client, user in people:
        for state in ("open", "all"):
            plain = sa.select(Case.id).where(visible_cases_filter(user)).order_by(Case.opened_at.desc(), Case.id.desc())
            if state == "open":
                plain = plain.where(Case.state == CaseState.OPEN)
            expected = [c.id for c in cases if c.can_view(user) and (state == "all" or c.state == CaseState.OPEN)]
            assert list(db.session.scalars(plain)) == expected, (user.roles, state)  # the rule, in SQL
            pages, urls = walk(client, f"/cases?state={state}", r'<td[^>]*><a href="/cases/(\d+)">#')
            assert sum(pages, []) == expected, (user.roles, state)
            if len(pages) > 1:  # and back from the last page
                back = client.get(_link(client.get(urls[-1]).get_data(as_text=True), "prev")).get_data(as_text=True)
                assert _ids(back, r'<td[^>]*><a href="/cases/(\d+)">#') == pages[-2]
    assert any(len(walk(c, "/cases?state=all", r'/cases/(\d+)">#')[0]) > 1 for c, _u in people)  # pages were walked


def test_task_lists_gather_every_way_of_acting_on_a_step(app, make_user):
    """"Tugas saya" reads the steps waiting for a person as the case's subject, as its assignee
    and by their roles each on its own: the first steps it lists, soonest due first, are exactly
    those can_act lets them act on, for people of every kind (an assignee who lost the role they
    serve in has nothing waiting)."""
    import random

    from app.sop.access import can_act, join_team, keep_open_tasks
    from app.sop.models import StepState
    from app.sop.services import my_tasks, skip_to, stop_case

    rng = random.Random(16)
    users = [make_user(*roles) for roles in (("alumni",), ("alumni",), ("counselor",), ("staff",), ("head",),
                                             ("admin",), ("staff", "counselor"), ("staff", "head"))]
    opener, client = make_user("staff"), make_user("client")
    karier, puspaga = get_procedure("pgri-konseling-karier"), get_procedure("puspaga-konseling")
    for i in range(90):  # career cases (the assignee acts), then PUSPAGA cases (any counselor until one serves)
        if i < 60:
            case = open_case(karier, opener, dict(KARIER), subject=users[0], now=START + timedelta(hours=i))
            case.subject_id = rng.choice(users[:2]).id
        else:
            case = open_case(puspaga, opener, {"client_kind": "orang tua", "phone": "0812"}, subject=client,
                             now=START + timedelta(hours=i))
        case.assignee_id = rng.choice([None, users[0].id, users[2].id, users[6].id])
        # on the team, in a role they may (not) hold; never the person served (the engine refuses it)
        joins = case.assignee_id and case.assignee_id != case.subject_id and rng.random() < 0.8
        before = rng.random() < 0.5  # before or after the case comes as far as it does
        if joins and before:
            join_team(case, db.session.get(type(opener), case.assignee_id), "counselor", opener)
        target = case.steps[rng.randrange(len(case.steps))]  # the case has come this far
        if target.state != StepState.ACTIVE:
            skip_to(case, target.key, now=START + timedelta(hours=i))
        if joins and not before:
            join_team(case, db.session.get(type(opener), case.assignee_id), "counselor", opener)
        target.due_at = rng.choice([None, START + timedelta(hours=rng.randrange(100))])  # due times at random,
        target.active_at = START + timedelta(hours=rng.randrange(3))  # kept as the engine keeps a new schedule
        keep_open_tasks(case, target)
        if rng.random() < 0.2:
            stop_case(case)
    db.session.commit()
    cases, waited = db.session.scalars(sa.select(Case)).all(), {}
    for user in users:
        waiting = sorted((step for case in cases for step in case.steps if can_act(user, case, step)),
                         key=lambda s: (s.due_at is None, s.due_at or START, s.active_at, s.id))
        expected = [step.id for step in waiting]  # the rule, in Python
        for limit in (*range(1, len(expected) + 2), 200):  # every cut (a step open to two of the roles counts once)
            assert [step.id for step in my_tasks(user, limit)] == expected[:limit], (user.roles, limit)
        waited[user.id] = len(expected)
    assert all(waited[user.id] for user in (users[0], users[2], users[3], users[4]))  # subject, assignee, roles
    claimable = [row for case in cases if case.code == puspaga.code and not case.team() for row in case.steps
                 if can_act(users[2], case, row)]
    assert claimable and waited[users[2].id] > len(claimable)  # any counselor's, and their own cases'


def test_tugas_saya_shows_the_soonest_fifty_then_fifty_more(app, login_as, make_user):
    """A queue of many waiting steps: the 50 due soonest, then 50 more on request; odd values of
    `shown` are the first page or the most there is, never an error."""
    client, staff = login_as("staff")
    alumnus = make_user("alumni")
    for i in range(55):
        open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=START + timedelta(hours=i))
    db.session.commit()
    task = re.compile(r'<li class="task')
    first = client.get("/tasks").get_data(as_text=True)
    assert len(task.findall(first)) == 50
    assert "50 langkah dengan tenggat terdekat" in first and 'href="/tasks?shown=100"' in first
    assert 'hx-get="/tasks"' in first  # polling keeps what is shown
    more = client.get("/tasks?shown=100").get_data(as_text=True)
    assert len(task.findall(more)) == 55 and "55 langkah menunggu" in more and "shown=150" not in more
    assert 'hx-get="/tasks?shown=100"' in more
    for odd in ("abc", "-3", "0", "49", "99999999999999999999"):
        response = client.get(f"/tasks?shown={odd}")
        assert response.status_code == 200
        assert len(task.findall(response.get_data(as_text=True))) in (50, 55), odd
