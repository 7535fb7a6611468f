"""Prints, for the main pages, the bytes a first visit moves over the wire (HTML + CSS + JS,
all gzip-compressed as the app and WhiteNoise serve them) and the SQL queries each page runs.

    .venv/bin/python bench/weight.py
Target: every page under 50 KB on a first visit; a constant number of queries per page.
"""
from __future__ import annotations

import gzip
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402

PAGES = [("login", None, "/login"), ("beranda", "admin", "/"), ("pengguna", "admin", "/admin/users"),
         ("cari pengguna (htmx)", "admin", "/admin/users?q=a"), ("ubah pengguna", "admin", "/admin/users/2"),
         ("tugas saya", "staff", "/tasks"), ("kasus", "head", "/cases/2"), ("layanan", "student", "/procedures"),
         ("slot jadwal", "alumni", "/cases/2/booking"), ("kepatuhan SOP", "head", "/reports/compliance")]
LIMIT = 50 * 1024


def main() -> int:
    tmp = tempfile.mkdtemp()
    config = TestConfig(f"sqlite:///{tmp}/bench.db")
    config.ARGON2_PROFILE = "RFC_9106_LOW_MEMORY"
    app = create_app(config)
    with app.app_context():
        db.create_all()
        from app.demo import seed_demo

        seed_demo("demo12345")
        db.session.commit()
        queries = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(1))

    worst = 0
    print(f"{'page':<24}{'html':>8}{'static':>9}{'total':>9}{'queries':>9}")
    for name, role, path in PAGES:
        client = app.test_client()
        if role:
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            client.post("/login", data={"email": f"{role}@demo.test", "password": "demo12345", "csrf_token": token})
        queries.clear()
        headers = {"HX-Request": "true"} if "htmx" in name else {}
        response = client.get(path, headers={**headers, "Accept-Encoding": "gzip"})
        n_queries = len(queries)
        html = response.get_data()  # as sent: gzip-compressed when large enough
        static = 0
        text = gzip.decompress(html) if response.headers.get("Content-Encoding") == "gzip" else html
        for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', text):
            with client.get(url.decode(), headers={"Accept-Encoding": "gzip"}) as asset:
                static += len(asset.get_data())
        total = len(html) + static
        worst = max(worst, total)
        print(f"{name:<24}{len(html):>8}{static:>9}{total:>9}{n_queries:>9}")
    print(f"heaviest first visit: {worst / 1024:.1f} KB (target < {LIMIT // 1024} KB)")
    return 0 if worst < LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
