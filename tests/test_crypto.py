"""Encryption key handling: required outside debug, several keys during a rotation,
`flask keys generate/rotate`, and an unreadable value is an error, never an empty result."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from app import create_app
from app.config import Config
from app.errors import DomainError
from app.crypto import MissingKeyError, UndecryptableError, seal, unseal
from app.extensions import db
from app.keys_cli import keys_cli
from app.sop.models import Case, CaseStep
from app.sop.registry import get_procedure
from app.sop.services import case_values, open_case
from tests.conftest import ROOT

KARIER = {"nim": "1901", "prodi": "PMat", "phone": "0812", "mode": "online", "question": "RAHASIA: ragu memilih karier"}
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)
NEW = Fernet.generate_key().decode()


@pytest.fixture
def case(app, make_user):
    """A career case with a confidential question (Case.sealed) and a sealed step value."""
    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER), now=NOW)
    case.steps[0].sealed = seal({"catatan": "RAHASIA: catatan langkah"})
    db.session.commit()
    return case


def sealed_tokens() -> list[str]:
    return list(db.session.scalars(sa.select(Case.sealed))) + list(
        db.session.scalars(sa.select(CaseStep.sealed).where(CaseStep.sealed.is_not(None))))


def test_a_changed_key_raises_instead_of_returning_nothing(case, app, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", NEW)
    with pytest.raises(DomainError, match="kunci enkripsi"):  # the engine says so in words
        case_values(case)
    with pytest.raises(UndecryptableError):
        unseal(case.steps[0].sealed)


def test_several_keys_the_first_encrypts_and_keys_rotate_re_encrypts_everything(case, app, monkeypatch):
    old = app.config["DATA_ENCRYPTION_KEY"]
    before = sealed_tokens()
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", f"{NEW}, {old}")
    assert case_values(case)["question"] == KARIER["question"]  # the old key still reads
    assert Fernet(NEW.encode()).decrypt(seal({"a": 1}).encode())  # the first key writes

    result = app.test_cli_runner().invoke(keys_cli, ["rotate"])
    assert result.exit_code == 0, result.output
    assert "2 nilai rahasia dienkripsi ulang" in result.output
    db.session.expire_all()
    after = sealed_tokens()
    assert len(after) == 2 and set(after).isdisjoint(before)

    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", NEW)  # the old key can go now
    assert case_values(db.session.get(Case, case.id))["question"] == KARIER["question"]
    assert unseal(db.session.get(CaseStep, case.steps[0].id).sealed) == {"catatan": "RAHASIA: catatan langkah"}


def test_keys_rotate_changes_nothing_when_a_value_cannot_be_read(case, app, monkeypatch):
    before = sealed_tokens()
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", NEW)  # the old key was dropped too early
    result = app.test_cli_runner().invoke(keys_cli, ["rotate"])
    assert result.exit_code == 1 and "tidak ada yang diubah" in result.output.lower()
    assert "Traceback" not in result.output
    db.session.expire_all()
    assert sealed_tokens() == before


def test_the_app_refuses_to_start_without_a_key_outside_debug(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", "")
    with pytest.raises(MissingKeyError, match="DATA_ENCRYPTION_KEY belum diatur.*flask keys generate"):
        create_app(Config())
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", "not-a-key")
    with pytest.raises(MissingKeyError, match="bukan kunci Fernet"):
        create_app(Config())
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", "")
    config = Config()
    config.DEBUG = True  # a developer's debug run starts, but writes nothing confidential
    app = create_app(config)
    with app.app_context(), pytest.raises(MissingKeyError):
        seal({"question": "x"})


def test_no_key_is_derived_from_the_secret_key_but_old_values_can_be_rotated_out(app, monkeypatch):
    """Without the setting nothing is sealed; what older versions sealed under the key they derived
    from SECRET_KEY reads when that passphrase is listed after the new key (docs/operations.md)."""
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", "")
    with pytest.raises(MissingKeyError):
        seal({"q": 1})
    legacy = f"passphrase:derived:{app.config['SECRET_KEY']}"
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", legacy)
    token = seal({"q": 1})
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", f"{NEW},{legacy}")
    assert unseal(token) == {"q": 1}
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", NEW)
    with pytest.raises(UndecryptableError):
        unseal(token)


def flask_command(*args: str, key: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASK_APP": "wsgi.py", "FLASK_DEBUG": "0", "SECRET_KEY": "s", "DATA_ENCRYPTION_KEY": key,
           "DATABASE_URL": "sqlite:///:memory:"}
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_flask_keys_generate_works_before_the_app_starts_and_the_app_asks_for_it():
    generated = flask_command("keys", "generate", key="")
    assert generated.returncode == 0, generated.stderr
    key = generated.stdout.strip()
    Fernet(key.encode())  # a valid key
    refused = flask_command("sop", "list", key="")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "Error: DATA_ENCRYPTION_KEY belum diatur: isi konseling yang rahasia tidak dapat dienkripsi. "
        "Buat kunci dengan `flask keys generate` lalu isikan ke DATA_ENCRYPTION_KEY."]
    started = flask_command("sop", "list", key=key)
    assert started.returncode == 0 and "pgri-konseling-karier" in started.stdout
