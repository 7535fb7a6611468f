"""Journey: the quality office reads the compliance report on a desktop and on a phone. Each filter's
label sits on its field, the columns say their units, a line says how durations are counted, the
page says it is loading while the figures reload, and the chart reads on a 360 px screen."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in

# For each label of the filter form: where it is and where its own field is.
LABEL_BOXES = """() => [...document.querySelectorAll('main form label')].map(label => {
  const l = label.getBoundingClientRect(), f = document.getElementById(label.htmlFor).getBoundingClientRect();
  return {text: label.textContent.trim(), label: [l.left, l.top, l.bottom], field: [f.left, f.top, f.bottom]};
})"""

# The smallest text in the chart as drawn on the screen (text inside a scaled SVG shrinks with it).
SMALLEST_CHART_TEXT = """() => {
  const sizes = [];
  for (const chart of document.querySelectorAll('main .chart')) {
    for (const el of chart.querySelectorAll('*')) {
      if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
      let size = parseFloat(getComputedStyle(el).fontSize);
      const svg = el.closest('svg');
      if (svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
        size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      }
      sizes.push(size);
    }
  }
  return sizes.length ? Math.min(...sizes) : null;
}"""


def labels_sit_on_their_fields(page) -> None:
    boxes = page.evaluate(LABEL_BOXES)
    assert len(boxes) == 4, boxes
    for box in boxes:
        (label_left, _, label_bottom), (field_left, field_top, _) = box["label"], box["field"]
        assert abs(label_left - field_left) <= 4, box  # the label starts where its field starts
        assert -1 <= field_top - label_bottom <= 16, box  # right above it


@pytest.fixture
def office(page, live_server):
    sign_in(page, live_server, "head")
    return page


def test_filters_units_and_explanation(office, live_server):
    page = office
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server}/reports/compliance")
        labels_sit_on_their_fields(page)
    table = page.locator("section.card", has=page.get_by_role("heading", name="Layanan Konseling Karier")).locator("table")
    heads = [h.strip() for h in table.locator("thead th").all_text_contents()]
    for unit in ("Median (jam kerja)", "P90 (jam kerja)", "Baku mutu (jam kerja)"):
        assert unit in heads, heads
    body = page.locator("main").inner_text()
    assert "dihitung seperti tenggatnya" not in body and "menit kerja" not in body
    expect(page.get_by_text("Waktu dihitung dalam jam kerja", exact=False)).to_be_visible()
    assert_accessible(page)


def test_a_loading_indicator_shows_while_the_figures_reload(office, live_server):
    page = office
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/reports/compliance")
    indicator = page.get_by_text("Memuat angka")
    expect(indicator).to_be_hidden()
    held = []
    page.route("**/reports/compliance?*", lambda route: held.append(route))  # the reload waits until released
    page.get_by_label("Layanan", exact=True).select_option(label="Layanan Konseling PUSPAGA")
    expect(indicator).to_be_visible()
    page.wait_for_timeout(100)
    assert held, "the filter change did not reload the figures"
    for route in held:
        route.continue_()
    page.unroute("**/reports/compliance?*")
    expect(indicator).to_be_hidden()
    expect(page.get_by_role("heading", name="Layanan Konseling PUSPAGA")).to_be_visible()
    expect(page.get_by_role("heading", name="Layanan Konseling Karier")).to_have_count(0)


def test_the_chart_reads_on_a_phone(office, live_server):
    page = office
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server}/reports/compliance")
    smallest = page.evaluate(SMALLEST_CHART_TEXT)
    assert smallest is not None, "no chart on the report"
    assert smallest >= 12, f"the chart's smallest text is {smallest:.1f}px on a phone"
    chart_text = page.locator(".chart").first.inner_text()
    assert re.search(r"[a-z]{4,}", chart_text), f"the chart does not name its steps: {chart_text!r}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
