"""The loaded procedures (files, cached by modification time) and their stored versions."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from flask import current_app

from app.auth.roles import EXTRA_ROLES
from app.extensions import db
from app.sop.definitions import DefinitionError, Procedure, definition_files, parse, parse_file
from app.sop.models import ProcedureVersion

log = logging.getLogger(__name__)
_cache: dict[Path, tuple[float, Procedure | None]] = {}
_checked: dict[str | None, tuple[float, dict[str, Procedure]]] = {}  # by folder: when looked, what


def procedures() -> dict[str, Procedure]:
    """Every valid procedure, by code; a file with errors is logged and left out. The files are
    looked at again (a stat each) at most every CACHE_RELOAD_SECONDS."""
    folder = current_app.config.get("SOP_PROCEDURES_DIR")
    checked_at, result = _checked.get(folder, (None, None))
    if result is None or time.monotonic() - checked_at >= current_app.config["CACHE_RELOAD_SECONDS"]:
        result = _load(folder)
        _checked[folder] = (time.monotonic(), result)
    return dict(result)


def _load(folder) -> dict[str, Procedure]:
    result: dict[str, Procedure] = {}
    for path in definition_files(folder):
        mtime = path.stat().st_mtime
        cached = _cache.get(path)
        if cached is None or cached[0] != mtime:
            try:
                cached = (mtime, parse_file(path))
            except DefinitionError as exc:
                log.error("procedure file refused:\n%s", exc)
                cached = (mtime, None)
            _cache[path] = cached
        if cached[1] is not None:
            result[cached[1].code] = cached[1]
            EXTRA_ROLES.update({k: v for k, v in cached[1].extra_roles.items() if k not in EXTRA_ROLES})
    return dict(sorted(result.items()))


def get_procedure(code: str) -> Procedure | None:
    return procedures().get(code)


def current_version(procedure: Procedure) -> ProcedureVersion:
    """The stored version matching the file now; a changed file becomes a new version."""
    digest = procedure.digest
    version = db.session.scalar(db.select(ProcedureVersion).where(
        ProcedureVersion.code == procedure.code, ProcedureVersion.digest == digest))
    if version is None:
        latest = db.session.scalar(db.select(db.func.max(ProcedureVersion.version)).where(
            ProcedureVersion.code == procedure.code)) or 0
        version = ProcedureVersion(code=procedure.code, version=latest + 1, digest=digest,
                                   title=procedure.title, definition=procedure.raw)
        db.session.add(version)
        db.session.flush()
    return version


_version_cache: dict[str, Procedure] = {}


def procedure_of(version: ProcedureVersion) -> Procedure:
    """The procedure exactly as a case's version stored it (not as the file says today)."""
    if version.digest not in _version_cache:
        text = json.dumps(version.definition)  # JSON is YAML: the same validation applies
        _version_cache[version.digest] = parse(text, f"{version.code} v{version.version}")
    return _version_cache[version.digest]
