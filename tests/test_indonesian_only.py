"""The Indonesian interface holds no English: every page reachable from each demo role's home,
rendered in `id`, shows none of the English the catalogue knows and none of the internal values
(state codes, Python literals) that used to leak into pages.

The walk follows the links and htmx GETs on each page, so pages added later are covered without a
list to keep up to date.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from babel.messages.pofile import read_po

from app.auth.roles import BUILTIN_ROLES
from app.extensions import db

CATALOGUE = Path(__file__).resolve().parents[1] / "app/translations/en/LC_MESSAGES/messages.po"
# Words written the same in both languages, or names, are not evidence of English.
SAME_IN_BOTH = {"Admin", "Online", "Status", "Email", "E-mail", "WhatsApp", "Logo", "Website", "Token", "Unit"}
# Internal values that must be shown as words (issue 11 §4), with word boundaries.
INTERNAL = re.compile(r"\b(agreed|cancelled|canceled|pending|proposed|no_show|open|closed|active|done|skipped|sent|failed|"
                      r"unsendable|withdrawn|True|False|None|"
                      r"ConnectionRefusedError|Errno|Traceback)\b")
SKIP = re.compile(r"(\.pdf|\.ics|\.xlsx|\.zip|\.json|/logout|/static/|/metrics|/healthz)")
PAGES_PER_ROLE = 60


def english_phrases() -> list[str]:
    """Translations that differ from their Indonesian source and read as English phrases."""
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    phrases = set()
    for message in catalog:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        text = message.string
        if text == message.id or text in SAME_IN_BOTH or "%(" in text or "{" in text:
            continue
        if len(text.split()) >= 2 and len(text) >= 10:  # single words collide with names and codes
            phrases.add(text.rstrip(".:"))
    return sorted(phrases)


class Page(HTMLParser):
    """The visible text of a page and the same-site GET links it offers."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name in ("href", "hx-get"):
            if attrs.get(name):
                self.links.append(attrs[name])
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attrs.get(name):
                self.text.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def shape(path: str) -> str:
    """One representative per URL shape: /cases/12 and /cases/13 are the same page."""
    return re.sub(r"/\d+", "/N", path)


def walk(client, start: str = "/"):
    seen_shapes, queue, pages = set(), [start], []
    while queue and len(pages) < PAGES_PER_ROLE:
        path = queue.pop(0)
        if shape(path) in seen_shapes:
            continue
        seen_shapes.add(shape(path))
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        page = Page()
        page.feed(response.get_data(as_text=True))
        pages.append((path, " ".join(" ".join(page.text).split())))
        for link in page.links:
            link = urldefrag(link).url
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # words do not depend on the database
def test_every_page_of_every_demo_role_reads_in_indonesian(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--password", "demo12345"])
    assert result.exit_code == 0, result.output
    phrases = english_phrases()
    assert len(phrases) > 100, "the English catalogue should know many phrases"
    found, walked = [], 0
    for role in BUILTIN_ROLES:
        client = app.test_client()
        response = client.submit("/login", {"email": f"{role}@demo.test", "password": "demo12345"})
        assert response.status_code == 302, role
        for path, text in walk(client):
            walked += 1
            for phrase in phrases:
                if phrase in text:
                    found.append(f"{role} {path}: English {phrase!r}")
            for match in INTERNAL.finditer(text):
                found.append(f"{role} {path}: internal {match.group(0)!r} in …{text[max(0, match.start() - 40):match.end() + 40]}…")
    assert walked > 5 * len(BUILTIN_ROLES)
    assert not found, "\n".join(sorted(set(found)))
