"""What a process keeps between requests.

- `kept`: what the database says (the working calendar, which procedures have a unit), read
  again at most every CACHE_RELOAD_SECONDS, so that a change made on another host counts within
  that time; fixed within a request; never kept from a request that changed it before
  committing (its change may still be rolled back).
- `rendered`: HTML that only the templates decide (the login form, the navigation), kept until
  the process ends, since templates do not change while it runs."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

from flask import current_app, g

T = TypeVar("T")


def kept(name: str, key, load: Callable[[], T]) -> T:
    """`load()` as this request first saw it, and as the process last read it when that is
    recent enough."""
    local = g.setdefault("kept", {})
    if (name, key) in local:
        return local[(name, key)]
    store = current_app.extensions.setdefault("kept", {})
    loaded_at, value = store.get((name, key), (None, None))
    if loaded_at is None or time.monotonic() - loaded_at >= current_app.config["CACHE_RELOAD_SECONDS"]:
        value = load()
        if name not in g.get("kept_changed", ()):
            store[(name, key)] = (time.monotonic(), value)
    local[(name, key)] = value
    return value


def forget(name: str) -> None:
    """After a change to what `name` holds: this request and this process read it again (the
    process keeps it again from the next request on)."""
    g.setdefault("kept_changed", set()).add(name)
    for store in (g.get("kept", {}), current_app.extensions.get("kept", {})):
        for key in [k for k in store if k[0] == name]:
            del store[key]


def rendered(name: str, key, render: Callable[[], str], bound: int) -> str:
    """`render()` as first rendered for `key` in this process (at most `bound` kept under
    `name`: keys a client can vary are bounded all the same); rendered each time while the
    templates may change (debug, TEMPLATES_AUTO_RELOAD)."""
    if current_app.debug or current_app.config.get("TEMPLATES_AUTO_RELOAD"):
        return render()
    store = current_app.extensions.setdefault(name, {})
    html = store.get(key)
    if html is None:
        if len(store) >= bound:
            store.clear()
        html = store[key] = render()
    return html
