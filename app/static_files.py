"""Static files: compressed once, served by WhiteNoise with versioned, far-future URLs."""
from __future__ import annotations

import hashlib
from pathlib import Path

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

COMPRESSIBLE = {".css", ".js", ".svg", ".txt", ".json"}


def _compress(root: Path) -> None:
    """Write a .gz beside each text asset that lacks a fresh one (WhiteNoise serves it)."""
    compressor = Compressor(use_brotli=False, quiet=True)
    for path in root.rglob("*"):
        if path.suffix not in COMPRESSIBLE or not path.is_file():
            continue
        gz = path.with_name(path.name + ".gz")
        if not gz.exists() or gz.stat().st_mtime < path.stat().st_mtime:
            for _ in compressor.compress(str(path)):
                pass


def _versions(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        for path in root.rglob("*")
        if path.is_file() and not path.name.endswith(".gz")
    }


def init_static(app) -> None:
    """Serve app/static through WhiteNoise; `url_for('static', ...)` adds `?v=<content hash>`."""
    root = Path(app.static_folder)
    _compress(root)
    versions = _versions(root)

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = versions.get(values["filename"])
            if version:
                values["v"] = version

    app.wsgi_app = WhiteNoise(
        app.wsgi_app, root=str(root), prefix="static/", max_age=app.config["STATIC_MAX_AGE"],
        add_headers_function=_nosniff,
    )


def _nosniff(headers, _path, _url) -> None:
    """Browsers take a static file for what its Content-Type says, never what it looks like."""
    headers["X-Content-Type-Options"] = "nosniff"
