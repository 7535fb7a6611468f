"""The house stays layered: no procedure code or step key in Python or templates (a procedure
says what it needs in its YAML), the SOP engine imports no domain above it, and each domain
package imports alone (no cycles)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.sop.definitions import definition_files, parse_file

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for p in (ROOT / "app").rglob("*") if p.suffix in (".py", ".html")
           and "procedures" not in p.parts and p.name != "demo.py"] + list((ROOT / "jobs").rglob("*.py"))
ABOVE_SOP = ("booking", "documents", "reports", "admin", "main", "workshops", "counseling", "casework", "online",
             "referrals", "dispositions", "casefiles")
DOMAINS = ["auth", "admin", "main", "sop", "notifications", "documents", "reports", "booking", "account", "online",
           "referrals", "dispositions", "casefiles"]


def test_no_procedure_code_or_step_key_outside_the_procedure_files():
    from app.documents.types import DOC_TYPES

    procedures = [parse_file(path) for path in definition_files()]
    # Letter types are the documents domain's own codes, even where a step is named after one.
    names = ({p.code for p in procedures} | {s.key for p in procedures for s in p.steps}) - set(DOC_TYPES)
    pattern = re.compile(r"""["'](%s)["']""" % "|".join(sorted(map(re.escape, names))))
    found = [f"{path.relative_to(ROOT)}:{n}: {m.group(0)}" for path in SOURCES
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for m in pattern.finditer(line)]
    assert found == []


def test_the_sop_engine_imports_no_domain_above_it():
    pattern = re.compile(r"^\s*(?:from|import) app\.(%s)\b" % "|".join(ABOVE_SOP), re.M)
    found = [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for path in (ROOT / "app" / "sop").glob("*.py")
             for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_package_imports_alone(domain):
    result = subprocess.run([sys.executable, "-c", f"import app.{domain}.routes"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
