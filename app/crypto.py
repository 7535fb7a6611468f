"""Encryption at rest for confidential counseling content (Fernet, from `cryptography`).

The key comes from DATA_ENCRYPTION_KEY (a Fernet key, or any passphrase, which is stretched);
without it, development installs derive one from SECRET_KEY.
"""
from __future__ import annotations

import base64
import hashlib
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


@cache
def _fernet(secret: str) -> Fernet:
    try:
        return Fernet(secret.encode())
    except ValueError:
        digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), b"ruang-konseling", 200_000)
        return Fernet(base64.urlsafe_b64encode(digest))


def fernet() -> Fernet:
    config = current_app.config
    return _fernet(config.get("DATA_ENCRYPTION_KEY") or "derived:" + config["SECRET_KEY"])


def seal(values: dict) -> str | None:
    """Encrypt a dict of confidential values (None when there are none)."""
    if not values:
        return None
    return fernet().encrypt(json.dumps(values, default=str).encode()).decode()


def unseal(token: str | None) -> dict:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        current_app.logger.error("confidential data cannot be decrypted: wrong DATA_ENCRYPTION_KEY?")
        return {}
