"""Journey: every demo role on a 360 px phone. The header is one line with a menu for the rest,
tables keep their column labels, no page is wider than the screen, the lock is a drawing (not a
glyph the phone's font may lack); on a desktop admin's links stay on one line."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.auth.roles import BUILTIN_ROLES
from tests.e2e.conftest import sign_in

PHONE = {"width": 360, "height": 740}

# For each data cell of each table: its column's header and what the phone shows as its label
# (the ::before content), or whether the table scrolls inside its own box instead.
CELL_LABELS = """() => [...document.querySelectorAll('main table')].map(table => {
  const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  const box = table.parentElement;
  const scrolls = getComputedStyle(box).overflowX === 'auto' && box.scrollWidth > box.clientWidth
    && box.getBoundingClientRect().right <= document.documentElement.clientWidth;
  const cells = [...table.querySelectorAll('tbody tr')].flatMap(tr => [...tr.cells]
    .map((cell, i) => ({cell, head: heads[i] || ''}))
    .filter(({cell}) => cell.tagName === 'TD' && cell.colSpan === 1)  // a row header names its card
    .map(({cell, head}) => ({head, shown: getComputedStyle(cell, '::before').content,
                             text: cell.textContent.trim()})));
  return {heads, scrolls, cells};
})"""


def labelled(page) -> None:
    """Every data cell carries its column's label on the phone (or its table scrolls sideways)."""
    tables = page.evaluate(CELL_LABELS)
    assert tables, "no table on " + page.url
    for table in tables:
        if table["scrolls"]:
            continue
        for cell in table["cells"]:
            if not cell["head"]:
                continue  # a column whose header is for screen readers only (row actions)
            assert cell["shown"] == f'"{cell["head"]}"', (page.url, cell)


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px screen"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(bypass_csp=True, locale="id-ID", timezone_id="Asia/Jakarta", viewport=PHONE)
    yield context.new_page()
    context.close()


def test_every_roles_header_is_one_line_on_a_phone_and_opens_a_menu(phone, live_server):
    for role in BUILTIN_ROLES:
        phone.context.clear_cookies()
        sign_in(phone, live_server, role)
        header = phone.locator("header.topbar")
        height = header.bounding_box()["height"]
        assert height <= 64, f"{role}: the header is {height}px tall on a phone"
        fits(phone)
        nav = phone.get_by_role("navigation", name="Navigasi utama")
        expect(nav.get_by_role("link", name="Kasus")).to_be_hidden()
        phone.get_by_text("Menu", exact=True).click()
        expect(nav.get_by_role("link", name="Kasus")).to_be_visible()
        expect(phone.get_by_role("button", name="Keluar")).to_be_visible()
        fits(phone)


def test_tables_keep_their_labels_and_pages_fit_a_phone(phone, live_server):
    sign_in(phone, live_server, "admin")
    tables = ["/reports/compliance", "/procedures/pgri-konseling-karier", "/procedures/ipdn-bk-praja",
              "/admin/users", "/admin/audit", "/admin/outbox", "/cases", "/admin/letters"]
    for path in tables:
        phone.goto(live_server + path)
        labelled(phone)
        fits(phone)
    for path in ["/", "/tasks", "/procedures", "/appointments", "/account/notifications", "/account/password",
                 "/admin/users/new", "/admin/calendar", "/cases/1"]:
        phone.goto(live_server + path)
        fits(phone)

    phone.context.clear_cookies()
    sign_in(phone, live_server, "counselor")
    for path in ["/", "/cases", "/appointments", "/booking/settings", "/cases/2"]:
        phone.goto(live_server + path)
        fits(phone)
    phone.goto(live_server + "/cases")
    labelled(phone)


def test_the_lock_is_a_drawing_not_a_glyph(phone, live_server):
    sign_in(phone, live_server, "student")
    phone.goto(live_server + "/cases/new/ik-konseling-inisiatif")
    hint = phone.locator(".hint", has_text="Rahasia").first
    expect(hint.locator("svg.icon")).to_have_count(1)
    assert "\U0001f512" not in phone.content()


def test_admins_links_stay_on_one_line_on_a_desktop(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, "admin")
    height = page.locator("header.topbar").bounding_box()["height"]
    assert height <= 64, f"the admin's header is {height}px tall on a desktop"
    nav = page.get_by_role("navigation", name="Navigasi utama")
    expect(nav.get_by_role("link", name="Kasus")).to_be_visible()  # no menu button needed
    expect(nav.get_by_role("link", name="Pengguna")).to_be_hidden()
    nav.get_by_text("Kelola", exact=True).click()
    nav.get_by_role("link", name="Pengguna").click()
    expect(page.get_by_role("heading", name="Pengguna")).to_be_visible()


def test_every_roles_header_fits_a_desktop(page, live_server):
    """Nothing pushed out of the header on a desktop (white text beyond the bar is unreadable)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    for role in BUILTIN_ROLES:
        page.context.clear_cookies()
        sign_in(page, live_server, role)
        logout = page.get_by_role("button", name="Keluar").bounding_box()
        assert logout["x"] + logout["width"] <= 1280, f"{role}: the header runs past a 1280px screen"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, role


INPUT_STYLES = """types => types.map(type => {
  const input = document.createElement(type === 'select' || type === 'textarea' ? type : 'input');
  if (type && type !== 'select' && type !== 'textarea') input.setAttribute('type', type);
  document.querySelector('main').append(input);
  const style = getComputedStyle(input), height = input.getBoundingClientRect().height;
  const styled = {type, radius: style.borderTopLeftRadius, height, width: input.getBoundingClientRect().width,
                  main: document.querySelector('main').clientWidth};
  input.remove();
  return styled;
})"""


def test_every_kind_of_field_looks_like_the_others(phone, live_server):
    """Inputs of every type (and one without a type) get the app's field style and fill the column."""
    phone.goto(live_server + "/login")
    kinds = ["", "text", "url", "email", "tel", "number", "date", "time", "datetime-local", "month", "file",
             "search", "password", "select", "textarea"]
    for field in phone.evaluate(INPUT_STYLES, kinds):
        assert field["radius"] == "8px" and field["height"] >= 44, field
        assert field["width"] >= field["main"] - 40, field  # the width of the form, not a stub
