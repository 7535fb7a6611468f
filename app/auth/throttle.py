"""Failed logins slow down, they do not lock out.

Failures count per (account, address) and per address, in the Flask-Limiter storage
(`RATELIMIT_STORAGE_URI`: Redis in the documented deployment, so every worker and host sees the
same counts). After `LOGIN_FREE_FAILURES` failures of one kind the next attempt must wait 30 s, and
each further failure doubles the wait up to `LOGIN_MAX_DELAY_MINUTES`. A stranger guessing a
named user's password from elsewhere slows down only themselves; an address shared by many people
(a campus NAT) gets four times as many free failures before it slows down.
"""
from __future__ import annotations

import math
import time

from flask import current_app

from app.auth.models import email_key
from app.extensions import limiter

BASE_DELAY = 30  # seconds, after the free failures are used up
FAILURE_MEMORY = 24 * 3600  # a count starts afresh a day after its first failure
ADDRESS_FACTOR = 4


def throttle_keys(email: str, address: str) -> list[tuple[str, int]]:
    """The counters one attempt touches, each with its number of free failures."""
    free = current_app.config["LOGIN_FREE_FAILURES"]
    address = (address or "-")[:64]
    return [(f"login-fail:{address}:{email_key(email)[:254]}", free),
            (f"login-fail:{address}", free * ADDRESS_FACTOR)]


def _delay(failures: int, free: int) -> int:
    cap = current_app.config["LOGIN_MAX_DELAY_MINUTES"] * 60
    return min(cap, BASE_DELAY * 2 ** min(failures - free, 20))


def wait_seconds(email: str, address: str) -> int:
    """How long this account must wait before trying again from this address (0: go ahead)."""
    storage = limiter.storage
    wait = 0.0
    for key, free in throttle_keys(email, address):
        failures = storage.get(key)
        if failures >= free:
            lock = f"{key}:wait:{failures}"
            if storage.get(lock):
                wait = max(wait, storage.get_expiry(lock) - time.time())
    return max(0, math.ceil(wait))


def record_failure(email: str, address: str) -> None:
    """Count a failed attempt; from the free limit on, start the next wait."""
    storage = limiter.storage
    for key, free in throttle_keys(email, address):
        failures = storage.incr(key, FAILURE_MEMORY)
        if failures >= free:
            storage.incr(f"{key}:wait:{failures}", _delay(failures, free))


def record_success(email: str, address: str) -> None:
    """A good password from this address forgets its failures for this account."""
    limiter.storage.clear(throttle_keys(email, address)[0][0])
