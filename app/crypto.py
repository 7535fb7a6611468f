"""Encryption at rest for confidential counseling content (Fernet, from `cryptography`).

DATA_ENCRYPTION_KEY holds one Fernet key (`flask keys generate` prints a new one), or several
separated by commas during a rotation: the first encrypts, every one decrypts (MultiFernet), and
`flask keys rotate` re-encrypts every sealed value under the first. An entry written
`passphrase:<text>` is a passphrase stretched with PBKDF2, which also reads what older versions
wrote (`passphrase:derived:<SECRET_KEY>` for an install that ran without the setting).
Outside debug and testing the app refuses to start without the setting; a value that no key
opens raises `UndecryptableError`, never an empty result that a later write would overwrite.
"""
from __future__ import annotations

import base64
import hashlib
import json
from functools import cache

import click
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import select, update

MISSING_KEY = ("DATA_ENCRYPTION_KEY belum diatur: isi konseling yang rahasia tidak dapat dienkripsi. "
               "Buat kunci dengan `flask keys generate` lalu isikan ke DATA_ENCRYPTION_KEY.")
PASSPHRASE = "passphrase:"

# (model, attribute) of every column holding sealed values: what `flask keys rotate` re-encrypts.
SEALED_COLUMNS: list[tuple[type, str]] = []
# Encrypted files other domains keep (uploaded documents): callables (session, keys) that
# re-encrypt theirs under the first key and return how many; checked before anything is written.
SEALED_FILES: list = []


class MissingKeyError(click.ClickException):
    """DATA_ENCRYPTION_KEY is absent or unreadable. A ClickException so that `flask …` prints it
    as one line and exits 1; gunicorn stops booting workers on it."""


class UndecryptableError(Exception):
    """A sealed value that none of the configured keys decrypts (a changed or missing key)."""


def register_sealed(model: type, attribute: str) -> None:
    """Declare a column of sealed values (see `flask keys rotate`)."""
    if (model, attribute) not in SEALED_COLUMNS:
        SEALED_COLUMNS.append((model, attribute))


def _one_key(entry: str) -> Fernet:
    if entry.startswith(PASSPHRASE):
        passphrase = entry[len(PASSPHRASE):].encode()
        digest = hashlib.pbkdf2_hmac("sha256", passphrase, b"ruang-konseling", 200_000)
        return Fernet(base64.urlsafe_b64encode(digest))
    try:
        return Fernet(entry.encode())
    except ValueError:
        raise MissingKeyError(
            "DATA_ENCRYPTION_KEY berisi nilai yang bukan kunci Fernet (32 bita base64 url-safe); "
            "buat kunci dengan `flask keys generate`.") from None


@cache
def _keys(setting: str) -> MultiFernet:
    entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
    if not entries:
        raise MissingKeyError(MISSING_KEY)
    return MultiFernet([_one_key(entry) for entry in entries])


def keys(setting: str | None = None) -> MultiFernet:
    """The configured keys (the app's DATA_ENCRYPTION_KEY unless `setting` is given)."""
    return _keys(current_app.config.get("DATA_ENCRYPTION_KEY", "") if setting is None else setting)


def check_keys(app) -> None:
    """Refuse to start outside debug and testing when the key is missing or unreadable."""
    setting = app.config.get("DATA_ENCRYPTION_KEY", "")
    if setting or not (app.debug or app.testing):
        _keys(setting)


def generate_key() -> str:
    return Fernet.generate_key().decode()


def seal(values: dict) -> str | None:
    """Encrypt a dict of confidential values (None when there are none)."""
    if not values:
        return None
    return keys().encrypt(json.dumps(values, default=str).encode()).decode()


def unseal(token: str | None) -> dict:
    """Decrypt what `seal` wrote; UndecryptableError when no configured key opens it."""
    if not token:
        return {}
    try:
        return json.loads(keys().decrypt(token.encode()))
    except InvalidToken:
        raise UndecryptableError(
            "confidential values cannot be decrypted with any DATA_ENCRYPTION_KEY") from None


def rotate_sealed(session) -> int:
    """Re-encrypt every sealed value under the newest key; returns how many were rewritten.
    UndecryptableError (nothing written by the caller's transaction) when one cannot be read."""
    multi, count = keys(), 0
    for model, attribute in SEALED_COLUMNS:
        column = getattr(model, attribute)
        rows = session.execute(select(model.id, column).where(column.is_not(None)).order_by(model.id)).all()
        for row_id, token in rows:
            try:
                fresh = multi.rotate(token.encode()).decode()
            except InvalidToken:
                raise UndecryptableError(
                    f"{model.__tablename__}.{attribute} of id {row_id} cannot be decrypted with any key") from None
            session.execute(update(model).where(model.id == row_id).values({attribute: fresh}))
            count += 1
    for rotate_files in SEALED_FILES:
        count += rotate_files(session, multi)
    return count
