"""Requirement documents uploaded to a case: the type read from the content (never the name),
a size limit, random names under the instance folder (outside the web root), encrypted at rest,
read back only by the case team. A refused file leaves nothing behind: no row, no file."""
from __future__ import annotations

import io
import re
import secrets
import unicodedata
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.auth.models import User
from app.crypto import SEALED_FILES, UndecryptableError, keys
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.sop.access import active_review, holds_role, is_participant, on_team
from app.sop.models import Case, CaseAccess, CaseState
from app.casefiles.models import RequiredDocument, Upload

KINDS = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|\.\.")
WRITTEN = "casefiles_written"  # files written by the transaction under way (session.info)


def max_bytes() -> int:
    return int(current_app.config.get("CASEFILES_MAX_BYTES") or DEFAULT_MAX_BYTES)


def storage_dir() -> Path:
    """Where files are kept: CASEFILES_DIR, by default `instance/casefiles` (never under static)."""
    folder = Path(current_app.config.get("CASEFILES_DIR") or Path(current_app.instance_path) / "casefiles")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def sniff(data: bytes) -> str | None:
    """What the content is (pdf, jpeg, png), read by parsing it; None when it is none of them."""
    if data.startswith(b"%PDF-"):
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            reader = PdfReader(io.BytesIO(data))
            return "pdf" if len(reader.pages) > 0 else None
        except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
            return None
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                fmt = (image.format or "").lower()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            return None
        return fmt if fmt in ("png", "jpeg") else None
    return None


def clean_name(filename: str | None) -> str:
    """The uploaded name, refused when it tries to name a path (../, /, \\, control characters)."""
    name = unicodedata.normalize("NFC", (filename or "").strip())
    if not name:
        raise DomainError(_("Pilih berkas yang akan diunggah."), field="file")
    if UNSAFE_NAME.search(name) or name.startswith("."):
        raise DomainError(_("Nama berkas \u201c%(name)s\u201d tidak diterima: nama berkas tidak boleh berisi garis "
                            "miring, \u201c..\u201d atau karakter kendali. Ganti nama berkasnya lalu unggah lagi.",
                            name=name[:80]), field="file")
    if len(name) > 200:
        raise DomainError(_("Nama berkas terlalu panjang (paling banyak 200 karakter)."), field="file")
    return name


def read_limited(stream, limit: int) -> bytes:
    """Read at most `limit` bytes; refuse a longer file without reading all of it."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DomainError(_("Berkas terlalu besar: paling besar %(mb)s MB. Perkecil atau pindai ulang dengan resolusi "
                            "lebih rendah.", mb=f"{limit / (1024 * 1024):g}"), field="file")
    return data


def check_file(filename: str | None, data: bytes) -> tuple[str, str]:
    """(clean name, kind) of an acceptable file, or DomainError saying why not."""
    name = clean_name(filename)
    if len(data) > max_bytes():
        raise DomainError(_("Berkas terlalu besar: paling besar %(mb)s MB.", mb=f"{max_bytes() / (1024 * 1024):g}"),
                          field="file")
    if not data:
        raise DomainError(_("Berkas kosong."), field="file")
    named = EXTENSIONS.get(Path(name).suffix.lower())
    if named is None:
        raise DomainError(_("Hanya berkas PDF, JPEG atau PNG yang diterima."), field="file")
    kind = sniff(data)
    if kind is None:
        raise DomainError(_("Isi berkas \u201c%(name)s\u201d bukan PDF, JPEG atau PNG yang utuh; berkas tidak disimpan.",
                            name=name[:80]), field="file")
    if kind != named:
        raise DomainError(_("Isi berkas \u201c%(name)s\u201d tidak sesuai namanya (isinya %(kind)s); berkas tidak disimpan.",
                            name=name[:80], kind=kind.upper()), field="file")
    return name, kind


# -- who ------------------------------------------------------------------------------------
def can_upload(user: User, case: Case) -> bool:
    """The client, the unit's staff and the case team add documents while the case is open."""
    return case.state == CaseState.OPEN and (is_participant(user, case) or holds_role(user, case, "staff"))


def can_download(user: User, case: Case, upload: Upload) -> bool:
    """The case team, whoever uploaded the file, and a head during a break-glass review."""
    return on_team(user, case) or upload.uploaded_by_id == user.id or active_review(user, case) is not None


# -- doing ----------------------------------------------------------------------------------
def required_documents(unit_id: int | None) -> list[RequiredDocument]:
    if unit_id is None:
        return []
    return list(db.session.scalars(db.select(RequiredDocument).where(
        RequiredDocument.unit_id == unit_id, RequiredDocument.active.is_(True))
        .order_by(RequiredDocument.position, RequiredDocument.id)))


def uploads_of(case: Case) -> list[Upload]:
    return list(db.session.scalars(db.select(Upload).where(Upload.case_id == case.id)
                                   .order_by(Upload.uploaded_at, Upload.id)))


def missing_documents(case: Case) -> list[RequiredDocument]:
    """The unit's required documents the case has no file for yet."""
    have = {u.requirement_id for u in uploads_of(case)}
    return [d for d in required_documents(case.unit_id) if d.required and d.id not in have]


def store_upload(case: Case, user: User, filename: str | None, data: bytes, requirement_id: int | None,
                 now: datetime | None = None) -> Upload:
    """Check and keep a file for the case (encrypted, random name). Refusals store nothing."""
    if not can_upload(user, case):
        raise DomainError(_("Anda tidak dapat menambah dokumen pada kasus ini."))
    requirement = None
    if requirement_id is not None:
        requirement = next((d for d in required_documents(case.unit_id) if d.id == requirement_id), None)
        if requirement is None:
            raise DomainError(_("Jenis dokumen tidak dikenal untuk unit ini."), field="requirement_id")
    name, kind = check_file(filename, data)
    storage_name = secrets.token_hex(16)
    upload = Upload(case_id=case.id, requirement_id=requirement.id if requirement else None, filename=name,
                    kind=kind, size=len(data), storage_name=storage_name, uploaded_by_id=user.id,
                    uploaded_at=now or utcnow())
    db.session.add(upload)
    db.session.add(CaseAccess(case_id=case.id, user_id=user.id, action="file:upload", reason=name[:400]))
    db.session.flush()
    path = storage_dir() / storage_name
    path.write_bytes(keys().encrypt(data))
    path.chmod(0o600)
    db.session.info.setdefault(WRITTEN, []).append(path)
    return upload


@event.listens_for(Session, "after_commit")
def _files_kept(session) -> None:
    session.info.pop(WRITTEN, None)


@event.listens_for(Session, "after_rollback")
def _files_discarded(session) -> None:
    """A transaction that stored a file and then failed leaves no file without its row."""
    for path in session.info.pop(WRITTEN, []):
        path.unlink(missing_ok=True)


def open_upload(case: Case, user: User, upload_id: int) -> tuple[Upload, bytes] | None:
    """The file for `user`, decrypted, with the read logged; None when it is not theirs to see."""
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.case_id != case.id or not can_download(user, case, upload):
        return None
    data = keys().decrypt((storage_dir() / upload.storage_name).read_bytes())
    ground = "team" if on_team(user, case) else ("author" if upload.uploaded_by_id == user.id else "review")
    db.session.add(CaseAccess(case_id=case.id, user_id=user.id, action="file:download",
                              fields=upload.filename[:400], reason=ground))
    return upload, data


def rotate_files(session, multi) -> int:
    """`flask keys rotate`: every stored document re-encrypted under the newest key. All are
    read first (an unreadable one stops everything), then each is replaced in one rename."""
    from cryptography.fernet import InvalidToken

    folder, fresh = storage_dir(), {}
    for name in session.scalars(db.select(Upload.storage_name)):
        path = folder / name
        if not path.exists():
            continue
        try:
            fresh[path] = multi.rotate(path.read_bytes())
        except InvalidToken:
            raise UndecryptableError(f"casefile {name} cannot be decrypted with any key") from None
    for path, token in fresh.items():
        temporary = path.with_suffix(".rotating")
        temporary.write_bytes(token)
        temporary.chmod(0o600)
        temporary.replace(path)
    return len(fresh)


if rotate_files not in SEALED_FILES:
    SEALED_FILES.append(rotate_files)
